//! ACM's unit tests: the reference-set plans of shared validation records,
//! the certificate's checks and diffs, and its idempotency token.

use super::certificate::{arn_region, idempotency_token};
use super::validation::{RefOp, ValidationRecord, plan_refs};
use super::*;
use crate::aws::ResourceType;
use crate::aws::route53::PREEXISTING_REF;
use aws_sdk_route53::types::{ResourceRecord, ResourceRecordSet, RrType};
use meridian_engine::UNKNOWN;
use serde_json::json;
use std::collections::BTreeSet;

fn record() -> ValidationRecord {
    ValidationRecord {
        name: "_abc.api.example.com".into(),
        rtype: "CNAME".into(),
        value: "_def.acm-validations.aws".into(),
    }
}

fn rrset(name: &str, rtype: RrType, values: &[&str]) -> ResourceRecordSet {
    let mut b = ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(300);
    for v in values {
        b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
    }
    b.build().expect("record set")
}

fn summary(changes: &[aws_sdk_route53::types::Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let rs = c.resource_record_set().expect("record set");
            let values: Vec<&str> = rs.resource_records().iter().map(|r| r.value()).collect();
            format!(
                "{} {} {} {}",
                c.action().as_str(),
                rs.name(),
                rs.r#type().as_str(),
                values.join(",")
            )
        })
        .collect()
}

const A: &str = "arn:aws:acm:us-east-1:1:certificate/a";
const B: &str = "arn:aws:acm:eu-west-1:1:certificate/b";

#[test]
fn first_user_creates_the_cname_and_the_set_together() {
    let plan = plan_refs(RefOp::Add, A, &record(), None, None, &BTreeSet::new())
        .expect("plan")
        .expect("changes");
    assert_eq!(
        summary(&plan),
        vec![
            format!("CREATE _meridian-refs._abc.api.example.com TXT \"{A}\""),
            "CREATE _abc.api.example.com CNAME _def.acm-validations.aws".to_string(),
        ]
    );
}

#[test]
fn second_user_replaces_the_set_with_an_exact_delete() {
    let cname = rrset(
        "_abc.api.example.com.",
        RrType::Cname,
        &["_def.acm-validations.aws."],
    );
    let refs = rrset(
        "_meridian-refs._abc.api.example.com.",
        RrType::Txt,
        &[&format!("\"{A}\"")],
    );
    let plan = plan_refs(
        RefOp::Add,
        B,
        &record(),
        Some(&cname),
        Some(&refs),
        &BTreeSet::new(),
    )
    .expect("plan")
    .expect("changes");
    assert_eq!(
        summary(&plan),
        vec![
            format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{A}\""),
            format!("CREATE _meridian-refs._abc.api.example.com TXT \"{B}\",\"{A}\""),
        ]
    );
    // Already listed: nothing to do.
    let both = rrset(
        "_meridian-refs._abc.api.example.com.",
        RrType::Txt,
        &[&format!("\"{A}\""), &format!("\"{B}\"")],
    );
    assert!(
        plan_refs(
            RefOp::Add,
            B,
            &record(),
            Some(&cname),
            Some(&both),
            &BTreeSet::new()
        )
        .expect("plan")
        .is_none()
    );
}

#[test]
fn the_cname_goes_only_with_its_last_user() {
    let cname = rrset(
        "_abc.api.example.com.",
        RrType::Cname,
        &["_def.acm-validations.aws."],
    );
    let both = rrset(
        "_meridian-refs._abc.api.example.com.",
        RrType::Txt,
        &[&format!("\"{A}\""), &format!("\"{B}\"")],
    );
    let plan = plan_refs(
        RefOp::Remove,
        A,
        &record(),
        Some(&cname),
        Some(&both),
        &BTreeSet::new(),
    )
    .expect("plan")
    .expect("changes");
    assert_eq!(plan.len(), 2);
    assert!(summary(&plan)[1].starts_with("CREATE _meridian-refs"));
    let only_b = rrset(
        "_meridian-refs._abc.api.example.com.",
        RrType::Txt,
        &[&format!("\"{B}\"")],
    );
    let plan = plan_refs(
        RefOp::Remove,
        B,
        &record(),
        Some(&cname),
        Some(&only_b),
        &BTreeSet::new(),
    )
    .expect("plan")
    .expect("changes");
    assert_eq!(
        summary(&plan),
        vec![
            format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{B}\""),
            "DELETE _abc.api.example.com. CNAME _def.acm-validations.aws.".to_string(),
        ]
    );
    // Dead certificates are dropped along the way.
    let dead: BTreeSet<String> = [B.to_string()].into();
    let plan = plan_refs(
        RefOp::Remove,
        A,
        &record(),
        Some(&cname),
        Some(&both),
        &dead,
    )
    .expect("plan")
    .expect("changes");
    assert!(summary(&plan).iter().any(|s| s.starts_with("DELETE _abc")));
}

#[test]
fn a_cname_that_was_there_before_is_never_deleted() {
    let cname = rrset(
        "_abc.api.example.com.",
        RrType::Cname,
        &["_def.acm-validations.aws."],
    );
    let plan = plan_refs(
        RefOp::Add,
        A,
        &record(),
        Some(&cname),
        None,
        &BTreeSet::new(),
    )
    .expect("plan")
    .expect("changes");
    assert_eq!(
        summary(&plan),
        vec![format!(
            "CREATE _meridian-refs._abc.api.example.com TXT \"{A}\",\"{PREEXISTING_REF}\""
        )]
    );
    let refs = rrset(
        "_meridian-refs._abc.api.example.com.",
        RrType::Txt,
        &[&format!("\"{A}\""), &format!("\"{PREEXISTING_REF}\"")],
    );
    let plan = plan_refs(
        RefOp::Remove,
        A,
        &record(),
        Some(&cname),
        Some(&refs),
        &BTreeSet::new(),
    )
    .expect("plan")
    .expect("changes");
    assert_eq!(
        summary(&plan).len(),
        1,
        "only the reference TXT goes: {:?}",
        summary(&plan)
    );
}

#[test]
fn a_foreign_cname_with_another_value_is_an_error() {
    let cname = rrset(
        "_abc.api.example.com.",
        RrType::Cname,
        &["_other.acm-validations.aws."],
    );
    let e = plan_refs(
        RefOp::Add,
        A,
        &record(),
        Some(&cname),
        None,
        &BTreeSet::new(),
    )
    .expect_err("conflict");
    assert!(e.message.contains("ACM asks for"), "{e}");
}

#[test]
fn check_validates_names() {
    let ok = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1",
        "subject_alternative_names": ["*.api.example.com"]});
    assert!(Certificate.check("us-east-1", &ok).is_empty());
    let unknown = json!({"domain_name": UNKNOWN, "validation_zone_id": UNKNOWN,
        "subject_alternative_names": UNKNOWN});
    assert!(Certificate.check("us-east-1", &unknown).is_empty());
    let bad = json!({"domain_name": "localhost", "subject_alternative_names": ["a.example.com", "A.example.com."]});
    let f = Certificate.check("us-east-1", &bad);
    assert!(
        f.iter().any(|f| f.property == "validation_zone_id"),
        "{f:?}"
    );
    assert!(
        f.iter().any(|f| f.reason.contains("fully qualified")),
        "{f:?}"
    );
    assert!(f.iter().any(|f| f.reason.contains("duplicate")), "{f:?}");
}

#[test]
fn every_input_change_replaces() {
    let a = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1"});
    let same = json!({"domain_name": "API.example.com.", "validation_zone_id": "Z1", "subject_alternative_names": []});
    assert!(Certificate.diff(&a, &same).changes.is_empty());
    for changed in [
        json!({"domain_name": "www.example.com", "validation_zone_id": "Z1"}),
        json!({"domain_name": "api.example.com", "validation_zone_id": "Z2"}),
        json!({"domain_name": "api.example.com", "validation_zone_id": "Z1", "subject_alternative_names": ["x.example.com"]}),
    ] {
        assert!(Certificate.diff(&a, &changed).replaces(), "{changed}");
    }
}

#[test]
fn a_certificate_never_validated_through_the_zone_is_updated_not_replaced() {
    let adopted = json!({"domain_name": "api.example.com"});
    let wanted = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1"});
    let diff = Certificate.diff(&adopted, &wanted);
    assert_eq!(diff.changes.len(), 1, "{diff:?}");
    assert!(!diff.replaces(), "{diff:?}");
}

#[test]
fn idempotency_tokens_fit_acm() {
    assert_eq!(
        idempotency_token(&"ab".repeat(20)).map(|t| t.len()),
        Some(32)
    );
    assert_eq!(idempotency_token("0123abcd").as_deref(), Some("0123abcd"));
    assert_eq!(idempotency_token("--"), None);
    assert_eq!(arn_region(A), Some("us-east-1"));
}
