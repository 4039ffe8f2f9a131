//! The shared DNS-validation records of ACM certificates. The same domain
//! yields the same validation CNAME in every region, so certificates share
//! it: a TXT record `_meridian-refs.<cname name>` next to the CNAME lists the
//! ARNs of the certificates using it, changed only by exact-match DELETE +
//! CREATE batches (through Route 53's change-batch library), so concurrent
//! writers never lose an update and the CNAME goes only when its last user
//! goes.

use super::certificate::arn_region;
use crate::aws::kit::{Clients, Policy, SdkResultExt, opt_str};
use crate::aws::route53::{
    PREEXISTING_REF, apply_batches, change, dns_name, find_record_set, refs_record_name,
    simple_record_set, txt_values,
};
use aws_sdk_acm::types::{CertificateDetail, ValidationMethod};
use aws_sdk_route53::types::{ChangeAction, ResourceRecordSet};
use meridian_engine::{OpContext, ProviderError};
use meridian_schema::aws::acm::certificate::output::validation_record;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// TTL of the validation CNAME and its reference TXT.
const VALIDATION_TTL: i64 = 300;

/// One DNS-validation record ACM asks for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValidationRecord {
    pub name: String,
    pub rtype: String,
    pub value: String,
}

impl ValidationRecord {
    pub(super) fn to_json(&self) -> Value {
        json!({validation_record::NAME: self.name, validation_record::TYPE: self.rtype, validation_record::VALUE: self.value})
    }

    pub(super) fn from_json(v: &Value) -> Option<ValidationRecord> {
        Some(ValidationRecord {
            name: dns_name(opt_str(v, validation_record::NAME)?),
            rtype: opt_str(v, validation_record::TYPE)
                .unwrap_or("CNAME")
                .to_string(),
            value: dns_name(opt_str(v, validation_record::VALUE)?),
        })
    }

    pub(super) fn describe(&self) -> String {
        format!("{} {} {}", self.name, self.rtype, self.value)
    }
}

/// The distinct validation records of a certificate (a wildcard shares the
/// record of its base name), and whether ACM has assigned all of them yet.
pub(super) fn validation_records(detail: &CertificateDetail) -> (Vec<ValidationRecord>, bool) {
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

/// Whether a certificate starts or stops using a validation record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum RefOp {
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
pub(super) fn plan_refs(
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
    acm.describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .aws("DescribeCertificate")
        .is_err_and(|e| e.is_not_found())
}

/// Adds `arn` to (or removes it from) the reference set of `record` in
/// `zone_id`, creating or deleting the CNAME with the set, and waits until
/// the change is INSYNC. A rejected batch means another certificate changed
/// the set first: re-read and try again until the step's deadline.
pub(super) async fn update_refs(
    aws: &Clients,
    ctx: &OpContext,
    zone_id: &str,
    record: &ValidationRecord,
    arn: &str,
    op: RefOp,
) -> Result<(), ProviderError> {
    let r53 = aws.route53().await;
    let refs_name = refs_record_name(&record.name);
    // What is known of the other certificates in the set, across attempts.
    let alive: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());
    let applied = apply_batches(
        aws,
        ctx,
        zone_id,
        Policy::CONFLICT.with_max_attempts(60),
        &format!("validation record {}", record.name),
        || async {
            let cname = find_record_set(&r53, zone_id, &record.name, &record.rtype, None).await?;
            let refs = find_record_set(&r53, zone_id, &refs_name, "TXT", None).await?;
            let mut dead = BTreeSet::new();
            if op == RefOp::Remove {
                for other in refs.as_ref().map(txt_values).unwrap_or_default() {
                    if other == arn || other == PREEXISTING_REF {
                        continue;
                    }
                    let known = alive
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&other)
                        .copied();
                    let is_alive = match known {
                        Some(a) => a,
                        None => {
                            let a = !certificate_gone(aws, &other).await;
                            alive
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .insert(other.clone(), a);
                            a
                        }
                    };
                    if !is_alive {
                        dead.insert(other);
                    }
                }
            }
            let changes = plan_refs(op, arn, record, cname.as_ref(), refs.as_ref(), &dead)?;
            if changes.is_some() {
                ctx.status(&match op {
                    RefOp::Add => format!("writing validation record {}", record.name),
                    RefOp::Remove => format!("releasing validation record {}", record.name),
                });
            }
            Ok(changes)
        },
    )
    .await?;
    applied.map_err(|rejected| {
        ProviderError::transient(format!(
            "validation record {} kept changing under Meridian ({} attempts); \
             last rejection: {}",
            record.name, rejected.attempts, rejected.last
        ))
    })
}
