//! The `tty` renderer: Compose's live display, a `[+] Running 3/5` header and one line per
//! resource with a spinner, tick or cross, its coloured status and its elapsed time at the right
//! edge, redrawn every 100 ms.
//!
//! The frame is laid out here exactly as Compose's `ttyWriter.print` lays it out ([`Board`], pure
//! and tested on its own); indicatif only puts it on the terminal: one [`ProgressBar`] per line in
//! a [`MultiProgress`], so that warnings printed meanwhile go above the display instead of
//! tearing it. indicatif falls apart when there are more bars than terminal lines
//! (console-rs/indicatif#636, and Compose's own display garbles the same way), so while running,
//! a project with more resources than fit shows the unfinished ones and folds the finished ones
//! into one summary line; the final frame, printed once when the display ends, lists every
//! resource as Compose's does.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use berth_engine::{Event, EventStatus};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use super::DRY_RUN_PREFIX;

/// How often the display is redrawn, as Compose's ticker.
const TICK: Duration = Duration::from_millis(100);

/// Compose's spinner frames (`pkg/progress/spinner.go`).
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The colours Compose applies with `aec` (`pkg/progress/colors.go`).
const BLUE: &str = "\x1b[34m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const YELLOW_BOLD: &str = "\x1b[33m\x1b[1m";
const RED_BOLD: &str = "\x1b[31m\x1b[1m";
const RESET: &str = "\x1b[0m";

/// What the frame looks like besides its events.
#[derive(Debug, Clone)]
pub(crate) struct Look {
    /// The word after `[+]`: `Running`, `Stopping`…
    pub(crate) title: String,
    /// Whether to colour (off with `NO_COLOR`).
    pub(crate) colour: bool,
    /// Whether every line carries the dry-run prefix.
    pub(crate) dry_run: bool,
}

impl Look {
    fn paint(&self, colour: &str, text: &str) -> String {
        if self.colour {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// One resource's line: the latest event, when the first one came, and when it last finished.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    status: EventStatus,
    text: String,
    started: Instant,
    ended: Option<Instant>,
}

/// The state of the display: one entry per resource, in order of first appearance, merged as
/// Compose's `ttyWriter.event` merges events.
#[derive(Debug, Default)]
pub(crate) struct Board {
    entries: Vec<Entry>,
    positions: HashMap<String, usize>,
    /// How many resource lines the previous frame had; the header turns blue once that many are
    /// done.
    previous_count: usize,
}

impl Board {
    /// Merges one event: a resource's first event starts its clock, and its clock stops whenever
    /// it turns done, warned or failed.
    pub(crate) fn record(&mut self, event: Event, now: Instant) {
        if let Some(&position) = self.positions.get(&event.resource) {
            let entry = &mut self.entries[position];
            if event.status != EventStatus::Working && entry.status != event.status {
                entry.ended = Some(now);
            }
            entry.status = event.status;
            entry.text = event.text;
        } else {
            let ended =
                matches!(event.status, EventStatus::Done | EventStatus::Error).then_some(now);
            self.positions
                .insert(event.resource.clone(), self.entries.len());
            self.entries.push(Entry {
                id: event.resource,
                status: event.status,
                text: event.text,
                started: now,
                ended,
            });
        }
    }

    /// The frame at `now` for a terminal `width` columns wide: the header, then one line per
    /// resource. With `rows`, at most that many resource lines: the finished resources that do
    /// not fit are folded into one summary line.
    pub(crate) fn render(
        &mut self,
        look: &Look,
        now: Instant,
        width: usize,
        rows: Option<usize>,
    ) -> Vec<String> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let done = self
            .entries
            .iter()
            .filter(|entry| entry.status != EventStatus::Working)
            .count();
        let mut header = format!("[+] {} {done}/{}", look.title, self.entries.len());
        if self.previous_count != 0 && done == self.previous_count {
            header = look.paint(BLUE, &header);
        }
        self.previous_count = self.entries.len();
        // Compose measures `ID + " " + Text` in bytes; berth's Text is always empty.
        let status_padding = self
            .entries
            .iter()
            .map(|entry| entry.id.len() + 1)
            .max()
            .unwrap_or(0);
        let line = |entry: &Entry| entry_line(entry, look, now, width, status_padding);
        let mut frame = vec![header];
        match rows {
            Some(rows) if rows >= 2 && self.entries.len() > rows => {
                let hidden = self.hidden(self.entries.len() - (rows - 1));
                let summary = summary(
                    self.entries
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| hidden.contains(index))
                        .map(|(_, entry)| entry),
                );
                frame.extend(
                    self.entries
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| !hidden.contains(index))
                        .map(|(_, entry)| line(entry)),
                );
                frame.push(entry_line(&summary, look, now, width, status_padding));
            }
            _ => frame.extend(self.entries.iter().map(line)),
        }
        frame
    }

    /// Which entries to fold away: those that finished longest ago first, then the oldest.
    fn hidden(&self, count: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&index| {
            let entry = &self.entries[index];
            let finished = entry.status == EventStatus::Done;
            (!finished, entry.ended.unwrap_or(entry.started), index)
        });
        order.truncate(count);
        order
    }
}

/// The line standing for folded resources: `12 more`, done when all of them are.
fn summary<'a>(hidden: impl Iterator<Item = &'a Entry>) -> Entry {
    let hidden: Vec<&Entry> = hidden.collect();
    let done = hidden
        .iter()
        .filter(|entry| entry.status != EventStatus::Working)
        .count();
    let all_done = done == hidden.len();
    let started = hidden.iter().map(|entry| entry.started).min();
    let ended = hidden
        .iter()
        .map(|entry| entry.ended.unwrap_or(entry.started))
        .max();
    let now = Instant::now();
    Entry {
        id: format!("{} more", hidden.len()),
        status: if all_done {
            EventStatus::Done
        } else {
            EventStatus::Working
        },
        text: format!("{done}/{} done", hidden.len()),
        started: started.unwrap_or(now),
        ended,
    }
}

/// One resource line as Compose's `lineText` builds it: ` ✔ Network p_default  Created`, padded
/// so that the timer (`0.1s `) ends at the right edge.
fn entry_line(
    entry: &Entry,
    look: &Look,
    now: Instant,
    width: usize,
    status_padding: usize,
) -> String {
    let end = if entry.status == EventStatus::Working {
        now
    } else {
        entry.ended.unwrap_or(entry.started)
    };
    let elapsed = end.saturating_duration_since(entry.started);
    let mark = match entry.status {
        EventStatus::Done => look.paint(GREEN, "✔"),
        EventStatus::Warning => look.paint(YELLOW_BOLD, "!"),
        EventStatus::Error => look.paint(RED_BOLD, "✘"),
        EventStatus::Working => {
            let frame = usize::try_from(elapsed.as_millis() / TICK.as_millis()).unwrap_or(0);
            look.paint(YELLOW, SPINNER[frame % SPINNER.len()])
        }
    };
    let prefix = if look.dry_run {
        look.paint(CYAN, DRY_RUN_PREFIX)
    } else {
        String::new()
    };
    let text = format!("{} ", entry.id);
    let padding = status_padding.saturating_sub(text.len());
    // Long statuses (daemon errors) are cut so the line stays one line, as Compose cuts them.
    let mut status = entry.text.clone();
    let room = width
        .checked_sub(text.len() + status_padding + 15)
        .filter(|room| *room > 0);
    if let Some(room) = room
        && status.len() > room
    {
        let mut cut = room;
        while !status.is_char_boundary(cut) {
            cut -= 1;
        }
        status.truncate(cut);
        status.push_str("...");
    }
    let status = match entry.status {
        EventStatus::Working => status,
        EventStatus::Done => look.paint(GREEN, &status),
        EventStatus::Warning => look.paint(YELLOW_BOLD, &status),
        EventStatus::Error => look.paint(RED_BOLD, &status),
    };
    let left = format!(" {mark}{prefix} {text}{} {status}", " ".repeat(padding));
    let timer = look.paint(BLUE, &format!("{:.1}s ", elapsed.as_secs_f64()));
    let fill = width.saturating_sub(visible_len(&left) + visible_len(&timer));
    format!("{left}{}{timer}", " ".repeat(fill))
}

/// Characters a terminal shows: escape sequences (`ESC … m`) take no room (Compose's `lenAnsi`).
fn visible_len(text: &str) -> usize {
    let mut length = 0;
    let mut in_escape = false;
    for character in text.chars() {
        if character == '\x1b' {
            in_escape = true;
        } else if in_escape {
            in_escape = character != 'm';
        } else {
            length += 1;
        }
    }
    length
}

/// A terminal shared between indicatif's draw target and the display's own writes and size
/// queries (standard error, or an in-memory terminal in tests).
#[derive(Debug, Clone)]
pub(crate) struct SharedTerm(Arc<dyn TermLike>);

impl SharedTerm {
    pub(crate) fn new(term: impl TermLike + 'static) -> Self {
        Self(Arc::new(term))
    }
}

impl TermLike for SharedTerm {
    fn width(&self) -> u16 {
        self.0.width()
    }
    fn height(&self) -> u16 {
        self.0.height()
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The live part of a display: indicatif's bars (the header first) and what each shows.
struct Live {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
    shown: Vec<String>,
    /// Dropping it stops the redraw thread.
    _stop: mpsc::Sender<()>,
}

impl Live {
    /// Makes the bars show `lines`, adding or removing bars as the frame grows or shrinks, and
    /// touching only the lines that changed.
    fn show(&mut self, lines: Vec<String>) {
        while self.bars.len() < lines.len() {
            let bar = self.multi.add(ProgressBar::hidden());
            bar.set_style(line_style());
            self.bars.push(bar);
            self.shown.push(String::new());
        }
        while self.bars.len() > lines.len() {
            if let Some(bar) = self.bars.pop() {
                self.multi.remove(&bar);
            }
            self.shown.pop();
        }
        for ((bar, shown), line) in self.bars.iter().zip(&mut self.shown).zip(lines) {
            if *shown != line {
                bar.set_message(line.clone());
                *shown = line;
            }
        }
    }
}

fn line_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// What events change: the board and the title. Locked after [`Shared::live`] when both are
/// needed, never before.
struct State {
    board: Board,
    look: Look,
    /// Whether a live display runs for the current board.
    started: bool,
}

struct Shared {
    term: SharedTerm,
    live: Mutex<Option<Live>>,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn size(&self) -> (usize, usize) {
        (
            usize::from(self.term.width()),
            usize::from(self.term.height()),
        )
    }

    /// One redraw of the live display, rows limited to what the terminal holds.
    fn tick(&self) {
        let mut live = self.live();
        let Some(live) = live.as_mut() else { return };
        let (width, height) = self.size();
        let lines = {
            let mut state = self.state();
            let State { board, look, .. } = &mut *state;
            board.render(look, Instant::now(), width, Some(height.saturating_sub(2)))
        };
        live.show(lines);
    }
}

/// The tty renderer.
pub(crate) struct Tty {
    shared: Arc<Shared>,
}

impl Tty {
    pub(crate) fn new(term: SharedTerm, look: Look) -> Self {
        Self {
            shared: Arc::new(Shared {
                term,
                live: Mutex::new(None),
                state: Mutex::new(State {
                    board: Board::default(),
                    look,
                    started: false,
                }),
            }),
        }
    }

    pub(crate) fn event(&self, event: Event) {
        let start = {
            let mut state = self.shared.state();
            state.board.record(event, Instant::now());
            !std::mem::replace(&mut state.started, true)
        };
        if start {
            self.start();
        }
    }

    /// Starts the live display and its redraw thread.
    fn start(&self) {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::term_like_with_hz(
            Box::new(self.shared.term.clone()),
            20,
        ));
        let (stop, stopped) = mpsc::channel::<()>();
        let mut live = self.shared.live();
        *live = Some(Live {
            multi,
            bars: Vec::new(),
            shown: Vec::new(),
            _stop: stop,
        });
        drop(live);
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        let spawned = std::thread::Builder::new()
            .name("berth-progress".to_owned())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    match shared.upgrade() {
                        Some(shared) => shared.tick(),
                        None => break,
                    }
                }
            });
        // Without a thread the display still shows every frame `finish` draws.
        drop(spawned);
    }

    /// Redraws now (the thread does it every 100 ms).
    #[cfg(test)]
    pub(crate) fn tick(&self) {
        self.shared.tick();
    }

    /// Ends the display: the live frame is replaced by the final one, every resource listed, and
    /// the next event starts a new display.
    pub(crate) fn finish(&self) {
        let mut live = self.shared.live();
        let (width, _) = self.shared.size();
        let lines = {
            let mut state = self.shared.state();
            let State {
                board,
                look,
                started,
            } = &mut *state;
            let lines = board.render(look, Instant::now(), width, None);
            *board = Board::default();
            *started = false;
            lines
        };
        if let Some(live) = live.take() {
            for bar in &live.bars {
                live.multi.remove(bar);
            }
            let _ = live.multi.clear();
        }
        for line in lines {
            let _ = self.shared.term.write_line(&line);
        }
        let _ = self.shared.term.flush();
    }

    pub(crate) fn set_title(&self, title: &str) {
        title.clone_into(&mut self.shared.state().look.title);
    }

    /// A line above the display, which goes on below it.
    pub(crate) fn warning(&self, text: &str) {
        let live = self.shared.live();
        match live.as_ref() {
            Some(live) => {
                let _ = live.multi.println(text);
            }
            None => {
                let _ = self.shared.term.write_line(text);
            }
        }
    }

    /// Runs `f` with the display cleared, then redraws it.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let multi = self.shared.live().as_ref().map(|live| live.multi.clone());
        match multi {
            Some(multi) => multi.suspend(f),
            None => f(),
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let started = self.shared.state().started;
        if started {
            self.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use indicatif::InMemoryTerm;

    use super::*;

    fn event(resource: &str, status: EventStatus, text: &str) -> Event {
        Event {
            resource: resource.to_owned(),
            status,
            text: text.to_owned(),
        }
    }

    fn look(colour: bool, dry_run: bool) -> Look {
        Look {
            title: "Running".to_owned(),
            colour,
            dry_run,
        }
    }

    /// A board fed `up`'s events at fixed times: network created in 0.1 s, db in 0.6 s.
    fn up_board(start: Instant) -> Board {
        let at = |ms| start + Duration::from_millis(ms);
        let mut board = Board::default();
        board.record(
            event("Network p_default", EventStatus::Working, "Creating"),
            at(0),
        );
        board.record(
            event("Network p_default", EventStatus::Done, "Created"),
            at(100),
        );
        board.record(
            event("Container p-db-1", EventStatus::Working, "Creating"),
            at(100),
        );
        board.record(
            event("Container p-db-1", EventStatus::Done, "Created"),
            at(200),
        );
        board.record(
            event("Container p-db-1", EventStatus::Working, "Starting"),
            at(300),
        );
        board.record(
            event("Container p-db-1", EventStatus::Done, "Started"),
            at(700),
        );
        board
    }

    /// Compose v2.40.3's final frame for the same resources on a 60-column terminal, colours
    /// off: statuses aligned one space after the longest name, timers at the right edge.
    #[test]
    fn final_frame_matches_compose_layout() {
        let start = Instant::now();
        let mut board = up_board(start);
        let frame = board.render(
            &look(false, false),
            start + Duration::from_secs(1),
            60,
            None,
        );
        for line in &frame[1..] {
            assert_eq!(line.chars().count(), 60, "{line:?}");
        }
        assert_eq!(
            frame,
            [
                "[+] Running 2/2",
                " ✔ Network p_default  Created                          0.1s ",
                " ✔ Container p-db-1   Started                          0.6s ",
            ]
        );
    }

    /// Colours as Compose's `aec` writes them: green tick and status, blue timer, and the header
    /// blue once the previous frame's resources are all done.
    #[test]
    fn colours_match_compose() {
        let start = Instant::now();
        let mut board = up_board(start);
        let now = start + Duration::from_secs(1);
        let first = board.render(&look(true, false), now, 60, None);
        assert_eq!(first[0], "[+] Running 2/2");
        assert_eq!(
            first[1],
            " \x1b[32m✔\x1b[0m Network p_default  \x1b[32mCreated\x1b[0m                          \x1b[34m0.1s \x1b[0m"
        );
        let second = board.render(&look(true, false), now, 60, None);
        assert_eq!(second[0], "\x1b[34m[+] Running 2/2\x1b[0m");
    }

    #[test]
    fn working_lines_spin_and_count_up_and_errors_are_cut_to_fit() {
        let start = Instant::now();
        let mut board = Board::default();
        board.record(
            event("Container p-a-1", EventStatus::Working, "Starting"),
            start,
        );
        board.record(
            event(
                "Container p-long-name-1",
                EventStatus::Error,
                "Error response from daemon: Conflict. The container name is already in use",
            ),
            start,
        );
        let frame = board.render(
            &look(false, true),
            start + Duration::from_millis(350),
            80,
            None,
        );
        for line in &frame[1..] {
            assert_eq!(line.chars().count(), 80, "{line:?}");
        }
        assert_eq!(
            frame,
            [
                "[+] Running 1/2",
                " ⠸ DRY-RUN MODE -  Container p-a-1          Starting                       0.3s ",
                " ✘ DRY-RUN MODE -  Container p-long-name-1  Error response fr...           0.0s ",
            ]
        );
    }

    /// A first event that is a warning never started a clock; on a narrow terminal the timer
    /// is glued to the status, as Compose's `align` does when nothing is left to pad.
    #[test]
    fn a_warning_first_keeps_no_time_and_shows_its_mark() {
        let start = Instant::now();
        let mut board = Board::default();
        board.record(
            event(
                "Network p_default",
                EventStatus::Warning,
                "Resource is still in use",
            ),
            start,
        );
        let frame = board.render(
            &look(false, false),
            start + Duration::from_secs(2),
            50,
            None,
        );
        assert_eq!(
            frame[1],
            " ! Network p_default  Resource is still in use0.0s "
        );
    }

    /// More resources than rows: finished ones fold into a summary so the frame fits.
    #[test]
    fn too_many_resources_fold_the_finished_ones() {
        let start = Instant::now();
        let mut board = Board::default();
        for number in 1..=6 {
            let id = format!("Container p-s-{number}");
            board.record(event(&id, EventStatus::Working, "Creating"), start);
            if number <= 4 {
                let at = start + Duration::from_millis(100 * number);
                board.record(event(&id, EventStatus::Done, "Created"), at);
            }
        }
        let now = start + Duration::from_secs(1);
        let frame = board.render(&look(false, false), now, 60, Some(4));
        assert_eq!(
            frame,
            [
                "[+] Running 4/6",
                " ✔ Container p-s-4  Created                            0.4s ",
                " ⠋ Container p-s-5  Creating                           1.0s ",
                " ⠋ Container p-s-6  Creating                           1.0s ",
                " ✔ 3 more           3/3 done                           0.3s ",
            ]
        );
        let full = board.render(&look(false, false), now, 60, None);
        assert_eq!(full.len(), 7);
    }

    /// The whole display on indicatif's in-memory terminal: live frames while running, a warning
    /// above them, then the final frame left on screen.
    #[test]
    fn display_leaves_the_final_frame_on_the_terminal() {
        let term = InMemoryTerm::new(20, 60);
        let tty = Tty::new(SharedTerm::new(term.clone()), look(false, false));
        tty.event(event("Network p_default", EventStatus::Working, "Creating"));
        tty.event(event("Network p_default", EventStatus::Done, "Created"));
        tty.event(event("Container p-web-1", EventStatus::Working, "Creating"));
        tty.tick();
        let live = term.contents();
        assert!(
            live.starts_with("[+] Running 1/2\n ✔ Network p_default  Created"),
            "{live}"
        );
        tty.warning("Warning: something to say");
        tty.event(event("Container p-web-1", EventStatus::Done, "Created"));
        tty.finish();
        let contents = term.contents();
        let lines: Vec<&str> = contents.lines().collect();
        assert_eq!(lines.len(), 4, "{contents}");
        assert_eq!(lines[0], "Warning: something to say");
        assert_eq!(lines[1], "[+] Running 2/2");
        assert!(
            lines[2].starts_with(" ✔ Network p_default  Created "),
            "{contents}"
        );
        assert!(
            lines[3].starts_with(" ✔ Container p-web-1  Created "),
            "{contents}"
        );
        assert!(lines[3].ends_with("s"), "{contents}");
        assert_eq!(
            lines[3].chars().count(),
            59,
            "timer at the right edge: {contents}"
        );

        // The next event starts a new display below the finished one.
        tty.set_title("Stopping");
        tty.event(event("Container p-web-1", EventStatus::Working, "Stopping"));
        tty.event(event("Container p-web-1", EventStatus::Done, "Stopped"));
        tty.finish();
        let contents = term.contents();
        let lines: Vec<&str> = contents.lines().collect();
        assert_eq!(lines.len(), 6, "{contents}");
        assert_eq!(lines[4], "[+] Stopping 1/1");
        assert!(
            lines[5].starts_with(" ✔ Container p-web-1  Stopped "),
            "{contents}"
        );
    }

    /// A live frame never has more lines than the terminal: indicatif#636 cannot happen.
    #[test]
    fn live_display_fits_a_short_terminal() {
        let term = InMemoryTerm::new(6, 60);
        let tty = Tty::new(SharedTerm::new(term.clone()), look(false, false));
        for number in 1..=10 {
            let id = format!("Container p-s-{number}");
            tty.event(event(&id, EventStatus::Working, "Creating"));
            tty.event(event(&id, EventStatus::Done, "Created"));
        }
        tty.event(event(
            "Container p-last-1",
            EventStatus::Working,
            "Starting",
        ));
        tty.tick();
        let live = term.contents();
        assert_eq!(live.lines().count(), 5, "{live}");
        assert!(live.contains("more"), "{live}");
        assert!(live.contains("Container p-last-1"), "{live}");
    }
}
