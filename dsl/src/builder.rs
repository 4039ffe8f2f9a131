//! What every typed builder shares: [`Builder`], the common options and the
//! inputs set so far, declared on a stack in one call; and [`declared!`],
//! which writes a builder's `Options` and its handle with typed outputs.
//!
//! A builder type is one `declared!` (its struct, its handle, and for a
//! simple one `declare`) plus its own constructors and setters.

use crate::{Common, Input, Inputs, Region, Stack};

/// The common options and the inputs of a resource being built.
#[derive(Clone, Debug)]
pub(crate) struct Builder {
    pub(crate) common: Common,
    inputs: Inputs,
}

impl Builder {
    /// A resource named `name`, in the stack's default region.
    pub(crate) fn new(name: &str) -> Self {
        Builder {
            common: Common::new(name),
            // Room for a typical resource's inputs without growing.
            inputs: Inputs::with_capacity(8),
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
        self.inputs.insert(key.into(), value.into());
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

    /// Appends `item` to list input `key`, which starts as `[item]` if it is
    /// unset (so a list nobody added to is left out, as the provider's
    /// default).
    pub(crate) fn push(&mut self, key: &str, item: Input) {
        match self.inputs.get_mut(key) {
            Some(Input::List(items)) => items.push(item),
            _ => self.set(key, Input::List(vec![item])),
        }
    }

    /// Sets `entry` of map input `key` (replacing an earlier value), which
    /// starts as that one entry if it is unset.
    pub(crate) fn insert(&mut self, key: &str, entry: &str, value: Input) {
        insert_entry(&mut self.inputs, key, entry, value);
    }

    /// Adds the declaration of type `type_token` to `stack`; returns its
    /// name.
    pub(crate) fn declare(self, stack: &mut Stack, type_token: &str) -> String {
        self.common.declare(stack, type_token, self.inputs)
    }
}

/// Sets `entry` of map input `key` in `inputs` (replacing an earlier
/// value), which starts as that one entry if it is unset. Also used on a
/// declared resource's inputs (a grant adding a policy to a role).
pub(crate) fn insert_entry(inputs: &mut Inputs, key: &str, entry: &str, value: Input) {
    match inputs.get_mut(key) {
        Some(Input::Map(entries)) => {
            entries.insert(entry.into(), value);
        }
        _ => {
            let map = Inputs::from([(entry, value)]);
            inputs.insert(key.into(), Input::Map(map));
        }
    }
}

/// The region the stack gave the resource declared last (what its builder
/// resolved to), so dependents can default to it.
pub(crate) fn last_region(stack: &Stack) -> Option<Region> {
    stack
        .resources()
        .last()
        .and_then(|d| Region::parse(&d.region).ok())
}

/// The output key `name` of a resource type whose output keys are `keys`;
/// evaluated when compiling [`declared!`]'s accessors, where a name that is
/// not a key stops the build.
pub(crate) const fn output_key(name: &'static str, keys: &[&'static str]) -> &'static str {
    let mut i = 0;
    while i < keys.len() {
        if keys[i].len() == name.len() {
            let (key, wanted) = (keys[i].as_bytes(), name.as_bytes());
            let mut j = 0;
            while j < key.len() && key[j] == wanted[j] {
                j += 1;
            }
            if j == key.len() {
                return keys[i];
            }
        }
        i += 1;
    }
    panic!("an output accessor is named as none of its type's output keys")
}

/// Setters of a builder that chain: `self.with(key, value)`.
pub(crate) trait HasBuilder: Sized {
    fn builder(&mut self) -> &mut Builder;

    /// Sets input `key` and hands the builder back.
    fn with(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.builder().set(key, value);
        self
    }

    /// Appends `item` to list input `key` (see [`Builder::push`]).
    fn with_item(mut self, key: &str, item: Input) -> Self {
        self.builder().push(key, item);
        self
    }

    /// Sets `entry` of map input `key` (see [`Builder::insert`]).
    fn with_entry(mut self, key: &str, entry: &str, value: Input) -> Self {
        self.builder().insert(key, entry, value);
        self
    }
}

/// Writes a builder type and its handle: everything of a resource type's
/// builder that has the same shape in every type, so that a type's file says
/// only what is its own (its outputs, constructors and setters).
///
/// `pub struct $builder { fields } => $handle (fields) in $schema { outputs }`:
/// the builder `$builder` is a struct with a `core: Builder` field plus the
/// fields in braces (what it collects before declaring), with its `Options`
/// and chained setters. The handle `$handle`, the declared resource, is a
/// struct with the resource's `name` (plus the fields in parentheses, which
/// the builder's `declare` fills), `name()`, and one method per output
/// returning the typed `Output`. An output is named as its key in the
/// schema's module `$schema` (`$schema::output`; a name that is not one of
/// its keys does not compile), or given its key (`api_name: String =
/// output::NAME;`). A builder without fields also gets `from_core`, the
/// builder of a given core; with `= $schema` instead of `in $schema` after
/// a handle without fields or with only `(region: Option<Region>)`,
/// `declare` too, which declares the inputs as they are (and keeps the
/// region the resource resolved to). `pub struct $builder => $handle =
/// $schema;` is a builder whose handle is another type's (the same outputs).
///
/// After it, constructors whose inputs are set as given: `pub fn
/// by_name(zone_name = KEY, ...);` takes the logical name and then, per
/// input, `impl Into<Val<String>>` (or the type written, `principal: &str
/// = KEY`, which must be `Into<Input>`); after a `;`, `KEY = value` inputs
/// every such resource has. Attributes go to the item they precede.
///
/// ```text
/// declared! {
///     /// An `aws:logs:LogGroup`.
///     pub struct LogGroup => LogGroupRef = log_group {
///         log_group_name: String;
///         /// The group's ARN.
///         arn: String;
///     }
///     /// A log group named `log_group_name`.
///     pub fn new(log_group_name = input::LOG_GROUP_NAME);
/// }
/// ```
macro_rules! declared {
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident => $handle:ident = $schema:ident;
        $($ctors:tt)*
    ) => {
        $crate::builder::declared!(@builder $(#[$builder_meta])* $builder {});
        $crate::builder::declared!(@from_core $builder);
        $crate::builder::declared!(@declare $builder $handle () $schema::TYPE);
        $crate::builder::declared!(@constructors $builder $($ctors)*);
    };
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident => $handle:ident $(($($field:ident: $field_ty:ty),+ $(,)?))?
            = $schema:ident { $($outputs:tt)* }
        $($ctors:tt)*
    ) => {
        $crate::builder::declared! {
            $(#[$builder_meta])*
            pub struct $builder => $handle $(($($field: $field_ty),+))? in $schema { $($outputs)* }
            $($ctors)*
        }
        $crate::builder::declared!(@declare $builder $handle ($($($field),+)?) $schema::TYPE);
    };
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident => $handle:ident $(($($field:ident: $field_ty:ty),+ $(,)?))?
            in $schema:ident { $($outputs:tt)* }
        $($ctors:tt)*
    ) => {
        $crate::builder::declared!(@builder $(#[$builder_meta])* $builder {});
        $crate::builder::declared!(
            @handle $builder $handle ($($($field: $field_ty),+)?) $schema { $($outputs)* }
        );
        $crate::builder::declared!(@from_core $builder);
        $crate::builder::declared!(@constructors $builder $($ctors)*);
    };
    (
        $(#[$builder_meta:meta])*
        pub struct $builder:ident { $($builder_field:ident: $builder_field_ty:ty),* $(,)? }
            => $handle:ident $(($($field:ident: $field_ty:ty),+ $(,)?))?
            in $schema:ident { $($outputs:tt)* }
    ) => {
        $crate::builder::declared!(
            @builder $(#[$builder_meta])* $builder { $($builder_field: $builder_field_ty),* }
        );
        $crate::builder::declared!(
            @handle $builder $handle ($($($field: $field_ty),+)?) $schema { $($outputs)* }
        );
    };
    (@builder $(#[$builder_meta:meta])* $builder:ident { $($builder_field:ident: $builder_field_ty:ty),* }) => {
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
    };
    (
        @handle $builder:ident $handle:ident ($($field:ident: $field_ty:ty),*) $schema:ident {
            $($(#[$output_meta:meta])* $output:ident: $output_ty:ty $(= $key:expr)?;)*
        }
    ) => {
        #[doc = concat!("A declared [`", stringify!($builder), "`]: its logical name and typed outputs.")]
        #[derive(Clone, Debug)]
        pub struct $handle {
            pub(crate) name: String,
            $(pub(crate) $field: $field_ty,)*
        }

        impl $handle {
            /// The resource's logical name (what its outputs reference).
            pub fn name(&self) -> &str {
                &self.name
            }
            $(
                $(#[$output_meta])*
                #[doc = concat!("\n\nThe `", stringify!($output), "` output.")]
                pub fn $output(&self) -> $crate::Output<$output_ty> {
                    let key = $crate::builder::declared!(@key $output ($($key)?) $schema);
                    $crate::Output::new(&self.name, key)
                }
            )*
        }
    };
    (@from_core $builder:ident) => {
        impl $builder {
            fn from_core(core: $crate::builder::Builder) -> Self {
                $builder { core }
            }
        }
    };
    (@declare $builder:ident $handle:ident () $type_token:path) => {
        impl $builder {
            /// Adds the resource to `stack`; returns its handle.
            pub fn declare(self, stack: &mut $crate::Stack) -> $handle {
                $handle {
                    name: self.core.declare(stack, $type_token),
                }
            }
        }
    };
    (@declare $builder:ident $handle:ident (region) $type_token:path) => {
        impl $builder {
            /// Adds the resource to `stack`; returns its handle.
            pub fn declare(self, stack: &mut $crate::Stack) -> $handle {
                let name = self.core.declare(stack, $type_token);
                $handle {
                    name,
                    region: $crate::builder::last_region(stack),
                }
            }
        }
    };
    (@constructors $builder:ident) => {};
    (
        @constructors $builder:ident
        $(
            $(#[$ctor_meta:meta])*
            pub fn $ctor:ident(
                $($param:ident $(: $param_ty:ty)? = $key:expr),* $(,)?
                $(; $($fixed_key:path = $fixed_value:expr),+ $(,)?)?
            );
        )+
    ) => {
        impl $builder {
            $(
                $(#[$ctor_meta])*
                pub fn $ctor(
                    name: &str,
                    $($param: $crate::builder::declared!(@param_type $($param_ty)?)),*
                ) -> Self {
                    let core = $crate::builder::Builder::new(name)
                        $(.with($key, $crate::builder::declared!(@param_input $param $($param_ty)?)))*
                        $($(.with($fixed_key, $fixed_value))+)?;
                    Self::from_core(core)
                }
            )+
        }
    };
    (@key $output:ident () $schema:ident) => {{
        // A constant item, so that checking the crate evaluates it.
        const KEY: &str = $crate::builder::output_key(stringify!($output), $schema::output::KEYS);
        KEY
    }};
    (@key $output:ident ($key:expr) $schema:ident) => { $key };
    (@param_type) => { impl Into<$crate::Val<String>> };
    (@param_type $param_ty:ty) => { $param_ty };
    (@param_input $param:ident) => { Into::<$crate::Val<String>>::into($param) };
    (@param_input $param:ident $param_ty:ty) => { $param };
}
pub(crate) use declared;

#[cfg(test)]
mod tests {
    use super::output_key;

    #[test]
    fn an_output_accessor_is_named_as_one_of_its_types_keys() {
        let keys = ["id", "arn", "arns"];
        assert_eq!(output_key("arn", &keys), "arn");
        assert_eq!(output_key("arns", &keys), "arns");
    }

    #[test]
    #[should_panic(expected = "named as none of its type's output keys")]
    fn a_name_that_is_no_key_is_refused() {
        output_key("ar", &["id", "arn"]);
    }
}
