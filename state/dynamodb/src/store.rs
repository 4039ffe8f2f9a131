//! [`DynamoState`]: one stack's state in the backend table. Every write is
//! one request that returns only once DynamoDB has stored it, and carries a
//! condition that this process still holds the stack's lease.

use crate::bridge::Bridge;
use crate::errors::{CallError, Item, Rejection, Role, classify};
use crate::lease::{self, Holder, LeaseView};
use crate::schema::{self, JOURNAL_PREFIX, LEASE_SK, OUTPUTS_SK, RECORD_PREFIX, SK, attr};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem,
};
use meridian_state::{
    Completion, FORMAT_VERSION, PendingOperation, ResourceRecord, StackState, StateError,
    StateStore, WriteStats,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// DynamoDB's limit on the items of one TransactWriteItems (the lease check
/// takes one).
const MAX_TRANSACTION_ITEMS: usize = 100;
/// DynamoDB's limit is 4 MB per transaction; stay under it.
const MAX_TRANSACTION_BYTES: usize = 3_500_000;
/// Attempts of a write that meets a conflicting transaction (the lease item
/// is in every transaction of this writer, so parallel steps can conflict).
const CONFLICT_ATTEMPTS: u32 = 12;
/// How long `drop` waits to release the lease before leaving it to expire.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

/// What the store and its renewal task share.
pub(crate) struct Shared {
    pub client: Client,
    pub table: String,
    pub pk: String,
    pub stack: String,
    /// `dynamodb://TABLE?region=R`, for messages and commands to copy.
    pub url: String,
    pub location: String,
    pub holder: Holder,
    pub ttl: Duration,
    pub renew_every: Duration,
    /// Set when a renewal found the lease taken: why, for every later write.
    pub lost: Mutex<Option<String>>,
}

/// One stack's state in a DynamoDB table, held under the stack's lease
/// until dropped.
pub struct DynamoState {
    shared: Arc<Shared>,
    generation: u64,
    counter: AtomicU64,
    renewer: Option<tokio::task::JoinHandle<()>>,
    stats: Stats,
    /// Declared last: dropped after the lease is released.
    bridge: Bridge,
}

#[derive(Default)]
struct Stats {
    batches: AtomicU64,
    bytes: AtomicU64,
}

/// How a write failed.
enum Failure {
    Rejected(Rejection),
    Call(CallError),
}

impl DynamoState {
    pub(crate) fn new(shared: Arc<Shared>, generation: u64, bridge: Bridge) -> Self {
        let renewer = bridge.handle().spawn(renew_loop(shared.clone()));
        DynamoState {
            shared,
            generation,
            counter: AtomicU64::new(0),
            renewer: Some(renewer),
            stats: Stats::default(),
            bridge,
        }
    }

    /// A journal entry's sequence number: later lease generations always
    /// number higher, and within one, entries number in the order begun.
    fn next_journal_seq(&self) -> u64 {
        (self.generation << 32) | (self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn backend(&self, detail: String) -> StateError {
        StateError::Backend {
            path: self.shared.location.clone(),
            detail,
        }
    }

    fn corrupt(&self, sk: &str, detail: impl std::fmt::Display) -> StateError {
        StateError::Corrupt {
            path: self.shared.location.clone(),
            detail: format!("item {sk}: {detail}"),
        }
    }

    fn lost_error(&self, what: &str, why: &str) -> StateError {
        self.backend(format!(
            "{what} was refused: this run no longer holds the lease on stack {stack} ({why}). \
             Nothing was overwritten, and this run can write nothing more: stop it. The next run \
             reconciles what this one left pending",
            stack = self.shared.stack
        ))
    }

    /// Why the lease is gone, naming whoever holds it now (one read);
    /// remembered, so later writes are refused without a call.
    fn taken_over(&self) -> String {
        let why = self.read_taken_over();
        *self.shared.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
        why
    }

    fn read_taken_over(&self) -> String {
        let shared = self.shared.clone();
        let now = lease::now_ms();
        let current = self.bridge.run_timeout(
            async move { lease::read(&shared.client, &shared.table, &shared.pk).await },
            Some(RELEASE_WAIT),
        );
        match current {
            Some(Ok(Some(v))) if v.holder.is_some() => format!(
                "it lapsed or was broken with `meridian unlock --force`; it is now held by another run{}",
                v.describe(now)
            ),
            Some(Ok(_)) => {
                "it lapsed or was broken with `meridian unlock --force`; nobody holds it now".into()
            }
            _ => "it lapsed or was broken with `meridian unlock --force`, and another run may hold it now".into(),
        }
    }

    fn check_lease(&self, what: &str) -> Result<(), StateError> {
        let lost = self
            .shared
            .lost
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match lost {
            Some(why) => Err(self.lost_error(what, &why)),
            None => Ok(()),
        }
    }

    fn call_error(&self, what: &str, e: CallError) -> StateError {
        match e {
            CallError::TableMissing => self.backend(table_missing(&self.shared)),
            CallError::ConditionFailed(_) => self.lost_error(what, &self.taken_over()),
            CallError::Conflict => self.backend(format!(
                "{what}: DynamoDB kept reporting a conflicting transaction after {CONFLICT_ATTEMPTS} attempts; nothing was written. Try again"
            )),
            CallError::Cancelled(reasons) => {
                self.backend(format!("{what}: cancelled ({})", reasons.join(", ")))
            }
            CallError::Other(detail) => self.backend(format!("{what}: {detail}")),
        }
    }

    fn doc<T: serde::Serialize + ?Sized>(&self, sk: &str, v: &T) -> Result<String, StateError> {
        let text = serde_json::to_string(v).map_err(|e| self.corrupt(sk, e))?;
        if text.len() > schema::MAX_DOC_BYTES {
            return Err(self.backend(format!(
                "{sk} is {} bytes as JSON, more than a DynamoDB item holds ({} bytes). \
                 Keep this stack on the sled backend (--state DIR), or make that resource's inputs smaller",
                text.len(),
                schema::MAX_DOC_BYTES
            )));
        }
        Ok(text)
    }

    fn put(
        &self,
        sk: &str,
        doc: String,
        seq: Option<u64>,
    ) -> Result<TransactWriteItem, StateError> {
        let mut item = schema::key(&self.shared.pk, sk);
        item.insert(attr::DOC.into(), AttributeValue::S(doc));
        let mut put = Put::builder()
            .table_name(&self.shared.table)
            .set_item(Some(item));
        if let Some(seq) = seq {
            // A journal entry never replaces a later one (a newer writer's).
            put = put
                .condition_expression("attribute_not_exists(#seq) OR #seq <= :seq")
                .expression_attribute_names("#seq", attr::SEQ)
                .expression_attribute_values(":seq", schema::n(seq))
                .item(attr::SEQ, schema::n(seq));
        }
        let put = put
            .build()
            .map_err(|e| self.backend(format!("building a write of {sk}: {e}")))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(&self, sk: &str) -> Result<TransactWriteItem, StateError> {
        let delete = Delete::builder()
            .table_name(&self.shared.table)
            .set_key(Some(schema::key(&self.shared.pk, sk)))
            .build()
            .map_err(|e| self.backend(format!("building a deletion of {sk}: {e}")))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn lease_check(&self) -> Result<TransactWriteItem, StateError> {
        let check = ConditionCheck::builder()
            .table_name(&self.shared.table)
            .set_key(Some(schema::key(&self.shared.pk, LEASE_SK)))
            .condition_expression("#holder = :me")
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_values(":me", AttributeValue::S(self.shared.holder.id.clone()))
            .build()
            .map_err(|e| self.backend(format!("building the lease check: {e}")))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Writes `ops` in one transaction together with the lease check:
    /// all or nothing, durable when it returns.
    fn transact(
        &self,
        what: &str,
        ops: Vec<(Role, TransactWriteItem)>,
        bytes: usize,
    ) -> Result<(), StateError> {
        self.check_lease(what)?;
        let mut roles = vec![Role::Lease];
        let mut items = vec![self.lease_check()?];
        for (role, item) in ops {
            roles.push(role);
            items.push(item);
        }
        let client = self.shared.client.clone();
        let outcome = self.bridge.run(async move {
            let mut delay = Duration::from_millis(20);
            let mut attempt = 1;
            loop {
                let sent = client
                    .transact_write_items()
                    .set_transact_items(Some(items.clone()))
                    .send()
                    .await;
                let rejection = match sent {
                    Ok(_) => return Ok(()),
                    Err(e) => match CallError::from_transact(e) {
                        CallError::Cancelled(reasons) => classify(&reasons, &roles),
                        CallError::Conflict => Rejection::Conflict,
                        other => return Err(Failure::Call(other)),
                    },
                };
                if rejection != Rejection::Conflict || attempt >= CONFLICT_ATTEMPTS {
                    return Err(Failure::Rejected(rejection));
                }
                attempt += 1;
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        });
        match outcome {
            Some(Ok(())) => {
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                self.stats.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
                Ok(())
            }
            Some(Err(Failure::Call(e))) => Err(self.call_error(what, e)),
            Some(Err(Failure::Rejected(r))) => Err(match r {
                Rejection::LeaseLost => self.lost_error(what, &self.taken_over()),
                Rejection::JournalNewer(key) => self.backend(format!(
                    "{what} lost a race: a later journal entry for {key} was written by another run; nothing was overwritten. Stop this run"
                )),
                Rejection::Conflict => self.call_error(what, CallError::Conflict),
                Rejection::Other(detail) => self.backend(format!("{what} was refused: {detail}")),
            }),
            None => Err(self.backend(format!("{what}: the DynamoDB task stopped"))),
        }
    }

    /// An UpdateItem on the lease item, conditioned on holding it;
    /// returns the updated attributes.
    fn update_lease(
        &self,
        what: &str,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
        names: Vec<(&str, &str)>,
    ) -> Result<Item, StateError> {
        self.check_lease(what)?;
        let shared = self.shared.clone();
        let expression = expression.to_string();
        let values: Vec<(String, AttributeValue)> = values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let names: Vec<(String, String)> = names
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let outcome = self.bridge.run(async move {
            let mut delay = Duration::from_millis(20);
            let mut attempt = 1;
            loop {
                let mut req = shared
                    .client
                    .update_item()
                    .table_name(&shared.table)
                    .set_key(Some(schema::key(&shared.pk, LEASE_SK)))
                    .update_expression(&expression)
                    .condition_expression("#holder = :me")
                    .expression_attribute_names("#holder", attr::HOLDER)
                    .expression_attribute_values(":me", AttributeValue::S(shared.holder.id.clone()))
                    .return_values(ReturnValue::AllNew);
                for (k, v) in &values {
                    req = req.expression_attribute_values(k, v.clone());
                }
                for (k, v) in &names {
                    req = req.expression_attribute_names(k, v);
                }
                match req.send().await.map_err(CallError::from_update) {
                    Ok(out) => return Ok(out.attributes().cloned().unwrap_or_default()),
                    Err(CallError::Conflict) if attempt < CONFLICT_ATTEMPTS => {
                        attempt += 1;
                        tokio::time::sleep(jitter(delay)).await;
                        delay = (delay * 2).min(Duration::from_secs(1));
                    }
                    Err(e) => return Err(e),
                }
            }
        });
        match outcome {
            Some(Ok(item)) => {
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                Ok(item)
            }
            Some(Err(e)) => Err(self.call_error(what, e)),
            None => Err(self.backend(format!("{what}: the DynamoDB task stopped"))),
        }
    }

    /// Every item of the stack, strongly consistent, all pages.
    fn query_all(&self) -> Result<Vec<Item>, StateError> {
        let shared = self.shared.clone();
        let outcome = self.bridge.run(async move {
            let mut items = Vec::new();
            let mut start: Option<Item> = None;
            loop {
                let out = shared
                    .client
                    .query()
                    .table_name(&shared.table)
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", schema::PK)
                    .expression_attribute_values(":pk", AttributeValue::S(shared.pk.clone()))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(CallError::from_sdk)?;
                items.extend(out.items().iter().cloned());
                match out.last_evaluated_key() {
                    Some(k) if !k.is_empty() => start = Some(k.clone()),
                    _ => return Ok::<_, CallError>(items),
                }
            }
        });
        match outcome {
            Some(Ok(items)) => Ok(items),
            Some(Err(e)) => Err(self.call_error("reading the stack", e)),
            None => Err(self.backend("reading the stack: the DynamoDB task stopped".into())),
        }
    }

    /// Sends `ops` in as few transactions as DynamoDB's limits allow.
    fn transact_chunked(
        &self,
        what: &str,
        ops: Vec<(Role, TransactWriteItem, usize)>,
    ) -> Result<(), StateError> {
        let mut chunk = Vec::new();
        let mut chunk_bytes = 0;
        for (role, item, bytes) in ops {
            if chunk.len() + 1 >= MAX_TRANSACTION_ITEMS
                || (chunk_bytes + bytes > MAX_TRANSACTION_BYTES && !chunk.is_empty())
            {
                self.transact(what, std::mem::take(&mut chunk), chunk_bytes)?;
                chunk_bytes = 0;
            }
            chunk.push((role, item));
            chunk_bytes += bytes;
        }
        if !chunk.is_empty() {
            self.transact(what, chunk, chunk_bytes)?;
        }
        Ok(())
    }
}

/// Keeps no record headers: `load_summary` and `get_records` are the
/// trait's defaults (no summary, so a plan loads the whole stack; records
/// by key from a whole load).
impl StateStore for DynamoState {
    fn load(&self) -> Result<StackState, StateError> {
        let mut state = StackState::default();
        for item in self.query_all()? {
            let sk = schema::get_s(&item, SK).unwrap_or_default();
            let doc = || {
                schema::get_s(&item, attr::DOC).ok_or_else(|| self.corrupt(&sk, "no doc attribute"))
            };
            if sk == LEASE_SK {
                let view = LeaseView::from_item(&item);
                if view.format > FORMAT_VERSION {
                    return Err(StateError::NewerFormat {
                        path: self.shared.location.clone(),
                        found: view.format,
                        supported: FORMAT_VERSION,
                    });
                }
                if view.importing {
                    return Err(StateError::Corrupt {
                        path: self.shared.location.clone(),
                        detail: "an import into this stack did not finish; run `meridian state import FILE --force` again".into(),
                    });
                }
                state.next_sequence = view.next_sequence;
            } else if sk == OUTPUTS_SK {
                state.outputs = serde_json::from_str(&doc()?).map_err(|e| self.corrupt(&sk, e))?;
            } else if let Some(key) = sk.strip_prefix(RECORD_PREFIX) {
                let rec: ResourceRecord =
                    serde_json::from_str(&doc()?).map_err(|e| self.corrupt(&sk, e))?;
                state.resources.insert(key.to_string(), rec);
            } else if let Some(key) = sk.strip_prefix(JOURNAL_PREFIX) {
                let op: PendingOperation =
                    serde_json::from_str(&doc()?).map_err(|e| self.corrupt(&sk, e))?;
                state.pending.insert(key.to_string(), op);
            } else {
                return Err(self.corrupt(&sk, "unknown item"));
            }
        }
        Ok(state)
    }

    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        let sk = format!("{JOURNAL_PREFIX}{}", op.key);
        let doc = self.doc(&sk, op)?;
        let bytes = doc.len();
        let item = self.put(&sk, doc, Some(self.next_journal_seq()))?;
        self.transact(
            &format!("journaling the start of an operation on {}", op.key),
            vec![(Role::Journal(op.key.clone()), item)],
            bytes,
        )
    }

    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        let journal_sk = format!("{JOURNAL_PREFIX}{key}");
        let record_sk = format!("{RECORD_PREFIX}{key}");
        let mut ops = vec![(Role::Write(journal_sk.clone()), self.delete(&journal_sk)?)];
        let mut bytes = 0;
        match completion {
            Completion::Put(rec) => {
                let doc = self.doc(&record_sk, &rec)?;
                bytes += doc.len();
                ops.push((
                    Role::Write(record_sk.clone()),
                    self.put(&record_sk, doc, None)?,
                ));
            }
            Completion::Remove => {
                ops.push((Role::Write(record_sk.clone()), self.delete(&record_sk)?));
            }
            Completion::Abandon => {}
            Completion::Replaced { new, old_key, old } => {
                let doc = self.doc(&record_sk, &new)?;
                bytes += doc.len();
                ops.push((
                    Role::Write(record_sk.clone()),
                    self.put(&record_sk, doc, None)?,
                ));
                let old_sk = format!("{RECORD_PREFIX}{old_key}");
                let doc = self.doc(&old_sk, &old)?;
                bytes += doc.len();
                ops.push((Role::Write(old_sk.clone()), self.put(&old_sk, doc, None)?));
            }
            Completion::StateEdit { remove, records } => {
                let remove_sk = format!("{RECORD_PREFIX}{remove}");
                ops.push((Role::Write(remove_sk.clone()), self.delete(&remove_sk)?));
                for (k, rec) in records {
                    let sk = format!("{RECORD_PREFIX}{k}");
                    let doc = self.doc(&sk, &rec)?;
                    bytes += doc.len();
                    ops.push((Role::Write(sk.clone()), self.put(&sk, doc, None)?));
                }
            }
        }
        self.transact(&format!("recording the result for {key}"), ops, bytes)
    }

    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        let sk = format!("{RECORD_PREFIX}{key}");
        let (op, bytes) = match record {
            Some(rec) => {
                let doc = self.doc(&sk, rec)?;
                let len = doc.len();
                (self.put(&sk, doc, None)?, len)
            }
            None => (self.delete(&sk)?, 0),
        };
        self.transact(
            &format!("writing the record of {key}"),
            vec![(Role::Write(sk), op)],
            bytes,
        )
    }

    fn put_outputs(&self, outputs: &BTreeMap<String, Value>) -> Result<(), StateError> {
        let doc = self.doc(OUTPUTS_SK, outputs)?;
        let bytes = doc.len();
        let op = self.put(OUTPUTS_SK, doc, None)?;
        self.transact(
            "writing the stack outputs",
            vec![(Role::Write(OUTPUTS_SK.into()), op)],
            bytes,
        )
    }

    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        let item = self.update_lease(
            "reserving operation sequence numbers",
            "ADD #next :n",
            vec![(":n", schema::n(n))],
            vec![("#next", attr::NEXT_SEQUENCE)],
        )?;
        let next = schema::get_n(&item, attr::NEXT_SEQUENCE)
            .ok_or_else(|| self.corrupt(LEASE_SK, "no next_sequence after reserving"))?;
        next.checked_sub(n)
            .ok_or_else(|| self.corrupt(LEASE_SK, "next_sequence went backwards"))
    }

    /// Not one transaction (DynamoDB caps those at 100 items): the lease
    /// item is marked `importing` first and unmarked last, so an import cut
    /// short leaves a stack that refuses to load until it is imported again.
    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        let what = "importing the stack";
        self.update_lease(
            what,
            "SET #importing = :yes",
            vec![(":yes", AttributeValue::Bool(true))],
            vec![("#importing", attr::IMPORTING)],
        )?;
        let existing: BTreeSet<String> = self
            .query_all()?
            .iter()
            .filter_map(|i| schema::get_s(i, SK))
            .filter(|sk| sk != LEASE_SK)
            .collect();
        let mut ops = Vec::new();
        let mut wanted = BTreeSet::new();
        let doc = self.doc(OUTPUTS_SK, &state.outputs)?;
        let len = doc.len();
        ops.push((
            Role::Write(OUTPUTS_SK.into()),
            self.put(OUTPUTS_SK, doc, None)?,
            len,
        ));
        wanted.insert(OUTPUTS_SK.to_string());
        for (key, rec) in &state.resources {
            let sk = format!("{RECORD_PREFIX}{key}");
            let doc = self.doc(&sk, rec)?;
            let len = doc.len();
            ops.push((Role::Write(sk.clone()), self.put(&sk, doc, None)?, len));
            wanted.insert(sk);
        }
        for (key, op) in &state.pending {
            let sk = format!("{JOURNAL_PREFIX}{key}");
            let doc = self.doc(&sk, op)?;
            let len = doc.len();
            let seq = self.next_journal_seq();
            ops.push((
                Role::Journal(key.clone()),
                self.put(&sk, doc, Some(seq))?,
                len,
            ));
            wanted.insert(sk);
        }
        for sk in existing.difference(&wanted) {
            ops.push((Role::Write(sk.clone()), self.delete(sk)?, 0));
        }
        self.transact_chunked(what, ops)?;
        self.update_lease(
            what,
            "SET #next = :next REMOVE #importing",
            vec![(":next", schema::n(state.next_sequence))],
            vec![
                ("#next", attr::NEXT_SEQUENCE),
                ("#importing", attr::IMPORTING),
            ],
        )?;
        Ok(())
    }

    fn write_stats(&self) -> WriteStats {
        let batches = self.stats.batches.load(Ordering::Relaxed);
        WriteStats {
            batches,
            bytes: self.stats.bytes.load(Ordering::Relaxed),
            // Each request is durable when DynamoDB answers it.
            flushes: batches,
        }
    }

    fn location(&self) -> String {
        self.shared.location.clone()
    }
}

impl Drop for DynamoState {
    /// Stops renewing and releases the lease (best effort: if this fails,
    /// the lease expires after its TTL).
    fn drop(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        let shared = self.shared.clone();
        let released = self.bridge.run_timeout(
            async move {
                lease::clear(&shared.client, &shared.table, &shared.pk, &shared.holder.id).await
            },
            Some(RELEASE_WAIT),
        );
        // A failed condition means the lease is no longer ours: nothing to
        // release, and the new holder's lease must stay.
        if !matches!(released, Some(Ok(()) | Err(CallError::ConditionFailed(_)))) {
            tracing::warn!(
                stack = %self.shared.stack,
                "could not release the state lease; it expires after {} s",
                self.shared.ttl.as_secs()
            );
        }
    }
}

/// Renews the lease every `renew_every` while the store lives. A transient
/// failure is retried sooner; a failed condition means another run has
/// the lease, and every later write of this store is refused.
async fn renew_loop(shared: Arc<Shared>) {
    let mut wait = shared.renew_every;
    loop {
        tokio::time::sleep(wait).await;
        match lease::renew(
            &shared.client,
            &shared.table,
            &shared.pk,
            &shared.holder.id,
            shared.ttl,
        )
        .await
        {
            Ok(()) => wait = shared.renew_every,
            Err(CallError::ConditionFailed(_)) => {
                let now = lease::now_ms();
                let who = match lease::read(&shared.client, &shared.table, &shared.pk).await {
                    Ok(Some(v)) if v.holder.is_some() => {
                        format!("it is now held by another run{}", v.describe(now))
                    }
                    _ => "nobody holds it now".to_string(),
                };
                tracing::error!(stack = %shared.stack, "lost the state lease: {who}");
                *shared.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                    "it lapsed or was broken with `meridian unlock --force`; {who}"
                ));
                return;
            }
            Err(e) => {
                tracing::warn!(stack = %shared.stack, "renewing the state lease failed ({e}); retrying");
                wait = (shared.renew_every / 4).max(Duration::from_millis(100));
            }
        }
    }
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.5 + rand::random::<f64>())
}

pub(crate) fn table_missing(shared: &Shared) -> String {
    format!(
        "the backend table {} does not exist (in this account and region): create it once with \
         `meridian --backend '{}' --create-backend`, or add --create-backend to this command",
        shared.table, shared.url
    )
}
