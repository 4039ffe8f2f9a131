//! The identity tags every resource Meridian creates carries: the URN of
//! the resource and the idempotency token of the create that made it, so
//! `read` can find an interrupted create again and tell ours from others'.
//! A tag value must follow AWS's tag rules, so a URN that does not is
//! carried as a readable prefix plus a hash ([`urn_tag_value`]).

use meridian_engine::{OpContext, ProviderError};

/// Tag key that names the Meridian URN of a resource.
pub const URN_TAG: &str = "meridian:urn";
/// Tag key that carries the idempotency token of the create that made it.
pub const TOKEN_TAG: &str = "meridian:token";

/// The longest tag value AWS accepts (IAM, Lambda, ACM, Logs, DynamoDB,
/// API Gateway, Route 53 alike).
pub const MAX_TAG_VALUE: usize = 256;

/// Whether AWS accepts `c` in a tag value: a Unicode letter, digit or
/// space, or one of `_.:/=+-@` (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`).
pub fn is_tag_value_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

/// The value of the URN tag for `urn`: the URN itself when AWS accepts it
/// as a tag value (so every tag written before stays what it was), else a
/// readable prefix (other characters turned into `_`, cut to fit) then `@h`
/// and 32 hex digits of the URN's SHA-256, at most [`MAX_TAG_VALUE`]
/// characters. The same URN always gives the same value.
pub fn urn_tag_value(urn: &str) -> String {
    if urn.chars().count() <= MAX_TAG_VALUE && urn.chars().all(is_tag_value_char) {
        return urn.to_string();
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(urn.as_bytes());
    let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let suffix = format!("@h{hash}");
    let prefix: String = urn
        .chars()
        .map(|c| if is_tag_value_char(c) { c } else { '_' })
        .take(MAX_TAG_VALUE - suffix.len())
        .collect();
    format!("{prefix}{suffix}")
}

/// Whether a URN tag reading `tag` names `urn`: the value [`urn_tag_value`]
/// writes, or the full URN as tags written before it said.
pub fn tag_names_urn(tag: &str, urn: &str) -> bool {
    tag == urn || tag == urn_tag_value(urn)
}

/// The identity tags every created resource carries.
pub fn identity_tags(ctx: &OpContext) -> Vec<(String, String)> {
    vec![
        (URN_TAG.to_string(), urn_tag_value(&ctx.urn)),
        (TOKEN_TAG.to_string(), ctx.token.clone()),
    ]
}

/// The identity tags as one service's SDK tag type: `build` is that
/// service's `Tag::builder().key(k).value(v).build()`.
pub fn identity_sdk_tags<T, E: std::fmt::Display>(
    ctx: &OpContext,
    build: impl Fn(String, String) -> Result<T, E>,
) -> Result<Vec<T>, ProviderError> {
    identity_tags(ctx)
        .into_iter()
        .map(|(k, v)| {
            build(k, v).map_err(|e| ProviderError::permanent(format!("building a tag: {e}")))
        })
        .collect()
}

/// Whether a resource whose URN tag is `owner` is this step's resource.
pub fn is_ours(ctx: &OpContext, owner: Option<&str>) -> bool {
    owner.is_some_and(|tag| tag_names_urn(tag, &ctx.urn))
}

/// [`is_ours`] for a tag map, as API Gateway answers its tags.
pub fn tags_are_ours(
    ctx: &OpContext,
    tags: Option<&std::collections::HashMap<String, String>>,
) -> bool {
    is_ours(ctx, tags.and_then(|t| t.get(URN_TAG)).map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urn_aws_accepts_is_its_own_tag_value() {
        let urn = "urn:meridian:prod::aws:iam/role:Role::api-role é";
        assert_eq!(urn_tag_value(urn), urn);
        assert!(tag_names_urn(urn, urn));
    }

    #[test]
    fn a_long_or_unusual_urn_becomes_a_valid_prefix_and_hash() {
        let odd = "urn:meridian:prod::aws:iam/role:Role::api (v2)";
        let long = format!("urn:meridian:prod::aws:iam/role:Role::{}", "n".repeat(300));
        for urn in [odd, long.as_str()] {
            let value = urn_tag_value(urn);
            assert!(value.chars().count() <= MAX_TAG_VALUE, "{value}");
            assert!(value.chars().all(is_tag_value_char), "{value}");
            assert!(value.starts_with("urn:meridian:prod::aws:iam/role:Role::"));
            assert_eq!(value, urn_tag_value(urn), "deterministic");
            assert!(tag_names_urn(&value, urn), "the new value matches");
            assert!(
                tag_names_urn(urn, urn),
                "a full URN written before still matches"
            );
        }
        assert!(urn_tag_value(odd).starts_with("urn:meridian:prod::aws:iam/role:Role::api _v2_@h"));
        assert_ne!(
            urn_tag_value(odd),
            urn_tag_value("urn:meridian:prod::aws:iam/role:Role::api [v2]")
        );
    }
}
