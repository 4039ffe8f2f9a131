//! A synthetic stack of `null` resources for measuring the engine and
//! reproducing benchmark figures with the real CLI:
//!
//! ```text
//! cargo run --release --example synthetic -- preview --config resources=10000
//! ```
//!
//! Config: `resources` (default 100), `regions` (comma-separated, default
//! `us-east-1,eu-west-1,sa-east-1`), `fan_in` (dependencies per resource,
//! default 3), `layers` (default 10), `latency_ms` (simulated latency of
//! every operation, default 0), `version` (bump to update every resource).
//! Resources form a layered DAG: each resource of layer L depends on
//! `fan_in` resources of layer L-1 in the same region, chosen
//! deterministically.

use meridian::dsl::{ConfigExt, Region, Stack, null::SyntheticGraph};

fn parse<T: std::str::FromStr>(stack: &Stack, key: &str, default: &str) -> Result<T, String> {
    let raw = stack.config_or(key, default);
    raw.parse()
        .map_err(|_| format!("--config {key}={raw:?} is not a valid number"))
}

fn program(stack: &mut Stack) -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = parse(stack, "resources", "100")?;
    let fan_in: usize = parse(stack, "fan_in", "3")?;
    let layers: usize = parse::<usize>(stack, "layers", "10")?.max(1);
    let latency: f64 = parse(stack, "latency_ms", "0")?;
    let version: u64 = parse(stack, "version", "1")?;
    let regions: Vec<Region> = stack
        .config_list_or("regions", "us-east-1,eu-west-1,sa-east-1")
        .iter()
        .map(|r| Region::parse(r))
        .collect::<Result<_, _>>()?;
    if regions.is_empty() {
        return Err("--config regions must name at least one region".into());
    }
    SyntheticGraph {
        resources: n,
        regions,
        fan_in,
        layers,
        latency_ms: latency,
        version,
    }
    .declare(stack);
    stack.export("resources", serde_json::json!(n));
    Ok(())
}

fn main() -> std::process::ExitCode {
    meridian::run(program)
}
