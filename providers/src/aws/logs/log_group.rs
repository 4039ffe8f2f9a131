//! `aws:logs:LogGroup`: a CloudWatch Logs log group with its retention.
//! The name is the identity (fixed by the user); a group that already exists
//! and carries this resource's URN tag is adopted, any other is refused.

use crate::aws::kit::{
    AwsError, Managed, NotFoundExt, Outcome, SdkResultExt, URN_TAG, call, check_given_str,
    check_required_str, create_or_adopt, find_in_pages, identity_tags, is_unknown,
    read_after_create, read_by_id_or_identity, req_str,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

use meridian_schema::aws::logs::RetentionDays;
pub use meridian_schema::aws::logs::log_group::TYPE as LOG_GROUP;
use meridian_schema::aws::logs::log_group::{input, output};

/// `aws:logs:LogGroup`.
pub struct LogGroup;

/// Whether `name` is a log group name: 1-512 characters of `.-_/#A-Za-z0-9`.
pub fn is_log_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
}

fn check_log_group(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    check_required_str(inputs, input::LOG_GROUP_NAME, &mut out);
    let problem = |name: &str| {
        (!is_log_group_name(name))
            .then_some("is not a log group name: 1-512 characters of . - _ / # A-Z a-z 0-9")
    };
    check_given_str(inputs, input::LOG_GROUP_NAME, problem, &mut out);
    match inputs.get(input::RETENTION_IN_DAYS) {
        None | Some(Value::Null) => {}
        Some(_) if is_unknown(inputs, input::RETENTION_IN_DAYS) => {}
        Some(v) => {
            if v.as_i64().and_then(RetentionDays::from_days).is_none() {
                let allowed: Vec<String> = RetentionDays::DAYS.iter().map(i64::to_string).collect();
                out.push(CheckFailure::new(
                    input::RETENTION_IN_DAYS,
                    format!(
                        "{v} is not a retention CloudWatch Logs accepts; use one of {} (or leave it out to keep logs forever)",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

/// A log group as CloudWatch Logs reports it.
struct GroupState {
    name: String,
    /// Without the trailing `:*` that `DescribeLogGroups` puts on `arn`.
    arn: String,
    retention_in_days: Option<i64>,
    tags: HashMap<String, String>,
}

impl GroupState {
    fn outputs(&self) -> Value {
        json!({output::LOG_GROUP_NAME: self.name, output::ARN: self.arn})
    }

    fn as_inputs(&self) -> Value {
        let mut m = Map::new();
        m.insert(input::LOG_GROUP_NAME.into(), json!(self.name));
        if let Some(d) = self.retention_in_days {
            m.insert(input::RETENTION_IN_DAYS.into(), json!(d));
        }
        Value::Object(m)
    }
}

/// Finds the group named exactly `name`; `None` if there is none.
async fn fetch(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Result<Option<GroupState>, ProviderError> {
    let what = format!("DescribeLogGroups {name}");
    let request = || logs.describe_log_groups().log_group_name_prefix(name);
    let send = |next| request().set_next_token(next).send();
    let named = |page: &DescribeLogGroupsOutput| {
        let mut groups = page.log_groups().iter();
        groups.find(|g| g.log_group_name() == Some(name)).cloned()
    };
    let found = find_in_pages(&what, send, |page| page.next_token(), named).await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let arn = found
        .log_group_arn()
        .or(found.arn())
        .map(|a| a.trim_end_matches(":*").to_string())
        .ok_or_else(|| {
            ProviderError::permanent(format!("DescribeLogGroups {name}: no ARN in the response"))
        })?;
    let listed = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await;
    let Some(listed) = listed.aws(&format!("ListTagsForResource {arn}")).found()? else {
        return Ok(None);
    };
    let tags = listed.tags().cloned().unwrap_or_default();
    Ok(Some(GroupState {
        name: name.to_string(),
        arn,
        retention_in_days: found.retention_in_days().map(i64::from),
        tags,
    }))
}

/// Sets or removes the retention policy so it is `desired`.
async fn set_retention(
    ctx: &OpContext,
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    desired: Option<i64>,
) -> Result<(), ProviderError> {
    let days = desired
        .map(|days| {
            i32::try_from(days).map_err(|_| {
                ProviderError::permanent(format!("retention_in_days {days} is out of range"))
            })
        })
        .transpose()?;
    call(ctx, || async {
        match days {
            Some(days) => {
                let request = logs.put_retention_policy().log_group_name(name);
                let sent = request.retention_in_days(days).send().await;
                sent.map(drop).aws(&format!("PutRetentionPolicy {name}"))
            }
            None => {
                let sent = logs
                    .delete_retention_policy()
                    .log_group_name(name)
                    .send()
                    .await;
                sent.map(drop).aws(&format!("DeleteRetentionPolicy {name}"))
            }
        }
    })
    .await?;
    Ok(())
}

fn retention(inputs: &Value) -> Option<i64> {
    inputs.get(input::RETENTION_IN_DAYS).and_then(Value::as_i64)
}

#[async_trait]
impl ResourceType for LogGroup {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_log_group(inputs)
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let mut diff = Diff::top_level(old_inputs, new_inputs, &[input::LOG_GROUP_NAME]);
        // The name is the identity: a replacement that keeps it (forced by
        // replace_on_changes) must delete first; a rename can create first.
        diff.delete_before_replace =
            old_inputs.get(input::LOG_GROUP_NAME) == new_inputs.get(input::LOG_GROUP_NAME);
        diff
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let logs = aws.logs(&ctx.region).await;
        let name = req_str(inputs, input::LOG_GROUP_NAME)?;
        let actual = match create_or_adopt(ctx, &Group(&logs), name).await? {
            Outcome::Adopted(actual) => actual,
            Outcome::Created(()) => {
                let what = format!("log group {name}");
                read_after_create(ctx, &what, || call(ctx, || fetch(&logs, name))).await?
            }
        };
        if actual.retention_in_days != retention(inputs) {
            set_retention(ctx, &logs, name, retention(inputs)).await?;
        }
        Ok(Created {
            id: name.to_string(),
            outputs: actual.outputs(),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let logs = aws.logs(&ctx.region).await;
        let identity = || Ok(req_str(req.inputs, input::LOG_GROUP_NAME)?.to_string());
        let Some((_, actual)) =
            read_by_id_or_identity(ctx, &Group(&logs), req.id, identity).await?
        else {
            return Ok(None);
        };
        Ok(Some(ReadResult {
            id: actual.name.clone(),
            inputs: Some(actual.as_inputs()),
            outputs: actual.outputs(),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let logs = aws.logs(&ctx.region).await;
        let Some(actual) = call(ctx, || fetch(&logs, id)).await? else {
            return Err(ProviderError::permanent(format!(
                "log group {id} does not exist any more"
            ))
            .with_hint("run `refresh` so Meridian notices, then `up` creates it again"));
        };
        if actual.retention_in_days != retention(new_inputs) {
            set_retention(ctx, &logs, id, retention(new_inputs)).await?;
        }
        Ok(actual.outputs())
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let logs = aws.logs(&ctx.region).await;
        ctx.status(&format!("deleting log group {id}"));
        let what = format!("DeleteLogGroup {id}");
        let sent = call(ctx, || async {
            logs.delete_log_group()
                .log_group_name(id)
                .send()
                .await
                .aws(&what)
                .found()
        });
        sent.await.map(drop).map_err(ProviderError::from)
    }
}

/// What create-or-adopt needs about log groups: the region's client.
struct Group<'a>(&'a aws_sdk_cloudwatchlogs::Client);

#[async_trait]
impl Managed for Group<'_> {
    type State = GroupState;

    const NOUN: &'static str = "log group";

    const REFUSE_HINT: &'static str = "Lambda creates /aws/lambda/<function> by itself on first invoke; choose another name, or delete the existing group";

    async fn create(&self, ctx: &OpContext, name: &str) -> Result<(), AwsError> {
        let tags: HashMap<String, String> = identity_tags(ctx).into_iter().collect();
        let request = self.0.create_log_group().log_group_name(name);
        let sent = request.set_tags(Some(tags)).send().await;
        sent.map(drop).aws(&format!("CreateLogGroup {name}"))
    }

    async fn find(&self, ctx: &OpContext, name: &str) -> Result<Option<GroupState>, ProviderError> {
        call(ctx, || fetch(self.0, name)).await
    }

    fn urn_tag(&self, group: &GroupState) -> Option<String> {
        group.tags.get(URN_TAG).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_engine::UNKNOWN;

    #[test]
    fn names_and_retention_are_validated() {
        assert!(
            check_log_group(&json!({"log_group_name": "log-group", "retention_in_days": 90}))
                .is_empty()
        );
        assert!(check_log_group(&json!({"log_group_name": "/aws/lambda/fn#1"})).is_empty());
        let f = check_log_group(&json!({"log_group_name": "bad name!"}));
        assert_eq!(f.len(), 1, "{f:?}");
        let f = check_log_group(&json!({"log_group_name": "x".repeat(513)}));
        assert_eq!(f.len(), 1, "{f:?}");
        let f = check_log_group(&json!({}));
        assert_eq!(f[0].property, "log_group_name");
    }

    #[test]
    fn a_retention_aws_rejects_lists_the_allowed_values() {
        let f = check_log_group(&json!({"log_group_name": "g", "retention_in_days": 91}));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].reason.contains("1, 3, 5, 7, 14, 30, 60, 90, 120"),
            "{}",
            f[0].reason
        );
        assert!(f[0].reason.contains("3653"), "{}", f[0].reason);
        let f = check_log_group(&json!({"log_group_name": "g", "retention_in_days": "90"}));
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn unknown_values_are_accepted() {
        assert!(
            check_log_group(&json!({"log_group_name": UNKNOWN, "retention_in_days": UNKNOWN}))
                .is_empty()
        );
    }

    #[test]
    fn retention_updates_in_place_and_a_rename_replaces() {
        let t = LogGroup;
        let d = t.diff(
            &json!({"log_group_name": "g", "retention_in_days": 30}),
            &json!({"log_group_name": "g", "retention_in_days": 90}),
        );
        assert_eq!(d.changes.len(), 1);
        assert!(!d.replaces());
        let d = t.diff(
            &json!({"log_group_name": "g"}),
            &json!({"log_group_name": "h"}),
        );
        assert!(d.replaces());
        assert!(
            !d.delete_before_replace,
            "a renamed group can be created before the old one goes"
        );
        assert!(
            t.diff(
                &json!({"log_group_name": "g"}),
                &json!({"log_group_name": "g"})
            )
            .changes
            .is_empty()
        );
    }
}
