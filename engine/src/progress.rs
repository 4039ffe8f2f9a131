//! Live progress of `up`, `destroy` and `refresh`. On a terminal: one
//! spinner line per running step (its elapsed time and latest status, e.g.
//! what a waiter waits for), finished steps printed above, a footer with
//! counts. Elsewhere (CI, pipes, `--json`, `-v` logs): one plain line per event.

use crate::event::{Event, EventSink, Outcome};
use crate::plan::{Op, Plan, ReplaceOrder};
use crate::render::{self, Style};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often spinners and elapsed times are redrawn.
const TICK: Duration = Duration::from_millis(120);

enum Mode {
    Live(MultiProgress),
    Plain,
}

#[derive(Default)]
struct Tally {
    /// Units expected to report (0 = not known).
    total: usize,
    done: usize,
    failed: usize,
    /// Running steps, in start order: (name as started, spinner).
    running: Vec<(String, ProgressBar)>,
    /// The counts line under the spinners, drawn from the first step on.
    footer: Option<ProgressBar>,
}

/// Shows a run's events; see the module doc.
pub struct Progress {
    mode: Mode,
    style: Style,
    tally: Mutex<Tally>,
}

impl Progress {
    /// Redraws on stderr when it is a terminal, `live` is allowed, and no
    /// tracing output at info or finer would be interleaved with the
    /// redraws; plain lines otherwise.
    pub fn new(live: bool) -> Arc<Progress> {
        let tracing_noisy = tracing::level_filters::LevelFilter::current() >= tracing::Level::INFO;
        let term =
            std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        if live && term && !tracing_noisy {
            Progress::live(ProgressDrawTarget::stderr(), Style::detect_stderr())
        } else {
            Progress::plain(if live {
                Style::detect_stderr()
            } else {
                Style::plain()
            })
        }
    }

    /// Plain lines on stderr.
    pub fn plain(style: Style) -> Arc<Progress> {
        Arc::new(Progress {
            mode: Mode::Plain,
            style,
            tally: Mutex::new(Tally::default()),
        })
    }

    /// Redraws on `target`.
    pub fn live(target: ProgressDrawTarget, style: Style) -> Arc<Progress> {
        Arc::new(Progress {
            mode: Mode::Live(MultiProgress::with_draw_target(target)),
            style,
            tally: Mutex::new(Tally::default()),
        })
    }

    /// Whether this display redraws (rather than printing plain lines).
    pub fn is_live(&self) -> bool {
        matches!(self.mode, Mode::Live(_))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The units the executor will report for `plan` (each change, and the
    /// old copy of a create-before-delete replacement), for the footer.
    pub fn expect_plan(&self, plan: &Plan) {
        let n = plan
            .steps
            .iter()
            .map(|s| match (s.op, s.replace_order()) {
                (Op::Same, _) => 0,
                (Op::Replace, Some(ReplaceOrder::CreateBeforeDelete)) => 2,
                _ => 1,
            })
            .sum();
        self.expect(n);
    }

    /// Sets the number of units expected to report.
    pub fn expect(&self, total: usize) {
        let mut t = self.lock();
        t.total = total;
        self.update_footer(&t);
    }

    /// Prints a line above the running steps (or plainly).
    pub fn println(&self, line: &str) {
        match &self.mode {
            Mode::Live(multi) => {
                if self.lock().footer.is_none()
                    || multi.println(crate::secret::redact(line)).is_err()
                {
                    eprintln!("{line}");
                }
            }
            Mode::Plain => eprintln!("{line}"),
        }
    }

    /// Shows one event.
    pub fn event(&self, e: &Event) {
        let Mode::Live(multi) = &self.mode else {
            if let Some(line) = render::event_line(e, self.style) {
                eprintln!("{line}");
            }
            return;
        };
        let mut t = self.lock();
        match e {
            Event::Started { name, op, .. } => {
                // The first step starts the footer (not earlier: the plan and
                // the confirmation prompt come first).
                let footer = t
                    .footer
                    .get_or_insert_with(|| {
                        let f = multi.add(ProgressBar::hidden());
                        f.set_style(footer_style());
                        f.enable_steady_tick(TICK);
                        f
                    })
                    .clone();
                // Hidden until it joins the display: a bar of its own would
                // draw on stderr behind the display's back and leave a line.
                let bar = ProgressBar::hidden();
                bar.set_style(step_style());
                bar.set_prefix(render::started_head(e, self.style));
                bar.set_message(format!("{}...", render::op_verb(*op)));
                let bar = multi.insert_before(&footer, bar);
                bar.enable_steady_tick(TICK);
                t.running.push((name.clone(), bar));
            }
            Event::Status { name, message } => {
                if let Some(i) = find(&t.running, name) {
                    t.running[i]
                        .1
                        .set_message(crate::secret::redact(message).into_owned());
                }
            }
            Event::Finished(r) => {
                if let Some(i) = find(&t.running, &r.name) {
                    let (_, bar) = t.running.remove(i);
                    bar.finish_and_clear();
                    multi.remove(&bar);
                }
                if r.op != Op::Same {
                    t.done += 1;
                }
                if matches!(r.outcome, Outcome::Failed { .. }) {
                    t.failed += 1;
                }
                if let Some(line) = render::event_line(e, self.style) {
                    let _ = multi.println(crate::secret::redact(&line));
                }
            }
            Event::Reconciled { .. } => {
                if let Some(line) = render::event_line(e, self.style) {
                    if t.footer.is_some() {
                        let _ = multi.println(crate::secret::redact(&line));
                    } else {
                        // Nothing drawn yet (reconciling comes before the plan).
                        eprintln!("{line}");
                    }
                }
            }
        }
        self.update_footer(&t);
    }

    fn update_footer(&self, t: &Tally) {
        let Some(footer) = &t.footer else {
            return;
        };
        let total = t.total.max(t.done + t.running.len());
        let mut msg = if total > 0 {
            format!("{}/{total} done", t.done)
        } else {
            format!("{} done", t.done)
        };
        if !t.running.is_empty() {
            msg.push_str(&format!(", {} running", t.running.len()));
        }
        if t.failed > 0 {
            msg.push_str(&self.style.paint("31", &format!(", {} failed", t.failed)));
        }
        footer.set_message(self.style.paint("2", &msg));
    }

    /// An event sink feeding this display.
    pub fn sink(self: &Arc<Self>) -> EventSink {
        let me = self.clone();
        Arc::new(move |e: Event| me.event(&e))
    }

    /// Clears what is still drawn, before the final summary is printed.
    pub fn finish(&self) {
        if let Mode::Live(multi) = &self.mode {
            let mut t = self.lock();
            for (_, bar) in t.running.drain(..) {
                bar.finish_and_clear();
                multi.remove(&bar);
            }
            if let Some(footer) = t.footer.take() {
                footer.finish_and_clear();
                multi.remove(&footer);
            }
            let _ = multi.clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The running step a message is for: the old copy of a replacement
/// reports under the resource's own name.
fn find(running: &[(String, ProgressBar)], name: &str) -> Option<usize> {
    running.iter().rposition(|(n, _)| n == name).or_else(|| {
        let old_copy = format!("{name} (old copy)");
        running.iter().rposition(|(n, _)| *n == old_copy)
    })
}

/// `  4/12 done, 3 running  12.5s`: the time since the first step started.
fn footer_style() -> ProgressStyle {
    ProgressStyle::with_template("  {msg}  {t}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("t", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", render::fmt_elapsed(s.elapsed()));
        })
}

/// `⠙ + cert (aws:acm:Certificate, eu-west-1)  1m05s  waiting for ...`:
/// the message is cut to the terminal's width so a line never wraps.
fn step_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix}  {t}  {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("t", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:>6}", render::fmt_elapsed(s.elapsed()));
        })
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
}
