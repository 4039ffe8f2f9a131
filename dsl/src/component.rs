//! Components (Pulumi's ComponentResource, the CDK's Construct): a named
//! group of resources under one parent. The parent is part of each child's
//! identity (its URN), groups the plan's `--tree`, is the `parent` of each
//! step in `--json`, and is a cluster in `graph`.

use crate::{ParentRef, Scope, Stack};

/// A component: a named group of resources. Declare its children in
/// [`Component::scope`]; their names usually start with the component's
/// ([`Component::child_name`]). A component is no cloud resource: it has no
/// state of its own, only its children do.
///
/// ```
/// use meridian_dsl::{Component, Stack, null::NullResource};
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let app = Component::new(&mut stack, "example:App", "shop");
/// {
///     let mut scope = app.scope(&mut stack);
///     NullResource::new(&app.child_name("db")).declare(&mut scope);
/// }
/// let db = &stack.resources()[0];
/// assert_eq!(db.name, "shop-db");
/// assert_eq!(db.options.parent.as_ref().map(|p| p.name.as_str()), Some("shop"));
/// ```
#[derive(Clone, Debug)]
pub struct Component {
    parent: ParentRef,
}

impl Component {
    /// A component of type `type_token` (`<package>:<Type>`, say
    /// `meridian:construct:RestApi`) named `name` (after the open scope's
    /// prefix), under the open scope's component if there is one.
    pub fn new(stack: &mut Stack, type_token: &str, name: &str) -> Component {
        let defaults = stack.defaults();
        let ancestors = defaults
            .options
            .parent
            .as_ref()
            .map(|p| p.type_chain().split('$').map(str::to_string).collect())
            .unwrap_or_default();
        Component {
            parent: ParentRef {
                name: format!("{}{name}", defaults.name_prefix),
                type_token: type_token.to_string(),
                ancestors,
            },
        }
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        &self.parent.name
    }

    /// `<component name>-<part>`: the usual name of a child.
    pub fn child_name(&self, part: &str) -> String {
        format!("{}-{part}", self.parent.name)
    }

    /// What its children's `parent` option says.
    pub fn parent_ref(&self) -> &ParentRef {
        &self.parent
    }

    /// A scope whose resources are the component's children (no name
    /// prefix: children are named from the component's name, which already
    /// has the outer one). The outer scope's region and other defaults stay.
    pub fn scope<'a>(&self, stack: &'a mut Stack) -> Scope<'a> {
        let mut defaults = stack.defaults().clone();
        defaults.name_prefix.clear();
        defaults.options.parent = Some(self.parent.clone());
        let scope = Scope::new(stack);
        scope.set(defaults)
    }
}
