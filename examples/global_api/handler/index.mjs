// GET /object/{id}: reads the item with that id from the table named by
// TABLE_NAME (the function's own region's replica) and returns it, or 404.
// The AWS SDK for JavaScript v3 is part of the Lambda Node.js 20 runtime,
// so the asset ships only this file.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const main = async (event) => {
  const id = event?.pathParameters?.id;
  if (id === undefined || id === null || id === '') {
    return { statusCode: 400, body: JSON.stringify({ message: 'Missing id' }) };
  }
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: { id } }),
  );
  if (Item === undefined) {
    return { statusCode: 404, body: JSON.stringify({ message: 'Not found' }) };
  }
  return { statusCode: 200, body: JSON.stringify(Item) };
};
