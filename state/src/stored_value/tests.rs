use super::*;
use serde_json::json;

fn loaded(text: &str) -> StoredValue {
    serde_json::from_str(text).unwrap()
}

#[test]
fn loaded_text_is_kept_unparsed_until_read() {
    let v = loaded(r#"{"a":1,"b":["x",{"c":null}]}"#);
    assert_eq!(v.raw(), Some(r#"{"a":1,"b":["x",{"c":null}]}"#));
    assert!(!v.is_parsed());
    assert_eq!(v["b"][0], "x");
    assert!(v.is_parsed());
    assert_eq!(v.into_value(), json!({"a": 1, "b": ["x", {"c": null}]}));
}

#[test]
fn serializes_exactly_as_the_plain_value_in_any_form() {
    let value = json!({"z": 1.5, "a": "\u{e9}\n", "m": {"k": [1, -2, true]}});
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    for stored in [StoredValue::from(value.clone()), loaded(&pretty)] {
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
        assert_eq!(serde_json::to_string_pretty(&stored).unwrap(), pretty);
        assert_eq!(serde_json::to_value(&stored).unwrap(), value);
        // Serializing text that was not read does not keep a parsed tree.
        assert_eq!(stored.raw().is_some(), !stored.is_parsed());
    }
}

#[test]
fn round_trips_through_text_and_through_a_value() {
    let value = json!({"id": "null-1", "n": [1, 2], "o": {}});
    let text = serde_json::to_string(&value).unwrap();
    let back: StoredValue = serde_json::from_str(&text).unwrap();
    assert_eq!(back, value);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    let from_value: StoredValue = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(from_value, value);
    assert_eq!(Value::from(from_value), value);
}

#[test]
fn equality_is_by_value_whatever_the_spacing() {
    let compact = loaded(r#"{"a":1,"b":2}"#);
    let spaced = loaded("{ \"b\": 2,\n \"a\": 1 }");
    assert_eq!(compact, spaced);
    assert_eq!(compact, StoredValue::from(json!({"a": 1, "b": 2})));
    assert_ne!(compact, loaded(r#"{"a":1,"b":3}"#));
    assert_ne!(loaded("1"), loaded("1.0"));
    assert_eq!(json!({"b": 2, "a": 1}), spaced);
}

#[test]
fn a_change_drops_the_text_it_no_longer_matches() {
    let mut v = loaded(r#"{"a":1}"#);
    v["a"] = json!(2);
    assert_eq!(v.raw(), None);
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":2}"#);
    assert_ne!(v, loaded(r#"{"a":1}"#));
    let clone = v.clone();
    assert_eq!(clone, json!({"a": 2}));
}

#[test]
fn debug_and_display_print_the_value() {
    let v = loaded(r#"{"a":[1]}"#);
    assert_eq!(format!("{v:?}"), format!("{:?}", json!({"a": [1]})));
    assert_eq!(v.to_string(), r#"{"a":[1]}"#);
    assert_eq!(StoredValue::default(), Value::Null);
}

#[test]
fn what_is_not_json_is_refused_when_loaded() {
    assert!(serde_json::from_str::<StoredValue>("{\"a\":").is_err());
    assert!(serde_json::from_str::<StoredValue>("").is_err());
}

#[test]
fn the_text_of_one_member_is_found_without_parsing_the_rest() {
    let v = loaded(r#"{"a":{"b":[10,{"c":"x\"y"}]},"id":"null-1","id2":[]}"#);
    assert_eq!(v.text_at("id"), Some(r#""null-1""#));
    assert_eq!(v.text_at("a.b.1"), Some(r#"{"c":"x\"y"}"#));
    assert_eq!(v.text_at("a.b.1.c"), Some(r#""x\"y""#));
    assert_eq!(v.text_at("a.b.0"), Some("10"));
    for missing in ["nope", "a.b.2", "a.b.x", "id.x", "a.b.0.c", ""] {
        assert_eq!(v.text_at(missing), None, "{missing}");
    }
    assert!(!v.is_parsed());
    // The last of a repeated key, as the parsed value keeps it.
    assert_eq!(loaded(r#"{"k":1,"k":2}"#).text_at("k"), Some("2"));
    // An escaped key is still that key.
    assert_eq!(loaded(r#"{"\u0069d":3}"#).text_at("id"), Some("3"));
    // A value built in memory has no text.
    assert_eq!(StoredValue::from(json!({"id": 1})).text_at("id"), None);
}

#[test]
fn other_readers_than_serde_json_give_the_value() {
    // A flattened struct is read through serde's buffered content.
    #[derive(Deserialize)]
    struct Keyed {
        #[allow(dead_code)]
        key: String,
        #[serde(flatten)]
        rest: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        inputs: StoredValue,
        outputs: StoredValue,
    }
    let keyed: Keyed =
        serde_json::from_str(r#"{"key":"k","inputs":{"a":[1]},"outputs":{}}"#).unwrap();
    assert_eq!(keyed.rest.inputs, json!({"a": [1]}));
    assert_eq!(keyed.rest.outputs, json!({}));
    let keyed: Keyed =
        serde_json::from_value(json!({"key": "k", "inputs": null, "outputs": "x"})).unwrap();
    assert_eq!(
        (keyed.rest.inputs, keyed.rest.outputs),
        (json!(null).into(), json!("x").into())
    );
}
