//! Planning from records' headers (`meridian_state::RecordHeader`): which
//! declared resources are unchanged is decided from each header's stamp
//! alone, and only the records the rest of the plan needs are read. At
//! 100,000 resources of which few change, a preview then reads a few
//! dozen bytes per resource instead of its whole record.
//!
//! A resource is unchanged when its header's declared digest is the digest
//! of its declaration now ([`super::digest`]) over its references'
//! recorded outputs, and each resource it references is itself unchanged
//! (so those outputs are what its dependents will see). Then resolving its
//! inputs gives exactly its recorded inputs, where its record says it is:
//! the plan's own shortcut (`unchanged`) would find it `same` too.

use super::digest;
use crate::graph::ResourceGraph;
use meridian_state::{Digest, RecordHeader};
use std::collections::HashMap;

/// What the headers settle, and what they leave to the records.
#[derive(Debug, Default, PartialEq)]
pub struct Settled {
    /// By node: known unchanged.
    pub unchanged: Vec<bool>,
    /// The state keys of the records the plan must read (sorted): every
    /// other declared resource's, its dependencies' and its aliases', and
    /// every record no node declares. Only keys that have a header.
    pub needed: Vec<String>,
}

/// Each node's [`digest::shape`], by node. A large graph is hashed on
/// every core: the CLI hashes once the state has loaded, when the other
/// core is free.
pub fn shapes(graph: &ResourceGraph) -> Vec<Option<Digest>> {
    const CHUNK: usize = 8192;
    let n = graph.nodes.len();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per_thread = n.div_ceil(threads).max(CHUNK);
    let hash = |range: std::ops::Range<usize>| -> Vec<Option<Digest>> {
        range.map(|i| digest::shape(graph, i)).collect()
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (per_thread..n)
            .step_by(per_thread)
            .map(|start| scope.spawn(move || hash(start..n.min(start + per_thread))))
            .collect();
        let mut all = hash(0..n.min(per_thread));
        for other in others {
            all.extend(other.join().expect("hashing a declaration does not panic"));
        }
        all
    })
}

/// Decides from `headers` (by state key) which of `graph`'s resources are
/// unchanged; `shapes` are [`shapes`] of the graph.
pub fn settle(
    graph: &ResourceGraph,
    headers: &[(String, RecordHeader)],
    shapes: &[Option<Digest>],
) -> Settled {
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(h, (key, _))| (key.as_str(), h))
        .collect();
    // By node: its live record's header.
    let live: Vec<Option<&RecordHeader>> = graph
        .nodes
        .iter()
        .map(|n| {
            let &h = index.get(n.urn.as_str())?;
            Some(&headers[h].1).filter(|h| !h.pending_delete)
        })
        .collect();
    let mut unchanged = vec![false; graph.nodes.len()];
    for &i in &graph.order {
        unchanged[i] = is_unchanged(graph, i, &live, shapes, &unchanged);
    }

    // By header: read in full, or known unchanged.
    let mut read = vec![false; headers.len()];
    let mut claimed = vec![false; headers.len()];
    let mut need = |urn: &str| {
        if let Some(&h) = index.get(urn) {
            read[h] = true;
        }
    };
    for (i, n) in graph.nodes.iter().enumerate() {
        if unchanged[i] {
            if let Some(&h) = index.get(n.urn.as_str()) {
                claimed[h] = true;
            }
            continue;
        }
        need(&n.urn);
        n.aliases.iter().for_each(|alias| need(alias));
        n.deps.iter().for_each(|&d| need(&graph.nodes[d].urn));
    }
    // And the records no node declares (deleted, or old copies).
    let needed: Vec<String> = headers
        .iter()
        .zip(read.iter().zip(&claimed))
        .filter(|(_, (read, claimed))| **read || !**claimed)
        .map(|((key, _), _)| key.clone())
        .collect();
    Settled { unchanged, needed }
}

/// Whether node `i` is unchanged by its header (see the module docs); its
/// references are decided already (`unchanged`, in dependency order).
fn is_unchanged(
    graph: &ResourceGraph,
    i: usize,
    live: &[Option<&RecordHeader>],
    shapes: &[Option<Digest>],
    unchanged: &[bool],
) -> bool {
    let n = &graph.nodes[i];
    // Renamed (an alias) or imported: the plan reads the records.
    if !n.aliases.is_empty() || n.decl.options.import_id.is_some() {
        return false;
    }
    let (Some(shape), Some(header)) = (&shapes[i], live[i]) else {
        return false;
    };
    let Some(stamped) = header.declared else {
        return false;
    };
    let mut outputs = Vec::new();
    let mut settled = true;
    digest::references(graph, i, &mut |d| match live[d] {
        Some(h) if unchanged[d] => outputs.push(h.outputs),
        _ => settled = false,
    });
    settled && digest::declared(shape, outputs) == stamped
}
