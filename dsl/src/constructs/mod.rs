//! Constructs: components that declare what the CDK writes for its users.
//! A [`Function`] with its role and log group, a [`RegionalRestApi`] with
//! its routes, deployment, stages and invoke permissions, a
//! [`CustomDomain`] with its base path mapping and latency alias record, and
//! [`GlobalTableRef::grant_read`](crate::aws::dynamodb::GlobalTableRef::grant_read).
//!
//! Every part stays reachable (the handle's fields are the parts' handles)
//! and adjustable for what the construct does not cover: each builder takes
//! a closure per part that receives the part's builder before it is
//! declared (`.role(|role| role.description("..."))`).

mod domain;
mod function;
mod rest_api;

pub use domain::{CustomDomain, CustomDomainRef};
pub use function::{Function, FunctionRef};
pub use rest_api::{RegionalRestApi, RegionalRestApiRef, route_source_path};

/// A change to a part's builder before it is declared.
pub(crate) type Adjust<T> = Option<Box<dyn FnOnce(T) -> T>>;

/// A change to each of a repeated part's builders (one per stage, say).
pub(crate) type AdjustEach<T> = Option<Box<dyn Fn(T) -> T>>;

/// Writes a construct's part adjusters: `method(field): Kind Part;` is
/// `pub fn method(self, adjust: impl Kind(Part) -> Part)` storing it in
/// `field` (`FnOnce` for a part declared once, `Fn` for a repeated one).
macro_rules! adjusters {
    ($($(#[$meta:meta])* $method:ident($field:ident): $kind:ident $part:ty;)*) => {
        $(
            $(#[$meta])*
            pub fn $method(mut self, adjust: impl $kind($part) -> $part + 'static) -> Self {
                self.$field = Some(Box::new(adjust));
                self
            }
        )*
    };
}
pub(crate) use adjusters;

/// `builder` after `adjust`, if one was given.
pub(crate) fn adjusted<T>(adjust: Adjust<T>, builder: T) -> T {
    match adjust {
        Some(f) => f(builder),
        None => builder,
    }
}
