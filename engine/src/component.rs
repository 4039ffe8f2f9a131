//! Components and aliases in the resource model: the parent a resource is
//! declared under (a component: a named group of resources, not itself a
//! cloud resource), and the identities a resource had before a rename or a
//! move, so that state follows it instead of replacing it.
//!
//! A child's URN carries its parents' type tokens, as Pulumi's does:
//! `urn:meridian:<stack>::<component type>$<type>::<name>`. Moving a resource
//! into a component (or renaming it) therefore changes its URN; an
//! [`Alias`] names the old one.

use serde::{Deserialize, Serialize};

/// The component a resource (or another component) is declared under.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParentRef {
    /// The component's name (unique among the stack's components).
    pub name: String,
    /// The component's type token (e.g. `meridian:construct:RestApi`).
    pub type_token: String,
    /// Its own parents' type tokens, outermost first (`$`-joined in URNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
}

impl ParentRef {
    /// The type chain a child's URN starts with: the ancestors, then this
    /// component's type.
    pub fn type_chain(&self) -> String {
        let mut chain = self.ancestors.clone();
        chain.push(self.type_token.clone());
        chain.join("$")
    }
}

/// Where a resource was before, for an [`Alias`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasParent {
    /// Under the same parent it has now.
    #[default]
    Same,
    /// At the top of the stack, under no component.
    Root,
    /// Under another component.
    Component(ParentRef),
}

/// An identity a resource had before: an old name, an old parent, or both.
/// A resource whose URN has no record but whose alias has one takes that
/// record over (planned as a move, then `same`/`update` as usual): nothing is
/// replaced or deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The old logical name (`None`: the same name).
    #[serde(default)]
    pub name: Option<String>,
    /// The old parent.
    #[serde(default)]
    pub parent: AliasParent,
}

impl Alias {
    /// The resource was named `name` (under the same parent).
    pub fn name(name: &str) -> Alias {
        Alias {
            name: Some(name.to_string()),
            parent: AliasParent::Same,
        }
    }

    /// The resource was declared at the top of the stack, under no component.
    pub fn root() -> Alias {
        Alias {
            name: None,
            parent: AliasParent::Root,
        }
    }

    /// The resource was named `name` at the top of the stack.
    pub fn root_named(name: &str) -> Alias {
        Alias {
            name: Some(name.to_string()),
            parent: AliasParent::Root,
        }
    }

    /// The old URN this alias names, for a resource of `type_token` named
    /// `name` under `parent` now.
    pub fn urn(
        &self,
        stack: &str,
        type_token: &str,
        name: &str,
        parent: Option<&ParentRef>,
    ) -> String {
        let old_parent = match &self.parent {
            AliasParent::Same => parent,
            AliasParent::Root => None,
            AliasParent::Component(p) => Some(p),
        };
        child_urn(
            stack,
            old_parent,
            type_token,
            self.name.as_deref().unwrap_or(name),
        )
    }
}

/// The URN of a resource named `name` of `type_token` under `parent`.
pub fn child_urn(stack: &str, parent: Option<&ParentRef>, type_token: &str, name: &str) -> String {
    match parent {
        None => crate::model::urn(stack, type_token, name),
        Some(p) => crate::model::urn(stack, &format!("{}${type_token}", p.type_chain()), name),
    }
}

/// `items` grouped by `key`, each group in the order of its first item,
/// after a (possibly empty) group for `first`: how plans and pictures group
/// resources by component (those under none first).
pub(crate) fn grouped<T, K: PartialEq>(
    first: K,
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<(K, Vec<T>)> {
    let mut groups = vec![(first, Vec::new())];
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> ParentRef {
        ParentRef {
            name: "api".into(),
            type_token: "meridian:construct:RestApi".into(),
            ancestors: vec!["app:Region".into()],
        }
    }

    #[test]
    fn a_childs_urn_carries_its_parents_types() {
        assert_eq!(
            child_urn("dev", Some(&api()), "aws:apigateway:Stage", "prod"),
            "urn:meridian:dev::app:Region$meridian:construct:RestApi$aws:apigateway:Stage::prod"
        );
        assert_eq!(
            child_urn("dev", None, "aws:apigateway:Stage", "prod"),
            "urn:meridian:dev::aws:apigateway:Stage::prod"
        );
    }

    #[test]
    fn an_alias_names_the_old_urn() {
        let p = api();
        let ty = "aws:iam:Role";
        assert_eq!(
            Alias::root_named("old-role").urn("dev", ty, "role", Some(&p)),
            "urn:meridian:dev::aws:iam:Role::old-role"
        );
        assert_eq!(
            Alias::name("old-role").urn("dev", ty, "role", Some(&p)),
            child_urn("dev", Some(&p), ty, "old-role")
        );
        assert_eq!(
            Alias::root().urn("dev", ty, "role", Some(&p)),
            "urn:meridian:dev::aws:iam:Role::role"
        );
    }
}
