//! The typed builders users write to declare a Meridian resource graph.
//!
//! The DSL only builds the graph: each builder turns typed arguments into a
//! [`ResourceDecl`] on a [`Stack`], and returns a handle whose outputs are
//! typed [`Output`]s. Passing an output to another builder records the
//! dependency, so `depends_on` is rarely needed. Required inputs are
//! constructor arguments, regions are [`Region`]s, and an output of the wrong
//! type does not compile; everything else is checked when the graph is built.
//!
//! ```
//! use meridian_dsl::{Options, Region, Stack, null::NullResource};
//!
//! let mut stack = Stack::new("dev", Default::default(), "us-east-1");
//! let a = NullResource::new("a").input("greeting", "hello").declare(&mut stack);
//! let b = NullResource::new("b")
//!     .input("from_a", a.output::<String>("greeting"))
//!     .region(Region::EU_WEST_1)
//!     .declare(&mut stack);
//! stack.export("b_id", b.id());
//! assert_eq!(stack.resources().len(), 2);
//! ```
//!
//! A [`Scope`] gives what is declared through it a region, a name prefix
//! and default options; a [`Component`] groups resources under a parent
//! (part of their identity, shown in plans and pictures); the
//! [`constructs`] are components that declare what the CDK writes for its
//! users (a function with its role and log group, a REST API with its
//! deployment, stages and permissions, a custom domain). [`Options::aliases`]
//! renames a resource or moves it into a component without replacing it.
//!
//! Mistakes the compiler catches. A required input left out:
//!
//! ```compile_fail
//! use meridian_dsl::{Stack, aws::route53::HostedZone};
//! let mut stack = Stack::new("dev", Default::default(), "us-east-1");
//! HostedZone::new("zone").declare(&mut stack); // the zone name is required
//! ```
//!
//! A string where a region belongs:
//!
//! ```compile_fail
//! use meridian_dsl::{Options, Stack, null::NullResource};
//! let mut stack = Stack::new("dev", Default::default(), "us-east-1");
//! NullResource::new("a").region("eu-west-1").declare(&mut stack); // needs a Region
//! ```
//!
//! An output of the wrong type (a zone's name servers are a list, not the
//! zone id a certificate validates in):
//!
//! ```compile_fail
//! use meridian_dsl::{Stack, aws::{acm::Certificate, route53::HostedZone}};
//! let mut stack = Stack::new("dev", Default::default(), "us-east-1");
//! let zone = HostedZone::new("zone", "api.example.com").declare(&mut stack);
//! Certificate::new("cert", "api.example.com", zone.name_servers()).declare(&mut stack);
//! ```
//!
//! The same three, written right, compile:
//!
//! ```
//! use meridian_dsl::{Options, Region, Stack, aws::{acm::Certificate, route53::HostedZone}};
//! let mut stack = Stack::new("dev", Default::default(), "us-east-1");
//! let zone = HostedZone::new("zone", "api.example.com").declare(&mut stack);
//! Certificate::new("cert", "api.example.com", zone.zone_id())
//!     .region(Region::EU_WEST_1)
//!     .declare(&mut stack);
//! ```
//!
//! Everything else (a reference to an undeclared resource, a cycle, a value
//! the provider rejects, such as a log retention AWS does not allow) fails
//! when the graph is built, before any cloud call, with a message naming the
//! resource.

#![warn(missing_docs)]

mod accounts;
pub mod aws;
mod builder;
mod component;
pub mod constructs;
pub mod null;
mod scope;

pub use accounts::WithProvider;
pub use component::Component;
pub use meridian_engine::{
    Alias, AliasParent, CompactStr, CustomTimeouts, DeclOptions, Input, Inputs, ParentRef,
    ProviderConfig, ResourceDecl, ResourceOptions, Stack,
};
/// The schema the DSL writes and the providers read (type tokens, keys,
/// the enumerations AWS accepts).
pub use meridian_schema as schema;
pub use meridian_schema::{DnsName, Region};
pub use scope::Scope;

use serde::Serialize;
use serde_json::Value;
use std::marker::PhantomData;

/// A typed reference to one output of a declared resource. Using it as an
/// input makes the consumer depend on that resource.
#[derive(Debug)]
pub struct Output<T> {
    resource: String,
    path: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Output<T> {
    fn clone(&self) -> Self {
        Output {
            resource: self.resource.clone(),
            path: self.path.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> Output<T> {
    /// The output at `path` of the resource named `resource`.
    pub fn new(resource: &str, path: &str) -> Self {
        Output {
            resource: resource.to_string(),
            path: path.to_string(),
            _type: PhantomData,
        }
    }

    /// The logical name of the resource the output belongs to.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The output as an input of another resource (a reference: a dependency).
    pub fn input(&self) -> Input {
        Input::Output {
            resource: self.resource.as_str().into(),
            output: self.path.as_str().into(),
        }
    }

    /// This output, marked secret: sealed in the state and shown as
    /// `[secret]` wherever it (or anything derived from it) appears.
    pub fn secret(&self) -> Val<T> {
        Val::Computed(secret(self))
    }
}

/// `value` marked secret (see [`Output::secret`]). Values of secret
/// configuration keys are secret already.
pub fn secret(value: impl Into<Input>) -> Input {
    Input::Secret(Box::new(value.into()))
}

impl<T> From<Output<T>> for Input {
    fn from(o: Output<T>) -> Input {
        o.input()
    }
}

impl<T> From<&Output<T>> for Input {
    fn from(o: &Output<T>) -> Input {
        o.input()
    }
}

/// A value of type `T` that is either known now or the output of another
/// resource.
#[derive(Debug, Clone)]
pub enum Val<T> {
    /// A value known now.
    Known(T),
    /// Another resource's output.
    Output(Output<T>),
    /// Built from other inputs (e.g. [`interpolate`]).
    Computed(Input),
}

impl<T: Serialize> Val<T> {
    /// The value as an input.
    pub fn input(&self) -> Input {
        match self {
            Val::Known(v) => Input::Value(serde_json::to_value(v).unwrap_or(Value::Null)),
            Val::Output(o) => o.input(),
            Val::Computed(i) => i.clone(),
        }
    }
}

impl<T: Serialize> From<Val<T>> for Input {
    fn from(v: Val<T>) -> Input {
        v.input()
    }
}

impl<T> From<Output<T>> for Val<T> {
    fn from(o: Output<T>) -> Self {
        Val::Output(o)
    }
}
impl<T> From<&Output<T>> for Val<T> {
    fn from(o: &Output<T>) -> Self {
        Val::Output(o.clone())
    }
}
/// `Val::Known` from a value of the type itself (or something that converts
/// into it, like a `&str` into a `String`).
macro_rules! known_from {
    ($($from:ty => $to:ty),+ $(,)?) => {
        $(impl From<$from> for Val<$to> {
            fn from(v: $from) -> Self {
                Val::Known(v.into())
            }
        })+
    };
}
known_from!(
    &str => String,
    String => String,
    &String => String,
    i64 => i64,
    bool => bool,
    Vec<String> => Vec<String>,
);

/// String interpolation over known strings and outputs, like Pulumi's
/// `interpolate`: `interpolate(["https://", domain.into(), "/"])`.
pub fn interpolate<I: IntoIterator<Item = Input>>(parts: I) -> Val<String> {
    Val::Computed(Input::Concat(parts.into_iter().collect()))
}

/// The resource options every builder accepts, in one place.
#[derive(Clone, Debug, Default)]
pub struct Common {
    /// The resource's logical name (after the open scope's prefix when declared).
    pub name: String,
    /// Its region (default: the open scope's, else the stack's).
    pub region: Option<Region>,
    /// Its resource options (stored only once one is set: a builder is
    /// moved at every chained call).
    pub options: DeclOptions,
}

impl Common {
    /// The options of a resource named `name`, all defaults.
    pub fn new(name: &str) -> Self {
        Common {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Adds the declaration to `stack` with the given type and inputs.
    pub fn declare(self, stack: &mut Stack, type_token: &str, inputs: impl Into<Inputs>) -> String {
        let region = match &self.region {
            Some(r) => r.as_str().to_string(),
            None => stack.default_region().to_string(),
        };
        let defaults = stack.defaults();
        let name = if defaults.name_prefix.is_empty() {
            self.name
        } else {
            let mut prefixed = defaults.name_prefix.clone();
            prefixed.push_str(&self.name);
            prefixed
        };
        let options = if defaults.options == ResourceOptions::default() {
            // No scope gives options (the common case): nothing to fill in.
            self.options
        } else {
            scope::apply_defaults(self.options.into_inner(), &defaults.options).into()
        };
        let mut inputs = inputs.into();
        inputs.shrink_to_fit();
        stack.declare(ResourceDecl {
            name: name.clone(),
            type_token: type_token.to_string(),
            region,
            inputs,
            options,
        });
        name
    }
}

/// Builder methods for the options every resource has. Builders implement
/// `common()`; the rest comes for free.
pub trait Options: Sized {
    /// The builder's common part (name, region, options).
    fn common(&mut self) -> &mut Common;

    /// The region to create the resource in (default: the stack's).
    fn region(mut self, region: Region) -> Self {
        self.common().region = Some(region);
        self
    }
    /// Depend on another resource without referencing its outputs.
    fn depends_on(self, resource: &str) -> Self {
        with_options(self, |o| o.depends_on.push(resource.to_string()))
    }
    /// Refuse any plan that would delete or replace it (`false` opts out of
    /// a data-bearing type's default protection).
    fn protect(self, protect: bool) -> Self {
        with_options(self, |o| o.protect = Some(protect))
    }
    /// Forget instead of deleting it in the cloud on delete.
    fn retain_on_delete(self, retain: bool) -> Self {
        with_options(self, |o| o.retain_on_delete = Some(retain))
    }
    /// Ignore changes to input `property` (and anything under it) when
    /// diffing.
    fn ignore_changes(self, property: &str) -> Self {
        with_options(self, |o| o.ignore_changes.push(property.to_string()))
    }
    /// Replace the resource (instead of updating it) when input `property`
    /// (or anything under it) changes.
    fn replace_on_changes(self, property: &str) -> Self {
        with_options(self, |o| o.replace_on_changes.push(property.to_string()))
    }
    /// Replace by deleting first, then creating.
    fn delete_before_replace(self) -> Self {
        with_options(self, |o| o.delete_before_replace = true)
    }
    /// Time limits for the resource's operations.
    fn timeouts(self, timeouts: CustomTimeouts) -> Self {
        with_options(self, |o| o.timeouts = timeouts)
    }
    /// Identities the resource had before (old names, old parents): its
    /// record is taken over, so a rename or a move into a component replaces
    /// nothing. The plan shows the move (`[moved from <old URN>]`).
    ///
    /// ```
    /// use meridian_dsl::{Alias, Options, Stack, null::NullResource};
    /// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
    /// NullResource::new("new-name").aliases([Alias::name("old-name")]).declare(&mut stack);
    /// assert_eq!(stack.resources()[0].options.aliases, [Alias::name("old-name")]);
    /// ```
    fn aliases(self, aliases: impl IntoIterator<Item = Alias>) -> Self {
        with_options(self, |o| o.aliases.extend(aliases))
    }
    /// Declares the resource as a child of `component` (usually done by
    /// declaring it in [`Component::scope`]).
    fn parent(self, component: &Component) -> Self {
        with_options(self, |o| o.parent = Some(component.parent_ref().clone()))
    }
    /// Import the existing cloud resource `id` (its import id: docs/import.md)
    /// instead of creating one, while the state does not record it yet
    /// (Pulumi's `import` option): `preview` shows `= import`, `up` records
    /// it and then applies only in-place changes. Ignored once recorded.
    ///
    /// ```
    /// use meridian_dsl::{Options, Stack, null::NullResource};
    /// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
    /// NullResource::new("adopted").import_id("existing-id").declare(&mut stack);
    /// let options = &stack.resources()[0].options;
    /// assert_eq!(options.import_id.as_deref(), Some("existing-id"));
    /// ```
    fn import_id(self, id: &str) -> Self {
        with_options(self, |o| o.import_id = Some(id.to_string()))
    }
}

/// `builder` with its resource options changed by `change`.
fn with_options<B: Options>(mut builder: B, change: impl FnOnce(&mut ResourceOptions)) -> B {
    change(&mut builder.common().options);
    builder
}

/// Helpers to read single configuration values with defaults (a program's
/// whole configuration reads best into its own type: `stack.config()`).
pub trait ConfigExt {
    /// The value of `key`, or `default` when it was not given.
    fn config_or(&self, key: &str, default: &str) -> String;
    /// A comma-separated list, trimmed, empty items dropped.
    fn config_list_or(&self, key: &str, default: &str) -> Vec<String>;
}

impl ConfigExt for Stack {
    fn config_or(&self, key: &str, default: &str) -> String {
        self.config_value(key).unwrap_or(default).to_string()
    }
    fn config_list_or(&self, key: &str, default: &str) -> Vec<String> {
        self.config_or(key, default)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}
