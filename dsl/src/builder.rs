//! What every typed builder shares: [`Builder`], the common options and the
//! inputs set so far, declared on a stack in one call; and [`declared!`],
//! which writes a builder's `Options` and its handle with typed outputs.
//!
//! A builder type is one `declared!` (its struct, its handle, and for a
//! simple one `declare`) plus its own constructors and setters.

use crate::{Common, Input, Region, Stack};
use std::collections::BTreeMap;

/// The common options and the inputs of a resource being built.
#[derive(Clone, Debug)]
pub(crate) struct Builder {
    pub(crate) common: Common,
    inputs: BTreeMap<String, Input>,
}

impl Builder {
    /// A resource named `name`, in the stack's default region.
    pub(crate) fn new(name: &str) -> Self {
        Builder {
            common: Common::new(name),
            inputs: BTreeMap::new(),
        }
    }

    /// A resource named `name`, in `region` when one is given (the region of
    /// the resource it belongs to, say).
    pub(crate) fn in_region(name: &str, region: Option<Region>) -> Self {
        let mut builder = Builder::new(name);
        builder.common.region = region;
        builder
    }

    /// Sets input `key` (replacing any earlier value).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.set(key, value);
        self
    }

    pub(crate) fn set(&mut self, key: &str, value: impl Into<Input>) {
        self.inputs.insert(key.to_string(), value.into());
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.inputs.remove(key);
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Input> {
        self.inputs.get(key)
    }

    /// Sets input `key` to the list, unless it is empty (then the input is
    /// left out, as the provider's default).
    pub(crate) fn set_list(&mut self, key: &str, items: Vec<Input>) {
        if !items.is_empty() {
            self.set(key, Input::List(items));
        }
    }

    /// Sets input `key` to the map, unless it is empty.
    pub(crate) fn set_map(&mut self, key: &str, entries: BTreeMap<String, Input>) {
        if !entries.is_empty() {
            self.set(key, Input::Map(entries));
        }
    }

    /// Adds the declaration of type `type_token` to `stack`; returns its
    /// name.
    pub(crate) fn declare(self, stack: &mut Stack, type_token: &str) -> String {
        self.common.declare(stack, type_token, self.inputs)
    }
}

/// Setters of a builder that chain: `self.with(key, value)`.
pub(crate) trait HasBuilder: Sized {
    fn builder(&mut self) -> &mut Builder;

    /// Sets input `key` and hands the builder back.
    fn with(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.builder().set(key, value);
        self
    }
}

/// Writes a builder type and its handle. The builder `$builder` is a struct
/// with a `core: Builder` field plus the fields in braces (what it collects
/// before declaring), with its `Options` and chained setters. The handle
/// `$handle`, the declared resource, is a struct with the resource's `name`
/// (plus the fields in parentheses, which the builder's `declare` fills),
/// `name()`, and one method per output returning the typed `Output` at
/// `$key`. With `= TYPE` (only for a builder and a handle without fields),
/// it also writes `declare`, which declares the inputs as they are, and
/// `from_core`, the builder of a given core. Attributes go to the type
/// they precede.
///
/// ```text
/// declared! {
///     /// An `aws:logs:LogGroup`.
///     pub struct LogGroup;
///     /// A declared log group.
///     LogGroupRef = TYPE {
///         log_group_name: String = output::LOG_GROUP_NAME;
///         /// The group's ARN.
///         arn: String = output::ARN;
///     }
/// }
/// ```
macro_rules! declared {
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident;
        $(#[$handle_meta:meta])*
        $handle:ident = $type_token:path { $($outputs:tt)* }
    ) => {
        $crate::builder::declared! {
            $(#[$builder_meta])*
            pub struct $builder {}
            $(#[$handle_meta])*
            $handle { $($outputs)* }
        }

        impl $builder {
            fn from_core(core: $crate::builder::Builder) -> Self {
                $builder { core }
            }

            pub fn declare(self, stack: &mut $crate::Stack) -> $handle {
                $handle {
                    name: self.core.declare(stack, $type_token),
                }
            }
        }
    };
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident { $($builder_field:ident: $builder_field_ty:ty),* $(,)? }
        $(#[$handle_meta:meta])*
        $handle:ident $(($($field:ident: $field_ty:ty),+ $(,)?))? {
            $($(#[$output_meta:meta])* $output:ident: $output_ty:ty = $key:expr;)*
        }
    ) => {
        $(#[$builder_meta])*
        pub struct $builder {
            core: $crate::builder::Builder,
            $($builder_field: $builder_field_ty,)*
        }

        impl $crate::Options for $builder {
            fn common(&mut self) -> &mut $crate::Common {
                &mut self.core.common
            }
        }

        impl $crate::builder::HasBuilder for $builder {
            fn builder(&mut self) -> &mut $crate::builder::Builder {
                &mut self.core
            }
        }

        $(#[$handle_meta])*
        #[derive(Clone, Debug)]
        pub struct $handle {
            pub(crate) name: String,
            $($(pub(crate) $field: $field_ty,)+)?
        }

        impl $handle {
            pub fn name(&self) -> &str {
                &self.name
            }
            $(
                $(#[$output_meta])*
                pub fn $output(&self) -> $crate::Output<$output_ty> {
                    $crate::Output::new(&self.name, $key)
                }
            )*
        }
    };
}
pub(crate) use declared;
