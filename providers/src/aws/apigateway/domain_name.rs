//! `aws:apigateway:DomainName`: a REGIONAL custom domain (`api.example.com`)
//! with the region's ACM certificate. The user fixes the name, which is
//! unique per account and region; the URN tag tells whether an existing
//! domain is this resource's (adopted) or someone else's (a clear error).
//! Create waits for the certificate to be ISSUED, then for the domain to be
//! AVAILABLE.

use super::{
    apply_patch, check_one_of, delete, found, is_concurrent_modification, partition, patch,
    required, str_or, with_defaults,
};
use crate::aws::kit::{
    AwsError, Clients, Managed, NotFoundExt, Outcome, SdkResultExt, URN_TAG, check_given_str,
    create_or_adopt, given_str, identity_tags, req_str, wait_polling,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_acm::types::CertificateStatus;
use aws_sdk_apigateway::operation::create_domain_name::builders::CreateDomainNameFluentBuilder;
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
use aws_sdk_apigateway::types::{
    DomainNameStatus, EndpointConfiguration, EndpointType, Op, SecurityPolicy,
};
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Value, json};
use std::time::Duration;

use meridian_schema::aws::apigateway as schema;
pub use meridian_schema::aws::apigateway::domain_name::TYPE;
use meridian_schema::aws::apigateway::domain_name::{input, output};
/// EDGE domains take a us-east-1 certificate in another input and a
/// CloudFront distribution; only REGIONAL is modelled.
const ENDPOINT_TYPES: &[&str] = &[schema::EndpointType::Regional.as_str()];
const SECURITY_POLICIES: &[&str] = schema::SecurityPolicy::NAMES;
const REPLACE_KEYS: &[&str] = &[input::DOMAIN_NAME, input::ENDPOINT_TYPE];

/// Inputs: `domain_name`, `regional_certificate_arn` (an ACM certificate in
/// the domain's own region), `endpoint_type` (`REGIONAL`, the default and
/// only choice), `security_policy` (`TLS_1_2` default, or `TLS_1_0`).
/// Outputs: `domain_name`, `regional_domain_name` and
/// `regional_hosted_zone_id` (the Route 53 alias target), `regional_certificate_arn`,
/// `security_policy`, `arn`.
///
/// A new certificate or security policy is patched in place (the domain keeps
/// serving). A new domain name replaces it, creating the new domain before
/// deleting the old one (no gap); a replacement that keeps the name must
/// delete first, since the name is unique.
pub struct DomainName;

/// The defaults AWS applies to absent inputs (compared as if given).
const DEFAULTS: &[(&str, &str)] = &[
    (
        input::ENDPOINT_TYPE,
        schema::EndpointType::Regional.as_str(),
    ),
    (
        input::SECURITY_POLICY,
        schema::SecurityPolicy::Tls12.as_str(),
    ),
];

fn normalized(inputs: &Value) -> Value {
    with_defaults(inputs, DEFAULTS)
}

/// Why `name` is not a domain name API Gateway takes, if it is not.
fn domain_problem(name: &str) -> Option<String> {
    let host = name.strip_prefix("*.").unwrap_or(name);
    if name.len() > 253 {
        return Some("is longer than 253 characters".into());
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("must be lower case".into());
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Some("must be a fully qualified name such as api.example.com".into());
    }
    labels
        .iter()
        .find(|l| {
            l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(|l| format!("has an invalid label {l:?}"))
}

/// Why `arn` cannot be this domain's certificate, if it cannot.
fn certificate_problem(arn: &str, region: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6
        || parts[0] != "arn"
        || parts[2] != "acm"
        || !parts[5].starts_with("certificate/")
    {
        return Some(format!(
            "{arn:?} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
        ));
    }
    (parts[3] != region).then(|| {
        format!(
            "a REGIONAL custom domain needs a certificate in its own region ({region}); this one is in {}",
            parts[3]
        )
    })
}

fn outputs(region: &str, out: &GetDomainNameOutput) -> Value {
    let name = out.domain_name().unwrap_or_default();
    json!({
        output::DOMAIN_NAME: name,
        output::REGIONAL_DOMAIN_NAME: out.regional_domain_name(),
        output::REGIONAL_HOSTED_ZONE_ID: out.regional_hosted_zone_id(),
        output::REGIONAL_CERTIFICATE_ARN: out.regional_certificate_arn(),
        output::SECURITY_POLICY: out.security_policy().map(|p| p.as_str()),
        output::ARN: format!("arn:{}:apigateway:{region}::/domainnames/{name}", partition(region)),
    })
}

fn cloud_inputs(out: &GetDomainNameOutput) -> Value {
    json!({
        input::DOMAIN_NAME: out.domain_name(),
        input::REGIONAL_CERTIFICATE_ARN: out.regional_certificate_arn(),
        input::ENDPOINT_TYPE: out
            .endpoint_configuration()
            .and_then(|c| c.types().first())
            .map(|t| t.as_str()),
        input::SECURITY_POLICY: out.security_policy().map(|p| p.as_str()),
    })
}

async fn get(
    aws: &Clients,
    region: &str,
    name: &str,
) -> Result<Option<GetDomainNameOutput>, ProviderError> {
    let client = aws.apigateway(region).await;
    let sent = client.get_domain_name().domain_name(name).send().await;
    found(&format!("reading custom domain {name}"), sent)
}

/// Whether a certificate in `status` is ISSUED (`Ok(false)`: still
/// PENDING_VALIDATION); any other state is final and an error.
fn certificate_issued(
    arn: &str,
    status: Option<&CertificateStatus>,
    failure_reason: Option<&str>,
) -> Result<bool, ProviderError> {
    match status {
        Some(CertificateStatus::Issued) => Ok(true),
        Some(CertificateStatus::PendingValidation) | None => Ok(false),
        Some(other) => Err(ProviderError::permanent(format!(
            "certificate {arn} is {} ({}), so the custom domain cannot use it",
            other.as_str(),
            failure_reason.unwrap_or("no failure reason given"),
        ))
        .with_hint("request a new certificate and validate it")),
    }
}

/// Waits until the certificate is ISSUED; fails at once on a final state
/// that is not (FAILED, VALIDATION_TIMED_OUT, REVOKED, EXPIRED, INACTIVE).
/// ACM keeps trying to validate for up to 72 h, so the step's deadline
/// decides how long a PENDING_VALIDATION certificate is waited for.
pub(crate) async fn wait_certificate_issued(
    aws: &Clients,
    ctx: &OpContext,
    arn: &str,
) -> Result<(), ProviderError> {
    let acm = aws.acm(&ctx.region).await;
    let what = format!("certificate {arn} to be ISSUED");
    let intervals = (Duration::from_secs(10), Duration::from_secs(30));
    wait_polling(aws, ctx, &what, intervals, || async {
        let described = acm.describe_certificate().certificate_arn(arn).send().await;
        let Some(out) = described
            .aws(&format!("reading certificate {arn}"))
            .found()?
        else {
            return Err(ProviderError::permanent(format!(
                "certificate {arn} does not exist in {}",
                ctx.region
            ))
            .with_hint("a REGIONAL custom domain needs an ACM certificate in its own region"));
        };
        let cert = out.certificate();
        let issued = certificate_issued(
            arn,
            cert.and_then(|c| c.status()),
            cert.and_then(|c| c.failure_reason()).map(|r| r.as_str()),
        )?;
        Ok(issued.then_some(()))
    })
    .await
}

/// Whether a domain in `status` is ready (`Ok(false)`: still PENDING or
/// UPDATING). PENDING_CERTIFICATE_REIMPORT and PENDING_OWNERSHIP_VERIFICATION
/// need someone to act, and FAILED is final: errors.
fn domain_ready(
    name: &str,
    status: Option<&DomainNameStatus>,
    message: Option<&str>,
) -> Result<bool, ProviderError> {
    match status {
        None | Some(DomainNameStatus::Available) => Ok(true),
        Some(DomainNameStatus::Pending) | Some(DomainNameStatus::Updating) => Ok(false),
        Some(other) => Err(ProviderError::permanent(format!(
            "custom domain {name} is {}: {}",
            other.as_str(),
            message.unwrap_or("no message")
        ))
        .with_hint(match other {
            DomainNameStatus::PendingCertificateReimport => {
                "the certificate must be reimported into ACM before the domain can serve"
            }
            DomainNameStatus::PendingOwnershipVerification => {
                "the domain's ownership must be verified (ownership_verification_certificate_arn) before it can serve"
            }
            _ => "delete the domain and create it again",
        })),
    }
}

/// Whether the domain as read shows the certificate and security policy of
/// `wanted` (normalized inputs).
fn shows(out: &GetDomainNameOutput, wanted: &Value) -> bool {
    let cloud = cloud_inputs(out);
    [input::REGIONAL_CERTIFICATE_ARN, input::SECURITY_POLICY]
        .iter()
        .all(|k| cloud.get(*k) == wanted.get(*k))
}

/// Waits until the domain is AVAILABLE (see [`domain_ready`]) and, after an
/// update, shows the update (`wanted`, normalized inputs): right after
/// UpdateDomainName, AWS can still answer the old values with AVAILABLE.
async fn wait_available(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    wanted: Option<&Value>,
) -> Result<GetDomainNameOutput, ProviderError> {
    let what = match wanted {
        Some(_) => format!("custom domain {name} to show its update and be AVAILABLE"),
        None => format!("custom domain {name} to be AVAILABLE"),
    };
    let intervals = (Duration::from_secs(5), Duration::from_secs(15));
    wait_polling(aws, ctx, &what, intervals, || async move {
        let Some(out) = get(aws, &ctx.region, name).await? else {
            return Err(ProviderError::permanent(format!(
                "custom domain {name} disappeared while waiting for it to be AVAILABLE"
            )));
        };
        let available = domain_ready(
            name,
            out.domain_name_status(),
            out.domain_name_status_message(),
        )?;
        let updated = wanted.is_none_or(|w| shows(&out, w));
        Ok((available && updated).then_some(out))
    })
    .await
}

#[async_trait]
impl ResourceType for DomainName {
    fn check(&self, region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(
            inputs,
            &[input::DOMAIN_NAME, input::REGIONAL_CERTIFICATE_ARN],
        );
        check_one_of(inputs, input::ENDPOINT_TYPE, ENDPOINT_TYPES, &mut out);
        check_one_of(inputs, input::SECURITY_POLICY, SECURITY_POLICIES, &mut out);
        check_given_str(inputs, input::DOMAIN_NAME, domain_problem, &mut out);
        if let Some(arn) = given_str(inputs, input::REGIONAL_CERTIFICATE_ARN)
            && let Some(problem) = certificate_problem(arn, region)
        {
            out.push(CheckFailure::new(input::REGIONAL_CERTIFICATE_ARN, problem));
        }
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let (old, new) = (normalized(old_inputs), normalized(new_inputs));
        let mut diff = Diff::top_level(&old, &new, REPLACE_KEYS);
        let same_name = old.get(input::DOMAIN_NAME) == new.get(input::DOMAIN_NAME);
        diff.delete_before_replace = diff.replaces() && same_name;
        diff
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let inputs = normalized(inputs);
        let name = req_str(&inputs, input::DOMAIN_NAME)?;
        let certificate = req_str(&inputs, input::REGIONAL_CERTIFICATE_ARN)?;
        let policy = str_or(&inputs, input::SECURITY_POLICY, "TLS_1_2");
        wait_certificate_issued(aws, ctx, certificate).await?;
        let client = aws.apigateway(&ctx.region).await;
        let create = client
            .create_domain_name()
            .regional_certificate_arn(certificate)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .security_policy(SecurityPolicy::from(policy));
        let domains = Domains { aws, create };
        if let Outcome::Adopted(_) = create_or_adopt(ctx, &domains, name).await? {
            // Ours, from an interrupted create: bring its certificate and
            // policy in line.
            let req = UpdateRequest {
                id: name,
                old_inputs: &Value::Null,
                new_inputs: &inputs,
                old_outputs: &Value::Null,
            };
            let outputs = self.update(c, req).await?;
            return Ok(Created {
                id: name.to_string(),
                outputs,
            });
        }
        let out = wait_available(aws, ctx, name, None).await?;
        Ok(Created {
            id: name.to_string(),
            outputs: outputs(&ctx.region, &out),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let name = match req.id {
            Some(id) => id,
            None => req_str(req.inputs, input::DOMAIN_NAME)?,
        };
        let Some(out) = get(aws, &ctx.region, name).await? else {
            return Ok(None);
        };
        // Found by name only: it is this resource's only if it carries its URN.
        if req.id.is_none() && !crate::aws::kit::tags_are_ours(ctx, out.tags()) {
            return Ok(None);
        }
        Ok(Some(ReadResult {
            id: name.to_string(),
            inputs: Some(cloud_inputs(&out)),
            outputs: outputs(&ctx.region, &out),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let inputs = normalized(new_inputs);
        let current = get(aws, &ctx.region, id).await?.ok_or_else(|| {
            ProviderError::permanent(format!("custom domain {id} no longer exists"))
        })?;
        let mut ops = Vec::new();
        let certificate = req_str(&inputs, input::REGIONAL_CERTIFICATE_ARN)?;
        if current.regional_certificate_arn() != Some(certificate) {
            wait_certificate_issued(aws, ctx, certificate).await?;
            ops.push(patch(
                Op::Replace,
                "/regionalCertificateArn",
                Some(certificate),
            ));
        }
        let policy = str_or(&inputs, input::SECURITY_POLICY, "TLS_1_2");
        if current.security_policy().map(|p| p.as_str()) != Some(policy) {
            ops.push(patch(Op::Replace, "/securityPolicy", Some(policy)));
        }
        let client = aws.apigateway(&ctx.region).await;
        // UpdateDomainName is limited to 1 call per 30 s: retried.
        let what = format!("updating custom domain {id}");
        apply_patch(ctx, None, &what, ops, |ops| {
            let request = client.update_domain_name().domain_name(id);
            request.set_patch_operations(Some(ops)).send()
        })
        .await?;
        let out = wait_available(aws, ctx, id, Some(&inputs)).await?;
        Ok(outputs(&ctx.region, &out))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let client = aws.apigateway(&ctx.region).await;
        // DeleteDomainName is limited to 1 call per 30 s: retried.
        let what = format!("deleting custom domain {id}");
        delete(ctx, None, &what, || {
            client.delete_domain_name().domain_name(id).send()
        })
        .await
    }
}

/// What create-or-adopt needs about custom domains: the clients, and the
/// create request with everything but the name.
struct Domains<'a> {
    aws: &'a Clients,
    create: CreateDomainNameFluentBuilder,
}

#[async_trait]
impl Managed for Domains<'_> {
    type State = GetDomainNameOutput;

    const NOUN: &'static str = "custom domain";

    const REFUSE_HINT: &'static str = "a custom domain name is unique per account and region: delete the other one, or use another name";

    /// CreateDomainName is limited to 1 call per 30 s per account and
    /// region: TooManyRequests is retried until the deadline.
    fn retry_create(&self, e: &AwsError) -> bool {
        e.is_transient() || is_concurrent_modification(e)
    }

    /// AWS answers a taken name with `BadRequestException` "The domain name
    /// you provided already exists." (some endpoints, and the test cloud's
    /// lenient mode, with `ConflictException`): both mean taken.
    fn is_already_exists(&self, e: &AwsError) -> bool {
        domain_taken(e)
    }

    async fn create(&self, ctx: &OpContext, name: &str) -> Result<(), AwsError> {
        let mut request = self.create.clone().domain_name(name);
        for (k, v) in identity_tags(ctx) {
            request = request.tags(k, v);
        }
        let sent = request.send().await;
        sent.map(drop)
            .aws(&format!("creating custom domain {name}"))
    }

    async fn find(
        &self,
        ctx: &OpContext,
        name: &str,
    ) -> Result<Option<GetDomainNameOutput>, ProviderError> {
        get(self.aws, &ctx.region, name).await
    }

    fn urn_tag(&self, domain: &GetDomainNameOutput) -> Option<String> {
        domain.tags().and_then(|t| t.get(URN_TAG)).cloned()
    }
}

/// Whether CreateDomainName said the name is taken (see
/// [`Managed::is_already_exists`] on `Domains`).
fn domain_taken(e: &AwsError) -> bool {
    match e.code() {
        Some("ConflictException") => !is_concurrent_modification(e),
        Some("BadRequestException") => e.message.contains("already exists"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_in_place;
    use super::*;

    const CERT: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/0e1f";

    fn base() -> Value {
        json!({"domain_name": "api.example.com", "regional_certificate_arn": CERT})
    }

    #[test]
    fn the_certificate_must_be_acm_and_in_the_domains_region() {
        assert!(DomainName.check("eu-west-1", &base()).is_empty());
        let f = DomainName.check("sa-east-1", &base());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].reason.contains("its own region (sa-east-1)"),
            "{}",
            f[0].reason
        );
        let mut v = base();
        v["regional_certificate_arn"] = json!("arn:aws:iam::123456789012:server-certificate/x");
        assert!(
            DomainName.check("eu-west-1", &v)[0]
                .reason
                .contains("not an ACM certificate")
        );
    }

    #[test]
    fn a_domain_waiting_for_someone_to_act_fails_instead_of_waiting() {
        assert_eq!(
            domain_ready("d", Some(&DomainNameStatus::Pending), None),
            Ok(false)
        );
        assert_eq!(
            domain_ready("d", Some(&DomainNameStatus::Updating), None),
            Ok(false)
        );
        assert_eq!(
            domain_ready("d", Some(&DomainNameStatus::Available), None),
            Ok(true)
        );
        for stuck in [
            DomainNameStatus::PendingCertificateReimport,
            DomainNameStatus::PendingOwnershipVerification,
            DomainNameStatus::Failed,
        ] {
            let e = domain_ready("api.example.com", Some(&stuck), Some("why")).expect_err("stuck");
            assert!(
                e.message.contains(stuck.as_str()) && e.message.contains("why"),
                "{e}"
            );
            assert!(e.hint.is_some());
        }
    }

    #[test]
    fn only_an_issued_certificate_ends_the_wait_and_a_dead_one_fails_it() {
        assert_eq!(
            certificate_issued(CERT, Some(&CertificateStatus::Issued), None),
            Ok(true)
        );
        assert_eq!(
            certificate_issued(CERT, Some(&CertificateStatus::PendingValidation), None),
            Ok(false)
        );
        let e = certificate_issued(
            CERT,
            Some(&CertificateStatus::ValidationTimedOut),
            Some("CAA_ERROR"),
        )
        .expect_err("dead");
        assert!(
            e.message.contains("VALIDATION_TIMED_OUT (CAA_ERROR)"),
            "{e}"
        );
    }

    #[test]
    fn domain_names_are_checked() {
        for bad in [
            "API.example.com",
            "localhost",
            "a..example.com",
            "-a.example.com",
        ] {
            assert!(domain_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(domain_problem("*.api.example.com"), None);
        let mut v = base();
        v["endpoint_type"] = json!("EDGE");
        assert_eq!(
            DomainName.check("eu-west-1", &v)[0].property,
            "endpoint_type"
        );
    }

    #[test]
    fn a_new_certificate_is_an_update_and_a_new_name_a_replacement() {
        let mut new = base();
        new["regional_certificate_arn"] = json!(CERT.replace("0e1f", "9a8b"));
        assert_in_place(&DomainName, &base(), &new, 1);
        let mut renamed = base();
        renamed["domain_name"] = json!("api2.example.com");
        let d = DomainName.diff(&base(), &renamed);
        assert!(d.replaces());
        // A new name does not collide with the old one: create it first.
        assert!(!d.delete_before_replace);
        let defaults = json!({"domain_name": "api.example.com", "regional_certificate_arn": CERT, "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"});
        assert!(DomainName.diff(&base(), &defaults).changes.is_empty());
    }
}
