//! The resource graph: declarations validated into a DAG, with every edge
//! pointing from a dependency to its dependent (its order in `order.rs`).
//!
//! Building the graph rejects, before any provider call, and naming the
//! culprits: duplicate names, references to undeclared resources, cycles
//! (printed as a path), unknown types, and inputs that fail the provider's
//! own `check`.

mod order;

use crate::Input;
use crate::component::child_urn;
use crate::model::{Inputs, ResourceDecl, UNKNOWN};
use crate::provider::{CheckFailure, Provider, ProviderRegistry, TypeInfo};
use order::{dependency_order, petgraph_of};
use petgraph::graph::NodeIndex;
use serde_json::Value;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One validated resource.
#[derive(Clone)]
pub struct Node {
    pub decl: ResourceDecl,
    pub urn: String,
    /// Indices of the nodes it depends on.
    pub deps: Vec<usize>,
    /// Its type's information (shared by every node of the type).
    pub info: Arc<TypeInfo>,
    pub provider: Arc<dyn Provider>,
    /// Effective `protect` (option, else the type's default).
    pub protect: bool,
    /// Effective `retain_on_delete`.
    pub retain_on_delete: bool,
    /// The URNs its aliases name (identities it had before).
    pub aliases: Vec<String>,
}

/// A validated, acyclic resource graph.
#[derive(Clone)]
pub struct ResourceGraph {
    pub stack: String,
    pub nodes: Vec<Node>,
    pub by_name: HashMap<String, usize>,
    /// Node indices in dependency order (dependencies first).
    pub order: Vec<usize>,
    /// Stack outputs the program exported.
    pub outputs: BTreeMap<String, Input>,
}

/// One reason a graph is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error(
        "duplicate resource name {name:?}: declared {count} times (names must be unique in a stack)"
    )]
    Duplicate { name: String, count: usize },
    #[error("resource {resource:?} references {missing:?}, which is not declared")]
    UndeclaredReference { resource: String, missing: String },
    #[error("stack output {output:?} references {missing:?}, which is not declared")]
    UndeclaredOutputReference { output: String, missing: String },
    #[error("dependency cycle: {}", path.join(" -> "))]
    Cycle { path: Vec<String> },
    #[error(
        "resource {resource:?} has unknown type {type_token:?} (no registered provider serves it)"
    )]
    UnknownType {
        resource: String,
        type_token: String,
    },
    #[error(
        "resource {resource:?} ({type_token}, {region}): {}",
        describe_failures(failures)
    )]
    InvalidInputs {
        resource: String,
        type_token: String,
        region: String,
        failures: Vec<CheckFailure>,
    },
    #[error(
        "resource name {name:?} is not valid: use 1 to 200 characters without '::' or control characters"
    )]
    InvalidName { name: String },
    #[error("resource {resource:?}: {problem}")]
    InvalidIdentity { resource: String, problem: String },
}

fn describe_failures(failures: &[CheckFailure]) -> String {
    failures
        .iter()
        .map(|f| {
            if f.property.is_empty() {
                f.reason.clone()
            } else {
                format!("input {:?} {}", f.property, f.reason)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// All the reasons a graph is invalid, reported together.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphErrors(pub Vec<GraphError>);

impl std::fmt::Display for GraphErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "the resource graph is invalid ({} problem{}):",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphErrors {}

impl ResourceGraph {
    /// Validates declarations into a graph. Calls only providers' `check`
    /// (which never touches the cloud).
    pub fn build(
        stack: &str,
        decls: Vec<ResourceDecl>,
        outputs: BTreeMap<String, Input>,
        providers: &ProviderRegistry,
    ) -> Result<ResourceGraph, GraphErrors> {
        let mut errors = Vec::new();

        let by_name = index_names(&decls, &mut errors);
        check_parents_and_aliases(&decls, &mut errors);

        let mut nodes = Vec::with_capacity(decls.len());
        // The last type looked up: declarations come in runs of one type.
        let mut last_type: Option<(String, Arc<dyn Provider>, Arc<TypeInfo>)> = None;
        // Consumed: a node owns its declaration (no copy of every input).
        for mut d in decls {
            let names = d.dependency_names();
            let mut deps = Vec::with_capacity(names.len());
            for dep in names {
                match by_name.get(dep) {
                    Some(&i) => deps.push(i),
                    None => errors.push(GraphError::UndeclaredReference {
                        resource: d.name.clone(),
                        missing: dep.to_string(),
                    }),
                }
            }
            let (provider, info) = match &last_type {
                Some((token, provider, info)) if *token == d.type_token => {
                    (provider.clone(), info.clone())
                }
                _ => {
                    let Some((provider, info)) = providers.for_type(&d.type_token) else {
                        errors.push(GraphError::UnknownType {
                            resource: d.name.clone(),
                            type_token: d.type_token.clone(),
                        });
                        continue;
                    };
                    last_type = Some((d.type_token.clone(), provider.clone(), info.clone()));
                    (provider.clone(), info.clone())
                }
            };
            crate::default_tags::merge_into(&mut d, &info);
            // Validate with every reference unknown: literal mistakes are
            // caught now, before any cloud call.
            let resolved = resolve_all_unknown(&d.inputs);
            let mut failures = provider.check(&d.type_token, &d.region, &resolved);
            drop(resolved);
            if let Some(config) = &d.options.provider {
                failures.extend(provider.check_provider_config(config));
            }
            if !failures.is_empty() {
                errors.push(GraphError::InvalidInputs {
                    resource: d.name.clone(),
                    type_token: d.type_token.clone(),
                    region: d.region.clone(),
                    failures,
                });
            }
            let parent = d.options.parent.as_ref();
            let aliases = d
                .options
                .aliases
                .iter()
                .map(|a| a.urn(stack, &d.type_token, &d.name, parent))
                .collect();
            d.inputs.shrink_to_fit();
            nodes.push(Node {
                urn: child_urn(stack, parent, &d.type_token, &d.name),
                aliases,
                deps,
                protect: d.options.protect.unwrap_or(info.protect_by_default),
                retain_on_delete: d.options.retain_on_delete.unwrap_or(info.retain_by_default),
                info,
                provider,
                decl: d,
            });
        }

        check_output_references(&outputs, &by_name, &mut errors);

        if !errors.is_empty() {
            return Err(GraphErrors(errors));
        }

        let Some(order) = dependency_order(&nodes) else {
            let cycles = find_cycles(&nodes);
            return Err(GraphErrors(
                cycles
                    .into_iter()
                    .map(|path| GraphError::Cycle { path })
                    .collect(),
            ));
        };

        Ok(ResourceGraph {
            stack: stack.to_string(),
            // Names are unique here (duplicates were rejected above), so
            // the map built from the declarations is exact.
            by_name,
            nodes,
            order,
            outputs,
        })
    }

    /// Node indices of `names` and everything they depend on, transitively.
    pub fn with_dependencies(&self, names: &[String]) -> Vec<bool> {
        let mut keep = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = names
            .iter()
            .filter_map(|n| self.by_name.get(n).copied())
            .collect();
        while let Some(i) = stack.pop() {
            if !keep[i] {
                keep[i] = true;
                stack.extend(self.nodes[i].deps.iter().copied());
            }
        }
        keep
    }
}

/// Each declaration's index by name (the first, for a name declared twice);
/// names must be unique and usable in a URN: the problems are reported in
/// name order.
fn index_names(decls: &[ResourceDecl], errors: &mut Vec<GraphError>) -> HashMap<String, usize> {
    let mut by_name = HashMap::with_capacity(decls.len());
    // Only the names with a problem, with how often each is declared.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, d) in decls.iter().enumerate() {
        match by_name.entry(d.name.clone()) {
            Entry::Occupied(_) => *counts.entry(d.name.as_str()).or_insert(1) += 1,
            Entry::Vacant(slot) => {
                slot.insert(i);
                if !valid_name(&d.name) {
                    counts.insert(d.name.as_str(), 1);
                }
            }
        }
    }
    for (name, count) in &counts {
        if *count > 1 {
            errors.push(GraphError::Duplicate {
                name: name.to_string(),
                count: *count,
            });
        }
        if !valid_name(name) {
            errors.push(GraphError::InvalidName {
                name: name.to_string(),
            });
        }
    }
    by_name
}

/// A parent's type tokens and an alias's old name must be usable in a URN.
fn check_parents_and_aliases(decls: &[ResourceDecl], errors: &mut Vec<GraphError>) {
    let usable_type = |t: &str| !t.is_empty() && !t.contains("::") && !t.contains('$');
    for d in decls {
        let mut problem = |problem: String| {
            errors.push(GraphError::InvalidIdentity {
                resource: d.name.clone(),
                problem,
            })
        };
        let parents = d
            .options
            .parent
            .iter()
            .chain(d.options.aliases.iter().filter_map(|a| match &a.parent {
                crate::component::AliasParent::Component(p) => Some(p),
                _ => None,
            }));
        for p in parents {
            let chain = p.ancestors.iter().chain(std::iter::once(&p.type_token));
            for t in chain.filter(|t| !usable_type(t)) {
                problem(format!(
                    "component {:?} has type {t:?}: a component's type must be non-empty, without '::' or '$'",
                    p.name
                ));
            }
        }
        for a in &d.options.aliases {
            if let Some(n) = a.name.as_deref().filter(|n| !valid_name(n)) {
                problem(format!(
                    "alias name {n:?} is not valid: use 1 to 200 characters without '::' or control characters"
                ));
            }
        }
    }
}

/// A logical name usable in a URN.
fn valid_name(name: &str) -> bool {
    !(name.is_empty()
        || name.len() > 200
        || name.as_bytes().windows(2).any(|pair| pair == b"::")
        || name.chars().any(char::is_control))
}

/// Stack outputs may reference only declared resources.
fn check_output_references(
    outputs: &BTreeMap<String, Input>,
    by_name: &HashMap<String, usize>,
    errors: &mut Vec<GraphError>,
) {
    for (name, input) in outputs {
        let mut refs = Vec::new();
        input.references(&mut refs);
        for r in refs {
            if !by_name.contains_key(&r) {
                errors.push(GraphError::UndeclaredOutputReference {
                    output: name.clone(),
                    missing: r,
                });
            }
        }
    }
}

fn resolve_all_unknown(inputs: &Inputs) -> Value {
    Value::Object(
        inputs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.resolve(&|_, _| Value::String(UNKNOWN.into())),
                )
            })
            .collect(),
    )
}

/// One cycle per strongly connected component that has one, as a path of
/// names that starts and ends with the same resource.
fn find_cycles(nodes: &[Node]) -> Vec<Vec<String>> {
    let g = &petgraph_of(nodes);
    let mut cycles = Vec::new();
    for scc in petgraph::algo::tarjan_scc(g) {
        let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
        let mut start = scc[0];
        for &s in &scc {
            if nodes[g[s]].decl.name < nodes[g[start]].decl.name {
                start = s;
            }
        }
        // Walk forward inside the component until we return to the start.
        let mut path = vec![start];
        let mut seen = std::collections::HashSet::new();
        seen.insert(start);
        let mut cur = start;
        loop {
            let next = g
                .neighbors(cur)
                .filter(|n| members.contains(n))
                .find(|n| *n == start || !seen.contains(n));
            match next {
                Some(n) if n == start => {
                    path.push(n);
                    break;
                }
                Some(n) => {
                    seen.insert(n);
                    path.push(n);
                    cur = n;
                }
                None => {
                    // Dead end inside the component: back up.
                    path.pop();
                    match path.last() {
                        Some(&p) => cur = p,
                        None => break,
                    }
                }
            }
        }
        // Edges point dependency -> dependent; print "a depends on b" order.
        let mut names: Vec<String> = path
            .into_iter()
            .map(|n| nodes[g[n]].decl.name.clone())
            .collect();
        names.reverse();
        cycles.push(names);
    }
    cycles
}
