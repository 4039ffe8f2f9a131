//! State entries for the tests that write a state directly: a resource
//! record and a pending create, with every optional part left empty.

use meridian_state::{OperationKind, PendingOperation, ResourceRecord};
use serde_json::Value;

/// The provider a type token belongs to (`aws:iam:Role` → `aws`).
fn provider_of(type_token: &str) -> String {
    type_token
        .split(':')
        .next()
        .unwrap_or(type_token)
        .to_string()
}

/// A record of `urn` (named by its last part) in us-east-1: no
/// dependencies, no flags.
pub fn record(
    urn: &str,
    type_token: &str,
    id: &str,
    inputs: Value,
    outputs: Value,
) -> ResourceRecord {
    ResourceRecord {
        urn: urn.into(),
        name: urn.rsplit("::").next().unwrap_or(urn).into(),
        type_token: type_token.into(),
        region: "us-east-1".into(),
        provider: provider_of(type_token),
        id: id.into(),
        inputs: inputs.into(),
        outputs: outputs.into(),
        ..Default::default()
    }
}

/// A create of `urn` in us-east-1, begun by pid 1 and not finished.
pub fn pending(
    urn: &str,
    name: &str,
    type_token: &str,
    token: &str,
    inputs: Value,
) -> PendingOperation {
    PendingOperation {
        key: urn.into(),
        kind: OperationKind::Create,
        urn: urn.into(),
        name: name.into(),
        type_token: type_token.into(),
        region: "us-east-1".into(),
        provider: provider_of(type_token),
        id: None,
        token: token.into(),
        inputs,
        previous: None,
        dependencies: vec![],
        protect: false,
        retain_on_delete: false,
        provider_config: None,
        started_at_ms: 1,
        pid: 1,
    }
}

/// Opens the sled database at `dir` directly, as a tool outside Meridian
/// would (see [`try_open_raw`]).
pub fn open_raw(dir: &std::path::Path) -> sled::Db {
    try_open_raw(dir).unwrap_or_else(|e| panic!("sled opens {}: {e:?}", dir.display()))
}

/// [`open_raw`] for a database that may not open. Just after a backend on
/// it was dropped, sled's background threads may still hold the file lock
/// for a moment: wait for it (up to 10 s) rather than fail on that race.
pub fn try_open_raw(dir: &std::path::Path) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::open(dir) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}
