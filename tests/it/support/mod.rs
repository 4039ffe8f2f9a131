//! Test support shared by the modules of the `it` binary; no test module
//! imports from another. `provider`: the provider harness; `cli`: running
//! programs; `zone`: Route 53 set-up; `sdk`: other set-ups and reads done
//! with the SDK (roles, tables, tags); `state`: state entries; `app` and
//! `inventory`: the global_api program under a fault proxy and what it
//! leaves in the cloud.

pub mod app;
pub mod cdk;
pub mod cli;
pub mod inventory;
pub mod provider;
pub mod sdk;
pub mod state;
pub mod zone;
