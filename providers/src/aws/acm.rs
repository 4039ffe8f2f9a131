//! ACM certificates with DNS validation (`aws:acm:Certificate`), one per
//! region. The same domain yields the same validation CNAME in every region,
//! so certificates share it: a TXT record `_meridian-refs.<cname name>` next
//! to the CNAME lists the ARNs of the certificates using it, and is changed
//! only by exact-match DELETE + CREATE batches, so concurrent writers never
//! lose an update and the CNAME goes only when its last user goes.

use super::ResourceType;
use super::common::{
    Clients, TOKEN_TAG, check_required_str, error_code, identity_tags, opt_str, req_str, sdk_error,
    wait_for,
};
use super::route53::{
    BatchOutcome, PREEXISTING_REF, change, conflict_pause, dns_name, find_record_set, in_zone,
    refs_record_name, simple_record_set, submit_batch, txt_values, wait_insync, zone_name_of,
};
use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Tag, ValidationMethod};
use aws_sdk_route53::types::{ChangeAction, ResourceRecordSet};
use meridian_engine::{
    CheckFailure, Created, DefaultTimeouts, Diff, ErrorKind, OpContext, ProviderError, ReadRequest,
    ReadResult, TypeInfo, UNKNOWN, retry_transient,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub const CERTIFICATE: &str = "aws:acm:Certificate";

/// TTL of the validation CNAME and its reference TXT.
const VALIDATION_TTL: i64 = 300;

/// A certificate in the resource's region. Inputs: `domain_name`,
/// `subject_alternative_names` (optional), `validation_zone_id`. Outputs:
/// `arn`, `domain_name`, `status`, `validation_records` (list of
/// `{name, type, value}`, names without the trailing dot).
pub struct Certificate;

/// One DNS-validation record ACM asks for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValidationRecord {
    pub name: String,
    pub rtype: String,
    pub value: String,
}

impl ValidationRecord {
    fn to_json(&self) -> Value {
        json!({"name": self.name, "type": self.rtype, "value": self.value})
    }

    fn from_json(v: &Value) -> Option<ValidationRecord> {
        Some(ValidationRecord {
            name: dns_name(opt_str(v, "name")?),
            rtype: opt_str(v, "type").unwrap_or("CNAME").to_string(),
            value: dns_name(opt_str(v, "value")?),
        })
    }

    fn describe(&self) -> String {
        format!("{} {} {}", self.name, self.rtype, self.value)
    }
}

/// The region of a certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// ACM's IdempotencyToken: at most 32 word characters.
fn idempotency_token(token: &str) -> Option<String> {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// The distinct validation records of a certificate (a wildcard shares the
/// record of its base name), and whether ACM has assigned all of them yet.
fn validation_records(detail: &CertificateDetail) -> (Vec<ValidationRecord>, bool) {
    let mut records = BTreeSet::new();
    let mut complete = !detail.domain_validation_options().is_empty();
    for option in detail.domain_validation_options() {
        if option
            .validation_method()
            .is_some_and(|m| *m != ValidationMethod::Dns)
        {
            continue;
        }
        match option.resource_record() {
            Some(r) => {
                records.insert(ValidationRecord {
                    name: dns_name(r.name()),
                    rtype: r.r#type().as_str().to_string(),
                    value: dns_name(r.value()),
                });
            }
            None => complete = false,
        }
    }
    (records.into_iter().collect(), complete)
}

fn cert_outputs(detail: &CertificateDetail, arn: &str) -> Value {
    let (records, _) = validation_records(detail);
    json!({
        "arn": arn,
        "domain_name": detail.domain_name().map(dns_name),
        "status": detail.status().map(|s| s.as_str()),
        "validation_records": records.iter().map(ValidationRecord::to_json).collect::<Vec<_>>(),
    })
}

async fn describe(
    aws: &Clients,
    arn: &str,
    fallback_region: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    let acm = aws.acm(arn_region(arn).unwrap_or(fallback_region)).await;
    match acm.describe_certificate().certificate_arn(arn).send().await {
        Ok(out) => Ok(out.certificate().cloned()),
        Err(e) if error_code(&e).as_deref() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(sdk_error(&format!("DescribeCertificate {arn}"), e)),
    }
}

/// The domain names a certificate covers (domain first, then the SANs that
/// differ from it), normalized.
fn domains(inputs: &Value) -> Vec<String> {
    let mut all = Vec::new();
    if let Some(d) = opt_str(inputs, "domain_name") {
        all.push(dns_name(d));
    }
    if let Some(Value::Array(sans)) = inputs.get("subject_alternative_names") {
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
            if let Err(e) = super::route53::check_dns_name(s, true) {
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
fn normalized(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(o) = v.as_object_mut() {
        if let Some(Value::String(s)) = o.get_mut("domain_name")
            && s != UNKNOWN
        {
            *s = dns_name(s);
        }
        if let Some(Value::Array(sans)) = o.get_mut("subject_alternative_names") {
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
        if o.get("subject_alternative_names") == Some(&json!([])) {
            o.remove("subject_alternative_names");
        }
    }
    v
}

// ---------------------------------------------------------------------------
// The shared validation records and their reference sets

#[derive(Clone, Copy, Debug, PartialEq)]
enum RefOp {
    Add,
    Remove,
}

fn quoted(values: &BTreeSet<String>) -> Vec<String> {
    values.iter().map(|v| format!("\"{v}\"")).collect()
}

/// The change batch that applies `op` for `arn` to one validation record,
/// given what Route 53 holds now; `None` when nothing needs to change.
/// `dead` are ARNs in the set whose certificates no longer exist (dropped
/// on the way). The CNAME is created with the first reference and deleted
/// with the last, unless it existed before Meridian used it.
fn plan_refs(
    op: RefOp,
    arn: &str,
    record: &ValidationRecord,
    cname: Option<&ResourceRecordSet>,
    refs: Option<&ResourceRecordSet>,
    dead: &BTreeSet<String>,
) -> Result<Option<Vec<aws_sdk_route53::types::Change>>, ProviderError> {
    let current: BTreeSet<String> = refs
        .map(txt_values)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let refs_name = refs_record_name(&record.name);
    let mut next = current.clone();
    let mut changes = Vec::new();
    match op {
        RefOp::Add => {
            if let Some(c) = cname {
                let values: Vec<String> = c
                    .resource_records()
                    .iter()
                    .map(|r| dns_name(r.value()))
                    .collect();
                if !values.contains(&record.value) {
                    return Err(ProviderError::permanent(format!(
                        "validation record {} exists with value {} but ACM asks for {}",
                        record.name,
                        values.join(", "),
                        record.value
                    ))
                    .with_hint("that CNAME is not Meridian's; fix or delete it and run again"));
                }
                if refs.is_none() {
                    // Someone else made this CNAME: use it, never delete it.
                    next.insert(PREEXISTING_REF.to_string());
                }
            }
            next.insert(arn.to_string());
            if next == current && cname.is_some() {
                return Ok(None);
            }
            if let Some(r) = refs {
                changes.push(change(ChangeAction::Delete, r.clone())?);
            }
            changes.push(change(
                ChangeAction::Create,
                simple_record_set(&refs_name, "TXT", VALIDATION_TTL, &quoted(&next))?,
            )?);
            if cname.is_none() {
                changes.push(change(
                    ChangeAction::Create,
                    simple_record_set(
                        &record.name,
                        &record.rtype,
                        VALIDATION_TTL,
                        std::slice::from_ref(&record.value),
                    )?,
                )?);
            }
        }
        RefOp::Remove => {
            next.remove(arn);
            next.retain(|v| !dead.contains(v));
            if next == current {
                return Ok(None);
            }
            if let Some(r) = refs {
                changes.push(change(ChangeAction::Delete, r.clone())?);
            }
            let still_used = next.iter().any(|v| v != PREEXISTING_REF);
            if still_used {
                changes.push(change(
                    ChangeAction::Create,
                    simple_record_set(&refs_name, "TXT", VALIDATION_TTL, &quoted(&next))?,
                )?);
            } else if !next.contains(PREEXISTING_REF)
                && let Some(c) = cname
            {
                changes.push(change(ChangeAction::Delete, c.clone())?);
            }
        }
    }
    Ok(Some(changes))
}

/// True if the certificate `arn` is known to be gone (not merely unreadable).
async fn certificate_gone(aws: &Clients, arn: &str) -> bool {
    let Some(region) = arn_region(arn) else {
        return false;
    };
    if !arn.starts_with("arn:") {
        return false;
    }
    let acm = aws.acm(region).await;
    match acm.describe_certificate().certificate_arn(arn).send().await {
        Ok(_) => false,
        Err(e) => error_code(&e).as_deref() == Some("ResourceNotFoundException"),
    }
}

/// Adds `arn` to (or removes it from) the reference set of `record` in
/// `zone_id`, creating or deleting the CNAME with the set, and waits until
/// the change is INSYNC. A rejected batch means another certificate changed
/// the set first: re-read and try again until the step's deadline.
async fn update_refs(
    aws: &Clients,
    ctx: &OpContext,
    zone_id: &str,
    record: &ValidationRecord,
    arn: &str,
    op: RefOp,
) -> Result<(), ProviderError> {
    let r53 = aws.route53().await;
    let refs_name = refs_record_name(&record.name);
    let mut alive: BTreeMap<String, bool> = BTreeMap::new();
    let mut attempts = 0u32;
    loop {
        let cname = find_record_set(&r53, zone_id, &record.name, &record.rtype, None).await?;
        let refs = find_record_set(&r53, zone_id, &refs_name, "TXT", None).await?;
        let mut dead = BTreeSet::new();
        if op == RefOp::Remove {
            for other in refs.as_ref().map(txt_values).unwrap_or_default() {
                if other == arn || other == PREEXISTING_REF {
                    continue;
                }
                let is_alive = match alive.get(&other) {
                    Some(a) => *a,
                    None => {
                        let a = !certificate_gone(aws, &other).await;
                        alive.insert(other.clone(), a);
                        a
                    }
                };
                if !is_alive {
                    dead.insert(other);
                }
            }
        }
        let Some(changes) = plan_refs(op, arn, record, cname.as_ref(), refs.as_ref(), &dead)?
        else {
            return Ok(());
        };
        ctx.status(&match op {
            RefOp::Add => format!("writing validation record {}", record.name),
            RefOp::Remove => format!("releasing validation record {}", record.name),
        });
        match submit_batch(aws, ctx, zone_id, changes).await? {
            BatchOutcome::Submitted(change_id) => {
                return wait_insync(
                    aws,
                    ctx,
                    &change_id,
                    &format!("validation record {}", record.name),
                )
                .await;
            }
            BatchOutcome::Rejected(msg) => {
                attempts += 1;
                if ctx.remaining().is_zero() || attempts >= 60 {
                    return Err(ProviderError::transient(format!(
                        "validation record {} kept changing under Meridian ({attempts} attempts); \
                         last rejection: {msg}",
                        record.name
                    )));
                }
                conflict_pause(aws).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The steps of a create

async fn request(aws: &Clients, ctx: &OpContext, inputs: &Value) -> Result<String, ProviderError> {
    let domain = dns_name(req_str(inputs, "domain_name")?);
    let sans: Vec<String> = domains(inputs);
    let mut tags = Vec::new();
    for (k, v) in identity_tags(ctx) {
        tags.push(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::permanent(format!("building a tag: {e}")))?,
        );
    }
    let acm = aws.acm(&ctx.region).await;
    let token = idempotency_token(&ctx.token);
    ctx.status(&format!("requesting a certificate for {domain}"));
    let first = aws.poll_interval(Duration::from_secs(1)).await;
    retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
        let (acm, domain, sans, tags, token) = (
            acm.clone(),
            domain.clone(),
            sans.clone(),
            tags.clone(),
            token.clone(),
        );
        async move {
            let mut req = acm
                .request_certificate()
                .domain_name(&domain)
                .validation_method(ValidationMethod::Dns)
                .set_idempotency_token(token)
                .set_tags(Some(tags));
            if sans.len() > 1 {
                req = req.set_subject_alternative_names(Some(sans));
            }
            let out = req
                .send()
                .await
                .map_err(|e| sdk_error(&format!("RequestCertificate {domain}"), e))?;
            out.certificate_arn().map(str::to_string).ok_or_else(|| {
                ProviderError::unknown(format!("RequestCertificate {domain} returned no ARN"))
            })
        }
    })
    .await
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
    let first = aws.poll_interval(Duration::from_secs(10)).await;
    let max = if first < Duration::from_secs(1) {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(30)
    };
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
fn inputs_from_cloud(recorded: &Value, detail: &CertificateDetail) -> Value {
    let mut inputs = Map::new();
    let domain = detail.domain_name().map(dns_name).unwrap_or_default();
    inputs.insert(
        "domain_name".into(),
        match opt_str(recorded, "domain_name") {
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
    let recorded_sans: Option<BTreeSet<String>> = match recorded.get("subject_alternative_names") {
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
            if let Some(v) = recorded.get("subject_alternative_names") {
                inputs.insert("subject_alternative_names".into(), v.clone());
            }
        }
        _ if cloud_sans.is_empty() => {}
        _ => {
            inputs.insert("subject_alternative_names".into(), json!(cloud_sans));
        }
    }
    // A certificate still waiting for validation has not been validated
    // through the zone yet (a create interrupted before its records were
    // published, then adopted): leaving the zone out makes the next plan
    // update it, and the update publishes the records and waits for ISSUED.
    let pending = detail.status() == Some(&CertificateStatus::PendingValidation);
    if let Some(z) = recorded.get("validation_zone_id").filter(|_| !pending) {
        inputs.insert("validation_zone_id".into(), z.clone());
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
            .map_err(|e| sdk_error("ListCertificates", e))?;
        for summary in out.certificate_summary_list() {
            let (Some(arn), Some(d)) = (summary.certificate_arn(), summary.domain_name()) else {
                continue;
            };
            if dns_name(d) != domain {
                continue;
            }
            let tags = match acm
                .list_tags_for_certificate()
                .certificate_arn(arn)
                .send()
                .await
            {
                Ok(t) => t,
                Err(e) if error_code(&e).as_deref() == Some("ResourceNotFoundException") => {
                    continue;
                }
                Err(e) => return Err(sdk_error(&format!("ListTagsForCertificate {arn}"), e)),
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
    fn info(&self) -> TypeInfo {
        TypeInfo {
            timeouts: DefaultTimeouts {
                // ACM can take over an hour to validate (Terraform allows 75 min).
                create: Duration::from_secs(75 * 60),
                update: Duration::from_secs(75 * 60),
                // A certificate an API Gateway domain just released can stay
                // "in use" for 15+ minutes.
                delete: Duration::from_secs(30 * 60),
            },
            ..TypeInfo::resource(CERTIFICATE)
        }
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        check_required_str(inputs, "domain_name", &mut out);
        check_required_str(inputs, "validation_zone_id", &mut out);
        if let Some(d) = inputs.get("domain_name") {
            check_domain("domain_name", d, &mut out);
        }
        match inputs.get("subject_alternative_names") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s == UNKNOWN => {}
            Some(Value::Array(items)) => {
                if items.len() > 100 {
                    out.push(CheckFailure::new(
                        "subject_alternative_names",
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
            Some(_) => out.push(CheckFailure::new(
                "subject_alternative_names",
                "must be a list of domain names",
            )),
        }
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        let mut diff = Diff::top_level(
            &normalized(old),
            &normalized(new),
            &[
                "domain_name",
                "subject_alternative_names",
                "validation_zone_id",
            ],
        );
        // No zone recorded: the certificate was never validated (see
        // `inputs_from_cloud`); validating it is an update, not a new one.
        for c in &mut diff.changes {
            if c.path == "validation_zone_id" && c.old.as_ref().is_none_or(Value::is_null) {
                c.forces_replacement = false;
            }
        }
        diff
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let zone_id =
            super::route53::bare_zone_id(req_str(inputs, "validation_zone_id")?).to_string();
        check_zone_covers(aws, inputs, &zone_id).await?;
        let arn = request(aws, ctx, inputs).await?;
        let detail = validate(aws, ctx, &arn, &zone_id).await?;
        Ok(Created {
            outputs: cert_outputs(&detail, &arn),
            id: arn,
        })
    }

    async fn read(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let arn = match req.id {
            Some(id) => id.to_string(),
            None => {
                let domain = dns_name(req_str(req.inputs, "domain_name")?);
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

    async fn update(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _old_inputs: &Value,
        new_inputs: &Value,
        _old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        // Every input forces a replacement; an update only converges the
        // validation (records present, certificate ISSUED).
        let zone_id =
            super::route53::bare_zone_id(req_str(new_inputs, "validation_zone_id")?).to_string();
        let detail = validate(aws, ctx, id, &zone_id).await?;
        Ok(cert_outputs(&detail, id))
    }

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) -> Result<(), ProviderError> {
        let arn = id.to_string();
        let detail = describe(aws, &arn, &ctx.region).await?;
        let records: Vec<ValidationRecord> = match &detail {
            Some(d) => validation_records(d).0,
            None => match outputs.get("validation_records") {
                Some(Value::Array(a)) => a.iter().filter_map(ValidationRecord::from_json).collect(),
                _ => Vec::new(),
            },
        };
        if detail.is_some() {
            ctx.status(&format!("deleting certificate {arn}"));
            let acm = aws.acm(arn_region(&arn).unwrap_or(&ctx.region)).await;
            let first = aws.poll_interval(Duration::from_secs(5)).await;
            retry_transient(ctx.deadline, first, Duration::from_secs(30), || {
                let (acm, arn) = (acm.clone(), arn.clone());
                async move {
                    match acm.delete_certificate().certificate_arn(&arn).send().await {
                        Ok(_) => Ok(()),
                        Err(e)
                            if error_code(&e).as_deref() == Some("ResourceNotFoundException") =>
                        {
                            Ok(())
                        }
                        // Still attached (API Gateway releases certificates
                        // minutes after its domain goes): wait it out.
                        Err(e) if error_code(&e).as_deref() == Some("ResourceInUseException") => {
                            let mut err = sdk_error(&format!("DeleteCertificate {arn}"), e);
                            err.kind = meridian_engine::ErrorKind::Transient;
                            Err(err)
                        }
                        Err(e) => Err(sdk_error(&format!("DeleteCertificate {arn}"), e)),
                    }
                }
            })
            .await?;
        }
        if let Some(zone) = opt_str(inputs, "validation_zone_id") {
            let zone_id = super::route53::bare_zone_id(zone).to_string();
            for record in &records {
                update_refs(aws, ctx, &zone_id, record, &arn, RefOp::Remove).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::types::{ResourceRecord, RrType};

    fn record() -> ValidationRecord {
        ValidationRecord {
            name: "_abc.api.example.com".into(),
            rtype: "CNAME".into(),
            value: "_def.acm-validations.aws".into(),
        }
    }

    fn rrset(name: &str, rtype: RrType, values: &[&str]) -> ResourceRecordSet {
        let mut b = ResourceRecordSet::builder()
            .name(name)
            .r#type(rtype)
            .ttl(300);
        for v in values {
            b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
        }
        b.build().expect("record set")
    }

    fn summary(changes: &[aws_sdk_route53::types::Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| {
                let rs = c.resource_record_set().expect("record set");
                let values: Vec<&str> = rs.resource_records().iter().map(|r| r.value()).collect();
                format!(
                    "{} {} {} {}",
                    c.action().as_str(),
                    rs.name(),
                    rs.r#type().as_str(),
                    values.join(",")
                )
            })
            .collect()
    }

    const A: &str = "arn:aws:acm:us-east-1:1:certificate/a";
    const B: &str = "arn:aws:acm:eu-west-1:1:certificate/b";

    #[test]
    fn first_user_creates_the_cname_and_the_set_together() {
        let plan = plan_refs(RefOp::Add, A, &record(), None, None, &BTreeSet::new())
            .expect("plan")
            .expect("changes");
        assert_eq!(
            summary(&plan),
            vec![
                format!("CREATE _meridian-refs._abc.api.example.com TXT \"{A}\""),
                "CREATE _abc.api.example.com CNAME _def.acm-validations.aws".to_string(),
            ]
        );
    }

    #[test]
    fn second_user_replaces_the_set_with_an_exact_delete() {
        let cname = rrset(
            "_abc.api.example.com.",
            RrType::Cname,
            &["_def.acm-validations.aws."],
        );
        let refs = rrset(
            "_meridian-refs._abc.api.example.com.",
            RrType::Txt,
            &[&format!("\"{A}\"")],
        );
        let plan = plan_refs(
            RefOp::Add,
            B,
            &record(),
            Some(&cname),
            Some(&refs),
            &BTreeSet::new(),
        )
        .expect("plan")
        .expect("changes");
        assert_eq!(
            summary(&plan),
            vec![
                format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{A}\""),
                format!("CREATE _meridian-refs._abc.api.example.com TXT \"{B}\",\"{A}\""),
            ]
        );
        // Already listed: nothing to do.
        let both = rrset(
            "_meridian-refs._abc.api.example.com.",
            RrType::Txt,
            &[&format!("\"{A}\""), &format!("\"{B}\"")],
        );
        assert!(
            plan_refs(
                RefOp::Add,
                B,
                &record(),
                Some(&cname),
                Some(&both),
                &BTreeSet::new()
            )
            .expect("plan")
            .is_none()
        );
    }

    #[test]
    fn the_cname_goes_only_with_its_last_user() {
        let cname = rrset(
            "_abc.api.example.com.",
            RrType::Cname,
            &["_def.acm-validations.aws."],
        );
        let both = rrset(
            "_meridian-refs._abc.api.example.com.",
            RrType::Txt,
            &[&format!("\"{A}\""), &format!("\"{B}\"")],
        );
        let plan = plan_refs(
            RefOp::Remove,
            A,
            &record(),
            Some(&cname),
            Some(&both),
            &BTreeSet::new(),
        )
        .expect("plan")
        .expect("changes");
        assert_eq!(plan.len(), 2);
        assert!(summary(&plan)[1].starts_with("CREATE _meridian-refs"));
        let only_b = rrset(
            "_meridian-refs._abc.api.example.com.",
            RrType::Txt,
            &[&format!("\"{B}\"")],
        );
        let plan = plan_refs(
            RefOp::Remove,
            B,
            &record(),
            Some(&cname),
            Some(&only_b),
            &BTreeSet::new(),
        )
        .expect("plan")
        .expect("changes");
        assert_eq!(
            summary(&plan),
            vec![
                format!("DELETE _meridian-refs._abc.api.example.com. TXT \"{B}\""),
                "DELETE _abc.api.example.com. CNAME _def.acm-validations.aws.".to_string(),
            ]
        );
        // Dead certificates are dropped along the way.
        let dead: BTreeSet<String> = [B.to_string()].into();
        let plan = plan_refs(
            RefOp::Remove,
            A,
            &record(),
            Some(&cname),
            Some(&both),
            &dead,
        )
        .expect("plan")
        .expect("changes");
        assert!(summary(&plan).iter().any(|s| s.starts_with("DELETE _abc")));
    }

    #[test]
    fn a_cname_that_was_there_before_is_never_deleted() {
        let cname = rrset(
            "_abc.api.example.com.",
            RrType::Cname,
            &["_def.acm-validations.aws."],
        );
        let plan = plan_refs(
            RefOp::Add,
            A,
            &record(),
            Some(&cname),
            None,
            &BTreeSet::new(),
        )
        .expect("plan")
        .expect("changes");
        assert_eq!(
            summary(&plan),
            vec![format!(
                "CREATE _meridian-refs._abc.api.example.com TXT \"{A}\",\"{PREEXISTING_REF}\""
            )]
        );
        let refs = rrset(
            "_meridian-refs._abc.api.example.com.",
            RrType::Txt,
            &[&format!("\"{A}\""), &format!("\"{PREEXISTING_REF}\"")],
        );
        let plan = plan_refs(
            RefOp::Remove,
            A,
            &record(),
            Some(&cname),
            Some(&refs),
            &BTreeSet::new(),
        )
        .expect("plan")
        .expect("changes");
        assert_eq!(
            summary(&plan).len(),
            1,
            "only the reference TXT goes: {:?}",
            summary(&plan)
        );
    }

    #[test]
    fn a_foreign_cname_with_another_value_is_an_error() {
        let cname = rrset(
            "_abc.api.example.com.",
            RrType::Cname,
            &["_other.acm-validations.aws."],
        );
        let e = plan_refs(
            RefOp::Add,
            A,
            &record(),
            Some(&cname),
            None,
            &BTreeSet::new(),
        )
        .expect_err("conflict");
        assert!(e.message.contains("ACM asks for"), "{e}");
    }

    #[test]
    fn check_validates_names() {
        let ok = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1",
            "subject_alternative_names": ["*.api.example.com"]});
        assert!(Certificate.check("us-east-1", &ok).is_empty());
        let unknown = json!({"domain_name": UNKNOWN, "validation_zone_id": UNKNOWN,
            "subject_alternative_names": UNKNOWN});
        assert!(Certificate.check("us-east-1", &unknown).is_empty());
        let bad = json!({"domain_name": "localhost", "subject_alternative_names": ["a.example.com", "A.example.com."]});
        let f = Certificate.check("us-east-1", &bad);
        assert!(
            f.iter().any(|f| f.property == "validation_zone_id"),
            "{f:?}"
        );
        assert!(
            f.iter().any(|f| f.reason.contains("fully qualified")),
            "{f:?}"
        );
        assert!(f.iter().any(|f| f.reason.contains("duplicate")), "{f:?}");
    }

    #[test]
    fn every_input_change_replaces() {
        let a = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1"});
        let same = json!({"domain_name": "API.example.com.", "validation_zone_id": "Z1", "subject_alternative_names": []});
        assert!(Certificate.diff(&a, &same).changes.is_empty());
        for changed in [
            json!({"domain_name": "www.example.com", "validation_zone_id": "Z1"}),
            json!({"domain_name": "api.example.com", "validation_zone_id": "Z2"}),
            json!({"domain_name": "api.example.com", "validation_zone_id": "Z1", "subject_alternative_names": ["x.example.com"]}),
        ] {
            assert!(Certificate.diff(&a, &changed).replaces(), "{changed}");
        }
    }

    #[test]
    fn a_certificate_never_validated_through_the_zone_is_updated_not_replaced() {
        let adopted = json!({"domain_name": "api.example.com"});
        let wanted = json!({"domain_name": "api.example.com", "validation_zone_id": "Z1"});
        let diff = Certificate.diff(&adopted, &wanted);
        assert_eq!(diff.changes.len(), 1, "{diff:?}");
        assert!(!diff.replaces(), "{diff:?}");
    }

    #[test]
    fn idempotency_tokens_fit_acm() {
        assert_eq!(
            idempotency_token(&"ab".repeat(20)).map(|t| t.len()),
            Some(32)
        );
        assert_eq!(idempotency_token("0123abcd").as_deref(), Some("0123abcd"));
        assert_eq!(idempotency_token("--"), None);
        assert_eq!(arn_region(A), Some("us-east-1"));
    }
}
