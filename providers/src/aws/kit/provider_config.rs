//! Provider configurations for AWS: the settings a program gives a
//! resource (an assume-role ARN with an optional external id and session
//! name, or a named profile) turned into the clients that act in that
//! account. Credentials are obtained at run time and held in memory only:
//! the configuration names how to get them, never what they are.

use super::clients::{Clients, env_loader};
use super::error::SdkResultExt;
use super::retry::call;
use aws_sdk_sts::config::{ProvideCredentials, SharedCredentialsProvider};
use meridian_engine::{OpContext, ProviderConfig, ProviderError};
use meridian_schema::aws::accounts::{
    DEFAULT_SESSION_NAME, PROFILE_TARGET_PREFIX, ROLE_TARGET_PREFIX, RoleArn, check_external_id,
    check_session_name, setting,
};
use std::collections::HashMap;
use std::sync::Arc;

/// What an AWS provider configuration reaches, read from its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AwsTarget {
    /// Assume `role_arn` with the default credentials.
    AssumeRole {
        role_arn: RoleArn,
        external_id: Option<String>,
        session_name: String,
    },
    /// A named profile of the shared configuration files.
    Profile(String),
}

impl AwsTarget {
    /// Reads `config`'s settings; an error names the configuration and
    /// what is wrong, before any call.
    pub fn from_config(config: &ProviderConfig) -> Result<AwsTarget, ProviderError> {
        let bad = |why: String| {
            ProviderError::permanent(format!(
                "AWS provider configuration {:?}: {why}",
                config.name
            ))
        };
        let get = |key: &str| config.settings.get(key).map(String::as_str);
        let target = match (get(setting::ROLE_ARN), get(setting::PROFILE)) {
            (Some(arn), None) => {
                let role_arn = RoleArn::parse(arn).map_err(bad)?;
                let external_id = get(setting::EXTERNAL_ID).map(str::to_string);
                if let Some(id) = &external_id {
                    check_external_id(id).map_err(bad)?;
                }
                let session_name = get(setting::SESSION_NAME).unwrap_or(DEFAULT_SESSION_NAME);
                check_session_name(session_name).map_err(bad)?;
                AwsTarget::AssumeRole {
                    role_arn,
                    external_id,
                    session_name: session_name.to_string(),
                }
            }
            (None, Some(profile)) if !profile.trim().is_empty() => {
                AwsTarget::Profile(profile.to_string())
            }
            _ => {
                return Err(bad(format!(
                    "give either {:?} or {:?} (not both)",
                    setting::ROLE_ARN,
                    setting::PROFILE
                )));
            }
        };
        if config.target != target.target() {
            return Err(bad(format!(
                "its target {:?} does not match its settings ({:?})",
                config.target,
                target.target()
            )));
        }
        Ok(target)
    }

    /// The configuration's target, as recorded in state.
    pub fn target(&self) -> String {
        match self {
            AwsTarget::AssumeRole { role_arn, .. } => format!("{ROLE_TARGET_PREFIX}{role_arn}"),
            AwsTarget::Profile(p) => format!("{PROFILE_TARGET_PREFIX}{p}"),
        }
    }

    /// The SDK configuration acting in the target, over `base` (its
    /// endpoint, region, HTTP client and retries): the credentials of an
    /// assumed role (refreshed before they expire), or a profile's. The
    /// first credentials are fetched now, so a role that refuses is a
    /// clear, final error before any resource is touched.
    async fn sdk_config(
        &self,
        ctx: &OpContext,
        name: &str,
        base: &aws_config::SdkConfig,
    ) -> Result<aws_config::SdkConfig, ProviderError> {
        match self {
            AwsTarget::AssumeRole {
                role_arn,
                external_id,
                session_name,
            } => {
                check_assume_role(
                    ctx,
                    name,
                    base,
                    role_arn,
                    external_id.as_deref(),
                    session_name,
                )
                .await?;
                let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn.as_str())
                    .configure(base)
                    .session_name(session_name.as_str());
                if let Some(id) = external_id {
                    builder = builder.external_id(id.as_str());
                }
                let region = base
                    .region()
                    .cloned()
                    .unwrap_or_else(|| aws_types::region::Region::new("us-east-1"));
                let provider = builder.region(region).build().await;
                Ok(base
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build())
            }
            AwsTarget::Profile(profile) => {
                let mut loader = env_loader().profile_name(profile.as_str());
                if let Some(url) = base.endpoint_url() {
                    loader = loader.endpoint_url(url);
                }
                let conf = loader.load().await;
                let provider = conf.credentials_provider().ok_or_else(|| {
                    ProviderError::permanent(format!(
                        "AWS provider configuration {name:?}: profile {profile:?} gives no credentials"
                    ))
                })?;
                provider.provide_credentials().await.map_err(|e| {
                    ProviderError::permanent(format!(
                        "AWS provider configuration {name:?}: no credentials from profile {profile:?}: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(&e)
                    ))
                    .with_hint("check the profile in ~/.aws/config (or AWS_CONFIG_FILE)")
                })?;
                Ok(conf)
            }
        }
    }
}

/// Calls STS AssumeRole once with `base`'s credentials, so a role that does
/// not trust the caller (or wants another external id) fails now with
/// STS's own answer, naming the role.
async fn check_assume_role(
    ctx: &OpContext,
    name: &str,
    base: &aws_config::SdkConfig,
    role_arn: &RoleArn,
    external_id: Option<&str>,
    session_name: &str,
) -> Result<(), ProviderError> {
    let sts = aws_sdk_sts::Client::new(base);
    let what = format!("AssumeRole {role_arn} (AWS provider configuration {name:?})");
    call(ctx, || async {
        sts.assume_role()
            .role_arn(role_arn.as_str())
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_string))
            .send()
            .await
            .map(drop)
            .aws(&what)
    })
    .await
    .map_err(|e| {
        ProviderError::from(e).with_hint(format!(
            "the trust policy of {role_arn} must allow the default credentials' account to \
             call sts:AssumeRole{}",
            if external_id.is_some() {
                " with this external id"
            } else {
                ""
            }
        ))
    })
}

/// The clients of each provider configuration, made on first use (the
/// role assumed once) and reused.
#[derive(Default)]
pub struct ConfiguredClients {
    by_config: tokio::sync::Mutex<HashMap<ProviderConfig, Arc<Clients>>>,
}

impl ConfiguredClients {
    /// The clients acting through `config`, over `default`'s configuration.
    pub async fn get(
        &self,
        ctx: &OpContext,
        config: &ProviderConfig,
        default: &Clients,
    ) -> Result<Arc<Clients>, ProviderError> {
        let mut by_config = self.by_config.lock().await;
        if let Some(clients) = by_config.get(config) {
            return Ok(clients.clone());
        }
        let target = AwsTarget::from_config(config)?;
        let conf = target
            .sdk_config(ctx, &config.name, default.base().await)
            .await?;
        let clients = Arc::new(Clients::with_config(conf));
        by_config.insert(config.clone(), clients.clone());
        Ok(clients)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(target: &str, settings: &[(&str, &str)]) -> ProviderConfig {
        ProviderConfig {
            name: "dns".into(),
            target: target.into(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn a_role_configuration_reads_its_arn_external_id_and_session_name() {
        let arn = "arn:aws:iam::111122223333:role/dns";
        let c = config(
            &format!("role:{arn}"),
            &[
                ("role_arn", arn),
                ("external_id", "ext-1"),
                ("session_name", "deploy"),
            ],
        );
        let AwsTarget::AssumeRole {
            role_arn,
            external_id,
            session_name,
        } = AwsTarget::from_config(&c).unwrap()
        else {
            panic!("a role")
        };
        assert_eq!(role_arn.account_id(), "111122223333");
        assert_eq!(external_id.as_deref(), Some("ext-1"));
        assert_eq!(session_name, "deploy");
    }

    #[test]
    fn bad_settings_are_refused_naming_the_configuration() {
        let e = AwsTarget::from_config(&config("role:x", &[("role_arn", "x")])).unwrap_err();
        assert!(e.message.contains("\"dns\""), "{e}");
        assert!(e.message.contains("not an IAM role ARN"), "{e}");
        let e = AwsTarget::from_config(&config("", &[])).unwrap_err();
        assert!(e.message.contains("either"), "{e}");
        let arn = "arn:aws:iam::111122223333:role/dns";
        let e = AwsTarget::from_config(&config("role:other", &[("role_arn", arn)])).unwrap_err();
        assert!(e.message.contains("does not match"), "{e}");
        let e = AwsTarget::from_config(&config(
            &format!("role:{arn}"),
            &[("role_arn", arn), ("session_name", "a b")],
        ))
        .unwrap_err();
        assert!(e.message.contains("session name"), "{e}");
    }

    #[test]
    fn a_profile_configuration_reads_its_name() {
        let c = config("profile:dns-admin", &[("profile", "dns-admin")]);
        assert_eq!(
            AwsTarget::from_config(&c).unwrap(),
            AwsTarget::Profile("dns-admin".into())
        );
    }
}
