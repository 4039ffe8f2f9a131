//! Builder for `aws:dynamodb:GlobalTable`: a DynamoDB table in the
//! resource's region with replicas in others (the CDK's `TableV2` with
//! `replicas`). Data-bearing, so protected and retained by default.

use crate::{Common, Input, Options, Output, Region, Stack, Val};
use meridian_schema::aws::dynamodb::{BillingMode, global_table};
use serde_json::json;
use std::collections::BTreeMap;

pub use meridian_schema::aws::dynamodb::AttributeType;

/// A key attribute: its name and scalar type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub attribute_type: AttributeType,
}

impl Key {
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
        Input::Value(json!({"name": self.name, "type": self.attribute_type.as_str()}))
    }
}

/// How the table is billed. A table with replicas must be on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Billing {
    PayPerRequest,
    Provisioned { read: i64, write: i64 },
}

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
pub struct GlobalTable {
    common: Common,
    inputs: BTreeMap<String, Input>,
    replicas: Vec<Region>,
}

/// A declared global table.
#[derive(Clone, Debug)]
pub struct GlobalTableRef {
    name: String,
}

impl GlobalTable {
    /// A table named `table_name` (3–255 of `[a-zA-Z0-9_.-]`) keyed by
    /// `partition_key`, billed per request, streaming new and old images.
    pub fn new(name: &str, table_name: impl Into<Val<String>>, partition_key: Key) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("table_name".to_string(), table_name.into().input());
        inputs.insert("partition_key".to_string(), partition_key.input());
        GlobalTable {
            common: Common::new(name),
            inputs,
            replicas: Vec::new(),
        }
    }

    /// The sort (range) key.
    pub fn sort_key(mut self, key: Key) -> Self {
        self.inputs.insert("sort_key".into(), key.input());
        self
    }

    pub fn billing(mut self, billing: Billing) -> Self {
        match billing {
            Billing::PayPerRequest => {
                self.inputs.insert(
                    "billing_mode".into(),
                    Input::from(BillingMode::PayPerRequest.as_str()),
                );
                self.inputs.remove("read_capacity");
                self.inputs.remove("write_capacity");
            }
            Billing::Provisioned { read, write } => {
                self.inputs.insert(
                    "billing_mode".into(),
                    Input::from(BillingMode::Provisioned.as_str()),
                );
                self.inputs
                    .insert("read_capacity".into(), Input::Value(json!(read)));
                self.inputs
                    .insert("write_capacity".into(), Input::Value(json!(write)));
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

    pub fn declare(mut self, stack: &mut Stack) -> GlobalTableRef {
        let regions: Vec<String> = self.replicas.iter().map(|r| r.to_string()).collect();
        self.inputs
            .insert("replica_regions".into(), Input::Value(json!(regions)));
        let name = self.common.declare(stack, global_table::TYPE, self.inputs);
        GlobalTableRef { name }
    }
}

impl Options for GlobalTable {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl GlobalTableRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn table_name(&self) -> Output<String> {
        Output::new(&self.name, "table_name")
    }
    /// The primary table's ARN.
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
    /// The table's ARN in each region (primary included), by region name.
    pub fn arns(&self) -> Output<BTreeMap<String, String>> {
        Output::new(&self.name, "arns")
    }
    /// The table's ARN in `region` (the primary or a replica region).
    pub fn arn_in(&self, region: &Region) -> Output<String> {
        Output::new(&self.name, &format!("arns.{region}"))
    }
    /// The primary table's stream ARN.
    pub fn stream_arn(&self) -> Output<String> {
        Output::new(&self.name, "stream_arn")
    }
    /// Every region holding the table, primary first.
    pub fn regions(&self) -> Output<Vec<String>> {
        Output::new(&self.name, "regions")
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
