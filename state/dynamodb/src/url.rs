//! The backend URL, `dynamodb://TABLE?region=REGION&lease_ttl=SECONDS`,
//! parsed and checked before any network call so that a typo is a usage
//! error, not a failed run.

use std::time::Duration;

/// The URL scheme this backend serves.
pub const SCHEME: &str = "dynamodb";

/// The lease TTL when the URL does not say (`?lease_ttl=SECONDS`).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);

/// The longest lease a URL may ask for: a dead holder blocks the stack this
/// long unless someone runs `meridian unlock`.
const MAX_LEASE_TTL_SECS: u64 = 3600;

/// A parsed `dynamodb://` backend URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendUrl {
    /// The backend table (one table holds every stack).
    pub table: String,
    /// The table's region; `None` means the SDK's default chain
    /// (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// How long a lease lives without renewal.
    pub lease_ttl: Duration,
}

impl BackendUrl {
    /// Parses and checks a URL. Errors say what is wrong and show the form.
    pub fn parse(url: &str) -> Result<Self, String> {
        let form = "dynamodb://TABLE?region=REGION (optional: &lease_ttl=SECONDS)";
        let Some(rest) = url.strip_prefix("dynamodb://") else {
            return Err(format!(
                "{url:?} is not a DynamoDB backend URL (expected {form})"
            ));
        };
        let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
        let table = table.strip_suffix('/').unwrap_or(table);
        check_table_name(table).map_err(|e| format!("backend URL {url:?}: {e}"))?;
        let mut region = None;
        let mut lease_ttl = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!(
                    "backend URL {url:?}: {pair:?} is not key=value (expected {form})"
                ));
            };
            match key {
                "region" => {
                    let ok = !value.is_empty()
                        && value
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if !ok {
                        return Err(format!(
                            "backend URL {url:?}: region {value:?} is not a region name (example: us-east-1)"
                        ));
                    }
                    if region.replace(value.to_string()).is_some() {
                        return Err(format!("backend URL {url:?}: region is given twice"));
                    }
                }
                "lease_ttl" => {
                    let secs: u64 = value
                        .strip_suffix('s')
                        .unwrap_or(value)
                        .parse()
                        .ok()
                        .filter(|s| (1..=MAX_LEASE_TTL_SECS).contains(s))
                        .ok_or_else(|| {
                            format!(
                                "backend URL {url:?}: lease_ttl={value:?} must be a whole number of seconds from 1 to {MAX_LEASE_TTL_SECS}"
                            )
                        })?;
                    if lease_ttl.replace(Duration::from_secs(secs)).is_some() {
                        return Err(format!("backend URL {url:?}: lease_ttl is given twice"));
                    }
                }
                other => {
                    return Err(format!(
                        "backend URL {url:?}: unknown parameter {other:?} (known: region, lease_ttl)"
                    ));
                }
            }
        }
        Ok(BackendUrl {
            table: table.to_string(),
            region,
            lease_ttl: lease_ttl.unwrap_or(DEFAULT_LEASE_TTL),
        })
    }

    /// How often a holder renews its lease: three chances before it lapses.
    pub fn renew_every(&self) -> Duration {
        self.lease_ttl / 3
    }
}

impl std::fmt::Display for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.region {
            Some(region) => write!(f, "dynamodb://{}?region={region}", self.table),
            None => write!(f, "dynamodb://{}", self.table),
        }
    }
}

/// DynamoDB's table-name rule: 3 to 255 of `[A-Za-z0-9_.-]`.
fn check_table_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !(3..=255).contains(&name.len()) || !name.chars().all(allowed) {
        return Err(format!(
            "table name {name:?} is not valid (3 to 255 letters, digits, '_', '-', '.')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_region_and_lease_ttl_are_read() {
        let u = BackendUrl::parse("dynamodb://team-state?region=eu-west-1&lease_ttl=30").unwrap();
        assert_eq!(u.table, "team-state");
        assert_eq!(u.region.as_deref(), Some("eu-west-1"));
        assert_eq!(u.lease_ttl, Duration::from_secs(30));
        assert_eq!(u.renew_every(), Duration::from_secs(10));
        assert_eq!(u.to_string(), "dynamodb://team-state?region=eu-west-1");
    }

    #[test]
    fn region_and_lease_ttl_are_optional() {
        let u = BackendUrl::parse("dynamodb://team-state").unwrap();
        assert_eq!(u.region, None);
        assert_eq!(u.lease_ttl, DEFAULT_LEASE_TTL);
        assert_eq!(
            BackendUrl::parse("dynamodb://team-state/?lease_ttl=5s")
                .unwrap()
                .lease_ttl,
            Duration::from_secs(5)
        );
    }

    #[test]
    fn another_scheme_is_rejected_showing_the_form() {
        let e = BackendUrl::parse("s3://bucket").unwrap_err();
        assert!(e.contains("dynamodb://TABLE?region=REGION"), "{e}");
    }

    #[test]
    fn bad_table_names_are_rejected() {
        for bad in [
            "dynamodb://",
            "dynamodb://ab",
            "dynamodb://a b c",
            "dynamodb://t/x",
        ] {
            let e = BackendUrl::parse(bad).unwrap_err();
            assert!(e.contains("table name"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_parameters_are_rejected_by_name() {
        let cases = [
            ("dynamodb://tbl?region=", "region"),
            ("dynamodb://tbl?region=EU_WEST", "region"),
            ("dynamodb://tbl?lease_ttl=0", "lease_ttl"),
            ("dynamodb://tbl?lease_ttl=abc", "lease_ttl"),
            ("dynamodb://tbl?lease_ttl=99999", "lease_ttl"),
            ("dynamodb://tbl?region=us-east-1&region=eu-west-1", "twice"),
            ("dynamodb://tbl?colour=blue", "unknown parameter \"colour\""),
            ("dynamodb://tbl?region", "not key=value"),
        ];
        for (url, expected) in cases {
            let e = BackendUrl::parse(url).unwrap_err();
            assert!(e.contains(expected), "{url}: {e}");
        }
    }
}
