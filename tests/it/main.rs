//! The integration tests: one binary (each test binary links the whole AWS
//! SDK). Modules: the CLI end to end, and each AWS provider against the
//! local test cloud.

mod cli;
