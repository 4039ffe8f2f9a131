//! CloudWatch Logs: log groups, and the retention periods AWS accepts.

pub mod log_group {
    //! `aws:logs:LogGroup`.

    pub const TYPE: &str = "aws:logs:LogGroup";

    pub mod input {
        pub const LOG_GROUP_NAME: &str = "log_group_name";
        /// Days, one of [`RetentionDays::DAYS`](super::super::RetentionDays::DAYS);
        /// absent: kept forever.
        pub const RETENTION_IN_DAYS: &str = "retention_in_days";
    }

    pub mod output {
        pub const LOG_GROUP_NAME: &str = "log_group_name";
        /// The group's ARN, without the `:*` that DescribeLogGroups appends.
        pub const ARN: &str = "arn";
    }
}

/// How long a log group keeps events (the values CloudWatch Logs accepts,
/// named as in the CDK's `RetentionDays`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

    /// The day counts CloudWatch Logs accepts, in the order of
    /// [`RetentionDays::ALL`].
    pub const DAYS: [i64; 22] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ];

    /// The period of exactly `days` days, if CloudWatch Logs accepts it.
    pub fn from_days(days: i64) -> Option<RetentionDays> {
        Self::ALL.into_iter().find(|r| r.days() == days)
    }

    /// The number of days.
    pub const fn days(self) -> i64 {
        // `ALL` lists the variants in declaration order, so a variant's
        // discriminant is its index in `ALL` and `DAYS`.
        Self::DAYS[self as usize]
    }
}
