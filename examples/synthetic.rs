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
//! every operation, default 0), `latency_model` (a JSON file of latencies
//! per layer, see below), `version` (bump to update every resource),
//! `token` (optional, meant to be saved as a secret: `config set token
//! VALUE --secret`; given to the null resource `credential`, whose derived
//! header is the stack output `auth_header`, both `[secret]`).
//! Resources form a layered DAG: each resource of layer L depends on
//! `fan_in` resources of layer L-1 in the same region, chosen
//! deterministically.
//!
//! A latency model (`--config latency_model=docs/bench/aws-latency-model.json`)
//! gives each resource its own simulated latency, in milliseconds:
//!
//! ```json
//! {"scale": 0.01, "default_ms": 300,
//!  "layers": {"0": 8000, "1": 185000},
//!  "mix": [150, 300, 4000, 30000, 90000]}
//! ```
//!
//! A resource of layer L takes `layers[L]` if given, else `mix[i % len]`
//! (i: its index; a mix of resource types), else `default_ms`, else
//! `latency_ms`; times `scale` (default 1).

use meridian::dsl::null::{NullResource, SyntheticGraph};
use meridian::dsl::{ConfigExt, Input, Region, Stack, interpolate, secret};
use serde_json::Value;
use std::collections::BTreeMap;

fn parse<T: std::str::FromStr>(stack: &Stack, key: &str, default: &str) -> Result<T, String> {
    let raw = stack.config_or(key, default);
    raw.parse()
        .map_err(|_| format!("--config {key}={raw:?} is not a valid number"))
}

/// Simulated latencies per layer or per resource, from a JSON file.
struct LatencyModel {
    scale: f64,
    default_ms: Option<f64>,
    layers: BTreeMap<u64, f64>,
    mix: Vec<f64>,
}

impl LatencyModel {
    fn load(path: &str) -> Result<Self, String> {
        let bad = |why: String| format!("--config latency_model={path}: {why}");
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let ms = |v: &Value, what: &str| -> Result<f64, String> {
            v.as_f64()
                .filter(|x| *x >= 0.0)
                .ok_or_else(|| bad(format!("{what} must be a non-negative number of ms")))
        };
        let mut model = LatencyModel {
            scale: doc
                .get("scale")
                .map(|v| ms(v, "scale"))
                .transpose()?
                .unwrap_or(1.0),
            default_ms: doc
                .get("default_ms")
                .map(|v| ms(v, "default_ms"))
                .transpose()?,
            layers: BTreeMap::new(),
            mix: Vec::new(),
        };
        if let Some(layers) = doc.get("layers") {
            let obj = layers
                .as_object()
                .ok_or_else(|| bad("layers must be an object {\"<layer>\": ms}".into()))?;
            for (k, v) in obj {
                let layer = k
                    .parse()
                    .map_err(|_| bad(format!("layer {k:?} is not a number")))?;
                model.layers.insert(layer, ms(v, &format!("layers.{k}"))?);
            }
        }
        if let Some(mix) = doc.get("mix") {
            let items = mix
                .as_array()
                .ok_or_else(|| bad("mix must be a list of ms".into()))?;
            for v in items {
                model.mix.push(ms(v, "each mix entry")?);
            }
        }
        Ok(model)
    }

    fn latency(&self, index: usize, layer: u64, fallback: f64) -> f64 {
        let ms = self
            .layers
            .get(&layer)
            .copied()
            .or_else(|| (!self.mix.is_empty()).then(|| self.mix[index % self.mix.len()]))
            .or(self.default_ms)
            .unwrap_or(fallback);
        ms * self.scale
    }
}

fn program(stack: &mut Stack) -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = parse(stack, "resources", "100")?;
    let fan_in: usize = parse(stack, "fan_in", "3")?;
    let layers: usize = parse::<usize>(stack, "layers", "10")?.max(1);
    let latency: f64 = parse(stack, "latency_ms", "0")?;
    let version: u64 = parse(stack, "version", "1")?;
    let model_path = stack.config_or("latency_model", "");
    let regions: Vec<Region> = stack
        .config_list_or("regions", "us-east-1,eu-west-1,sa-east-1")
        .iter()
        .map(|r| Region::parse(r))
        .collect::<Result<_, _>>()?;
    if regions.is_empty() {
        return Err("--config regions must name at least one region".into());
    }
    let graph = SyntheticGraph {
        resources: n,
        regions,
        fan_in,
        layers,
        latency_ms: latency,
        version,
    };
    if model_path.is_empty() {
        graph.declare(stack);
    } else {
        let model = LatencyModel::load(&model_path)?;
        // Declare on a scratch stack, then give each resource its latency.
        let mut scratch = Stack::new(stack.name(), BTreeMap::new(), stack.default_region());
        graph.declare(&mut scratch);
        let (decls, _) = scratch.into_parts();
        for (i, mut decl) in decls.into_iter().enumerate() {
            let layer = match decl.inputs.get("layer") {
                Some(Input::Value(v)) => v.as_u64().unwrap_or(0),
                _ => 0,
            };
            let ms = model.latency(i, layer, latency);
            decl.inputs.remove("latency_ms");
            if ms > 0.0 {
                decl.inputs
                    .insert("latency_ms".into(), Input::Value(serde_json::json!(ms)));
            }
            stack.declare(decl);
        }
    }
    stack.export("resources", serde_json::json!(n));
    if let Some(token) = stack.config_value("token").map(str::to_string) {
        let credential = NullResource::new("credential")
            .input("token", secret(token))
            .declare(stack);
        let header = interpolate([
            Input::from("Bearer "),
            credential.output::<String>("token").into(),
        ]);
        stack.export("auth_header", header);
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    meridian::run(program)
}
