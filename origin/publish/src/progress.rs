//! Progress on stderr: an indicatif bar on a terminal (files, bytes, rate, ETA), plain lines
//! otherwise (one per file and phase, for CI logs), or nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A progress bar (stderr is a terminal).
    Bar,
    /// Plain lines.
    Lines,
    /// Nothing.
    Quiet,
}

/// The progress reporter (shared across upload tasks).
#[derive(Debug)]
pub struct Progress {
    style: Style,
    bar: Mutex<Option<ProgressBar>>,
    phase: Mutex<String>,
    files_done: AtomicU64,
    files_total: AtomicU64,
}

/// `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS.get(unit).copied().unwrap_or("B"))
    }
}

impl Progress {
    /// A reporter of the given style.
    pub fn new(style: Style) -> Progress {
        Progress {
            style,
            bar: Mutex::new(None),
            phase: Mutex::new(String::new()),
            files_done: AtomicU64::new(0),
            files_total: AtomicU64::new(0),
        }
    }

    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn auto() -> Arc<Progress> {
        let style = if std::io::stderr().is_terminal() {
            Style::Bar
        } else {
            Style::Lines
        };
        Arc::new(Progress::new(style))
    }

    /// A reporter that shows nothing.
    pub fn quiet() -> Progress {
        Progress::new(Style::Quiet)
    }

    /// Starts a phase (`hashing`, `uploading`) over `files` files and `bytes` bytes.
    pub fn phase(&self, name: &str, files: u64, bytes: u64) {
        self.finish();
        self.files_done.store(0, Ordering::Relaxed);
        self.files_total.store(files, Ordering::Relaxed);
        if let Ok(mut p) = self.phase.lock() {
            *p = name.to_string();
        }
        match self.style {
            Style::Quiet => {}
            Style::Lines => eprintln!("{name} {files} file(s), {}", human_bytes(bytes)),
            Style::Bar => {
                let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{prefix:>9} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(name.to_string());
                bar.set_message(format!("0/{files} files"));
                if let Ok(mut slot) = self.bar.lock() {
                    *slot = Some(bar);
                }
            }
        }
    }

    /// `n` more bytes done.
    pub fn bytes(&self, n: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(n);
            }
        }
    }

    /// One file done (`verb`: uploaded, skipped, ...). Lines mode prints it.
    pub fn file(&self, verb: &str, path: &str, size: u64) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.files_total.load(Ordering::Relaxed);
        match self.style {
            Style::Quiet => {}
            Style::Lines => eprintln!(
                "  {verb} {} ({}) [{done}/{total}]",
                crate::error::escape(path),
                human_bytes(size)
            ),
            Style::Bar => {
                if let Ok(slot) = self.bar.lock() {
                    if let Some(bar) = slot.as_ref() {
                        bar.set_message(format!("{done}/{total} files"));
                    }
                }
            }
        }
    }

    /// A line for the user (warnings, steps), printed above the bar.
    pub fn note(&self, line: &str) {
        match self.style {
            Style::Quiet => {}
            Style::Lines => eprintln!("{line}"),
            Style::Bar => {
                let printed = self
                    .bar
                    .lock()
                    .ok()
                    .and_then(|slot| slot.as_ref().map(|bar| bar.println(line)));
                if printed.is_none() {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// Ends the current phase's bar.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_ok() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(500 * 1024 * 1024), "500.0 MiB");
    }
}
