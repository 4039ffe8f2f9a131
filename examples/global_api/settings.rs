//! The global_api program's typed settings (its stack configuration), shared
//! with the fixture of the program before constructs
//! (`tests/fixtures/global_api_v1`), which reads the same configuration.

use meridian::dsl::aws::logs::RetentionDays;
use meridian::dsl::schema::aws::accounts::{RoleArn, Tags};
use meridian::dsl::{DnsName, Region, Stack};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The seed's configuration: each value checked as it is read (a bad one
/// is an error naming the key, the value and what is accepted), an absent
/// one defaulted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The first is the primary region.
    pub regions: Vec<Region>,
    pub domain: DnsName,
    pub parent_zone: DnsName,
    pub table_name: String,
    /// The Lambda handler's source directory (default: the bundled one).
    pub handler_dir: PathBuf,
    pub log_retention_days: RetentionDays,
    /// False opts the table out of its protection.
    pub protect_table: bool,
    /// A role in the parent zone's (DNS) account for the lookup and the
    /// delegation record.
    pub parent_zone_role_arn: Option<RoleArn>,
    /// Tags for every resource that takes tags.
    pub tags: Tags,
    /// Each region's log group name (default: per stack and region).
    pub log_group_name: Option<String>,
    /// The API deployments' description (default: none).
    pub deployment_description: Option<String>,
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
            parent_zone_role_arn: None,
            tags: Tags::default(),
            log_group_name: None,
            deployment_description: None,
        }
    }
}

impl Settings {
    /// What no single value says: the regions together, the domain inside
    /// the parent zone.
    pub fn read(stack: &Stack) -> Result<Settings, String> {
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
