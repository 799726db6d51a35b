//! The progress line of a local scan.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The progress line on stderr (a terminal only): files done of the total, and the file
/// being read, escaped like every name from input.
pub(super) struct Progress {
    enabled: bool,
    total: usize,
    done: AtomicUsize,
    line: Mutex<()>,
}

impl Progress {
    pub(super) fn new(wanted: bool, total: usize) -> Progress {
        Progress {
            enabled: wanted && io::stderr().is_terminal(),
            total,
            done: AtomicUsize::new(0),
            line: Mutex::new(()),
        }
    }

    pub(super) fn step(&self, path: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let escaped = crate::display::untrusted(path);
        let chars: Vec<char> = escaped.chars().collect();
        let shown: String = chars[chars.len().saturating_sub(60)..].iter().collect();
        let counter = if self.total > 0 {
            format!("{done}/{}", self.total)
        } else {
            done.to_string()
        };
        let _guard = self.line.lock();
        eprint!("\r\x1b[2K[{counter}] {shown}");
        let _ = io::stderr().flush();
    }

    pub(super) fn clear(&self) {
        if self.enabled {
            let _guard = self.line.lock();
            eprint!("\r\x1b[2K");
        }
    }
}
