//! CloudWatch Logs: log groups, and the retention periods AWS accepts.

resource_type! {
    /// `aws:logs:LogGroup`. `retention_in_days` is one of
    /// [`RetentionDays::DAYS`](RetentionDays::DAYS) (absent: kept
    /// forever); the `arn` output has no `:*` suffix (DescribeLogGroups
    /// appends one).
    pub mod log_group = "aws:logs:LogGroup" {
        input { LOG_GROUP_NAME: "log_group_name", RETENTION_IN_DAYS: "retention_in_days" }
        output { LOG_GROUP_NAME: "log_group_name", ARN: "arn" }
    }
}

/// How long a log group keeps events (the values CloudWatch Logs accepts,
/// named as in the CDK's `RetentionDays`). Each variant's discriminant is
/// its number of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i64)]
pub enum RetentionDays {
    OneDay = 1,
    ThreeDays = 3,
    FiveDays = 5,
    OneWeek = 7,
    TwoWeeks = 14,
    OneMonth = 30,
    TwoMonths = 60,
    ThreeMonths = 90,
    FourMonths = 120,
    FiveMonths = 150,
    SixMonths = 180,
    OneYear = 365,
    ThirteenMonths = 400,
    EighteenMonths = 545,
    TwoYears = 731,
    ThreeYears = 1096,
    FiveYears = 1827,
    SixYears = 2192,
    SevenYears = 2557,
    EightYears = 2922,
    NineYears = 3288,
    TenYears = 3653,
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
    pub const DAYS: [i64; 22] = {
        let mut days = [0; 22];
        let mut i = 0;
        while i < days.len() {
            days[i] = Self::ALL[i].days();
            i += 1;
        }
        days
    };

    /// The period of exactly `days` days, if CloudWatch Logs accepts it.
    pub fn from_days(days: i64) -> Option<RetentionDays> {
        Self::ALL.into_iter().find(|r| r.days() == days)
    }

    /// The number of days.
    pub const fn days(self) -> i64 {
        self as i64
    }
}
