//! The identity tags every resource Meridian creates carries: the URN of
//! the resource and the idempotency token of the create that made it, so
//! `read` can find an interrupted create again and tell ours from others'.

use meridian_engine::{OpContext, ProviderError};

/// Tag key that names the Meridian URN of a resource.
pub const URN_TAG: &str = "meridian:urn";
/// Tag key that carries the idempotency token of the create that made it.
pub const TOKEN_TAG: &str = "meridian:token";

/// The identity tags every created resource carries.
pub fn identity_tags(ctx: &OpContext) -> Vec<(String, String)> {
    vec![
        (URN_TAG.to_string(), ctx.urn.clone()),
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
    owner == Some(ctx.urn.as_str())
}
