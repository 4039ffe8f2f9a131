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
            TABLE_NAME: "table_name", PARTITION_KEY: "partition_key", SORT_KEY: "sort_key",
            BILLING_MODE: "billing_mode", READ_CAPACITY: "read_capacity",
            WRITE_CAPACITY: "write_capacity", REPLICA_REGIONS: "replica_regions";

            keys! {
                /// The keys of a key attribute (`TYPE`: one of
                /// [`AttributeType::NAMES`](super::super::AttributeType::NAMES)).
                pub mod key { NAME: "name", TYPE: "type" }
            }
        }
        output {
            TABLE_NAME: "table_name", ARN: "arn", ARNS: "arns", STREAM_ARN: "stream_arn",
            REGIONS: "regions",
        }
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
