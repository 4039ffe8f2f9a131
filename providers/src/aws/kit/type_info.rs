//! Building a resource type's [`TypeInfo`]: the token and the default
//! timeouts of its create, update and delete, in minutes.

use meridian_engine::{DefaultTimeouts, TypeInfo};
use std::time::Duration;

/// A resource type `token` whose steps time out after `create`, `update`
/// and `delete` minutes (unless the program sets custom timeouts).
pub fn resource_with_timeouts(token: &str, create: u64, update: u64, delete: u64) -> TypeInfo {
    let minutes = |m: u64| Duration::from_secs(m * 60);
    TypeInfo {
        timeouts: DefaultTimeouts {
            create: minutes(create),
            update: minutes(update),
            delete: minutes(delete),
        },
        ..TypeInfo::resource(token)
    }
}
