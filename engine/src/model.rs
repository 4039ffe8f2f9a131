//! The resource model a program declares: resources with a type token, a
//! logical name, a region, inputs (which may reference other resources'
//! outputs) and options. The DSL builds these; the graph validates them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

mod decl_options;
mod inputs;
mod stack_defaults;
pub use decl_options::DeclOptions;
pub use inputs::{CompactStr, Inputs};
pub use meridian_state::ProviderConfig;
pub use stack_defaults::StackDefaults;

/// Pulumi's sentinel for a value that is not known until a dependency has
/// been applied. It appears only inside resolved inputs during planning.
pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/// True if `v` is, or contains, an unknown value.
pub fn contains_unknown(v: &Value) -> bool {
    match v {
        Value::String(s) => s == UNKNOWN,
        Value::Array(a) => a.iter().any(contains_unknown),
        Value::Object(o) => o.values().any(contains_unknown),
        _ => false,
    }
}

/// An input value: a literal, a reference to another resource's output, or a
/// structure built from them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// A plain JSON value.
    Value(Value),
    /// The output `output` (a key, or a dotted path into the outputs) of the
    /// resource with logical name `resource`.
    Output {
        resource: CompactStr,
        output: CompactStr,
    },
    List(Vec<Input>),
    Map(Inputs),
    /// String interpolation: the parts are resolved and concatenated
    /// (numbers and booleans are written as JSON).
    Concat(Vec<Input>),
    /// A secret: resolves to the inner value, which becomes a known secret
    /// (sealed in the state, `[secret]` in output; see [`crate::secret`]).
    Secret(Box<Input>),
}

impl Input {
    /// Every resource this input references.
    pub fn references(&self, out: &mut Vec<String>) {
        self.each_reference(&mut |name| out.push(name.to_string()));
    }

    /// Calls `found` with the name of every resource this input references
    /// (in order, repeats included), copying nothing.
    pub fn each_reference<'a>(&'a self, found: &mut impl FnMut(&'a str)) {
        match self {
            Input::Value(_) => {}
            Input::Output { resource, .. } => found(resource),
            Input::List(items) | Input::Concat(items) => {
                items.iter().for_each(|i| i.each_reference(found))
            }
            Input::Map(m) => m.values().for_each(|i| i.each_reference(found)),
            Input::Secret(inner) => inner.each_reference(found),
        }
    }

    /// Resolves the input with `lookup(resource, output)`, which returns the
    /// output's value (or [`UNKNOWN`] when it is not known yet).
    pub fn resolve(&self, lookup: &dyn Fn(&str, &str) -> Value) -> Value {
        match self {
            Input::Value(v) => v.clone(),
            Input::Output { resource, output } => lookup(resource, output),
            Input::List(items) => Value::Array(items.iter().map(|i| i.resolve(lookup)).collect()),
            Input::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.resolve(lookup)))
                    .collect(),
            ),
            Input::Concat(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p.resolve(lookup) {
                        Value::String(t) if t == UNKNOWN => return Value::String(UNKNOWN.into()),
                        Value::String(t) => s.push_str(&t),
                        Value::Null => {}
                        other => s.push_str(&other.to_string()),
                    }
                }
                Value::String(s)
            }
            Input::Secret(inner) => {
                let value = inner.resolve(lookup);
                crate::secret::register_value(&value);
                value
            }
        }
    }
}

impl From<Value> for Input {
    fn from(v: Value) -> Self {
        Input::Value(v)
    }
}
impl From<&str> for Input {
    fn from(v: &str) -> Self {
        Input::Value(Value::String(v.to_string()))
    }
}
impl From<String> for Input {
    fn from(v: String) -> Self {
        Input::Value(Value::String(v))
    }
}

/// Looks up a dotted path (`a.b.0.c`) in a JSON value.
pub fn value_at_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(o) => o.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Per-operation time limits that override a provider's defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomTimeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

/// Options any resource can carry (Pulumi's resource options).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceOptions {
    /// Extra dependencies besides those implied by references.
    pub depends_on: Vec<String>,
    /// Refuse any plan that would delete or replace the resource. `None`
    /// takes the type's default (data-bearing types are protected).
    pub protect: Option<bool>,
    /// On delete, forget the resource instead of deleting it in the cloud.
    /// `None` takes the type's default.
    pub retain_on_delete: Option<bool>,
    /// Input properties whose changes are ignored when diffing.
    pub ignore_changes: Vec<String>,
    /// Input properties whose changes force a replacement.
    pub replace_on_changes: Vec<String>,
    /// Replace by deleting first, then creating.
    pub delete_before_replace: bool,
    pub timeouts: CustomTimeouts,
    /// The component it is declared under (part of its URN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<crate::component::ParentRef>,
    /// Identities it had before (renamed, or moved into a component): its
    /// record is taken over instead of being replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<crate::component::Alias>,
    /// The provider configuration (account, role) to manage it through;
    /// `None` takes the stack's default, else the provider's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderConfig>,
    /// The stack's default tags, merged under the resource's own `tags`
    /// when the graph is built (for types that take tags).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_tags: BTreeMap<String, String>,
    /// Import this existing cloud resource (by its import id, docs/import.md)
    /// instead of creating it, when the state has no record of it yet
    /// (Pulumi's `import` option); ignored once it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
}

/// One declared resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceDecl {
    pub name: String,
    pub type_token: String,
    pub region: String,
    pub inputs: Inputs,
    /// Its options (see [`DeclOptions`]: `ResourceOptions::into()`).
    pub options: DeclOptions,
}

impl ResourceDecl {
    /// Logical names this resource depends on (references and depends_on),
    /// sorted and deduplicated.
    pub fn dependencies(&self) -> Vec<String> {
        self.dependency_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// [`Self::dependencies`], borrowed from the declaration.
    pub fn dependency_names(&self) -> Vec<&str> {
        let mut deps = Vec::new();
        for i in self.inputs.values() {
            i.each_reference(&mut |name| deps.push(name));
        }
        deps.extend(self.options.depends_on.iter().map(String::as_str));
        deps.sort_unstable();
        deps.dedup();
        deps
    }
}

/// The stable identity of a resource in a stack.
pub fn urn(stack: &str, type_token: &str, name: &str) -> String {
    // Built in one allocation of the exact size (one per resource).
    const PREFIX: &str = "urn:meridian:";
    let mut urn =
        String::with_capacity(PREFIX.len() + stack.len() + type_token.len() + name.len() + 4);
    for part in [PREFIX, stack, "::", type_token, "::", name] {
        urn.push_str(part);
    }
    urn
}

/// What a scope gives everything declared while it is open (the DSL's
/// `Scope` sets it; builders apply it as they declare): a name prefix and
/// default options (the parent component among them). A resource's own
/// options win; lists (dependencies, aliases, ignored changes) add up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeclDefaults {
    pub name_prefix: String,
    pub options: ResourceOptions,
}

/// A program's declarations for one stack: the resources, the exported
/// outputs, and the configuration it was given.
#[derive(Clone, Debug, Default)]
pub struct Stack {
    name: String,
    config: BTreeMap<String, String>,
    default_region: String,
    resources: Vec<ResourceDecl>,
    outputs: BTreeMap<String, Input>,
    config_read: std::cell::RefCell<Vec<String>>,
    defaults: DeclDefaults,
    /// Stack-wide provider configuration and tags (see [`StackDefaults`]).
    stack_defaults: StackDefaults,
}

impl Stack {
    pub fn new(name: &str, config: BTreeMap<String, String>, default_region: &str) -> Self {
        Stack {
            name: name.to_string(),
            config,
            default_region: default_region.to_string(),
            ..Default::default()
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region a resource gets when it names none.
    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    pub fn set_default_region(&mut self, region: &str) {
        self.default_region = region.to_string();
    }

    /// What the innermost open scope gives the resources declared now.
    pub fn defaults(&self) -> &DeclDefaults {
        &self.defaults
    }

    /// Sets the scope defaults; returns the previous ones (to restore when
    /// the scope closes).
    pub fn set_defaults(&mut self, defaults: DeclDefaults) -> DeclDefaults {
        std::mem::replace(&mut self.defaults, defaults)
    }

    /// The value of configuration key `key` (saved, or `--config
    /// key=value`), as given.
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config_read.borrow_mut().push(key.to_string());
        self.config.get(key).map(String::as_str)
    }

    /// The stack's configuration (saved, then `--config` overrides) read
    /// into the program's own `#[derive(Deserialize)]` type: see
    /// [`crate::config::from_strings`]. Its fields become the keys the
    /// program reads.
    pub fn config<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::config::ConfigError> {
        crate::config::from_strings(&self.config, &mut |fields| {
            let mut read = self.config_read.borrow_mut();
            read.extend(fields.iter().map(|f| f.to_string()));
        })
    }

    /// The configuration the program was given (saved, then `--config`
    /// overrides), every key; what a saved plan fingerprints.
    pub fn config_values(&self) -> &BTreeMap<String, String> {
        &self.config
    }

    /// Every configuration key the program read (sorted, once each).
    pub fn known_config(&self) -> Vec<String> {
        let mut read = self.config_read.borrow().clone();
        read.sort();
        read.dedup();
        read
    }

    /// Config keys that were given but never read by the program.
    pub fn unread_config(&self) -> Vec<String> {
        let read = self.config_read.borrow();
        self.config
            .keys()
            .filter(|k| !read.contains(k))
            .cloned()
            .collect()
    }

    /// Adds a resource declaration.
    pub fn declare(&mut self, decl: ResourceDecl) {
        self.resources.push(decl);
    }

    /// Exports a named stack output.
    pub fn export(&mut self, name: &str, value: impl Into<Input>) {
        self.outputs.insert(name.to_string(), value.into());
    }

    pub fn resources(&self) -> &[ResourceDecl] {
        &self.resources
    }

    /// The declaration named `name`, to adjust after it was declared (a
    /// construct granting access through a role it already declared, say).
    pub fn declared_mut(&mut self, name: &str) -> Option<&mut ResourceDecl> {
        self.resources.iter_mut().find(|d| d.name == name)
    }

    pub fn outputs(&self) -> &BTreeMap<String, Input> {
        &self.outputs
    }

    pub fn into_parts(self) -> (Vec<ResourceDecl>, BTreeMap<String, Input>) {
        (self.stack_defaults.apply(self.resources), self.outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn concat_with_an_unknown_part_is_unknown() {
        let i = Input::Concat(vec![
            "arn:".into(),
            Input::Output {
                resource: "f".into(),
                output: "arn".into(),
            },
        ]);
        let unknown = i.resolve(&|_, _| json!(UNKNOWN));
        assert_eq!(unknown, json!(UNKNOWN));
        let known = i.resolve(&|_, _| json!("x"));
        assert_eq!(known, json!("arn:x"));
    }

    #[test]
    fn dotted_paths_reach_into_objects_and_arrays() {
        let v = json!({"a": {"b": [1, {"c": "d"}]}});
        assert_eq!(value_at_path(&v, "a.b.1.c"), Some(&json!("d")));
        assert_eq!(value_at_path(&v, "a.x"), None);
    }
}
