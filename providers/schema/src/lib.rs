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
/// in upper case (the key is spelled once: `ROOT_RESOURCE_ID` is
/// `"root_resource_id"`); after a `;`, further items (the keys of a nested
/// object).
macro_rules! keys {
    (
        $(#[$meta:meta])*
        pub mod $module:ident { $($key:ident),* $(,)? $(; $($item:item)*)? }
    ) => {
        $(#[$meta])*
        pub mod $module {
            $(
                #[doc = concat!("`", stringify!($key), "` in lower case.")]
                pub const $key: &str = {
                    const KEY: [u8; stringify!($key).len()] = $crate::lower_case(stringify!($key));
                    match ::core::str::from_utf8(&KEY) {
                        Ok(key) => key,
                        Err(_) => panic!("a key's name is ASCII"),
                    }
                };
            )*

            /// Every key above, in order.
            pub const KEYS: &[&str] = &[$($key),*];
            $($($item)*)?
        }
    };
}

/// `name` in lower case, as `N` bytes (`N` is its length): how [`keys!`]
/// spells a key from its constant's name, at compile time.
#[doc(hidden)]
pub const fn lower_case<const N: usize>(name: &str) -> [u8; N] {
    let name = name.as_bytes();
    let mut lower = [0; N];
    let mut i = 0;
    while i < N {
        lower[i] = name[i].to_ascii_lowercase();
        i += 1;
    }
    lower
}

/// Declares a resource type's module: its token `TYPE`, the keys of its
/// inputs (what the DSL writes and the provider reads) in `input`, and of
/// its outputs (what the provider records) in `output`, or `output =
/// another_type` for a type whose outputs are another's.
macro_rules! resource_type {
    (
        $(#[$meta:meta])*
        pub mod $module:ident = $token:literal {
            input { $($input:tt)* }
            output = $same_as:ident;
        }
    ) => {
        resource_type!(@module $(#[$meta])* $module = $token { $($input)* } {
            /// The keys of the outputs the provider records: another type's.
            pub use super::$same_as::output;
        });
    };
    (
        $(#[$meta:meta])*
        pub mod $module:ident = $token:literal {
            input { $($input:tt)* }
            output { $($output:tt)* }
        }
    ) => {
        resource_type!(@module $(#[$meta])* $module = $token { $($input)* } {
            keys! {
                /// The keys of the outputs the provider records.
                pub mod output { $($output)* }
            }
        });
    };
    (@module $(#[$meta:meta])* $module:ident = $token:literal { $($input:tt)* } { $($output:item)* }) => {
        $(#[$meta])*
        pub mod $module {
            #[doc = concat!("`", $token, "`")]
            pub const TYPE: &str = $token;

            keys! {
                /// The keys of the inputs the DSL writes and the provider reads.
                pub mod input { $($input)* }
            }

            $($output)*
        }
    };
}

/// Declares an enumeration of the values AWS accepts for something, each
/// with its AWS form (a name, a number of days): the enum, `ALL` (every
/// value, in declaration order), `$forms` (the AWS forms, in the same
/// order), `$get` (a value's form) and `$find` (the value of a form), each
/// with the documentation written before it.
macro_rules! enumeration {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $form:literal,)+
        }
        $(#[$forms_meta:meta])* const $forms:ident: [$form_ty:ty];
        $(#[$get_meta:meta])* fn $get:ident;
        $(#[$find_meta:meta])* fn $find:ident($key:ident: $key_ty:ty);
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            $(#[$forms_meta])*
            pub const $forms: &'static [$form_ty] = &[$($form),+];

            $(#[$get_meta])*
            pub const fn $get(self) -> $form_ty {
                match self {
                    $($name::$variant => $form,)+
                }
            }

            $(#[$find_meta])*
            pub fn $find($key: $key_ty) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.$get() == $key)
            }
        }
    };
}

/// Declares an enumeration of the names AWS accepts for something (see
/// [`enumeration!`]): `as_str` (AWS's name), `ALL` and `NAMES` (in the
/// same order) and `from_name`; shown and deserialized as AWS's name.
macro_rules! aws_names {
    ($(#[$meta:meta])* pub enum $name:ident { $($variants:tt)* }) => {
        enumeration! {
            $(#[$meta])*
            pub enum $name { $($variants)* }
            /// AWS's names, in the order of `ALL`.
            const NAMES: [&'static str];
            /// AWS's name for it.
            fn as_str;
            /// The value AWS calls `name` (exactly, case included).
            fn from_name(name: &str);
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
