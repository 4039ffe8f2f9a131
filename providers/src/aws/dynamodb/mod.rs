//! DynamoDB global tables (`aws:dynamodb:GlobalTable`, the CDK's `TableV2`
//! with replicas; global tables version 2019.11.21): a table in the
//! resource's region, which is the primary, plus replicas that are added and
//! removed one at a time, as AWS allows only one replica change per table.
//! [`table`] is the resource type, [`spec`] what its inputs and the cloud
//! say, [`converge`] the one-change-at-a-time updates.

pub mod converge;
pub mod spec;
pub mod table;

pub use table::GlobalTable;

pub use meridian_schema::aws::dynamodb::global_table::TYPE as GLOBAL_TABLE;

#[cfg(test)]
mod tests;
