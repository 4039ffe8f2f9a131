//! The null provider's one type: free-form inputs echoed as outputs, no
//! cloud (for trying the engine, tests and benchmarks).

resource_type! {
    /// `null:index:Resource`. Any input is allowed and echoed as an output;
    /// these are the ones the provider itself acts on: a change to
    /// `triggers` replaces the resource, `latency_ms` simulates the latency
    /// of each operation; the output `secret` is marked secret.
    pub mod resource = "null:index:Resource" {
        input { TRIGGERS, LATENCY_MS }
        output { ID, SECRET }
    }
}
