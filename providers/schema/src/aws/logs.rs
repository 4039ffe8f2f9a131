//! CloudWatch Logs: log groups, and the retention periods AWS accepts.

resource_type! {
    /// `aws:logs:LogGroup`. `retention_in_days` is one of
    /// [`RetentionDays::DAYS`](RetentionDays::DAYS) (absent: kept
    /// forever); the `arn` output has no `:*` suffix (DescribeLogGroups
    /// appends one).
    pub mod log_group = "aws:logs:LogGroup" {
        input { LOG_GROUP_NAME, RETENTION_IN_DAYS }
        output { LOG_GROUP_NAME, ARN }
    }
}

enumeration! {
    /// How long a log group keeps events (the values CloudWatch Logs
    /// accepts, named as in the CDK's `RetentionDays`), shortest first.
    pub enum RetentionDays {
        OneDay = 1, ThreeDays = 3, FiveDays = 5, OneWeek = 7, TwoWeeks = 14, OneMonth = 30,
        TwoMonths = 60, ThreeMonths = 90, FourMonths = 120, FiveMonths = 150, SixMonths = 180,
        OneYear = 365, ThirteenMonths = 400, EighteenMonths = 545, TwoYears = 731,
        ThreeYears = 1096, FiveYears = 1827, SixYears = 2192, SevenYears = 2557,
        EightYears = 2922, NineYears = 3288, TenYears = 3653,
    }
    /// The day counts CloudWatch Logs accepts, in the order of
    /// [`RetentionDays::ALL`].
    const DAYS: [i64];
    /// The number of days.
    fn days;
    /// The period of exactly `days` days, if CloudWatch Logs accepts it.
    fn from_days(days: i64);
}
