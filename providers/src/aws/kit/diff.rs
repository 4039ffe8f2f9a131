//! How a type's inputs are diffed: compared as the type spells them (its
//! defaults filled in, names normalized), and, for a type whose name is its
//! identity, a replacement that keeps the name deleting first.

use meridian_engine::Diff;
use serde_json::Value;

/// The diff of `old` and `new` as `normalize` spells them: a change of any
/// of `replace_keys` replaces.
pub fn normalized_diff(
    old: &Value,
    new: &Value,
    normalize: fn(&Value) -> Value,
    replace_keys: &[&str],
) -> Diff {
    Diff::top_level(&normalize(old), &normalize(new), replace_keys)
}

/// [`normalized_diff`] for a type whose name (`name_key`) is unique: when
/// the name is the same on both sides (given, or left out and so generated
/// from the same URN), the new resource cannot exist next to the old one,
/// so a replacement deletes first.
pub fn named_diff(
    old: &Value,
    new: &Value,
    normalize: fn(&Value) -> Value,
    replace_keys: &[&str],
    name_key: &str,
) -> Diff {
    let given = |v: &Value| v.get(name_key).filter(|v| !v.is_null()).cloned();
    Diff {
        delete_before_replace: given(old) == given(new),
        ..normalized_diff(old, new, normalize, replace_keys)
    }
}
