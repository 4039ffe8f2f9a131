//! The exit codes of every Meridian program and of the `meridian` binary.

/// How a command ended, as the process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0,
    /// The command ran and failed (a step, a state error, a refusal).
    Failure = 1,
    /// The command line was wrong: nothing ran.
    Usage = 2,
    /// `--expect-no-changes`, and the plan has changes.
    ChangesPresent = 3,
    /// Ctrl-C: running steps finished and were recorded, no new one started.
    Interrupted = 130,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// Frees `value` on a thread of its own instead of in line: at 100,000
/// resources, freeing the state, the graph and the plan one allocation at a
/// time costs a fifth of a preview, just before the process exits (which
/// does not wait for that thread: the memory goes back with the process). A
/// caller that goes on (a test) still gets it freed.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
