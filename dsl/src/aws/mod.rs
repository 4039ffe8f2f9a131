//! Typed builders for the AWS resource types, one module per service.
pub mod acm;
pub mod apigateway;
pub mod dynamodb;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod provider;
pub mod route53;
