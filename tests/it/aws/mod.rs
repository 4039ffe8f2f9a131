//! Each AWS provider against the local test cloud, one module per service,
//! driven through the provider harness (`support::provider`) and checked
//! with the SDK.

mod acm;
mod apigateway;
mod dynamodb;
mod iam;
mod import;
mod lambda;
mod logs;
mod route53;
