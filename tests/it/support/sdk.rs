//! Things done and read with the SDK directly, never through Meridian, that
//! several tests share: a role and its inline policy made behind Meridian's
//! back, a table keyed by `id`, descriptions (certificate, table, log
//! groups), and the tags AWS keeps on each taggable kind of resource.

use aws_config::SdkConfig;
use aws_sdk_acm::types::CertificateDetail;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::TableDescription;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::collections::{BTreeMap, HashMap};

/// Tags as AWS lists them: key to value.
pub type Tags = BTreeMap<String, String>;

/// Creates role `name` whose trust policy is `trust` (a JSON document);
/// returns its ARN.
pub async fn create_role(iam: &aws_sdk_iam::Client, name: &str, trust: &str) -> String {
    let request = iam.create_role().role_name(name);
    let out = request.assume_role_policy_document(trust).send().await;
    let out = out.expect("CreateRole");
    out.role().expect("role").arn().to_string()
}

/// Puts inline policy `policy` (a JSON document) on role `role` as `name`.
pub async fn put_role_policy(iam: &aws_sdk_iam::Client, role: &str, name: &str, policy: &str) {
    let request = iam.put_role_policy().role_name(role).policy_name(name);
    let put = request.policy_document(policy).send().await;
    put.expect("PutRolePolicy");
}

/// The CreateTable request of an on-demand table `name` keyed by `id` (a
/// string), for the caller to add to and send.
pub fn id_keyed_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> CreateTableFluentBuilder {
    let key = KeySchemaElement::builder().attribute_name("id");
    let key = key.key_type(KeyType::Hash).build().expect("key");
    let attribute = AttributeDefinition::builder().attribute_name("id");
    let attribute = attribute.attribute_type(ScalarAttributeType::S);
    ddb.create_table()
        .table_name(name)
        .key_schema(key)
        .attribute_definitions(attribute.build().expect("attribute"))
        .billing_mode(BillingMode::PayPerRequest)
}

/// A taggable resource, by what its service's tag listing takes.
pub enum Tagged<'a> {
    /// A hosted zone, by its bare id.
    Zone(&'a str),
    /// An ACM certificate, by its ARN.
    Certificate(&'a str),
    /// A DynamoDB table, by its ARN.
    Table(&'a str),
    /// An IAM role, by its name.
    Role(&'a str),
    /// A log group, by its ARN.
    LogGroup(&'a str),
    /// A Lambda function, by its ARN.
    Function(&'a str),
    /// An API Gateway REST API, stage or domain name, by its ARN.
    ApiGateway(&'a str),
}

/// The tags AWS keeps on `resource` (identity tags included), read with
/// the SDK from `conf`'s region.
pub async fn tags(conf: &SdkConfig, resource: Tagged<'_>) -> Tags {
    match resource {
        Tagged::Zone(id) => zone_tags(conf, id).await,
        Tagged::Certificate(arn) => {
            let acm = aws_sdk_acm::Client::new(conf);
            let listed = acm.list_tags_for_certificate().certificate_arn(arn);
            let listed = listed.send().await.expect("ListTagsForCertificate");
            pairs(listed.tags(), |t| (t.key(), t.value()))
        }
        Tagged::LogGroup(arn) => {
            let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
            let listed = logs.list_tags_for_resource().resource_arn(arn).send();
            keyed(listed.await.expect("ListTagsForResource").tags())
        }
        Tagged::Table(arn) => {
            let ddb = aws_sdk_dynamodb::Client::new(conf);
            let listed = ddb.list_tags_of_resource().resource_arn(arn).send().await;
            let listed = listed.expect("ListTagsOfResource");
            pairs(listed.tags(), |t| (t.key(), Some(t.value())))
        }
        Tagged::Function(arn) => {
            let lambda = aws_sdk_lambda::Client::new(conf);
            let listed = lambda.list_tags().resource(arn).send().await;
            keyed(listed.expect("ListTags").tags())
        }
        Tagged::Role(name) => {
            let iam = aws_sdk_iam::Client::new(conf);
            let listed = iam.list_role_tags().role_name(name).send().await;
            pairs(listed.expect("ListRoleTags").tags(), |t| {
                (t.key(), Some(t.value()))
            })
        }
        Tagged::ApiGateway(arn) => {
            let apigw = aws_sdk_apigateway::Client::new(conf);
            let listed = apigw.get_tags().resource_arn(arn).send().await;
            keyed(listed.expect("GetTags").tags())
        }
    }
}

/// A hosted zone's tags (Route 53 lists them by resource type and id).
async fn zone_tags(conf: &SdkConfig, zone_id: &str) -> Tags {
    use aws_sdk_route53::types::TagResourceType;
    let r53 = aws_sdk_route53::Client::new(conf);
    let listed = r53.list_tags_for_resource().resource_id(zone_id);
    let listed = listed.resource_type(TagResourceType::Hostedzone).send();
    let listed = listed.await.expect("ListTagsForResource");
    let set = listed.resource_tag_set().expect("tag set");
    pairs(set.tags(), |t| (t.key().expect("tag key"), t.value()))
}

/// Tags a service answers as a list, by `key_value` of each (a tag without
/// a value has the empty one).
fn pairs<T>(tags: &[T], key_value: impl Fn(&T) -> (&str, Option<&str>)) -> Tags {
    let pair = |t: &T| {
        let (key, value) = key_value(t);
        (key.to_string(), value.unwrap_or_default().to_string())
    };
    tags.iter().map(pair).collect()
}

/// Tags a service answers as a map, none when it answers none.
fn keyed(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.cloned().unwrap_or_default().into_iter().collect()
}

/// The certificate `arn` as ACM describes it.
pub async fn certificate(acm: &aws_sdk_acm::Client, arn: &str) -> CertificateDetail {
    let described = acm.describe_certificate().certificate_arn(arn).send();
    let described = described.await.expect("DescribeCertificate");
    described.certificate().expect("certificate").clone()
}

/// Table `name` as DynamoDB describes it.
pub async fn table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> TableDescription {
    let described = ddb.describe_table().table_name(name).send().await;
    let described = described.expect("DescribeTable");
    described.table().expect("table").clone()
}

/// The log groups whose names start with `prefix`.
pub async fn log_groups(logs: &aws_sdk_cloudwatchlogs::Client, prefix: &str) -> Vec<LogGroup> {
    let listed = logs.describe_log_groups().log_group_name_prefix(prefix);
    let listed = listed.send().await.expect("DescribeLogGroups");
    listed.log_groups().to_vec()
}
