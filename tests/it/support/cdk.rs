//! The CDK's deployment of the seed, built in the test cloud with the SDK
//! (never through Meridian, and without Meridian's identity tags), named as
//! the CDK names things (`shared/reference/cdk/inventory.md`, the `weak`
//! variant: the strong variant's cross-region export custom resources are
//! CloudFormation plumbing the seed's graph does not have). Answers the
//! import file that brings it all under the global_api program.

use crate::support::{sdk, zone};
use aws_sdk_route53::types::{
    AliasTarget, ChangeAction, ResourceRecordSet, ResourceRecordSetRegion, RrType,
};
use meridian_testkit::TestAccount;
use std::collections::BTreeMap;
use std::time::Duration;

pub const DOMAIN: &str = "api.example.com";
pub const TABLE: &str = "global-table";
/// The CDK's log group name (the same in every region).
pub const LOG_GROUP: &str = "log-group";
/// The description the CDK's RestApi construct gives its deployments.
pub const DEPLOYMENT_DESCRIPTION: &str = "Automatically created by the RestApi construct";
const LAMBDA_BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The CDK stack of a region: `LocalResourcesus-east-1`.
fn stack(region: &str) -> String {
    format!("LocalResources{region}")
}

/// `us-east-1` as the CDK spells it inside logical ids: `useast1`.
fn compact(region: &str) -> String {
    region.replace('-', "")
}

/// Builds the CDK's resources for `regions` (the first holds the table,
/// the zone and the delegation from the parent zone `parent`, which must
/// exist); answers the import file: the global_api program's names to
/// import ids.
pub async fn build(
    account: &TestAccount,
    parent: &str,
    regions: &[&str],
) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    global_table(account, regions).await;
    ids.insert("table".to_string(), TABLE.to_string());
    let r53 = zone::route53(account).await;
    let zone_id = zone::hosted_zone(&r53, DOMAIN).await;
    ids.insert("api-zone".into(), zone_id.clone());
    // The zone's own NS record names its name servers.
    let ns = zone::record_set(&r53, &zone_id, DOMAIN, RrType::Ns).await;
    let servers = zone::values_of(&ns.expect("the zone's NS record"));
    let servers: Vec<&str> = servers.iter().map(String::as_str).collect();
    let delegation = zone::rrset(&format!("{DOMAIN}."), RrType::Ns, 1800, &servers);
    zone::change(&r53, parent, ChangeAction::Create, delegation).await;
    ids.insert(
        "api-zone-delegation".into(),
        format!("{parent}|{DOMAIN}|NS"),
    );
    for region in regions {
        local_stack(account, region, &zone_id, &mut ids).await;
    }
    ids
}

/// The TableV2: `id` (S) as the key, on demand, streams on, a replica in
/// every region.
async fn global_table(account: &TestAccount, regions: &[&str]) {
    use aws_sdk_dynamodb::types::{
        CreateReplicationGroupMemberAction, ReplicationGroupUpdate, StreamSpecification,
        StreamViewType,
    };
    let ddb = aws_sdk_dynamodb::Client::new(&account.sdk_config(regions[0]).await);
    sdk::id_keyed_table(&ddb, TABLE)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .expect("CreateTable");
    table_settled(&ddb).await;
    for replica in &regions[1..] {
        let create = CreateReplicationGroupMemberAction::builder()
            .region_name(*replica)
            .build()
            .expect("replica");
        ddb.update_table()
            .table_name(TABLE)
            .replica_updates(ReplicationGroupUpdate::builder().create(create).build())
            .send()
            .await
            .expect("UpdateTable (add a replica)");
        table_settled(&ddb).await;
    }
}

/// Waits until the table and its replicas are ACTIVE.
async fn table_settled(ddb: &aws_sdk_dynamodb::Client) {
    for _ in 0..600 {
        let t = sdk::table(ddb, TABLE).await;
        let active = t.table_status().map(|s| s.as_str()) == Some("ACTIVE")
            && t.replicas()
                .iter()
                .all(|r| r.replica_status().map(|s| s.as_str()) == Some("ACTIVE"));
        if active {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the table did not settle");
}

/// One `LocalResources<region>` stack.
async fn local_stack(
    account: &TestAccount,
    region: &str,
    zone_id: &str,
    ids: &mut BTreeMap<String, String>,
) {
    let conf = account.sdk_config(region).await;
    let certificate = certificate(account, region, zone_id).await;
    ids.insert(format!("certificate-{region}"), certificate.clone());

    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .expect("CreateLogGroup");
    logs.put_retention_policy()
        .log_group_name(LOG_GROUP)
        .retention_in_days(90)
        .send()
        .await
        .expect("PutRetentionPolicy");
    ids.insert(format!("function-{region}-logs"), LOG_GROUP.into());

    let role = role(account, region).await;
    ids.insert(format!("function-{region}-role"), role.0.clone());
    let function = function(account, region, &role.1).await;
    ids.insert(format!("function-{region}"), function.0.clone());

    let api = rest_api(account, region, &function.1).await;
    let prefix = format!("api-{region}");
    ids.insert(prefix.clone(), api.id.clone());
    ids.insert(
        format!("{prefix}/object"),
        format!("{}/{}", api.id, api.object),
    );
    ids.insert(
        format!("{prefix}/object/{{id}}"),
        format!("{}/{}", api.id, api.item),
    );
    let method = format!("{}/{}/GET", api.id, api.item);
    ids.insert(format!("{prefix}-get-object"), method.clone());
    ids.insert(format!("{prefix}-get-object-integration"), method);
    ids.insert(
        format!("{prefix}-deployment"),
        format!("{}/{}", api.id, api.deployment),
    );
    ids.insert(format!("{prefix}-stage-prod"), format!("{}/prod", api.id));

    let lambda = aws_sdk_lambda::Client::new(&conf);
    let execute = format!("arn:aws:execute-api:{region}:{}:{}", account.id(), api.id);
    for (name, stage, sid) in [
        ("prod", "prod", "ApiobjectidGETApiPermission"),
        (
            "test",
            "test-invoke-stage",
            "ApiobjectidGETApiPermissionTest",
        ),
    ] {
        let sid = format!(
            "{}-{sid}{}GETobjectid-A1B2C3",
            stack(region),
            compact(region)
        );
        lambda
            .add_permission()
            .function_name(&function.0)
            .statement_id(&sid)
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(format!("{execute}/{stage}/GET/object/*"))
            .send()
            .await
            .expect("AddPermission");
        ids.insert(
            format!("function-{region}-invoke-{name}"),
            format!("{}/{sid}", function.0),
        );
    }

    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let domain = apigw
        .create_domain_name()
        .domain_name(DOMAIN)
        .regional_certificate_arn(&certificate)
        .endpoint_configuration(
            aws_sdk_apigateway::types::EndpointConfiguration::builder()
                .types(aws_sdk_apigateway::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect("CreateDomainName");
    ids.insert(format!("domain-{region}"), DOMAIN.into());
    apigw
        .create_base_path_mapping()
        .domain_name(DOMAIN)
        .rest_api_id(&api.id)
        .stage("prod")
        .send()
        .await
        .expect("CreateBasePathMapping");
    ids.insert(
        format!("domain-{region}-mapping"),
        format!("{DOMAIN}/(none)"),
    );

    let alias = AliasTarget::builder()
        .dns_name(domain.regional_domain_name().expect("regional domain name"))
        .hosted_zone_id(domain.regional_hosted_zone_id().expect("regional zone id"))
        .evaluate_target_health(false)
        .build()
        .expect("alias");
    let latency = ResourceRecordSet::builder()
        .name(format!("{DOMAIN}."))
        .r#type(RrType::A)
        .set_identifier(region)
        .region(ResourceRecordSetRegion::from(region))
        .alias_target(alias)
        .build()
        .expect("record");
    let r53 = zone::route53(account).await;
    zone::change(&r53, zone_id, ChangeAction::Create, latency).await;
    ids.insert(
        format!("domain-{region}-record"),
        format!("{zone_id}|{DOMAIN}|A|{region}"),
    );
}

/// The region's certificate for the domain, validated through the zone
/// (the CDK writes the validation record), once ISSUED; its ARN.
async fn certificate(account: &TestAccount, region: &str, zone_id: &str) -> String {
    use aws_sdk_acm::types::{Tag, ValidationMethod};
    let acm = aws_sdk_acm::Client::new(&account.sdk_config(region).await);
    let arn = acm
        .request_certificate()
        .domain_name(DOMAIN)
        .validation_method(ValidationMethod::Dns)
        .tags(
            Tag::builder()
                .key("Name")
                .value(format!("{}/ApiCertificate", stack(region)))
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("arn")
        .to_string();
    let r53 = zone::route53(account).await;
    for _ in 0..600 {
        let c = sdk::certificate(&acm, &arn).await;
        if c.status().map(|s| s.as_str()) == Some("ISSUED") {
            return arn;
        }
        let record = c
            .domain_validation_options()
            .iter()
            .find_map(|o| o.resource_record());
        if let Some(r) = record {
            let cname = zone::rrset(r.name(), RrType::Cname, 300, &[r.value()]);
            zone::change(&r53, zone_id, ChangeAction::Upsert, cname).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("certificate {arn} was not issued");
}

/// The function's role, with the CDK's `grantReadData` inline policy; its
/// name and ARN.
async fn role(account: &TestAccount, region: &str) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(&account.sdk_config("us-east-1").await);
    let name = format!(
        "{}-FunctionServiceRole675BB04A-R{}",
        stack(region),
        compact(region)
    );
    let arn = sdk::create_role(&iam, &name, TRUST).await;
    iam.attach_role_policy()
        .role_name(&name)
        .policy_arn(LAMBDA_BASIC)
        .send()
        .await
        .expect("AttachRolePolicy");
    let table_arn = format!("arn:aws:dynamodb:{region}:{}:table/{TABLE}", account.id());
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
                "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:GetRecords",
                "dynamodb:GetShardIterator", "dynamodb:Query", "dynamodb:Scan"
            ],
            "Resource": table_arn,
        }],
    });
    let policy_name = "FunctionServiceRoleDefaultPolicy2F49994A";
    sdk::put_role_policy(&iam, &name, policy_name, &policy.to_string()).await;
    (name, arn)
}

/// The CDK's function (its own esbuild bundle, not Meridian's zip); its
/// name and ARN.
async fn function(account: &TestAccount, region: &str, role_arn: &str) -> (String, String) {
    use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, LoggingConfig, Runtime};
    let src = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        src.path().join("index.js"),
        "exports.main = async () => ({ statusCode: 200, body: 'cdk' });\n",
    )
    .expect("the bundle is written");
    let code = meridian_asset::pack(src.path()).expect("pack").zip;
    let lambda = aws_sdk_lambda::Client::new(&account.sdk_config(region).await);
    let name = format!("{}-Function76856677-F{}", stack(region), compact(region));
    // CloudFormation retries while a new role propagates to Lambda (AWS,
    // and the strict test cloud, refuse the role for a few seconds).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let out = loop {
        let sent = lambda
            .create_function()
            .function_name(&name)
            .runtime(Runtime::Nodejs20x)
            .architectures(Architecture::Arm64)
            .handler("index.main")
            .role(role_arn)
            .code(
                FunctionCode::builder()
                    .zip_file(code.clone().into())
                    .build(),
            )
            .environment(
                Environment::builder()
                    .variables("TABLE_NAME", TABLE)
                    .variables("AWS_NODEJS_CONNECTION_REUSE_ENABLED", "1")
                    .build(),
            )
            .logging_config(LoggingConfig::builder().log_group(LOG_GROUP).build())
            .send()
            .await;
        match sent {
            Err(e)
                if std::time::Instant::now() < deadline
                    && e.as_service_error()
                        .is_some_and(|e| e.is_invalid_parameter_value_exception()) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            other => break other.expect("CreateFunction"),
        }
    };
    (name, out.function_arn().expect("arn").to_string())
}

/// What the CDK's RestApi construct made in one region.
struct Api {
    id: String,
    object: String,
    item: String,
    deployment: String,
}

/// The REST API `Api` (EDGE, the CloudFormation default), `GET
/// /object/{id}` proxied to the function, its deployment and `prod` stage.
async fn rest_api(account: &TestAccount, region: &str, function_arn: &str) -> Api {
    use aws_sdk_apigateway::types::IntegrationType;
    let apigw = aws_sdk_apigateway::Client::new(&account.sdk_config(region).await);
    let api = apigw
        .create_rest_api()
        .name("Api")
        .send()
        .await
        .expect("CreateRestApi");
    let id = api.id().expect("id").to_string();
    let root = apigw
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .expect("GetResources")
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id())
        .expect("the root resource")
        .to_string();
    let mut parent = root;
    let mut made = Vec::new();
    for part in ["object", "{id}"] {
        let r = apigw
            .create_resource()
            .rest_api_id(&id)
            .parent_id(&parent)
            .path_part(part)
            .send()
            .await
            .expect("CreateResource");
        parent = r.id().expect("id").to_string();
        made.push(parent.clone());
    }
    let item = made[1].clone();
    apigw
        .put_method()
        .rest_api_id(&id)
        .resource_id(&item)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .expect("PutMethod");
    apigw
        .put_integration()
        .rest_api_id(&id)
        .resource_id(&item)
        .http_method("GET")
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(format!(
            "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
        ))
        .send()
        .await
        .expect("PutIntegration");
    let deployment = apigw
        .create_deployment()
        .rest_api_id(&id)
        .description(DEPLOYMENT_DESCRIPTION)
        .send()
        .await
        .expect("CreateDeployment")
        .id()
        .expect("id")
        .to_string();
    apigw
        .create_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .deployment_id(&deployment)
        .send()
        .await
        .expect("CreateStage");
    Api {
        id,
        object: made[0].clone(),
        item,
        deployment,
    }
}
