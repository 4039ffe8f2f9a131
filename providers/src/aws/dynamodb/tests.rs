//! DynamoDB's unit tests: the table checks, the diff, the protection
//! defaults and regional ARNs.

use super::spec::{arn_in, check_table, ordered_regions};
use super::*;
use crate::aws::ResourceType;
use meridian_engine::UNKNOWN;
use serde_json::{Value, json};
use std::time::Duration;

fn valid() -> Value {
    json!({
        "table_name": "global-table",
        "partition_key": {"name": "id", "type": "S"},
        "replica_regions": ["eu-west-1", "sa-east-1"],
    })
}

fn reasons(region: &str, inputs: &Value) -> Vec<String> {
    check_table(region, inputs)
        .into_iter()
        .map(|f| format!("{}: {}", f.property, f.reason))
        .collect()
}

/// Whether some reason the check gives for `inputs` (in us-east-1) matches.
fn any_reason(inputs: &Value, matches: impl Fn(&String) -> bool) -> bool {
    reasons("us-east-1", inputs).iter().any(matches)
}

#[test]
fn a_valid_table_passes() {
    assert!(reasons("us-east-1", &valid()).is_empty());
    let mut t = valid();
    t["sort_key"] = json!({"name": "at", "type": "N"});
    t["billing_mode"] = json!("PAY_PER_REQUEST");
    assert!(reasons("us-east-1", &t).is_empty());
}

#[test]
fn table_names_follow_aws_rules() {
    for bad_name in ["ab", "has space", "slash/no", &"x".repeat(256)] {
        let mut t = valid();
        t["table_name"] = json!(bad_name);
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|r| r.starts_with("table_name")),
            "{bad_name}"
        );
    }
    let mut t = valid();
    t["table_name"] = json!("a.b_c-1");
    assert!(reasons("us-east-1", &t).is_empty());
}

#[test]
fn keys_need_a_name_and_a_scalar_type() {
    let mut t = valid();
    t["partition_key"] = json!({"name": "id", "type": "BOOL"});
    assert!(any_reason(&t, |r| r.contains("not a key type")));
    t["partition_key"] = json!({"type": "S"});
    assert!(any_reason(&t, |r| r.starts_with("partition_key.name")));
    t.as_object_mut().map(|o| o.remove("partition_key"));
    assert!(any_reason(&t, |r| r == "partition_key: is required"));
    let mut t = valid();
    t["sort_key"] = json!({"name": "id", "type": "S"});
    assert!(any_reason(&t, |r| r.contains("must differ")));
}

#[test]
fn replica_regions_are_known_distinct_and_not_the_primary() {
    let mut t = valid();
    t["replica_regions"] = json!(["us-east-1", "eu-west-1", "eu-west-1", "mars-north-1"]);
    let r = reasons("us-east-1", &t);
    assert!(r.iter().any(|m| m.contains("own region")), "{r:?}");
    assert!(r.iter().any(|m| m.contains("listed twice")), "{r:?}");
    assert!(r.iter().any(|m| m.contains("unknown AWS region")), "{r:?}");
}

#[test]
fn billing_modes_and_capacity_go_together() {
    let mut t = valid();
    t["billing_mode"] = json!("PROVISIONED");
    let r = reasons("us-east-1", &t);
    assert!(
        r.iter()
            .any(|m| m.starts_with("read_capacity: is required")),
        "{r:?}"
    );
    assert!(
        r.iter().any(|m| m.contains("needs PAY_PER_REQUEST")),
        "{r:?}"
    );
    t["replica_regions"] = json!([]);
    t["read_capacity"] = json!(5);
    t["write_capacity"] = json!(5);
    assert!(reasons("us-east-1", &t).is_empty());
    let mut t = valid();
    t["read_capacity"] = json!(5);
    assert!(any_reason(&t, |m| m.contains("only for billing_mode")));
    t["billing_mode"] = json!("ON_DEMAND");
    assert!(any_reason(&t, |m| m.starts_with("billing_mode")));
}

#[test]
fn unknown_values_are_accepted() {
    let t = json!({
        "table_name": UNKNOWN,
        "partition_key": {"name": UNKNOWN, "type": "S"},
        "replica_regions": [UNKNOWN, "eu-west-1"],
    });
    assert!(reasons("us-east-1", &t).is_empty());
    let t = json!({"table_name": "t-1", "partition_key": UNKNOWN, "replica_regions": UNKNOWN});
    assert!(reasons("us-east-1", &t).is_empty());
}

#[test]
fn diff_replaces_on_keys_and_name_only() {
    let old = valid();
    let mut reordered = valid();
    reordered["replica_regions"] = json!(["sa-east-1", "eu-west-1"]);
    reordered["billing_mode"] = json!("PAY_PER_REQUEST");
    assert!(GlobalTable.diff(&old, &reordered).changes.is_empty());
    let mut more = valid();
    more["replica_regions"] = json!(["eu-west-1", "sa-east-1", "ap-south-1"]);
    let d = GlobalTable.diff(&old, &more);
    assert!(!d.changes.is_empty() && !d.replaces());
    for (key, value) in [
        ("table_name", json!("other-table")),
        ("partition_key", json!({"name": "pk", "type": "S"})),
        ("sort_key", json!({"name": "sk", "type": "S"})),
    ] {
        let mut new = valid();
        new[key] = value;
        let d = GlobalTable.diff(&old, &new);
        assert!(d.replaces() && d.delete_before_replace, "{key}");
    }
}

#[test]
fn data_is_protected_and_retained_by_default() {
    let info = crate::aws::type_info(GLOBAL_TABLE).expect("a served type");
    assert!(info.protect_by_default && info.retain_by_default);
    assert_eq!(info.timeouts.create, Duration::from_secs(3600));
}

#[test]
fn regional_arns_swap_only_the_region() {
    assert_eq!(
        arn_in(
            "arn:aws:dynamodb:us-east-1:123456789012:table/global-table",
            "sa-east-1"
        ),
        "arn:aws:dynamodb:sa-east-1:123456789012:table/global-table"
    );
    let regions = ordered_regions(
        "us-east-1",
        &["sa-east-1".into(), "eu-west-1".into(), "ap-south-1".into()],
        &["eu-west-1".into(), "sa-east-1".into()],
    );
    assert_eq!(
        regions,
        vec!["us-east-1", "eu-west-1", "sa-east-1", "ap-south-1"]
    );
}
