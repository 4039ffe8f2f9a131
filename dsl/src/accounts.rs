//! Several accounts: the resource option that manages a resource through a
//! provider configuration (another account or role) instead of the stack's
//! default. Build the configuration with the provider's module
//! ([`crate::aws::provider`]); give it to the whole stack with
//! [`Stack::default_provider`](crate::Stack::default_provider).

use crate::{Options, ProviderConfig};

/// The `.provider(...)` option of every builder.
///
/// ```
/// use meridian_dsl::{Stack, WithProvider, aws::provider, aws::route53::HostedZone};
/// use meridian_dsl::schema::aws::accounts::RoleArn;
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let arn = RoleArn::parse("arn:aws:iam::111122223333:role/dns").unwrap();
/// let dns = provider::assume_role("dns", &arn).external_id("ext-42");
/// HostedZone::new("zone", "example.com").provider(&dns).declare(&mut stack);
/// let decl = &stack.resources()[0];
/// assert_eq!(decl.options.provider.as_ref().unwrap().target, format!("role:{arn}"));
/// ```
pub trait WithProvider: Options {
    /// Manage the resource through `config` (its account, its role): a
    /// change of account later replaces the resource.
    fn provider(mut self, config: impl Into<ProviderConfig>) -> Self {
        self.common().options.provider = Some(config.into());
        self
    }

    /// [`provider`](Self::provider) when `config` is given (an optional
    /// setting, say); else the stack's default.
    fn provider_opt<C>(self, config: Option<C>) -> Self
    where
        C: Into<ProviderConfig>,
    {
        match config {
            Some(config) => self.provider(config),
            None => self,
        }
    }
}

impl<B: Options> WithProvider for B {}
