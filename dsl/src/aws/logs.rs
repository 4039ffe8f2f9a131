//! Builder for `aws:logs:LogGroup`, with the retention periods CloudWatch
//! Logs accepts as a type (so an invalid one does not compile).

use crate::Input;
use crate::Val;
use crate::builder::{Builder, HasBuilder, declared};
use meridian_schema::aws::logs::log_group::{TYPE, input, output};

pub use meridian_schema::aws::logs::RetentionDays;

declared! {
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
    pub struct LogGroup;
    /// A declared log group.
    LogGroupRef = TYPE {
        log_group_name: String = output::LOG_GROUP_NAME;
        /// The group's ARN, without the `:*` that DescribeLogGroups appends.
        arn: String = output::ARN;
    }
}

impl LogGroup {
    /// A log group named `log_group_name`.
    pub fn new(name: &str, log_group_name: impl Into<Val<String>>) -> Self {
        Self::from_core(Builder::new(name).with(input::LOG_GROUP_NAME, log_group_name.into()))
    }

    /// How long the group keeps events (default: forever).
    pub fn retention(self, retention: RetentionDays) -> Self {
        self.with(
            input::RETENTION_IN_DAYS,
            Input::Value(retention.days().into()),
        )
    }
}
