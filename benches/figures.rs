//! In-process figures for BENCHMARKS.md, one line each: `name value unit`.
//!
//! - plan cost (open state + load + build graph + plan, full state) from
//!   1,000 to 100,000 resources, and the cost per resource;
//! - state bytes written per step and over a whole 10,000-resource `up`,
//!   against the final state's size; the durable-flush cost per step;
//! - engine overhead per step of a 10,000-resource `up` with an instant
//!   provider and a durable journal;
//! - schedule efficiency against the AWS latency model: `up` vs. the
//!   critical path (unbounded), and `--parallel N` vs. a greedy list
//!   schedule.
//!
//! `cargo bench --bench figures` (set `FIGURES_QUICK=1` to skip 100,000).

mod support;

use meridian::dsl::{Options, Output, Region, Stack, null::NullResource};
use meridian::engine::ops;
use meridian::state::{Completion, OperationKind, PendingOperation, ResourceRecord};
use std::collections::HashMap;
use std::time::Instant;

fn line(name: &str, value: f64, unit: &str) {
    println!("{name} {value:.3} {unit}");
}

fn plan_cost(rt: &tokio::runtime::Runtime, n: usize) -> f64 {
    let providers = support::registry();
    let dir = tempfile::tempdir().unwrap();
    {
        let (_b, store) = support::open(dir.path());
        let g = support::graph(support::synthetic(n, 1), &providers);
        rt.block_on(support::up(g, providers.clone(), store, 512));
    }
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let (_b, store) = support::open(dir.path());
        let state = store.load().unwrap();
        let g = support::graph(support::synthetic(n, 1), &providers);
        let plan = rt.block_on(ops::preview(&g, &state, None)).unwrap();
        assert_eq!(plan.summary.same, n);
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn state_and_overhead(rt: &tokio::runtime::Runtime) {
    let n = 10_000;
    let providers = support::registry();
    let dir = tempfile::tempdir().unwrap();
    let (_b, store) = support::open(dir.path());
    let g = support::graph(support::synthetic(n, 1), &providers);
    let t = Instant::now();
    let result = rt.block_on(support::up(g, providers.clone(), store.clone(), 512));
    let elapsed = t.elapsed().as_secs_f64();
    let stats = store.write_stats();
    let state = store.load().unwrap();
    let final_bytes: usize = state
        .resources
        .values()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    line("up_10000_wall", elapsed, "s");
    line(
        "engine_overhead_per_step",
        elapsed * 1e6 / result.steps.len() as f64,
        "us",
    );
    line(
        "state_bytes_written_per_step",
        stats.bytes as f64 / n as f64,
        "bytes",
    );
    line(
        "state_bytes_written_over_final_size",
        stats.bytes as f64 / final_bytes as f64,
        "x",
    );
    line("state_final_size", final_bytes as f64 / 1e6, "MB");
    line(
        "state_flushes_per_step",
        stats.flushes as f64 / n as f64,
        "flushes",
    );

    // The durable journal alone: begin + complete (two flushes) per step.
    let rec = state.resources.values().next().unwrap().clone();
    let steps = 2_000;
    let t = Instant::now();
    for i in 0..steps {
        let key = format!("{}-{i}", rec.urn);
        store.begin(&pending(&key, &rec)).unwrap();
        store
            .complete(
                &key,
                Completion::Put(ResourceRecord {
                    urn: key.clone(),
                    ..rec.clone()
                }),
            )
            .unwrap();
    }
    line(
        "durable_journal_per_step",
        t.elapsed().as_secs_f64() * 1e6 / steps as f64,
        "us",
    );
}

fn pending(key: &str, rec: &ResourceRecord) -> PendingOperation {
    PendingOperation {
        key: key.into(),
        kind: OperationKind::Create,
        urn: key.into(),
        name: rec.name.clone(),
        type_token: rec.type_token.clone(),
        region: rec.region.clone(),
        provider: rec.provider.clone(),
        id: None,
        token: "0".repeat(32),
        inputs: rec.inputs.clone(),
        previous: None,
        dependencies: rec.dependencies.clone(),
        protect: false,
        retain_on_delete: false,
        started_at_ms: 0,
        pid: 0,
    }
}

/// Typical AWS durations in seconds (call + settle), from
/// shared/reference/aws-latency-model.md's compact table.
fn model_seconds(kind: &str) -> f64 {
    match kind {
        "table" => 8.0,
        "replica" => 185.0, // 180 s + the 5 s guard between replica changes
        "zone" => 0.5,      // dependents start on the zone id, not INSYNC
        "delegation" => 30.0,
        "certificate" => 93.0 + 40.0, // record, then ISSUED after the zone is INSYNC
        "validation_record" => 30.0,
        "role" => 0.6,
        "log_group" => 0.3,
        "function" => 10.0, // IAM propagation retry + Pending -> Active
        "permission" => 0.3,
        "api" => 0.5,
        "resource" => 0.3,
        "method" => 0.6,
        "deployment" => 2.0,
        "stage" => 0.3,
        "domain" => 31.0,
        "mapping" => 0.5,
        "alias" => 30.0,
        _ => 1.0,
    }
}

/// The global_api graph's shape (three regions) as null resources whose
/// latencies follow the model; returns the stack and each resource's
/// weight and dependencies.
fn global_api_shape(scale_ms: f64) -> (Stack, HashMap<String, (f64, Vec<String>)>) {
    let mut stack = Stack::new("bench", Default::default(), "us-east-1");
    let mut shape: HashMap<String, (f64, Vec<String>)> = HashMap::new();
    let mut add = |stack: &mut Stack, name: &str, kind: &str, region: &Region, deps: &[&str]| {
        let secs = model_seconds(kind);
        let mut r = NullResource::new(name)
            .latency_ms(secs * scale_ms)
            .region(region.clone());
        for (i, d) in deps.iter().enumerate() {
            r = r.input(&format!("dep{i}"), Output::<String>::new(d, "id"));
        }
        r.declare(stack);
        shape.insert(
            name.to_string(),
            (secs, deps.iter().map(|d| d.to_string()).collect()),
        );
    };
    let primary = Region::US_EAST_1;
    add(&mut stack, "table", "table", &primary, &[]);
    add(&mut stack, "replica-eu", "replica", &primary, &["table"]);
    add(
        &mut stack,
        "replica-sa",
        "replica",
        &primary,
        &["replica-eu"],
    );
    add(&mut stack, "zone", "zone", &primary, &[]);
    add(&mut stack, "delegation", "delegation", &primary, &["zone"]);
    for (r, region) in [
        ("use1", Region::US_EAST_1),
        ("euw1", Region::EU_WEST_1),
        ("sae1", Region::SA_EAST_1),
    ] {
        let n = |s: &str| format!("{s}-{r}");
        let table_dep = match r {
            "use1" => "table",
            "euw1" => "replica-eu",
            _ => "replica-sa",
        };
        add(
            &mut stack,
            &n("cert"),
            "certificate",
            &region,
            &["zone", "delegation"],
        );
        add(&mut stack, &n("role"), "role", &region, &[table_dep]);
        add(&mut stack, &n("logs"), "log_group", &region, &[]);
        add(
            &mut stack,
            &n("fn"),
            "function",
            &region,
            &[&n("role"), &n("logs")],
        );
        add(&mut stack, &n("api"), "api", &region, &[]);
        add(
            &mut stack,
            &n("res-object"),
            "resource",
            &region,
            &[&n("api")],
        );
        add(
            &mut stack,
            &n("res-id"),
            "resource",
            &region,
            &[&n("res-object")],
        );
        add(
            &mut stack,
            &n("method"),
            "method",
            &region,
            &[&n("res-id"), &n("fn")],
        );
        add(
            &mut stack,
            &n("permission"),
            "permission",
            &region,
            &[&n("fn"), &n("api")],
        );
        add(
            &mut stack,
            &n("deployment"),
            "deployment",
            &region,
            &[&n("method")],
        );
        add(
            &mut stack,
            &n("stage"),
            "stage",
            &region,
            &[&n("deployment")],
        );
        add(&mut stack, &n("domain"), "domain", &region, &[&n("cert")]);
        add(
            &mut stack,
            &n("mapping"),
            "mapping",
            &region,
            &[&n("domain"), &n("stage")],
        );
        add(
            &mut stack,
            &n("alias"),
            "alias",
            &region,
            &[&n("domain"), "zone"],
        );
    }
    (stack, shape)
}

fn critical_path(shape: &HashMap<String, (f64, Vec<String>)>) -> f64 {
    fn finish(
        name: &str,
        shape: &HashMap<String, (f64, Vec<String>)>,
        memo: &mut HashMap<String, f64>,
    ) -> f64 {
        if let Some(v) = memo.get(name) {
            return *v;
        }
        let (w, deps) = &shape[name];
        let start = deps
            .iter()
            .map(|d| finish(d, shape, memo))
            .fold(0.0, f64::max);
        memo.insert(name.to_string(), start + w);
        start + w
    }
    let mut memo = HashMap::new();
    shape
        .keys()
        .map(|k| finish(k, shape, &mut memo))
        .fold(0.0, f64::max)
}

/// Greedy list schedule on `machines`: whenever a machine is free, start
/// the ready task that became ready first.
fn list_schedule(shape: &HashMap<String, (f64, Vec<String>)>, machines: usize) -> f64 {
    let mut remaining: HashMap<&str, usize> = shape
        .iter()
        .map(|(k, (_, d))| (k.as_str(), d.len()))
        .collect();
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for (k, (_, deps)) in shape {
        for d in deps {
            dependents.entry(d.as_str()).or_default().push(k.as_str());
        }
    }
    let mut ready: Vec<&str> = remaining
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    ready.sort();
    let mut running: Vec<(f64, &str)> = Vec::new();
    let mut now = 0.0;
    let mut done = 0;
    while done < shape.len() {
        while running.len() < machines && !ready.is_empty() {
            let t = ready.remove(0);
            running.push((now + shape[t].0, t));
        }
        running.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (end, t) = running.remove(0);
        now = end;
        done += 1;
        for d in dependents.get(t).into_iter().flatten() {
            let n = remaining.get_mut(d).unwrap();
            *n -= 1;
            if *n == 0 {
                ready.push(d);
            }
        }
    }
    now
}

fn schedule(rt: &tokio::runtime::Runtime) {
    // 1 model second = 10 ms of simulated latency.
    let scale_ms = 10.0;
    let providers = support::registry();
    for parallel in [usize::MAX, 4] {
        let (stack, shape) = global_api_shape(scale_ms);
        let dir = tempfile::tempdir().unwrap();
        let (_b, store) = support::open(dir.path());
        let g = support::graph(stack, &providers);
        let t = Instant::now();
        rt.block_on(support::up(
            g,
            providers.clone(),
            store,
            parallel.min(10_000),
        ));
        let elapsed_model_s = t.elapsed().as_secs_f64() * 1000.0 / scale_ms;
        if parallel == usize::MAX {
            let cp = critical_path(&shape);
            line("schedule_global_api_critical_path", cp, "model_s");
            line("schedule_global_api_up", elapsed_model_s, "model_s");
            line("schedule_global_api_ratio", elapsed_model_s / cp, "x");
        } else {
            let ls = list_schedule(&shape, parallel);
            line("schedule_global_api_parallel4_list_schedule", ls, "model_s");
            line(
                "schedule_global_api_parallel4_up",
                elapsed_model_s,
                "model_s",
            );
            line(
                "schedule_global_api_parallel4_ratio",
                elapsed_model_s / ls,
                "x",
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let quick = std::env::var("FIGURES_QUICK").is_ok();
    let sizes: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let mut per_resource = Vec::new();
    for &n in sizes {
        let s = plan_cost(&rt, n);
        line(&format!("plan_full_state_{n}"), s * 1000.0, "ms");
        line(
            &format!("plan_full_state_{n}_per_resource"),
            s * 1e6 / n as f64,
            "us",
        );
        per_resource.push(s / n as f64);
    }
    if let (Some(first), Some(last)) = (per_resource.first(), per_resource.last()) {
        line("plan_per_resource_growth", last / first, "x");
    }
    state_and_overhead(&rt);
    schedule(&rt);
}
