//! What the cloud holds for the global_api program, read with the SDK
//! directly (never through Meridian), and the checks of a deployment, a
//! destroy and the state against it.

use crate::support::zone;
use meridian::state::StackState;
use meridian_testkit::TestAccount;
use serde_json::Value;
use std::collections::BTreeMap;

/// The API's domain.
pub const DOMAIN: &str = "api.example.com";
/// The regions the program deploys to by default.
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "sa-east-1"];
/// The program's global table.
const TABLE: &str = "global-table";

/// What the cloud holds for the program, read with the SDK directly.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Ids of hosted zones named `DOMAIN`.
    pub zones: Vec<String>,
    /// NS records for `DOMAIN` in the parent zone.
    pub delegations: usize,
    /// Set identifiers of the latency records in the API zones.
    pub latency_records: Vec<String>,
    pub roles: Vec<String>,
    /// Active replica regions of the table, if it exists.
    pub table: Option<Vec<String>>,
    pub regions: BTreeMap<String, RegionInventory>,
}

#[derive(Debug, Default, PartialEq)]
pub struct RegionInventory {
    pub apis: Vec<String>,
    /// Paths of every API resource, over all APIs.
    pub api_paths: Vec<String>,
    pub deployments: usize,
    pub stages: usize,
    pub certificates: Vec<String>,
    pub functions: Vec<String>,
    pub permissions: usize,
    pub log_groups: Vec<String>,
    pub domains: Vec<String>,
    pub mappings: usize,
}

impl RegionInventory {
    /// How many REST APIs, certificates, functions and log groups.
    pub fn counts(&self) -> [(&'static str, usize); 4] {
        [
            ("REST APIs", self.apis.len()),
            ("certificates", self.certificates.len()),
            ("functions", self.functions.len()),
            ("log groups", self.log_groups.len()),
        ]
    }
}

impl Inventory {
    pub async fn read(account: &TestAccount, regions: &[&str]) -> Inventory {
        let us = account.sdk_config("us-east-1").await;
        let r53 = aws_sdk_route53::Client::new(&us);
        let mut inv = Inventory::default();
        let zones = r53
            .list_hosted_zones()
            .send()
            .await
            .expect("ListHostedZones");
        for z in zones.hosted_zones() {
            let id = z.id().trim_start_matches("/hostedzone/").to_string();
            let name = z.name().trim_end_matches('.');
            let records = zone::record_sets(&r53, &id).await;
            if name == DOMAIN {
                inv.latency_records.extend(
                    records
                        .iter()
                        .filter(|r| r.r#type().as_str() == "A")
                        .map(|r| r.set_identifier().unwrap_or("").to_string()),
                );
                inv.zones.push(id);
            } else {
                inv.delegations += records
                    .iter()
                    .filter(|r| {
                        r.r#type().as_str() == "NS" && r.name().trim_end_matches('.') == DOMAIN
                    })
                    .count();
            }
        }
        inv.latency_records.sort();
        let iam = aws_sdk_iam::Client::new(&us);
        let roles = iam.list_roles().send().await.expect("ListRoles");
        inv.roles = names(roles.roles(), |r| Some(r.role_name()));
        inv.table = active_replicas(account).await;
        for region in regions {
            inv.regions
                .insert(region.to_string(), read_region(account, region).await);
        }
        inv
    }

    /// Every desired resource of a deployment to `regions` exists exactly
    /// once, and nothing else the program makes.
    pub fn assert_deployed_once(&self, regions: &[&str]) {
        assert_eq!(self.zones.len(), 1, "API zones: {self:#?}");
        assert_eq!(self.delegations, 1, "delegation records: {self:#?}");
        let mut want: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
        want.sort();
        assert_eq!(self.latency_records, want, "latency records: {self:#?}");
        assert_eq!(self.roles.len(), regions.len(), "roles: {self:#?}");
        assert_eq!(
            self.table.as_ref(),
            Some(&want),
            "table replicas: {self:#?}"
        );
        for region in regions {
            let r = &self.regions[*region];
            let once = RegionInventory {
                apis: r.apis.clone(),
                api_paths: vec!["/".into(), "/object".into(), "/object/{id}".into()],
                deployments: 1,
                stages: 1,
                certificates: r.certificates.clone(),
                functions: r.functions.clone(),
                permissions: 2,
                log_groups: r.log_groups.clone(),
                domains: vec![DOMAIN.to_string()],
                mappings: 1,
            };
            assert_eq!(r, &once, "{region}: {self:#?}");
            for (what, n) in r.counts() {
                assert_eq!(n, 1, "{region}: {what}: {self:#?}");
            }
        }
    }

    /// After `destroy`: only the retained table (with its replicas) is left.
    pub fn assert_destroyed(&self, regions: &[&str]) {
        assert!(self.zones.is_empty(), "API zones left: {self:#?}");
        assert_eq!(self.delegations, 0, "delegation left: {self:#?}");
        assert!(self.roles.is_empty(), "roles left: {self:#?}");
        assert!(
            self.table.is_some(),
            "the table must be retained: {self:#?}"
        );
        for region in regions {
            assert_eq!(
                self.regions[*region],
                RegionInventory::default(),
                "{region}: left behind: {self:#?}"
            );
        }
    }

    /// The state records exactly what the cloud holds, by physical id, for
    /// the types whose ids the cloud lists.
    pub fn assert_state_matches(&self, state: &StackState) {
        let ids = |type_token: &str, region: Option<&str>| -> Vec<String> {
            let mut v: Vec<String> = state
                .resources
                .values()
                .filter(|r| r.type_token == type_token && region.is_none_or(|g| r.region == g))
                .map(|r| r.id.clone())
                .collect();
            v.sort();
            v
        };
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        assert_eq!(
            ids("aws:route53:HostedZone", None),
            sorted(&self.zones),
            "zones"
        );
        assert_eq!(ids("aws:iam:Role", None), sorted(&self.roles), "roles");
        for (region, r) in &self.regions {
            let g = Some(region.as_str());
            for (type_token, cloud, what) in [
                ("aws:apigateway:RestApi", &r.apis, "APIs"),
                ("aws:acm:Certificate", &r.certificates, "certificates"),
                ("aws:lambda:Function", &r.functions, "functions"),
                ("aws:logs:LogGroup", &r.log_groups, "log groups"),
                ("aws:apigateway:DomainName", &r.domains, "domains"),
            ] {
                assert_eq!(ids(type_token, g), sorted(cloud), "{region} {what}");
            }
        }
        let table_recorded = !ids("aws:dynamodb:GlobalTable", None).is_empty();
        if table_recorded {
            assert!(
                self.table.is_some(),
                "the state records a table the cloud lacks"
            );
        }
    }
}

/// The names `name` gives the listed `items`.
fn names<T>(items: &[T], name: impl Fn(&T) -> Option<&str>) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| name(i).map(str::to_string))
        .collect()
}

/// The regions of the global table's ACTIVE replicas, sorted; `None` if the
/// table does not exist.
pub async fn active_replicas(account: &TestAccount) -> Option<Vec<String>> {
    let ddb = aws_sdk_dynamodb::Client::new(&account.sdk_config("us-east-1").await);
    let t = ddb.describe_table().table_name(TABLE).send().await.ok()?;
    let mut replicas: Vec<String> = t
        .table()
        .map(|t| t.replicas())
        .unwrap_or_default()
        .iter()
        .filter(|r| r.replica_status().map(|s| s.as_str()) == Some("ACTIVE"))
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    replicas.sort();
    Some(replicas)
}

async fn read_region(account: &TestAccount, region: &str) -> RegionInventory {
    let conf = account.sdk_config(region).await;
    let mut r = RegionInventory::default();
    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let apis = apigw.get_rest_apis().send().await.expect("GetRestApis");
    for api in apis.items() {
        let id = api.id().unwrap_or_default().to_string();
        let resources = apigw.get_resources().rest_api_id(&id).send().await;
        let resources = resources.expect("GetResources");
        r.api_paths.extend(names(resources.items(), |i| i.path()));
        let deployments = apigw.get_deployments().rest_api_id(&id).send().await;
        r.deployments += deployments.expect("GetDeployments").items().len();
        let stages = apigw.get_stages().rest_api_id(&id).send().await;
        r.stages += stages.expect("GetStages").item().len();
        r.apis.push(id);
    }
    r.api_paths.sort();
    let domains = apigw.get_domain_names().send().await;
    for d in domains.expect("GetDomainNames").items() {
        let name = d.domain_name().unwrap_or_default().to_string();
        let mappings = apigw
            .get_base_path_mappings()
            .domain_name(&name)
            .send()
            .await;
        r.mappings += mappings.expect("GetBasePathMappings").items().len();
        r.domains.push(name);
    }
    let acm = aws_sdk_acm::Client::new(&conf);
    let certificates = acm.list_certificates().send().await;
    let certificates = certificates.expect("ListCertificates");
    r.certificates = names(certificates.certificate_summary_list(), |c| {
        c.certificate_arn()
    });
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let functions = lambda.list_functions().send().await.expect("ListFunctions");
    for f in functions.functions() {
        let name = f.function_name().unwrap_or_default().to_string();
        if let Ok(p) = lambda.get_policy().function_name(&name).send().await {
            let doc: Value = serde_json::from_str(p.policy().unwrap_or("{}")).unwrap_or_default();
            r.permissions += doc["Statement"].as_array().map_or(0, Vec::len);
        }
        r.functions.push(name);
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let groups = logs.describe_log_groups().send().await;
    let groups = groups.expect("DescribeLogGroups");
    r.log_groups = names(groups.log_groups(), |g| g.log_group_name());
    r
}
