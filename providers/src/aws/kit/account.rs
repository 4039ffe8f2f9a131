//! The 12-digit id of the account the credentials belong to (execute-api
//! ARNs for Lambda permissions need it; AWS rejects `*` in their account
//! field).

use super::clients::Clients;
use super::error::SdkResultExt;
use meridian_engine::ProviderError;

/// The 12-digit id of the account the credentials belong to, found without
/// STS (not a dependency): first from the credentials themselves (SSO,
/// assumed roles, web identity, `AWS_ACCOUNT_ID`, a profile's
/// `aws_account_id`), else from the user ARN of IAM `GetUser` (IAM users,
/// root, and the local test cloud).
pub async fn caller_account_id(clients: &Clients) -> Result<String, ProviderError> {
    use aws_sdk_iam::config::ProvideCredentials;
    if let Some(provider) = clients.base().await.credentials_provider()
        && let Ok(creds) = provider.provide_credentials().await
        && let Some(account) = creds.account_id()
    {
        return Ok(account.as_str().to_string());
    }
    let hint = "Meridian could not tell which AWS account the credentials belong to; set \
                AWS_ACCOUNT_ID (or `aws_account_id` in the profile) to the 12-digit account id";
    let out = clients
        .iam()
        .await
        .get_user()
        .send()
        .await
        .aws("finding the AWS account id (IAM GetUser)")
        .map_err(|e| ProviderError::from(e).with_hint(hint))?;
    out.user()
        .and_then(|u| u.arn().split(':').nth(4))
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::permanent("IAM GetUser returned no user ARN with an account id")
                .with_hint(hint)
        })
}
