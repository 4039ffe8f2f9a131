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
