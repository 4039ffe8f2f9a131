//! A picture of the resource graph: Graphviz DOT or Mermaid (regions as
//! clusters, planned operations as colours when a plan is given), SVG/PNG
//! through Graphviz's `dot` where it is installed, and a JSON document.

use crate::graph::ResourceGraph;
use crate::plan::{Op, Plan, Step};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What `graph --format` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    /// Rendered by Graphviz's `dot`.
    Svg,
    /// Rendered by Graphviz's `dot`.
    Png,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s {
            "dot" => Ok(Format::Dot),
            "mermaid" => Ok(Format::Mermaid),
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            other => Err(format!(
                "--format {other:?} is not supported (use dot, mermaid, svg or png)"
            )),
        }
    }

    /// Whether the output is a binary or XML picture made by Graphviz.
    pub fn needs_graphviz(self) -> bool {
        matches!(self, Format::Svg | Format::Png)
    }
}

/// The fill colour of a planned operation (white: unchanged or no plan).
fn color(op: Option<Op>) -> &'static str {
    match op {
        Some(Op::Create) => "#c6efce",
        Some(Op::Update) => "#fff2a8",
        Some(Op::Replace) => "#e4c7f2",
        Some(Op::Delete) => "#f8c4c4",
        Some(Op::Read) => "#cfe5ff",
        _ => "#ffffff",
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The picture's nodes: the declared resources, then the resources the plan
/// deletes (they are no longer in the graph), with their planned steps.
struct Picture<'a> {
    nodes: Vec<PicNode<'a>>,
}

struct PicNode<'a> {
    name: &'a str,
    ty: &'a str,
    region: &'a str,
    step: Option<&'a Step>,
    /// The component it is declared under.
    parent: Option<&'a str>,
    /// Indices of the nodes it depends on.
    deps: Vec<usize>,
}

impl<'a> Picture<'a> {
    fn new(graph: &'a ResourceGraph, plan: Option<&'a Plan>) -> Picture<'a> {
        let steps: HashMap<&str, &Step> = plan
            .map(|p| {
                p.steps
                    .iter()
                    .filter(|s| s.node().is_some())
                    .map(|s| (s.name.as_str(), s))
                    .collect()
            })
            .unwrap_or_default();
        let mut nodes: Vec<_> = graph
            .nodes
            .iter()
            .map(|n| PicNode {
                name: n.decl.name.as_str(),
                ty: n.decl.type_token.as_str(),
                region: n.decl.region.as_str(),
                step: steps.get(n.decl.name.as_str()).copied(),
                parent: n.decl.options.parent.as_ref().map(|p| p.name.as_str()),
                deps: n.deps.clone(),
            })
            .collect();
        for s in plan.iter().flat_map(|p| &p.steps) {
            if s.node().is_none() && s.op == Op::Delete {
                nodes.push(PicNode {
                    name: s.name.as_str(),
                    ty: s.type_token.as_str(),
                    region: s.region.as_str(),
                    step: Some(s),
                    parent: None,
                    deps: Vec::new(),
                });
            }
        }
        Picture { nodes }
    }

    /// The dependency edges, as (dependency, dependent) node indexes.
    fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let nodes = self.nodes.iter().enumerate();
        nodes.flat_map(|(i, n)| n.deps.iter().map(move |&d| (d, i)))
    }

    fn regions(&self) -> BTreeMap<&'a str, Vec<usize>> {
        let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            regions.entry(n.region).or_default().push(i);
        }
        regions
    }

    /// `nodes` as lines (`line`), those under a component inside a
    /// cluster (`open` with the component's name, then `close`).
    fn clustered(
        &self,
        nodes: Vec<usize>,
        open: impl Fn(&str) -> String,
        close: &str,
        line: fn(&PicNode, usize) -> String,
    ) -> String {
        let mut out = String::new();
        let groups = crate::component::grouped(None, nodes, |&i| self.nodes[i].parent);
        for (component, members) in groups {
            let indent = match component {
                Some(c) => {
                    out.push_str(&open(c));
                    "      "
                }
                None => "    ",
            };
            for i in members {
                out.push_str(indent);
                out.push_str(&line(&self.nodes[i], i));
            }
            if component.is_some() {
                out.push_str(close);
            }
        }
        out
    }
}

/// An identifier Mermaid and DOT accept, made from `s`.
fn ident(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn op_label(step: Option<&Step>) -> &'static str {
    match step {
        Some(s) if s.op != Op::Same => crate::render::symbol(s),
        _ => "",
    }
}

/// Renders `graph` as DOT or Mermaid text (`svg` and `png` get DOT, for
/// [`render_image`]). With a plan, each resource is coloured by its planned
/// operation, resources the plan deletes are drawn dashed, and a legend and
/// the plan's summary line are added.
pub fn render(graph: &ResourceGraph, plan: Option<&Plan>, format: Format) -> String {
    let pic = Picture::new(graph, plan);
    if format == Format::Mermaid {
        return mermaid(&pic, plan);
    }
    let mut out = String::from("digraph meridian {\n");
    out.push_str("  rankdir=LR;\n  fontname=\"Helvetica\";\n");
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n",
    );
    out.push_str("  edge [color=\"#777777\"];\n");
    if let Some(p) = plan {
        out.push_str(&format!(
            "  label=\"{}\";\n  labelloc=t;\n",
            esc(&crate::render::summary_line(p))
        ));
    }
    for (r, nodes) in pic.regions() {
        out.push_str(&format!(
            "  subgraph \"cluster_{}\" {{\n    label=\"{}\";\n    style=\"rounded\";\n    color=\"#999999\";\n",
            esc(r),
            esc(r)
        ));
        let open = |c: &str| {
            format!(
                "    subgraph \"cluster_{}_{}\" {{\n      label=\"{}\";\n      style=\"rounded,dashed\";\n      color=\"#666666\";\n",
                esc(r),
                esc(c),
                esc(c)
            )
        };
        out.push_str(&pic.clustered(nodes, open, "    }\n", dot_node));
        out.push_str("  }\n");
    }
    for (d, i) in pic.edges() {
        out.push_str(&format!("  n{d} -> n{i};\n"));
    }
    if plan.is_some() {
        out.push_str("  subgraph cluster_legend {\n    label=\"planned operation\";\n    style=\"rounded\";\n    color=\"#999999\";\n    node [fontsize=10];\n");
        for (k, (op, text)) in [
            (Op::Create, "+ create"),
            (Op::Update, "~ update"),
            (Op::Replace, "+- replace"),
            (Op::Delete, "- delete"),
            (Op::Read, "> read"),
            (Op::Same, "unchanged"),
        ]
        .iter()
        .enumerate()
        {
            out.push_str(&format!(
                "    legend{k} [label=\"{text}\", fillcolor=\"{}\"];\n",
                color(Some(*op))
            ));
        }
        // Invisible edges lay the legend out in one row.
        out.push_str(
            "    legend0 -> legend1 -> legend2 -> legend3 -> legend4 -> legend5 [style=invis];\n",
        );
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// One resource's DOT node line.
fn dot_node(node: &PicNode, i: usize) -> String {
    let PicNode { name, ty, step, .. } = node;
    let sym = op_label(*step);
    let head = if sym.is_empty() {
        esc(name)
    } else {
        format!("{} {}", esc(sym), esc(name))
    };
    let dashed = if step.is_some_and(|s| s.node().is_none()) {
        ", style=\"rounded,filled,dashed\""
    } else {
        ""
    };
    format!(
        "n{i} [label=\"{head}\\n{}\", fillcolor=\"{}\"{dashed}];\n",
        esc(ty),
        color(step.map(|s| s.op))
    )
}

/// One resource's Mermaid node line.
fn mermaid_node(node: &PicNode, i: usize) -> String {
    let PicNode { name, ty, step, .. } = node;
    let sym = op_label(*step);
    let head = if sym.is_empty() {
        name.to_string()
    } else {
        format!("{sym} {name}")
    };
    format!(
        "n{i}[\"{}<br/><small>{}</small>\"]\n",
        head.replace('"', "#quot;"),
        ty.replace('"', "#quot;")
    )
}

fn mermaid(pic: &Picture, plan: Option<&Plan>) -> String {
    let mut out = String::from("flowchart LR\n");
    for (r, nodes) in pic.regions() {
        let id = ident(r);
        out.push_str(&format!("  subgraph {id}[\"{r}\"]\n"));
        let open = |c: &str| format!("    subgraph {id}__{}[\"{c}\"]\n", ident(c));
        out.push_str(&pic.clustered(nodes, open, "    end\n", mermaid_node));
        out.push_str("  end\n");
    }
    for (d, i) in pic.edges() {
        out.push_str(&format!("  n{d} --> n{i}\n"));
    }
    if plan.is_some() {
        for op in [Op::Create, Op::Update, Op::Replace, Op::Delete, Op::Read] {
            out.push_str(&format!(
                "  classDef {} fill:{},stroke:#555\n",
                op.as_str(),
                color(Some(op))
            ));
        }
        for (i, n) in pic.nodes.iter().enumerate() {
            if let Some(s) = n.step.filter(|s| s.op != Op::Same) {
                out.push_str(&format!("  class n{i} {}\n", s.op.as_str()));
            }
        }
    }
    out
}

/// Renders DOT text as SVG or PNG with Graphviz's `dot`, into `out` (or
/// returns the bytes). Says how to install Graphviz when it is missing.
pub fn render_image(dot: &str, format: Format, out: Option<&Path>) -> Result<Vec<u8>, String> {
    let t = match format {
        Format::Png => "-Tpng",
        _ => "-Tsvg",
    };
    let mut cmd = Command::new("dot");
    cmd.arg(t);
    if let Some(p) = out {
        cmd.arg("-o").arg(p);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "Graphviz is not installed (no `dot` on PATH): install it (Debian/Ubuntu: \
                 `apt-get install graphviz`; macOS: `brew install graphviz`; Fedora: \
                 `dnf install graphviz`), or print the graph with `--format dot` or \
                 `--format mermaid` and render it elsewhere"
                    .to_string()
            } else {
                format!("could not run Graphviz's `dot`: {e}")
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| format!("could not send the graph to `dot`: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("`dot` failed: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`dot` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// `graph --json`: every resource with its dependencies and, with a plan,
/// its planned operation.
pub fn graph_json(graph: &ResourceGraph, plan: Option<&Plan>) -> Value {
    let pic = Picture::new(graph, plan);
    let resources: Vec<Value> = pic
        .nodes
        .iter()
        .map(|n| {
            let mut r = json!({
                "name": n.name,
                "type": n.ty,
                "region": n.region,
                "depends_on": n.deps.iter().map(|&d| pic.nodes[d].name).collect::<Vec<_>>(),
            });
            if let Some(s) = n.step {
                r["op"] = json!(s.op);
            }
            if let Some(p) = n.parent {
                r["parent"] = json!(p);
            }
            r
        })
        .collect();
    let mut doc = json!({ "resources": resources });
    if let Some(p) = plan {
        doc["summary"] = json!(p.summary);
    }
    doc
}
