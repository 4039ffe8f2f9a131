//! The per-stack lease: one item `{pk: "stack#NAME", sk: "lease"}` taken
//! with a conditional write, renewed while its holder lives, released on
//! exit, broken by `meridian unlock`. See the crate doc for the protocol.

use crate::errors::{CallError, Item};
use crate::schema::{self, attr};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::time::Duration;

/// Who runs: written into the lease so that a refused run can say who holds
/// the stack.
#[derive(Clone, Debug)]
pub(crate) struct Holder {
    /// Random per open: the fencing token every write is conditioned on.
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub user: String,
    pub command: String,
}

impl Holder {
    pub(crate) fn new(command: &str) -> Self {
        Holder {
            id: format!("{:032x}", rand::random::<u128>()),
            host: hostname(),
            pid: std::process::id(),
            user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            command: command.to_string(),
        }
    }
}

/// A lease as stored (`holder: None` when nobody holds it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LeaseView {
    pub holder: Option<String>,
    pub host: String,
    pub pid: u64,
    pub user: String,
    pub command: String,
    pub renewed_at_ms: u64,
    pub expires_at_ms: u64,
    pub renew_every_ms: u64,
    pub generation: u64,
    pub next_sequence: u64,
    pub format: u32,
    pub importing: bool,
}

impl LeaseView {
    pub(crate) fn from_item(item: &Item) -> Self {
        let s = |k: &str| schema::get_s(item, k).unwrap_or_default();
        let n = |k: &str| schema::get_n(item, k).unwrap_or(0);
        LeaseView {
            holder: schema::get_s(item, attr::HOLDER),
            host: s(attr::HOST),
            pid: n(attr::PID),
            user: s(attr::USER),
            command: s(attr::COMMAND),
            renewed_at_ms: n(attr::RENEWED_AT),
            expires_at_ms: n(attr::EXPIRES_AT),
            renew_every_ms: n(attr::RENEW_EVERY),
            generation: n(attr::GENERATION),
            next_sequence: n(attr::NEXT_SEQUENCE),
            format: u32::try_from(n(attr::FORMAT)).unwrap_or(u32::MAX),
            importing: matches!(item.get(attr::IMPORTING), Some(AttributeValue::Bool(true))),
        }
    }

    /// ` (user U, pid P on HOST, running `CMD`; lease expires in N s)`, for
    /// `StateError::Locked`.
    pub(crate) fn describe(&self, now_ms: u64) -> String {
        let left = self.expires_at_ms.saturating_sub(now_ms);
        format!(
            " (user {}, pid {} on {}, running `{}`; its lease expires in {} s unless renewed)",
            self.user,
            self.pid,
            self.host,
            self.command,
            left.div_ceil(1000)
        )
    }

    pub(crate) fn expired(&self, now_ms: u64) -> bool {
        self.expires_at_ms < now_ms
    }
}

/// What taking the lease gave.
pub(crate) struct Acquired {
    pub generation: u64,
    pub format: u32,
}

pub(crate) enum AcquireError {
    /// Someone else holds a live lease.
    Held(LeaseView),
    Call(CallError),
}

/// Takes the lease if nobody holds it or its holder let it expire. The
/// write also bumps the generation (fencing journal sequence numbers) and
/// stamps the format on a new stack.
pub(crate) async fn acquire(
    client: &Client,
    table: &str,
    pk: &str,
    holder: &Holder,
    ttl: Duration,
    renew_every: Duration,
) -> Result<Acquired, AcquireError> {
    let now = now_ms();
    let out = client
        .update_item()
        .table_name(table)
        .set_key(Some(schema::key(pk, schema::LEASE_SK)))
        .update_expression(
            "SET #holder = :me, #host = :host, #pid = :pid, #user = :user, #command = :command, \
             #acquired = :now, #renewed = :now, #expires = :expires, #every = :every, \
             #format = if_not_exists(#format, :format) ADD #generation :one",
        )
        .condition_expression("attribute_not_exists(#holder) OR #expires < :now")
        .expression_attribute_names("#holder", attr::HOLDER)
        .expression_attribute_names("#host", attr::HOST)
        .expression_attribute_names("#pid", attr::PID)
        .expression_attribute_names("#user", attr::USER)
        .expression_attribute_names("#command", attr::COMMAND)
        .expression_attribute_names("#acquired", attr::ACQUIRED_AT)
        .expression_attribute_names("#renewed", attr::RENEWED_AT)
        .expression_attribute_names("#expires", attr::EXPIRES_AT)
        .expression_attribute_names("#every", attr::RENEW_EVERY)
        .expression_attribute_names("#format", attr::FORMAT)
        .expression_attribute_names("#generation", attr::GENERATION)
        .expression_attribute_values(":me", AttributeValue::S(holder.id.clone()))
        .expression_attribute_values(":host", AttributeValue::S(holder.host.clone()))
        .expression_attribute_values(":pid", schema::n(holder.pid))
        .expression_attribute_values(":user", AttributeValue::S(holder.user.clone()))
        .expression_attribute_values(":command", AttributeValue::S(holder.command.clone()))
        .expression_attribute_values(":now", schema::n(now))
        .expression_attribute_values(":expires", schema::n(now + ms(ttl)))
        .expression_attribute_values(":every", schema::n(ms(renew_every)))
        .expression_attribute_values(":format", schema::n(meridian_state::FORMAT_VERSION))
        .expression_attribute_values(":one", schema::n(1))
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match out {
        Ok(out) => {
            let view = out
                .attributes()
                .map(LeaseView::from_item)
                .unwrap_or_default();
            Ok(Acquired {
                generation: view.generation,
                format: view.format,
            })
        }
        Err(e) => match CallError::from_update(e) {
            CallError::ConditionFailed(Some(item)) => {
                Err(AcquireError::Held(LeaseView::from_item(&item)))
            }
            // DynamoDB did not return the item: read it to name the holder.
            CallError::ConditionFailed(None) => match read(client, table, pk).await {
                Ok(view) => Err(AcquireError::Held(view.unwrap_or_default())),
                Err(e) => Err(AcquireError::Call(e)),
            },
            other => Err(AcquireError::Call(other)),
        },
    }
}

/// Pushes the expiry forward. `ConditionFailed` means the lease is no
/// longer this holder's.
pub(crate) async fn renew(
    client: &Client,
    table: &str,
    pk: &str,
    holder_id: &str,
    ttl: Duration,
) -> Result<(), CallError> {
    let now = now_ms();
    let values = [
        (":now", schema::n(now)),
        (":expires", schema::n(now + ms(ttl))),
    ];
    update_if_held(client, table, pk, holder_id, &RENEW, values).await
}

/// Clears the holder fields if `holder_id` still holds the lease. The item
/// itself stays: it carries the stack's sequence counter and generation.
pub(crate) async fn clear(
    client: &Client,
    table: &str,
    pk: &str,
    holder_id: &str,
) -> Result<(), CallError> {
    let values = [(":zero", schema::n(0))];
    update_if_held(client, table, pk, holder_id, &CLEAR, values).await
}

/// An update of the lease item made only while its holder holds it: the
/// expression and the attributes its `#placeholders` name (`#holder` and
/// `:me` are added by [`update_if_held`]).
struct HeldUpdate {
    expression: &'static str,
    names: &'static [(&'static str, &'static str)],
}

const RENEW: HeldUpdate = HeldUpdate {
    expression: "SET #renewed = :now, #expires = :expires",
    names: &[
        ("#renewed", attr::RENEWED_AT),
        ("#expires", attr::EXPIRES_AT),
    ],
};

const CLEAR: HeldUpdate = HeldUpdate {
    expression: "REMOVE #holder, #host, #pid, #user, #command, #acquired, #renewed, #every SET #expires = :zero",
    names: &[
        ("#host", attr::HOST),
        ("#pid", attr::PID),
        ("#user", attr::USER),
        ("#command", attr::COMMAND),
        ("#acquired", attr::ACQUIRED_AT),
        ("#renewed", attr::RENEWED_AT),
        ("#every", attr::RENEW_EVERY),
        ("#expires", attr::EXPIRES_AT),
    ],
};

/// Applies `update` with `values` (its `:placeholders`) if `holder_id` still
/// holds the lease; `ConditionFailed` otherwise.
async fn update_if_held<const N: usize>(
    client: &Client,
    table: &str,
    pk: &str,
    holder_id: &str,
    update: &HeldUpdate,
    values: [(&str, AttributeValue); N],
) -> Result<(), CallError> {
    let mut request = client
        .update_item()
        .table_name(table)
        .set_key(Some(schema::key(pk, schema::LEASE_SK)))
        .update_expression(update.expression)
        .condition_expression("#holder = :me")
        .expression_attribute_names("#holder", attr::HOLDER)
        .expression_attribute_values(":me", AttributeValue::S(holder_id.to_string()));
    for (placeholder, attribute) in update.names {
        request = request.expression_attribute_names(*placeholder, *attribute);
    }
    for (placeholder, value) in values {
        request = request.expression_attribute_values(placeholder, value);
    }
    request
        .send()
        .await
        .map(|_| ())
        .map_err(CallError::from_update)
}

/// The lease as stored now (strongly consistent), `None` for a stack that
/// was never opened.
pub(crate) async fn read(
    client: &Client,
    table: &str,
    pk: &str,
) -> Result<Option<LeaseView>, CallError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(schema::key(pk, schema::LEASE_SK)))
        .consistent_read(true)
        .send()
        .await
        .map_err(CallError::from_sdk)?;
    Ok(out.item().map(LeaseView::from_item))
}

/// What `unlock` did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unlocked {
    NotLocked,
    BrokeExpired(LeaseView),
    BrokeStale(LeaseView),
    BrokeLive(LeaseView),
    /// Refused: the holder renewed the lease while we watched.
    StillRenewed(LeaseView),
    /// Another run took the lease while we watched; nothing was broken.
    Changed(LeaseView),
}

/// Breaks a stack's lease. Without `force`, only a lease whose holder has
/// stopped renewing it: if the lease is live, watch it until one renewal
/// is overdue (half an interval of grace), and refuse if it was renewed.
pub(crate) async fn unlock(
    client: &Client,
    table: &str,
    pk: &str,
    force: bool,
    mut announce: impl FnMut(&str),
) -> Result<Unlocked, CallError> {
    let Some(first) = read(client, table, pk).await? else {
        return Ok(Unlocked::NotLocked);
    };
    let Some(id) = first.holder.clone() else {
        return Ok(Unlocked::NotLocked);
    };
    let now = now_ms();
    if first.expired(now) || force {
        let outcome = if first.expired(now) {
            Unlocked::BrokeExpired(first.clone())
        } else {
            Unlocked::BrokeLive(first.clone())
        };
        return match clear(client, table, pk, &id).await {
            Ok(()) => Ok(outcome),
            Err(CallError::ConditionFailed(_)) => changed(client, table, pk).await,
            Err(e) => Err(e),
        };
    }
    // A renewal is overdue once an interval and a half has passed since the
    // last one; by the lease's expiry at the latest.
    let overdue_at =
        (first.renewed_at_ms + first.renew_every_ms * 3 / 2 + 250).min(first.expires_at_ms + 1);
    if overdue_at > now {
        announce(&format!(
            "The lease is live; watching it for {:.1} s to see whether its holder still renews it...",
            (overdue_at - now) as f64 / 1000.0
        ));
        tokio::time::sleep(Duration::from_millis(overdue_at - now)).await;
    }
    let Some(second) = read(client, table, pk).await? else {
        return Ok(Unlocked::NotLocked);
    };
    if second.holder.as_deref() != Some(id.as_str()) {
        return Ok(match second.holder {
            None => Unlocked::NotLocked,
            Some(_) => Unlocked::Changed(second),
        });
    }
    if second.renewed_at_ms != first.renewed_at_ms {
        return Ok(Unlocked::StillRenewed(second));
    }
    match clear(client, table, pk, &id).await {
        Ok(()) => Ok(Unlocked::BrokeStale(second)),
        Err(CallError::ConditionFailed(_)) => changed(client, table, pk).await,
        Err(e) => Err(e),
    }
}

async fn changed(client: &Client, table: &str, pk: &str) -> Result<Unlocked, CallError> {
    Ok(match read(client, table, pk).await? {
        Some(v) if v.holder.is_some() => Unlocked::Changed(v),
        _ => Unlocked::NotLocked,
    })
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_described_by_user_pid_host_command_and_time_left() {
        let v = LeaseView {
            holder: Some("h".into()),
            host: "box".into(),
            pid: 42,
            user: "ana".into(),
            command: "up --stack dev".into(),
            expires_at_ms: 10_500,
            ..Default::default()
        };
        assert_eq!(
            v.describe(1_000),
            " (user ana, pid 42 on box, running `up --stack dev`; its lease expires in 10 s unless renewed)"
        );
        assert!(!v.expired(10_500));
        assert!(v.expired(10_501));
    }

    #[test]
    fn holder_ids_are_unique_per_open() {
        assert_ne!(Holder::new("up").id, Holder::new("up").id);
    }
}
