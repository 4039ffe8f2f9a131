//! The user guide cannot rot: every ```` ```sh ```` block of `docs/guide/*.md`
//! and `README.md` runs here, in order per page, in a scratch directory and a
//! test-cloud account of its own, and each command's exit code (and the output
//! the page shows for it) is checked.
//!
//! The markup the pages use (see `docs/guide/README.md`, "How this guide is tested"):
//! - ```` ```sh ````: every line is a command (`\` continues a line, `<<'EOF'`
//!   heredocs are part of theirs, `#` lines are comments). A command must exit
//!   0, or the code its comment names: `cmd   # exits 3: ...`.
//! - ```` ```sh no-run REASON ````: shown, never run; the reason is required.
//! - ```` ```text output ```` right after an `sh` block: the last command's
//!   stdout, exactly, where a `...` line stands for any lines and `[..]` for
//!   any text within a line.
//! - Any other shell fence (`bash`, `console`, `shell`) is refused: a command
//!   shown is either run or marked.
//!
//! A directory `checkout/` in the scratch directory stands in for the
//! checkout (so `../` is still the scratch directory): `cargo run --example NAME
//! --` and `cargo run --bin meridian --` run the binaries cargo built for this
//! test, `meridian` is that binary, `scripts/with-local-aws CMD` runs CMD (the
//! environment already points at the page's account, whose parent zone
//! `example.com` exists), and `PATH` holds only those and a few standard
//! tools: anything else fails with exit 127 and the runner says to mark it.
//! A command that touches the AWS endpoint or credentials variables is
//! refused before the page runs: it could reach real AWS.

use crate::support::cli::{example, meridian_bin};
use crate::support::zone;
use meridian_testkit::{TestAccount, TestCloud};
use std::path::{Path, PathBuf};

/// One command of a page, as the runner executes it.
#[derive(Debug, PartialEq)]
struct Step {
    /// 1-based line of the page where the command starts.
    line: usize,
    /// The command as shown (continuation lines and heredocs included).
    text: String,
    /// The exit code the page promises (`# exits N`), else 0.
    exit_code: i32,
    /// The stdout the page shows for it (`text output`), if any.
    output: Option<Vec<String>>,
}

/// What kind of fence an info string opens.
enum Fence {
    Run,
    NoRun,
    Output,
    Other,
}

fn fence_kind(info: &str, line: usize) -> Result<Fence, String> {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    match (lang, rest.first().copied()) {
        ("sh", None) => Ok(Fence::Run),
        ("sh", Some("no-run")) if rest.len() > 1 => Ok(Fence::NoRun),
        ("sh", Some("no-run")) => Err(format!(
            "line {line}: `sh no-run` needs a reason (```sh no-run WHY IT CANNOT RUN HERE)"
        )),
        ("sh", Some(other)) => Err(format!(
            "line {line}: unknown sh fence marker {other:?}: use ```sh or ```sh no-run REASON"
        )),
        ("text", Some("output")) => Ok(Fence::Output),
        ("bash" | "shell" | "console" | "zsh", _) => Err(format!(
            "line {line}: a ```{lang} block is neither run nor marked: write ```sh (run by the guide test) or ```sh no-run REASON"
        )),
        _ => Ok(Fence::Other),
    }
}

/// The commands of a page's `sh` blocks, in order, with their expectations.
fn extract(markdown: &str) -> Result<Vec<Step>, String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut steps: Vec<Step> = Vec::new();
    // Whether the fence just closed was a run block with a command, so an
    // output block may follow it.
    let mut last_run_block_ended = false;
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            if !lines[i].trim().is_empty() {
                last_run_block_ended = false;
            }
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let open = i + 1;
        let end = (open..lines.len())
            .find(|&j| lines[j].trim() == "```")
            .ok_or_else(|| format!("line {open}: the fence is never closed"))?;
        let pad = " ".repeat(indent);
        let body: Vec<&str> = lines[open..end]
            .iter()
            .map(|l| l.strip_prefix(&pad).unwrap_or(l.trim_start()))
            .collect();
        match fence_kind(info, open)? {
            Fence::Run => {
                let before = steps.len();
                commands(&body, open + 1, &mut steps)?;
                last_run_block_ended = steps.len() > before;
            }
            Fence::Output => {
                let last = steps
                    .last_mut()
                    .filter(|_| last_run_block_ended)
                    .ok_or_else(|| {
                        format!("line {open}: a `text output` block must follow a ```sh block")
                    })?;
                last.output = Some(body.iter().map(|l| l.trim_end().to_string()).collect());
                last_run_block_ended = false;
            }
            Fence::NoRun | Fence::Other => last_run_block_ended = false,
        }
        i = end + 1;
    }
    Ok(steps)
}

/// Splits a block's lines into commands; `first_line` is the page line of `body[0]`.
fn commands(body: &[&str], first_line: usize, steps: &mut Vec<Step>) -> Result<(), String> {
    let mut i = 0;
    while i < body.len() {
        let start = i;
        let line = body[i].trim_end();
        i += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut text = line.to_string();
        while text.ends_with('\\') && i < body.len() {
            text.push('\n');
            text.push_str(body[i].trim_end());
            i += 1;
        }
        if let Some(word) = heredoc_word(&text) {
            let close = (i..body.len())
                .find(|&j| body[j].trim() == word)
                .ok_or_else(|| format!("line {}: heredoc {word} never ends", first_line + start))?;
            for l in &body[i..=close] {
                text.push('\n');
                text.push_str(l);
            }
            i = close + 1;
        }
        steps.push(Step {
            line: first_line + start,
            exit_code: promised_exit(&text, first_line + start)?,
            text,
            output: None,
        });
    }
    Ok(())
}

/// `WORD` of a `<<WORD`, `<<'WORD'` or `<<-WORD` in the command's first line.
fn heredoc_word(text: &str) -> Option<String> {
    let first = text.lines().next()?;
    let (_, after) = first.split_once("<<")?;
    let word: String = after
        .trim_start_matches('-')
        .trim_start()
        .trim_matches(|c| c == '\'' || c == '"')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// The exit code a command's comment promises: `# exits N`.
fn promised_exit(text: &str, line: usize) -> Result<i32, String> {
    let Some((_, comment)) = text.rsplit_once(" # exits ") else {
        return Ok(0);
    };
    let digits: String = comment.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .map_err(|_| format!("line {line}: `# exits` must be followed by the exit code"))
}

/// Whether `actual` (a command's stdout) is what `expected` shows: line by
/// line, trailing spaces ignored, `...` any lines, `[..]` any text in a line.
fn output_matches(expected: &[String], actual: &str) -> bool {
    let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
    lines_match(expected, &actual)
}

fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split("[..]");
    let head = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(head) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether a command sets or unsets what points the SDK at the test cloud
/// and its account (the endpoint, credentials, a profile).
fn leaves_the_test_cloud(text: &str) -> bool {
    [
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ]
    .iter()
    .any(|var| text.contains(var))
}

/// Standard tools a page may use besides Meridian's own commands.
const TOOLS: &[&str] = &[
    "bash", "sh", "cat", "cp", "echo", "env", "false", "grep", "head", "jq", "ls", "mkdir", "mv",
    "printf", "rm", "sed", "sleep", "sort", "tail", "test", "tr", "true", "wc",
];

/// The scratch directory's stand-in for cargo: the binaries this test built.
const CARGO: &str = r#"#!/bin/bash
# The guide test's cargo: `cargo run [-q] --example NAME [--] ARGS` and
# `cargo run [-q] --bin meridian [--] ARGS` run what cargo built for the test.
refuse() { echo "the guide runner runs only cargo run --example NAME / --bin meridian, not: cargo $*" >&2; exit 127; }
[ "$1" = run ] || refuse "$@"
all=("$@"); shift; bin=
while [ $# -gt 0 ]; do
  case "$1" in
    -q|--quiet) shift ;;
    --example) bin="$GUIDE_EXAMPLES/$2"; shift 2 ;;
    --bin) [ "$2" = meridian ] || refuse "${all[@]}"; bin="$GUIDE_BIN/meridian"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ -x "$bin" ] || refuse "${all[@]}"
exec "$bin" "$@"
"#;

/// `scripts/with-local-aws` in the scratch directory: the page's environment
/// already is the test cloud's (its own account, the parent zone created).
const WITH_LOCAL_AWS: &str = "#!/bin/bash\n\"$@\"\n";

/// Runs the page `path` (relative to the workspace root) and checks every command.
async fn run_page(path: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let markdown = std::fs::read_to_string(root.join(path)).expect("the page exists");
    let steps = extract(&markdown).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Some(step) = steps.iter().find(|s| leaves_the_test_cloud(&s.text)) {
        panic!(
            "{path}:{}: {}\nchanges where the AWS credentials or endpoint come from, so it could reach real AWS: mark its block ```sh no-run REASON",
            step.line, step.text
        );
    }
    let account = TestCloud::shared().account();
    zone::parent_zone(&account).await;
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let bin = install_tools(scratch.path(), &steps);
    let script = page_script(&steps);
    let status = std::process::Command::new("/bin/bash")
        .arg("-c")
        .arg(&script)
        .current_dir(scratch.path().join("checkout"))
        .env_clear()
        .envs(page_env(scratch.path(), &bin, &account))
        .stdin(std::process::Stdio::null())
        .status()
        .expect("bash runs");
    assert!(status.success(), "{path}: the page's script failed to run");
    check_steps(path, scratch.path(), &steps);
}

/// The page's script: each command in the page's one shell (variables and
/// exports carry over), its output and exit code kept per step; the first
/// command that ends otherwise than promised stops the page.
fn page_script(steps: &[Step]) -> String {
    let mut script = String::new();
    for (n, step) in steps.iter().enumerate() {
        script.push_str(&format!(
            "{{ {}\n}} >\"$GUIDE_OUT/{n}.out\" 2>\"$GUIDE_OUT/{n}.err\"\nrc=$?; echo $rc >\"$GUIDE_OUT/{n}.rc\"; [ $rc = {} ] || exit 0\n",
            step.text, step.exit_code
        ));
    }
    script
}

/// Makes `checkout/` in the scratch directory the page's checkout, with the
/// runner's files beside it in `.guide/`; returns the directory of its tools.
fn install_tools(scratch: &Path, steps: &[Step]) -> PathBuf {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let bin = scratch.join(".guide/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(scratch.join(".guide/out")).unwrap();
    std::fs::create_dir_all(scratch.join("checkout/scripts")).unwrap();
    std::fs::create_dir_all(scratch.join(".guide/home")).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    for tool in TOOLS {
        if let Some(found) = std::env::split_paths(&path)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
        {
            symlink(found, bin.join(tool)).unwrap();
        }
    }
    symlink(meridian_bin(), bin.join("meridian")).unwrap();
    for (file, text) in [
        (bin.join("cargo"), CARGO),
        (
            scratch.join("checkout/scripts/with-local-aws"),
            WITH_LOCAL_AWS,
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for step in steps {
        for name in step.text.split("--example").skip(1) {
            let name: String = name
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            example(&name);
        }
    }
    bin
}

/// Nothing inherited: the page's account on the test cloud, its tools, a home of its own.
fn page_env(scratch: &Path, bin: &Path, account: &TestAccount) -> Vec<(String, String)> {
    let examples = example("minimal")
        .parent()
        .expect("the examples' directory")
        .to_path_buf();
    let mut env = account.env();
    for (key, value) in [
        ("PATH", bin.to_path_buf()),
        ("HOME", scratch.join(".guide/home")),
        ("GUIDE_OUT", scratch.join(".guide/out")),
        ("GUIDE_BIN", bin.to_path_buf()),
        ("GUIDE_EXAMPLES", examples),
    ] {
        env.push((key.into(), value.display().to_string()));
    }
    env.push(("NO_COLOR".into(), "1".into()));
    env.push(("TERM".into(), "dumb".into()));
    env
}

/// Checks each step's exit code and shown output, in order.
fn check_steps(path: &str, scratch: &Path, steps: &[Step]) {
    let out = scratch.join(".guide/out");
    for (n, step) in steps.iter().enumerate() {
        let read = |ext: &str| std::fs::read_to_string(out.join(format!("{n}.{ext}")));
        let code: i32 = read("rc")
            .unwrap_or_else(|_| panic!("{path}:{}: never ran: {}", step.line, step.text))
            .trim()
            .parse()
            .expect("an exit code");
        let stdout = read("out").unwrap_or_default();
        let stderr = read("err").unwrap_or_default();
        let shown = format!(
            "{path}:{}: {}\nexit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            step.line, step.text
        );
        if code == 127 && step.exit_code != 127 {
            panic!(
                "{shown}\nnot a command the guide runner can run here: mark its block ```sh no-run REASON"
            );
        }
        assert_eq!(
            code, step.exit_code,
            "{shown}\n(the page promises exit {})",
            step.exit_code
        );
        if let Some(expected) = &step.output {
            assert!(
                output_matches(expected, &stdout),
                "{shown}\nthe page shows instead:\n{}",
                expected.join("\n")
            );
        }
    }
}

/// The pages the guide test runs, each by the test of the same name below;
/// every page of docs/guide must be one of them.
const PAGES: &[&str] = &[
    "README.md",
    "docs/guide/README.md",
    "docs/guide/getting-started.md",
    "docs/guide/concepts.md",
    "docs/guide/programs.md",
    "docs/guide/configuration.md",
    "docs/guide/state.md",
    "docs/guide/team-backend.md",
    "docs/guide/ci.md",
    "docs/guide/real-aws.md",
    "docs/guide/cli.md",
    "docs/guide/json.md",
];

#[test]
fn every_guide_page_is_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs/guide"))
        .expect("docs/guide exists")
        .filter_map(|e| e.ok())
        .map(|e| format!("docs/guide/{}", e.file_name().to_string_lossy()))
        .filter(|p| p.ends_with(".md"))
        .collect();
    pages.sort();
    for page in &pages {
        assert!(
            PAGES.contains(&page.as_str()),
            "{page} is not in guide.rs's PAGES: add it and its test"
        );
    }
}

/// One test per page, so pages run in parallel.
macro_rules! page_tests {
    ($($name:ident => $index:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            run_page(PAGES[$index]).await;
        }
    )*};
}

page_tests! {
    readme => 0,
    guide_index => 1,
    getting_started => 2,
    concepts => 3,
    programs => 4,
    configuration => 5,
    state => 6,
    team_backend => 7,
    ci => 8,
    real_aws => 9,
    cli => 10,
    json => 11,
}

#[cfg(test)]
mod extractor {
    use super::*;

    fn page(text: &str) -> Vec<Step> {
        extract(text).expect("extracts")
    }

    #[test]
    fn sh_blocks_give_one_step_per_command_and_skip_comments_and_other_fences() {
        let steps = page(
            "Text\n```sh\n# a comment\nA=\"cargo run --example minimal --\"\n\n$A preview  # plan\n```\n```rust\nfn main() {}\n```\n",
        );
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            ["A=\"cargo run --example minimal --\"", "$A preview  # plan"]
        );
        assert_eq!(steps[1].line, 6);
        assert_eq!(steps[1].exit_code, 0);
    }

    #[test]
    fn continuation_lines_and_heredocs_belong_to_their_command() {
        let steps = page(
            "```sh\nmeridian up \\\n    --yes\ncat > ids.json <<'EOF'\n{\"a\": \"1\"}\nEOF\nls\n```\n",
        );
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].text, "meridian up \\\n    --yes");
        assert_eq!(steps[1].text, "cat > ids.json <<'EOF'\n{\"a\": \"1\"}\nEOF");
        assert_eq!((steps[2].text.as_str(), steps[2].line), ("ls", 7));
    }

    #[test]
    fn no_run_blocks_are_skipped_and_need_a_reason() {
        assert!(page("```sh no-run needs real AWS credentials\naws configure\n```\n").is_empty());
        let err = extract("```sh no-run\naws configure\n```\n").unwrap_err();
        assert!(err.contains("needs a reason"), "{err}");
        let err = extract("```bash\nls\n```\n").unwrap_err();
        assert!(err.contains("neither run nor marked"), "{err}");
    }

    #[test]
    fn exit_codes_and_output_blocks_attach_to_their_command() {
        let steps = page(
            "```sh\nmeridian preview --expect-no-changes   # exits 3: changes\nmeridian outputs\n```\n\n```text output\nlog_group_arn: [..]\n...\n```\n",
        );
        assert_eq!(steps[0].exit_code, 3);
        assert_eq!(steps[0].output, None);
        assert_eq!(
            steps[1].output,
            Some(vec!["log_group_arn: [..]".to_string(), "...".to_string()])
        );
        let err = extract("Text\n```text output\nx\n```\n").unwrap_err();
        assert!(err.contains("must follow"), "{err}");
    }

    #[test]
    fn commands_that_could_reach_real_aws_are_recognised() {
        assert!(leaves_the_test_cloud("unset AWS_ENDPOINT_URL"));
        assert!(leaves_the_test_cloud("AWS_PROFILE=prod $A up --yes"));
        assert!(!leaves_the_test_cloud(
            "$A up --yes --config protect_table=false"
        ));
    }

    #[test]
    fn indented_fences_lose_their_indent() {
        let steps = page("1. Deploy:\n\n   ```sh\n   meridian state list\n   ```\n");
        assert_eq!(steps[0].text, "meridian state list");
    }

    #[test]
    fn output_matches_exactly_or_with_elisions() {
        let shown = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let actual = "Plan\n  + logs (aws:logs:LogGroup)   \nSummary: 1 to create.\n";
        assert!(output_matches(
            &shown(&[
                "Plan",
                "  + logs (aws:logs:LogGroup)",
                "Summary: 1 to create."
            ]),
            actual
        ));
        assert!(output_matches(
            &shown(&["...", "Summary: [..] to create."]),
            actual
        ));
        assert!(
            !output_matches(&shown(&["Plan"]), actual),
            "exact unless elided"
        );
        assert!(!output_matches(
            &shown(&["...", "Summary: 2 to create."]),
            actual
        ));
    }
}
