//! Builder for the `null` provider's resource (no cloud; outputs echo inputs).

use crate::builder::{HasBuilder, declared};
use crate::{Input, Options, Output, Stack};
use meridian_schema::null::resource::{self, input};

declared! {
    /// A `null:index:Resource`: free-form inputs, echoed as outputs. No cloud
    /// is called, so it is the resource for trying the engine (and for tests).
    ///
    /// ```
    /// use meridian_dsl::{Options, Region, Stack};
    /// use meridian_dsl::null::NullResource;
    ///
    /// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
    /// let a = NullResource::new("a").input("greeting", "hello").declare(&mut stack);
    /// let b = NullResource::new("b")
    ///     .input("from_a", a.id())
    ///     .triggers(serde_json::json!(1))
    ///     .region(Region::EU_WEST_1)
    ///     .declare(&mut stack);
    /// stack.export("b_greeting", b.output::<String>("from_a"));
    /// assert_eq!(stack.resources()[1].dependencies(), ["a"]);
    /// ```
    pub struct NullResource => NullResourceRef = resource {
        id: String;
    }

    /// A null resource named `name`, with no inputs.
    pub fn new();
}

impl NullResource {
    /// Sets an input (a literal or another resource's output).
    pub fn input(self, key: &str, value: impl Into<Input>) -> Self {
        self.with(key, value)
    }

    /// A change to the triggers replaces the resource.
    pub fn triggers(self, value: impl Into<Input>) -> Self {
        self.input(input::TRIGGERS, value)
    }

    /// Simulated latency of each operation on this resource.
    pub fn latency_ms(self, ms: f64) -> Self {
        self.input(input::LATENCY_MS, serde_json::json!(ms))
    }
}

impl NullResourceRef {
    /// Any output (the inputs are echoed).
    pub fn output<T>(&self, key: &str) -> Output<T> {
        Output::new(&self.name, key)
    }
}

/// The keys of a synthetic resource's first dependencies (no string built
/// per resource).
const DEP_KEYS: [&str; 8] = [
    "dep0", "dep1", "dep2", "dep3", "dep4", "dep5", "dep6", "dep7",
];

/// The shape of a synthetic graph of null resources (for benchmarks and
/// `examples/synthetic.rs`).
///
/// ```
/// use meridian_dsl::{Region, Stack};
/// use meridian_dsl::null::SyntheticGraph;
///
/// let mut stack = Stack::new("bench", Default::default(), "us-east-1");
/// let names = SyntheticGraph {
///     resources: 12,
///     regions: vec![Region::US_EAST_1, Region::EU_WEST_1],
///     fan_in: 2,
///     layers: 3,
///     latency_ms: 0.0,
///     version: 1,
/// }
/// .declare(&mut stack);
/// assert_eq!(names.len(), 12);
/// ```
#[derive(Clone, Debug)]
pub struct SyntheticGraph {
    /// How many resources, in all.
    pub resources: usize,
    /// The regions they are spread over (round robin).
    pub regions: Vec<crate::Region>,
    /// Dependencies per resource (on resources of the previous layer, same
    /// region).
    pub fan_in: usize,
    /// How many layers of dependencies.
    pub layers: usize,
    /// Simulated latency of every operation, in milliseconds (0: none).
    pub latency_ms: f64,
    /// Bump to change every resource's inputs (an update of all).
    pub version: u64,
}

impl SyntheticGraph {
    /// Declares the graph: a layered DAG where each resource of layer L
    /// depends on `fan_in` resources of layer L-1 in its region, chosen
    /// deterministically. Returns the names in declaration order.
    pub fn declare(&self, stack: &mut Stack) -> Vec<String> {
        let regions = if self.regions.is_empty() {
            vec![crate::Region::US_EAST_1]
        } else {
            self.regions.clone()
        };
        let per_layer = self.resources.div_ceil(self.layers.max(1)).max(1);
        // Per region, the indices (in `names`) of the previous and the
        // current layer's resources.
        let mut previous: Vec<Vec<usize>> = vec![Vec::new(); regions.len()];
        let mut current: Vec<Vec<usize>> = vec![Vec::new(); regions.len()];
        let mut names: Vec<String> = Vec::with_capacity(self.resources);
        for i in 0..self.resources {
            if i % per_layer == 0 && i > 0 {
                previous = std::mem::replace(&mut current, vec![Vec::new(); regions.len()]);
            }
            let r = i % regions.len();
            let name = format!("r{i}");
            let mut res = NullResource::new(&name)
                .input("layer", serde_json::json!(i / per_layer))
                .input("version", serde_json::json!(self.version))
                .region(regions[r].clone());
            if self.latency_ms > 0.0 {
                res = res.latency_ms(self.latency_ms);
            }
            let parents = &previous[r];
            for k in 0..self.fan_in.min(parents.len()) {
                let parent = &names[parents[(i * 7 + k * 13) % parents.len()]];
                let reference = Input::Output {
                    resource: parent.as_str().into(),
                    output: "id".into(),
                };
                match DEP_KEYS.get(k) {
                    Some(key) => res = res.input(key, reference),
                    None => res = res.input(&format!("dep{k}"), reference),
                }
            }
            res.declare(stack);
            current[r].push(names.len());
            names.push(name);
        }
        names
    }
}
