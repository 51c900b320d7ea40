//! How attached output looks, as Docker Compose's log consumer (`cmd/formatter/logs.go`,
//! `colors.go`) prints it: one prefix per container, `%-{w}s | ` with `w` the longest name
//! registered so far plus one, recomputed whenever a container registers (so early lines can be
//! narrower than later ones); a colour per container in the order containers first print (cyan,
//! yellow, green, magenta, blue, then their bold variants, round again); status lines
//! (`\r\x1b[Ka-1 exited with code 3`) on stdout, coloured as the container's prefix, whose
//! line-clearing escapes Compose prints even without colour.
//!
//! [`Printer`] is plain synchronous code over two writers, so the formatting is tested without a
//! daemon; [`LineSplitter`] turns the daemon's chunks into lines as Compose's `splitWriter` does.

use std::io::Write;

use berth_engine::logs::Timestamp;

/// The rainbow, as `colors.go` builds it: the SGR parameters of each colour in turn.
const RAINBOW: [&str; 10] = [
    "36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1",
];

/// Erases the current line before a status message (goterm's `RESET_LINE`).
const RESET_LINE: &str = "\r\x1b[K";

/// What the printer adds to each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colour prefixes and status lines (off with `--no-color`, `--ansi never`, `NO_COLOR`).
    pub color: bool,
    /// Prefix lines with the container's name (off with `--no-log-prefix`).
    pub prefix: bool,
    /// Put the time each line was printed after the prefix (`--timestamps`).
    pub timestamps: bool,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            color: false,
            prefix: true,
            timestamps: false,
        }
    }
}

/// One registered container: its name, colour and current prefix.
#[derive(Debug)]
struct Presenter {
    name: String,
    color: Option<&'static str>,
    prefix: String,
}

/// Prints containers' lines and status messages to two writers.
pub struct Printer {
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
    style: Style,
    presenters: Vec<Presenter>,
    next_color: usize,
    clock: fn() -> Timestamp,
    /// Reused by [`Printer::stdout_lines`], so batches cost no allocation.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("style", &self.style)
            .field("presenters", &self.presenters)
            .finish_non_exhaustive()
    }
}

impl Printer {
    /// A printer writing container stdout lines and status lines to `stdout`, stderr lines and
    /// the abort message to `stderr`.
    #[must_use]
    pub fn new(stdout: Box<dyn Write + Send>, stderr: Box<dyn Write + Send>, style: Style) -> Self {
        Self {
            stdout,
            stderr,
            style,
            presenters: Vec::new(),
            next_color: 0,
            clock: Timestamp::now,
            scratch: Vec::new(),
        }
    }

    /// Registers containers before they print, in this order: their colours follow it, and
    /// every prefix is as wide as the longest name from the first line on (Compose registers on
    /// first output, so its early lines may be narrower, depending on which container wins).
    pub fn register(&mut self, containers: &[String]) {
        for container in containers {
            self.presenter(container);
        }
    }

    /// Whole lines of `container` at once: `lines` holds lines each ending with `\n`. They are
    /// printed to stdout, prefixed as [`Printer::stdout_line`] does, in one write and one flush.
    ///
    /// # Errors
    /// Writing to stdout failed (a closed pipe among others).
    pub fn stdout_lines(&mut self, container: &str, lines: &[u8]) -> std::io::Result<()> {
        let index = self.presenter(container);
        let prefix = self.presenters[index].prefix.as_bytes();
        let stamp = self
            .style
            .timestamps
            .then(|| format!("{} ", (self.clock)()));
        if prefix.is_empty() && stamp.is_none() {
            self.stdout.write_all(lines)?;
            return self.stdout.flush();
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        for line in lines.split_inclusive(|byte| *byte == b'\n') {
            scratch.extend_from_slice(prefix);
            if let Some(stamp) = &stamp {
                scratch.extend_from_slice(stamp.as_bytes());
            }
            scratch.extend_from_slice(line);
        }
        let written = self
            .stdout
            .write_all(&scratch)
            .and_then(|()| self.stdout.flush());
        if scratch.capacity() <= 1 << 20 {
            self.scratch = scratch;
        }
        written
    }

    /// `Attaching to a-1, b-1` on stdout, names as given (the caller sorts them).
    pub fn attaching(&mut self, names: &[String]) {
        let _ = writeln!(self.stdout, "Attaching to {}", names.join(", "));
        let _ = self.stdout.flush();
    }

    /// One line the container wrote to its stdout.
    pub fn stdout_line(&mut self, container: &str, line: &str) {
        let text = self.line(container, line);
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
    }

    /// One line the container wrote to its stderr.
    pub fn stderr_line(&mut self, container: &str, line: &str) {
        let text = self.line(container, line);
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// A status message about the container on stdout: `<name> <message>`, e.g.
    /// `a-1 exited with code 3`.
    pub fn status(&mut self, container: &str, message: &str) {
        let index = self.presenter(container);
        let color = self.presenters[index].color;
        let text = paint(color, &format!("{RESET_LINE}{container} {message}\n"));
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
    }

    /// `Aborting on container exit...` on stderr, bold red when `color` (Compose colours it
    /// unless `NO_COLOR` is set, even with `--ansi never`).
    pub fn aborting(&mut self, color: bool) {
        let text = "Aborting on container exit...";
        let text = if color {
            format!("\x1b[31m\x1b[1m{text}\x1b[0m\n")
        } else {
            format!("{text}\n")
        };
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// The text printed for one line of `container`: prefix, optional timestamp, the line. A
    /// line holding newlines prints as several, as Compose splits again.
    fn line(&mut self, container: &str, line: &str) -> String {
        let index = self.presenter(container);
        let prefix = &self.presenters[index].prefix;
        let stamp = self.style.timestamps.then(|| (self.clock)().to_string());
        let mut text = String::new();
        for part in line.split('\n') {
            text.push_str(prefix);
            if let Some(stamp) = &stamp {
                text.push_str(stamp);
                text.push(' ');
            }
            text.push_str(part);
            text.push('\n');
        }
        text
    }

    /// The index of `container`'s presenter, registering it on first use: the next colour, and
    /// every prefix recomputed for the new width.
    fn presenter(&mut self, container: &str) -> usize {
        if let Some(index) = self
            .presenters
            .iter()
            .position(|presenter| presenter.name == container)
        {
            return index;
        }
        let color = self.style.color.then(|| {
            let color = RAINBOW[self.next_color];
            self.next_color = (self.next_color + 1) % RAINBOW.len();
            color
        });
        self.presenters.push(Presenter {
            name: container.to_owned(),
            color,
            prefix: String::new(),
        });
        let width = self
            .presenters
            .iter()
            .map(|presenter| presenter.name.len())
            .max()
            .unwrap_or(0)
            + 1;
        if self.style.prefix {
            for presenter in &mut self.presenters {
                presenter.prefix =
                    paint(presenter.color, &format!("{:<width$} | ", presenter.name));
            }
        }
        self.presenters.len() - 1
    }
}

/// `text` in the colour with SGR parameters `color` (`\x1b[36m…\x1b[0m`), or as is.
fn paint(color: Option<&str>, text: &str) -> String {
    match color {
        Some(color) => format!("\x1b[{color}m{text}\x1b[0m"),
        None => text.to_owned(),
    }
}

/// Joins a stream's chunks and cuts them into lines without their `\n`, as Compose's
/// `splitWriter`; what is left when the stream ends is the last line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buffer: Vec<u8>,
}

impl LineSplitter {
    /// Adds `bytes`; returns the lines they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut lines = Vec::new();
        let mut start = 0;
        while let Some(end) = self.buffer[start..].iter().position(|byte| *byte == b'\n') {
            lines.push(String::from_utf8_lossy(&self.buffer[start..start + end]).into_owned());
            start += end + 1;
        }
        self.buffer.drain(..start);
        lines
    }

    /// The unterminated rest, if any, once the stream has ended.
    pub fn finish(&mut self) -> Option<String> {
        if self.buffer.is_empty() {
            return None;
        }
        let rest = String::from_utf8_lossy(&self.buffer).into_owned();
        self.buffer.clear();
        Some(rest)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer whose text the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .expect("not poisoned")
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("utf-8")
        }
    }

    fn capture(style: Style) -> (Printer, Captured, Captured) {
        let (out, err) = (Captured::default(), Captured::default());
        let printer = Printer::new(Box::new(out.clone()), Box::new(err.clone()), style);
        (printer, out, err)
    }

    #[test]
    fn prefixes_widen_as_longer_names_register() {
        // Verified against Compose: the first line of `a-1` is printed before `longername-1`
        // registers, so it is narrower.
        let (mut printer, out, err) = capture(Style::default());
        printer.attaching(&["a-1".to_owned(), "longername-1".to_owned()]);
        printer.stdout_line("a-1", "out-a");
        printer.stdout_line("longername-1", "hello");
        printer.stderr_line("a-1", "err-a");
        printer.status("a-1", "exited with code 3");
        assert_eq!(
            out.text(),
            "Attaching to a-1, longername-1\n\
             a-1  | out-a\n\
             longername-1  | hello\n\
             \r\x1b[Ka-1 exited with code 3\n"
        );
        assert_eq!(err.text(), "a-1           | err-a\n");
    }

    #[test]
    fn colours_follow_the_rainbow_in_order_of_first_output() {
        // Compose v2.40.3 with `--ansi always`, captured byte for byte.
        let (mut printer, out, _) = capture(Style {
            color: true,
            ..Style::default()
        });
        printer.stdout_line("longername-1", "hello");
        printer.stdout_line("a-1", "out-a");
        printer.status("a-1", "exited with code 3");
        printer.status("longername-1", "exited with code 143");
        assert_eq!(
            out.text(),
            "\x1b[36mlongername-1  | \x1b[0mhello\n\
             \x1b[33ma-1           | \x1b[0mout-a\n\
             \x1b[33m\r\x1b[Ka-1 exited with code 3\n\x1b[0m\
             \x1b[36m\r\x1b[Klongername-1 exited with code 143\n\x1b[0m"
        );
        let names: Vec<String> = (1..=12).map(|n| format!("s-{n}")).collect();
        let (mut printer, out, _) = capture(Style {
            color: true,
            prefix: false,
            timestamps: false,
        });
        for name in &names {
            printer.status(name, "x");
        }
        let colors: Vec<String> = out
            .text()
            .split("\x1b[0m")
            .filter(|status| !status.is_empty())
            .map(|status| status[2..status.find('m').expect("sgr")].to_owned())
            .collect();
        assert_eq!(
            colors,
            [
                "36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1", "36", "33"
            ]
        );
    }

    #[test]
    fn no_prefix_and_timestamps() {
        let (mut printer, out, _) = capture(Style {
            color: true,
            prefix: false,
            timestamps: true,
        });
        printer.clock = || Timestamp {
            seconds: 1_795_858_151,
            nanos: 40_638_623,
        };
        printer.stdout_line("t-1", "tty-out\r");
        printer.stdout_line("t-1", "two\nlines");
        assert_eq!(
            out.text(),
            "2026-11-28T09:29:11.040638623Z tty-out\r\n\
             2026-11-28T09:29:11.040638623Z two\n\
             2026-11-28T09:29:11.040638623Z lines\n"
        );
        let (mut printer, out, _) = capture(Style {
            timestamps: true,
            ..Style::default()
        });
        printer.clock = || Timestamp {
            seconds: 0,
            nanos: 5,
        };
        printer.stdout_line("r-1", "run");
        assert_eq!(out.text(), "r-1  | 1970-01-01T00:00:00.000000005Z run\n");
    }

    #[test]
    fn registered_names_set_the_width_and_batches_print_whole_lines() {
        let (mut printer, out, err) = capture(Style::default());
        printer.register(&["a-1".to_owned(), "longername-1".to_owned()]);
        printer.stdout_lines("a-1", b"one\ntwo\r\n").unwrap();
        printer.stdout_lines("longername-1", b"x\n").unwrap();
        assert_eq!(
            out.text(),
            "a-1           | one\na-1           | two\r\nlongername-1  | x\n"
        );
        assert_eq!(err.text(), "");
        let (mut printer, out, _) = capture(Style {
            prefix: false,
            ..Style::default()
        });
        printer.stdout_lines("a-1", b"raw\n").unwrap();
        assert_eq!(out.text(), "raw\n");
    }

    #[test]
    fn abort_message_is_bold_red_on_stderr() {
        let (mut printer, out, err) = capture(Style::default());
        printer.aborting(true);
        printer.aborting(false);
        assert_eq!(out.text(), "");
        assert_eq!(
            err.text(),
            "\x1b[31m\x1b[1mAborting on container exit...\x1b[0m\nAborting on container exit...\n"
        );
    }

    #[test]
    fn chunks_become_lines_and_the_rest_is_flushed() {
        let mut lines = LineSplitter::default();
        assert!(lines.push(b"par").is_empty());
        assert_eq!(lines.push(b"tial\nwhole\n\nnext"), ["partial", "whole", ""]);
        assert_eq!(lines.finish().as_deref(), Some("next"));
        assert_eq!(lines.finish(), None);
        assert_eq!(lines.push("caf\u{e9}\n".as_bytes()), ["caf\u{e9}"]);
    }
}
