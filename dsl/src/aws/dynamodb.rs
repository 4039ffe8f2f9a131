//! Builder for `aws:dynamodb:GlobalTable`: a DynamoDB table in the
//! resource's region with replicas in others (the CDK's `TableV2` with
//! `replicas`). Data-bearing, so protected and retained by default.

use crate::builder::{Builder, HasBuilder, declared};
use crate::{Input, Output, Region, Stack, Val};
use meridian_schema::aws::dynamodb::BillingMode;
use meridian_schema::aws::dynamodb::global_table::{self, TYPE, input, output};
use serde_json::json;
use std::collections::BTreeMap;

pub use meridian_schema::aws::dynamodb::AttributeType;

/// A key attribute: its name and scalar type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The attribute's name.
    pub name: String,
    /// Its type.
    pub attribute_type: AttributeType,
}

impl Key {
    /// A key attribute `name` of `attribute_type`.
    pub fn new(name: &str, attribute_type: AttributeType) -> Self {
        Key {
            name: name.to_string(),
            attribute_type,
        }
    }
    /// A string key (`S`).
    pub fn string(name: &str) -> Self {
        Key::new(name, AttributeType::String)
    }
    /// A number key (`N`).
    pub fn number(name: &str) -> Self {
        Key::new(name, AttributeType::Number)
    }
    /// A binary key (`B`).
    pub fn binary(name: &str) -> Self {
        Key::new(name, AttributeType::Binary)
    }

    fn input(&self) -> Input {
        use input::key::{NAME, TYPE};
        Input::Value(json!({NAME: self.name, TYPE: self.attribute_type.as_str()}))
    }
}

/// How the table is billed. A table with replicas must be on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Billing {
    /// On demand (per request): the default, and the only billing with replicas.
    PayPerRequest,
    /// Provisioned capacity units.
    Provisioned {
        /// Read capacity units.
        read: i64,
        /// Write capacity units.
        write: i64,
    },
}

declared! {
    /// An `aws:dynamodb:GlobalTable`. The resource's region is the primary;
    /// replicas are added and removed one at a time (minutes each on AWS).
    /// Changing the name or a key replaces the table, which the default
    /// protection refuses until you opt out.
    ///
    /// ```
    /// use meridian_dsl::{Options, Region, Stack};
    /// use meridian_dsl::aws::dynamodb::{GlobalTable, Key};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let table = GlobalTable::new("table", "global-table", Key::string("id"))
    ///     .replica(Region::EU_WEST_1)
    ///     .replica(Region::SA_EAST_1)
    ///     .region(Region::US_EAST_1)
    ///     .declare(&mut stack);
    /// stack.export("table_name", table.table_name());
    /// stack.export("eu_arn", table.arn_in(&Region::EU_WEST_1));
    /// assert_eq!(stack.resources()[0].type_token, "aws:dynamodb:GlobalTable");
    /// ```
    pub struct GlobalTable { replicas: Vec<Region> } => GlobalTableRef in global_table {
        table_name: String;
        /// The primary table's ARN.
        arn: String;
        /// The table's ARN in each region (primary included), by region name.
        arns: BTreeMap<String, String>;
        /// The primary table's stream ARN.
        stream_arn: String;
        /// Every region holding the table, primary first.
        regions: Vec<String>;
    }
}

impl GlobalTable {
    /// A table named `table_name` (3–255 of `[a-zA-Z0-9_.-]`) keyed by
    /// `partition_key`, billed per request, streaming new and old images.
    pub fn new(name: &str, table_name: impl Into<Val<String>>, partition_key: Key) -> Self {
        GlobalTable {
            core: Builder::new(name)
                .with(input::TABLE_NAME, table_name.into())
                .with(input::PARTITION_KEY, partition_key.input()),
            replicas: Vec::new(),
        }
    }

    /// The sort (range) key.
    pub fn sort_key(self, key: Key) -> Self {
        self.with(input::SORT_KEY, key.input())
    }

    /// Default: [`Billing::PayPerRequest`] (a table with replicas must keep it).
    pub fn billing(mut self, billing: Billing) -> Self {
        let core = &mut self.core;
        match billing {
            Billing::PayPerRequest => {
                core.set(input::BILLING_MODE, BillingMode::PayPerRequest.as_str());
                core.remove(input::READ_CAPACITY);
                core.remove(input::WRITE_CAPACITY);
            }
            Billing::Provisioned { read, write } => {
                core.set(input::BILLING_MODE, BillingMode::Provisioned.as_str());
                core.set(input::READ_CAPACITY, json!(read));
                core.set(input::WRITE_CAPACITY, json!(write));
            }
        }
        self
    }

    /// Adds a replica in `region` (not the table's own region).
    pub fn replica(mut self, region: Region) -> Self {
        self.replicas.push(region);
        self
    }

    /// Sets all replica regions at once.
    pub fn replica_regions(mut self, regions: impl IntoIterator<Item = Region>) -> Self {
        self.replicas = regions.into_iter().collect();
        self
    }

    /// Adds the table to `stack`; returns its handle.
    pub fn declare(mut self, stack: &mut Stack) -> GlobalTableRef {
        let regions: Vec<String> = self.replicas.iter().map(|r| r.to_string()).collect();
        self.core.set(input::REPLICA_REGIONS, json!(regions));
        let name = self.core.declare(stack, TYPE);
        GlobalTableRef { name }
    }
}

impl GlobalTableRef {
    /// The table's ARN in `region` (the primary or a replica region).
    pub fn arn_in(&self, region: &Region) -> Output<String> {
        Output::new(&self.name, &format!("{}.{region}", output::ARNS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_keys_billing_and_replicas() {
        let mut stack = Stack::new("t", Default::default(), "us-east-1");
        let t = GlobalTable::new("tbl", "orders", Key::string("pk"))
            .sort_key(Key::number("at"))
            .billing(Billing::PayPerRequest)
            .replica_regions([Region::EU_WEST_1])
            .declare(&mut stack);
        let decl = &stack.resources()[0];
        assert_eq!(decl.region, "us-east-1");
        assert_eq!(
            decl.inputs["partition_key"],
            Input::Value(json!({"name": "pk", "type": "S"}))
        );
        assert_eq!(
            decl.inputs["sort_key"],
            Input::Value(json!({"name": "at", "type": "N"}))
        );
        assert_eq!(
            decl.inputs["replica_regions"],
            Input::Value(json!(["eu-west-1"]))
        );
        assert_eq!(
            t.arn_in(&Region::EU_WEST_1).input(),
            Input::Output {
                resource: "tbl".into(),
                output: "arns.eu-west-1".into()
            }
        );
    }
}
