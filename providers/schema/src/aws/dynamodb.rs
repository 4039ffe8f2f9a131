//! DynamoDB: global tables, and the key and billing names DynamoDB accepts.

resource_type! {
    /// `aws:dynamodb:GlobalTable`: a table in the resource's region with
    /// replicas in `replica_regions`. `partition_key` and `sort_key` are
    /// objects with the keys of [`global_table::input::key`]; `billing_mode` is one of
    /// [`BillingMode::NAMES`](BillingMode::NAMES). Outputs: `arn` is
    /// the primary table's, `arns` maps each region to the table's ARN there,
    /// `regions` lists every region holding the table, primary first.
    pub mod global_table = "aws:dynamodb:GlobalTable" {
        input {
            TABLE_NAME, PARTITION_KEY, SORT_KEY,
            BILLING_MODE, READ_CAPACITY,
            WRITE_CAPACITY, REPLICA_REGIONS;

            keys! {
                /// The keys of a key attribute (`TYPE`: one of
                /// [`AttributeType::NAMES`](super::super::AttributeType::NAMES)).
                pub mod key { NAME, TYPE }
            }
        }
        output { TABLE_NAME, ARN, ARNS, STREAM_ARN, REGIONS }
    }
}

aws_names! {
    /// The scalar type of a key attribute.
    pub enum AttributeType {
        String = "S", Number = "N", Binary = "B",
    }
}

aws_names! {
    /// How a table is billed. A table with replicas must be on demand.
    pub enum BillingMode {
        PayPerRequest = "PAY_PER_REQUEST", Provisioned = "PROVISIONED",
    }
}
