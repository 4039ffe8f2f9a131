//! Builder for `aws:logs:LogGroup`, with the retention periods CloudWatch
//! Logs accepts as a type (so an invalid one does not compile).

use crate::{Common, Input, Options, Output, Stack, Val};
use meridian_schema::aws::logs::log_group;
use std::collections::BTreeMap;

pub use meridian_schema::aws::logs::RetentionDays;

/// An `aws:logs:LogGroup`. The name is fixed (changing it replaces the
/// group); without a retention, events are kept forever.
///
/// ```
/// use meridian_dsl::{Options, Region, Stack};
/// use meridian_dsl::aws::logs::{LogGroup, RetentionDays};
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let logs = LogGroup::new("fn-logs", "log-group")
///     .retention(RetentionDays::ThreeMonths)
///     .region(Region::SA_EAST_1)
///     .declare(&mut stack);
/// stack.export("log_group_arn", logs.arn());
/// assert_eq!(stack.resources()[0].region, "sa-east-1");
/// ```
pub struct LogGroup {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared log group.
#[derive(Clone, Debug)]
pub struct LogGroupRef {
    name: String,
}

impl LogGroup {
    pub fn new(name: &str, log_group_name: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("log_group_name".to_string(), log_group_name.into().input());
        LogGroup {
            common: Common::new(name),
            inputs,
        }
    }

    pub fn retention(mut self, retention: RetentionDays) -> Self {
        self.inputs.insert(
            "retention_in_days".into(),
            Input::Value(retention.days().into()),
        );
        self
    }

    pub fn declare(self, stack: &mut Stack) -> LogGroupRef {
        let name = self.common.declare(stack, log_group::TYPE, self.inputs);
        LogGroupRef { name }
    }
}

impl Options for LogGroup {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl LogGroupRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn log_group_name(&self) -> Output<String> {
        Output::new(&self.name, "log_group_name")
    }
    /// The group's ARN, without the `:*` that DescribeLogGroups appends.
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
}
