//! The null provider's one type: free-form inputs echoed as outputs, no
//! cloud (for trying the engine, tests and benchmarks).

pub mod resource {
    //! `null:index:Resource`. Any input is allowed and echoed as an output;
    //! these are the ones the provider itself acts on.

    pub const TYPE: &str = "null:index:Resource";

    /// Input keys the provider acts on (any other is echoed).
    pub mod input {
        /// A change replaces the resource.
        pub const TRIGGERS: &str = "triggers";
        /// Simulated latency of each operation, in milliseconds.
        pub const LATENCY_MS: &str = "latency_ms";
    }

    /// Output keys besides the echoed inputs.
    pub mod output {
        pub const ID: &str = "id";
    }
}
