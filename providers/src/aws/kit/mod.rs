//! The AWS provider kit: what every AWS resource type is built from.
//!
//! - [`clients`]: one SDK client per service and region ([`Clients`]);
//! - [`error`]: [`AwsError`], the SDK's error classified once (code, HTTP
//!   status, request id), and its conversion into the engine's error;
//! - [`retry`](mod@retry): the one backoff loop with named [`Policy`]s and predicates;
//! - [`waiter`]: the one waiter ([`wait_for`]), reporting to the progress
//!   line and honouring the step's deadline;
//! - [`consistency`]: reading what was just created ([`read_after_create`]);
//! - [`diff`](mod@diff): diffing normalized inputs ([`normalized_diff`],
//!   [`named_diff`] for a type whose name is its identity);
//! - [`pages`]: searching a paginated listing until found ([`find_in_pages`]);
//! - [`adopt`]: create-or-adopt and read-by-id-or-identity over
//!   [`Managed`], and [`create_once`];
//! - [`tags`], [`naming`], [`account`], [`inputs`], [`type_info`]: identity
//!   tags, generated names, the caller's account id, input accessors, a
//!   type's default timeouts;
//! - [`provider_config`]: the clients of a provider configuration (an
//!   assumed role, a profile); `user_tags`: a resource's own tags (the
//!   stack's default tags merged in), checked, written and read back.
//!
//! A new resource type is one file: a [`ResourceType`](super::ResourceType)
//! whose create and read go through [`create_or_adopt`] and
//! [`read_by_id_or_identity`], with every SDK call's error mapped by
//! [`SdkResultExt::aws`] and retried by a [`Policy`].

pub mod account;
pub mod adopt;
pub mod clients;
pub mod consistency;
pub mod diff;
pub mod error;
pub mod inputs;
pub mod naming;
pub mod pages;
pub mod provider_config;
pub mod retry;
pub mod tags;
pub mod type_info;
pub mod waiter;

pub use account::caller_account_id;
pub use adopt::{
    Managed, Outcome, create_once, create_or_adopt, read_by_id_or_identity, refuse_hint,
};
pub use clients::{Clients, env_loader, http_client};
pub use consistency::read_after_create;
pub use diff::{named_diff, normalized_diff};
pub use error::{
    AwsError, Failure, NotFoundExt, SdkResultExt, error_code, sdk_error, transient_when,
};
pub use inputs::{
    check_given_str, check_required_str, given_list, given_map, given_str, is_unknown, opt_str,
    req_str,
};
pub use naming::generated_name;
pub use pages::find_in_pages;
pub use retry::{
    Backoff, Policy, Transience, call, call_rate_limited, retry, retry_reporting, transient_or_code,
};
pub use tags::{
    MAX_TAG_VALUE, TOKEN_TAG, URN_TAG, identity_sdk_tags, identity_tags, is_ours, tag_names_urn,
    tags_are_ours, urn_tag_value,
};
pub use type_info::resource_with_timeouts;
pub use waiter::{fmt_duration, wait_for, wait_polling};
