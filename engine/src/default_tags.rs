//! Default tags: a stack's tags merged into the `tags` input of every
//! resource whose type takes tags ([`TypeInfo::taggable`]), under the
//! resource's own. The engine sees tags as a plain map input (so the plan
//! shows them and the provider's diff decides how they change); what a tag
//! may be is for the provider's `check` to say.

use crate::model::{Input, Inputs, ResourceDecl};
use crate::provider::TypeInfo;
use serde_json::Value;

/// The input every taggable type keeps its tags in (a string map).
pub const TAGS_INPUT: &str = "tags";

/// Merges `decl`'s default tags into its `tags` input when its type takes
/// tags: the resource's own value for a key wins. A `tags` input that is
/// wholly another resource's output is left as it is (its keys are not
/// known until then).
pub fn merge_into(decl: &mut ResourceDecl, info: &TypeInfo) {
    if !info.taggable || decl.options.default_tags.is_empty() {
        return;
    }
    let mut merged: Inputs = decl
        .options
        .default_tags
        .iter()
        .map(|(k, v)| (k.as_str(), Input::from(v.as_str())))
        .collect();
    match decl.inputs.remove(TAGS_INPUT) {
        None | Some(Input::Value(Value::Null)) => {}
        Some(Input::Map(own)) => merged.extend(own),
        Some(Input::Value(Value::Object(own))) => {
            merged.extend(own.into_iter().map(|(k, v)| (k, Input::Value(v))))
        }
        Some(whole) => {
            decl.inputs.insert(TAGS_INPUT.into(), whole);
            return;
        }
    }
    decl.inputs.insert(TAGS_INPUT.into(), Input::Map(merged));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceOptions;
    use serde_json::json;

    fn decl(tags: Option<Input>, defaults: &[(&str, &str)]) -> ResourceDecl {
        ResourceDecl {
            name: "r".into(),
            type_token: "t:t:T".into(),
            region: "us-east-1".into(),
            inputs: tags.map(|t| (TAGS_INPUT, t)).into_iter().collect(),
            options: ResourceOptions {
                default_tags: defaults
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            }
            .into(),
        }
    }

    fn taggable() -> TypeInfo {
        TypeInfo {
            taggable: true,
            ..TypeInfo::resource("t:t:T")
        }
    }

    fn resolved(d: &ResourceDecl) -> Value {
        d.inputs[TAGS_INPUT].resolve(&|_, _| Value::Null)
    }

    #[test]
    fn the_resources_own_tag_wins_over_the_default() {
        let own = Input::Value(json!({"team": "api", "tier": "gold"}));
        let mut d = decl(Some(own), &[("team", "platform"), ("cost-centre", "42")]);
        merge_into(&mut d, &taggable());
        assert_eq!(
            resolved(&d),
            json!({"team": "api", "tier": "gold", "cost-centre": "42"})
        );
    }

    #[test]
    fn a_resource_without_tags_gets_the_defaults() {
        let mut d = decl(None, &[("cost-centre", "42")]);
        merge_into(&mut d, &taggable());
        assert_eq!(resolved(&d), json!({"cost-centre": "42"}));
    }

    #[test]
    fn a_type_that_takes_no_tags_is_left_alone() {
        let mut d = decl(None, &[("cost-centre", "42")]);
        merge_into(&mut d, &TypeInfo::resource("t:t:T"));
        assert!(d.inputs.is_empty());
    }
}
