//! The global_api Lambda handler itself, run with Node.js against a table in
//! the local test cloud (the AWS SDK for JavaScript installed from npm by the
//! test, once, under the target directory).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use meridian_testkit::TestCloud;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory with the handler's npm dependencies installed.
fn node_deps() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("handler-node");
    let marker = dir.join("node_modules/@aws-sdk/lib-dynamodb/package.json");
    if !marker.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("package.json"),
            r#"{"name":"handler-test","private":true,"type":"module"}"#,
        )
        .unwrap();
        let status = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "@aws-sdk/client-dynamodb@3",
                "@aws-sdk/lib-dynamodb@3",
            ])
            .current_dir(&dir)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm install failed");
    }
    dir
}

fn invoke(dir: &Path, env: &[(String, String)], table: &str, id: &str) -> Value {
    let script = format!(
        "import {{ main }} from './index.mjs';\n\
         const r = await main({{ pathParameters: {{ id: {id:?} }} }});\n\
         console.log(JSON.stringify(r));\n"
    );
    let out = Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("TABLE_NAME", table)
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "handler failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim().lines().last().unwrap_or("")).expect("handler prints JSON")
}

#[tokio::test]
async fn handler_returns_the_item_or_404() {
    let account = TestCloud::shared().account();
    let ddb = aws_sdk_dynamodb::Client::new(&account.sdk_config("eu-west-1").await);
    let table = "handler-table";
    let id = AttributeDefinition::builder().attribute_name("id");
    let id = id.attribute_type(ScalarAttributeType::S).build().unwrap();
    let key = KeySchemaElement::builder().attribute_name("id");
    let key = key.key_type(KeyType::Hash).build().unwrap();
    let create = ddb
        .create_table()
        .table_name(table)
        .attribute_definitions(id);
    let create = create
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest);
    create.send().await.unwrap();
    ddb.put_item()
        .table_name(table)
        .item("id", AttributeValue::S("abc".into()))
        .item("colour", AttributeValue::S("blue".into()))
        .send()
        .await
        .unwrap();

    let deps = node_deps();
    let handler =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/global_api/handler/index.mjs");
    std::fs::copy(&handler, deps.join("index.mjs")).unwrap();

    let found = invoke(&deps, &account.env(), table, "abc");
    assert_eq!(found["statusCode"], 200, "{found}");
    let body: Value = serde_json::from_str(found["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["colour"], "blue");
    assert_eq!(body["id"], "abc");

    let missing = invoke(&deps, &account.env(), table, "nope");
    assert_eq!(missing["statusCode"], 404, "{missing}");
    let body: Value = serde_json::from_str(missing["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["message"], "Not found");
}
