//! A declaration's digest, as a record's plan stamp holds it (see
//! `meridian_state::summary`): the executor stamps each record it applies
//! with it, and the planner computes it again to know, from a record's
//! header alone, that the resource is unchanged.
//!
//! It is made in two halves so the planner can hash the program while the
//! state is still loading: the *shape* (the declaration with each reference
//! named, not resolved), then the *declared* digest (the shape and the
//! digests of the referenced resources' outputs, in reference order).

use crate::graph::ResourceGraph;
use crate::model::{Input, Inputs};
use meridian_state::{Digest, DigestWriter};
use std::io::Write;

/// What every shape starts with. Another version is another digest: bump it
/// whenever what a shape covers or how it is written changes, so that
/// stamps made before never match.
const VERSION: &[u8] = b"meridian.declared.v1\n";

/// The shape of node `node`'s declaration: its provider, type, region,
/// provider configuration and inputs, each reference written as the URN
/// and output path it names. `None` for what a stamp never vouches for: a
/// data source (read again by every plan), and a declaration holding a
/// secret (its digest, stored in the state, would be a hash of the secret).
pub fn shape(graph: &ResourceGraph, node: usize) -> Option<Digest> {
    let n = &graph.nodes[node];
    if n.info.data_source {
        return None;
    }
    let mut w = DigestWriter::new();
    w.write_all(VERSION).ok()?;
    let d = &n.decl;
    let head = (
        n.provider.name(),
        &d.type_token,
        &d.region,
        &d.options.provider,
    );
    serde_json::to_writer(&mut w, &head).ok()?;
    write_map(graph, &d.inputs, &mut w)?;
    Some(w.finish())
}

/// The declared digest of a resource of shape `shape` whose references
/// ([`references`], in order) have outputs of digests `outputs`.
pub fn declared(shape: &Digest, outputs: impl IntoIterator<Item = Digest>) -> Digest {
    let mut w = DigestWriter::new();
    w.write_all(shape).expect("hashing never fails");
    for digest in outputs {
        w.write_all(&digest).expect("hashing never fails");
    }
    w.finish()
}

/// Calls `found` with the node of every resource node `node`'s inputs
/// reference: in order, repeats included (as [`declared`] takes them).
pub fn references(graph: &ResourceGraph, node: usize, found: &mut impl FnMut(usize)) {
    for input in graph.nodes[node].decl.inputs.values() {
        input.each_reference(&mut |name| {
            if let Some(&d) = graph.by_name.get(name) {
                found(d);
            }
        });
    }
}

// Each form starts with its own tag byte and JSON is self-delimiting, so
// different inputs never write the same bytes.

fn write_map(graph: &ResourceGraph, map: &Inputs, w: &mut DigestWriter) -> Option<()> {
    w.write_all(b"{").ok()?;
    for (key, input) in map.iter() {
        serde_json::to_writer(&mut *w, key).ok()?;
        write_input(graph, input, w)?;
    }
    w.write_all(b"}").ok()
}

fn write_list(
    graph: &ResourceGraph,
    tag: &[u8],
    items: &[Input],
    w: &mut DigestWriter,
) -> Option<()> {
    w.write_all(tag).ok()?;
    for item in items {
        write_input(graph, item, w)?;
    }
    w.write_all(b"]").ok()
}

fn write_input(graph: &ResourceGraph, input: &Input, w: &mut DigestWriter) -> Option<()> {
    match input {
        Input::Value(v) => {
            w.write_all(b"v").ok()?;
            serde_json::to_writer(&mut *w, v).ok()
        }
        Input::Output { resource, output } => {
            let urn = &graph.nodes[*graph.by_name.get(resource.as_str())?].urn;
            w.write_all(b"o").ok()?;
            serde_json::to_writer(&mut *w, &(urn, output.as_str())).ok()
        }
        Input::List(items) => write_list(graph, b"[", items, w),
        Input::Concat(items) => write_list(graph, b"c[", items, w),
        Input::Map(map) => write_map(graph, map, w),
        Input::Secret(_) => None,
    }
}
