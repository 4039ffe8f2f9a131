//! The global_api example end to end against the local test cloud, checked
//! with the SDK (never through Meridian's own state): deploy, no-op, a
//! handler change, adding and removing a region, and destroy (which keeps
//! the table).

use crate::support::cli::{self, Run, command, example};
use crate::support::inventory::{self, DOMAIN, Inventory, REGIONS};
use crate::support::provider::decode_policy_document;
use crate::support::zone;
use meridian_testkit::TestAccount;
use std::collections::BTreeMap;
use std::path::Path;

fn global_api(dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    cli::run(&mut command(
        &example("global_api"),
        dir,
        Some(account),
        args,
    ))
}

async fn records(
    account: &TestAccount,
    zone_id: &str,
) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
    zone::record_sets(&zone::route53(account).await, zone_id).await
}

async fn api_zone_id(account: &TestAccount) -> Option<String> {
    let r53 = aws_sdk_route53::Client::new(&account.sdk_config("us-east-1").await);
    let zones = r53.list_hosted_zones().send().await.unwrap();
    zones
        .hosted_zones()
        .iter()
        .find(|z| z.name().trim_end_matches('.') == DOMAIN)
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
}

/// Everything the seed's architecture needs in `region`, checked with the SDK.
async fn check_region(account: &TestAccount, region: &str, zone_id: &str) {
    let conf = account.sdk_config(region).await;
    // The certificate is issued.
    let acm = aws_sdk_acm::Client::new(&conf);
    let certs = acm.list_certificates().send().await.unwrap();
    let certs = certs.certificate_summary_list();
    assert_eq!(certs.len(), 1, "{region}: one certificate");
    assert_eq!(
        certs[0].status().map(|s| s.as_str()),
        Some("ISSUED"),
        "{region}"
    );

    // The function: Node.js 20, arm64, TABLE_NAME.
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let functions = lambda.list_functions().send().await.unwrap();
    let functions = functions.functions();
    assert_eq!(functions.len(), 1, "{region}: one function");
    let f = &functions[0];
    assert_eq!(f.runtime().map(|r| r.as_str()), Some("nodejs20.x"));
    assert_eq!(
        f.architectures()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        vec!["arm64"]
    );
    let env = f
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        env.get("TABLE_NAME").map(String::as_str),
        Some("global-table")
    );
    let function_arn = f.function_arn().unwrap().to_string();
    let policy = lambda
        .get_policy()
        .function_name(f.function_name().unwrap())
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"].as_array().unwrap().len(),
        2,
        "{region}: two invoke permissions (the prod stage's, the console's test invocations')"
    );

    // The API: /object/{id} GET -> this region's function; a prod stage.
    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let apis = apigw.get_rest_apis().send().await.unwrap();
    assert_eq!(apis.items().len(), 1, "{region}: one REST API");
    let api_id = apis.items()[0].id().unwrap().to_string();
    let resources = apigw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let item = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/object/{id}"))
        .expect("/object/{id} exists");
    let integration = apigw
        .get_integration()
        .rest_api_id(&api_id)
        .resource_id(item.id().unwrap())
        .http_method("GET")
        .send()
        .await
        .unwrap();
    let uri = integration.uri().unwrap();
    assert!(
        uri.contains(&function_arn)
            && uri.starts_with(&format!("arn:aws:apigateway:{region}:lambda:")),
        "{uri}"
    );
    assert_eq!(integration.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
    let stage = apigw
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert!(stage.deployment_id().is_some());

    // The custom domain, its mapping, and the latency record aliasing it.
    let domain = apigw.get_domain_name().domain_name(DOMAIN).send();
    let domain = domain.await.unwrap();
    let mappings = apigw.get_base_path_mappings().domain_name(DOMAIN).send();
    let mappings = mappings.await.unwrap();
    assert_eq!(mappings.items().len(), 1);
    assert_eq!(mappings.items()[0].rest_api_id(), Some(api_id.as_str()));
    assert_eq!(mappings.items()[0].stage(), Some("prod"));
    let regional = domain.regional_domain_name().unwrap().to_string();
    let record = records(account, zone_id)
        .await
        .into_iter()
        .find(|r| r.set_identifier() == Some(region))
        .unwrap_or_else(|| panic!("{region}: no latency record"));
    assert_eq!(record.r#type().as_str(), "A");
    assert_eq!(record.region().map(|r| r.as_str()), Some(region));
    let alias = record.alias_target().expect("an alias record");
    assert_eq!(alias.dns_name().trim_end_matches('.'), regional);
    assert_eq!(
        Some(alias.hosted_zone_id()),
        domain.regional_hosted_zone_id()
    );

    // The log group keeps 90 days.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let groups = logs.describe_log_groups().send().await.unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(90));
}

/// The roles: one per region, each reading exactly that region's table.
async fn check_roles(account: &TestAccount, regions: &[&str]) {
    let iam = aws_sdk_iam::Client::new(&account.sdk_config("us-east-1").await);
    let roles = iam.list_roles().send().await.unwrap();
    let mut found = BTreeMap::new();
    for role in roles.roles() {
        let names = iam
            .list_role_policies()
            .role_name(role.role_name())
            .send()
            .await
            .unwrap();
        for name in names.policy_names() {
            let doc = iam
                .get_role_policy()
                .role_name(role.role_name())
                .policy_name(name)
                .send()
                .await
                .unwrap();
            let doc = decode_policy_document(doc.policy_document()).expect("policy JSON");
            let st = &doc["Statement"][0];
            let actions: Vec<&str> = st["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(actions, meridian::dsl::aws::iam::TABLE_READ_ACTIONS);
            let resource = st["Resource"][0].as_str().unwrap().to_string();
            let region = resource.split(':').nth(3).unwrap().to_string();
            assert_eq!(
                resource,
                format!(
                    "arn:aws:dynamodb:{region}:{}:table/global-table",
                    account.id()
                )
            );
            found.insert(region, role.role_name().to_string());
        }
    }
    let mut want: Vec<&str> = regions.to_vec();
    want.sort();
    assert_eq!(found.keys().map(String::as_str).collect::<Vec<_>>(), want);
}

async fn replicas(account: &TestAccount) -> Vec<String> {
    inventory::active_replicas(account)
        .await
        .expect("the global table")
}

/// The name of the one log group a region's client sees (the account is the test's own).
async fn only_log_group(logs: &aws_sdk_cloudwatchlogs::Client) -> String {
    logs.describe_log_groups()
        .send()
        .await
        .unwrap()
        .log_groups()[0]
        .log_group_name()
        .unwrap()
        .to_string()
}

fn plan(dir: &Path, account: &TestAccount, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["preview", "--json"];
    args.extend_from_slice(extra);
    let r = global_api(dir, account, &args).ok();
    serde_json::from_str(&r.stdout).unwrap()
}

fn changed(plan: &serde_json::Value) -> BTreeMap<String, String> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !matches!(s["op"].as_str(), Some("same") | Some("read")))
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["op"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn global_api_deploys_changes_and_destroys() {
    // AWS's quirks on (strict mode): the run must survive what AWS does.
    let account = crate::support::app::strict_account().await;
    let parent = zone::parent_zone(&account).await;
    let dir = tempfile::tempdir().unwrap();
    let handler = dir.path().join("handler");
    std::fs::create_dir(&handler).unwrap();
    let bundled =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/global_api/handler/index.mjs");
    std::fs::copy(&bundled, handler.join("index.mjs")).unwrap();
    let handler_cfg = format!("handler_dir={}", handler.display());
    let base: Vec<&str> = vec!["--config", &handler_cfg];
    let with = |more: &[&str]| -> Vec<String> {
        more.iter()
            .chain(base.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        global_api(dir.path(), &account, &refs)
    };

    // 1. Deploy everything.
    let up = run(with(&["up", "--yes"])).ok();
    assert!(up.stdout.contains("api_url"), "{}", up.stdout);
    assert_eq!(
        replicas(&account).await,
        vec!["eu-west-1", "sa-east-1", "us-east-1"]
    );
    let zone_id = api_zone_id(&account).await.expect("the api zone exists");
    let zone_ns: Vec<String> = records(&account, &zone_id)
        .await
        .into_iter()
        .find(|r| r.r#type().as_str() == "NS")
        .unwrap()
        .resource_records()
        .iter()
        .map(|v| v.value().trim_end_matches('.').to_string())
        .collect();
    let delegation = records(&account, &parent)
        .await
        .into_iter()
        .find(|r| r.r#type().as_str() == "NS" && r.name().trim_end_matches('.') == DOMAIN)
        .expect("the delegation record");
    let delegated: Vec<String> = delegation
        .resource_records()
        .iter()
        .map(|v| v.value().trim_end_matches('.').to_string())
        .collect();
    assert_eq!(delegated, zone_ns);
    for region in REGIONS {
        check_region(&account, region, &zone_id).await;
    }
    check_roles(&account, &REGIONS).await;

    // 2. No changes, and `up --expect-no-changes` agrees.
    let p = plan(dir.path(), &account, &base);
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
    run(with(&["up", "--yes", "--expect-no-changes"])).ok();

    // Drift: a log group deleted and another's retention changed behind
    // Meridian's back; `refresh` records both, `up` repairs them.
    let eu_logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config("eu-west-1").await);
    let eu_group = only_log_group(&eu_logs).await;
    eu_logs
        .delete_log_group()
        .log_group_name(&eu_group)
        .send()
        .await
        .unwrap();
    let sa_logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config("sa-east-1").await);
    let sa_group = only_log_group(&sa_logs).await;
    sa_logs
        .put_retention_policy()
        .log_group_name(&sa_group)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let refreshed = run(with(&["refresh", "--yes", "--json"])).ok();
    let refreshed: serde_json::Value = serde_json::from_str(&refreshed.stdout).unwrap();
    let status = |name: &str| {
        refreshed["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(
        status("function-eu-west-1-logs").as_deref(),
        Some("deleted")
    );
    assert_eq!(
        status("function-sa-east-1-logs").as_deref(),
        Some("updated")
    );
    let c = changed(&plan(dir.path(), &account, &base));
    assert_eq!(
        c.get("function-eu-west-1-logs").map(String::as_str),
        Some("create"),
        "{c:?}"
    );
    assert_eq!(
        c.get("function-sa-east-1-logs").map(String::as_str),
        Some("update"),
        "{c:?}"
    );
    run(with(&["up", "--yes"])).ok();
    for region in ["eu-west-1", "sa-east-1"] {
        check_region(&account, region, &zone_id).await;
    }
    assert!(changed(&plan(dir.path(), &account, &base)).is_empty());

    // 3. A handler change updates the three functions and nothing else.
    std::fs::write(
        handler.join("index.mjs"),
        std::fs::read_to_string(&bundled).unwrap() + "\n// v2\n",
    )
    .unwrap();
    let p = plan(dir.path(), &account, &base);
    let expected: BTreeMap<String, String> = REGIONS
        .iter()
        .map(|r| (format!("function-{r}"), "update".to_string()))
        .collect();
    assert_eq!(changed(&p), expected);
    run(with(&["up", "--yes"])).ok();
    assert!(changed(&plan(dir.path(), &account, &base)).is_empty());

    // 4. Adding a region creates its resources and a replica; removing it
    // deletes them again; nothing else changes.
    let four = "regions=us-east-1,eu-west-1,sa-east-1,ap-southeast-2";
    let mut four_args = vec!["--config", four];
    four_args.extend_from_slice(&base);
    let p = plan(dir.path(), &account, &four_args);
    let c = changed(&p);
    assert_eq!(c.get("table").map(String::as_str), Some("update"));
    assert!(
        c.iter()
            .all(|(n, op)| n == "table" || (n.contains("ap-southeast-2") && op == "create")),
        "{c:?}"
    );
    assert_eq!(c.len(), 17, "{c:?}");
    run(with(&["up", "--yes", "--config", four])).ok();
    assert_eq!(
        replicas(&account).await,
        vec!["ap-southeast-2", "eu-west-1", "sa-east-1", "us-east-1"]
    );
    check_region(&account, "ap-southeast-2", &zone_id).await;
    // `up --config` saved the fourth region: a plain preview plans nothing,
    // and removing the region takes saying so.
    assert!(changed(&plan(dir.path(), &account, &base)).is_empty());
    let three = "regions=us-east-1,eu-west-1,sa-east-1";
    let mut three_args = vec!["--config", three];
    three_args.extend_from_slice(&base);
    let c = changed(&plan(dir.path(), &account, &three_args));
    assert_eq!(c.get("table").map(String::as_str), Some("update"));
    assert!(
        c.iter()
            .all(|(n, op)| n == "table" || (n.contains("ap-southeast-2") && op == "delete")),
        "{c:?}"
    );
    run(with(&["up", "--yes", "--config", three])).ok();
    assert_eq!(
        replicas(&account).await,
        vec!["eu-west-1", "sa-east-1", "us-east-1"]
    );
    let sydney = account.sdk_config("ap-southeast-2").await;
    let left = aws_sdk_lambda::Client::new(&sydney)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(left.functions().is_empty());

    // 5. Destroy removes everything but the retained table, and says so.
    let d = run(with(&["destroy", "--yes"])).ok();
    assert!(
        d.stdout.contains("Kept in the cloud") && d.stdout.contains("table"),
        "{}",
        d.stdout
    );
    assert_eq!(
        replicas(&account).await.len(),
        3,
        "the table and its replicas are kept"
    );
    assert!(
        api_zone_id(&account).await.is_none(),
        "the api zone is gone"
    );
    assert!(
        records(&account, &parent)
            .await
            .iter()
            .all(|r| r.name().trim_end_matches('.') != DOMAIN),
        "the delegation is gone"
    );
    let left = Inventory::read(&account, &REGIONS).await;
    for region in REGIONS {
        for (what, n) in left.regions[region].counts() {
            assert_eq!(n, 0, "{region}: {what} left: {left:#?}");
        }
    }
    assert!(left.roles.is_empty(), "roles left: {left:#?}");
    let check = global_api(dir.path(), &account, &["state", "check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}
