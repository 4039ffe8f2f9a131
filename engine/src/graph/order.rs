//! The graph's dependency order, computed on the nodes' own dependency
//! lists: the same order `petgraph::algo::toposort` gives (plans list their
//! steps in it), without building a petgraph graph of every resource. A
//! petgraph graph is built only to describe a cycle.

use super::Node;
use petgraph::graph::{DiGraph, NodeIndex};

/// Node indices, dependencies first, or `None` if there is a cycle.
pub(super) fn dependency_order(nodes: &[Node]) -> Option<Vec<usize>> {
    reverse_postorder(nodes.len(), |i| &nodes[i].deps)
}

/// A graph with an edge from each dependency to its dependent, in the
/// order `dependency_order` reads them.
pub(super) fn petgraph_of(nodes: &[Node]) -> DiGraph<usize, ()> {
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
    let idx: Vec<NodeIndex> = (0..nodes.len()).map(|i| g.add_node(i)).collect();
    for (i, n) in nodes.iter().enumerate() {
        for &d in &n.deps {
            g.add_edge(idx[d], idx[i], ());
        }
    }
    g
}

/// The reverse postorder of a depth-first search from each node in index
/// order, visiting a node's dependents latest-added first, as petgraph's
/// `toposort` does on the graph `petgraph_of` builds; `None` if an edge
/// points backwards in it (a cycle).
fn reverse_postorder<'a>(len: usize, deps: impl Fn(usize) -> &'a [usize]) -> Option<Vec<usize>> {
    // Dependents of each node, in the order their edges were added
    // (compressed rows: `start[d]..start[d + 1]` in `dependents`).
    let mut start = vec![0usize; len + 1];
    for i in 0..len {
        for &d in deps(i) {
            start[d + 1] += 1;
        }
    }
    for d in 0..len {
        start[d + 1] += start[d];
    }
    let mut fill = start.clone();
    let mut dependents = vec![0usize; start[len]];
    for i in 0..len {
        for &d in deps(i) {
            dependents[fill[d]] = i;
            fill[d] += 1;
        }
    }

    let mut discovered = vec![false; len];
    let mut finished = vec![false; len];
    let mut finish_order = Vec::with_capacity(len);
    let mut stack = Vec::new();
    for root in 0..len {
        if discovered[root] {
            continue;
        }
        stack.push(root);
        while let Some(&node) = stack.last() {
            if !discovered[node] {
                discovered[node] = true;
                for &next in dependents[start[node]..start[node + 1]].iter().rev() {
                    if next == node {
                        return None;
                    }
                    if !discovered[next] {
                        stack.push(next);
                    }
                }
            } else {
                stack.pop();
                if !finished[node] {
                    finished[node] = true;
                    finish_order.push(node);
                }
            }
        }
    }
    finish_order.reverse();

    let mut position = vec![0usize; len];
    for (p, &node) in finish_order.iter().enumerate() {
        position[node] = p;
    }
    let acyclic = (0..len).all(|i| deps(i).iter().all(|&d| position[d] < position[i]));
    acyclic.then_some(finish_order)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (xorshift).
    fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |below| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below.max(1) as u64) as usize
        }
    }

    fn petgraph_order(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
        let mut g: DiGraph<usize, ()> = DiGraph::new();
        let idx: Vec<NodeIndex> = (0..deps.len()).map(|i| g.add_node(i)).collect();
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                g.add_edge(idx[d], idx[i], ());
            }
        }
        petgraph::algo::toposort(&g, None)
            .ok()
            .map(|order| order.into_iter().map(|n| g[n]).collect())
    }

    #[test]
    fn the_order_is_petgraphs_on_random_graphs_with_and_without_cycles() {
        for seed in 1..300u64 {
            let mut next = numbers(seed * 7919);
            let len = 1 + next(40);
            let deps: Vec<Vec<usize>> = (0..len)
                .map(|i| {
                    let mut ds: Vec<usize> = (0..next(4))
                        .map(|_| {
                            // Mostly earlier nodes, sometimes any (cycles).
                            if next(10) == 0 {
                                next(len)
                            } else {
                                next(i.max(1))
                            }
                        })
                        .filter(|&d| d < len)
                        .collect();
                    ds.sort_unstable();
                    ds.dedup();
                    ds
                })
                .collect();
            let ours = reverse_postorder(len, |i| &deps[i]);
            assert_eq!(ours, petgraph_order(&deps), "seed {seed}: {deps:?}");
        }
    }

    #[test]
    fn a_self_dependency_is_a_cycle() {
        let deps = [vec![], vec![1]];
        assert_eq!(reverse_postorder(2, |i| &deps[i]), None);
    }
}
