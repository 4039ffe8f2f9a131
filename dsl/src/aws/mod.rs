//! Typed builders for the AWS resource types, one module per service.
