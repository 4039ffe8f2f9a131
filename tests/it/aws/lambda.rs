//! `aws:lambda:Function` and `aws:lambda:Permission` against the local test
//! cloud. Functions: create from a code asset (waiting for Active), read back
//! (by name and by identity), a code change that updates and an unchanged
//! re-zip that does not, code and configuration updates in one step (waiting
//! between them), published versions, drift, adoption, a role Lambda cannot
//! assume, delete. Permissions: create, no duplicate on re-apply, update by
//! remove+add, drift, delete. Checked with the SDK.

use crate::support::provider::{Harness, assert_hint, assert_message, assert_reported, recording};
use crate::support::sdk;
use meridian_dsl::aws::lambda::Code;
use meridian_engine::Provider;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const FUNCTION: &str = "aws:lambda:Function";
const PERMISSION: &str = "aws:lambda:Permission";
const REGION: &str = "eu-west-1";

/// The names of the functions in the region, as the SDK lists them.
async fn sdk_function_names(e: &Harness) -> Vec<String> {
    let out = e.lambda().list_functions().send().await;
    let out = out.expect("ListFunctions");
    out.functions()
        .iter()
        .filter_map(|f| f.function_name().map(str::to_string))
        .collect()
}

/// A role Lambda can assume, made with the SDK.
async fn lambda_role(e: &Harness, name: &str) -> String {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    sdk::create_role(&e.iam(), name, &trust.to_string()).await
}

fn write_handler(dir: &Path, body: &str) {
    std::fs::write(dir.join("index.mjs"), body).expect("write index.mjs");
}

/// Function inputs as the DSL declares them: the asset packed now.
fn function_inputs(dir: &Path, role_arn: &str) -> Value {
    let code = Code::from_path(dir).expect("pack the asset");
    json!({
        "code_path": code.path().to_string_lossy(),
        "code_sha256": code.sha256(),
        "runtime": "nodejs20.x",
        "handler": "index.main",
        "role_arn": role_arn,
        "environment": {"TABLE_NAME": "global-table"},
        "log_group_name": "log-group"
    })
}

async fn sdk_function(
    e: &Harness,
    name: &str,
) -> Option<aws_sdk_lambda::operation::get_function::GetFunctionOutput> {
    match e.lambda().get_function().function_name(name).send().await {
        Ok(out) => Some(out),
        Err(err) => {
            let code = err
                .as_service_error()
                .map(|s| s.is_resource_not_found_exception());
            assert_eq!(code, Some(true), "GetFunction failed: {err:?}");
            None
        }
    }
}

/// A role Lambda can assume, and a source directory with a first handler.
async fn role_and_source(e: &Harness) -> (String, tempfile::TempDir) {
    let role_arn = lambda_role(e, "fn-role").await;
    let src = tempfile::tempdir().expect("tempdir");
    write_handler(src.path(), "export const main = async () => 1;\n");
    (role_arn, src)
}

#[tokio::test]
async fn function_lifecycle_from_a_code_asset() {
    // Pending for a second after create, InProgress for a second after each update.
    let delays = json!({"lambda_create": 1.0, "lambda_update": 1.0});
    let e = Harness::slowed(REGION, delays).await.fixed_token();
    let role_arn = lambda_role(&e, "fn-role").await;
    let src = tempfile::tempdir().expect("tempdir");
    write_handler(
        src.path(),
        "export const main = async () => ({ statusCode: 200, body: 'v1' });\n",
    );
    let inputs = function_inputs(src.path(), &role_arn);
    assert!(
        e.provider.check(FUNCTION, REGION, &inputs).is_empty(),
        "{:?}",
        e.provider.check(FUNCTION, REGION, &inputs)
    );

    let (c, seen) = recording(e.ctx(FUNCTION, "api-fn"));
    let created = e.create(&c, FUNCTION, &inputs).await;
    let name = created.id.clone();
    assert!(name.starts_with("api-fn-"), "generated name {name}");
    assert!(
        seen.lock()
            .expect("lock")
            .iter()
            .any(|m| m.starts_with("waiting for function Active")),
        "reported the wait: {:?}",
        seen.lock().expect("lock")
    );
    let arn = format!("arn:aws:lambda:{REGION}:{}:function:{name}", e.account.id());
    assert_eq!(
        created.outputs,
        json!({
            "function_name": name,
            "arn": arn,
            "invoke_arn": format!("arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"),
            "code_sha256": inputs["code_sha256"],
            "version": "$LATEST"
        })
    );

    // The cloud agrees: Active, the same code hash, arm64, the environment, the tags.
    let got = sdk_function(&e, &name).await.expect("exists");
    let config = got.configuration().expect("configuration");
    assert_eq!(config.state().map(|s| s.as_str()), Some("Active"));
    assert_eq!(config.code_sha256(), inputs["code_sha256"].as_str());
    assert_eq!(
        config
            .architectures()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        vec!["arm64"]
    );
    assert_eq!(config.memory_size(), Some(128));
    assert_eq!(config.timeout(), Some(3));
    assert_eq!(
        config
            .environment()
            .and_then(|v| v.variables())
            .and_then(|v| v.get("TABLE_NAME"))
            .map(String::as_str),
        Some("global-table")
    );
    assert_eq!(got.tags().and_then(|t| t.get("meridian:urn")), Some(&c.urn));

    // Read back by id and by identity; nothing drifted.
    let read = e.found(&c, FUNCTION, &name, &inputs).await;
    assert_eq!(read.outputs, created.outputs);
    let cloud = read.inputs.expect("inputs");
    e.assert_no_changes(FUNCTION, &inputs, &cloud);
    let found = e
        .read(&c, FUNCTION, None, &inputs, None)
        .await
        .expect("found");
    assert_eq!(found.id, name);

    // Re-zipping unchanged source (files rewritten, new mtimes) gives the same hash: no diff.
    std::thread::sleep(Duration::from_millis(20));
    write_handler(
        src.path(),
        "export const main = async () => ({ statusCode: 200, body: 'v1' });\n",
    );
    let again = function_inputs(src.path(), &role_arn);
    assert_eq!(again["code_sha256"], inputs["code_sha256"]);
    e.assert_no_changes(FUNCTION, &inputs, &again);

    // Changed source: a new hash, an in-place update; with a memory change in
    // the same step, so the configuration update waits for the code update.
    write_handler(
        src.path(),
        "export const main = async () => ({ statusCode: 200, body: 'v2' });\n",
    );
    let mut changed = function_inputs(src.path(), &role_arn);
    changed["memory_size"] = json!(256);
    assert_ne!(changed["code_sha256"], inputs["code_sha256"]);
    let d = e.provider.diff(FUNCTION, &inputs, &changed);
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["code_sha256", "memory_size"]);
    assert!(!d.replaces());
    let (uc, seen) = recording(e.ctx(FUNCTION, "api-fn"));
    let outputs = e
        .update(&uc, FUNCTION, &name, &inputs, &changed, &created.outputs)
        .await;
    assert_eq!(outputs["code_sha256"], changed["code_sha256"]);
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.iter()
            .any(|m| m.starts_with("waiting for function code update Successful")),
        "{seen:?}"
    );
    let got = sdk_function(&e, &name).await.expect("exists");
    let config = got.configuration().expect("configuration");
    assert_eq!(config.code_sha256(), changed["code_sha256"].as_str());
    assert_eq!(config.memory_size(), Some(256));

    // A new name replaces the function.
    let mut renamed = changed.clone();
    renamed["function_name"] = json!("api-fn-renamed");
    let d = e.provider.diff(FUNCTION, &changed, &renamed);
    assert!(d.replaces() && !d.delete_before_replace, "{d:?}");

    e.delete(&c, FUNCTION, &name, &changed, &outputs).await;
    assert!(sdk_function(&e, &name).await.is_none());
    e.delete(&c, FUNCTION, &name, &changed, &outputs).await;
}

#[tokio::test]
async fn a_source_changed_after_the_plan_is_not_uploaded() {
    let e = Harness::new(REGION).await.fixed_token();
    let (role_arn, src) = role_and_source(&e).await;
    let planned = function_inputs(src.path(), &role_arn);
    write_handler(src.path(), "export const main = async () => 2;\n");
    let err = e
        .create_err(&e.ctx(FUNCTION, "late"), FUNCTION, &planned)
        .await;
    assert_message(&err, "changed after the plan");
    assert!(sdk_function_names(&e).await.is_empty());
}

#[tokio::test]
async fn published_versions_follow_changes() {
    let e = Harness::new(REGION).await.fixed_token();
    let (role_arn, src) = role_and_source(&e).await;
    let mut inputs = function_inputs(src.path(), &role_arn);
    inputs["publish"] = json!(true);
    inputs["function_name"] = json!("versioned");
    let c = e.ctx(FUNCTION, "versioned");
    let created = e.create(&c, FUNCTION, &inputs).await;
    assert_eq!(created.outputs["version"], json!("1"));

    write_handler(src.path(), "export const main = async () => 2;\n");
    let mut changed = function_inputs(src.path(), &role_arn);
    changed["publish"] = json!(true);
    changed["function_name"] = json!("versioned");
    let outputs = e
        .update(
            &c,
            FUNCTION,
            "versioned",
            &inputs,
            &changed,
            &created.outputs,
        )
        .await;
    assert_eq!(outputs["version"], json!("2"));
    let read = e.found(&c, FUNCTION, "versioned", &changed).await;
    assert_eq!(read.outputs["version"], json!("2"));
}

#[tokio::test]
async fn function_drift_and_adoption() {
    let e = Harness::new(REGION).await.fixed_token();
    let (role_arn, src) = role_and_source(&e).await;
    let inputs = function_inputs(src.path(), &role_arn);
    let c = e.ctx(FUNCTION, "drifty");
    let created = e.create(&c, FUNCTION, &inputs).await;
    let name = created.id.clone();

    // Behind Meridian's back: a longer timeout and another variable.
    e.lambda()
        .update_function_configuration()
        .function_name(&name)
        .timeout(30)
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("TABLE_NAME", "global-table")
                .variables("DEBUG", "1")
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let read = e.found(&c, FUNCTION, &name, &inputs).await;
    let cloud = read.inputs.expect("inputs");
    assert_eq!(cloud["timeout"], json!(30));
    assert_eq!(
        cloud["environment"],
        json!({"TABLE_NAME": "global-table", "DEBUG": "1"})
    );
    let d = e.provider.diff(FUNCTION, &cloud, &inputs);
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["environment", "timeout"]);
    // Applying the recorded inputs again repairs it.
    e.update(&c, FUNCTION, &name, &cloud, &inputs, &created.outputs)
        .await;
    let got = sdk_function(&e, &name).await.expect("exists");
    assert_eq!(got.configuration().and_then(|c| c.timeout()), Some(3));

    // Deleted behind Meridian's back: read says so.
    e.lambda()
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .expect("DeleteFunction");
    e.assert_not_found(&c, FUNCTION, &name, &inputs).await;

    // An interrupted create (the function exists, tagged with our URN) is
    // found by identity and adopted by a second create, not duplicated.
    let code = Code::from_path(src.path()).expect("pack");
    let zip = meridian_asset::pack(code.path()).expect("pack").zip;
    e.lambda()
        .create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .role(&role_arn)
        .handler("index.main")
        .architectures(aws_sdk_lambda::types::Architecture::Arm64)
        .timeout(45)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(zip.into())
                .build(),
        )
        .tags("meridian:urn", &c.urn)
        .send()
        .await
        .expect("CreateFunction");
    assert!(e.read(&c, FUNCTION, None, &inputs, None).await.is_some());
    let adopted = e.create(&c, FUNCTION, &inputs).await;
    assert_eq!(adopted.id, name);
    let got = sdk_function(&e, &name).await.expect("exists");
    assert_eq!(
        got.configuration().and_then(|c| c.timeout()),
        Some(3),
        "the adopted function was brought to the inputs"
    );
    assert_eq!(
        got.configuration()
            .and_then(|c| c.environment())
            .and_then(|v| v.variables())
            .and_then(|v| v.get("TABLE_NAME"))
            .map(String::as_str),
        Some("global-table")
    );
    assert_eq!(sdk_function_names(&e).await.len(), 1);
}

#[tokio::test]
async fn a_role_lambda_cannot_assume_is_retried_then_reported() {
    let e = Harness::new(REGION).await.fixed_token();
    let src = tempfile::tempdir().expect("tempdir");
    write_handler(src.path(), "export const main = async () => 1;\n");
    let missing_role = format!("arn:aws:iam::{}:role/does-not-exist", e.account.id());
    let inputs = function_inputs(src.path(), &missing_role);
    let (c, seen) = recording(e.ctx(FUNCTION, "no-role"));
    let started = std::time::Instant::now();
    let err = e.create_err(&c, FUNCTION, &inputs).await;
    assert_message(&err, "cannot be assumed by Lambda");
    assert_hint(&err, "IAM is eventually consistent");
    // Retried (1 s, then 2 s) within the short loopback budget.
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.iter()
            .filter(|m| m.contains("IAM role to become assumable"))
            .count()
            >= 1,
        "{seen:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

// --------------------------------------------------------------- permissions

fn statements(policy: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(policy).expect("policy JSON");
    match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// The function's policy statements per the SDK (none if it has no policy).
async fn sdk_statements(e: &Harness, function: &str) -> Vec<Value> {
    match e.lambda().get_policy().function_name(function).send().await {
        Ok(out) => statements(out.policy().unwrap_or("{}")),
        Err(err) => {
            assert_eq!(
                err.as_service_error()
                    .map(|s| s.is_resource_not_found_exception()),
                Some(true),
                "GetPolicy failed: {err:?}"
            );
            Vec::new()
        }
    }
}

async fn simple_function(e: &Harness, name: &str) -> String {
    let role_arn = lambda_role(e, &format!("{name}-role")).await;
    let src = tempfile::tempdir().expect("tempdir");
    write_handler(src.path(), "export const main = async () => 1;\n");
    let mut inputs = function_inputs(src.path(), &role_arn);
    inputs["function_name"] = json!(name);
    let created = e.create(&e.ctx(FUNCTION, name), FUNCTION, &inputs).await;
    created.outputs["arn"].as_str().expect("arn").to_string()
}

/// The source ARN a policy statement is conditioned on.
fn source_arn_of(statement: &Value) -> Value {
    statement["Condition"]["ArnLike"]["AWS:SourceArn"].clone()
}

#[tokio::test]
async fn permission_lifecycle_without_duplicates() {
    let e = Harness::new(REGION).await.fixed_token();
    let function_arn = simple_function(&e, "api-fn").await;
    let source = format!(
        "arn:aws:execute-api:{REGION}:{}:abc123/prod/GET/object/*",
        e.account.id()
    );
    let inputs = json!({
        "function_name": function_arn,
        "principal": "apigateway.amazonaws.com",
        "source_arn": source
    });
    assert!(e.provider.check(PERMISSION, REGION, &inputs).is_empty());
    let c = e.ctx(PERMISSION, "invoke-prod");
    let created = e.create(&c, PERMISSION, &inputs).await;
    let sid = created.outputs["statement_id"]
        .as_str()
        .expect("sid")
        .to_string();
    assert!(sid.starts_with("invoke-prod-"), "{sid}");
    assert_eq!(created.id, format!("{function_arn}/{sid}"));

    let st = sdk_statements(&e, "api-fn").await;
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(st[0]["Sid"], json!(sid));
    assert_eq!(source_arn_of(&st[0]), json!(source));

    // Read back: by id and by identity, no drift.
    e.assert_read_back_clean(&c, PERMISSION, &created.id, &inputs)
        .await;

    // Re-applying (an interrupted create run again) does not add a second statement.
    e.create(&c, PERMISSION, &inputs).await;
    assert_eq!(sdk_statements(&e, "api-fn").await.len(), 1);

    // A new source ARN is a new statement (a generated id follows the
    // grant): added before the old one is removed, so the API never lacks
    // a permission.
    let test_stage = format!(
        "arn:aws:execute-api:{REGION}:{}:abc123/test-invoke-stage/GET/object/*",
        e.account.id()
    );
    let mut moved = inputs.clone();
    moved["source_arn"] = json!(test_stage);
    let d = e.provider.diff(PERMISSION, &inputs, &moved);
    assert!(d.replaces() && !d.delete_before_replace, "{d:?}");
    let replacement = e.create(&c, PERMISSION, &moved).await;
    assert_ne!(replacement.id, created.id);
    assert_eq!(
        sdk_statements(&e, "api-fn").await.len(),
        2,
        "both, for a moment"
    );
    e.delete(&c, PERMISSION, &created.id, &inputs, &created.outputs)
        .await;
    let st = sdk_statements(&e, "api-fn").await;
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(source_arn_of(&st[0]), json!(test_stage));

    // With a statement id of the user's, the same change is an update in
    // place: remove and add again, still one statement of that id.
    let mut named = moved.clone();
    named["statement_id"] = json!("named");
    let c_named = e.ctx(PERMISSION, "invoke-named");
    let named_created = e.create(&c_named, PERMISSION, &named).await;
    let mut named_moved = named.clone();
    named_moved["source_arn"] = json!(source);
    let d = e.provider.diff(PERMISSION, &named, &named_moved);
    assert!(!d.replaces() && d.changes.len() == 1, "{d:?}");
    e.update(
        &c_named,
        PERMISSION,
        &named_created.id,
        &named,
        &named_moved,
        &named_created.outputs,
    )
    .await;
    let st = sdk_statements(&e, "api-fn").await;
    let named_st: Vec<&Value> = st.iter().filter(|s| s["Sid"] == json!("named")).collect();
    assert_eq!(named_st.len(), 1, "{st:?}");
    assert_eq!(source_arn_of(named_st[0]), json!(source));

    // A new statement id is a replacement.
    let mut renamed = named_moved.clone();
    renamed["statement_id"] = json!("other");
    e.assert_replaces(PERMISSION, &named_moved, &renamed);

    for (c, id, inputs, outputs) in [
        (&c, &replacement.id, &moved, &replacement.outputs),
        (
            &c_named,
            &named_created.id,
            &named_moved,
            &named_created.outputs,
        ),
    ] {
        e.delete(c, PERMISSION, id, inputs, outputs).await;
        e.delete(c, PERMISSION, id, inputs, outputs).await;
    }
    assert!(sdk_statements(&e, "api-fn").await.is_empty());
}

#[tokio::test]
async fn permission_drift_is_seen_and_repaired() {
    let e = Harness::new(REGION).await.fixed_token();
    simple_function(&e, "api-fn").await;
    let source = format!(
        "arn:aws:execute-api:{REGION}:{}:abc123/prod/GET/object/*",
        e.account.id()
    );
    let inputs = json!({
        "function_name": "api-fn",
        "principal": "apigateway.amazonaws.com",
        "source_arn": source,
        "statement_id": "apigw-prod"
    });
    let c = e.ctx(PERMISSION, "invoke-prod");
    let created = e.create(&c, PERMISSION, &inputs).await;
    assert_eq!(created.id, "api-fn/apigw-prod");

    // Behind Meridian's back the statement is swapped for a broader one.
    e.lambda()
        .remove_permission()
        .function_name("api-fn")
        .statement_id("apigw-prod")
        .send()
        .await
        .expect("RemovePermission");
    e.assert_not_found(&c, PERMISSION, &created.id, &inputs)
        .await;
    let broad = format!("arn:aws:execute-api:{REGION}:{}:abc123/*", e.account.id());
    e.lambda()
        .add_permission()
        .function_name("api-fn")
        .statement_id("apigw-prod")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(&broad)
        .send()
        .await
        .expect("AddPermission");
    let read = e.found(&c, PERMISSION, &created.id, &inputs).await;
    let cloud = read.inputs.expect("inputs");
    assert_eq!(cloud["source_arn"], json!(broad));
    let d = e.provider.diff(PERMISSION, &cloud, &inputs);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].path, "source_arn");

    // Creating again replaces the statement with the same id: still one.
    e.create(&c, PERMISSION, &inputs).await;
    let st = sdk_statements(&e, "api-fn").await;
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(source_arn_of(&st[0]), json!(source));
}

// Strict mode (AWS's quirks): IAM propagation and read-after-create.

#[tokio::test]
async fn a_function_with_environment_variables_waits_out_the_kms_grant_error_of_a_new_role() {
    let e = Harness::strict(REGION, &["lambda_role_propagation"]).await;
    // The role is brand new: for a moment Lambda's KMS grant for the
    // environment variables does not know it as a principal.
    let (role_arn, src) = role_and_source(&e).await;
    let inputs = function_inputs(src.path(), &role_arn);
    assert!(inputs["environment"].is_object());
    let (c, seen) = recording(e.ctx(FUNCTION, "new-role-fn"));
    let created = e.create(&c, FUNCTION, &inputs).await;
    assert!(sdk_function(&e, &created.id).await.is_some());
    assert_reported(&seen, "waiting for the IAM role to become assumable");
}

#[tokio::test]
async fn a_function_not_readable_right_after_its_create_is_read_again() {
    let e = Harness::new(REGION).await;
    let (role_arn, src) = role_and_source(&e).await;
    e.account
        .set_strict(json!(["lambda_read_after_create"]))
        .await;
    let inputs = function_inputs(src.path(), &role_arn);
    let (c, seen) = recording(e.ctx(FUNCTION, "unread-fn"));
    let created = e.create(&c, FUNCTION, &inputs).await;
    assert_eq!(created.outputs["function_name"], json!(created.id));
    assert_reported(&seen, "to be readable");
}
