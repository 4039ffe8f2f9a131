//! The smallest useful Meridian program, and the `minimal` template of
//! `meridian new`: one CloudWatch Logs group, its retention read from the
//! stack's configuration.
//!
//! ```text
//! scripts/with-local-aws cargo run --example minimal -- preview
//! scripts/with-local-aws cargo run --example minimal -- up --yes
//! ```

use meridian::dsl::Stack;
use meridian::dsl::aws::logs::{LogGroup, RetentionDays};
use serde::Deserialize;

/// The stack's configuration: `config set retention_days 30` saves one
/// value; an absent one takes the default below.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Settings {
    /// How long the group keeps events (one of CloudWatch Logs' periods).
    retention_days: RetentionDays,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retention_days: RetentionDays::OneMonth,
        }
    }
}

fn program(stack: &mut Stack) -> Result<(), Box<dyn std::error::Error>> {
    let settings: Settings = stack.config()?;
    let logs = LogGroup::new("logs", format!("/meridian/{}/app", stack.name()))
        .retention(settings.retention_days)
        .declare(stack);
    stack.export("log_group_arn", logs.arn());
    Ok(())
}

fn main() -> std::process::ExitCode {
    meridian::run(program)
}
