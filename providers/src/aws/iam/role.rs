//! `aws:iam:Role`: an IAM role with its trust policy, inline policies and
//! managed-policy attachments. Update reconciles the role against what IAM
//! reports now (so drift is repaired too); delete detaches and removes the
//! policies first, as IAM requires.

use super::is_role_name_char;
use super::policy::{check_policy_document, decode_policy_document, is_managed_policy_arn};
use crate::aws::kit::{
    AwsError, Managed, NotFoundExt, Outcome, Policy, SdkResultExt, URN_TAG, call, create_or_adopt,
    generated_name, given_list, given_map, identity_tags, is_unknown, named_diff, opt_str,
    read_after_create, read_by_id_or_identity, retry, transient_or_code,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_iam::operation::create_role::builders::CreateRoleFluentBuilder;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use meridian_engine::{
    CheckFailure, Created, Diff, ErrorKind, OpContext, ProviderError, ReadRequest, ReadResult,
    UNKNOWN,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

pub use meridian_schema::aws::iam::role::TYPE as ROLE;
use meridian_schema::aws::iam::role::{input, output};

/// Trust policies IAM accepts at most (the adjustable quota starts at 2,048).
const MAX_TRUST_POLICY_CHARS: usize = 4096;
/// Inline policies of one role together, whitespace not counted (not adjustable).
const MAX_INLINE_POLICY_CHARS: usize = 10_240;
/// Managed policies per role at most (the adjustable quota starts at 10).
const MAX_MANAGED_POLICIES: usize = 20;
/// Replacing keys: IAM cannot rename a role or move it to another path.
const REPLACE_KEYS: &[&str] = &[input::ROLE_NAME, input::PATH];

/// `aws:iam:Role`.
pub struct Role;

/// The role's name: the `role_name` input, or one generated from the
/// logical name and the URN (deterministic, at most 64 characters).
pub fn role_name_for(inputs: &Value, ctx: &OpContext) -> String {
    match opt_str(inputs, input::ROLE_NAME) {
        Some(n) => n.to_string(),
        None => generated_name(&ctx.name, &ctx.urn, 64, is_role_name_char),
    }
}

fn check_role(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if !inputs.is_object() {
        return vec![CheckFailure::new("", "inputs must be an object")];
    }
    if let Some(v) = inputs
        .get(input::ROLE_NAME)
        .filter(|_| !is_unknown(inputs, input::ROLE_NAME))
    {
        match v.as_str() {
            Some(n) if (1..=64).contains(&n.len()) && n.chars().all(is_role_name_char) => {}
            Some(n) => out.push(CheckFailure::new(
                input::ROLE_NAME,
                format!("{n:?} is not a role name: 1-64 characters of A-Z a-z 0-9 + = , . @ _ -"),
            )),
            None if v.is_null() => {}
            None => out.push(CheckFailure::new(input::ROLE_NAME, "must be a string")),
        }
    }
    if let Some(v) = inputs
        .get(input::PATH)
        .filter(|_| !is_unknown(inputs, input::PATH))
    {
        match v.as_str() {
            Some(p)
                if (1..=512).contains(&p.len())
                    && p.starts_with('/')
                    && p.ends_with('/')
                    && p.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)) => {}
            Some(p) => out.push(CheckFailure::new(
                input::PATH,
                format!(
                    "{p:?} is not an IAM path: it starts and ends with '/', e.g. \"/service/\""
                ),
            )),
            None if v.is_null() => {}
            None => out.push(CheckFailure::new(input::PATH, "must be a string")),
        }
    }
    if let Some(d) = opt_str(inputs, input::DESCRIPTION)
        && d.chars().count() > 1000
    {
        out.push(CheckFailure::new(
            input::DESCRIPTION,
            "must be at most 1000 characters",
        ));
    }
    match inputs.get(input::ASSUME_ROLE_POLICY) {
        None | Some(Value::Null) => out.push(CheckFailure::new(
            input::ASSUME_ROLE_POLICY,
            "is required (the trust policy: who may assume the role)",
        )),
        Some(doc) => {
            check_policy_document(doc, input::ASSUME_ROLE_POLICY, true, &mut out);
            if doc.is_object() && doc.to_string().len() > MAX_TRUST_POLICY_CHARS {
                out.push(CheckFailure::new(
                    input::ASSUME_ROLE_POLICY,
                    format!("is longer than IAM's maximum of {MAX_TRUST_POLICY_CHARS} characters"),
                ));
            }
        }
    }
    if let Some(policies) = given_map(
        inputs,
        input::INLINE_POLICIES,
        "must be an object of policy name to policy document",
        &mut out,
    ) {
        let mut total = 0;
        for (name, doc) in policies {
            let property = format!("inline_policies.{name}");
            if !(1..=128).contains(&name.len()) || !name.chars().all(is_role_name_char) {
                out.push(CheckFailure::new(
                    &property,
                    "a policy name is 1-128 characters of A-Z a-z 0-9 + = , . @ _ -",
                ));
            }
            check_policy_document(doc, &property, false, &mut out);
            total += doc
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .count();
        }
        if total > MAX_INLINE_POLICY_CHARS {
            out.push(CheckFailure::new(
                    input::INLINE_POLICIES,
                    format!(
                        "together are {total} characters; IAM allows {MAX_INLINE_POLICY_CHARS} per role (use managed policies for more)"
                    ),
                ));
        }
    }
    if let Some(arns) = given_list(
        inputs,
        input::MANAGED_POLICY_ARNS,
        "must be a list of policy ARNs",
        &mut out,
    ) {
        if arns.len() > MAX_MANAGED_POLICIES {
            out.push(CheckFailure::new(
                input::MANAGED_POLICY_ARNS,
                format!("IAM attaches at most {MAX_MANAGED_POLICIES} managed policies to a role"),
            ));
        }
        for (i, arn) in arns.iter().enumerate() {
            match arn.as_str() {
                    Some(a) if a == UNKNOWN || is_managed_policy_arn(a) => {}
                    _ => out.push(CheckFailure::new(
                        &format!("managed_policy_arns.{i}"),
                        format!(
                            "{arn} is not a managed policy ARN (like arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole)"
                        ),
                    )),
                }
        }
    }
    out
}

// ------------------------------------------------------------- the state

/// A role as IAM reports it.
#[derive(Clone, Debug, PartialEq)]
struct RoleState {
    name: String,
    arn: String,
    role_id: String,
    path: String,
    description: Option<String>,
    trust: Value,
    inline: BTreeMap<String, Value>,
    managed: BTreeSet<String>,
    tags: BTreeMap<String, String>,
}

impl RoleState {
    fn outputs(&self) -> Value {
        json!({output::ROLE_NAME: self.name, output::ARN: self.arn, output::ROLE_ID: self.role_id})
    }

    /// The inputs that would describe this role, shaped like `recorded`
    /// (same keys, same list order when the set is unchanged).
    fn as_inputs(&self, recorded: &Value) -> Value {
        let mut m = Map::new();
        if recorded.get(input::ROLE_NAME).is_some_and(|v| !v.is_null()) {
            m.insert(input::ROLE_NAME.into(), json!(self.name));
        }
        if recorded.get(input::PATH).is_some_and(|v| !v.is_null()) || self.path != "/" {
            m.insert(input::PATH.into(), json!(self.path));
        }
        if let Some(d) = &self.description {
            m.insert(input::DESCRIPTION.into(), json!(d));
        }
        m.insert(input::ASSUME_ROLE_POLICY.into(), self.trust.clone());
        if recorded
            .get(input::INLINE_POLICIES)
            .is_some_and(|v| !v.is_null())
            || !self.inline.is_empty()
        {
            m.insert(input::INLINE_POLICIES.into(), json!(self.inline));
        }
        if recorded
            .get(input::MANAGED_POLICY_ARNS)
            .is_some_and(|v| !v.is_null())
            || !self.managed.is_empty()
        {
            let recorded_list = managed_arns(recorded);
            let list: Vec<String> =
                if recorded_list.iter().cloned().collect::<BTreeSet<_>>() == self.managed {
                    recorded_list
                } else {
                    self.managed.iter().cloned().collect()
                };
            m.insert(input::MANAGED_POLICY_ARNS.into(), json!(list));
        }
        Value::Object(m)
    }
}

fn managed_arns(inputs: &Value) -> Vec<String> {
    inputs
        .get(input::MANAGED_POLICY_ARNS)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn inline_policies(inputs: &Value) -> BTreeMap<String, Value> {
    inputs
        .get(input::INLINE_POLICIES)
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Reads the role and everything attached to it; `None` if it does not exist.
async fn fetch(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<RoleState>, ProviderError> {
    let got = iam.get_role().role_name(name).send().await;
    let Some(got) = got.aws(&format!("GetRole {name}")).found()? else {
        return Ok(None);
    };
    let role = got
        .role()
        .ok_or_else(|| {
            ProviderError::permanent(format!("GetRole {name}: no role in the response"))
        })?
        .clone();
    // Early reads of a new role can carry its unique id (AROA...) where the
    // ARN belongs: never take that for the ARN; read again.
    if !role.arn().starts_with("arn:") {
        return Err(ProviderError::transient(format!(
            "GetRole {name} answered {:?} where the role's ARN belongs (IAM is still \
             propagating the role)",
            role.arn()
        )));
    }
    let trust = match role.assume_role_policy_document() {
        Some(raw) => decode_policy_document(raw)?,
        None => Value::Null,
    };

    let mut names = Vec::new();
    let what = format!("ListRolePolicies {name}");
    let mut pages = iam
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send();
    while let Some(policy) = pages.next().await {
        let Some(policy) = policy.aws(&what).found()? else {
            return Ok(None);
        };
        names.push(policy);
    }
    let mut inline = BTreeMap::new();
    for policy in names {
        let got = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await;
        // Deleted between the list and the get: it is gone.
        if let Some(out) = got.aws(&format!("GetRolePolicy {name}/{policy}")).found()? {
            inline.insert(policy, decode_policy_document(out.policy_document())?);
        }
    }

    let mut managed = BTreeSet::new();
    let what = format!("ListAttachedRolePolicies {name}");
    let request = iam.list_attached_role_policies().role_name(name);
    let mut pages = request.into_paginator().items().send();
    while let Some(attached) = pages.next().await {
        let Some(attached) = attached.aws(&what).found()? else {
            return Ok(None);
        };
        managed.extend(attached.policy_arn().map(str::to_string));
    }

    Ok(Some(RoleState {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        role_id: role.role_id().to_string(),
        path: role.path().to_string(),
        description: role
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        trust,
        inline,
        managed,
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }))
}

/// Makes the role's trust policy, description and policies match `inputs`,
/// starting from `actual` (what IAM reports now).
async fn reconcile(
    ctx: &OpContext,
    iam: &aws_sdk_iam::Client,
    actual: &RoleState,
    inputs: &Value,
) -> Result<(), ProviderError> {
    let name = actual.name.as_str();
    let trust = inputs
        .get(input::ASSUME_ROLE_POLICY)
        .cloned()
        .unwrap_or(Value::Null);
    if trust != actual.trust {
        let doc = trust.to_string();
        ctx.status("updating the trust policy");
        call(ctx, || async {
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(&doc)
                .send()
                .await
                .aws(&format!("UpdateAssumeRolePolicy {name}"))
        })
        .await?;
    }
    let description = opt_str(inputs, input::DESCRIPTION).filter(|d| !d.is_empty());
    if description != actual.description.as_deref() {
        call(ctx, || async {
            iam.update_role()
                .role_name(name)
                .description(description.unwrap_or(""))
                .send()
                .await
                .aws(&format!("UpdateRole {name}"))
        })
        .await?;
    }

    let desired_inline = inline_policies(inputs);
    for (policy, doc) in &desired_inline {
        if actual.inline.get(policy) == Some(doc) {
            continue;
        }
        let text = doc.to_string();
        ctx.status(&format!("putting inline policy {policy}"));
        call(ctx, || async {
            iam.put_role_policy()
                .role_name(name)
                .policy_name(policy)
                .policy_document(&text)
                .send()
                .await
                .aws(&format!("PutRolePolicy {name}/{policy}"))
        })
        .await?;
    }
    for policy in actual
        .inline
        .keys()
        .filter(|p| !desired_inline.contains_key(*p))
    {
        take_off(ctx, iam, name, Attached::Inline(policy)).await?;
    }

    let desired_managed: BTreeSet<String> = managed_arns(inputs).into_iter().collect();
    for arn in desired_managed.difference(&actual.managed) {
        ctx.status(&format!("attaching {arn}"));
        call(ctx, || async {
            iam.attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .aws(&format!("AttachRolePolicy {name} {arn}"))
        })
        .await?;
    }
    for arn in actual.managed.difference(&desired_managed) {
        take_off(ctx, iam, name, Attached::Managed(arn)).await?;
    }
    Ok(())
}

/// A policy on a role, to take off it: inline (by name) or attached (by ARN).
enum Attached<'a> {
    Inline(&'a str),
    Managed(&'a str),
}

/// Deletes an inline policy or detaches a managed one (IAM refuses to
/// delete a role that still has either).
async fn take_off(
    ctx: &OpContext,
    iam: &aws_sdk_iam::Client,
    name: &str,
    policy: Attached<'_>,
) -> Result<(), ProviderError> {
    match policy {
        Attached::Inline(policy) => {
            let request = iam.delete_role_policy().role_name(name).policy_name(policy);
            let what = format!("DeleteRolePolicy {name}/{policy}");
            gone_or_deleted(ctx, &what, || request.clone().send()).await
        }
        Attached::Managed(arn) => {
            let request = iam.detach_role_policy().role_name(name).policy_arn(arn);
            let what = format!("DetachRolePolicy {name} {arn}");
            gone_or_deleted(ctx, &what, || request.clone().send()).await
        }
    }
}

/// Sends a delete (or detach) retried like every call: already gone is
/// success.
async fn gone_or_deleted<T, E, F, Fut>(
    ctx: &OpContext,
    what: &str,
    send: F,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    call(ctx, || async { send().await.aws(what).found() }).await?;
    Ok(())
}

/// Defaults filled in, lists as sets, so equal roles compare equal.
fn normalized(inputs: &Value) -> Value {
    let mut m = inputs.as_object().cloned().unwrap_or_default();
    m.retain(|_, v| !v.is_null());
    m.entry(input::PATH).or_insert_with(|| json!("/"));
    m.entry(input::INLINE_POLICIES).or_insert_with(|| json!({}));
    if let Some(Value::Array(arns)) = m.get_mut(input::MANAGED_POLICY_ARNS) {
        arns.sort_by_key(|v| v.to_string());
        arns.dedup();
    }
    m.entry(input::MANAGED_POLICY_ARNS)
        .or_insert_with(|| json!([]));
    if m.get(input::DESCRIPTION).and_then(Value::as_str) == Some("") {
        m.remove(input::DESCRIPTION);
    }
    Value::Object(m)
}

#[async_trait]
impl ResourceType for Role {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_role(inputs)
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        named_diff(
            old_inputs,
            new_inputs,
            normalized,
            REPLACE_KEYS,
            input::ROLE_NAME,
        )
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let iam = aws.iam().await;
        let name = role_name_for(inputs, ctx);
        let path = opt_str(inputs, input::PATH).unwrap_or("/");
        let trust = inputs
            .get(input::ASSUME_ROLE_POLICY)
            .filter(|v| v.is_object())
            .ok_or_else(|| {
                ProviderError::permanent(
                    "input \"assume_role_policy\" is required and must be a policy document",
                )
            })?
            .to_string();
        let description = opt_str(inputs, input::DESCRIPTION).filter(|d| !d.is_empty());
        let mut tags = Vec::new();
        for (k, v) in identity_tags(ctx) {
            tags.push(
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| ProviderError::permanent(format!("building a tag: {e}")))?,
            );
        }
        let create = iam
            .create_role()
            .path(path)
            .assume_role_policy_document(&trust)
            .set_description(description.map(str::to_string))
            .set_tags(Some(tags));
        let roles = Roles { iam: &iam, create };
        let actual = match create_or_adopt(ctx, &roles, &name).await? {
            Outcome::Adopted(actual) => actual,
            Outcome::Created(()) => {
                let what = format!("role {name}");
                read_after_create(ctx, &what, || call(ctx, || fetch(&iam, &name))).await?
            }
        };
        // A new role, or ours from an interrupted create: bring it to the inputs.
        reconcile(ctx, &iam, &actual, inputs).await?;
        Ok(Created {
            id: name,
            outputs: actual.outputs(),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let iam = aws.iam().await;
        let roles = Roles {
            create: iam.create_role(),
            iam: &iam,
        };
        let identity = || Ok(role_name_for(req.inputs, ctx));
        let Some((_, actual)) = read_by_id_or_identity(ctx, &roles, req.id, identity).await? else {
            return Ok(None);
        };
        Ok(Some(ReadResult {
            id: actual.name.clone(),
            inputs: Some(actual.as_inputs(req.inputs)),
            outputs: actual.outputs(),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let iam = aws.iam().await;
        let Some(actual) = call(ctx, || fetch(&iam, id)).await? else {
            return Err(
                ProviderError::permanent(format!("role {id} does not exist any more"))
                    .with_hint("run `refresh` so Meridian notices, then `up` creates it again"),
            );
        };
        reconcile(ctx, &iam, &actual, new_inputs).await?;
        Ok(actual.outputs())
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let iam = aws.iam().await;
        let Some(actual) = call(ctx, || fetch(&iam, id)).await? else {
            return Ok(());
        };
        // IAM refuses to delete a role that still has policies.
        for arn in &actual.managed {
            take_off(ctx, &iam, id, Attached::Managed(arn)).await?;
        }
        for policy in actual.inline.keys() {
            take_off(ctx, &iam, id, Attached::Inline(policy)).await?;
        }
        ctx.status(&format!("deleting role {id}"));
        let what = format!("DeleteRole {id}");
        let deleted = retry(
            ctx,
            &Policy::THROTTLING,
            // A detach that has not settled yet: try again.
            transient_or_code(&["DeleteConflict"]),
            || async {
                iam.delete_role()
                    .role_name(id)
                    .send()
                    .await
                    .aws(&what)
                    .found()
            },
        )
        .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if e.is_code("DeleteConflict") => {
                let mut err = ProviderError::from(e);
                err.kind = ErrorKind::Transient;
                Err(err.with_hint(
                    "the role is still in use: an instance profile or a policy attached outside Meridian",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// What create-or-adopt needs about roles: the client, and the create
/// request with everything but the name.
struct Roles<'a> {
    iam: &'a aws_sdk_iam::Client,
    create: CreateRoleFluentBuilder,
}

#[async_trait]
impl Managed for Roles<'_> {
    type State = RoleState;

    const NOUN: &'static str = "role";

    /// Role names are unique in the account (IAM is global).
    fn scope(&self, _ctx: &OpContext) -> String {
        "in this account".into()
    }

    const REFUSE_HINT: &'static str = "choose another role_name, or delete the existing role";

    async fn create(&self, _ctx: &OpContext, name: &str) -> Result<(), AwsError> {
        let sent = self.create.clone().role_name(name).send().await;
        sent.map(drop).aws(&format!("CreateRole {name}"))
    }

    async fn find(&self, ctx: &OpContext, name: &str) -> Result<Option<RoleState>, ProviderError> {
        call(ctx, || fetch(self.iam, name)).await
    }

    fn urn_tag(&self, role: &RoleState) -> Option<String> {
        role.tags.get(URN_TAG).cloned()
    }
}

#[cfg(test)]
mod tests;
