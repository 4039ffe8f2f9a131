//! The multi-region serverless API of `shared/seed/` (a CDK write-up),
//! rebuilt with Meridian's DSL in one graph across regions:
//!
//! - a DynamoDB global table in the primary region with a replica in every
//!   other region (protected and retained: data is never deleted by surprise);
//! - a Route53 hosted zone for the API's domain, delegated from the parent
//!   zone (looked up, never managed);
//! - in every region: an ACM certificate validated through the zone (once
//!   the zone is delegated), a `Function` construct (Node.js 20, arm64, with
//!   its role and log group) that reads the table's local replica
//!   (`table.grant_read`), a `RegionalRestApi` construct serving
//!   `GET /object/{id}` from it (resources, method, integration, deployment,
//!   `prod` stage, one invoke permission), and a `CustomDomain` construct
//!   (domain name, base path mapping, latency-routed alias record).
//!
//! The constructs name their parts from their own names and declare them
//! under a component. A stack deployed by the program before constructs
//! (`tests/fixtures/global_api_v1`) upgrades to this one with nothing
//! replaced: the region scope's `Alias::root()` says every resource used to
//! be under no component, and the parts whose names changed carry their old
//! name. Only the console's test-invoke permissions are deleted.
//!
//! Config: `regions` (comma-separated; the first is the primary; default
//! `us-east-1,eu-west-1,sa-east-1`), `domain` (default `api.example.com`),
//! `parent_zone` (default `example.com`), `table_name` (default
//! `global-table`), `handler_dir` (the handler's source, default
//! `examples/global_api/handler`), `log_retention_days` (one of the periods
//! CloudWatch Logs accepts, default 90), `protect_table` (`false` opts the
//! table out of its protection: a plan may then replace it and `destroy`
<<<<<<< HEAD
//! deletes it; default `true`), `parent_zone_role_arn` (a role in the
//! account that holds the parent zone: the parent-zone lookup and the NS
//! delegation record go through it, everything else stays in the default
//! account; default unset), `tags` (`key=value,key=value`: tags on every
//! resource that takes tags, beside Meridian's own; default none),
//! `log_group_name` (each region's log group; default
//! `/meridian/<stack>/global-api/<region>`) and `deployment_description`
//! (default none): the last two let the program say what an imported CDK
//! deployment has (`log-group`, "Automatically created by the RestApi
//! construct"; README, "Importing"). They are read into `Settings` by
=======
//! deletes it; default `true`), `log_group_name` (each region's log group;
//! default `/meridian/<stack>/global-api/<region>`) and
//! `deployment_description` (default none): the last two let the program
//! say what an imported CDK deployment has (`log-group`, "Automatically
//! created by the RestApi construct"; README, "Importing"). They are read into `Settings` by
>>>>>>> import
//! `stack.config()`, and saved per stack by `config set KEY VALUE` or
//! `up --config KEY=VALUE` (README, "Configuration").
//!
//! ```text
//! scripts/with-local-aws cargo run --example global_api -- up --yes
//! ```

use meridian::dsl::aws::acm::Certificate;
use meridian::dsl::aws::apigateway::HttpMethod;
use meridian::dsl::aws::dynamodb::{GlobalTable, Key};
use meridian::dsl::aws::lambda::{Architecture, Code, Runtime};
use meridian::dsl::aws::route53::{HostedZone, Record, RecordType, ZoneLookup};
use meridian::dsl::constructs::{CustomDomain, Function, RegionalRestApi};
use meridian::dsl::aws::provider::assume_role;
use meridian::dsl::{Alias, Input, Options, Scope, Stack, WithProvider};
use settings::Settings;

<<<<<<< HEAD
mod settings;
=======
/// The seed's configuration: each value checked as it is read (a bad one
/// is an error naming the key, the value and what is accepted), an absent
/// one defaulted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Settings {
    /// The first is the primary region.
    regions: Vec<Region>,
    domain: DnsName,
    parent_zone: DnsName,
    table_name: String,
    /// The Lambda handler's source directory (default: the bundled one).
    handler_dir: PathBuf,
    log_retention_days: RetentionDays,
    /// False opts the table out of its protection.
    protect_table: bool,
    /// Each region's log group name (default: per stack and region).
    log_group_name: Option<String>,
    /// The API deployments' description (default: none).
    deployment_description: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        let dns = |name| DnsName::parse(name).expect("a valid default");
        Settings {
            regions: vec![Region::US_EAST_1, Region::EU_WEST_1, Region::SA_EAST_1],
            domain: dns("api.example.com"),
            parent_zone: dns("example.com"),
            table_name: "global-table".into(),
            handler_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/global_api/handler"),
            log_retention_days: RetentionDays::ThreeMonths,
            protect_table: true,
            log_group_name: None,
            deployment_description: None,
        }
    }
}

impl Settings {
    /// What no single value says: the regions together, the domain inside
    /// the parent zone.
    fn read(stack: &Stack) -> Result<Settings, String> {
        let s: Settings = stack.config().map_err(|e| e.to_string())?;
        if s.regions.is_empty() {
            return Err("--config regions must name at least one region".into());
        }
        for (i, r) in s.regions.iter().enumerate() {
            if s.regions[..i].contains(r) {
                return Err(format!("--config regions names {r} twice"));
            }
        }
        if !s.domain.is_subdomain_of(&s.parent_zone) {
            return Err(format!(
                "--config domain={} is not inside the parent zone {}: the delegation record must live in the parent zone, so the domain must be a subdomain of it",
                s.domain, s.parent_zone
            ));
        }
        Ok(s)
    }
}
>>>>>>> import

fn program(stack: &mut Stack) -> Result<(), Box<dyn std::error::Error>> {
    let s = Settings::read(stack)?;
    let primary = s.regions[0].clone();
    stack.set_default_region(primary.as_str());
    let stack_name = stack.name().to_string();

    // Global resources, in the primary region. The table is protected and
    // retained by default (data-bearing); opting out lifts both.
    let table = GlobalTable::new("table", s.table_name.as_str(), Key::string("id"))
        .replica_regions(s.regions[1..].iter().cloned())
        .protect(s.protect_table)
        .retain_on_delete(s.protect_table)
        .declare(stack);
    stack.default_tags(s.tags.0.clone());
    // The parent zone may live in another (DNS) account, reached through a
    // role there: only the lookup and the delegation record go through it.
    let dns = s.parent_zone_role_arn.as_ref().map(|arn| assume_role("dns", arn));
    let parent = ZoneLookup::by_name("parent-zone", s.parent_zone.as_str())
        .provider_opt(dns.as_ref())
        .declare(stack);
    let zone = HostedZone::new("api-zone", s.domain.as_str()).declare(stack);
    let delegation = Record::new(
        "api-zone-delegation",
        parent.zone_id(),
        s.domain.as_str(),
        RecordType::Ns,
    )
    .values(zone.name_servers())
    .ttl(172_800)
    .provider_opt(dns.as_ref())
    .declare(stack);
    let code = Code::from_path(&s.handler_dir).map_err(|e| format!("--config handler_dir: {e}"))?;

    for region in &s.regions {
        let r = region.as_str();
        // Everything here was declared under no component before constructs.
        let mut scope = Scope::new(stack)
            .region(region.clone())
            .aliases([Alias::root()]);
        // ACM looks the validation record up only once the zone is delegated.
        let certificate = Certificate::new(
            &format!("certificate-{r}"),
            s.domain.as_str(),
            zone.zone_id(),
        )
<<<<<<< HEAD
        .depends_on(delegation.name())
        .declare(&mut scope);
        let (old_role, old_logs) = (format!("function-role-{r}"), format!("log-group-{r}"));
=======
        .region(region.clone())
        .declare(stack);

        // Named per stack and region so that a destroy and redeploy works
        // (the seed's fixed `log-group` collides with a retained one).
        let log_group_name = s
            .log_group_name
            .clone()
            .unwrap_or_else(|| format!("/meridian/{stack_name}/global-api/{r}"));
        let log_group = LogGroup::new(&format!("log-group-{r}"), log_group_name)
            .retention(s.log_retention_days)
            .region(region.clone())
            .declare(stack);

        let role = Role::new(
            &format!("function-role-{r}"),
            assume_role_policy_for_service("lambda.amazonaws.com"),
        )
        .managed_policy_arn(LAMBDA_BASIC_EXECUTION_ROLE)
        .inline_policy("table-read", grant_table_read(table.arn_in(region)))
        .region(region.clone())
        .declare(stack);

>>>>>>> import
        let function = Function::new(
            &format!("function-{r}"),
            code.clone(),
            Runtime::Nodejs20x,
            "index.main",
        )
        .architecture(Architecture::Arm64)
        .env("TABLE_NAME", table.table_name())
<<<<<<< HEAD
        .log_group_name(s.log_group_name.clone().unwrap_or_else(|| format!("/meridian/{stack_name}/global-api/{r}")))
        .log_retention(s.log_retention_days)
        .role(move |role| role.aliases([Alias::root_named(&old_role)]))
        .log_group(move |group| group.aliases([Alias::root_named(&old_logs)]))
        .declare(&mut scope);
        table.grant_read(&mut scope, &function);
        let description = s.deployment_description.clone();
        let api = RegionalRestApi::new(&format!("api-{r}"), "Api")
            .route("get-object", HttpMethod::Get, "/object/{id}", &function)
            .deployment(move |d| match description {
                Some(text) => d.description(text),
                None => d,
            })
            .declare(&mut scope);
        let old_record = format!("latency-record-{r}");
        CustomDomain::new(
            &format!("domain-{r}"),
=======
        .log_group(&log_group)
        .region(region.clone())
        .depends_on(role.name())
        .declare(stack);

        let api = RestApi::new(&format!("api-{r}"), "Api")
            .endpoint_type(EndpointType::Regional)
            .region(region.clone())
            .declare(stack);
        let item = resource_for_path(stack, &api, "/object/{id}");
        let get = Method::new(&format!("api-{r}-get-object"), &api, &item)
            .http_method(HttpMethod::Get)
            .declare(stack);
        Integration::new(
            &format!("api-{r}-get-object-integration"),
            &get,
            function.invoke_arn(),
        )
        .declare(stack);
        let mut deployment = Deployment::new(&format!("api-{r}-deployment"), &api);
        if let Some(d) = &s.deployment_description {
            deployment = deployment.description(d.clone());
        }
        let deployment = deployment.declare(stack);
        let prod =
            Stage::new(&format!("api-{r}-stage-prod"), &api, &deployment, "prod").declare(stack);

        // The two permissions the CDK's LambdaIntegration grants: the prod
        // stage, and the console's test invocations.
        Permission::new(
            &format!("function-{r}-invoke-prod"),
            function.arn(),
            "apigateway.amazonaws.com",
            prod.source_arn(HttpMethod::Get, "/object/*"),
        )
        .region(region.clone())
        .declare(stack);
        Permission::new(
            &format!("function-{r}-invoke-test"),
            function.arn(),
            "apigateway.amazonaws.com",
            interpolate([
                api.execution_arn().input(),
                Input::from("/test-invoke-stage/GET/object/*"),
            ]),
        )
        .region(region.clone())
        .declare(stack);

        let domain = DomainName::new(&format!("domain-{r}"), s.domain.as_str(), certificate.arn())
            .region(region.clone())
            .declare(stack);
        BasePathMapping::new(&format!("domain-{r}-mapping"), &domain, &prod).declare(stack);
        Record::new(
            &format!("latency-record-{r}"),
            zone.zone_id(),
>>>>>>> import
            s.domain.as_str(),
            certificate.arn(),
            zone.zone_id(),
            &api.stages[0],
        )
        .record(move |record| record.aliases([Alias::root_named(&old_record)]))
        .declare(&mut scope);
        scope.export(&format!("endpoint_{r}"), api.stages[0].invoke_url());
    }

    stack.export(
        "api_url",
        Input::from(format!("https://{}/object/{{id}}", s.domain)),
    );
    stack.export("table_name", table.table_name());
    Ok(())
}

fn main() -> std::process::ExitCode {
    meridian::run(program)
}
