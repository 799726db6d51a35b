//! The progress line of a local scan: files done of the total, bytes done of the total,
//! what is happening now (parsing a file, or waiting for the hash of a large one), and the
//! file's name, escaped like every name from input. On a terminal only; cleared at the
//! end and on Ctrl-C.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// A progress line is on the terminal now (what the Ctrl-C handler clears).
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Clears the progress line if one is shown: for the command line's Ctrl-C handler.
pub fn clear_on_interrupt() {
    if SHOWN.swap(false, Ordering::SeqCst) {
        eprint!("\r\x1b[2K");
        let _ = io::stderr().flush();
    }
}

/// What a file is going through.
#[derive(Clone, Copy)]
pub(super) enum Phase {
    Parsing,
    /// The parser is done; the whole-file SHA-256 is still running.
    Hashing,
}

pub(super) struct Progress {
    enabled: bool,
    total: usize,
    total_bytes: u64,
    done: AtomicUsize,
    done_bytes: AtomicU64,
    line: Mutex<()>,
}

impl Progress {
    pub(super) fn new(wanted: bool, total: usize, total_bytes: u64) -> Progress {
        Progress {
            enabled: wanted && io::stderr().is_terminal(),
            total,
            total_bytes,
            done: AtomicUsize::new(0),
            done_bytes: AtomicU64::new(0),
            line: Mutex::new(()),
        }
    }

    /// A file starts.
    pub(super) fn step(&self, path: &str) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.show(Phase::Parsing, path);
    }

    /// `bytes` of a file are done.
    pub(super) fn finished(&self, bytes: u64) {
        self.done_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(super) fn show(&self, phase: Phase, path: &str) {
        if !self.enabled {
            return;
        }
        let done = self.done.load(Ordering::Relaxed);
        let escaped = crate::display::untrusted(path);
        let chars: Vec<char> = escaped.chars().collect();
        let shown: String = chars[chars.len().saturating_sub(50)..].iter().collect();
        let counter = if self.total > 0 {
            format!(
                "{done}/{} files, {} of {}",
                self.total,
                crate::display::human_bytes(self.done_bytes.load(Ordering::Relaxed)),
                crate::display::human_bytes(self.total_bytes)
            )
        } else {
            done.to_string()
        };
        let what = match phase {
            Phase::Parsing => "parsing",
            Phase::Hashing => "hashing",
        };
        let _guard = self.line.lock();
        SHOWN.store(true, Ordering::SeqCst);
        eprint!("\r\x1b[2K[{counter}] {what} {shown}");
        let _ = io::stderr().flush();
    }

    pub(super) fn clear(&self) {
        if self.enabled {
            let _guard = self.line.lock();
            SHOWN.store(false, Ordering::SeqCst);
            eprint!("\r\x1b[2K");
        }
    }
}
