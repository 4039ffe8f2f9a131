//! The 12-digit id of the account the credentials belong to (execute-api
//! ARNs for Lambda permissions need it; AWS rejects `*` in their account
//! field), from STS `GetCallerIdentity`, which answers for every kind of
//! credentials: IAM users, assumed roles, SSO and other sessions.

use super::clients::Clients;
use super::error::SdkResultExt;
use meridian_engine::ProviderError;

/// The 12-digit id of the account `clients`' credentials act in: first
/// from the credentials themselves when they carry it (SSO, a profile's
/// `aws_account_id`, `AWS_ACCOUNT_ID`), else from STS `GetCallerIdentity`.
/// Asked once per set of clients.
pub async fn caller_account_id(clients: &Clients) -> Result<String, ProviderError> {
    clients
        .account_id
        .get_or_try_init(|| find_account_id(clients))
        .await
        .cloned()
}

async fn find_account_id(clients: &Clients) -> Result<String, ProviderError> {
    use aws_sdk_sts::config::ProvideCredentials;
    if let Some(provider) = clients.base().await.credentials_provider()
        && let Ok(creds) = provider.provide_credentials().await
        && let Some(account) = creds.account_id()
    {
        return Ok(account.as_str().to_string());
    }
    let out = clients
        .sts()
        .await
        .get_caller_identity()
        .send()
        .await
        .aws("finding the AWS account id (STS GetCallerIdentity)")?;
    out.account()
        .filter(|a| is_account_id(a))
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::permanent(format!(
                "STS GetCallerIdentity answered no 12-digit account id (account {:?})",
                out.account()
            ))
        })
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
