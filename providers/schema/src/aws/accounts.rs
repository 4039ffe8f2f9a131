//! Several accounts and tags: how an AWS provider configuration is written
//! (the settings keys, the role ARN it assumes) and which tags AWS and
//! Meridian accept. The DSL writes these and the provider reads them; a
//! stack's configuration reads [`RoleArn`] and [`Tags`] with validation.

use std::collections::BTreeMap;
use std::fmt;

/// The settings keys of an AWS provider configuration.
pub mod setting {
    /// The ARN of the role to assume.
    pub const ROLE_ARN: &str = "role_arn";
    /// The external id the role's trust policy asks for (optional).
    pub const EXTERNAL_ID: &str = "external_id";
    /// The session name the assumed role's calls are logged under.
    pub const SESSION_NAME: &str = "session_name";
    /// A named profile of the shared AWS configuration files.
    pub const PROFILE: &str = "profile";
}

/// The target of a configuration that assumes a role: `role:<arn>`.
pub const ROLE_TARGET_PREFIX: &str = "role:";
/// The target of a configuration that uses a profile: `profile:<name>`.
pub const PROFILE_TARGET_PREFIX: &str = "profile:";
/// The session name an assumed role gets when the program gives none.
pub const DEFAULT_SESSION_NAME: &str = "meridian";

/// An IAM role's ARN: `arn:<partition>:iam::<12-digit account>:role/<path><name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleArn(String);

impl RoleArn {
    pub fn parse(s: &str) -> Result<RoleArn, String> {
        let bad = |why: &str| {
            Err(format!(
                "{s:?} is not an IAM role ARN ({why}); expected arn:aws:iam::<12-digit account id>:role/<name>"
            ))
        };
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return bad("it needs six ':'-separated parts");
        };
        if arn != "arn" || !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return bad("it must start with arn:aws:");
        }
        if service != "iam" || !region.is_empty() {
            return bad("the service must be iam, with no region");
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return bad("the account must be 12 digits");
        }
        let name = resource.strip_prefix("role/").unwrap_or("");
        let name = name.rsplit('/').next().unwrap_or("");
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if name.is_empty() || name.len() > 64 || !name.chars().all(ok_char) {
            return bad(
                "the resource must be role/<name>, 1-64 characters of letters, digits and +=,.@_-",
            );
        }
        Ok(RoleArn(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The account the role is in.
    pub fn account_id(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or("")
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `value` has a length in `len` and only letters, digits and
/// `extra`; else `refusal`.
fn check_sts_value(
    value: &str,
    len: std::ops::RangeInclusive<usize>,
    extra: &str,
    refusal: String,
) -> Result<(), String> {
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    (len.contains(&value.len()) && chars_ok)
        .then_some(())
        .ok_or(refusal)
}

/// Whether `name` is a session name STS accepts: 2-64 characters of
/// letters, digits and `+=,.@-_`.
pub fn check_session_name(name: &str) -> Result<(), String> {
    let refusal = format!(
        "session name {name:?} is not valid: 2-64 characters of letters, digits and +=,.@-_"
    );
    check_sts_value(name, 2..=64, "+=,.@-_", refusal)
}

/// Whether `id` is an external id STS accepts: 2-1224 characters of
/// letters, digits and `+=,.@:/-_`.
pub fn check_external_id(id: &str) -> Result<(), String> {
    let refusal =
        "the external id is not valid: 2-1224 characters of letters, digits and +=,.@:/-_";
    check_sts_value(id, 2..=1224, "+=,.@:/-_", refusal.to_string())
}

/// The prefixes no user tag key may start with: `aws:` is AWS's own, and
/// `meridian:` holds Meridian's identity tags, which cannot be overridden.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["aws:", "meridian:"];

/// Whether `key` = `value` is a tag every AWS service accepts (key 1-128
/// characters, value 0-256, both of letters, digits, spaces and
/// `_.:/=+-@`) and not a reserved key.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
    };
    if key.is_empty() || key.chars().count() > 128 || !allowed(key) {
        return Err(format!(
            "tag key {key:?} is not valid: 1-128 characters of letters, digits, spaces and _.:/=+-@"
        ));
    }
    if let Some(prefix) = RESERVED_TAG_PREFIXES
        .iter()
        .find(|p| key.to_ascii_lowercase().starts_with(*p))
    {
        return Err(format!(
            "tag key {key:?} is reserved: keys starting with {prefix:?} belong to {}",
            if *prefix == "aws:" {
                "AWS"
            } else {
                "Meridian's identity tags, which cannot be overridden"
            }
        ));
    }
    if value.chars().count() > 256 || !allowed(value) {
        return Err(format!(
            "the value of tag {key:?} is not valid: at most 256 characters of letters, digits, spaces and _.:/=+-@"
        ));
    }
    Ok(())
}

/// Tags written `key=value,key=value` (the example's `tags` key), each
/// checked by [`check_tag`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(pub BTreeMap<String, String>);

impl Tags {
    pub fn parse(s: &str) -> Result<Tags, String> {
        let mut tags = BTreeMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!(
                    "tag {pair:?} has no '=': write tags as key=value,key=value"
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            check_tag(key, value)?;
            if tags.insert(key.to_string(), value.to_string()).is_some() {
                return Err(format!("tag key {key:?} is given twice"));
            }
        }
        Ok(Tags(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked_and_name_their_account() {
        let arn = RoleArn::parse("arn:aws:iam::111122223333:role/path/dns-delegation").unwrap();
        assert_eq!(arn.account_id(), "111122223333");
        for bad in [
            "arn:aws:iam::1111:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:user/x",
            "role/x",
            "arn:aws:iam::111122223333:role/",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_parse_from_pairs_and_refuse_reserved_and_invalid_keys() {
        let tags = Tags::parse("team=api, cost-centre=42,empty=").unwrap();
        assert_eq!(tags.0["team"], "api");
        assert_eq!(tags.0["cost-centre"], "42");
        assert_eq!(tags.0["empty"], "");
        assert!(Tags::parse("").unwrap().0.is_empty());
        let e = Tags::parse("meridian:urn=x").unwrap_err();
        assert!(e.contains("cannot be overridden"), "{e}");
        assert!(Tags::parse("aws:createdBy=x").is_err());
        assert!(Tags::parse("team").unwrap_err().contains("no '='"));
        assert!(Tags::parse("a=1,a=2").unwrap_err().contains("twice"));
        assert!(Tags::parse("bad!key=1").is_err());
        assert!(Tags::parse(&format!("k={}", "v".repeat(257))).is_err());
    }

    #[test]
    fn session_names_and_external_ids_follow_sts_rules() {
        assert!(check_session_name("meridian-deploy").is_ok());
        assert!(check_session_name("x").is_err());
        assert!(check_session_name("has space").is_err());
        assert!(check_external_id("abc-123").is_ok());
        assert!(check_external_id("a").is_err());
    }
}
