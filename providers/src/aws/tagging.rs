//! A resource's own tags: its `tags` input (the program's tags, with the
//! stack's default tags merged in by the engine), for every AWS type that
//! takes tags. Checked before any call; written after the type's create and
//! update (everything wanted set, anything no longer wanted removed); read
//! back with the cloud's other inputs. Each service's tagging API is one
//! arm of [`TagTarget`]. Meridian's identity tags (`meridian:*`) are kept
//! apart: no user tag may name them, and reading back leaves them out.

use crate::aws::Call;
use crate::aws::kit::{SdkResultExt, call};
use meridian_engine::{CheckFailure, ProviderError, ReadResult, UNKNOWN};
use meridian_schema::aws::accounts::{RESERVED_TAG_PREFIXES, check_tag};
use meridian_schema::aws::{
    acm::certificate, apigateway, dynamodb::global_table, iam::role, lambda::function,
    logs::log_group, route53::hosted_zone,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The input a taggable type keeps its tags in.
pub const TAGS: &str = meridian_engine::default_tags::TAGS_INPUT;

/// The most tags AWS lets a resource carry (some services allow more).
const MAX_TAGS: usize = 50 - 2;

/// Every AWS type that takes tags.
pub const TAGGABLE: [&str; 9] = [
    log_group::TYPE,
    role::TYPE,
    function::TYPE,
    global_table::TYPE,
    certificate::TYPE,
    hosted_zone::TYPE,
    apigateway::rest_api::TYPE,
    apigateway::stage::TYPE,
    apigateway::domain_name::TYPE,
];

/// Checks the `tags` input: a map of strings, each tag one AWS accepts and
/// none of Meridian's or AWS's reserved keys, at most `MAX_TAGS` (AWS's
/// 50 less Meridian's two identity tags).
pub fn check_tags(inputs: &Value) -> Vec<CheckFailure> {
    let fail = |reason: String| vec![CheckFailure::new(TAGS, reason)];
    let tags = match inputs.get(TAGS) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::String(s)) if s == UNKNOWN => return Vec::new(),
        Some(Value::Object(tags)) => tags,
        Some(other) => return fail(format!("must be a map of tag keys to strings, not {other}")),
    };
    if tags.len() > MAX_TAGS {
        return fail(format!(
            "has {} tags; AWS allows 50 per resource, two of them Meridian's own, so at most {MAX_TAGS}",
            tags.len()
        ));
    }
    tags.iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) if s == UNKNOWN => None,
            Value::String(s) => check_tag(k, s).err(),
            other => Some(format!("tag {k:?} must be a string, not {other}")),
        })
        .map(|reason| CheckFailure::new(TAGS, reason))
        .collect()
}

/// The tags `inputs` asks for.
fn wanted(inputs: &Value) -> BTreeMap<String, String> {
    inputs
        .get(TAGS)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a tag is the user's (not Meridian's identity tags, not AWS's).
fn is_users(key: &str) -> bool {
    !RESERVED_TAG_PREFIXES
        .iter()
        .any(|p| key.to_ascii_lowercase().starts_with(p))
}

/// Where a resource's tags are written: one arm per service's tagging API.
#[derive(Clone, Debug, PartialEq)]
pub enum TagTarget {
    Logs(String),
    IamRole(String),
    Lambda(String),
    DynamoDb(String),
    Acm(String),
    Route53Zone(String),
    ApiGateway(String),
}

impl TagTarget {
    /// The tag target of a resource of type `token` with `id` and
    /// `outputs`; `None` for a type without tags.
    pub fn of(token: &str, id: &str, outputs: &Value) -> Option<TagTarget> {
        let output = |key: &str| outputs.get(key).and_then(Value::as_str).map(str::to_string);
        let arn = || output("arn");
        Some(match token {
            t if t == log_group::TYPE => TagTarget::Logs(arn()?),
            t if t == role::TYPE => TagTarget::IamRole(output(role::output::ROLE_NAME)?),
            t if t == function::TYPE => TagTarget::Lambda(arn()?),
            t if t == global_table::TYPE => TagTarget::DynamoDb(arn()?),
            t if t == certificate::TYPE => TagTarget::Acm(arn().unwrap_or_else(|| id.into())),
            t if t == hosted_zone::TYPE => {
                TagTarget::Route53Zone(id.trim_start_matches("/hostedzone/").to_string())
            }
            t if t == apigateway::rest_api::TYPE
                || t == apigateway::stage::TYPE
                || t == apigateway::domain_name::TYPE =>
            {
                TagTarget::ApiGateway(arn()?)
            }
            _ => return None,
        })
    }

    /// Removes the tags named `remove`, then sets `set` (adding or
    /// overwriting each): one retried call per change, per service.
    async fn write(
        &self,
        c: Call<'_>,
        set: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<(), ProviderError> {
        let Call { aws, ctx } = c;
        let map: HashMap<String, String> = set.clone().into_iter().collect();
        let keys = Some(remove.to_vec());
        let what = format!("tagging {self:?}");
        let (removing, setting) = (!remove.is_empty(), !set.is_empty());
        // Sends the request `$r` (built anew for each attempt), retried,
        // when `$when` holds.
        macro_rules! send_if {
            ($when:expr, $r:expr) => {
                if $when {
                    call(ctx, || async { $r.send().await.map(drop).aws(&what) }).await?;
                }
            };
        }
        // The services that untag by key: `$untag` the keys, then `$tag`
        // the tags `$tags` (a string map, or the SDK's own `Tag` type), of
        // the resource `$id($target)`.
        macro_rules! untag_then_tag {
            ($client:expr, $untag:ident, $tag:ident, $id:ident($target:expr), $tags:expr) => {{
                let (client, tags) = ($client, $tags);
                send_if! { removing, client.$untag().$id($target).set_tag_keys(keys.clone()) }
                send_if! { setting, client.$tag().$id($target).set_tags(Some(tags.clone())) }
            }};
        }
        // A service's `Tag` type, `$tag`, from `set`.
        macro_rules! sdk_tags {
            ($tag:ty) => {
                sdk_tags(set, |k, v| <$tag>::builder().key(k).value(v).build())?
            };
        }
        match self {
            TagTarget::Logs(arn) => {
                untag_then_tag! { aws.logs(&ctx.region).await, untag_resource, tag_resource, resource_arn(arn), map }
            }
            TagTarget::Lambda(arn) => {
                untag_then_tag! { aws.lambda(&ctx.region).await, untag_resource, tag_resource, resource(arn), map }
            }
            TagTarget::ApiGateway(arn) => {
                untag_then_tag! { aws.apigateway(&ctx.region).await, untag_resource, tag_resource, resource_arn(arn), map }
            }
            TagTarget::IamRole(name) => {
                untag_then_tag! { aws.iam().await, untag_role, tag_role, role_name(name), sdk_tags!(aws_sdk_iam::types::Tag) }
            }
            TagTarget::DynamoDb(arn) => {
                untag_then_tag! { aws.dynamodb(&ctx.region).await, untag_resource, tag_resource, resource_arn(arn), sdk_tags!(aws_sdk_dynamodb::types::Tag) }
            }
            TagTarget::Acm(arn) => {
                use aws_sdk_acm::types::Tag;
                let tags = sdk_tags!(Tag);
                // ACM removes by `Tag` too (a key without a value).
                let gone = remove
                    .iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ProviderError::permanent(format!("building a tag: {e}")))?;
                let acm = aws.acm(&ctx.region).await;
                send_if! { removing, acm.remove_tags_from_certificate().certificate_arn(arn).set_tags(Some(gone.clone())) }
                send_if! { setting, acm.add_tags_to_certificate().certificate_arn(arn).set_tags(Some(tags.clone())) }
            }
            TagTarget::Route53Zone(id) => {
                use aws_sdk_route53::types::{Tag, TagResourceType};
                let tags = sdk_tags(set, |k, v| {
                    Ok::<_, std::convert::Infallible>(Tag::builder().key(k).value(v).build())
                })?;
                let route53 = aws.route53().await;
                // One call does both: ChangeTagsForResource adds and removes.
                send_if! { true, route53.change_tags_for_resource().resource_type(TagResourceType::Hostedzone).resource_id(id).set_add_tags(setting.then(|| tags.clone())).set_remove_tag_keys(keys.clone().filter(|_| removing)) }
            }
        }
        Ok(())
    }

    /// Every tag the resource carries now (Meridian's included).
    pub async fn list(&self, c: Call<'_>) -> Result<BTreeMap<String, String>, ProviderError> {
        let Call { aws, ctx } = c;
        let what = format!("listing the tags of {self:?}");
        // Sends `$client`'s request `$r` (built anew for each attempt),
        // retried, and turns its answer `$out` into `(key, value)` pairs.
        macro_rules! listed {
            ($client:expr, |$c:ident| $r:expr, |$out:ident| $pairs:expr) => {{
                let $c = $client;
                let $out = call(ctx, || async { $r.send().await.aws(&what) }).await?;
                $pairs
            }};
        }
        let pairs: Vec<(String, String)> = {
            use aws_sdk_route53::types::TagResourceType::Hostedzone;
            match self {
                TagTarget::Logs(arn) => {
                    listed! { aws.logs(&ctx.region).await, |logs| logs.list_tags_for_resource().resource_arn(arn), |out| map(out.tags()) }
                }
                TagTarget::Lambda(arn) => {
                    listed! { aws.lambda(&ctx.region).await, |lambda| lambda.list_tags().resource(arn), |out| map(out.tags()) }
                }
                TagTarget::ApiGateway(arn) => {
                    listed! { aws.apigateway(&ctx.region).await, |apigw| apigw.get_tags().resource_arn(arn), |out| map(out.tags()) }
                }
                TagTarget::IamRole(name) => {
                    listed! { aws.iam().await, |iam| iam.list_role_tags().role_name(name).max_items(100),
                    |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect() }
                }
                TagTarget::DynamoDb(arn) => {
                    listed! { aws.dynamodb(&ctx.region).await, |ddb| ddb.list_tags_of_resource().resource_arn(arn),
                    |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect() }
                }
                TagTarget::Acm(arn) => {
                    listed! { aws.acm(&ctx.region).await, |acm| acm.list_tags_for_certificate().certificate_arn(arn),
                    |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().unwrap_or("").to_string())).collect() }
                }
                TagTarget::Route53Zone(id) => {
                    listed! { aws.route53().await, |r53| r53.list_tags_for_resource().resource_type(Hostedzone).resource_id(id),
                    |out| out.resource_tag_set().map(|s| s.tags()).unwrap_or_default().iter()
                        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect() }
                }
            }
        };
        Ok(pairs.into_iter().collect())
    }
}

/// Where the tags of a resource of type `token` are written, from the
/// first of `outputs` that says (an update's answer, then the recorded
/// outputs); `None` for a type without tags. A taggable type whose outputs
/// do not say is an error, never tags silently left unwritten.
pub fn target(
    token: &str,
    id: &str,
    outputs: &[&Value],
) -> Result<Option<TagTarget>, ProviderError> {
    if !TAGGABLE.contains(&token) {
        return Ok(None);
    }
    outputs
        .iter()
        .find_map(|o| TagTarget::of(token, id, o))
        .map(Some)
        .ok_or_else(|| {
            ProviderError::permanent(format!(
                "cannot tell where to write the tags of {token} {id}: its outputs name no ARN"
            ))
        })
}

/// The pairs of a string map of tags (as the services that answer one do).
fn map(tags: Option<&HashMap<String, String>>) -> Vec<(String, String)> {
    tags.cloned().unwrap_or_default().into_iter().collect()
}

/// The tags as one service's SDK tag type: `build` is that service's
/// `Tag::builder().key(k).value(v).build()`.
fn sdk_tags<T, E: std::fmt::Display>(
    tags: &BTreeMap<String, String>,
    build: impl Fn(&str, &str) -> Result<T, E>,
) -> Result<Vec<T>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            build(k, v).map_err(|e| ProviderError::permanent(format!("building a tag: {e}")))
        })
        .collect()
}

/// Brings the resource's tags from what `old_inputs` asked for to what
/// `new_inputs` asks for (`Value::Null` after a create): when they differ,
/// removes the keys no longer wanted and sets every wanted tag (which also
/// restores one changed outside Meridian). Nothing is called when they are
/// the same.
pub async fn apply(
    c: Call<'_>,
    target: &TagTarget,
    old_inputs: &Value,
    new_inputs: &Value,
) -> Result<(), ProviderError> {
    let (old, new) = (wanted(old_inputs), wanted(new_inputs));
    if old == new {
        return Ok(());
    }
    let gone: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    c.ctx.status(&format!("tagging ({} tags)", new.len()));
    target.write(c, &new, &gone).await
}

/// Adds the resource's own tags, as the cloud has them, to the inputs a
/// read reports (none: no `tags` input).
pub async fn read_into(
    c: Call<'_>,
    target: &TagTarget,
    found: &mut ReadResult,
) -> Result<(), ProviderError> {
    let Some(Value::Object(inputs)) = found.inputs.as_mut() else {
        return Ok(());
    };
    let tags: Map<String, Value> = target
        .list(c)
        .await?
        .into_iter()
        .filter(|(k, _)| is_users(k))
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if tags.is_empty() {
        inputs.remove(TAGS);
    } else {
        inputs.insert(TAGS.into(), Value::Object(tags));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_a_map_of_valid_strings_without_reserved_keys() {
        assert!(check_tags(&json!({})).is_empty());
        assert!(check_tags(&json!({"tags": {"team": "api", "x": UNKNOWN}})).is_empty());
        assert!(check_tags(&json!({"tags": UNKNOWN})).is_empty());
        let f = check_tags(&json!({"tags": {"meridian:urn": "x"}}));
        assert!(f[0].reason.contains("cannot be overridden"), "{f:?}");
        assert_eq!(check_tags(&json!({"tags": ["a"]})).len(), 1);
        assert_eq!(check_tags(&json!({"tags": {"n": 1}})).len(), 1);
        let many: Map<String, Value> = (0..49).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(
            check_tags(&json!({ "tags": many }))[0]
                .reason
                .contains("at most 48")
        );
    }

    #[test]
    fn every_taggable_type_has_a_target_from_its_outputs() {
        let outputs = json!({"arn": "arn:x", "role_name": "r"});
        for token in TAGGABLE {
            assert!(TagTarget::of(token, "Z1", &outputs).is_some(), "{token}");
        }
        assert_eq!(
            TagTarget::of(hosted_zone::TYPE, "/hostedzone/Z1", &outputs),
            Some(TagTarget::Route53Zone("Z1".into()))
        );
        assert_eq!(TagTarget::of("aws:route53:Record", "x", &outputs), None);
    }

    #[test]
    fn reserved_keys_are_not_the_users() {
        assert!(is_users("team"));
        assert!(!is_users("meridian:urn"));
        assert!(!is_users("aws:cloudformation:stack-name"));
    }
}
