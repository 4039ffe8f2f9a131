//! CloudWatch Logs: `aws:logs:LogGroup` (in `log_group`), the group a
//! Lambda function writes to, with its retention.

pub mod log_group;

pub use log_group::{LOG_GROUP, LogGroup, is_log_group_name};
