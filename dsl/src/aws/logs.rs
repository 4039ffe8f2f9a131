//! Builder for `aws:logs:LogGroup`, with the retention periods CloudWatch
//! Logs accepts as a type (so an invalid one does not compile).

use crate::Input;
use crate::builder::{HasBuilder, declared};
use meridian_schema::aws::logs::log_group::{self, input};

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
    pub struct LogGroup => LogGroupRef = log_group {
        log_group_name: String;
        /// The group's ARN, without the `:*` that DescribeLogGroups appends.
        arn: String;
    }

    /// A log group named `log_group_name`.
    pub fn new(log_group_name = input::LOG_GROUP_NAME);
}

impl LogGroup {
    /// How long the group keeps events (default: forever).
    pub fn retention(self, retention: RetentionDays) -> Self {
        self.with(
            input::RETENTION_IN_DAYS,
            Input::Value(retention.days().into()),
        )
    }
}
