//! Meridian's team state backend: a [`meridian_state::StateStore`] on one
//! DynamoDB table shared by every stack, selected with
//! `--backend dynamodb://TABLE?region=R` (or `MERIDIAN_BACKEND`).
//!
//! # Schema
//!
//! One table, `pk` (S, partition) + `sk` (S, sort), on-demand billing and
//! point-in-time recovery (created by `--create-backend`). A stack is one
//! partition, `pk = "stack#<name>"`:
//!
//! | `sk` | attributes | what |
//! |---|---|---|
//! | `lease` | `holder`, `host`, `pid`, `user`, `command`, `acquired_at`, `renewed_at`, `expires_at` (Unix ms), `renew_every_ms`; `generation`, `next_sequence`, `format`, `importing` | the lock, and the stack's counters |
//! | `r#<key>` | `doc` (JSON of a `ResourceRecord`) | one record per state key |
//! | `p#<key>` | `doc` (JSON of a `PendingOperation`), `seq` | one journal entry |
//! | `outputs` | `doc` (JSON object) | the stack outputs |
//!
//! A step writes one small item (a journal entry) and then one transaction
//! (its result), never a snapshot.
//!
//! # Locking protocol
//!
//! - **Take**: opening a stack writes the lease item with the condition
//!   `attribute_not_exists(holder) OR expires_at < :now`, setting a random
//!   holder id, who (user, pid, host, command), `expires_at = now + TTL`,
//!   and incrementing `generation`. A failed condition is refused at once,
//!   naming the holder from the item DynamoDB returns.
//! - **Renew**: a task on the store's own runtime pushes `expires_at`
//!   forward every TTL/3 with the condition `holder = :me`, retrying a
//!   transient failure after TTL/12. If the condition fails, the lease is
//!   someone else's and every later write of this store is refused.
//! - **Fence**: every write is a `TransactWriteItems` that includes a
//!   `ConditionCheck` of `holder = :me` on the lease item (or, for the
//!   counters on the lease item itself, an `UpdateItem` with that
//!   condition). So a writer whose lease lapsed and was taken over can write
//!   nothing, even if it has not noticed yet: it gets an error saying so,
//!   never a silent overwrite.
//! - **Journal order**: a journal entry carries `seq = generation << 32 |
//!   n` and is written with `attribute_not_exists(seq) OR seq <= :seq`, so
//!   an entry is only ever replaced by a later one.
//! - **Release**: dropping the store clears the holder fields (condition
//!   `holder = :me`); the item stays because it carries `next_sequence`.
//!   A holder that dies without releasing (SIGKILL, power loss) blocks the
//!   stack until `expires_at`; the next run then takes the lease and
//!   reconciles the dead run's journal entries before planning.
//! - **Unlock**: `meridian unlock --stack NAME` breaks an expired lease at
//!   once; a live one only if its holder misses a renewal while unlock
//!   watches (an interval and a half after the last renewal), or with
//!   `--force`. Breaking is conditional on the holder id it read.
//!
//! # Guarantees
//!
//! - Two runs never write one stack at once: the lease condition and the
//!   fence make a second writer's writes fail, not interleave.
//! - Every write is durable when the call returns (DynamoDB has stored it).
//!   `complete` puts the record and deletes the journal entry in one
//!   transaction, so a crash leaves the same three possible states as the
//!   sled backend (see ARCHITECTURE.md, "What is durable when").
//! - `load` is one strongly consistent `Query` (all pages): plans are made
//!   from the latest committed state.
//! - `replace_all` (import) may span several transactions (DynamoDB caps
//!   one at 100 items); the stack is marked `importing` for its duration
//!   and refuses to load if an import was cut short.
//!
//! Expiry uses the writers' clocks: keep the TTL (60 s by default,
//! `?lease_ttl=SECONDS`) well above the clock skew between machines.
//! Every transaction of a writer touches the lease item, so DynamoDB may
//! report a conflicting transaction under heavy parallelism; those are
//! retried with backoff (nothing is written by a conflicted transaction).

mod bridge;
mod errors;
mod lease;
mod schema;
mod store;
mod table;
mod url;

pub use store::DynamoState;
pub use url::{BackendUrl, DEFAULT_LEASE_TTL, SCHEME};

use bridge::Bridge;
use errors::CallError;
use lease::{AcquireError, Holder, Unlocked};
use meridian_state::{FORMAT_VERSION, StateError, validate_stack_name};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Opens `stack` in the table of `url`, taking the stack's lease; the lease
/// is renewed while the store lives and released when it is dropped.
/// `create` makes the table first if it does not exist. `command` is shown
/// to a run that finds the stack locked.
pub fn open(
    url: &str,
    stack: &str,
    command: &str,
    create: bool,
) -> Result<DynamoState, StateError> {
    open_with_config(url, stack, command, create, None)
}

/// As [`open`], with an SDK config (credentials, endpoint) instead of the
/// environment's; the URL's region, if given, still wins.
pub fn open_with_config(
    url: &str,
    stack: &str,
    command: &str,
    create: bool,
    config: Option<aws_config::SdkConfig>,
) -> Result<DynamoState, StateError> {
    let Connection {
        parsed,
        location,
        bridge,
        client,
    } = Connection::for_stack(url, stack, config)?;
    let backend = |detail: String| backend_error(&location, detail);
    if create {
        ensure_table(&bridge, &client, &parsed).map_err(backend)?;
    }
    let shared = Arc::new(store::Shared {
        client: client.clone(),
        table: parsed.table.clone(),
        pk: schema::stack_pk(stack),
        stack: stack.to_string(),
        url: parsed.to_string(),
        location: location.clone(),
        holder: Holder::new(command),
        ttl: parsed.lease_ttl,
        renew_every: parsed.renew_every(),
        lost: Mutex::new(None),
    });
    let acquired = {
        let shared = shared.clone();
        bridge
            .run(async move {
                // A lease released between our condition failing and our
                // read of it is simply free now: try again.
                let mut tries = 0;
                loop {
                    tries += 1;
                    let r = lease::acquire(
                        &shared.client,
                        &shared.table,
                        &shared.pk,
                        &shared.holder,
                        shared.ttl,
                        shared.renew_every,
                    )
                    .await;
                    match r {
                        Err(AcquireError::Held(v))
                            if tries < 3 && (v.holder.is_none() || v.expired(lease::now_ms())) => {}
                        other => return other,
                    }
                }
            })
            .ok_or_else(|| backend(STOPPED.into()))?
    };
    let acquired = match acquired {
        Ok(a) => a,
        Err(AcquireError::Held(v)) => {
            return Err(StateError::Locked {
                path: location,
                holder: format!(
                    "{}; if that process is gone, `meridian unlock --stack {stack} --backend '{}'` breaks the lease",
                    v.describe(lease::now_ms()),
                    parsed
                ),
            });
        }
        Err(AcquireError::Call(CallError::TableMissing)) => {
            return Err(backend(store::table_missing(&shared)));
        }
        Err(AcquireError::Call(e)) => return Err(backend(format!("taking the lease: {e}"))),
    };
    let store = DynamoState::new(shared, acquired.generation, bridge);
    if acquired.format > FORMAT_VERSION {
        // Dropping the store releases the lease: the state is untouched.
        drop(store);
        return Err(StateError::NewerFormat {
            path: location,
            found: acquired.format,
            supported: FORMAT_VERSION,
        });
    }
    Ok(store)
}

/// Breaks `stack`'s lease (see the crate doc: without `force`, only a lease
/// that is expired or no longer renewed). Returns what happened, for the
/// user; refusing is an error. `announce` hears about a wait.
pub fn unlock(
    url: &str,
    stack: &str,
    force: bool,
    announce: &mut dyn FnMut(&str),
) -> Result<String, StateError> {
    unlock_with_config(url, stack, force, announce, None)
}

/// As [`unlock`], with an SDK config instead of the environment's.
pub fn unlock_with_config(
    url: &str,
    stack: &str,
    force: bool,
    announce: &mut dyn FnMut(&str),
    config: Option<aws_config::SdkConfig>,
) -> Result<String, StateError> {
    let conn = Connection::for_stack(url, stack, config)?;
    let backend = |detail: String| backend_error(&conn.location, detail);
    let (client, table) = (conn.client.clone(), conn.parsed.table.clone());
    let pk = schema::stack_pk(stack);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let outcome = conn
        .bridge
        .run(async move {
            lease::unlock(&client, &table, &pk, force, |m| {
                let _ = tx.send(m.to_string());
            })
            .await
        })
        .ok_or_else(|| backend(STOPPED.into()))?;
    for m in rx.try_iter() {
        announce(&m);
    }
    let now = lease::now_ms();
    match outcome {
        Ok(Unlocked::NotLocked) => Ok(format!("Stack {stack} is not locked.")),
        Ok(Unlocked::BrokeExpired(v)) => Ok(format!(
            "Broke the expired lease on stack {stack}{}.",
            held_by(&v)
        )),
        Ok(Unlocked::BrokeStale(v)) => Ok(format!(
            "Broke the lease on stack {stack}{}: its holder stopped renewing it.",
            held_by(&v)
        )),
        Ok(Unlocked::BrokeLive(v)) => Ok(format!(
            "Broke the live lease on stack {stack}{} (--force). If that process is still running, its next state write fails and it stops; run `up` afterwards to reconcile.",
            held_by(&v)
        )),
        Ok(Unlocked::StillRenewed(v)) => Err(StateError::Locked {
            path: conn.location,
            holder: format!(
                "{}, and it is being renewed, so its holder is alive; `unlock --force` breaks it anyway",
                v.describe(now)
            ),
        }),
        Ok(Unlocked::Changed(v)) => Err(StateError::Locked {
            path: conn.location,
            holder: format!(
                "{}: another run took the lease while unlock watched; nothing was broken",
                v.describe(now)
            ),
        }),
        Err(CallError::TableMissing) => Err(backend(format!(
            "the backend table {} does not exist (in this account and region)",
            conn.parsed.table
        ))),
        Err(e) => Err(backend(format!("unlocking: {e}"))),
    }
}

/// Creates the backend table of `url` if it does not exist (on-demand,
/// point-in-time recovery on) and waits until it is ACTIVE.
pub fn create_backend(url: &str) -> Result<String, StateError> {
    create_backend_with_config(url, None)
}

/// As [`create_backend`], with an SDK config instead of the environment's.
pub fn create_backend_with_config(
    url: &str,
    config: Option<aws_config::SdkConfig>,
) -> Result<String, StateError> {
    let c = Connection::open(url, None, config)?;
    ensure_table(&c.bridge, &c.client, &c.parsed).map_err(|d| backend_error(&c.location, d))
}

/// A backend URL with its client, on a runtime of its own.
struct Connection {
    parsed: BackendUrl,
    /// The URL, and the stack if there is one, for messages.
    location: String,
    bridge: Bridge,
    client: aws_sdk_dynamodb::Client,
}

impl Connection {
    /// The connection for `stack`, whose name is checked first.
    fn for_stack(
        url: &str,
        stack: &str,
        config: Option<aws_config::SdkConfig>,
    ) -> Result<Connection, StateError> {
        validate_stack_name(stack)?;
        Connection::open(url, Some(stack), config)
    }

    fn open(
        url: &str,
        stack: Option<&str>,
        config: Option<aws_config::SdkConfig>,
    ) -> Result<Connection, StateError> {
        let parsed = parse(url)?;
        let location = match stack {
            Some(stack) => format!("{parsed} (stack {stack})"),
            None => parsed.to_string(),
        };
        let bridge = Bridge::new(&location)?;
        let client = bridge
            .run(client(parsed.clone(), config))
            .ok_or_else(|| backend_error(&location, STOPPED.into()))?
            .map_err(|d| backend_error(&location, d))?;
        Ok(Connection {
            parsed,
            location,
            bridge,
            client,
        })
    }
}

/// What a call on the bridge answers when its runtime is gone.
const STOPPED: &str = "the DynamoDB task stopped";

fn backend_error(location: &str, detail: String) -> StateError {
    StateError::Backend {
        path: location.to_string(),
        detail,
    }
}

/// Checks a URL without any network call.
pub fn check_url(url: &str) -> Result<(), String> {
    BackendUrl::parse(url).map(|_| ())
}

fn parse(url: &str) -> Result<BackendUrl, StateError> {
    BackendUrl::parse(url).map_err(|detail| StateError::Backend {
        path: url.to_string(),
        detail,
    })
}

fn held_by(v: &lease::LeaseView) -> String {
    format!(
        " (held by user {}, pid {} on {}, running `{}`)",
        v.user, v.pid, v.host, v.command
    )
}

fn ensure_table(
    bridge: &Bridge,
    client: &aws_sdk_dynamodb::Client,
    url: &BackendUrl,
) -> Result<String, String> {
    let client = client.clone();
    let table = url.table.clone();
    match bridge.run(async move { table::ensure(&client, &table).await }) {
        Some(Ok(done)) => Ok(done),
        Some(Err(e)) => Err(format!("creating the backend table {}: {e}", url.table)),
        None => Err(STOPPED.into()),
    }
}

/// The SDK client: credentials and endpoint from `given`, else from the
/// environment (as the AWS provider); the region from the URL, else from
/// the config.
async fn client(
    url: BackendUrl,
    given: Option<aws_config::SdkConfig>,
) -> Result<aws_sdk_dynamodb::Client, String> {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    if let Some(config) = given {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&config);
        if let Some(region) = &url.region {
            builder = builder.region(aws_types::region::Region::new(region.clone()));
        }
        let conf = builder.build();
        if conf.region().is_none() {
            return Err(format!(
                "no AWS region for the backend table {}: add ?region=REGION to the backend URL",
                url.table
            ));
        }
        return Ok(aws_sdk_dynamodb::Client::from_conf(conf));
    }
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_secs(5)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        );
    if let Some(region) = &url.region {
        loader = loader.region(aws_types::region::Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(format!(
            "no AWS region for the backend table {}: add ?region=REGION to the backend URL, or set AWS_REGION",
            url.table
        ));
    }
    Ok(aws_sdk_dynamodb::Client::new(&config))
}

/// hyper 1 + rustls with ring, as `providers/src/aws/common.rs`: one HTTP
/// stack in the build. Copied rather than shared because depending on the
/// providers would pull the engine into a state crate.
fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}
