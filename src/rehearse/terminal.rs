//! What the operator sees while a rehearsal runs: a progress bar per step with its live
//! figures, and the question before it starts. Must not decide anything about the steps.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::crowd::Reading;
use super::ladder::{StepResult, Verdict};

/// Told how the rehearsal goes; the terminal shows it, tests ignore it.
pub trait Watch: Send + Sync {
    fn step_began(&self, _index: usize, _per_minute: f64, _hold: Duration) {}
    /// `reading` is `None` while the step settles.
    fn step_progress(&self, _elapsed: Duration, _reading: Option<&Reading>) {}
    fn step_ended(&self, _step: &StepResult) {}
    fn pausing(&self, _for: Duration) {}
}

/// Shows nothing.
pub struct Quiet;

impl Watch for Quiet {}

/// A progress bar per step on standard error (drawn only on a terminal), and one line per
/// finished step.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            bar: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        let bar = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bar) = bar.as_ref() {
            f(bar);
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl Watch for Bars {
    fn step_began(&self, index: usize, per_minute: f64, hold: Duration) {
        let bar = ProgressBar::with_draw_target(
            Some(hold.as_millis() as u64),
            ProgressDrawTarget::stderr(),
        );
        let style =
            ProgressStyle::with_template("{prefix:>16} [{bar:30.cyan/blue}] {elapsed:>3} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("step {} {:>6.0}/min", index + 1, per_minute));
        bar.set_message("settling");
        *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn step_progress(&self, elapsed: Duration, reading: Option<&Reading>) {
        self.with_bar(|bar| {
            bar.set_position(elapsed.as_millis() as u64);
            if let Some(r) = reading {
                let errors = if r.requests > 0 {
                    100.0 * r.errors as f64 / r.requests as f64
                } else {
                    0.0
                };
                bar.set_message(format!(
                    "p95 {:>5.0} ms  errors {errors:>4.1} %  journeys {}",
                    r.latency_ms.p95, r.journeys_completed
                ));
            }
        });
    }

    fn step_ended(&self, step: &StepResult) {
        let line = format!(
            "step at {:>6.0}/min: p95 {:>6.0} ms, errors {:>5.1} %, {} journeys — {}",
            step.per_minute,
            step.latency_ms.p95,
            step.error_ratio * 100.0,
            step.journeys_completed,
            verdict_words(step.verdict)
        );
        let bar = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take();
        match bar {
            Some(bar) if !bar.is_hidden() => bar.finish_with_message(line),
            _ => eprintln!("{line}"),
        }
    }

    fn pausing(&self, d: Duration) {
        eprintln!(
            "pausing {:.0} s with nobody let in, for the site to recover",
            d.as_secs_f64()
        );
    }
}

/// A verdict as the operator reads it.
pub fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Good => "good",
        Verdict::Slow => "too slow",
        Verdict::Failing => "too many errors",
        Verdict::RanAway => "errors ran away: stopped at once",
        Verdict::Undriven => "the crowd could not drive this rate",
    }
}

/// When standard input is a terminal: shows what will be rehearsed against and asks. `true`
/// to go ahead (also when there is no terminal to ask at: scripts pass `--yes` or a pipe).
pub fn confirm(what: &str) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return true;
    }
    eprint!("{what}\nStart the rehearsal? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "j" | "ja")
}
