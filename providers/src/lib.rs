//! Meridian's providers: the AWS resource types (over the AWS SDK for Rust)
//! and the `null` provider (no cloud, optional simulated latency).
//!
//! A provider knows nothing of the graph: it gets one resource's inputs and
//! answers for that resource alone.

pub mod aws;
pub mod null;

pub use aws::AwsProvider;
pub use null::NullProvider;
