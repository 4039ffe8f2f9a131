//! `aws:lambda:Permission`: one statement in a function's resource policy.
//! The function and the statement id identify it; a generated statement id
//! follows the grant, so a changed grant adds the new statement before the
//! old one goes.

use super::{call_found, check_known_str, is_already_exists, is_known, lambda_failure};
use crate::aws::kit::{AwsError, call, check_required_str, generated_name, opt_str, req_str};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Map, Value, json};

pub use meridian_schema::aws::lambda::permission::TYPE as PERMISSION;
use meridian_schema::aws::lambda::permission::{input, output};

/// `aws:lambda:Permission`.
pub struct Permission;

fn is_statement_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// The grant's fields, as they decide a generated statement id.
const GRANT_FIELDS: [&str; 4] = [
    input::PRINCIPAL,
    input::ACTION,
    input::SOURCE_ARN,
    input::SOURCE_ACCOUNT,
];

/// The statement id: the `statement_id` input, or one generated from the
/// logical name, the URN and the grant. A changed grant then gets a new
/// statement, added before the old one is removed: Lambda cannot change a
/// statement in place, and removing first would refuse invocations
/// meanwhile.
pub fn statement_id_for(inputs: &Value, ctx: &OpContext) -> String {
    match opt_str(inputs, input::STATEMENT_ID) {
        Some(s) => s.to_string(),
        None => {
            let grant: Vec<Value> = GRANT_FIELDS
                .iter()
                .map(|k| match (*k, inputs.get(*k)) {
                    (input::ACTION, None | Some(Value::Null)) => json!(DEFAULT_ACTION),
                    (_, v) => v.cloned().unwrap_or(Value::Null),
                })
                .collect();
            let seed = format!("{}|{}", ctx.urn, Value::Array(grant));
            generated_name(&ctx.name, &seed, 100, is_statement_id_char)
        }
    }
}

const DEFAULT_ACTION: &str = "lambda:InvokeFunction";

/// A string input's rule: its key, what it must satisfy, and why.
type StrRule<'a> = (&'a str, &'a dyn Fn(&str) -> bool, &'a str);

fn check_permission(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if !inputs.is_object() {
        return vec![CheckFailure::new("", "inputs must be an object")];
    }
    check_required_str(inputs, input::FUNCTION_NAME, &mut out);
    if is_known(inputs, input::FUNCTION_NAME)
        && opt_str(inputs, input::FUNCTION_NAME).is_some_and(|f| f.len() > 140)
    {
        out.push(CheckFailure::new(
            input::FUNCTION_NAME,
            "must be a function name or ARN (at most 140 characters)",
        ));
    }
    check_required_str(inputs, input::PRINCIPAL, &mut out);
    let is_action = |a: &str| {
        a == "*"
            || a.strip_prefix("lambda:").is_some_and(|x| {
                x == "*" || (!x.is_empty() && x.chars().all(|c| c.is_ascii_alphabetic()))
            })
    };
    let is_statement_id =
        |s: &str| (1..=100).contains(&s.len()) && s.chars().all(is_statement_id_char);
    let is_account = |a: &str| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit());
    let rules: [StrRule; 4] = [
        (
            input::ACTION,
            &is_action,
            "must be a Lambda action like \"lambda:InvokeFunction\"",
        ),
        (
            input::STATEMENT_ID,
            &is_statement_id,
            "a statement id is 1-100 characters of A-Z a-z 0-9 - _ .",
        ),
        (
            input::SOURCE_ACCOUNT,
            &is_account,
            "must be a 12-digit account id",
        ),
        (
            input::SOURCE_ARN,
            &|a: &str| a.starts_with("arn:"),
            "must be an ARN",
        ),
    ];
    for (key, valid, reason) in rules {
        check_known_str(inputs, key, valid, reason, &mut out);
    }
    // A service principal without a source lets that service invoke the
    // function on behalf of any account (the confused deputy).
    if is_known(inputs, input::PRINCIPAL)
        && opt_str(inputs, input::PRINCIPAL).is_some_and(|p| p.ends_with(".amazonaws.com"))
        && inputs.get(input::SOURCE_ARN).is_none_or(Value::is_null)
    {
        out.push(CheckFailure::new(
            input::SOURCE_ARN,
            "is required for a service principal, so only your resource (e.g. your API's stage) can invoke the function",
        ));
    }
    out
}

/// The permission's properties, as inputs give them or a statement says.
#[derive(Clone, Debug, PartialEq)]
struct Grant {
    principal: String,
    action: String,
    source_arn: Option<String>,
    source_account: Option<String>,
}

impl Grant {
    fn from_inputs(inputs: &Value) -> Result<Self, ProviderError> {
        Ok(Grant {
            principal: req_str(inputs, input::PRINCIPAL)?.to_string(),
            action: opt_str(inputs, input::ACTION)
                .unwrap_or(DEFAULT_ACTION)
                .to_string(),
            source_arn: opt_str(inputs, input::SOURCE_ARN).map(str::to_string),
            source_account: opt_str(inputs, input::SOURCE_ACCOUNT).map(str::to_string),
        })
    }

    /// Reads a statement of a Lambda resource policy.
    fn from_statement(st: &Value) -> Grant {
        let principal = match st.get("Principal") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(p)) => p
                .get("Service")
                .or_else(|| p.get("AWS"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let action = match st.get("Action") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) if a.len() == 1 => a[0].as_str().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        let cond = |op: &str, key: &str| {
            st.get("Condition")
                .and_then(|c| c.get(op))
                .and_then(|c| c.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Grant {
            principal,
            action,
            source_arn: cond("ArnLike", "AWS:SourceArn"),
            source_account: cond("StringEquals", "AWS:SourceAccount"),
        }
    }

    /// Whether a statement grants exactly this. Lambda writes an account
    /// principal as `arn:aws:iam::<account>:root`.
    fn matches(&self, found: &Grant) -> bool {
        let principal_ok = found.principal == self.principal
            || (found.principal.starts_with("arn:")
                && found
                    .principal
                    .ends_with(&format!(":{}:root", self.principal)));
        principal_ok
            && found.action == self.action
            && found.source_arn == self.source_arn
            && found.source_account == self.source_account
    }
}

/// The statement with id `sid` in the function's resource policy, if any.
async fn find_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
) -> Result<Option<Value>, ProviderError> {
    let what = format!("GetPolicy {function}");
    let got = call_found(ctx, &what, || {
        lambda.get_policy().function_name(function).send()
    });
    // No function, or no policy yet: no statement.
    let Some(out) = got.await? else {
        return Ok(None);
    };
    let policy = out.policy().unwrap_or_default();
    let doc: Value = serde_json::from_str(policy).map_err(|e| {
        ProviderError::permanent(format!(
            "GetPolicy {function}: the policy is not JSON ({e})"
        ))
    })?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(statements
        .into_iter()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid)))
}

async fn remove_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
) -> Result<(), ProviderError> {
    let what = format!("RemovePermission {function} {sid}");
    let request = lambda.remove_permission().function_name(function);
    call_found(ctx, &what, || request.clone().statement_id(sid).send()).await?;
    Ok(())
}

/// Adds the statement; `None` if one with this id exists already.
async fn add_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
    grant: &Grant,
) -> Result<Option<Value>, ProviderError> {
    call(ctx, || async {
        let sent = lambda
            .add_permission()
            .function_name(function)
            .statement_id(sid)
            .action(&grant.action)
            .principal(&grant.principal)
            .set_source_arn(grant.source_arn.clone())
            .set_source_account(grant.source_account.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(Some(
                out.statement()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or(Value::Null),
            )),
            Err(e) => {
                let err = AwsError::from_sdk(&format!("AddPermission {function} {sid}"), e);
                if is_already_exists(&err) {
                    Ok(None)
                } else {
                    Err(lambda_failure(err))
                }
            }
        }
    })
    .await
}

/// Makes the statement `sid` grant exactly `grant`: an identical statement
/// is kept, a different one is removed and added again (Lambda cannot
/// change a statement in place, and must not get a second one with the
/// same id). Returns the statement.
async fn put_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
    grant: &Grant,
) -> Result<Value, ProviderError> {
    // Two rounds: a statement may appear between our read and our add.
    for _ in 0..2 {
        if let Some(existing) = find_statement(ctx, lambda, function, sid).await? {
            if grant.matches(&Grant::from_statement(&existing)) {
                return Ok(existing);
            }
            ctx.status(&format!("replacing statement {sid} on {function}"));
            remove_statement(ctx, lambda, function, sid).await?;
        }
        if let Some(statement) = add_statement(ctx, lambda, function, sid, grant).await? {
            return Ok(statement);
        }
    }
    Err(ProviderError::transient(format!(
        "statement {sid} on function {function} keeps changing under us"
    )))
}

fn permission_outputs(function: &str, sid: &str, statement: Value) -> Value {
    json!({output::FUNCTION_NAME: function, output::STATEMENT_ID: sid, output::STATEMENT: statement})
}

/// `<function>/<statement id>`: function names and ARNs have no `/`.
/// The function's name, from its name or its (unqualified) ARN
/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
fn function_name_of(reference: &str) -> &str {
    match reference.strip_prefix("arn:") {
        Some(_) => reference.split(':').nth(6).unwrap_or(reference),
        None => reference,
    }
}

fn permission_id(function: &str, sid: &str) -> String {
    format!("{function}/{sid}")
}

#[async_trait]
impl ResourceType for Permission {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_permission(inputs)
    }

    /// The function and the statement id are the identity: changing either
    /// replaces the permission, the new statement added before the old one
    /// goes. A generated statement id follows the grant, so a new principal,
    /// action or source is such a replacement too; with a `statement_id` of
    /// the user's they are updated in place, by removing the statement and
    /// adding it again (a moment without it).
    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let norm = |v: &Value| {
            let mut m = v.as_object().cloned().unwrap_or_default();
            m.retain(|_, v| !v.is_null());
            m.entry(input::ACTION)
                .or_insert_with(|| json!(DEFAULT_ACTION));
            Value::Object(m)
        };
        let given = |v: &Value| v.get(input::STATEMENT_ID).filter(|v| !v.is_null()).cloned();
        let (old_sid, new_sid) = (given(old_inputs), given(new_inputs));
        let mut identity = vec![input::FUNCTION_NAME, input::STATEMENT_ID];
        if old_sid.is_none() && new_sid.is_none() {
            identity.extend(GRANT_FIELDS);
        }
        let mut diff = Diff::top_level(&norm(old_inputs), &norm(new_inputs), &identity);
        // Only the same statement id on the same function must go first.
        diff.delete_before_replace = old_inputs.get(input::FUNCTION_NAME)
            == new_inputs.get(input::FUNCTION_NAME)
            && old_sid.is_some()
            && old_sid == new_sid;
        diff
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let lambda = aws.lambda(&ctx.region).await;
        let function = req_str(inputs, input::FUNCTION_NAME)?;
        let sid = statement_id_for(inputs, ctx);
        let grant = Grant::from_inputs(inputs)?;
        ctx.status(&format!("adding statement {sid} to {function}"));
        let statement = put_statement(ctx, &lambda, function, &sid, &grant).await?;
        Ok(Created {
            id: permission_id(function, &sid),
            outputs: permission_outputs(function, &sid, statement),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = match req.id.and_then(|id| id.rsplit_once('/')) {
            Some((f, s)) => (f.to_string(), s.to_string()),
            None => (
                req_str(req.inputs, input::FUNCTION_NAME)?.to_string(),
                statement_id_for(req.inputs, ctx),
            ),
        };
        let Some(statement) = find_statement(ctx, &lambda, &function, &sid).await? else {
            return Ok(None);
        };
        let found = Grant::from_statement(&statement);
        let mut m = Map::new();
        // Keep the recorded spelling of the same function (its name or ARN;
        // an import id names it by name).
        let spelled = match opt_str(req.inputs, input::FUNCTION_NAME) {
            Some(given) if function_name_of(given) == function_name_of(&function) => given,
            _ => function.as_str(),
        };
        m.insert(input::FUNCTION_NAME.into(), json!(spelled));
        if req
            .inputs
            .get(input::STATEMENT_ID)
            .is_some_and(|v| !v.is_null())
        {
            m.insert(input::STATEMENT_ID.into(), json!(sid));
        }
        // Keep the recorded spelling of an equivalent principal.
        let principal = match Grant::from_inputs(req.inputs) {
            Ok(recorded)
                if recorded.matches(&Grant {
                    principal: found.principal.clone(),
                    ..recorded.clone()
                }) =>
            {
                recorded.principal
            }
            _ => found.principal.clone(),
        };
        m.insert(input::PRINCIPAL.into(), json!(principal));
        m.insert(input::ACTION.into(), json!(found.action));
        if let Some(a) = &found.source_arn {
            m.insert(input::SOURCE_ARN.into(), json!(a));
        }
        if let Some(a) = &found.source_account {
            m.insert(input::SOURCE_ACCOUNT.into(), json!(a));
        }
        Ok(Some(ReadResult {
            id: permission_id(&function, &sid),
            inputs: Some(Value::Object(m)),
            outputs: permission_outputs(&function, &sid, statement),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = id.rsplit_once('/').ok_or_else(|| {
            ProviderError::permanent(format!(
                "{id:?} is not a permission id (function/statement)"
            ))
        })?;
        let grant = Grant::from_inputs(new_inputs)?;
        // Not atomic: between the remove and the add the principal cannot
        // invoke (Lambda has no call that changes a statement in place).
        let statement = put_statement(ctx, &lambda, function, sid, &grant).await?;
        Ok(permission_outputs(function, sid, statement))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, inputs, .. } = req;
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = match id.rsplit_once('/') {
            Some((f, s)) => (f.to_string(), s.to_string()),
            None => (
                req_str(inputs, input::FUNCTION_NAME)?.to_string(),
                statement_id_for(inputs, ctx),
            ),
        };
        remove_statement(ctx, &lambda, &function, &sid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_read_back_as_grants() {
        let st = json!({
            "Sid": "apigw",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*"}}
        });
        let want = Grant {
            principal: "apigateway.amazonaws.com".into(),
            action: DEFAULT_ACTION.into(),
            source_arn: Some(
                "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*".into(),
            ),
            source_account: None,
        };
        assert!(want.matches(&Grant::from_statement(&st)));
        let other = Grant {
            source_arn: Some("arn:aws:execute-api:us-east-1:123456789012:abc/*".into()),
            ..want.clone()
        };
        assert!(!other.matches(&Grant::from_statement(&st)));
        let account = Grant {
            principal: "123456789012".into(),
            source_arn: None,
            ..want
        };
        assert!(account.matches(&Grant::from_statement(&json!({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "lambda:InvokeFunction"}))));
    }

    #[test]
    fn permissions_need_a_source_for_service_principals() {
        let f = check_permission(
            &json!({"function_name": "f", "principal": "apigateway.amazonaws.com"}),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].property, "source_arn");
        let ok = json!({"function_name": "f", "principal": "apigateway.amazonaws.com", "source_arn": "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/object/*"});
        assert!(check_permission(&ok).is_empty());
        let f = check_permission(
            &json!({"function_name": "f", "principal": "123456789012", "statement_id": "bad id", "action": "InvokeFunction"}),
        );
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn a_function_is_the_same_by_name_or_arn() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        assert_eq!(function_name_of(arn), "f");
        assert_eq!(function_name_of("f"), "f");
        assert_ne!(function_name_of(arn), function_name_of("g"));
    }

    #[test]
    fn permission_identity_changes_replace_and_the_rest_updates() {
        let t = Permission;
        let base = json!({"function_name": "f", "principal": "apigateway.amazonaws.com", "source_arn": "arn:a"});
        let mut with_default = base.clone();
        with_default["action"] = json!(DEFAULT_ACTION);
        assert!(t.diff(&base, &with_default).changes.is_empty());
        // A generated statement id follows the grant: a new source is a new
        // statement, added before the old one goes.
        let mut source = base.clone();
        source["source_arn"] = json!("arn:b");
        let d = t.diff(&base, &source);
        assert_eq!(d.changes.len(), 1);
        assert!(d.replaces() && !d.delete_before_replace, "{d:?}");
        let ctx = OpContext::new(
            "urn:meridian:s::aws:lambda:Permission::p",
            "p",
            "us-east-1",
            "t",
            std::time::Duration::from_secs(1),
        );
        assert_ne!(
            statement_id_for(&base, &ctx),
            statement_id_for(&source, &ctx)
        );
        assert_eq!(
            statement_id_for(&base, &ctx),
            statement_id_for(&with_default, &ctx)
        );
        // With the user's statement id, the same change is an update (remove
        // and add again), and a new id is a replacement.
        let mut named = base.clone();
        named["statement_id"] = json!("apigw");
        let mut named_source = named.clone();
        named_source["source_arn"] = json!("arn:b");
        let d = t.diff(&named, &named_source);
        assert!(!d.replaces() && d.changes.len() == 1, "{d:?}");
        let mut renamed = named.clone();
        renamed["statement_id"] = json!("apigw2");
        let d = t.diff(&named, &renamed);
        assert!(d.replaces() && !d.delete_before_replace, "{d:?}");
        let mut moved = base.clone();
        moved["function_name"] = json!("g");
        let d = t.diff(&base, &moved);
        assert!(d.replaces());
        assert!(!d.delete_before_replace);
    }
}
