//! Progress on standard error, rendered from the engine's [`Event`]s exactly as Docker Compose
//! v2.40.3 renders its own (`pkg/progress`): a live `tty` display, `plain` lines, `json` objects,
//! or nothing (`quiet`). Users and scripts read this output, so each renderer matches Compose's
//! text; the engine only reports through [`Reporter`] and knows nothing of terminals.
//!
//! Which renderer runs is decided once, from `--progress` (or `COMPOSE_PROGRESS`), `--ansi`,
//! whether standard error is a terminal and `NO_COLOR`, by [`Mode::resolve`], with Compose's rules
//! and errors.

mod json;
mod plain;
mod quiet;
mod tty;

use std::io::{IsTerminal as _, Write};
use std::sync::Arc;

use berth_engine::{Event, Reporter};

/// Compose's `api.DRYRUN_PREFIX`, put before every progress line in dry-run mode.
pub const DRY_RUN_PREFIX: &str = " DRY-RUN MODE - ";

/// The progress mode asked for with `--progress` or `COMPOSE_PROGRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `auto` (the default): `tty` on a terminal, `plain` otherwise, `plain` with `--ansi never`.
    #[default]
    Auto,
    /// `tty`: the live display.
    Tty,
    /// `plain`: one line per event.
    Plain,
    /// `json`: one JSON object per event.
    Json,
    /// `quiet` (or `none`): no progress.
    Quiet,
}

impl Mode {
    /// The mode a `--progress` value names; none, or a value clap would not let through, is
    /// [`Mode::Auto`].
    #[must_use]
    pub fn from_flag(flag: Option<&str>) -> Self {
        match flag {
            Some("tty") => Self::Tty,
            Some("plain") => Self::Plain,
            Some("json") => Self::Json,
            Some("quiet" | "none") => Self::Quiet,
            _ => Self::Auto,
        }
    }

    /// The renderer for this mode, as Compose's root command picks it: `--ansi never` turns
    /// `auto` into `plain` and `--ansi always` turns it into `tty`, whatever standard error is.
    ///
    /// # Errors
    /// `--progress tty` with `--ansi never`, and `--progress plain` with `--ansi always`, with
    /// Compose's messages.
    pub fn resolve(self, ansi: &str, stderr_is_terminal: bool) -> Result<Renderer, ModeError> {
        match (self, ansi) {
            (Self::Tty, "never") => Err(ModeError::TtyWithoutAnsi),
            (Self::Plain, "always") => Err(ModeError::PlainWithAnsi),
            (Self::Auto, "never") | (Self::Plain, _) => Ok(Renderer::Plain),
            (Self::Auto, "always") | (Self::Tty, _) => Ok(Renderer::Tty),
            (Self::Auto, _) if stderr_is_terminal => Ok(Renderer::Tty),
            (Self::Auto, _) => Ok(Renderer::Plain),
            (Self::Json, _) => Ok(Renderer::Json),
            (Self::Quiet, _) => Ok(Renderer::Quiet),
        }
    }
}

/// The renderer a [`Mode`] resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    /// The live display (indicatif).
    Tty,
    /// ` Container p-web-1  Created` lines.
    Plain,
    /// `{"id":"Container p-web-1","status":"Created"}` lines.
    Json,
    /// Nothing.
    Quiet,
}

/// A `--progress` and `--ansi` pair Compose refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    /// `--progress tty --ansi never`.
    #[error("can't use --progress tty while ANSI support is disabled")]
    TtyWithoutAnsi,
    /// `--progress plain --ansi always`.
    #[error("can't use --progress plain while ANSI support is forced")]
    PlainWithAnsi,
}

/// Whether `NO_COLOR` turns colours off: set and not empty, as Compose reads it.
#[must_use]
pub fn no_color(value: Option<&str>) -> bool {
    value.is_some_and(|value| !value.is_empty())
}

/// Everything a display needs, resolved: for tests and callers that decided already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which renderer.
    pub renderer: Renderer,
    /// Whether the tty display colours (false with `NO_COLOR`); the other renderers never do.
    pub colour: bool,
    /// Whether to prefix progress with [`DRY_RUN_PREFIX`] (`dry-run` in json).
    pub dry_run: bool,
    /// The tty header's word: `Running`, `Stopping`…
    pub title: String,
}

/// The progress display: a [`Reporter`] for the engine, plus free-standing warnings that do not
/// tear the live display. Cheap to clone; clones share one display. The tty display ends (final
/// frame printed) at [`Progress::finish`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

enum Inner {
    Tty(tty::Tty),
    Plain(plain::Plain),
    Json(json::Json),
    Quiet(quiet::Quiet),
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let renderer = match *self.inner {
            Inner::Tty(_) => Renderer::Tty,
            Inner::Plain(_) => Renderer::Plain,
            Inner::Json(_) => Renderer::Json,
            Inner::Quiet(_) => Renderer::Quiet,
        };
        formatter
            .debug_struct("Progress")
            .field("renderer", &renderer)
            .finish_non_exhaustive()
    }
}

/// The progress settings of this process, fixed once from the global flags.
static CONFIGURED: std::sync::OnceLock<(Mode, String, bool)> = std::sync::OnceLock::new();

/// Fixes the progress settings from `--progress`, `--ansi` and `--dry-run` for every display this
/// process opens ([`Progress::for_command`]).
///
/// # Errors
/// A pair Compose refuses (`--progress tty --ansi never`, `--progress plain --ansi always`).
pub fn configure(mode: Mode, ansi: &str, dry_run: bool) -> Result<(), ModeError> {
    mode.resolve(ansi, std::io::stderr().is_terminal())?;
    let _ = CONFIGURED.set((mode, ansi.to_owned(), dry_run));
    Ok(())
}

impl Progress {
    /// The display for a command with the process's settings ([`configure`]); `auto` when
    /// nothing was configured.
    #[must_use]
    pub fn for_command(title: &str) -> Self {
        let (mode, ansi, dry_run) =
            CONFIGURED
                .get()
                .cloned()
                .unwrap_or((Mode::Auto, "auto".to_owned(), false));
        Self::new(mode, &ansi, dry_run, title)
    }

    /// The display for a command, on standard error: `mode` from `--progress`, `ansi` from
    /// `--ansi` (`auto`, `always`, `never`), `NO_COLOR` read here. A pair [`Mode::resolve`]
    /// refuses (which the caller should have reported) keeps the explicit `--progress`.
    #[must_use]
    pub fn new(mode: Mode, ansi: &str, dry_run: bool, title: &str) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let renderer = mode.resolve(ansi, terminal).unwrap_or(match mode {
            Mode::Tty => Renderer::Tty,
            _ => Renderer::Plain,
        });
        let colour = !no_color(std::env::var("NO_COLOR").ok().as_deref());
        let settings = Settings {
            renderer,
            colour,
            dry_run,
            title: title.to_owned(),
        };
        match renderer {
            Renderer::Tty => Self::on_terminal(&settings, console::Term::stderr()),
            _ => Self::to_writer(&settings, Box::new(std::io::stderr())),
        }
    }

    /// A display writing lines to `out`; a tty renderer draws on `out` as on an 80-column
    /// terminal.
    #[must_use]
    pub fn to_writer(settings: &Settings, out: Box<dyn Write + Send>) -> Self {
        let inner = match settings.renderer {
            Renderer::Plain => Inner::Plain(plain::Plain::new(settings.dry_run, out)),
            Renderer::Json => Inner::Json(json::Json::new(settings.dry_run, out)),
            Renderer::Quiet => Inner::Quiet(quiet::Quiet::new(out)),
            Renderer::Tty => return Self::on_terminal(settings, WriterTerm::new(out)),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// A display on a terminal (standard error, or indicatif's `InMemoryTerm` in tests); a line
    /// renderer writes its lines there.
    #[must_use]
    pub fn on_terminal(settings: &Settings, term: impl indicatif::TermLike + 'static) -> Self {
        let term = tty::SharedTerm::new(term);
        let inner = match settings.renderer {
            Renderer::Tty => Inner::Tty(tty::Tty::new(
                term,
                tty::Look {
                    title: settings.title.clone(),
                    colour: settings.colour,
                    dry_run: settings.dry_run,
                },
            )),
            _ => return Self::to_writer(settings, Box::new(TermWriter(term))),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Ends the current display: the tty display stops redrawing and prints its final frame.
    /// Events after this start a new display (`[+] Stopping …` after `[+] Running …`).
    pub fn finish(&self) {
        if let Inner::Tty(tty) = &*self.inner {
            tty.finish();
        }
    }

    /// Changes the tty header's word for what comes next (`Stopping` when Ctrl-C stops `up`).
    pub fn set_title(&self, title: &str) {
        if let Inner::Tty(tty) = &*self.inner {
            tty.set_title(title);
        }
    }

    /// Prints a free-standing line (a warning), above the live display rather than through it.
    /// Every mode prints it, as Compose's log lines print whatever the progress mode; in json
    /// mode it is a logrus-style JSON object.
    pub fn warning(&self, text: &str) {
        match &*self.inner {
            Inner::Tty(tty) => tty.warning(text),
            Inner::Plain(plain) => plain.write(text),
            Inner::Json(json) => json.warning(text),
            Inner::Quiet(quiet) => quiet.warning(text),
        }
    }

    /// Runs `f`, which may write to the terminal, with the live display cleared, then redraws
    /// it. `f` must not call [`Progress::warning`] (the display is locked meanwhile).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &*self.inner {
            Inner::Tty(tty) => tty.suspend(f),
            _ => f(),
        }
    }
}

/// A progress line with all of Compose's event fields, as pulls and pushes report layers: plain
/// mode prints `ID Text StatusText` as Go's `Println`, json mode every non-empty field, and the
/// live display shows only top-level lines (children have a `parent_id`).
#[derive(Debug, Clone)]
pub struct Detail {
    /// Compose's `ID`.
    pub id: String,
    /// Compose's `ParentID` (a layer's service).
    pub parent_id: String,
    /// Compose's `Text` (`Pulling`, `Downloading`…).
    pub text: String,
    /// Compose's `StatusText` (a progress bar, an error).
    pub status_text: String,
    /// Working, done, warning or error.
    pub status: berth_engine::EventStatus,
    /// Bytes done.
    pub current: i64,
    /// Bytes in all.
    pub total: i64,
    /// Percent done.
    pub percent: i64,
}

impl Progress {
    /// Whether this is the live terminal display (which aggregates children into their parent).
    #[must_use]
    pub fn is_live(&self) -> bool {
        matches!(&*self.inner, Inner::Tty(_))
    }

    /// Reports a [`Detail`] line.
    pub fn detail(&self, detail: &Detail) {
        match &*self.inner {
            Inner::Tty(tty) => {
                if detail.parent_id.is_empty() {
                    let text = if detail.status_text.is_empty() {
                        detail.text.clone()
                    } else if detail.text.is_empty() {
                        detail.status_text.clone()
                    } else {
                        format!("{} {}", detail.text, detail.status_text)
                    };
                    tty.event(Event {
                        resource: detail.id.clone(),
                        status: detail.status,
                        text,
                    });
                }
            }
            Inner::Plain(plain) => plain.detail(detail),
            Inner::Json(json) => json.detail(detail),
            Inner::Quiet(_) => {}
        }
    }
}

impl Reporter for Progress {
    fn event(&self, event: Event) {
        match &*self.inner {
            Inner::Tty(tty) => tty.event(event),
            Inner::Plain(plain) => plain.event(&event),
            Inner::Json(json) => json.event(&event),
            Inner::Quiet(_) => {}
        }
    }
}

/// A writer seen as a terminal 80 columns wide and 24 lines high (Go's and console's fallback),
/// for `--progress tty` drawn into something that is not a terminal.
#[derive(Clone)]
struct WriterTerm(Arc<std::sync::Mutex<Box<dyn Write + Send>>>);

impl WriterTerm {
    fn new(out: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(std::sync::Mutex::new(out)))
    }

    fn put(&self, text: &str) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write_all(text.as_bytes())
    }
}

impl std::fmt::Debug for WriterTerm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("WriterTerm")
    }
}

impl indicatif::TermLike for WriterTerm {
    fn width(&self) -> u16 {
        80
    }
    fn height(&self) -> u16 {
        24
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}A"))
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}B"))
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}C"))
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}D"))
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.put(s)?;
        self.put("\n")
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.put(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.put("\r\x1b[2K")
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .flush()
    }
}

/// A terminal used as a plain writer (line renderers given a terminal).
struct TermWriter(tty::SharedTerm);

impl Write for TermWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use indicatif::TermLike as _;
        self.0.write_str(&String::from_utf8_lossy(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use indicatif::TermLike as _;
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use berth_engine::EventStatus;

    use super::*;

    #[test]
    fn auto_is_tty_on_a_terminal_and_plain_elsewhere() {
        assert_eq!(Mode::Auto.resolve("auto", true), Ok(Renderer::Tty));
        assert_eq!(Mode::Auto.resolve("auto", false), Ok(Renderer::Plain));
    }

    #[test]
    fn ansi_never_makes_auto_plain_and_always_makes_it_tty() {
        assert_eq!(Mode::Auto.resolve("never", true), Ok(Renderer::Plain));
        assert_eq!(Mode::Auto.resolve("always", false), Ok(Renderer::Tty));
        assert_eq!(Mode::Json.resolve("never", true), Ok(Renderer::Json));
        assert_eq!(Mode::Quiet.resolve("always", true), Ok(Renderer::Quiet));
        assert_eq!(Mode::Tty.resolve("auto", false), Ok(Renderer::Tty));
        assert_eq!(Mode::Plain.resolve("never", true), Ok(Renderer::Plain));
    }

    #[test]
    fn contradicting_ansi_is_refused_with_compose_wording() {
        assert_eq!(
            Mode::Tty
                .resolve("never", true)
                .map_err(|error| error.to_string()),
            Err("can't use --progress tty while ANSI support is disabled".to_owned())
        );
        assert_eq!(
            Mode::Plain
                .resolve("always", true)
                .map_err(|error| error.to_string()),
            Err("can't use --progress plain while ANSI support is forced".to_owned())
        );
    }

    #[test]
    fn flags_name_modes() {
        assert_eq!(Mode::from_flag(None), Mode::Auto);
        assert_eq!(Mode::from_flag(Some("auto")), Mode::Auto);
        assert_eq!(Mode::from_flag(Some("none")), Mode::Quiet);
        assert_eq!(Mode::from_flag(Some("json")), Mode::Json);
    }

    #[test]
    fn no_color_counts_only_when_not_empty() {
        assert!(no_color(Some("1")));
        assert!(!no_color(Some("")));
        assert!(!no_color(None));
    }

    /// A shared buffer standing for standard error.
    #[derive(Clone, Default)]
    struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn settings(renderer: Renderer) -> Settings {
        Settings {
            renderer,
            colour: false,
            dry_run: false,
            title: "Running".to_owned(),
        }
    }

    fn events(progress: &Progress) {
        for (status, text) in [
            (EventStatus::Working, "Creating"),
            (EventStatus::Done, "Created"),
        ] {
            progress.event(Event {
                resource: "Container p-a-1".to_owned(),
                status,
                text: text.to_owned(),
            });
        }
        progress.warning("Warning: careful");
        progress.finish();
    }

    #[test]
    fn each_renderer_writes_its_own_lines_and_every_one_warns() {
        let plain = Buffer::default();
        events(&Progress::to_writer(
            &settings(Renderer::Plain),
            Box::new(plain.clone()),
        ));
        assert_eq!(
            plain.text(),
            " Container p-a-1  Creating\n Container p-a-1  Created\nWarning: careful\n"
        );

        let json = Buffer::default();
        events(&Progress::to_writer(
            &settings(Renderer::Json),
            Box::new(json.clone()),
        ));
        let text = json.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#"{"id":"Container p-a-1","status":"Creating"}"#);
        assert_eq!(lines[1], r#"{"id":"Container p-a-1","status":"Created"}"#);
        assert!(lines[2].starts_with(r#"{"level":"warning","msg":"Warning: careful","time":""#));

        let quiet = Buffer::default();
        events(&Progress::to_writer(
            &settings(Renderer::Quiet),
            Box::new(quiet.clone()),
        ));
        assert_eq!(quiet.text(), "Warning: careful\n");
    }

    /// `--progress tty` into something that is not a terminal still draws, as Compose does.
    #[test]
    fn tty_into_a_writer_draws_the_final_frame() {
        let out = Buffer::default();
        let progress = Progress::to_writer(&settings(Renderer::Tty), Box::new(out.clone()));
        events(&progress);
        let text = out.text();
        assert!(text.starts_with("Warning: careful"), "{text:?}");
        assert!(text.ends_with("0.0s \n"), "{text:?}");
        assert!(
            text.contains("[+] Running 1/1\n ✔ Container p-a-1  Created "),
            "{text:?}"
        );
    }
}
