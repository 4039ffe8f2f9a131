//! `aws:acm:Certificate`: a DNS-validated certificate in the resource's
//! region. A create requests it with the step's idempotency token (and tags
//! it with the token, so `read` finds an interrupted create), publishes its
//! validation records through [`super::validation`], and waits for ISSUED.

use super::validation::{RefOp, ValidationRecord, update_refs, validation_records};
use crate::aws::kit::{
    Clients, NotFoundExt, Policy, SdkResultExt, TOKEN_TAG, call_rate_limited, check_required_str,
    given_list, identity_sdk_tags, normalized_diff, opt_str, req_str, retry, transient_or_code,
    wait_for,
};
use crate::aws::route53::{bare_zone_id, check_dns_name, dns_name, in_zone, zone_name_of};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Tag, ValidationMethod};
use meridian_engine::{
    CheckFailure, Created, Diff, ErrorKind, OpContext, ProviderError, ReadRequest, ReadResult,
    UNKNOWN,
};
use meridian_schema::aws::acm::certificate::{input, output};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// How a delete waits for a certificate still in use (slower than
/// throttling: API Gateway lets go of it only minutes later).
const CERTIFICATE_IN_USE: Policy = Policy::BUSY.with_base(Duration::from_secs(5));

/// A certificate in the resource's region. Inputs: `domain_name`,
/// `subject_alternative_names` (optional), `validation_zone_id`. Outputs:
/// `arn`, `domain_name`, `status`, `validation_records` (list of
/// `{name, type, value}`, names without the trailing dot).
pub struct Certificate;

/// The region of a certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`).
pub(super) fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// ACM's IdempotencyToken for creating this declaration's certificate: 32
/// hex digits of the SHA-256 of the URN and the normalized inputs. Every
/// create of the same resource with the same inputs sends the same token,
/// so a create sent again by a later run, after a kill or a lost answer left
/// the first request unrecorded (and too new to be listed when the journal
/// was reconciled), gets the certificate the first one made (ACM honours a
/// token for an hour) rather than a second one. A replacement has other
/// inputs, hence another token and another certificate.
pub(super) fn request_token(urn: &str, inputs: &Value) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(urn.as_bytes());
    hasher.update(b"\n");
    hasher.update(normalized(inputs).to_string().as_bytes());
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// ACM's IdempotencyToken: at most 32 word characters.
pub(super) fn idempotency_token(token: &str) -> Option<String> {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    (!t.is_empty()).then_some(t)
}

fn cert_outputs(detail: &CertificateDetail, arn: &str) -> Value {
    let (records, _) = validation_records(detail);
    json!({
        output::ARN: arn,
        output::DOMAIN_NAME: detail.domain_name().map(dns_name),
        output::STATUS: detail.status().map(|s| s.as_str()),
        output::VALIDATION_RECORDS: records.iter().map(ValidationRecord::to_json).collect::<Vec<_>>(),
    })
}

async fn describe(
    aws: &Clients,
    arn: &str,
    fallback_region: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    let acm = aws.acm(arn_region(arn).unwrap_or(fallback_region)).await;
    let out = acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .aws(&format!("DescribeCertificate {arn}"))
        .found()?;
    Ok(out.and_then(|out| out.certificate().cloned()))
}

/// The domain names a certificate covers (domain first, then the SANs that
/// differ from it), normalized.
fn domains(inputs: &Value) -> Vec<String> {
    let mut all = Vec::new();
    if let Some(d) = opt_str(inputs, input::DOMAIN_NAME) {
        all.push(dns_name(d));
    }
    if let Some(Value::Array(sans)) = inputs.get(input::SUBJECT_ALTERNATIVE_NAMES) {
        for s in sans.iter().filter_map(Value::as_str) {
            let s = dns_name(s);
            if !all.contains(&s) {
                all.push(s);
            }
        }
    }
    all
}

fn check_domain(path: &str, v: &Value, out: &mut Vec<CheckFailure>) {
    match v {
        Value::String(s) if s == UNKNOWN => {}
        Value::String(s) => {
            if let Err(e) = check_dns_name(s, true) {
                out.push(CheckFailure::new(path, e));
            } else if !dns_name(s).contains('.') {
                out.push(CheckFailure::new(
                    path,
                    format!("{s:?} is not a fully qualified domain name"),
                ));
            }
        }
        _ => out.push(CheckFailure::new(path, "must be a string")),
    }
}

/// Inputs with names normalized and SANs as a sorted set, for diffing.
pub(super) fn normalized(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(o) = v.as_object_mut() {
        if let Some(Value::String(s)) = o.get_mut(input::DOMAIN_NAME)
            && s != UNKNOWN
        {
            *s = dns_name(s);
        }
        if let Some(Value::Array(sans)) = o.get_mut(input::SUBJECT_ALTERNATIVE_NAMES) {
            for item in sans.iter_mut() {
                if let Value::String(s) = item
                    && s != UNKNOWN
                {
                    *s = dns_name(s);
                }
            }
            sans.sort_by_key(|a| a.to_string());
            sans.dedup();
        }
        if o.get(input::SUBJECT_ALTERNATIVE_NAMES) == Some(&json!([])) {
            o.remove(input::SUBJECT_ALTERNATIVE_NAMES);
        }
    }
    v
}

async fn request(aws: &Clients, ctx: &OpContext, inputs: &Value) -> Result<String, ProviderError> {
    let domain = dns_name(req_str(inputs, input::DOMAIN_NAME)?);
    let sans: Vec<String> = domains(inputs);
    let tags = identity_sdk_tags(ctx, |k, v| Tag::builder().key(k).value(v).build())?;
    let acm = aws.acm(&ctx.region).await;
    let token = idempotency_token(&request_token(&ctx.urn, inputs));
    ctx.status(&format!("requesting a certificate for {domain}"));
    let what = format!("RequestCertificate {domain}");
    let out = call_rate_limited(aws, ctx, || async {
        let mut req = acm
            .request_certificate()
            .domain_name(&domain)
            .validation_method(ValidationMethod::Dns)
            .set_idempotency_token(token.clone())
            .set_tags(Some(tags.clone()));
        if sans.len() > 1 {
            req = req.set_subject_alternative_names(Some(sans.clone()));
        }
        req.send().await.aws(&what)
    })
    .await?;
    out.certificate_arn()
        .map(str::to_string)
        .ok_or_else(|| ProviderError::unknown(format!("{what} returned no ARN")))
}

async fn wait_for_records(
    aws: &Clients,
    ctx: &OpContext,
    arn: &str,
) -> Result<Vec<ValidationRecord>, ProviderError> {
    let first = aws.poll_interval(Duration::from_secs(2)).await;
    let max = first.max(Duration::from_secs(10).min(first * 5));
    wait_for(
        ctx,
        &format!("ACM to assign the DNS validation records of {arn}"),
        first,
        max,
        || async move {
            let detail = describe(aws, arn, &ctx.region).await?.ok_or_else(|| {
                ProviderError::permanent(format!("certificate {arn} disappeared"))
            })?;
            let (records, complete) = validation_records(&detail);
            Ok(complete.then_some(records))
        },
    )
    .await
}

async fn wait_issued(
    aws: &Clients,
    ctx: &OpContext,
    arn: &str,
    records: &[ValidationRecord],
    zone_id: &str,
) -> Result<CertificateDetail, ProviderError> {
    let (first, max) = aws
        .poll_intervals(Duration::from_secs(10), Duration::from_secs(30))
        .await;
    let waiting_on: Vec<String> = records.iter().map(ValidationRecord::describe).collect();
    let what = format!(
        "certificate {arn} to be ISSUED (ACM validates it through {} in zone {zone_id})",
        waiting_on.join(" and ")
    );
    wait_for(ctx, &what, first, max, || async move {
        let detail = describe(aws, arn, &ctx.region)
            .await?
            .ok_or_else(|| ProviderError::permanent(format!("certificate {arn} disappeared")))?;
        match detail.status() {
            Some(CertificateStatus::Issued) => Ok(Some(detail)),
            Some(CertificateStatus::PendingValidation) | None => Ok(None),
            Some(other) => Err(ProviderError::permanent(format!(
                "certificate {arn} is {}{}",
                other.as_str(),
                detail
                    .failure_reason()
                    .map(|r| format!(" ({})", r.as_str()))
                    .unwrap_or_default()
            ))),
        }
    })
    .await
    .map_err(|e| match e.kind {
        // Still PENDING_VALIDATION at the deadline: the records are in the
        // zone, so ACM cannot see them, and the usual cause is delegation.
        ErrorKind::Unknown => e.with_hint(not_delegated_hint(records, zone_id)),
        _ => e,
    })
}

/// What to check when ACM never sees the validation records.
fn not_delegated_hint(records: &[ValidationRecord], zone_id: &str) -> String {
    // `_token.api.example.com.` -> `api.example.com`
    let domain = records
        .first()
        .map(|r| {
            let name = r.name.trim_end_matches('.');
            name.split_once('.')
                .map_or(name, |(_, rest)| rest)
                .to_string()
        })
        .unwrap_or_else(|| "the domain".into());
    format!(
        "ACM reads the validation records through public DNS, so hosted zone {zone_id} must be \
         delegated: the parent zone needs an NS record for {domain} listing this zone's name \
         servers (`dig +short NS {domain}` must print them; for a domain you registered \
         elsewhere, set them at the registrar); once it does, run `up` again"
    )
}

/// Every name the certificate covers must be validated through the zone.
async fn check_zone_covers(
    aws: &Clients,
    inputs: &Value,
    zone_id: &str,
) -> Result<(), ProviderError> {
    let zone = zone_name_of(aws, zone_id).await?;
    let outside: Vec<String> = domains(inputs)
        .into_iter()
        .filter(|d| !in_zone(d.strip_prefix("*.").unwrap_or(d), &zone))
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::permanent(format!(
            "{} not in validation zone {zone} ({zone_id}); its validation record could not be written there",
            outside.join(", ")
        )))
    }
}

/// Validation records in place, then ISSUED: the part of create that is
/// safe to run again (update runs it to converge).
async fn validate(
    aws: &Clients,
    ctx: &OpContext,
    arn: &str,
    zone_id: &str,
) -> Result<CertificateDetail, ProviderError> {
    let records = wait_for_records(aws, ctx, arn).await?;
    for record in &records {
        update_refs(aws, ctx, zone_id, record, arn, RefOp::Add).await?;
    }
    wait_issued(aws, ctx, arn, &records, zone_id).await
}

/// Inputs as ACM holds them (the zone cannot be read back: kept as recorded).
pub(super) fn inputs_from_cloud(recorded: &Value, detail: &CertificateDetail) -> Value {
    let mut inputs = Map::new();
    let domain = detail.domain_name().map(dns_name).unwrap_or_default();
    inputs.insert(
        input::DOMAIN_NAME.into(),
        match opt_str(recorded, input::DOMAIN_NAME) {
            Some(r) if dns_name(r) == domain => json!(r),
            _ => json!(domain),
        },
    );
    let cloud_sans: BTreeSet<String> = detail
        .subject_alternative_names()
        .iter()
        .map(|s| dns_name(s))
        .filter(|s| *s != domain)
        .collect();
    let recorded_sans: Option<BTreeSet<String>> =
        match recorded.get(input::SUBJECT_ALTERNATIVE_NAMES) {
            Some(Value::Array(a)) => Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(dns_name)
                    .filter(|s| *s != domain)
                    .collect(),
            ),
            _ => None,
        };
    match recorded_sans {
        Some(r) if r == cloud_sans => {
            if let Some(v) = recorded.get(input::SUBJECT_ALTERNATIVE_NAMES) {
                inputs.insert(input::SUBJECT_ALTERNATIVE_NAMES.into(), v.clone());
            }
        }
        _ if cloud_sans.is_empty() => {}
        _ => {
            inputs.insert(input::SUBJECT_ALTERNATIVE_NAMES.into(), json!(cloud_sans));
        }
    }
    // A certificate still waiting for validation has not been validated
    // through the zone yet (a create interrupted before its records were
    // published, then adopted): leaving the zone out makes the next plan
    // update it, and the update publishes the records and waits for ISSUED.
    let pending = detail.status() == Some(&CertificateStatus::PendingValidation);
    if let Some(z) = recorded.get(input::VALIDATION_ZONE_ID).filter(|_| !pending) {
        inputs.insert(input::VALIDATION_ZONE_ID.into(), z.clone());
    }
    Value::Object(inputs)
}

/// A certificate of this region requested with this step's idempotency token.
async fn find_by_token(
    aws: &Clients,
    ctx: &OpContext,
    domain: &str,
) -> Result<Option<String>, ProviderError> {
    let acm = aws.acm(&ctx.region).await;
    let mut next: Option<String> = None;
    loop {
        let out = acm
            .list_certificates()
            .set_next_token(next.clone())
            .send()
            .await
            .aws("ListCertificates")?;
        for summary in out.certificate_summary_list() {
            let (Some(arn), Some(d)) = (summary.certificate_arn(), summary.domain_name()) else {
                continue;
            };
            if dns_name(d) != domain {
                continue;
            }
            let Some(tags) = acm
                .list_tags_for_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .aws(&format!("ListTagsForCertificate {arn}"))
                .found()?
            else {
                continue;
            };
            if tags
                .tags()
                .iter()
                .any(|t| t.key() == TOKEN_TAG && t.value() == Some(ctx.token.as_str()))
            {
                return Ok(Some(arn.to_string()));
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

#[async_trait]
impl ResourceType for Certificate {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        check_required_str(inputs, input::DOMAIN_NAME, &mut out);
        check_required_str(inputs, input::VALIDATION_ZONE_ID, &mut out);
        if let Some(d) = inputs.get(input::DOMAIN_NAME) {
            check_domain(input::DOMAIN_NAME, d, &mut out);
        }
        if let Some(items) = given_list(
            inputs,
            input::SUBJECT_ALTERNATIVE_NAMES,
            "must be a list of domain names",
            &mut out,
        ) {
            if items.len() > 100 {
                out.push(CheckFailure::new(
                    input::SUBJECT_ALTERNATIVE_NAMES,
                    "ACM allows at most 100 names per certificate",
                ));
            }
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let path = format!("subject_alternative_names.{i}");
                check_domain(&path, item, &mut out);
                if let Some(s) = item.as_str().filter(|s| *s != UNKNOWN)
                    && !seen.insert(dns_name(s))
                {
                    out.push(CheckFailure::new(&path, format!("duplicate name {s:?}")));
                }
            }
        }
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        let keys = [
            input::DOMAIN_NAME,
            input::SUBJECT_ALTERNATIVE_NAMES,
            input::VALIDATION_ZONE_ID,
        ];
        let mut diff = normalized_diff(old, new, normalized, &keys);
        // No zone recorded: the certificate was never validated (see
        // `inputs_from_cloud`); validating it is an update, not a new one.
        for c in &mut diff.changes {
            if c.path == input::VALIDATION_ZONE_ID && c.old.as_ref().is_none_or(Value::is_null) {
                c.forces_replacement = false;
            }
        }
        diff
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let zone_id = bare_zone_id(req_str(inputs, input::VALIDATION_ZONE_ID)?).to_string();
        check_zone_covers(aws, inputs, &zone_id).await?;
        let arn = request(aws, ctx, inputs).await?;
        let detail = validate(aws, ctx, &arn, &zone_id).await?;
        Ok(Created {
            outputs: cert_outputs(&detail, &arn),
            id: arn,
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let arn = match req.id {
            Some(id) => id.to_string(),
            None => {
                let domain = dns_name(req_str(req.inputs, input::DOMAIN_NAME)?);
                match find_by_token(aws, ctx, &domain).await? {
                    Some(arn) => arn,
                    None => return Ok(None),
                }
            }
        };
        let Some(detail) = describe(aws, &arn, &ctx.region).await? else {
            return Ok(None);
        };
        Ok(Some(ReadResult {
            inputs: Some(inputs_from_cloud(req.inputs, &detail)),
            outputs: cert_outputs(&detail, &arn),
            id: arn,
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        // Every input forces a replacement; an update only converges the
        // validation (records present, certificate ISSUED).
        let zone_id = bare_zone_id(req_str(new_inputs, input::VALIDATION_ZONE_ID)?).to_string();
        let detail = validate(aws, ctx, id, &zone_id).await?;
        Ok(cert_outputs(&detail, id))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let arn = req.id.to_string();
        let detail = describe(aws, &arn, &ctx.region).await?;
        let records: Vec<ValidationRecord> = match &detail {
            Some(d) => validation_records(d).0,
            None => match req.outputs.get(output::VALIDATION_RECORDS) {
                Some(Value::Array(a)) => a.iter().filter_map(ValidationRecord::from_json).collect(),
                _ => Vec::new(),
            },
        };
        if detail.is_some() {
            ctx.status(&format!("deleting certificate {arn}"));
            let acm = aws.acm(arn_region(&arn).unwrap_or(&ctx.region)).await;
            // Still attached (API Gateway releases certificates minutes
            // after its domain goes): wait it out.
            let policy = aws.tuned(CERTIFICATE_IN_USE).await;
            let what = format!("DeleteCertificate {arn}");
            let deleted = retry(
                ctx,
                &policy,
                transient_or_code(&["ResourceInUseException"]),
                || async {
                    acm.delete_certificate()
                        .certificate_arn(&arn)
                        .send()
                        .await
                        .aws(&what)
                },
            )
            .await
            .found();
            match deleted {
                Ok(_) => {}
                Err(e) if e.is_code("ResourceInUseException") => return Err(e.into_transient()),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(zone) = opt_str(req.inputs, input::VALIDATION_ZONE_ID) {
            let zone_id = bare_zone_id(zone).to_string();
            for record in &records {
                update_refs(aws, ctx, &zone_id, record, &arn, RefOp::Remove).await?;
            }
        }
        Ok(())
    }
}
