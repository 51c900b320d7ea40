//! Progress on standard error (placeholder-free minimal renderer: Compose's plain lines), replaced
//! by the full tty/plain/json/quiet renderers.

use std::io::Write as _;

use berth_engine::{Event, EventStatus, Reporter};

/// Progress mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain lines.
    Plain,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// From `--progress`.
    #[must_use]
    pub fn from_flag(flag: Option<&str>) -> Self {
        if flag == Some("quiet") {
            Self::Quiet
        } else {
            Self::Plain
        }
    }
}

/// The progress display.
#[derive(Debug, Clone)]
pub struct Progress {
    mode: Mode,
    dry_run: bool,
}

impl Progress {
    /// A display.
    #[must_use]
    pub fn new(mode: Mode, _ansi: &str, dry_run: bool, _title: &str) -> Self {
        Self { mode, dry_run }
    }

    /// Ends the display.
    pub fn finish(&self) {}

    /// Prints a free-standing line.
    pub fn warning(&self, text: &str) {
        if self.mode != Mode::Quiet {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }
}

impl Reporter for Progress {
    fn event(&self, event: Event) {
        if self.mode == Mode::Quiet {
            return;
        }
        let prefix = if self.dry_run { "DRY-RUN MODE - " } else { "" };
        let text = match event.status {
            EventStatus::Error => "Error",
            _ => event.text.as_str(),
        };
        let _ = writeln!(std::io::stderr(), "{prefix} {}  {text}", event.resource);
    }
}
