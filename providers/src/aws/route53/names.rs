//! Route 53's name rules: DNS names as Meridian compares and reports them
//! (lowercase, no trailing dot), bare zone ids, and the checks AWS applies
//! to a name before any call.

use meridian_engine::UNKNOWN;
use serde_json::Value;

/// A DNS name as Meridian compares and reports it: lowercase, without the
/// trailing dot, with Route 53's `\052` escape turned back into `*`.
pub fn dns_name(name: &str) -> String {
    let n = name.trim().replace("\\052", "*").to_ascii_lowercase();
    match n.strip_suffix('.') {
        Some(s) => s.to_string(),
        None => n,
    }
}

/// A hosted zone id without the `/hostedzone/` prefix.
pub fn bare_zone_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix("/hostedzone/").unwrap_or(id)
}

/// True if `name` is `zone` or below it (both normalized by [`dns_name`]).
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// Validates a DNS name as Route 53 takes it: at most 253 characters (255
/// octets on the wire), labels of 1–63 characters of letters, digits, `-`
/// and `_`, and (when `wildcard`) a leftmost `*` label.
pub fn check_dns_name(name: &str, wildcard: bool) -> Result<(), String> {
    let n = dns_name(name);
    if n.is_empty() {
        return Err("must be a DNS name, e.g. api.example.com".into());
    }
    if n.len() > 253 {
        return Err(format!(
            "{n:?} is {} characters long; a DNS name has at most 253",
            n.len()
        ));
    }
    for (i, label) in n.split('.').enumerate() {
        if label.is_empty() {
            return Err(format!("{n:?} has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!(
                "label {label:?} of {n:?} is {} characters long; a label has at most 63",
                label.len()
            ));
        }
        if label == "*" {
            if !wildcard || i != 0 {
                return Err(format!(
                    "{n:?}: `*` is allowed only as the whole leftmost label of a record name"
                ));
            }
            continue;
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "{n:?} contains {c:?}; use letters, digits, '-' and '_' (punycode for international names)"
            ));
        }
    }
    Ok(())
}

/// An input's value when it is given and known (not a planning-time unknown).
pub(super) fn known(inputs: &Value, key: &str) -> Option<Value> {
    match inputs.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == UNKNOWN => None,
        Some(v) => Some(v.clone()),
    }
}

/// Whether an input is given (known or not).
pub(super) fn present(inputs: &Value, key: &str) -> bool {
    !matches!(inputs.get(key), None | Some(Value::Null))
}
