//! `aws:iam:Role` against the local test cloud: create with inline and
//! managed policies, read back (by name and by identity), in-place updates
//! that reconcile policies and attachments, replacement diffs, drift, the
//! adoption of an interrupted create, and a clean delete. Checked with the SDK.

use crate::support::provider::{
    HOME, Harness, assert_message, decode_policy_document, role_name_for,
};
use crate::support::sdk;
use meridian_engine::Provider;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ROLE: &str = "aws:iam:Role";
const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const XRAY: &str = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";

fn trust(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    })
}

fn table_read(account: &str) -> Value {
    let arn = format!("arn:aws:dynamodb:us-east-1:{account}:table/global-table");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": [arn.clone(), format!("{arn}/index/*")]
        }]
    })
}

/// Inline policy names, each document decoded, and attached ARNs, per the SDK.
async fn sdk_policies(e: &Harness, role: &str) -> (Vec<(String, Value)>, BTreeSet<String>) {
    let names = e
        .iam()
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("ListRolePolicies")
        .policy_names()
        .to_vec();
    let mut inline = Vec::new();
    for n in names {
        let doc = e
            .iam()
            .get_role_policy()
            .role_name(role)
            .policy_name(&n)
            .send()
            .await
            .expect("GetRolePolicy")
            .policy_document()
            .to_string();
        let doc = decode_policy_document(&doc).expect("policy JSON");
        inline.push((n, doc));
    }
    let attached = e
        .iam()
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("ListAttachedRolePolicies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    (inline, attached)
}

/// Detaches `policy` from `role` with the SDK.
async fn sdk_detach(e: &Harness, role: &str, policy: &str) {
    let detach = e
        .iam()
        .detach_role_policy()
        .role_name(role)
        .policy_arn(policy);
    detach.send().await.expect("DetachRolePolicy");
}

/// Deletes role `role` by hand: its inline policies, its attachments,
/// then the role.
async fn sdk_delete_role(e: &Harness, role: &str) {
    let (inline, attached) = sdk_policies(e, role).await;
    for (name, _) in inline {
        let request = e.iam().delete_role_policy().role_name(role);
        let deleted = request.policy_name(name).send().await;
        deleted.expect("DeleteRolePolicy");
    }
    for policy in attached {
        sdk_detach(e, role, &policy).await;
    }
    let deleted = e.iam().delete_role().role_name(role).send().await;
    deleted.expect("DeleteRole");
}

/// The role as the SDK sees it.
async fn sdk_role(e: &Harness, name: &str) -> aws_sdk_iam::types::Role {
    let out = e.iam().get_role().role_name(name).send().await;
    out.expect("GetRole").role().cloned().expect("role")
}

#[tokio::test]
async fn role_lifecycle_with_inline_and_managed_policies() {
    let e = Harness::new(HOME).await.fixed_token();
    let c = e.ctx(ROLE, "fn-role");
    let inputs = json!({
        "assume_role_policy": trust("lambda.amazonaws.com"),
        "inline_policies": {"read-table": table_read(e.account.id())},
        "managed_policy_arns": [BASIC],
        "description": "the function's role"
    });
    assert!(e.provider.check(ROLE, "us-east-1", &inputs).is_empty());

    let created = e.create(&c, ROLE, &inputs).await;
    let name = created.id.clone();
    assert!(
        name.starts_with("fn-role-") && name.len() <= 64,
        "generated name {name}"
    );
    assert_eq!(created.outputs["role_name"], json!(name));
    assert_eq!(
        created.outputs["arn"],
        json!(format!("arn:aws:iam::{}:role/{name}", e.account.id()))
    );
    assert!(
        created.outputs["role_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // The cloud has the role, its identity tags, one inline policy and one attachment.
    let role = sdk_role(&e, &name).await;
    assert_eq!(role.description(), Some("the function's role"));
    assert!(
        role.tags()
            .iter()
            .any(|t| t.key() == "meridian:urn" && t.value() == c.urn)
    );
    let (inline, attached) = sdk_policies(&e, &name).await;
    assert_eq!(
        inline,
        vec![("read-table".to_string(), table_read(e.account.id()))]
    );
    assert_eq!(attached, BTreeSet::from([BASIC.to_string()]));

    // Read back by id: no drift, so the diff against the recorded inputs is empty.
    // Read by identity (no id): the generated name and the URN tag find it.
    let read = e.assert_read_back_clean(&c, ROLE, &name, &inputs).await;
    assert_eq!(read.outputs, created.outputs);
    e.assert_no_changes(ROLE, &inputs, &inputs);

    // Update in place: trust, description, inline (change one, add one, keep
    // none of the old), attachments (detach one, attach another).
    let mut trust2 = trust("lambda.amazonaws.com");
    trust2["Statement"][0]["Principal"]["Service"] =
        json!(["lambda.amazonaws.com", "edgelambda.amazonaws.com"]);
    let updated_inputs = json!({
        "assume_role_policy": trust2,
        "inline_policies": {"read-more": table_read("111111111111")},
        "managed_policy_arns": [XRAY],
        "description": "changed"
    });
    let d = e.provider.diff(ROLE, &inputs, &updated_inputs);
    assert!(!d.replaces() && !d.changes.is_empty(), "{d:?}");
    let outputs = e
        .update(&c, ROLE, &name, &inputs, &updated_inputs, &created.outputs)
        .await;
    assert_eq!(outputs, created.outputs);
    let (inline, attached) = sdk_policies(&e, &name).await;
    assert_eq!(
        inline,
        vec![("read-more".to_string(), table_read("111111111111"))]
    );
    assert_eq!(attached, BTreeSet::from([XRAY.to_string()]));
    let role = sdk_role(&e, &name).await;
    assert_eq!(role.description(), Some("changed"));
    let doc = decode_policy_document(role.assume_role_policy_document().expect("trust"))
        .expect("trust JSON");
    assert_eq!(doc, trust2);

    // A new path is a replacement; with the same (generated) name it must delete first.
    let mut moved = updated_inputs.clone();
    moved["path"] = json!("/app/");
    let d = e.provider.diff(ROLE, &updated_inputs, &moved);
    assert!(d.replaces() && d.delete_before_replace, "{d:?}");

    // Delete detaches and removes the policies first, then the role.
    e.delete(&c, ROLE, &name, &updated_inputs, &outputs).await;
    let gone = e.iam().get_role().role_name(&name).send().await;
    assert!(gone.is_err(), "role still exists");
    e.assert_not_found(&c, ROLE, &name, &inputs).await;
    e.delete(&c, ROLE, &name, &updated_inputs, &outputs).await;
}

#[tokio::test]
async fn role_drift_is_seen_and_repaired() {
    let e = Harness::new(HOME).await.fixed_token();
    let c = e.ctx(ROLE, "drifting");
    let inputs = json!({
        "role_name": "drifting-role",
        "assume_role_policy": trust("lambda.amazonaws.com"),
        "inline_policies": {"read-table": table_read(e.account.id())},
        "managed_policy_arns": [BASIC]
    });
    let created = e.create(&c, ROLE, &inputs).await;
    assert_eq!(created.id, "drifting-role");

    // Behind Meridian's back: another inline policy, a detach, a new trust policy.
    let sneaky = table_read("222222222222").to_string();
    sdk::put_role_policy(&e.iam(), "drifting-role", "sneaky", &sneaky).await;
    sdk_detach(&e, "drifting-role", BASIC).await;
    e.iam()
        .update_assume_role_policy()
        .role_name("drifting-role")
        .policy_document(trust("ec2.amazonaws.com").to_string())
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");

    let read = e.found(&c, ROLE, "drifting-role", &inputs).await;
    let cloud = read.inputs.expect("inputs");
    assert_eq!(cloud["assume_role_policy"], trust("ec2.amazonaws.com"));
    assert_eq!(cloud["managed_policy_arns"], json!([]));
    assert!(cloud["inline_policies"].get("sneaky").is_some(), "{cloud}");
    let d = e.provider.diff(ROLE, &cloud, &inputs);
    let changed: BTreeSet<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        changed,
        BTreeSet::from([
            "assume_role_policy",
            "inline_policies",
            "managed_policy_arns"
        ])
    );
    assert!(!d.replaces());

    // Applying the recorded inputs again repairs every drifted part.
    e.update(&c, ROLE, "drifting-role", &cloud, &inputs, &created.outputs)
        .await;
    let (inline, attached) = sdk_policies(&e, "drifting-role").await;
    assert_eq!(
        inline,
        vec![("read-table".to_string(), table_read(e.account.id()))]
    );
    assert_eq!(attached, BTreeSet::from([BASIC.to_string()]));

    // Deleted behind Meridian's back: read says it is gone.
    sdk_delete_role(&e, "drifting-role").await;
    e.assert_not_found(&c, ROLE, "drifting-role", &inputs).await;
}

#[tokio::test]
async fn an_interrupted_create_is_adopted_and_a_foreign_role_is_not() {
    let e = Harness::new(HOME).await.fixed_token();
    let c = e.ctx(ROLE, "crashed");
    let inputs = json!({
        "assume_role_policy": trust("lambda.amazonaws.com"),
        "managed_policy_arns": [BASIC]
    });
    let name = role_name_for(&inputs, &c);

    // The crash: CreateRole (with the identity tags) went through, the attach did not.
    let tag = |k: &str, v: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    e.iam()
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust("lambda.amazonaws.com").to_string())
        .tags(tag("meridian:urn", &c.urn))
        .tags(tag("meridian:token", &c.token))
        .send()
        .await
        .expect("CreateRole");

    let found = e
        .read(&c, ROLE, None, &inputs, None)
        .await
        .expect("found by identity");
    assert_eq!(found.id, name);
    // Running the create again adopts it and finishes the job.
    let created = e.create(&c, ROLE, &inputs).await;
    assert_eq!(created.id, name);
    let (_, attached) = sdk_policies(&e, &name).await;
    assert_eq!(attached, BTreeSet::from([BASIC.to_string()]));
    let roles = e.iam().list_roles().send().await.expect("ListRoles");
    assert_eq!(
        roles
            .roles()
            .iter()
            .filter(|r| r.role_name() == name)
            .count(),
        1
    );

    // A role someone else made under the same fixed name is neither found nor taken over.
    let lambda_trust = trust("lambda.amazonaws.com").to_string();
    sdk::create_role(&e.iam(), "someone-elses", &lambda_trust).await;
    let theirs =
        json!({"role_name": "someone-elses", "assume_role_policy": trust("lambda.amazonaws.com")});
    assert!(e.read(&c, ROLE, None, &theirs, None).await.is_none());
    let err = e.create_err(&c, ROLE, &theirs).await;
    assert_message(&err, "already exists");
}

/// Strict mode: GetRole answers NoSuchEntity right after CreateRole, then
/// once the role's unique id where the ARN belongs; the create waits and
/// never takes the unique id for the ARN.
#[tokio::test]
async fn a_new_role_is_read_back_with_its_arn_through_iams_propagation() {
    let e = Harness::strict(HOME, &["iam_read_after_create"]).await;
    let c = e.ctx(ROLE, "propagating-role");
    let inputs = json!({"assume_role_policy": trust("lambda.amazonaws.com")});
    let created = e.create(&c, ROLE, &inputs).await;
    let sdk = sdk_role(&e, &created.id).await;
    assert!(sdk.arn().starts_with("arn:aws:iam::"), "{}", sdk.arn());
    assert_eq!(created.outputs["arn"], json!(sdk.arn()));
    assert_eq!(created.outputs["role_id"], json!(sdk.role_id()));
}
