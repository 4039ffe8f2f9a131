//! The integration tests: one binary (each test binary links the whole AWS
//! SDK). Modules: the CLI end to end, each AWS provider against the local
//! test cloud, reliability (kills, interrupts, locks, faults, data safety)
//! and the catalogue of bad inputs.

mod aws_acm;
mod aws_apigateway;
mod aws_dynamodb;
mod aws_iam;
mod aws_lambda;
mod aws_logs;
mod aws_route53;
mod bad_input;
mod cli;
mod config;
mod global_api;
mod handler;
mod reliability;
mod state_backend;
mod ux;
