//! A resource's provider configuration as part of its identity: the same
//! logical resource reached through another target (another account or
//! role) is another cloud resource, so the plan replaces it, and a
//! protected resource refuses. Only the target counts; a renamed
//! configuration or a new session name is recorded without any step.

use crate::model::ResourceDecl;
use crate::provider::PropertyChange;
use meridian_state::{ProviderConfig, ResourceRecord};
use serde_json::Value;

/// The name a plan shows for the provider configuration's change.
pub const PROVIDER_PROPERTY: &str = "provider";

/// What a plan shows as a resource's target: the configuration's name and
/// target, or `default`.
pub fn describe(config: Option<&ProviderConfig>) -> String {
    match config {
        Some(c) => format!("{} ({})", c.name, c.target),
        None => "default".into(),
    }
}

/// The replacement-forcing change when `decl` reaches another target than
/// the one `rec` was made through.
pub fn change(rec: &ResourceRecord, decl: &ResourceDecl) -> Option<PropertyChange> {
    let target = |c: Option<&ProviderConfig>| c.map(|c| c.target.clone());
    let (old, new) = (
        rec.provider_config.as_deref(),
        decl.options.provider.as_ref(),
    );
    (target(old) != target(new)).then(|| PropertyChange {
        path: PROVIDER_PROPERTY.into(),
        old: Some(Value::String(describe(old))),
        new: Some(Value::String(describe(new))),
        forces_replacement: true,
    })
}
