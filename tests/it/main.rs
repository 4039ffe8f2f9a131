//! The integration tests: one binary (each test binary links the whole AWS
//! SDK). Modules: the CLI end to end, each AWS provider against the local
//! test cloud, reliability (kills, interrupts, locks, faults, data safety)
//! and the catalogue of bad inputs. What they share lives in `support`.

mod accounts;
mod aws;
mod bad_input;
mod cli;
mod config;
mod global_api;
mod guide;
mod handler;
mod import;
mod new_project;
mod reliability;
mod secrets;
mod state_backend;
mod state_commands;
mod support;
mod upgrade;
mod ux;
