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
//! name. Nothing is deleted.
//!
//! Config: `regions` (comma-separated; the first is the primary; default
//! `us-east-1,eu-west-1,sa-east-1`), `domain` (default `api.example.com`),
//! `parent_zone` (default `example.com`), `table_name` (default
//! `global-table`), `handler_dir` (the handler's source, default
//! `examples/global_api/handler`), `log_retention_days` (one of the periods
//! CloudWatch Logs accepts, default 90), `protect_table` (`false` opts the
//! table out of its protection: a plan may then replace it and `destroy`
//! deletes it; default `true`), `parent_zone_role_arn` (a role in the
//! account that holds the parent zone: the parent-zone lookup and the NS
//! delegation record go through it, everything else stays in the default
//! account; default unset), `tags` (`key=value,key=value`: tags on every
//! resource that takes tags, beside Meridian's own; default none),
//! `log_group_name` (each region's log group; default
//! `/meridian/<stack>/global-api/<region>`) and `deployment_description`
//! (default none): the last two let the program say what an imported CDK
//! deployment has (`log-group`, "Automatically created by the RestApi
//! construct"; docs/guide/state.md, "Importing"). They are read into `Settings` by
//! `stack.config()`, and saved per stack by `config set KEY VALUE` or
//! `up --config KEY=VALUE` (docs/guide/configuration.md).
//!
//! ```text
//! scripts/with-local-aws cargo run --example global_api -- up --yes
//! ```

use meridian::dsl::aws::acm::Certificate;
use meridian::dsl::aws::apigateway::HttpMethod;
use meridian::dsl::aws::dynamodb::{GlobalTable, Key};
use meridian::dsl::aws::lambda::{Architecture, Code, Runtime};
use meridian::dsl::aws::provider::assume_role;
use meridian::dsl::aws::route53::{HostedZone, Record, RecordType, ZoneLookup};
use meridian::dsl::constructs::{CustomDomain, Function, RegionalRestApi};
use meridian::dsl::{Alias, Options, Scope, Stack, WithProvider};
use settings::Settings;

mod settings;

fn program(stack: &mut Stack) -> Result<(), Box<dyn std::error::Error>> {
    let s = Settings::read(stack)?;
    stack.set_default_region(s.regions[0].as_str());
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
    let dns = s.parent_zone_role_arn.map(|arn| assume_role("dns", &arn));
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
        .depends_on(delegation.name())
        .declare(&mut scope);
        let (old_role, old_logs) = (format!("function-role-{r}"), format!("log-group-{r}"));
        let function = Function::new(
            &format!("function-{r}"),
            code.clone(),
            Runtime::Nodejs20x,
            "index.main",
        )
        .architecture(Architecture::Arm64)
        .env("TABLE_NAME", table.table_name())
        .log_group_name(
            s.log_group_name
                .clone()
                .unwrap_or_else(|| format!("/meridian/{stack_name}/global-api/{r}")),
        )
        .log_retention(s.log_retention_days)
        .role(move |role| role.aliases([Alias::root_named(&old_role)]))
        .log_group(move |group| group.aliases([Alias::root_named(&old_logs)]))
        .declare(&mut scope);
        table.grant_read(&mut scope, &function);
        let description = s.deployment_description.clone();
        let api = RegionalRestApi::new(&format!("api-{r}"), "Api")
            .route("get-object", HttpMethod::Get, "/object/{id}", &function)
            .deployment(move |d| description.into_iter().fold(d, |d, t| d.description(t)))
            .declare(&mut scope);
        let old_record = format!("latency-record-{r}");
        CustomDomain::new(
            &format!("domain-{r}"),
            s.domain.as_str(),
            certificate.arn(),
            zone.zone_id(),
            &api.stages[0],
        )
        .record(move |record| record.aliases([Alias::root_named(&old_record)]))
        .declare(&mut scope);
        scope.export(&format!("endpoint_{r}"), api.stages[0].invoke_url());
    }

    stack.export("api_url", format!("https://{}/object/{{id}}", s.domain));
    stack.export("table_name", table.table_name());
    Ok(())
}

fn main() -> std::process::ExitCode {
    meridian::run(program)
}
