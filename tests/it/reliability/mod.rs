//! Reliability of a real program (`examples/global_api`) against the test
//! cloud, through the fault-injecting proxy: killed at journal writes and at
//! random times, interrupted, run twice at once, throttled and faulted, and
//! failing for good on one resource. After each, the cloud (checked with the
//! SDK, never through Meridian) holds every desired resource exactly once, the
//! state matches it, and `state check` passes.

mod faults;
mod interrupts;
mod kills;
