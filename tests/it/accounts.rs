//! Several accounts and default tags, end to end with the global_api
//! example against the test cloud, checked with the SDK: the parent zone in
//! a DNS account reached through a role (and a role that refuses), and the
//! stack's tags on every resource type, changed in place.

use crate::support::app::App;
use crate::support::cli::Run;
use crate::support::inventory::{DOMAIN, Inventory};
use crate::support::sdk::{self, Tagged};
use crate::support::zone;
use meridian::state::ResourceRecord;
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const REGION: &str = "us-east-1";
const ONE_REGION: &str = "regions=us-east-1";

/// Creates role `name` in `account` whose trust policy allows `trusted`
/// (an account id) to assume it; returns its ARN.
async fn role_trusting(account: &TestAccount, name: &str, trusted: &str) -> String {
    let iam = aws_sdk_iam::Client::new(&account.sdk_config(REGION).await);
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{trusted}:root")},
        "Action": "sts:AssumeRole"}]});
    sdk::create_role(&iam, name, &trust.to_string()).await
}

/// NS records for the API's domain in `zone_id`.
async fn delegations(account: &TestAccount, zone_id: &str) -> usize {
    let records = zone::record_sets(&zone::route53(account).await, zone_id).await;
    records
        .iter()
        .filter(|r| r.r#type().as_str() == "NS" && r.name().trim_end_matches('.') == DOMAIN)
        .count()
}

/// Nothing in `text` looks like a credential (an access key id
/// of temporary credentials, a secret, a session token).
fn assert_no_credentials(what: &str, text: &str) {
    for needle in [
        "ASIA",
        "SecretAccessKey",
        "secret_access_key",
        "SessionToken",
    ] {
        assert!(!text.contains(needle), "{what} contains {needle:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_delegation_goes_through_the_dns_accounts_role_and_nothing_else_lands_there() {
    let app = App::without_parent_zone(|p| p);
    let dns_account = TestCloud::shared().account();
    let parent = zone::parent_zone(&dns_account).await;
    let role = role_trusting(&dns_account, "dns-delegation", app.account.id()).await;
    let role_cfg = format!("parent_zone_role_arn={role}");

    let up = app.ok(&["up", "--yes", "--config", ONE_REGION, "--config", &role_cfg]);
    assert_no_credentials("up's output", &format!("{}{}", up.stdout, up.stderr));

    // The delegation is in the DNS account's parent zone, and nothing else
    // of the stack is there.
    assert_eq!(delegations(&dns_account, &parent).await, 1);
    let theirs = Inventory::read(&dns_account, &[REGION]).await;
    assert!(
        theirs.zones.is_empty(),
        "no API zone in the DNS account: {theirs:#?}"
    );
    assert_eq!(
        theirs.roles,
        vec!["dns-delegation".to_string()],
        "{theirs:#?}"
    );
    assert_eq!(theirs.table, None);
    assert_eq!(theirs.regions[REGION], Default::default(), "{theirs:#?}");
    // Everything else is in the stack's account.
    let ours = Inventory::read(&app.account, &[REGION]).await;
    assert_eq!(ours.zones.len(), 1, "{ours:#?}");
    assert_eq!(ours.delegations, 0, "no parent zone here: {ours:#?}");
    for (what, n) in ours.regions[REGION].counts() {
        assert_eq!(n, 1, "{what}: {ours:#?}");
    }

    // Only the lookup and the delegation record go through the role.
    let state = app.state();
    for r in state.resources.values() {
        let through_role = matches!(r.name.as_str(), "parent-zone" | "api-zone-delegation");
        let target = r.provider_config.as_ref().map(|c| c.target.clone());
        let want = through_role.then(|| format!("role:{role}"));
        assert_eq!(target, want, "{}", r.name);
    }
    let export = app.run(&["state", "export"]);
    assert_eq!(export.code, 0, "{}", export.show());
    assert_no_credentials("the state", &export.stdout);
    app.assert_state_ok();
    app.assert_converged();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_does_not_trust_the_stacks_account_fails_naming_it_before_any_change() {
    let app = App::without_parent_zone(|p| p);
    let dns_account = TestCloud::shared().account();
    let parent = zone::parent_zone(&dns_account).await;
    let role = role_trusting(&dns_account, "dns-delegation", "999999999999").await;
    let role_cfg = format!("parent_zone_role_arn={role}");
    let before = zone::record_sets(&zone::route53(&dns_account).await, &parent).await;

    let r: Run = app.run(&["up", "--yes", "--config", ONE_REGION, "--config", &role_cfg]);
    assert_ne!(r.code, 0, "{}", r.show());
    r.assert_stderr_has(&role);
    r.assert_stderr_has("AccessDenied");
    r.assert_stderr_has("trust policy");

    let after = zone::record_sets(&zone::route53(&dns_account).await, &parent).await;
    assert_eq!(before, after, "nothing changed in the DNS account");
    let ours = Inventory::read(&app.account, &[REGION]).await;
    assert!(
        ours.zones.is_empty(),
        "the plan failed before any change: {ours:#?}"
    );
    assert!(app.state().resources.is_empty());
}

/// The user's tags of a recorded resource, read back with the SDK (the
/// identity tags checked to be there beside them).
async fn tags_of(account: &TestAccount, r: &ResourceRecord) -> BTreeMap<String, String> {
    let conf = account.sdk_config(&r.region).await;
    let out = |key: &str| r.outputs[key].as_str().expect("output");
    let zone_id = zone::bare_id(&r.id);
    let resource = match r.type_token.as_str() {
        "aws:route53:HostedZone" => Tagged::Zone(&zone_id),
        "aws:acm:Certificate" => Tagged::Certificate(&r.id),
        "aws:dynamodb:GlobalTable" => Tagged::Table(out("arn")),
        "aws:iam:Role" => Tagged::Role(out("role_name")),
        "aws:logs:LogGroup" => Tagged::LogGroup(out("arn")),
        "aws:lambda:Function" => Tagged::Function(out("arn")),
        "aws:apigateway:RestApi" | "aws:apigateway:Stage" | "aws:apigateway:DomainName" => {
            Tagged::ApiGateway(out("arn"))
        }
        other => panic!("{other} takes no tags"),
    };
    let mut tags = sdk::tags(&conf, resource).await;
    assert_eq!(
        tags.remove("meridian:urn"),
        Some(meridian::providers::aws::kit::urn_tag_value(&r.urn)),
        "{}: Meridian's identity tag stays beside the user's",
        r.name
    );
    tags.remove("meridian:token");
    tags
}

const TAGGABLE: [&str; 9] = [
    "aws:route53:HostedZone",
    "aws:acm:Certificate",
    "aws:dynamodb:GlobalTable",
    "aws:iam:Role",
    "aws:logs:LogGroup",
    "aws:lambda:Function",
    "aws:apigateway:RestApi",
    "aws:apigateway:Stage",
    "aws:apigateway:DomainName",
];

/// Every taggable resource of the stack carries exactly `want`.
async fn assert_tagged(app: &App, want: &[(&str, &str)]) {
    let want: BTreeMap<String, String> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let state = app.state();
    let mut types_seen: Vec<&str> = Vec::new();
    for r in state.resources.values() {
        if TAGGABLE.contains(&r.type_token.as_str()) {
            assert_eq!(tags_of(&app.account, r).await, want, "{}", r.name);
            assert_eq!(r.inputs["tags"], json!(want), "{} records its tags", r.name);
            types_seen.push(TAGGABLE.iter().find(|t| **t == r.type_token).unwrap());
        }
    }
    types_seen.sort();
    types_seen.dedup();
    assert_eq!(
        types_seen.len(),
        TAGGABLE.len(),
        "every taggable type: {types_seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn default_tags_are_on_every_resource_type_and_a_changed_value_updates_in_place() {
    let app = App::start(|p| p).await;
    let tags = "tags=team=api,cost-centre=42";
    app.ok(&["up", "--yes", "--config", ONE_REGION, "--config", tags]);
    assert_tagged(&app, &[("team", "api"), ("cost-centre", "42")]).await;

    let changed = "tags=team=api,cost-centre=43";
    let preview = app.ok(&[
        "preview", "--json", "--config", ONE_REGION, "--config", changed,
    ]);
    let plan: Value = serde_json::from_str(&preview.stdout).expect("a JSON plan");
    let steps = plan["steps"].as_array().expect("steps");
    for s in steps {
        let op = s["op"].as_str().unwrap();
        if TAGGABLE.contains(&s["type"].as_str().unwrap()) {
            assert_eq!(op, "update", "{s}");
            let changes = s["changes"].as_array().expect("changes");
            assert_eq!(changes.len(), 1, "{s}");
            assert_eq!(changes[0]["path"], "tags", "{s}");
            assert_eq!(changes[0]["forces_replacement"], false, "{s}");
        } else {
            assert!(matches!(op, "same" | "read"), "{s}");
        }
    }
    let before = app.state();
    app.ok(&["up", "--yes", "--config", ONE_REGION, "--config", changed]);
    assert_tagged(&app, &[("team", "api"), ("cost-centre", "43")]).await;
    let after = app.state();
    for (urn, r) in &after.resources {
        assert_eq!(r.id, before.resources[urn].id, "{} kept its id", r.name);
    }
    app.assert_converged();
}
