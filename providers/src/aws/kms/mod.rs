//! AWS KMS as a stack's secrets provider (`--secrets-provider
//! awskms://KEY_ID_OR_ALIAS?region=R`): the engine's
//! [`SecretsProvider`] over the SDK's `Encrypt` and `Decrypt`. Only the
//! stack's data key (a short text) goes to KMS, once per run; the secret
//! values themselves are encrypted locally with that key.

use crate::aws::kit::{Clients, SdkResultExt};
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use meridian_engine::secret::SecretsProvider;
use meridian_schema::Region;

/// The URL scheme.
pub const SCHEME: &str = "awskms";

/// A KMS key named by a provider URL.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsKey {
    /// A key id, key ARN, alias name (`alias/x`) or alias ARN.
    pub key: String,
    pub region: String,
}

/// Reads `awskms://KEY_ID_OR_ALIAS?region=R` (the region may be left out
/// when the key is an ARN, which names it).
pub fn parse_url(url: &str) -> Result<KmsKey, String> {
    let usage = "use awskms://KEY_ID_OR_ALIAS?region=REGION (e.g. awskms://alias/meridian?region=us-east-1)";
    let rest = url
        .strip_prefix("awskms://")
        .ok_or_else(|| format!("{url:?} is not an awskms:// URL; {usage}"))?;
    let (key, query) = rest.split_once('?').unwrap_or((rest, ""));
    if key.is_empty() {
        return Err(format!("{url:?} names no KMS key; {usage}"));
    }
    let mut region = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("region", r)) => region = Some(r.to_string()),
            _ => return Err(format!("{url:?}: unknown parameter {pair:?}; {usage}")),
        }
    }
    let from_arn = key
        .strip_prefix("arn:")
        .and_then(|a| a.split(':').nth(2))
        .map(str::to_string);
    let region = region
        .or(from_arn)
        .ok_or_else(|| format!("{url:?} names no region; {usage}"))?;
    Region::parse(&region).map_err(|e| format!("{url:?}: {e}"))?;
    Ok(KmsKey {
        key: key.to_string(),
        region,
    })
}

/// See the module docs. Credentials and endpoint come from the
/// environment, as for the `aws` provider.
pub struct KmsSecrets {
    clients: Clients,
}

impl KmsSecrets {
    pub fn from_env() -> Self {
        KmsSecrets {
            clients: Clients::from_env(),
        }
    }

    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        KmsSecrets {
            clients: Clients::with_config(config),
        }
    }

    async fn client(&self, region: &str) -> aws_sdk_kms::Client {
        let conf = aws_sdk_kms::config::Builder::from(self.clients.base().await)
            .region(aws_types::region::Region::new(region.to_string()))
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }

    pub async fn encrypt(&self, key: &KmsKey, plaintext: &str) -> Result<String, String> {
        let out = self
            .client(&key.region)
            .await
            .encrypt()
            .key_id(&key.key)
            .plaintext(Blob::new(plaintext.as_bytes()))
            .send()
            .await
            .aws(&format!("KMS Encrypt with {}", key.key))
            .map_err(|e| e.to_string())?;
        let blob = out
            .ciphertext_blob()
            .ok_or("KMS Encrypt returned no ciphertext")?;
        Ok(BASE64.encode(blob.as_ref()))
    }

    pub async fn decrypt(&self, key: &KmsKey, encrypted: &str) -> Result<String, String> {
        let blob = BASE64
            .decode(encrypted.trim())
            .map_err(|e| format!("the stack's encrypted_key is not base64 ({e})"))?;
        let out = self
            .client(&key.region)
            .await
            .decrypt()
            .key_id(&key.key)
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await
            .aws(&format!("KMS Decrypt with {}", key.key))
            .map_err(|e| e.to_string())?;
        let plain = out.plaintext().ok_or("KMS Decrypt returned no plaintext")?;
        String::from_utf8(plain.as_ref().to_vec())
            .map_err(|_| "KMS Decrypt returned a key that is not UTF-8".to_string())
    }

    /// Runs `f` to completion on a runtime of its own: the engine asks for
    /// the data key before its own runtime starts.
    fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> Result<T, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime for KMS: {e}"))?;
        Ok(rt.block_on(f))
    }
}

impl SecretsProvider for KmsSecrets {
    fn scheme(&self) -> &str {
        SCHEME
    }

    fn check(&self, url: &str) -> Result<(), String> {
        parse_url(url).map(|_| ())
    }

    fn encrypt_key(&self, url: &str, key: &str) -> Result<String, String> {
        let kms = parse_url(url)?;
        self.block_on(self.encrypt(&kms, key))?
    }

    fn decrypt_key(&self, url: &str, encrypted: &str) -> Result<String, String> {
        let kms = parse_url(url)?;
        self.block_on(self.decrypt(&kms, encrypted))?.map_err(|e| {
            format!(
                "cannot decrypt this stack's data key with {url}: {e}; nothing was read or written"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_key_and_a_region() {
        let k = parse_url("awskms://alias/meridian?region=eu-west-1").unwrap();
        assert_eq!(
            (k.key.as_str(), k.region.as_str()),
            ("alias/meridian", "eu-west-1")
        );
        let arn = "arn:aws:kms:us-east-2:111122223333:key/1234abcd";
        assert_eq!(
            parse_url(&format!("awskms://{arn}")).unwrap().region,
            "us-east-2"
        );
        for (bad, why) in [
            ("awskms://?region=us-east-1", "names no KMS key"),
            ("awskms://alias/x", "names no region"),
            ("awskms://alias/x?region=mars-1", "mars-1"),
            ("awskms://alias/x?zone=a", "unknown parameter"),
            ("kms://alias/x", "not an awskms:// URL"),
        ] {
            let e = parse_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
