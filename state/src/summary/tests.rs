use super::*;
use crate::{ProviderConfig, StoredValue};
use serde_json::json;

fn record() -> ResourceRecord {
    ResourceRecord {
        urn: "urn:meridian:dev::t:t:T::a".into(),
        name: "a".into(),
        type_token: "t:t:T".into(),
        region: "eu-west-1".into(),
        provider: "t".into(),
        id: "id-1".into(),
        inputs: json!({"size": 1}).into(),
        outputs: json!({"arn": "arn:x"}).into(),
        ..Default::default()
    }
}

#[test]
fn a_stamp_holds_until_what_it_vouches_for_changes() {
    let mut rec = record();
    assert_eq!(rec.declared_digest(), None, "not stamped");
    rec.stamp(&[7; 16]);
    assert_eq!(rec.declared_digest(), Some([7; 16]));
    assert_eq!(RecordHeader::of(&rec).declared, Some([7; 16]));

    // What the stamp does not cover: new outputs, another id.
    let mut refreshed = rec.clone();
    refreshed.outputs = json!({"arn": "arn:y"}).into();
    refreshed.id = "id-2".into();
    assert_eq!(refreshed.declared_digest(), Some([7; 16]));

    let changes: [fn(&mut ResourceRecord); 4] = [
        |r| r.inputs["size"] = json!(2),
        |r| r.region = "us-east-1".into(),
        |r| r.urn = "urn:meridian:dev::t:t:T::b".into(),
        |r| {
            r.provider_config = Some(Box::new(ProviderConfig {
                name: "other".into(),
                target: "role:arn:aws:iam::1:role/x".into(),
                ..Default::default()
            }))
        },
    ];
    for change in changes {
        let mut changed = rec.clone();
        change(&mut changed);
        assert_eq!(changed.declared_digest(), None, "{changed:?}");
        assert_eq!(RecordHeader::of(&changed).declared, None);
    }
}

#[test]
fn a_value_loaded_as_text_has_the_digest_of_the_value() {
    let value = json!({"z": [1, {"b": null}], "a": "\u{e9}"});
    let spaced: StoredValue =
        serde_json::from_str(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let compact: StoredValue = serde_json::from_str(&value.to_string()).unwrap();
    assert!(spaced.raw().is_some() && compact.raw().is_some());
    assert_eq!(digest_json(&spaced), digest_json(&value));
    assert_eq!(digest_json(&compact), digest_json(&value));
    assert_ne!(digest_json(&value), digest_json(&json!({"z": [1]})));
}
