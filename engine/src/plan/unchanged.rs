//! The planner's shortcut for a resource whose inputs did not change: its
//! declared inputs are compared in place with the recorded ones, through
//! its dependencies' known outputs, without building the resolved `Value`.
//! Exact, not a hash: it answers yes only when resolving would give a value
//! equal to the record's, so the plan made from the record's inputs is the
//! plan made from the resolved ones. A record still held as its loaded text
//! is compared as text, without parsing it (see [`same_text`]).

use super::Known;
use crate::model::{Input, Inputs, ResourceDecl, value_at_path};
use meridian_state::{ResourceRecord, StoredValue};
use serde_json::Value;
use std::cell::RefCell;

/// True if resolving `inputs` against `known` gives exactly `recorded`.
/// False whenever it cannot tell cheaply (an output not known or changing,
/// a secret, an interpolation): the caller then resolves as usual, which
/// also reports a missing output.
pub(super) fn inputs_unchanged<'k>(
    inputs: &Inputs,
    recorded: &StoredValue,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> bool {
    if let Some(text) = recorded.raw().filter(|_| !recorded.is_parsed())
        && same_text(inputs, text, known)
    {
        return true;
    }
    // Different text may still be the same value (stored with other
    // spacing by an older Meridian): the values decide.
    let Value::Object(recorded) = recorded.value() else {
        return false;
    };
    recorded.len() == inputs.len()
        && inputs.iter().all(|(key, input)| {
            recorded
                .get(key)
                .is_some_and(|old| resolves_to(input, old, known))
        })
}

/// True if `inputs`, resolved, serialize to exactly `text`. Meridian stores
/// values as serde_json writes them (compact, keys sorted), so equal values
/// are equal text; equal text is always an equal value. A referenced
/// output is spliced in as its own recorded text: nothing is parsed into a
/// tree on either side. False when the text differs or it cannot tell.
fn same_text<'k>(inputs: &Inputs, text: &str, known: &dyn Fn(&str) -> Option<Known<'k>>) -> bool {
    thread_local! {
        /// Reused for every resource: the plan of 100,000 resources writes
        /// each one's inputs here.
        static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    TEXT.with_borrow_mut(|out| {
        out.clear();
        write_map(inputs, out, known) && out == text.as_bytes()
    })
}

fn write_map<'k>(
    map: &Inputs,
    out: &mut Vec<u8>,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> bool {
    out.push(b'{');
    for (i, (key, input)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if serde_json::to_writer(&mut *out, key).is_err() {
            return false;
        }
        out.push(b':');
        if !write_input(input, out, known) {
            return false;
        }
    }
    out.push(b'}');
    true
}

/// Appends `input` resolved, as serde_json writes it; false if it cannot.
fn write_input<'k>(
    input: &Input,
    out: &mut Vec<u8>,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> bool {
    match input {
        Input::Value(v) => serde_json::to_writer(&mut *out, v).is_ok(),
        Input::Output { resource, output } => match known(resource) {
            Some(Known::Recorded(outputs)) => match outputs.raw() {
                Some(_) => outputs
                    .text_at(output)
                    .inspect(|t| out.extend_from_slice(t.as_bytes()))
                    .is_some(),
                None => write_found(value_at_path(outputs, output), out),
            },
            Some(Known::Outputs(outputs)) => write_found(value_at_path(outputs, output), out),
            _ => false,
        },
        Input::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_input(item, out, known) {
                    return false;
                }
            }
            out.push(b']');
            true
        }
        Input::Map(map) => write_map(map, out, known),
        Input::Secret(_) | Input::Concat(_) => false,
    }
}

/// True if a resource with unchanged inputs stays where its record says
/// it is: the same region, the same provider target. Then `decide` has
/// nothing to find (a provider's diff of equal inputs is empty).
pub(super) fn stays(rec: &ResourceRecord, decl: &ResourceDecl) -> bool {
    rec.region == decl.region && crate::provider_target::change(rec, decl).is_none()
}

fn write_found(found: Option<&Value>, out: &mut Vec<u8>) -> bool {
    found.is_some_and(|v| serde_json::to_writer(&mut *out, v).is_ok())
}

fn resolves_to<'k>(
    input: &Input,
    recorded: &Value,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> bool {
    match (input, recorded) {
        (Input::Value(v), _) => v == recorded,
        (Input::Output { resource, output }, _) => match known(resource) {
            Some(Known::Outputs(outputs)) => value_at_path(outputs, output) == Some(recorded),
            Some(Known::Recorded(outputs)) => recorded_output_is(outputs, output, recorded),
            // Unknown, or changing with an update: the resolved value
            // differs (or is not known); the full path decides.
            _ => false,
        },
        (Input::List(items), Value::Array(old)) => {
            items.len() == old.len() && items.iter().zip(old).all(|(i, o)| resolves_to(i, o, known))
        }
        (Input::Map(map), Value::Object(old)) => {
            map.len() == old.len()
                && map
                    .iter()
                    .all(|(k, i)| old.get(k).is_some_and(|o| resolves_to(i, o, known)))
        }
        // A secret must be resolved to be registered (so that output
        // masks it); an interpolation builds a string anyway.
        (Input::Secret(_) | Input::Concat(_), _) => false,
        (Input::List(_) | Input::Map(_), _) => false,
    }
}

/// Whether output `path` of a dependency's record is `expected`; only that
/// output is parsed when the record is still text (the others may never be).
fn recorded_output_is(outputs: &StoredValue, path: &str, expected: &Value) -> bool {
    if outputs.is_parsed() || outputs.raw().is_none() {
        return value_at_path(outputs, path) == Some(expected);
    }
    outputs
        .text_at(path)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .is_some_and(|found| found == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(pairs: &[(&str, Input)]) -> Inputs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn out(resource: &str, output: &str) -> Input {
        Input::Output {
            resource: resource.into(),
            output: output.into(),
        }
    }

    /// `value` in each form a record may hold it: built in memory, loaded
    /// as Meridian writes it (compared as text), loaded with other spacing
    /// (an older state: compared as values).
    fn forms(value: &Value) -> [StoredValue; 3] {
        let text = |t: String| serde_json::from_str::<StoredValue>(&t).unwrap();
        [
            value.clone().into(),
            text(value.to_string()),
            text(serde_json::to_string_pretty(value).unwrap()),
        ]
    }

    /// Runs `check` with dependency `a`'s outputs known in every form: a
    /// read's value, and a record's in each of [`forms`].
    fn with_outputs_of_a(a: &Value, check: impl for<'k> Fn(&dyn Fn(&str) -> Option<Known<'k>>)) {
        check(&|r: &str| (r == "a").then_some(Known::Outputs(a)));
        for recorded in forms(a) {
            check(&|r: &str| (r == "a").then_some(Known::Recorded(&recorded)));
        }
    }

    #[test]
    fn equal_literals_and_known_outputs_are_unchanged() {
        let a = json!({"id": "a-1", "nested": {"arn": "arn:a"}, "list": [0, "l1"]});
        let declared = inputs(&[
            ("n", Input::Value(json!(1))),
            ("dep", out("a", "id")),
            (
                "deep",
                Input::List(vec![out("a", "nested.arn"), out("a", "list.1")]),
            ),
            ("whole", out("a", "nested")),
            ("m", Input::Map(inputs(&[("k", Input::Value(json!("v")))]))),
            ("s", Input::Value(json!("quote \" and \u{e9}"))),
        ]);
        let recorded = json!({"n": 1, "dep": "a-1", "deep": ["arn:a", "l1"],
            "whole": {"arn": "arn:a"}, "m": {"k": "v"}, "s": "quote \" and \u{e9}"});
        with_outputs_of_a(&a, |known| {
            for form in forms(&recorded) {
                assert!(inputs_unchanged(&declared, &form, known), "{form:?}");
            }
        });
    }

    #[test]
    fn a_record_compared_as_text_is_not_parsed_nor_are_its_dependencies() {
        let a: StoredValue = serde_json::from_str(r#"{"id":"a-1","other":[1,2]}"#).unwrap();
        let known = |r: &str| (r == "a").then_some(Known::Recorded(&a));
        let declared = inputs(&[("dep", out("a", "id")), ("n", Input::Value(json!(2)))]);
        let recorded: StoredValue = serde_json::from_str(r#"{"dep":"a-1","n":2}"#).unwrap();
        assert!(inputs_unchanged(&declared, &recorded, &known));
        assert!(!recorded.is_parsed() && !a.is_parsed());
    }

    #[test]
    fn any_difference_is_a_change() {
        let a = json!({"id": "a-2", "n": 1.0});
        let declared = inputs(&[("n", Input::Value(json!(1))), ("dep", out("a", "id"))]);
        // A changed literal, a changed dependency output, an added and a
        // removed input, a number of another kind.
        let changed = [
            json!({"n": 2, "dep": "a-2"}),
            json!({"n": 1, "dep": "a-1"}),
            json!({"n": 1}),
            json!({"n": 1, "dep": "a-2", "extra": true}),
            json!({"n": 1.0, "dep": "a-2"}),
            json!({"n": "1", "dep": "a-2"}),
        ];
        with_outputs_of_a(&a, |known| {
            for recorded in changed.iter().flat_map(forms) {
                assert!(
                    !inputs_unchanged(&declared, &recorded, known),
                    "{recorded:?}"
                );
            }
            // A missing output; an output of another kind.
            let missing = inputs(&[("dep", out("a", "arn"))]);
            for recorded in forms(&json!({"dep": null})) {
                assert!(!inputs_unchanged(&missing, &recorded, known));
            }
            let float = inputs(&[("dep", out("a", "n"))]);
            for recorded in forms(&json!({"dep": 1})) {
                assert!(!inputs_unchanged(&float, &recorded, known));
            }
        });
    }

    #[test]
    fn unknown_updating_secret_and_interpolated_inputs_take_the_full_path() {
        let a = json!({"id": "a-1"});
        let updating = |_: &str| Some(Known::Updating(&a, std::rc::Rc::from(Vec::new())));
        let unknown = |_: &str| Some(Known::Unknown);
        let dep = inputs(&[("dep", out("a", "id"))]);
        for recorded in forms(&json!({"dep": "a-1"})) {
            assert!(!inputs_unchanged(&dep, &recorded, &updating));
            assert!(!inputs_unchanged(&dep, &recorded, &unknown));
        }
        let known = |_: &str| Some(Known::Outputs(&a));
        let secret = inputs(&[("s", Input::Secret(Box::new(Input::Value(json!("x")))))]);
        let concat = inputs(&[("c", Input::Concat(vec![Input::Value(json!("x"))]))]);
        for s in forms(&json!({"s": "x"})) {
            assert!(!inputs_unchanged(&secret, &s, &known), "{s:?}");
        }
        for c in forms(&json!({"c": "x"})) {
            assert!(!inputs_unchanged(&concat, &c, &known), "{c:?}");
        }
    }
}
