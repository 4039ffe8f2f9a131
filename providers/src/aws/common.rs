//! Transitional: the AWS regions Meridian accepts (moving to the schema
//! crate), and re-exports of the provider kit under their old paths for the
//! service modules not yet moved onto `super::kit`. New code imports from
//! [`super::kit`]; delete this module once nothing imports it.

use meridian_engine::CheckFailure;

pub use super::kit::{
    Clients, TOKEN_TAG, URN_TAG, caller_account_id, check_required_str, create_once, error_code,
    fmt_duration, generated_name, http_client, identity_tags, is_unknown, opt_str, req_str,
    sdk_error, wait_for,
};

/// Regions Meridian accepts (the commercial AWS regions).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
];

/// Rejects a region AWS does not have, before any call.
pub fn check_region(region: &str) -> Vec<CheckFailure> {
    if REGIONS.contains(&region) {
        Vec::new()
    } else {
        vec![CheckFailure::new(
            "region",
            format!(
                "unknown AWS region {region:?} (expected one of {})",
                REGIONS.join(", ")
            ),
        )]
    }
}

/// Runs one cloud call, retrying transient failures (throttling, 5xx,
/// concurrent modification) with jittered backoff until the step's deadline
/// (now [`super::kit::retry::call`]).
pub use super::kit::retry::call as call_retrying;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_region_is_rejected_with_the_list() {
        assert!(check_region("eu-west-1").is_empty());
        let f = check_region("eu-westt-1");
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.contains("unknown AWS region"));
    }
}
