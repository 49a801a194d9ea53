//! Progress on standard error for a long run on a terminal (DESIGN.md): how many files were
//! taken up and for how long, shown once a run has taken a second and cleared at its end. Never
//! on a pipe or a file, in CI, with `TERM=dumb` or with `--quiet`: logs and scripts see nothing
//! of it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A run shorter than this shows no progress.
const DELAY: Duration = Duration::from_secs(1);

/// The delay before the bar shows: `DELAY`, or `WSALINT_PROGRESS_DELAY_MS` when set (the
/// tests show the bar at once instead of depending on how fast the machine lints).
fn delay() -> Duration {
    std::env::var("WSALINT_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(DELAY, Duration::from_millis)
}

/// The progress of one run; does nothing when progress is not wanted.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// The run is over: the bar is not shown (again).
    done: Arc<AtomicBool>,
}

impl Progress {
    /// Progress when `wanted`, else none.
    pub fn new(wanted: bool) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let bar = wanted.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} linting file {pos} ({elapsed})")
            {
                bar.set_style(style);
            }
            // Shown after `DELAY` unless the run is over by then.
            let (shown, done) = (bar.clone(), done.clone());
            let _ = std::thread::Builder::new()
                .name("wsalint-progress".into())
                .spawn(move || {
                    std::thread::sleep(delay());
                    if !done.load(Ordering::SeqCst) {
                        shown.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                        shown.enable_steady_tick(Duration::from_millis(100));
                    }
                });
            bar
        });
        Progress { bar, done }
    }

    /// Progress for a `check` run: only when standard error is a terminal outside CI.
    pub fn for_check(quiet: bool) -> Progress {
        Progress::new(!quiet && std::io::stderr().is_terminal() && !in_ci() && !dumb_terminal())
    }

    /// One more file taken up.
    pub fn file_read(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Runs `f` with the bar hidden, for output to the same terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Clears the bar for good: the run is over (`--fix` reads the files again after it, with
    /// no bar).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            self.done.store(true, Ordering::SeqCst);
            bar.finish_and_clear();
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Whether the run is in CI, where standard error is a log even when it looks like a terminal.
fn in_ci() -> bool {
    [
        "CI",
        "GITHUB_ACTIONS",
        "TF_BUILD",
        "GITLAB_CI",
        "BUILDKITE",
        "JENKINS_URL",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "false" && v != "0"))
}

fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}
