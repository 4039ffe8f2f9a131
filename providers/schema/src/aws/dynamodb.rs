//! DynamoDB: global tables, and the key and billing names DynamoDB accepts.

pub mod global_table {
    //! `aws:dynamodb:GlobalTable`: a table in the resource's region with
    //! replicas in others.

    pub const TYPE: &str = "aws:dynamodb:GlobalTable";

    pub mod input {
        pub const TABLE_NAME: &str = "table_name";
        /// An object with the keys of [`key`].
        pub const PARTITION_KEY: &str = "partition_key";
        /// An object with the keys of [`key`].
        pub const SORT_KEY: &str = "sort_key";
        /// One of [`BillingMode::NAMES`](super::super::BillingMode::NAMES).
        pub const BILLING_MODE: &str = "billing_mode";
        pub const READ_CAPACITY: &str = "read_capacity";
        pub const WRITE_CAPACITY: &str = "write_capacity";
        pub const REPLICA_REGIONS: &str = "replica_regions";

        /// The keys of a key attribute.
        pub mod key {
            pub const NAME: &str = "name";
            /// One of [`AttributeType::NAMES`](super::super::super::AttributeType::NAMES) (`"type"`).
            pub const TYPE: &str = "type";
        }
    }

    pub mod output {
        pub const TABLE_NAME: &str = "table_name";
        /// The primary table's ARN.
        pub const ARN: &str = "arn";
        /// Region → the table's ARN there (primary included).
        pub const ARNS: &str = "arns";
        pub const STREAM_ARN: &str = "stream_arn";
        /// Every region holding the table, primary first.
        pub const REGIONS: &str = "regions";
    }
}

aws_names! {
    /// The scalar type of a key attribute.
    pub enum AttributeType {
        String = "S",
        Number = "N",
        Binary = "B",
    }
}

aws_names! {
    /// How a table is billed. A table with replicas must be on demand.
    pub enum BillingMode {
        PayPerRequest = "PAY_PER_REQUEST",
        Provisioned = "PROVISIONED",
    }
}
