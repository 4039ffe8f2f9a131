//! Running programs from tests: the examples (built once per binary) and the
//! `meridian` binary, in a directory, with an environment that cannot point
//! them elsewhere; their exit code and output as a [`Run`], or watched while
//! they run in the background ([`Watched`]).

use meridian_testkit::TestAccount;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How a program run ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Exit code and both outputs, for assertion messages.
    pub fn show(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts stderr contains `needle` (showing stderr if not).
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(self.stderr.contains(needle), "{}", self.stderr);
    }

    /// Asserts the run succeeded.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "{}", self.show());
        self
    }

    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|_| panic!("{}", self.show()))
    }
}

/// Builds an example once per test binary and returns its path.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let built = BUILT.get_or_init(Default::default);
    let mut built = lock(built);
    if !built.iter().any(|b| b == name) {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name])
            .current_dir(root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building example {name} failed");
        built.push(name.to_string());
    }
    target.join("debug").join("examples").join(name)
}

/// The `meridian` binary of this package.
pub fn meridian_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_meridian"))
}

/// `program args` in `dir`, uncoloured, with no standard input and nothing
/// inherited that could arm a failpoint or point it at another backend or
/// credentials; with `account`'s environment when given.
pub fn command(
    program: &Path,
    dir: &Path,
    account: Option<&TestAccount>,
    args: &[&str],
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    if let Some(account) = account {
        cmd.envs(account.env());
    }
    cmd.env("NO_COLOR", "1")
        .env_remove("MERIDIAN_BACKEND")
        .env_remove("MERIDIAN_FAILPOINT")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to its end.
pub fn run(cmd: &mut Command) -> Run {
    Run::from(cmd.output().expect("the program runs"))
}

/// Strings to `&str`s, for building argument lists.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A program running in the background; its output is collected as it
/// comes, so a test can act once a step has started.
pub struct Watched {
    child: Child,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    stdout: Arc<Mutex<String>>,
}

fn collect(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = from.read(&mut chunk) {
            if n == 0 {
                break;
            }
            lock(&into).push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watched {
    /// Starts `cmd` with its output piped and watched.
    pub fn spawn(cmd: &mut Command) -> Watched {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        Watched::new(child)
    }

    /// Watches `child`, whose stdout and stderr are piped.
    pub fn new(mut child: Child) -> Watched {
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(
                child.stderr.take().expect("stderr is piped"),
                stderr.clone(),
            ),
            collect(
                child.stdout.take().expect("stdout is piped"),
                stdout.clone(),
            ),
        ];
        Watched {
            child,
            stderr,
            readers,
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until stderr contains `needle`; panics if the program exits
    /// first or nothing comes within a minute.
    pub fn wait_for(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            if lock(&self.stderr).contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the program exited ({status}) before printing {needle:?}:\n{}",
                    lock(&self.stderr)
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{needle:?} never appeared:\n{}",
                lock(&self.stderr)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (`INT`, `KILL`, ...).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the program to end.
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().expect("the program ends");
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout: lock(&self.stdout).clone(),
            stderr: lock(&self.stderr).clone(),
        }
    }
}
