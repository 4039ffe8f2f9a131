//! ACM's unit tests: the reference-set plans of shared validation records,
//! the certificate's checks and diffs, and its idempotency token.

use super::certificate::{arn_region, idempotency_token, request_token};
use super::validation::{RefOp, ValidationRecord, plan_refs};
use super::*;
use crate::aws::ResourceType;
use crate::aws::route53::PREEXISTING_REF;
use crate::aws::route53::test_records::listed;
use aws_sdk_route53::types::{Change, ResourceRecordSet, RrType};
use meridian_engine::ProviderError;
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

/// The validation CNAME as Route 53 lists it, pointing at `target`.
fn cname(target: &str) -> ResourceRecordSet {
    listed("_abc.api.example.com.", RrType::Cname, &[target])
}

/// The reference TXT as Route 53 lists it, naming `users` (quoted).
fn refs(users: &[&str]) -> ResourceRecordSet {
    let quoted: Vec<String> = users.iter().map(|u| format!("\"{u}\"")).collect();
    let values: Vec<&str> = quoted.iter().map(String::as_str).collect();
    listed("_meridian-refs._abc.api.example.com.", RrType::Txt, &values)
}

/// The changes of one reference-set plan for [`record`], no dead users.
fn plan(
    op: RefOp,
    arn: &str,
    cname: Option<&ResourceRecordSet>,
    refs: Option<&ResourceRecordSet>,
) -> Result<Option<Vec<Change>>, ProviderError> {
    plan_refs(op, arn, &record(), cname, refs, &BTreeSet::new())
}

fn summary(changes: &[Change]) -> Vec<String> {
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
    let plan = plan(RefOp::Add, A, None, None)
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
    let cname = cname("_def.acm-validations.aws.");
    let changes = plan(RefOp::Add, B, Some(&cname), Some(&refs(&[A])))
        .expect("plan")
        .expect("changes");
    assert_eq!(
        summary(&changes),
        vec![
            format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{A}\""),
            format!("CREATE _meridian-refs._abc.api.example.com TXT \"{B}\",\"{A}\""),
        ]
    );
    // Already listed: nothing to do.
    let both = refs(&[A, B]);
    assert!(
        plan(RefOp::Add, B, Some(&cname), Some(&both))
            .expect("plan")
            .is_none()
    );
}

#[test]
fn the_cname_goes_only_with_its_last_user() {
    let cname = cname("_def.acm-validations.aws.");
    let both = refs(&[A, B]);
    let changes = plan(RefOp::Remove, A, Some(&cname), Some(&both))
        .expect("plan")
        .expect("changes");
    assert_eq!(changes.len(), 2);
    assert!(summary(&changes)[1].starts_with("CREATE _meridian-refs"));
    let changes = plan(RefOp::Remove, B, Some(&cname), Some(&refs(&[B])))
        .expect("plan")
        .expect("changes");
    assert_eq!(
        summary(&changes),
        vec![
            format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{B}\""),
            "DELETE _abc.api.example.com. CNAME _def.acm-validations.aws.".to_string(),
        ]
    );
    // Dead certificates are dropped along the way.
    let dead: BTreeSet<String> = [B.to_string()].into();
    let changes = plan_refs(
        RefOp::Remove,
        A,
        &record(),
        Some(&cname),
        Some(&both),
        &dead,
    )
    .expect("plan")
    .expect("changes");
    assert!(
        summary(&changes)
            .iter()
            .any(|s| s.starts_with("DELETE _abc"))
    );
}

#[test]
fn a_cname_that_was_there_before_is_never_deleted() {
    let cname = cname("_def.acm-validations.aws.");
    let changes = plan(RefOp::Add, A, Some(&cname), None)
        .expect("plan")
        .expect("changes");
    assert_eq!(
        summary(&changes),
        vec![format!(
            "CREATE _meridian-refs._abc.api.example.com TXT \"{A}\",\"{PREEXISTING_REF}\""
        )]
    );
    let listed = refs(&[A, PREEXISTING_REF]);
    let changes = plan(RefOp::Remove, A, Some(&cname), Some(&listed))
        .expect("plan")
        .expect("changes");
    assert_eq!(
        summary(&changes).len(),
        1,
        "only the reference TXT goes: {:?}",
        summary(&changes)
    );
}

#[test]
fn a_foreign_cname_with_another_value_is_an_error() {
    let cname = cname("_other.acm-validations.aws.");
    let e = plan(RefOp::Add, A, Some(&cname), None).expect_err("conflict");
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

#[test]
fn the_request_token_is_the_same_for_the_same_declaration_and_differs_for_a_replacement() {
    let urn = "urn:meridian:dev::aws:acm:Certificate::cert";
    let inputs = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1",
        "subject_alternative_names": ["b.example.com", "a.example.com"]});
    let reordered = json!({"validation_zone_id": "Z1", "domain_name": "api.example.com",
        "subject_alternative_names": ["a.example.com", "b.example.com"]});
    let token = request_token(urn, &inputs);
    assert_eq!(token.len(), 32);
    assert_eq!(idempotency_token(&token).as_deref(), Some(token.as_str()));
    assert_eq!(token, request_token(urn, &reordered));
    let other_zone = json!({"domain_name": "api.example.com", "validation_zone_id": "Z2",
        "subject_alternative_names": ["a.example.com", "b.example.com"]});
    assert_ne!(token, request_token(urn, &other_zone));
    assert_ne!(
        token,
        request_token("urn:meridian:prod::aws:acm:Certificate::cert", &inputs)
    );
}
