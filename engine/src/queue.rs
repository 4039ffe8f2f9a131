//! A dependency queue: which units of work may start, given which are done.
//!
//! Like cargo's `util/dependency_queue.rs`, it knows nothing of what a unit
//! is: units are numbers, each with the units it waits for. Each unit counts
//! the dependencies it still waits for; a unit whose count reaches zero is
//! *ready* and queued first in, first out (so the same input always gives
//! the same order). [`DependencyQueue::finish`] settles a unit and releases
//! its dependents; [`DependencyQueue::skip_dependents`] settles a failed unit
//! and every unit that transitively waits for it, without releasing anyone.
//! The planner orders deletes with it and the executor schedules its units
//! with it.

use std::collections::VecDeque;

/// The state of a set of units being worked through in dependency order.
#[derive(Clone, Debug)]
pub struct DependencyQueue {
    /// For each unit, the units that wait for it (in a fixed order).
    dependents: Vec<Vec<usize>>,
    /// For each unit, how many of its dependencies are not finished yet.
    waiting: Vec<usize>,
    /// Finished or skipped: never handed out again.
    settled: Vec<bool>,
    ready: VecDeque<usize>,
}

impl DependencyQueue {
    /// A queue over units `0..deps.len()`, where unit `u` waits for every
    /// unit in `deps[u]`. Ready at first: the units with no dependency, in
    /// index order.
    pub fn new(deps: &[Vec<usize>]) -> Self {
        let mut dependents = vec![Vec::new(); deps.len()];
        for (u, ds) in deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(u);
            }
        }
        Self::from_dependents(dependents)
    }

    /// A queue given, for each unit, the units that wait for it (a unit
    /// listed `k` times waits for `k` finishes). Dependents are released in
    /// the order listed.
    pub fn from_dependents(dependents: Vec<Vec<usize>>) -> Self {
        let mut waiting = vec![0; dependents.len()];
        for ds in &dependents {
            for &d in ds {
                waiting[d] += 1;
            }
        }
        let ready = (0..dependents.len()).filter(|&u| waiting[u] == 0).collect();
        DependencyQueue {
            settled: vec![false; dependents.len()],
            dependents,
            waiting,
            ready,
        }
    }

    /// The next ready unit, if any (first in, first out).
    pub fn next_ready(&mut self) -> Option<usize> {
        while let Some(u) = self.ready.pop_front() {
            if !self.settled[u] {
                return Some(u);
            }
        }
        None
    }

    /// Settles `u` as done: each dependent that now waits for nothing
    /// becomes ready.
    pub fn finish(&mut self, u: usize) {
        self.settled[u] = true;
        for i in 0..self.dependents[u].len() {
            let d = self.dependents[u][i];
            self.waiting[d] = self.waiting[d].saturating_sub(1);
            if self.waiting[d] == 0 && !self.settled[d] {
                self.ready.push_back(d);
            }
        }
    }

    /// Settles `u` as failed and every unit that transitively waits for it
    /// as skipped; returns the skipped units (depth first).
    pub fn skip_dependents(&mut self, u: usize) -> Vec<usize> {
        self.settled[u] = true;
        let mut skipped = Vec::new();
        let mut stack = self.dependents[u].clone();
        while let Some(d) = stack.pop() {
            if self.settled[d] {
                continue;
            }
            self.settled[d] = true;
            skipped.push(d);
            stack.extend(self.dependents[d].iter().copied());
        }
        skipped
    }

    /// Makes `u` ready whatever it waits for (a way out of a cycle).
    pub fn force(&mut self, u: usize) {
        self.ready.push_back(u);
    }

    /// The first unit (by index) neither finished nor skipped.
    pub fn first_unsettled(&self) -> Option<usize> {
        self.settled.iter().position(|s| !s)
    }

    /// Whether units with these dependencies can all run (no cycle).
    pub fn is_acyclic(deps: &[Vec<usize>]) -> bool {
        let mut queue = DependencyQueue::new(deps);
        let mut done = 0;
        while let Some(u) = queue.next_ready() {
            queue.finish(u);
            done += 1;
        }
        done == deps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut DependencyQueue) -> Vec<usize> {
        let mut order = Vec::new();
        while let Some(u) = queue.next_ready() {
            queue.finish(u);
            order.push(u);
        }
        order
    }

    #[test]
    fn units_come_out_after_their_dependencies_first_in_first_out() {
        // 2 waits for 0 and 1; 3 waits for 2; 4 waits for nothing.
        let deps = vec![vec![], vec![], vec![0, 1], vec![2], vec![]];
        assert_eq!(drain(&mut DependencyQueue::new(&deps)), [0, 1, 4, 2, 3]);
    }

    #[test]
    fn a_failure_skips_exactly_its_transitive_dependents() {
        let deps = vec![vec![], vec![0], vec![1], vec![], vec![3]];
        let mut queue = DependencyQueue::new(&deps);
        assert_eq!(queue.next_ready(), Some(0));
        let mut skipped = queue.skip_dependents(0);
        skipped.sort_unstable();
        assert_eq!(skipped, [1, 2]);
        assert_eq!(drain(&mut queue), [3, 4]);
        assert_eq!(queue.first_unsettled(), None);
    }

    #[test]
    fn cycles_are_detected_and_can_be_forced_open() {
        assert!(DependencyQueue::is_acyclic(&[vec![], vec![0]]));
        assert!(!DependencyQueue::is_acyclic(&[vec![1], vec![0]]));
        let mut queue = DependencyQueue::new(&[vec![1], vec![0]]);
        assert_eq!(queue.next_ready(), None);
        let first = queue.first_unsettled().unwrap();
        queue.force(first);
        assert_eq!(drain(&mut queue), [0, 1]);
    }
}
