use super::*;
use serde_json::json;
use std::collections::BTreeMap;

fn value(v: serde_json::Value) -> Input {
    Input::Value(v)
}

/// The same entries as a `BTreeMap<String, Input>`: the reference.
fn reference(pairs: &[(&str, i64)]) -> BTreeMap<String, Input> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), value(json!(v))))
        .collect()
}

fn inputs(pairs: &[(&str, i64)]) -> Inputs {
    pairs.iter().map(|(k, v)| (*k, value(json!(v)))).collect()
}

const SHUFFLED: &[(&str, i64)] = &[
    ("version", 1),
    ("dep2", 2),
    ("layer", 3),
    ("dep0", 4),
    ("a_key_longer_than_twenty_two_bytes", 5),
    ("dep1", 6),
    ("layer", 7),
];

#[test]
fn keys_short_and_long_read_back_as_given() {
    for key in [
        "",
        "id",
        "exactly_22_bytes_long_",
        "twenty_three_bytes_long",
        "ünïcödé",
    ] {
        let k = CompactStr::from(key);
        assert_eq!(k.as_str(), key);
        assert_eq!(String::from(k.clone()), key);
        assert_eq!(CompactStr::from(key.to_string()), k);
    }
    assert_eq!(std::mem::size_of::<CompactStr>(), 24);
}

#[test]
fn iteration_is_in_key_order_and_the_last_value_of_a_key_wins() {
    let ours = inputs(SHUFFLED);
    let theirs = reference(SHUFFLED);
    let ours_listed: Vec<(String, Input)> = ours
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let theirs_listed: Vec<(String, Input)> = theirs.into_iter().collect();
    assert_eq!(ours_listed, theirs_listed);
    assert_eq!(ours.get("layer"), Some(&value(json!(7))));
}

#[test]
fn insert_and_remove_keep_the_order_and_answer_as_a_btreemap_does() {
    let mut ours = Inputs::new();
    let mut theirs = BTreeMap::new();
    for (k, v) in SHUFFLED {
        assert_eq!(
            ours.insert((*k).into(), value(json!(v))),
            theirs.insert(k.to_string(), value(json!(v)))
        );
    }
    assert_eq!(ours.remove("dep2"), theirs.remove("dep2"));
    assert_eq!(ours.remove("absent"), theirs.remove("absent"));
    assert_eq!(ours.len(), theirs.len());
    assert!(ours.keys().eq(theirs.keys().map(String::as_str)));
    assert!(ours.contains_key("dep1") && !ours.contains_key("dep2"));
    assert_eq!(ours["dep0"], value(json!(4)));
}

#[test]
fn serializes_and_prints_as_the_btreemap_it_replaces() {
    let ours = inputs(SHUFFLED);
    let theirs = reference(SHUFFLED);
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&theirs).unwrap()
    );
    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    let back: Inputs = serde_json::from_str(&serde_json::to_string(&ours).unwrap()).unwrap();
    assert_eq!(back, ours);
}

#[test]
fn deserializing_an_unsorted_object_sorts_it() {
    let back: Inputs =
        serde_json::from_value(json!({"b": {"Value": 1}, "a": {"Value": 2}})).expect("inputs");
    assert_eq!(back.keys().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn equal_entries_are_equal_maps_whatever_the_order_they_came_in() {
    let mut reversed: Vec<(&str, i64)> = SHUFFLED.iter().rev().copied().collect();
    // The last value of "layer" must stay the one that wins.
    reversed.retain(|(k, v)| *k != "layer" || *v == 7);
    assert_eq!(inputs(&reversed), inputs(SHUFFLED));
    assert_ne!(inputs(&reversed[1..]), inputs(SHUFFLED));
}

#[test]
fn extend_gives_a_present_key_the_new_value_as_a_btreemap_does() {
    let mut ours = inputs(&[("b", 1), ("d", 2)]);
    let mut theirs = reference(&[("b", 1), ("d", 2)]);
    let more = [("d", 3), ("a", 4), ("c", 5), ("a", 6)];
    ours.extend(more.iter().map(|(k, v)| (*k, value(json!(v)))));
    theirs.extend(more.iter().map(|(k, v)| (k.to_string(), value(json!(v)))));
    let theirs: Inputs = theirs.into();
    assert_eq!(ours, theirs);
}
