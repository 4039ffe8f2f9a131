//! The planner's shortcut for a resource whose inputs did not change: its
//! declared inputs are compared in place with the recorded ones, through
//! its dependencies' known outputs, without building the resolved `Value`.
//! Exact, not a hash: it answers yes only when resolving would give a value
//! equal to the record's, so the plan made from the record's inputs is the
//! plan made from the resolved ones.

use super::Known;
use crate::model::{Input, Inputs, value_at_path};
use serde_json::Value;

/// True if resolving `inputs` against `known` gives exactly `recorded`.
/// False whenever it cannot tell cheaply (an output not known or changing,
/// a secret, an interpolation): the caller then resolves as usual, which
/// also reports a missing output.
pub(super) fn inputs_unchanged<'k>(
    inputs: &Inputs,
    recorded: &Value,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> bool {
    let Value::Object(recorded) = recorded else {
        return false;
    };
    recorded.len() == inputs.len()
        && inputs.iter().all(|(key, input)| {
            recorded
                .get(key)
                .is_some_and(|old| resolves_to(input, old, known))
        })
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

    #[test]
    fn equal_literals_and_known_outputs_are_unchanged() {
        let a = json!({"id": "a-1", "nested": {"arn": "arn:a"}});
        let known = |r: &str| (r == "a").then_some(Known::Outputs(&a));
        let declared = inputs(&[
            ("n", Input::Value(json!(1))),
            ("dep", out("a", "id")),
            ("deep", Input::List(vec![out("a", "nested.arn")])),
            ("m", Input::Map(inputs(&[("k", Input::Value(json!("v")))]))),
        ]);
        let recorded = json!({"n": 1, "dep": "a-1", "deep": ["arn:a"], "m": {"k": "v"}});
        assert!(inputs_unchanged(&declared, &recorded, &known));
    }

    #[test]
    fn any_difference_is_a_change() {
        let a = json!({"id": "a-2"});
        let known = |r: &str| (r == "a").then_some(Known::Outputs(&a));
        let declared = inputs(&[("n", Input::Value(json!(1))), ("dep", out("a", "id"))]);
        // A changed literal, a changed dependency output, an added and a
        // removed input, a missing output.
        for recorded in [
            json!({"n": 2, "dep": "a-2"}),
            json!({"n": 1, "dep": "a-1"}),
            json!({"n": 1}),
            json!({"n": 1, "dep": "a-2", "extra": true}),
        ] {
            assert!(
                !inputs_unchanged(&declared, &recorded, &known),
                "{recorded}"
            );
        }
        let missing = inputs(&[("dep", out("a", "arn"))]);
        assert!(!inputs_unchanged(&missing, &json!({"dep": null}), &known));
    }

    #[test]
    fn unknown_updating_secret_and_interpolated_inputs_take_the_full_path() {
        let a = json!({"id": "a-1"});
        let updating = |_: &str| Some(Known::Updating(&a, std::rc::Rc::from(Vec::new())));
        let unknown = |_: &str| Some(Known::Unknown);
        let dep = inputs(&[("dep", out("a", "id"))]);
        let recorded = json!({"dep": "a-1"});
        assert!(!inputs_unchanged(&dep, &recorded, &updating));
        assert!(!inputs_unchanged(&dep, &recorded, &unknown));
        let known = |_: &str| Some(Known::Outputs(&a));
        let secret = inputs(&[("s", Input::Secret(Box::new(Input::Value(json!("x")))))]);
        assert!(!inputs_unchanged(&secret, &json!({"s": "x"}), &known));
        let concat = inputs(&[("c", Input::Concat(vec![Input::Value(json!("x"))]))]);
        assert!(!inputs_unchanged(&concat, &json!({"c": "x"}), &known));
    }
}
