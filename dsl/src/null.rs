//! Builder for the `null` provider's resource (no cloud; outputs echo inputs).

use crate::{Common, Input, Options, Output, Stack};
use std::collections::BTreeMap;

/// A `null:index:Resource`: free-form inputs, echoed as outputs.
pub struct NullResource {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared null resource.
#[derive(Clone, Debug)]
pub struct NullResourceRef {
    name: String,
}

impl NullResource {
    pub fn new(name: &str) -> Self {
        NullResource {
            common: Common::new(name),
            inputs: BTreeMap::new(),
        }
    }

    /// Sets an input (a literal or another resource's output).
    pub fn input(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.inputs.insert(key.to_string(), value.into());
        self
    }

    /// A change to the triggers replaces the resource.
    pub fn triggers(self, value: impl Into<Input>) -> Self {
        self.input("triggers", value)
    }

    /// Simulated latency of each operation on this resource.
    pub fn latency_ms(self, ms: f64) -> Self {
        self.input("latency_ms", serde_json::json!(ms))
    }

    pub fn declare(self, stack: &mut Stack) -> NullResourceRef {
        let name = self
            .common
            .declare(stack, "null:index:Resource", self.inputs);
        NullResourceRef { name }
    }
}

impl Options for NullResource {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl NullResourceRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
    /// Any output (the inputs are echoed).
    pub fn output<T>(&self, key: &str) -> Output<T> {
        Output::new(&self.name, key)
    }
}
