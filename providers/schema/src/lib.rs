//! Meridian's resource schema, in one place: the type tokens, the input and
//! output keys of each resource type, and the enumerations AWS accepts
//! (regions, Lambda runtimes, log retention periods, ...).
//!
//! The DSL writes declarations with these names and the providers read them,
//! so neither keeps a copy. The crate has no dependencies: the DSL uses it
//! without pulling in the SDK.
//!
//! Each resource type is a module named after it, holding its token and its
//! keys: [`aws::lambda::function::TYPE`],
//! [`aws::lambda::function::input::RUNTIME`],
//! [`aws::lambda::function::output::INVOKE_ARN`]. The enumerations of a
//! service sit next to its types ([`aws::lambda::Runtime`]).
//!
//! ```
//! use meridian_schema::aws::logs::{RetentionDays, log_group};
//!
//! assert_eq!(log_group::TYPE, "aws:logs:LogGroup");
//! assert_eq!(log_group::input::RETENTION_IN_DAYS, "retention_in_days");
//! assert_eq!(RetentionDays::from_days(90), Some(RetentionDays::ThreeMonths));
//! ```

/// Declares a module of keys: a `&str` constant per key, named as the key
/// in upper case; after a `;`, further items (the keys of a nested object).
macro_rules! keys {
    (
        $(#[$meta:meta])*
        pub mod $module:ident { $($key:ident: $value:literal),* $(,)? $(; $($item:item)*)? }
    ) => {
        $(#[$meta])*
        pub mod $module {
            $(
                #[doc = concat!("`\"", $value, "\"`")]
                pub const $key: &str = $value;
            )*
            $($($item)*)?
        }
    };
}

/// Declares a resource type's module: its token `TYPE`, the keys of its
/// inputs (what the DSL writes and the provider reads) in `input`, and of
/// its outputs (what the provider records) in `output`.
macro_rules! resource_type {
    (
        $(#[$meta:meta])*
        pub mod $module:ident = $token:literal {
            input { $($input:tt)* }
            output { $($output:tt)* }
        }
    ) => {
        $(#[$meta])*
        pub mod $module {
            #[doc = concat!("`", $token, "`")]
            pub const TYPE: &str = $token;

            keys! {
                /// The keys of the inputs the DSL writes and the provider reads.
                pub mod input { $($input)* }
            }

            keys! {
                /// The keys of the outputs the provider records.
                pub mod output { $($output)* }
            }
        }
    };
}

/// Declares an enumeration of the names AWS accepts for something: the
/// enum, `as_str` (AWS's name), `ALL` and `NAMES` (in the same order) and
/// `from_name`.
macro_rules! aws_names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $value:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// AWS's names, in the order of `ALL`.
            pub const NAMES: &'static [&'static str] = &[$($value,)+];

            /// AWS's name for it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }

            /// The value AWS calls `name` (exactly, case included).
            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                $name::from_name(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{name:?} is not one of {}",
                        $name::NAMES.join(", ")
                    ))
                })
            }
        }
    };
}

pub mod aws;
mod de;
mod dns;
pub mod null;
mod region;

pub use dns::DnsName;
pub use region::Region;
