//! Builder for `aws:logs:LogGroup`, with the retention periods CloudWatch
//! Logs accepts as a type (so an invalid one does not compile).

use crate::{Common, Input, Options, Output, Stack, Val};
use std::collections::BTreeMap;

/// How long a log group keeps events (the values CloudWatch Logs accepts,
/// named as in the CDK's `RetentionDays`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetentionDays {
    OneDay,
    ThreeDays,
    FiveDays,
    OneWeek,
    TwoWeeks,
    OneMonth,
    TwoMonths,
    ThreeMonths,
    FourMonths,
    FiveMonths,
    SixMonths,
    OneYear,
    ThirteenMonths,
    EighteenMonths,
    TwoYears,
    ThreeYears,
    FiveYears,
    SixYears,
    SevenYears,
    EightYears,
    NineYears,
    TenYears,
}

impl RetentionDays {
    /// Every retention period, shortest first.
    pub const ALL: [RetentionDays; 22] = {
        use RetentionDays::*;
        [
            OneDay,
            ThreeDays,
            FiveDays,
            OneWeek,
            TwoWeeks,
            OneMonth,
            TwoMonths,
            ThreeMonths,
            FourMonths,
            FiveMonths,
            SixMonths,
            OneYear,
            ThirteenMonths,
            EighteenMonths,
            TwoYears,
            ThreeYears,
            FiveYears,
            SixYears,
            SevenYears,
            EightYears,
            NineYears,
            TenYears,
        ]
    };

    /// The period of exactly `days` days, if CloudWatch Logs accepts it.
    pub fn from_days(days: i64) -> Option<RetentionDays> {
        Self::ALL.into_iter().find(|r| r.days() == days)
    }

    /// The number of days.
    pub fn days(self) -> i64 {
        use RetentionDays::*;
        match self {
            OneDay => 1,
            ThreeDays => 3,
            FiveDays => 5,
            OneWeek => 7,
            TwoWeeks => 14,
            OneMonth => 30,
            TwoMonths => 60,
            ThreeMonths => 90,
            FourMonths => 120,
            FiveMonths => 150,
            SixMonths => 180,
            OneYear => 365,
            ThirteenMonths => 400,
            EighteenMonths => 545,
            TwoYears => 731,
            ThreeYears => 1096,
            FiveYears => 1827,
            SixYears => 2192,
            SevenYears => 2557,
            EightYears => 2922,
            NineYears => 3288,
            TenYears => 3653,
        }
    }
}

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
        let name = self.common.declare(stack, "aws:logs:LogGroup", self.inputs);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_retention_is_one_aws_accepts() {
        use RetentionDays::*;
        let all = [
            OneDay,
            ThreeDays,
            FiveDays,
            OneWeek,
            TwoWeeks,
            OneMonth,
            TwoMonths,
            ThreeMonths,
            FourMonths,
            FiveMonths,
            SixMonths,
            OneYear,
            ThirteenMonths,
            EighteenMonths,
            TwoYears,
            ThreeYears,
            FiveYears,
            SixYears,
            SevenYears,
            EightYears,
            NineYears,
            TenYears,
        ];
        let days: Vec<i64> = all.iter().map(|r| r.days()).collect();
        assert_eq!(days, meridian_providers::aws::logs::RETENTION_DAYS);
    }
}
