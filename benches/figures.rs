//! In-process figures for BENCHMARKS.md, one line each: `name value unit`.
//!
//! - plan cost (open state + load + declare + build graph + plan, full
//!   state) from 1,000 to 100,000 resources, the cost per resource and its
//!   growth; the same from the state's summary (record headers), as
//!   `preview` plans; the `up` that filled the state, per step;
//! - state bytes written per step and over a whole 10,000-resource `up`,
//!   against the final state's size (logical, and what reached the disk);
//!   the durable-flush cost per step, alone and with concurrent steps;
//! - engine overhead per step of a 10,000-resource `up` with an instant
//!   provider and a durable journal;
//! - schedule efficiency against the AWS latency model: `up` vs. the
//!   critical path (unbounded), and `--parallel N` vs. a greedy list
//!   schedule, on the global_api shape and on a synthetic layered graph.
//!
//! Writes `target/bench/plan_cost.svg` (cost against graph size).
//! `cargo bench --bench figures` (`FIGURES_QUICK=1` stops at 10,000;
//! `FIGURES_SIZES=10000,100000` picks the sizes; `FIGURES_ONLY=sizes,memory,journal,schedule`
//! picks the sections, e.g. to profile one).

mod support;

use meridian::dsl::Options;
use meridian::dsl::{Input, Output, Region, Stack, null::NullResource};
use meridian::engine::{ResourceGraph, ops};
use meridian::state::{Completion, OperationKind, PendingOperation, ResourceRecord};
use std::time::Instant;

fn line(name: &str, value: f64, unit: &str) {
    println!("{name} {value:.3} {unit}");
}

/// Bytes this process has caused to be written to storage so far.
fn disk_bytes_written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// One size: the `up` that fills the state, then the best of three plans.
struct SizeFigures {
    n: usize,
    up_s: f64,
    plan_s: f64,
    /// The plan from the state's summary (what `preview` does).
    summary_s: f64,
}

fn size_figures(rt: &tokio::runtime::Runtime, n: usize) -> SizeFigures {
    let providers = support::registry();
    let dir = tempfile::tempdir().unwrap();
    let up_s = {
        let (_b, store) = support::open(dir.path());
        let g = support::graph(support::synthetic(n, 1), &providers);
        let disk_before = disk_bytes_written();
        let t = Instant::now();
        let result = rt.block_on(support::up(
            g,
            providers.clone(),
            store.clone(),
            support::PARALLEL,
        ));
        let up_s = t.elapsed().as_secs_f64();
        let disk = disk_bytes_written()
            .zip(disk_before)
            .map(|(a, b)| a.saturating_sub(b));
        // Per step at every size: independent of the stack's size.
        let stats = store.write_stats();
        line(
            &format!("state_bytes_written_per_step_{n}"),
            stats.bytes as f64 / n as f64,
            "bytes",
        );
        if let Some(disk) = disk {
            line(
                &format!("state_disk_bytes_written_per_step_{n}"),
                disk as f64 / n as f64,
                "bytes",
            );
        }
        line(
            &format!("state_flushes_per_step_{n}"),
            stats.flushes as f64 / n as f64,
            "flushes",
        );
        if n == 10_000 {
            state_figures(&store, &result, up_s, disk, dir.path());
        }
        up_s
    };
    let mut best = f64::MAX;
    let mut best_phases = [0.0; 5];
    for _ in 0..3 {
        let t = Instant::now();
        let mut phases = [0.0; 5];
        let mut lap = Instant::now();
        let mut phase = |i: usize| {
            phases[i] = lap.elapsed().as_secs_f64();
            lap = Instant::now();
        };
        let (_b, store) = support::open(dir.path());
        phase(0);
        let state = store.load().unwrap();
        phase(1);
        let stack = support::synthetic(n, 1);
        phase(2);
        let g = support::graph(stack, &providers);
        phase(3);
        let plan = rt.block_on(ops::preview(&g, &state, None)).unwrap();
        phase(4);
        assert_eq!(plan.summary.same, n);
        let total = t.elapsed().as_secs_f64();
        if total < best {
            best = total;
            best_phases = phases;
        }
        // Dropping the state, graph and plan is part of the cost too.
        drop((plan, g, state));
    }
    if n >= 10_000 {
        for (name, s) in ["open", "load", "declare", "graph", "plan"]
            .iter()
            .zip(best_phases)
        {
            line(
                &format!("plan_full_state_{n}_phase_{name}"),
                s * 1000.0,
                "ms",
            );
        }
    }
    let summary_s = summary_figures(rt, n, dir.path());
    SizeFigures {
        n,
        up_s,
        plan_s: best,
        summary_s,
    }
}

/// The plan of the `up` at `dir` from the state's summary, as `preview`
/// makes it (`ops::preview_from_summary`): best of 3 seconds, and its
/// phases at 10,000 and more. In one thread, where the CLI loads the
/// summary while the program declares.
fn summary_figures(rt: &tokio::runtime::Runtime, n: usize, dir: &std::path::Path) -> f64 {
    let providers = support::registry();
    let (mut best, mut best_phases) = (f64::MAX, [0.0; 6]);
    for _ in 0..3 {
        let t = Instant::now();
        let mut phases = [0.0; 6];
        let mut lap = Instant::now();
        let mut phase = |i: usize| {
            phases[i] = lap.elapsed().as_secs_f64();
            lap = Instant::now();
        };
        let (_b, store) = support::open(dir);
        phase(0);
        let summary = store.load_summary().unwrap().expect("sled keeps headers");
        phase(1);
        let stack = support::synthetic(n, 1);
        phase(2);
        let g = support::graph(stack, &providers);
        phase(3);
        let shapes = meridian::engine::plan::headers::shapes(&g);
        phase(4);
        let planned = ops::preview_from_summary(&g, store.as_ref(), summary, &shapes, false);
        let (plan, state) = rt.block_on(planned).unwrap();
        phase(5);
        assert_eq!(plan.summary.same, n);
        assert!(state.resources.is_empty(), "every resource settled");
        let total = t.elapsed().as_secs_f64();
        if total < best {
            (best, best_phases) = (total, phases);
        }
        drop((plan, g, state));
    }
    if n >= 10_000 {
        let names = ["open", "load", "declare", "graph", "shapes", "plan"];
        for (name, s) in names.iter().zip(best_phases) {
            line(
                &format!("plan_from_summary_{n}_phase_{name}"),
                s * 1000.0,
                "ms",
            );
        }
    }
    best
}

/// Figures of the 10,000-resource `up`: overhead, bytes, flushes.
fn state_figures(
    store: &std::sync::Arc<dyn meridian::state::StateStore>,
    result: &meridian::engine::exec::RunResult,
    elapsed: f64,
    disk: Option<u64>,
    dir: &std::path::Path,
) {
    let n = result.steps.len();
    let stats = store.write_stats();
    let state = store.load().unwrap();
    // What the store keeps per record (its compact encoding), and the JSON
    // it encodes (what `state export` writes).
    let final_bytes: usize = state
        .resources
        .values()
        .map(|r| meridian::state::encoding::encode(r).len())
        .sum();
    let json_bytes: usize = state
        .resources
        .values()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    line("up_10000_wall", elapsed, "s");
    line("engine_overhead_per_step", elapsed * 1e6 / n as f64, "us");
    line(
        "state_bytes_written_per_step",
        stats.bytes as f64 / n as f64,
        "bytes",
    );
    line(
        "state_record_size",
        final_bytes as f64 / state.resources.len() as f64,
        "bytes",
    );
    line(
        "state_record_json_size",
        json_bytes as f64 / state.resources.len() as f64,
        "bytes",
    );
    line(
        "state_bytes_written_over_final_size",
        stats.bytes as f64 / final_bytes as f64,
        "x",
    );
    line("state_final_size", final_bytes as f64 / 1e6, "MB");
    if let Some(disk) = disk {
        line(
            "state_disk_bytes_written_per_step",
            disk as f64 / n as f64,
            "bytes",
        );
        line(
            "state_disk_bytes_written_over_final_size",
            disk as f64 / final_bytes as f64,
            "x",
        );
    }
    line("state_dir_size", dir_size(dir) as f64 / 1e6, "MB");
    line(
        "state_flushes_per_step",
        stats.flushes as f64 / n as f64,
        "flushes",
    );
}

/// The durable journal alone (begin + complete, each durable on return):
/// one step at a time, then `threads` steps at once sharing flushes.
fn journal_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (_b, store) = support::open(dir.path());
    let rec = record();
    let steps = 2_000;
    let t = Instant::now();
    for i in 0..steps {
        journal_step(store.as_ref(), &format!("seq-{i}"), &rec);
    }
    line(
        "durable_journal_per_step",
        t.elapsed().as_secs_f64() * 1e6 / steps as f64,
        "us",
    );
    let threads = support::PARALLEL;
    let per_thread = 200;
    let before = store.write_stats().flushes;
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let store = store.clone();
            let rec = rec.clone();
            s.spawn(move || {
                for i in 0..per_thread {
                    journal_step(store.as_ref(), &format!("par-{th}-{i}"), &rec);
                }
            });
        }
    });
    let total = (threads * per_thread) as f64;
    line(
        &format!("durable_journal_per_step_{threads}_concurrent"),
        t.elapsed().as_secs_f64() * 1e6 / total,
        "us",
    );
    line(
        &format!("durable_flushes_per_step_{threads}_concurrent"),
        (store.write_stats().flushes - before) as f64 / total,
        "flushes",
    );
}

fn journal_step(store: &dyn meridian::state::StateStore, key: &str, rec: &ResourceRecord) {
    store.begin(&pending(key, rec)).unwrap();
    store
        .complete(
            key,
            Completion::Put(ResourceRecord {
                urn: key.to_string(),
                ..rec.clone()
            }),
        )
        .unwrap();
}

/// A record the size of a synthetic resource's.
fn record() -> ResourceRecord {
    let inputs = serde_json::json!({
        "dep0": "null-0123456789abcdef0123456789abcdef",
        "dep1": "null-0123456789abcdef0123456789abcdef",
        "dep2": "null-0123456789abcdef0123456789abcdef",
        "layer": 7, "version": 1,
    });
    let mut outputs = inputs.clone();
    outputs["id"] = "null-0123456789abcdef0123456789abcdef".into();
    let mut record = ResourceRecord {
        urn: "urn:meridian:bench::null:index:Resource::r1234".into(),
        name: "r1234".into(),
        type_token: "null:index:Resource".into(),
        region: "eu-west-1".into(),
        provider: "null".into(),
        id: "null-0123456789abcdef0123456789abcdef".into(),
        inputs: inputs.into(),
        outputs: outputs.into(),
        dependencies: vec!["urn:meridian:bench::null:index:Resource::r1000".into(); 3],
        protect: false,
        retain_on_delete: false,
        pending_delete: false,
        data_source: false,
        snapshot: false,
        provider_config: None,
        plan_stamp: None,
    };
    // As an applied record is: stamped.
    record.stamp(&[7; 16]);
    record
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
        inputs: rec.inputs.value().clone(),
        previous: None,
        dependencies: rec.dependencies.clone(),
        protect: false,
        retain_on_delete: false,
        provider_config: None,
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
/// latencies follow the model (`scale_ms` per model second).
fn global_api_shape(scale_ms: f64) -> Stack {
    let mut stack = Stack::new("bench", Default::default(), "us-east-1");
    let add = |stack: &mut Stack, name: &str, kind: &str, region: &Region, deps: &[&str]| {
        let mut r = NullResource::new(name)
            .latency_ms(model_seconds(kind) * scale_ms)
            .region(region.clone());
        for (i, d) in deps.iter().enumerate() {
            r = r.input(&format!("dep{i}"), Output::<String>::new(d, "id"));
        }
        r.declare(stack);
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
    for (r, region, table) in [
        ("use1", Region::US_EAST_1, "table"),
        ("euw1", Region::EU_WEST_1, "replica-eu"),
        ("sae1", Region::SA_EAST_1, "replica-sa"),
    ] {
        let n = |s: &str| format!("{s}-{r}");
        // Adds resource `name` of this region.
        let mut add_here =
            |name: &str, kind: &str, deps: &[&str]| add(&mut stack, &n(name), kind, &region, deps);
        add_here("cert", "certificate", &["zone", "delegation"]);
        add_here("role", "role", &[table]);
        add_here("logs", "log_group", &[]);
        add_here("fn", "function", &[&n("role"), &n("logs")]);
        add_here("api", "api", &[]);
        add_here("res-object", "resource", &[&n("api")]);
        add_here("res-id", "resource", &[&n("res-object")]);
        add_here("method", "method", &[&n("res-id"), &n("fn")]);
        add_here("permission", "permission", &[&n("fn"), &n("api")]);
        add_here("deployment", "deployment", &[&n("method")]);
        add_here("stage", "stage", &[&n("deployment")]);
        add_here("domain", "domain", &[&n("cert")]);
        add_here("mapping", "mapping", &[&n("domain"), &n("stage")]);
        add_here("alias", "alias", &[&n("domain"), "zone"]);
    }
    stack
}

/// A graph's units as the executor sees them: in plan order (the graph's
/// dependency order), each with its simulated latency (ms) and the
/// positions of its dependencies.
struct Shape {
    ms: Vec<f64>,
    deps: Vec<Vec<usize>>,
}

impl Shape {
    fn of(graph: &ResourceGraph) -> Shape {
        let mut pos = vec![0; graph.nodes.len()];
        for (p, &i) in graph.order.iter().enumerate() {
            pos[i] = p;
        }
        let mut ms = Vec::new();
        let mut deps = Vec::new();
        for &i in &graph.order {
            let n = &graph.nodes[i];
            ms.push(match n.decl.inputs.get("latency_ms") {
                Some(Input::Value(v)) => v.as_f64().unwrap_or(0.0),
                _ => 0.0,
            });
            deps.push(n.deps.iter().map(|&d| pos[d]).collect());
        }
        Shape { ms, deps }
    }

    /// The longest chain of latencies.
    fn critical_path(&self) -> f64 {
        let mut finish = vec![0.0f64; self.ms.len()];
        for u in 0..self.ms.len() {
            let start = self.deps[u].iter().map(|&d| finish[d]).fold(0.0, f64::max);
            finish[u] = start + self.ms[u];
        }
        finish.into_iter().fold(0.0, f64::max)
    }

    /// A greedy list schedule on `machines` with the executor's rule:
    /// whenever one is free, start the unit that became ready first (ties
    /// in plan order).
    fn list_schedule(&self, machines: usize) -> f64 {
        let n = self.ms.len();
        let mut waiting: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut dependents = vec![Vec::new(); n];
        for (u, ds) in self.deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(u);
            }
        }
        let mut ready: std::collections::VecDeque<usize> =
            (0..n).filter(|&u| waiting[u] == 0).collect();
        let mut running: Vec<(f64, usize)> = Vec::new();
        let (mut now, mut done) = (0.0f64, 0);
        while done < n {
            while running.len() < machines {
                let Some(u) = ready.pop_front() else { break };
                running.push((now + self.ms[u], u));
            }
            let first = running
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.cmp(&b.1.1)))
                .map(|(i, _)| i)
                .expect("a unit is running");
            let (end, u) = running.swap_remove(first);
            now = end;
            done += 1;
            for &d in &dependents[u] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.push_back(d);
                }
            }
        }
        now
    }
}

/// `up` of `stack` with `parallel`, against the critical path (unbounded)
/// or the list schedule for `parallel`.
fn schedule(rt: &tokio::runtime::Runtime, label: &str, stack: Stack, parallel: Option<usize>) {
    let providers = support::registry();
    let g = support::graph(stack, &providers);
    let shape = Shape::of(&g);
    let dir = tempfile::tempdir().unwrap();
    let (_b, store) = support::open(dir.path());
    let t = Instant::now();
    rt.block_on(support::up(
        g,
        providers.clone(),
        store,
        parallel.unwrap_or(100_000),
    ));
    let elapsed_ms = t.elapsed().as_secs_f64() * 1000.0;
    let (bound, what) = match parallel {
        None => (shape.critical_path(), "critical_path"),
        Some(p) => (shape.list_schedule(p), "list_schedule"),
    };
    let name = match parallel {
        None => format!("schedule_{label}"),
        Some(p) => format!("schedule_{label}_parallel{p}"),
    };
    line(&format!("{name}_{what}"), bound / 1000.0, "s");
    line(&format!("{name}_up"), elapsed_ms / 1000.0, "s");
    line(&format!("{name}_ratio"), elapsed_ms / bound, "x");
}

fn schedule_figures(rt: &tokio::runtime::Runtime) {
    // 1 model second = 10 ms of simulated latency.
    schedule(rt, "global_api", global_api_shape(10.0), None);
    schedule(rt, "global_api", global_api_shape(10.0), Some(4));
    let model = support::LatencyModel::aws();
    let synthetic = |n: usize| {
        let mut stack = Stack::new("bench", Default::default(), "us-east-1");
        meridian::dsl::null::SyntheticGraph {
            resources: n,
            regions: vec![Region::US_EAST_1, Region::EU_WEST_1, Region::SA_EAST_1],
            fan_in: 3,
            layers: 5,
            latency_ms: 0.0,
            version: 1,
        }
        .declare(&mut stack);
        model.apply(stack)
    };
    schedule(rt, "synthetic_300", synthetic(300), None);
    schedule(rt, "synthetic_300", synthetic(300), Some(8));
}

/// Plan cost and `up` cost per resource against graph size, as an SVG.
fn plot(sizes: &[SizeFigures]) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let dir = support::out_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("plan_cost.svg");
    let per = |f: &dyn Fn(&SizeFigures) -> f64| -> Vec<(f64, f64)> {
        sizes
            .iter()
            .map(|s| (s.n as f64, f(s) * 1e6 / s.n as f64))
            .collect()
    };
    let plan = per(&|s| s.plan_s);
    let up = per(&|s| s.up_s);
    let x_min = sizes.iter().map(|s| s.n).min().unwrap_or(1000) as f64 / 1.5;
    let x_max = sizes.iter().map(|s| s.n).max().unwrap_or(1000) as f64 * 1.5;
    let root = SVGBackend::new(&path, (860, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Meridian: engine cost per resource against graph size (null provider, 2 cores)",
            ("sans-serif", 18),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d((x_min..x_max).log_scale(), (1f64..5000f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("resources in the stack (log scale)")
        .y_desc("microseconds per resource (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(BLACK.mix(0.03))
        .draw()?;
    let target = |y: f64| vec![(x_min, y), (x_max, y)];
    let dashed = |c: RGBColor| c.mix(0.5).stroke_width(1);
    // Each measured curve with its points, then its target as a dashed line.
    let curves = [
        (
            &plan,
            BLUE,
            "preview with a full state: open + load + declare + plan",
            100.0,
            "target for preview: 1 s per 10,000 (100 us each)",
        ),
        (
            &up,
            RED,
            "up from empty, durable journal, --parallel 32: per step",
            1000.0,
            "target for up: 1 ms per step",
        ),
    ];
    for (points, color, label, target_us, target_label) in curves {
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
        chart
            .draw_series(LineSeries::new(target(target_us), dashed(color)))?
            .label(target_label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.mix(0.5)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()?;
    drop(chart);
    drop(root);
    Ok(path)
}

/// The same 10,000-resource `up` with the state in memory (no journal
/// flush): the engine's own share of a step.
fn memory_store_figures(rt: &tokio::runtime::Runtime) {
    let n = 10_000;
    let providers = support::registry();
    let store: std::sync::Arc<dyn meridian::state::StateStore> =
        std::sync::Arc::new(support::MemoryStore::default());
    let g = support::graph(support::synthetic(n, 1), &providers);
    let t = Instant::now();
    rt.block_on(support::up(g, providers, store, support::PARALLEL));
    line(
        "up_10000_per_step_memory_store",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        "us",
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let quick = std::env::var("FIGURES_QUICK").is_ok();
    let sizes: Vec<usize> = match std::env::var("FIGURES_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("FIGURES_SIZES: numbers, comma-separated")
            })
            .collect(),
        Err(_) if quick => vec![1_000, 3_000, 10_000],
        Err(_) => vec![1_000, 3_000, 10_000, 30_000, 100_000],
    };
    let only = std::env::var("FIGURES_ONLY").unwrap_or_default();
    let section = |name: &str| only.is_empty() || only.split(',').any(|s| s.trim() == name);
    let mut figures = Vec::new();
    for &n in sizes.iter().filter(|_| section("sizes")) {
        let f = size_figures(&rt, n);
        line(&format!("plan_full_state_{n}"), f.plan_s * 1000.0, "ms");
        line(
            &format!("plan_full_state_{n}_per_resource"),
            f.plan_s * 1e6 / n as f64,
            "us",
        );
        line(
            &format!("plan_from_summary_{n}"),
            f.summary_s * 1000.0,
            "ms",
        );
        line(&format!("up_{n}_per_step"), f.up_s * 1e6 / n as f64, "us");
        figures.push(f);
    }
    if let (Some(first), Some(last)) = (figures.first(), figures.last()) {
        line(
            &format!("plan_per_resource_growth_{}_to_{}", first.n, last.n),
            (last.plan_s / last.n as f64) / (first.plan_s / first.n as f64),
            "x",
        );
    }
    if figures.len() > 1 {
        match plot(&figures) {
            Ok(path) => eprintln!("plot: {}", path.display()),
            Err(e) => eprintln!("plot not written: {e}"),
        }
    }
    if section("memory") {
        memory_store_figures(&rt);
    }
    if section("journal") {
        journal_figures();
    }
    if section("schedule") {
        schedule_figures(&rt);
    }
}
