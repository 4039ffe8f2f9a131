//! Unit tests of `aws:iam:Role`: input checks, generated names and the diff.

use super::*;
use meridian_engine::UNKNOWN;
use std::time::Duration;

fn lambda_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

fn read_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"
        }]
    })
}

#[test]
fn a_valid_role_passes() {
    let f = check_role(&json!({
        "assume_role_policy": lambda_trust(),
        "inline_policies": {"read": read_policy()},
        "managed_policy_arns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        "path": "/app/",
        "description": "the function's role"
    }));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn policy_documents_need_version_and_statement() {
    let f = check_role(&json!({"assume_role_policy": {"Statement": []}}));
    assert!(
        f.iter().any(|c| c.property == "assume_role_policy.Version"),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|c| c.property == "assume_role_policy.Statement"),
        "{f:?}"
    );
    let f = check_role(&json!({"assume_role_policy": "not a document"}));
    assert_eq!(f.len(), 1, "{f:?}");
    let f = check_role(&json!({}));
    assert!(
        f.iter().any(|c| c.property == "assume_role_policy"),
        "{f:?}"
    );
}

#[test]
fn trust_and_identity_policies_are_told_apart() {
    let mut trust_with_resource = lambda_trust();
    trust_with_resource["Statement"][0]["Resource"] = json!("*");
    let mut identity_with_principal = read_policy();
    identity_with_principal["Statement"][0]["Principal"] = json!("*");
    let f = check_role(&json!({
        "assume_role_policy": trust_with_resource,
        "inline_policies": {"p": identity_with_principal}
    }));
    assert!(
        f.iter()
            .any(|c| c.reason.contains("trust policy may not have Resource")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|c| c.reason.contains("identity policy may not have Principal")),
        "{f:?}"
    );
}

#[test]
fn managed_policy_arns_are_checked_for_shape() {
    assert!(is_managed_policy_arn(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ));
    assert!(is_managed_policy_arn(
        "arn:aws:iam::123456789012:policy/mine"
    ));
    assert!(!is_managed_policy_arn("arn:aws:iam::123:policy/mine"));
    assert!(!is_managed_policy_arn("arn:aws:iam::aws:role/x"));
    assert!(!is_managed_policy_arn("AWSLambdaBasicExecutionRole"));
    let f = check_role(&json!({
        "assume_role_policy": lambda_trust(),
        "managed_policy_arns": ["AWSLambdaBasicExecutionRole", UNKNOWN]
    }));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].property, "managed_policy_arns.0");
}

#[test]
fn unknown_values_are_accepted_while_planning() {
    let mut policy = read_policy();
    policy["Statement"][0]["Resource"] = json!(UNKNOWN);
    let f = check_role(&json!({
        "role_name": UNKNOWN,
        "assume_role_policy": lambda_trust(),
        "inline_policies": {"read": policy, "later": UNKNOWN},
        "managed_policy_arns": UNKNOWN
    }));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn bad_names_and_paths_are_rejected() {
    let f = check_role(&json!({
        "role_name": "has space",
        "path": "no-slashes",
        "assume_role_policy": lambda_trust()
    }));
    assert_eq!(f.len(), 2, "{f:?}");
    let long = "r".repeat(65);
    let f = check_role(&json!({"role_name": long, "assume_role_policy": lambda_trust()}));
    assert_eq!(f.len(), 1, "{f:?}");
}

/// A context for the resource `urn` named `name` in us-east-1.
fn ctx_named(urn: &str, name: &str) -> OpContext {
    OpContext::new(urn, name, "us-east-1", "t", Duration::from_secs(1))
}

#[test]
fn generated_names_are_deterministic_and_fit() {
    let ctx = ctx_named("urn:meridian:dev::aws:iam:Role::fn-role", "fn-role");
    let a = role_name_for(&json!({}), &ctx);
    assert_eq!(a, role_name_for(&json!({}), &ctx));
    assert!(
        a.starts_with("fn-role-") && a.len() == "fn-role-".len() + 8,
        "{a}"
    );
    let long = ctx_named("urn:x", &"n".repeat(100));
    assert_eq!(role_name_for(&json!({}), &long).len(), 64);
    let other = ctx_named("urn:meridian:prod::aws:iam:Role::fn-role", "fn-role");
    assert_ne!(a, role_name_for(&json!({}), &other));
    assert_eq!(role_name_for(&json!({"role_name": "given"}), &ctx), "given");
}

#[test]
fn diff_ignores_order_and_defaults_and_replaces_on_name_and_path() {
    let role = Role;
    let a = json!({"assume_role_policy": lambda_trust(), "managed_policy_arns": ["arn:aws:iam::aws:policy/a", "arn:aws:iam::aws:policy/b"]});
    let b = json!({"assume_role_policy": lambda_trust(), "path": "/", "inline_policies": {}, "managed_policy_arns": ["arn:aws:iam::aws:policy/b", "arn:aws:iam::aws:policy/a"]});
    assert!(role.diff(&a, &b).changes.is_empty());

    let mut c = b.clone();
    c["inline_policies"] = json!({"read": read_policy()});
    let d = role.diff(&b, &c);
    assert_eq!(d.changes.len(), 1);
    assert!(!d.replaces());

    let mut moved = b.clone();
    moved["path"] = json!("/other/");
    let d = role.diff(&b, &moved);
    assert!(d.replaces());
    assert!(d.delete_before_replace, "same generated name on both sides");

    let renamed_from = json!({"role_name": "a", "assume_role_policy": lambda_trust()});
    let renamed_to = json!({"role_name": "b", "assume_role_policy": lambda_trust()});
    let d = role.diff(&renamed_from, &renamed_to);
    assert!(d.replaces());
    assert!(
        !d.delete_before_replace,
        "a new name can exist next to the old one"
    );
}
