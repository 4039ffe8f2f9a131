//! A picture of the resource graph: Graphviz DOT (regions as clusters) or
//! Mermaid, with planned operations as colours when a plan is given.

use crate::graph::ResourceGraph;
use crate::plan::{Op, Plan};
use std::collections::{BTreeMap, HashMap};

fn color(op: Option<Op>) -> &'static str {
    match op {
        Some(Op::Create) => "palegreen",
        Some(Op::Update) => "khaki",
        Some(Op::Replace) => "plum",
        Some(Op::Delete) => "lightpink",
        Some(Op::Read) => "lightblue",
        _ => "white",
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Renders `graph` as `dot` or `mermaid`.
pub fn render(graph: &ResourceGraph, plan: Option<&Plan>, format: &str) -> String {
    let ops: HashMap<&str, Op> = plan
        .map(|p| p.steps.iter().map(|s| (s.name.as_str(), s.op)).collect())
        .unwrap_or_default();
    let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        regions.entry(n.decl.region.as_str()).or_default().push(i);
    }
    let mut out = String::new();
    if format == "mermaid" {
        out.push_str("flowchart LR\n");
        for (r, nodes) in &regions {
            out.push_str(&format!("  subgraph {}[\"{r}\"]\n", r.replace('-', "_")));
            for &i in nodes {
                let n = &graph.nodes[i];
                out.push_str(&format!(
                    "    n{i}[\"{}<br/><small>{}</small>\"]\n",
                    n.decl.name, n.decl.type_token
                ));
            }
            out.push_str("  end\n");
        }
        for (i, n) in graph.nodes.iter().enumerate() {
            for d in &n.deps {
                out.push_str(&format!("  n{d} --> n{i}\n"));
            }
        }
        return out;
    }
    out.push_str("digraph meridian {\n  rankdir=LR;\n  node [shape=box, style=filled, fontname=\"Helvetica\"];\n");
    for (r, nodes) in &regions {
        out.push_str(&format!(
            "  subgraph \"cluster_{}\" {{\n    label=\"{}\";\n",
            esc(r),
            esc(r)
        ));
        for &i in nodes {
            let n = &graph.nodes[i];
            out.push_str(&format!(
                "    n{i} [label=\"{}\\n{}\", fillcolor={}];\n",
                esc(&n.decl.name),
                esc(&n.decl.type_token),
                color(ops.get(n.decl.name.as_str()).copied())
            ));
        }
        out.push_str("  }\n");
    }
    for (i, n) in graph.nodes.iter().enumerate() {
        for d in &n.deps {
            out.push_str(&format!("  n{d} -> n{i};\n"));
        }
    }
    out.push_str("}\n");
    out
}
