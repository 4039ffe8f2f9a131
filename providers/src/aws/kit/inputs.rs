//! Accessors for a resource's JSON inputs, and the `check` helpers that go
//! with them.

use meridian_engine::{CheckFailure, ProviderError, UNKNOWN};
use serde_json::Value;

/// A required string input.
pub fn req_str<'a>(inputs: &'a Value, key: &str) -> Result<&'a str, ProviderError> {
    inputs.get(key).and_then(Value::as_str).ok_or_else(|| {
        ProviderError::permanent(format!("input {key:?} is required and must be a string"))
    })
}

/// An optional string input.
pub fn opt_str<'a>(inputs: &'a Value, key: &str) -> Option<&'a str> {
    inputs.get(key).and_then(Value::as_str)
}

/// True if the input is present and not yet known (planning only).
pub fn is_unknown(inputs: &Value, key: &str) -> bool {
    inputs.get(key).and_then(Value::as_str) == Some(UNKNOWN)
}

/// Check helper: `key` must be a non-empty string (or unknown).
pub fn check_required_str(inputs: &Value, key: &str, out: &mut Vec<CheckFailure>) {
    match inputs.get(key) {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(Value::String(_)) => out.push(CheckFailure::new(key, "must not be empty")),
        Some(_) => out.push(CheckFailure::new(key, "must be a string")),
        None => out.push(CheckFailure::new(key, "is required")),
    }
}

/// A string input that is given, known and not empty: what `check` looks
/// into further (a missing or empty one is [`check_required_str`]'s to
/// report).
pub fn given_str<'a>(inputs: &'a Value, key: &str) -> Option<&'a str> {
    opt_str(inputs, key).filter(|s| *s != UNKNOWN && !s.is_empty())
}

/// Check helper: the string `key`, when given (see [`given_str`]), must
/// have no `problem`; the failure quotes the value, then says the problem.
pub fn check_given_str<P: std::fmt::Display>(
    inputs: &Value,
    key: &str,
    problem: impl Fn(&str) -> Option<P>,
    out: &mut Vec<CheckFailure>,
) {
    if let Some(value) = given_str(inputs, key)
        && let Some(problem) = problem(value)
    {
        out.push(CheckFailure::new(key, format!("{value:?} {problem}")));
    }
}

/// Check helper: the map input `key` to look into, when it is given and
/// known; absent, null or unknown is `None` with nothing to say, and
/// anything but a map fails with `not_a_map`.
pub fn given_map<'a>(
    inputs: &'a Value,
    key: &str,
    not_a_map: &str,
    out: &mut Vec<CheckFailure>,
) -> Option<&'a serde_json::Map<String, Value>> {
    match inputs.get(key)? {
        Value::Object(map) => Some(map),
        other => given_shape(key, other, not_a_map, out),
    }
}

/// Check helper: the list input `key` to look into, as [`given_map`].
pub fn given_list<'a>(
    inputs: &'a Value,
    key: &str,
    not_a_list: &str,
    out: &mut Vec<CheckFailure>,
) -> Option<&'a Vec<Value>> {
    match inputs.get(key)? {
        Value::Array(items) => Some(items),
        other => given_shape(key, other, not_a_list, out),
    }
}

/// An input of the wrong shape: nothing to say when it is null or
/// unknown, else `reason`.
fn given_shape<T>(
    key: &str,
    value: &Value,
    reason: &str,
    out: &mut Vec<CheckFailure>,
) -> Option<T> {
    match value {
        Value::Null => {}
        Value::String(s) if s == UNKNOWN => {}
        _ => out.push(CheckFailure::new(key, reason)),
    }
    None
}
