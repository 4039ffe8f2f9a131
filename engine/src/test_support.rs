//! Test fixtures shared by the engine's unit tests: the records a test
//! state is made of (a `null` resource in `us-east-1`, as a run records it).

use meridian_state::ResourceRecord;

/// The record of `null` resource `name` at `urn` with physical id `id`;
/// a test sets the rest (inputs, outputs, dependencies, flags) over it.
pub(crate) fn null_record(urn: String, name: &str, id: String) -> ResourceRecord {
    ResourceRecord {
        urn,
        name: name.into(),
        type_token: "null:index:Resource".into(),
        region: "us-east-1".into(),
        provider: "null".into(),
        id,
        ..Default::default()
    }
}
