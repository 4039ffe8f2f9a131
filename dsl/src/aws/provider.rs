//! AWS provider configurations: which account a resource is managed in.
//! The default is the environment's credential chain; a configuration
//! assumes a role (with an optional external id and session name) or uses
//! a named profile. It names how to get credentials, never the credentials
//! themselves, so it is safe to record in state.

use crate::ProviderConfig;
use meridian_schema::aws::accounts::{PROFILE_TARGET_PREFIX, ROLE_TARGET_PREFIX, RoleArn, setting};
use std::collections::BTreeMap;

/// A configuration that assumes a role; turns into a [`ProviderConfig`].
#[derive(Clone, Debug, PartialEq)]
pub struct AssumeRole {
    config: ProviderConfig,
}

/// A configuration named `name` that assumes `role_arn` with the default
/// credentials (whose account the role's trust policy must allow).
pub fn assume_role(name: &str, role_arn: &RoleArn) -> AssumeRole {
    AssumeRole {
        config: ProviderConfig {
            name: name.to_string(),
            target: format!("{ROLE_TARGET_PREFIX}{role_arn}"),
            settings: BTreeMap::from([(setting::ROLE_ARN.to_string(), role_arn.to_string())]),
        },
    }
}

impl AssumeRole {
    /// The external id the role's trust policy asks for.
    pub fn external_id(mut self, id: &str) -> Self {
        self.config
            .settings
            .insert(setting::EXTERNAL_ID.into(), id.into());
        self
    }

    /// The session name the role's calls are logged under (default
    /// `meridian`).
    pub fn session_name(mut self, name: &str) -> Self {
        self.config
            .settings
            .insert(setting::SESSION_NAME.into(), name.into());
        self
    }
}

impl From<AssumeRole> for ProviderConfig {
    fn from(r: AssumeRole) -> ProviderConfig {
        r.config
    }
}

impl From<&AssumeRole> for ProviderConfig {
    fn from(r: &AssumeRole) -> ProviderConfig {
        r.config.clone()
    }
}

/// A configuration named `name` that uses the named profile of the shared
/// AWS configuration files.
pub fn profile(name: &str, profile: &str) -> ProviderConfig {
    ProviderConfig {
        name: name.to_string(),
        target: format!("{PROFILE_TARGET_PREFIX}{profile}"),
        settings: BTreeMap::from([(setting::PROFILE.to_string(), profile.to_string())]),
    }
}
