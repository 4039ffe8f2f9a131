//! Route 53's unit tests: record and zone checks, diffs, record ids, the
//! zone lookup's inputs, and the split of a zone's records into managed and
//! foreign.

use super::test_records::listed;
use super::*;
use crate::aws::ResourceType;
use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use meridian_engine::UNKNOWN;
use meridian_schema::Region;
use serde_json::{Value, json};

fn check(inputs: Value) -> Vec<String> {
    check_record(Region::NAMES, &inputs)
        .into_iter()
        .map(|f| format!("{}: {}", f.property, f.reason))
        .collect()
}

fn simple(rtype: &str, values: Value) -> Value {
    json!({"zone_id": "Z1", "name": "www.example.com", "type": rtype, "values": values, "ttl": 300})
}

fn spec(name: &str, rtype: &str) -> RecordSpec {
    RecordSpec::from_inputs(&json!({"zone_id": "Z1", "name": name, "type": rtype, "values": ["x.example.org"], "ttl": 60}))
        .expect("valid spec")
}

#[test]
fn a_valid_simple_record_passes() {
    assert!(check(simple("A", json!(["192.0.2.1", "192.0.2.2"]))).is_empty());
    assert!(check(simple("TXT", json!(["\"hello world\""]))).is_empty());
    assert!(check(simple("MX", json!(["10 mail.example.com"]))).is_empty());
}

#[test]
fn alias_and_values_are_exclusive() {
    let mut r = simple("A", json!(["192.0.2.1"]));
    r["alias"] = json!({"dns_name": "d-1.execute-api.eu-west-1.amazonaws.com", "hosted_zone_id": "ZLY8HYME6SFDD"});
    let f = check(r);
    assert!(f.iter().any(|m| m.contains("mutually exclusive")), "{f:?}");
    assert!(
        f.iter()
            .any(|m| m.starts_with("ttl") && m.contains("alias")),
        "{f:?}"
    );
    let f = check(json!({"zone_id": "Z1", "name": "a.example.com", "type": "A"}));
    assert!(f.iter().any(|m| m.contains("either values")), "{f:?}");
}

#[test]
fn values_need_a_ttl_and_ttl_is_bounded() {
    let f = check(
        json!({"zone_id": "Z1", "name": "a.example.com", "type": "A", "values": ["192.0.2.1"]}),
    );
    assert!(
        f.iter().any(|m| m == "ttl: is required with values"),
        "{f:?}"
    );
    let mut r = simple("A", json!(["192.0.2.1"]));
    r["ttl"] = json!(-1);
    assert!(
        check(r.clone())
            .iter()
            .any(|m| m.starts_with("ttl: must be"))
    );
    r["ttl"] = json!(2_147_483_648_i64);
    assert!(
        check(r.clone())
            .iter()
            .any(|m| m.starts_with("ttl: must be"))
    );
    r["ttl"] = json!(2_147_483_647_i64);
    assert!(check(r).is_empty());
}

#[test]
fn cname_takes_exactly_one_value() {
    let f = check(simple("CNAME", json!(["a.example.org", "b.example.org"])));
    assert!(f.iter().any(|m| m.contains("exactly one value")), "{f:?}");
    assert!(check(simple("CNAME", json!(["a.example.org"]))).is_empty());
}

#[test]
fn latency_region_and_set_identifier_come_together() {
    let mut r = simple("A", json!(["192.0.2.1"]));
    r["latency_region"] = json!("eu-west-1");
    assert!(
        check(r.clone())
            .iter()
            .any(|m| m.starts_with("set_identifier: is required"))
    );
    r["set_identifier"] = json!("eu-west-1");
    assert!(check(r.clone()).is_empty());
    r.as_object_mut().map(|o| o.remove("latency_region"));
    assert!(
        check(r)
            .iter()
            .any(|m| m.starts_with("latency_region: is required"))
    );
    let mut r = simple("A", json!(["192.0.2.1"]));
    r["latency_region"] = json!("eu-westt-1");
    r["set_identifier"] = json!("x".repeat(129));
    let f = check(r);
    assert!(f.iter().any(|m| m.contains("unknown AWS region")), "{f:?}");
    assert!(f.iter().any(|m| m.contains("1 to 128")), "{f:?}");
}

#[test]
fn names_are_checked_for_length_and_characters() {
    let long = format!("{}.example.com", vec!["a".repeat(63); 4].join("."));
    let f =
        check(json!({"zone_id": "Z1", "name": long, "type": "TXT", "values": ["\"x\""], "ttl": 1}));
    assert!(f.iter().any(|m| m.contains("at most 253")), "{f:?}");
    let f = check(
        json!({"zone_id": "Z1", "name": format!("{}.com", "a".repeat(64)), "type": "TXT", "values": ["\"x\""], "ttl": 1}),
    );
    assert!(f.iter().any(|m| m.contains("at most 63")), "{f:?}");
    let f = check(
        json!({"zone_id": "Z1", "name": "a b.example.com", "type": "TXT", "values": ["\"x\""], "ttl": 1}),
    );
    assert!(f.iter().any(|m| m.contains("contains ' '")), "{f:?}");
    assert!(check(json!({"zone_id": "Z1", "name": "*.example.com.", "type": "A", "values": ["192.0.2.1"], "ttl": 1})).is_empty());
    let f = check(
        json!({"zone_id": "Z1", "name": "a.*.example.com", "type": "A", "values": ["192.0.2.1"], "ttl": 1}),
    );
    assert!(f.iter().any(|m| m.contains("leftmost")), "{f:?}");
}

#[test]
fn value_syntax_follows_the_type() {
    let cases = [
        ("A", json!(["2001:db8::1"]), "IPv4"),
        ("AAAA", json!(["192.0.2.1"]), "IPv6"),
        ("MX", json!(["mail.example.com"]), "MX value"),
        ("A", json!(["192.0.2.1", "192.0.2.1"]), "duplicate"),
    ];
    for (rtype, values, says) in cases {
        let f = check(simple(rtype, values));
        assert!(f.iter().any(|m| m.contains(says)), "{rtype}: {f:?}");
    }
    assert!(
        check(simple("SOA", json!(["x"])))
            .iter()
            .any(|m| m.starts_with("type:"))
    );
}

#[test]
fn unknown_values_are_accepted() {
    let r =
        json!({"zone_id": UNKNOWN, "name": UNKNOWN, "type": "NS", "values": UNKNOWN, "ttl": 1800});
    assert!(check(r).is_empty());
    let r = json!({"zone_id": "Z1", "name": "api.example.com", "type": "A",
        "alias": {"dns_name": UNKNOWN, "hosted_zone_id": UNKNOWN}, "latency_region": "sa-east-1", "set_identifier": "sa-east-1"});
    assert!(check(r).is_empty());
    assert!(check(simple("NS", json!([UNKNOWN, "ns-1.example.net"]))).is_empty());
}

#[test]
fn zone_rules_reject_outside_names_and_apex_cname() {
    let f = check_record_in_zone(&spec("other.org", "CNAME"), "example.com.");
    assert!(
        f.iter()
            .any(|f| f.reason.contains("not in zone example.com")),
        "{f:?}"
    );
    let f = check_record_in_zone(&spec("notexample.com", "CNAME"), "example.com");
    assert!(
        !f.is_empty(),
        "a suffix that is not a label boundary is outside"
    );
    let f = check_record_in_zone(&spec("Example.com.", "CNAME"), "example.com");
    assert!(f.iter().any(|f| f.reason.contains("apex")), "{f:?}");
    let f = check_record_in_zone(&spec("example.com", "NS"), "example.com");
    assert!(
        f.iter().any(|f| f.reason.contains("belongs to the zone")),
        "{f:?}"
    );
    assert!(check_record_in_zone(&spec("www.example.com", "CNAME"), "example.com").is_empty());
    assert!(check_record_in_zone(&spec("api.example.com", "NS"), "example.com").is_empty());
}

#[test]
fn record_ids_round_trip() {
    let k = RecordKey {
        zone_id: "Z1".into(),
        name: "api.example.com".into(),
        rtype: "A".into(),
        set_identifier: Some("eu|west".into()),
    };
    assert_eq!(RecordKey::parse(&k.id()).expect("parses"), k);
    let k2 = RecordKey {
        set_identifier: None,
        ..k
    };
    assert_eq!(RecordKey::parse(&k2.id()).expect("parses"), k2);
    assert!(RecordKey::parse("Z1|x").is_err());
}

#[test]
fn spelling_is_not_a_change() {
    let a = json!({"zone_id": "/hostedzone/Z1", "name": "WWW.example.com.", "type": "cname", "values": ["X.example.org."], "ttl": 60});
    let b = json!({"zone_id": "Z1", "name": "www.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
    assert!(Record.diff(&a, &b).changes.is_empty());
    let c = json!({"zone_id": "Z2", "name": "www.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
    assert!(Record.diff(&b, &c).replaces());
    let d = json!({"zone_id": "Z1", "name": "www2.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
    let diff = Record.diff(&b, &d);
    assert!(
        !diff.changes.is_empty() && !diff.replaces(),
        "a rename is in place"
    );
}

/// Whether `ty`'s check passes `inputs` (in us-east-1).
fn accepts(ty: &dyn ResourceType, inputs: Value) -> bool {
    ty.check("us-east-1", &inputs).is_empty()
}

#[test]
fn zone_check_validates_name_and_comment() {
    assert!(accepts(
        &HostedZone,
        json!({"zone_name": "api.example.com"})
    ));
    assert!(accepts(&HostedZone, json!({"zone_name": UNKNOWN})));
    assert!(!accepts(&HostedZone, json!({})));
    assert!(!accepts(&HostedZone, json!({"zone_name": "bad_name!.com"})));
    assert!(!accepts(&HostedZone, json!({"zone_name": "*.example.com"})));
    let long = json!({"zone_name": "example.com", "comment": "c".repeat(257)});
    assert!(
        HostedZone
            .check("us-east-1", &long)
            .iter()
            .any(|f| f.property == "comment")
    );
    let d = HostedZone.diff(
        &json!({"zone_name": "Example.com."}),
        &json!({"zone_name": "example.com"}),
    );
    assert!(d.changes.is_empty());
    let d = HostedZone.diff(
        &json!({"zone_name": "a.com"}),
        &json!({"zone_name": "b.com"}),
    );
    assert!(d.replaces());
}

#[test]
fn lookup_check_needs_a_name_or_an_id() {
    assert!(!accepts(&ZoneLookup, json!({})));
    assert!(accepts(&ZoneLookup, json!({"zone_name": "example.com"})));
    assert!(accepts(&ZoneLookup, json!({"zone_id": "Z123"})));
    assert!(accepts(&ZoneLookup, json!({"zone_id": UNKNOWN})));
    assert!(crate::aws::type_info(ZONE_LOOKUP).is_some_and(|info| info.data_source));
}

#[test]
fn zone_records_split_into_managed_and_foreign() {
    let records = vec![
        listed("example.com.", RrType::Soa, &["ns. admin. 1 2 3 4 5"]),
        listed("example.com.", RrType::Ns, &["ns-1.example.net."]),
        listed(
            "_abc.example.com.",
            RrType::Cname,
            &["_x.acm-validations.aws."],
        ),
        listed(
            "_meridian-refs._abc.example.com.",
            RrType::Txt,
            &["\"arn:aws:acm:us-east-1:1:certificate/x\""],
        ),
        listed(
            "_def.example.com.",
            RrType::Cname,
            &["_y.acm-validations.aws."],
        ),
        listed(
            "_meridian-refs._def.example.com.",
            RrType::Txt,
            &["\"meridian:preexisting\"", "\"arn:a\""],
        ),
        listed("www.example.com.", RrType::A, &["192.0.2.1"]),
    ];
    let (managed, foreign) = partition_zone_records("example.com", &records);
    let names = |v: &[ResourceRecordSet]| -> Vec<String> {
        v.iter()
            .map(|r| format!("{} {}", dns_name(r.name()), r.r#type().as_str()))
            .collect()
    };
    assert_eq!(
        names(&managed),
        vec![
            "_abc.example.com CNAME",
            "_meridian-refs._abc.example.com TXT",
            "_meridian-refs._def.example.com TXT"
        ]
    );
    assert_eq!(
        names(&foreign),
        vec!["_def.example.com CNAME", "www.example.com A"]
    );
}

#[test]
fn an_unquoted_txt_value_is_refused_naming_it() {
    let f = check(simple("TXT", json!(["v=spf1 -all"])));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].starts_with("values.0: \"v=spf1 -all\" must be enclosed in quotation marks"),
        "{f:?}"
    );
    assert!(check(simple("TXT", json!(["\"a\" \"b\""]))).is_empty());
    assert_eq!(check(simple("SPF", json!(["\""]))).len(), 1);
}

#[test]
fn only_a_batch_that_met_other_records_is_stale() {
    let exists = "[Tried to create resource record set [name='www.example.com.', type='CNAME'] but it already exists]";
    let gone = "[Tried to delete resource record set [name='a.example.com.', type='A'] but it was not found, \
                Tried to delete resource record set [name='b.example.com.', type='A', set-identifier='x'] \
                but the values provided do not match the current values]";
    assert!(change_batch::is_stale_batch(exists));
    assert!(change_batch::is_stale_batch(gone));
    for invalid in [
        "[RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.]",
        "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'x'']",
        "[Tried to create resource record set [name='a.example.com.', type='A'] but it already exists, \
         RRSet with DNS name a.example.com., type A cannot be created as other RRSets exist with the same name and type.]",
    ] {
        assert!(!change_batch::is_stale_batch(invalid), "{invalid}");
    }
}
