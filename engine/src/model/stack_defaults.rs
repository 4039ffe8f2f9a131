//! What a stack gives every resource it declares unless the resource says
//! otherwise: a provider configuration (the account resources go to) and
//! default tags. Applied when the program's declarations are handed over.

use super::{ProviderConfig, ResourceDecl, Stack};
use std::collections::BTreeMap;

/// A stack's defaults for its resources.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackDefaults {
    /// The provider configuration of resources that name none.
    pub provider: Option<ProviderConfig>,
    /// Tags for every resource whose type takes tags, under its own.
    pub tags: BTreeMap<String, String>,
}

impl StackDefaults {
    /// `decls` with the defaults filled in: the provider configuration
    /// where a resource names none, the tags as each one's `default_tags`
    /// (a resource's own default tags win).
    pub fn apply(&self, mut decls: Vec<ResourceDecl>) -> Vec<ResourceDecl> {
        if *self == StackDefaults::default() {
            // Nothing to give: the options stay as declared (written to,
            // each declaration's defaulted options would be stored).
            return decls;
        }
        for d in &mut decls {
            if d.options.provider.is_none() && self.provider.is_some() {
                d.options.provider = self.provider.clone();
            }
            for (k, v) in &self.tags {
                d.options
                    .default_tags
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
        }
        decls
    }
}

impl Stack {
    /// Manages every resource that names no provider configuration of its
    /// own through `config` (another account, say). Without it, resources
    /// use the provider's default (for AWS the environment's credentials).
    pub fn default_provider(&mut self, config: ProviderConfig) {
        self.stack_defaults.provider = Some(config);
    }

    /// Tags every resource whose type takes tags with `tags` (added to
    /// earlier ones), under the resource's own: a key the resource tags
    /// itself keeps the resource's value. Shown in the plan as each
    /// resource's `tags`; a changed value is an in-place update.
    pub fn default_tags<K: Into<String>, V: Into<String>>(
        &mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) {
        self.stack_defaults
            .tags
            .extend(tags.into_iter().map(|(k, v)| (k.into(), v.into())));
    }

    /// The stack's defaults so far.
    pub fn stack_defaults(&self) -> &StackDefaults {
        &self.stack_defaults
    }
}
