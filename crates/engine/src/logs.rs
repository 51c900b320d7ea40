//! A container's output and a project's container events, as streams: what `up` needs to show
//! every service's output while it runs.
//!
//! Three sources, each as Docker Compose uses them:
//! - [`Engine::attach_output`]: the live stdout and stderr of a container that has not started
//!   yet. It returns only once the daemon has accepted the attachment, so a start that follows
//!   loses nothing.
//! - [`Engine::follow_logs`]: the logs of a container that is already running, from a moment on
//!   (the end of its previous run, after a restart). The API's `since` has whole seconds only, so
//!   lines are asked for with timestamps and those before the moment are dropped: a container that
//!   restarts within the second would otherwise repeat its previous run's output. (The new run's
//!   `State.StartedAt`, which Compose uses, is no good cut-off: the daemon often stamps a run's
//!   first lines a few milliseconds *before* the `StartedAt` it records, and they would be lost.)
//! - [`Engine::container_events`]: create, start, restart and die events of a project's
//!   containers, with exit codes, replayed from a given moment so that nothing between subscribing
//!   and the first start is lost.
//!
//! With a TTY the daemon merges stderr into stdout, so every chunk of a TTY container is stdout.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::container::LogOutput;
use bollard::query_parameters::{AttachContainerOptions, EventsOptions, LogsOptions};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::labels;

/// Which of a container's streams a chunk was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// Standard output (everything, for a TTY container).
    Stdout,
    /// Standard error.
    Stderr,
}

/// Bytes a container wrote, as the daemon framed them: not necessarily whole lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    /// The stream written to.
    pub kind: OutputKind,
    /// What was written.
    pub bytes: Bytes,
}

/// A container's output, ending when the container stops (or the connection breaks).
pub type ContainerOutput = Pin<Box<dyn Stream<Item = Result<OutputChunk>> + Send>>;

/// A moment as the daemon writes it (RFC 3339 with nanoseconds, UTC), to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// Now, by this machine's clock.
    #[must_use]
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// The same moment as `time`.
    #[must_use]
    pub fn from_system_time(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(elapsed) => Self {
                seconds: i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
                nanos: elapsed.subsec_nanos(),
            },
            Err(before) => {
                let before = before.duration();
                let seconds = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_nanos() {
                    0 => Self { seconds, nanos: 0 },
                    nanos => Self {
                        seconds: seconds - 1,
                        nanos: 1_000_000_000 - nanos,
                    },
                }
            }
        }
    }

    /// The moment `nanos` nanoseconds after the epoch (an event's `timeNano`).
    #[must_use]
    pub fn from_nanos(nanos: i64) -> Self {
        Self {
            seconds: nanos.div_euclid(1_000_000_000),
            nanos: u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0),
        }
    }

    /// Reads an RFC 3339 time such as the daemon's `2024-05-01T10:20:30.123456789Z` or
    /// `2024-05-01T12:20:30+02:00`. `None` when `text` is not one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            if part.bytes().all(|byte| byte.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        if bytes.len() < 20
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !matches!(bytes[10], b'T' | b't' | b' ')
            || bytes[13] != b':'
            || bytes[16] != b':'
        {
            return None;
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
            return None;
        }
        if second > 60 {
            return None;
        }
        let mut rest = &text[19..];
        let mut nanos = 0u32;
        if let Some(fraction) = rest.strip_prefix('.') {
            let length;
            (nanos, length) = fraction_nanos(fraction);
            if length == 0 {
                return None;
            }
            rest = &fraction[length..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => zone_offset(rest)?,
        };
        let days = days_from_civil(year, month, day);
        Some(Self {
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
            nanos,
        })
    }
}

/// As Go's `RFC3339NanoFixed` in UTC: `2024-05-01T10:20:30.123456789Z`, always nine digits.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let within = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
            within / 3600,
            within % 3600 / 60,
            within % 60,
            self.nanos
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month, day) of a day counted from 1970-01-01, inverse of `days_from_civil`
/// (Howard Hinnant's algorithm, proleptic Gregorian).
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// What happened to a container, as far as following a project needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerAction {
    /// The container was created.
    Create,
    /// The container started (first start or restart).
    Start,
    /// The container was restarted by `docker restart` (a `die` and a `start` also come).
    Restart,
    /// The container's main process ended.
    Die {
        /// Its exit code (`exitCode` on the event).
        exit_code: i64,
    },
    /// Any other action (`stop`, `kill`, `destroy`, `exec_create: …`), by the daemon's name.
    Other(String),
}

/// One container event of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    /// What happened.
    pub action: ContainerAction,
    /// Container ID.
    pub id: String,
    /// Container name, without the leading `/`.
    pub name: String,
    /// The container's labels plus the event's own attributes (`name`, `image`, `exitCode`…),
    /// as the daemon sends them.
    pub attributes: HashMap<String, String>,
    /// When it happened, by the daemon's clock, in nanoseconds since the epoch.
    pub time_nano: i64,
}

impl ContainerEvent {
    /// The container's service (`com.docker.compose.service` label), or `""`.
    #[must_use]
    pub fn service(&self) -> &str {
        self.attributes
            .get(labels::SERVICE)
            .map_or("", String::as_str)
    }

    /// True for a one-off (`run`) container.
    #[must_use]
    pub fn is_one_off(&self) -> bool {
        self.attributes
            .get(labels::ONEOFF)
            .is_some_and(|value| value == "True")
    }
}

/// A project's container events.
pub type ContainerEvents = Pin<Box<dyn Stream<Item = Result<ContainerEvent>> + Send>>;

impl Engine {
    /// Attaches to `container`'s stdout and stderr (no stdin, no past output). `tty` is the
    /// container's `Config.Tty`: with a TTY every chunk is [`OutputKind::Stdout`].
    ///
    /// Returns once the daemon has accepted the attachment, so starting the container afterwards
    /// loses nothing; the stream ends when the container stops.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the container does not exist; daemon errors.
    pub async fn attach_output(&self, container: &str, tty: bool) -> Result<ContainerOutput> {
        let options = AttachContainerOptions {
            stream: true,
            stdout: true,
            stderr: true,
            ..Default::default()
        };
        let attached = self
            .docker
            .attach_container(container, Some(options))
            .await?;
        Ok(Box::pin(attached.output.filter_map(move |item| {
            std::future::ready(chunk_of(item, tty).transpose())
        })))
    }

    /// Follows `container`'s logs until it stops: only what was logged at or after `since`
    /// (everything when `None`). `tty` is the container's `Config.Tty`.
    ///
    /// The daemon refuses logs for the `none` logging driver and drivers it cannot read with
    /// HTTP 501 ([`EngineError::Daemon`] with `status: 501`), as the stream's first item.
    pub fn follow_logs(
        &self,
        container: &str,
        tty: bool,
        since: Option<Timestamp>,
    ) -> ContainerOutput {
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            since: since.map_or(0, |since| i32::try_from(since.seconds).unwrap_or(0)),
            timestamps: since.is_some(),
            ..Default::default()
        };
        let logs = self.docker.logs(container, Some(options));
        Box::pin(logs.filter_map(move |item| {
            let chunk = match chunk_of(item, tty) {
                Ok(Some(chunk)) => match since {
                    Some(since) => after(chunk, since).map(Ok),
                    None => Some(Ok(chunk)),
                },
                Ok(None) => None,
                Err(error) => Some(Err(error)),
            };
            std::future::ready(chunk)
        }))
    }

    /// The container events of `project` (by its `com.docker.compose.project` label) from
    /// `since` on, replayed by the daemon from its recent history and then live. Only the actions
    /// of [`ContainerAction`] that matter to followers are named; others are
    /// [`ContainerAction::Other`].
    pub fn container_events(&self, project: &str, since: Timestamp) -> ContainerEvents {
        let options = EventsOptions {
            since: Some(format!("{}.{:09}", since.seconds, since.nanos)),
            until: None,
            filters: Some(HashMap::from([
                ("type".to_owned(), vec!["container".to_owned()]),
                (
                    "label".to_owned(),
                    vec![format!("{}={project}", labels::PROJECT)],
                ),
            ])),
        };
        let events = self.docker.events(Some(options));
        Box::pin(events.filter_map(|item| {
            std::future::ready(match item {
                Ok(message) => container_event(message).map(Ok),
                Err(error) => Some(Err(EngineError::from(error))),
            })
        }))
    }
}

/// What to read of a container's logs, as `GET /containers/{id}/logs` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsQuery {
    /// Keep streaming until the container stops.
    pub follow: bool,
    /// Only the last this many entries (all when `None`).
    pub tail: Option<u64>,
    /// Only entries logged at or after this moment.
    pub since: Option<Timestamp>,
    /// Only entries logged at or before this moment.
    pub until: Option<Timestamp>,
    /// Start each entry with the daemon's timestamp (`2024-05-01T10:20:30.123456789Z `).
    pub timestamps: bool,
    /// Read a `json-file` log straight from the daemon's file when it is local and readable,
    /// instead of through the API; see [`Engine::container_logs`].
    pub direct: bool,
}

/// Payloads a reader gathers before handing them on: large enough that each is one write.
const BATCH: usize = 96 * 1024;

impl Engine {
    /// The logs of the inspected `container` as `query` asks, in the daemon's order, as chunks
    /// of whole entries (non-follow) or as the daemon sends them (follow). The stream ends at the
    /// end of the logs, or when a followed container stops.
    ///
    /// Without `follow`, a `json-file` log (the default driver) is read straight from the daemon's
    /// file when `query.direct` is set, the daemon is reached through its unix socket, the log is
    /// not rotated (no `max-size`) and the file can be read: the daemon decodes every entry's JSON
    /// and frames it again, and on a busy machine that costs more than the client's whole work.
    /// The file is read in the daemon's order and with its rules (`tail` counts entries from the
    /// end, then `since` and `until` filter); a log being written is read up to its last whole
    /// entry. Anything else goes through the API.
    ///
    /// The API takes `since` and `until` in whole seconds; when either has a fraction, entries are
    /// asked with timestamps and cut to the nanosecond here.
    pub fn container_logs(
        &self,
        container: &bollard::models::ContainerInspectResponse,
        query: &LogsQuery,
    ) -> ContainerOutput {
        let id = container.id.clone().unwrap_or_default();
        let tty = container
            .config
            .as_ref()
            .and_then(|config| config.tty)
            .unwrap_or(false);
        if query.direct
            && !query.follow
            && self.endpoint.host.starts_with("unix://")
            && let Some((path, max_files)) = direct_log_path(container)
            && let Some(files) = open_log_files(&path, max_files)
        {
            return json_file_logs(files, query.clone());
        }
        self.api_logs(&id, tty, query)
    }

    fn api_logs(&self, id: &str, tty: bool, query: &LogsQuery) -> ContainerOutput {
        let fractional = |moment: Option<Timestamp>| moment.is_some_and(|moment| moment.nanos > 0);
        let cut = fractional(query.since) || fractional(query.until);
        let seconds = |moment: Timestamp, up: bool| {
            let whole = moment.seconds + i64::from(up && moment.nanos > 0);
            i32::try_from(whole.max(0)).unwrap_or(i32::MAX)
        };
        let options = LogsOptions {
            follow: query.follow,
            stdout: true,
            stderr: true,
            since: query.since.map_or(0, |since| seconds(since, false)),
            until: query.until.map_or(0, |until| seconds(until, true)),
            timestamps: query.timestamps || cut,
            tail: query
                .tail
                .map_or_else(|| "all".to_owned(), |tail| tail.to_string()),
        };
        let logs = self.docker.logs(id, Some(options));
        let chunks =
            logs.filter_map(move |item| std::future::ready(chunk_of(item, tty).transpose()));
        if !cut {
            return Box::pin(chunks);
        }
        let mut window = Window {
            since: query.since,
            until: query.until,
            keep_stamps: query.timestamps,
            pending: Vec::new(),
        };
        Box::pin(chunks.filter_map(move |item| {
            std::future::ready(match item {
                Ok(chunk) => window.cut(chunk, tty).map(Ok),
                Err(error) => Some(Err(error)),
            })
        }))
    }
}

/// Entries kept between two moments, read from the daemon's timestamps.
struct Window {
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    keep_stamps: bool,
    /// A TTY stream's unfinished line (its chunks are not whole entries).
    pending: Vec<u8>,
}

impl Window {
    /// The part of `chunk` inside the window. A non-TTY chunk is one entry; a TTY chunk may hold
    /// several, one per line.
    fn cut(&mut self, chunk: OutputChunk, tty: bool) -> Option<OutputChunk> {
        if !tty {
            return self.entry(&chunk.bytes).map(|bytes| OutputChunk {
                kind: chunk.kind,
                bytes: Bytes::copy_from_slice(bytes),
            });
        }
        self.pending.extend_from_slice(&chunk.bytes);
        let last = self.pending.iter().rposition(|byte| *byte == b'\n')?;
        let whole: Vec<u8> = self.pending.drain(..=last).collect();
        let mut out = Vec::with_capacity(whole.len());
        for line in whole.split_inclusive(|byte| *byte == b'\n') {
            if let Some(kept) = self.entry(line) {
                out.extend_from_slice(kept);
            }
        }
        (!out.is_empty()).then(|| OutputChunk {
            kind: chunk.kind,
            bytes: Bytes::from(out),
        })
    }

    /// One entry `<stamp> <payload>` if inside the window, without its stamp unless asked for.
    fn entry<'a>(&self, entry: &'a [u8]) -> Option<&'a [u8]> {
        let space = entry.iter().position(|byte| *byte == b' ')?;
        let stamp = std::str::from_utf8(&entry[..space])
            .ok()
            .and_then(Timestamp::parse)?;
        if self.since.is_some_and(|since| stamp < since)
            || self.until.is_some_and(|until| stamp > until)
        {
            return None;
        }
        Some(if self.keep_stamps {
            entry
        } else {
            &entry[space + 1..]
        })
    }
}

/// The log file of a container whose logs the daemon keeps as `json-file` without compressing
/// rotated files, and how many files rotation keeps (1 without `max-size`).
fn direct_log_path(
    container: &bollard::models::ContainerInspectResponse,
) -> Option<(std::path::PathBuf, usize)> {
    let log_config = container.host_config.as_ref()?.log_config.as_ref()?;
    if log_config.typ.as_deref() != Some("json-file") {
        return None;
    }
    let options = log_config.config.clone().unwrap_or_default();
    if options
        .get("compress")
        .is_some_and(|compress| compress == "true")
    {
        return None;
    }
    let max_files = if options.contains_key("max-size") {
        options
            .get("max-file")
            .map_or(Some(1), |count| count.parse::<usize>().ok())?
    } else {
        1
    };
    let path = container.log_path.clone().filter(|path| !path.is_empty())?;
    // The file must be the one of this container, not some other daemon's.
    let id = container.id.as_deref()?;
    path.ends_with(&format!("{id}-json.log"))
        .then(|| (std::path::PathBuf::from(path), max_files.clamp(1, 1000)))
}

/// The log's files, oldest first (`…-json.log.2`, `….1`, then the live one), opened together.
/// `None` when they cannot all be read, or when the daemon rotated them while they were being
/// opened (two names for one file, or a live file that is no longer the one opened): the caller
/// then asks the API.
fn open_log_files(path: &std::path::Path, max_files: usize) -> Option<Vec<(std::fs::File, u64)>> {
    use std::os::unix::fs::MetadataExt as _;
    let current = std::fs::File::open(path).ok()?;
    let current_meta = current.metadata().ok()?;
    let mut files = vec![(current, current_meta.len())];
    let mut seen = vec![(current_meta.dev(), current_meta.ino())];
    for index in 1..max_files {
        let rotated =
            path.with_file_name(format!("{}.{index}", path.file_name()?.to_string_lossy()));
        let file = match std::fs::File::open(&rotated) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
            Err(_) => return None,
        };
        let meta = file.metadata().ok()?;
        if seen.contains(&(meta.dev(), meta.ino())) {
            return None;
        }
        seen.push((meta.dev(), meta.ino()));
        files.push((file, meta.len()));
    }
    let now = std::fs::metadata(path).ok()?;
    if (now.dev(), now.ino()) != seen[0] {
        return None;
    }
    files.reverse();
    Some(files)
}

/// Reads a `json-file` log as the stream is polled, a buffer at a time: the files are in the
/// page cache as a rule, and reading them on the runtime's own thread costs less than handing
/// batches between threads (every thread would also get its own allocator heap). Memory stays
/// bounded by one read buffer and the chunks decoded from it, whatever the log's size.
fn json_file_logs(files: Vec<(std::fs::File, u64)>, query: LogsQuery) -> ContainerOutput {
    let reader = match JsonFileReader::new(files, query) {
        Ok(reader) => reader,
        Err(error) => {
            return Box::pin(futures_util::stream::once(std::future::ready(Err(
                EngineError::Transport(bollard::errors::Error::IOError { err: error }),
            ))));
        }
    };
    Box::pin(futures_util::stream::unfold(
        reader,
        |mut reader| async move {
            let item = reader.next_chunk()?.map_err(|error| {
                EngineError::Transport(bollard::errors::Error::IOError { err: error })
            });
            Some((item, reader))
        },
    ))
}

/// Decodes the daemon's `json-file` entries (`{"log":"…","stream":"stdout","time":"…"}` one a
/// line, `attrs` sometimes between) into chunks of payloads, one stream per chunk, in order.
struct JsonFileReader {
    query: LogsQuery,
    /// Files still to read, oldest first, each with where to start and its length when opened.
    files: std::collections::VecDeque<(std::fs::File, u64, u64)>,
    /// Bytes of the current file still to read.
    remaining: u64,
    current: Option<std::fs::File>,
    buffer: Vec<u8>,
    filled: usize,
    done: bool,
    kind: OutputKind,
    batch: Vec<u8>,
    ready: std::collections::VecDeque<OutputChunk>,
}

impl JsonFileReader {
    /// A reader of `files` (oldest first, each with its length when opened) from the entry `tail`
    /// asks for.
    fn new(mut files: Vec<(std::fs::File, u64)>, query: LogsQuery) -> std::io::Result<Self> {
        let mut starts = vec![0_u64; files.len()];
        let mut first_file = 0;
        let mut done = false;
        if let Some(tail) = query.tail {
            done = tail == 0;
            // Count entries back from the end of the newest file.
            let mut wanted = tail.max(1);
            let count = files.len();
            for (index, (file, length)) in files.iter_mut().enumerate().rev() {
                match tail_start(file, *length, wanted, index + 1 == count)? {
                    Tail::At(offset) => {
                        starts[index] = offset;
                        first_file = index;
                        break;
                    }
                    Tail::Short(found) => wanted -= found,
                }
            }
        }
        let files = files
            .into_iter()
            .zip(starts)
            .skip(first_file)
            .map(|((file, length), start)| (file, start, length))
            .collect();
        Ok(Self {
            query,
            files,
            remaining: 0,
            current: None,
            buffer: vec![0_u8; 128 * 1024],
            filled: 0,
            done,
            kind: OutputKind::Stdout,
            batch: Vec::new(),
            ready: std::collections::VecDeque::new(),
        })
    }

    /// The next chunk, `None` at the end.
    fn next_chunk(&mut self) -> Option<std::io::Result<OutputChunk>> {
        loop {
            if let Some(chunk) = self.ready.pop_front() {
                return Some(Ok(chunk));
            }
            if self.done {
                return None;
            }
            if let Err(error) = self.step() {
                self.done = true;
                return Some(Err(error));
            }
        }
    }

    /// Reads one buffer's worth and decodes its whole entries.
    fn step(&mut self) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        if self.remaining == 0 || self.current.is_none() {
            let Some((mut file, start, length)) = self.files.pop_front() else {
                self.flush();
                self.done = true;
                return Ok(());
            };
            file.seek(SeekFrom::Start(start))?;
            self.remaining = length.saturating_sub(start);
            self.current = Some(file);
            // An unfinished entry at the end of a rotated file is not continued in the next.
            self.filled = 0;
            return Ok(());
        }
        let Some(file) = self.current.as_mut() else {
            return Ok(());
        };
        if self.filled == self.buffer.len() {
            // One entry longer than the buffer: let it grow.
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        let room = self.buffer.len() - self.filled;
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(room);
        let read = file.read(&mut self.buffer[self.filled..self.filled + want])?;
        if read == 0 {
            self.remaining = 0;
            return Ok(());
        }
        self.remaining -= read as u64;
        self.filled += read;
        let Some(last) = self.buffer[..self.filled]
            .iter()
            .rposition(|byte| *byte == b'\n')
        else {
            return Ok(());
        };
        let buffer = std::mem::take(&mut self.buffer);
        let mut stopped = false;
        for line in buffer[..last].split(|byte| *byte == b'\n') {
            if let Step::Stop = self.entry(line) {
                stopped = true;
                break;
            }
        }
        self.buffer = buffer;
        if stopped {
            self.flush();
            self.done = true;
            return Ok(());
        }
        self.buffer.copy_within(last + 1..self.filled, 0);
        self.filled -= last + 1;
        if self.batch.len() >= BATCH {
            self.flush();
        }
        Ok(())
    }

    fn entry(&mut self, line: &[u8]) -> Step {
        if line.is_empty() {
            return Step::Next;
        }
        let needs_time =
            self.query.timestamps || self.query.since.is_some() || self.query.until.is_some();
        let stamp = if needs_time {
            let Some(stamp) = field(line, b"\"time\":\"", true)
                .and_then(|raw| std::str::from_utf8(raw).ok())
                .and_then(Timestamp::parse)
            else {
                return Step::Next;
            };
            if self.query.since.is_some_and(|since| stamp < since) {
                return Step::Next;
            }
            if self.query.until.is_some_and(|until| stamp > until) {
                return Step::Stop;
            }
            Some(stamp)
        } else {
            None
        };
        let kind = match field(line, b"\"stream\":\"", false) {
            Some(b"stderr") => OutputKind::Stderr,
            _ => OutputKind::Stdout,
        };
        if kind != self.kind {
            self.flush();
            self.kind = kind;
        }
        if let Some(stamp) = stamp.filter(|_| self.query.timestamps) {
            use std::io::Write as _;
            let _ = write!(self.batch, "{stamp} ");
        }
        if let Some(start) = find(line, b"\"log\":\"") {
            decode_json_string(&line[start + 7..], &mut self.batch);
        }
        Step::Next
    }

    /// Makes the batch a chunk ready to be handed on.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let bytes = Bytes::from(std::mem::replace(
            &mut self.batch,
            Vec::with_capacity(2 * BATCH),
        ));
        self.ready.push_back(OutputChunk {
            kind: self.kind,
            bytes,
        });
    }
}

/// Whether to go on reading.
enum Step {
    Next,
    Stop,
}

/// Where a file's last entries start, or how many it holds when fewer than asked.
enum Tail {
    At(u64),
    Short(u64),
}

/// Where the last `tail` entries of a file of `length` bytes start: the daemon's `tail`. In the
/// `live` file a last entry still being written does not count.
fn tail_start(
    file: &mut std::fs::File,
    length: u64,
    tail: u64,
    live: bool,
) -> std::io::Result<Tail> {
    use std::io::{Read, Seek, SeekFrom};
    const BLOCK: u64 = 64 * 1024;
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut end = length;
    let mut newlines = 0_u64;
    let mut first = true;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let size = usize::try_from(end - start).unwrap_or(0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buffer[..size])?;
        let mut slice = &buffer[..size];
        if first {
            first = false;
            if live {
                // Skip up to the newline ending the last whole entry.
                while let Some((&byte, rest)) = slice.split_last() {
                    if byte == b'\n' {
                        break;
                    }
                    slice = rest;
                }
            }
            // The newline ending the last entry does not start one.
            if slice.last() == Some(&b'\n') {
                slice = &slice[..slice.len() - 1];
            }
        }
        for (index, byte) in slice.iter().enumerate().rev() {
            if *byte == b'\n' {
                newlines += 1;
                if newlines == tail {
                    return Ok(Tail::At(start + index as u64 + 1));
                }
            }
        }
        end = start;
    }
    // The file's first entry has no newline before it.
    if length > 0 {
        newlines += 1;
        if newlines == tail {
            return Ok(Tail::At(0));
        }
    }
    Ok(Tail::Short(newlines))
}

/// The raw text of the string value after `key` (its closing quote excluded, escapes kept),
/// searching from the end when `last`.
fn field<'a>(line: &'a [u8], key: &[u8], last: bool) -> Option<&'a [u8]> {
    let start = if last {
        line.windows(key.len()).rposition(|window| window == key)?
    } else {
        find(line, key)?
    } + key.len();
    let rest = &line[start..];
    let end = rest.iter().position(|byte| *byte == b'"')?;
    Some(&rest[..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Appends the JSON string starting at `text` (after its opening quote) to `out`, decoded,
/// up to its closing quote.
fn decode_json_string(text: &[u8], out: &mut Vec<u8>) {
    let mut index = 0;
    while index < text.len() {
        let run = text[index..]
            .iter()
            .position(|byte| *byte == b'"' || *byte == b'\\')
            .unwrap_or(text.len() - index);
        out.extend_from_slice(&text[index..index + run]);
        index += run;
        if index >= text.len() || text[index] == b'"' {
            return;
        }
        // A backslash.
        let Some(&escape) = text.get(index + 1) else {
            return;
        };
        index += 2;
        let byte = match escape {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'b' => 8,
            b'f' => 12,
            b'u' => {
                let unit = |at: usize| {
                    text.get(at..at + 4)
                        .and_then(|hex| std::str::from_utf8(hex).ok())
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                };
                let Some(high) = unit(index) else { return };
                index += 4;
                let mut code = high;
                if (0xD800..0xDC00).contains(&high)
                    && text.get(index..index + 2) == Some(b"\\u")
                    && let Some(low) = unit(index + 2).filter(|low| (0xDC00..0xE000).contains(low))
                {
                    code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    index += 6;
                }
                let character = char::from_u32(code).unwrap_or('\u{fffd}');
                let mut encoded = [0_u8; 4];
                out.extend_from_slice(character.encode_utf8(&mut encoded).as_bytes());
                continue;
            }
            other => other,
        };
        out.push(byte);
    }
}

/// Reads a `--since` or `--until` value as the Docker client does (`GetTimestamp`): a Go
/// duration before `now` (`42m`, `1h30m`; whole seconds), an RFC 3339 time or date with or
/// without zone (without one it is read in UTC, this machine's local zone being unknown to
/// berth), or Unix seconds with an optional fraction.
///
/// # Errors
/// The Docker client's message for a value it cannot read.
pub fn parse_moment(value: &str, now: Timestamp) -> std::result::Result<Timestamp, String> {
    if value != "0"
        && let Some(nanos) = parse_go_duration(value)
    {
        let moment = i128::from(now.seconds) * 1_000_000_000 + i128::from(now.nanos) - nanos;
        let seconds = i64::try_from(moment.div_euclid(1_000_000_000)).unwrap_or(0);
        return Ok(Timestamp { seconds, nanos: 0 });
    }
    let zoned = value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3;
    let date_time = parse_date_time(value, zoned);
    match date_time {
        Some(Ok(moment)) => Ok(moment),
        Some(Err(reason)) => Err(format!("parsing time {value:?}: {reason}")),
        None if value.contains('-') => Err(format!(
            "parsing time {value:?}: cannot parse {value:?} as a time"
        )),
        None => unix_seconds(value)
            .ok_or_else(|| format!("failed to parse value as time or duration: {value:?}")),
    }
}

/// `secs[.fraction]`, as the daemon reads it.
fn unix_seconds(value: &str) -> Option<Timestamp> {
    let (seconds, fraction) = value.split_once('.').unwrap_or((value, ""));
    let seconds: i64 = seconds.parse().ok()?;
    let mut nanos = 0_u32;
    if !fraction.is_empty() {
        if !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        for (index, byte) in fraction.bytes().enumerate() {
            if index < 9 {
                nanos = nanos * 10 + u32::from(byte - b'0');
            }
        }
        for _ in fraction.len()..9 {
            nanos *= 10;
        }
    }
    Some(Timestamp { seconds, nanos })
}

/// The date and time layouts `GetTimestamp` tries: `None` when `value` is not shaped like one,
/// an error naming the field out of range.
fn parse_date_time(value: &str, zoned: bool) -> Option<std::result::Result<Timestamp, String>> {
    let bytes = value.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = value.get(range)?;
        part.bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let mut rest = &value[10..];
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0_u32);
    if let Some(time) = rest.strip_prefix('T') {
        let digits = |text: &str| -> Option<i64> {
            text.get(..2)
                .filter(|part| part.bytes().all(|byte| byte.is_ascii_digit()))?
                .parse()
                .ok()
        };
        hour = digits(time)?;
        rest = &time[2..];
        if let Some(after) = rest.strip_prefix(':') {
            minute = digits(after)?;
            rest = &after[2..];
            if let Some(after) = rest.strip_prefix(':') {
                second = digits(after)?;
                rest = &after[2..];
                if let Some(fraction) = rest.strip_prefix('.') {
                    let length;
                    (nanos, length) = fraction_nanos(fraction);
                    rest = &fraction[length..];
                }
            }
        }
    }
    let offset = if zoned {
        match rest {
            "Z" | "z" => 0,
            _ => zone_offset(rest)?,
        }
    } else if rest.is_empty() {
        0
    } else {
        return None;
    };
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let reason = if !(1..=12).contains(&month) {
        "month out of range"
    } else if day < 1 || day > days_in_month {
        "day out of range"
    } else if hour > 23 {
        "hour out of range"
    } else if minute > 59 {
        "minute out of range"
    } else if second > 59 {
        "second out of range"
    } else {
        let days = days_from_civil(year, month, day);
        return Some(Ok(Timestamp {
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
            nanos,
        }));
    };
    Some(Err(reason.to_owned()))
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]` then one or more `<number><unit>` with
/// units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`; `0` alone is zero.
fn parse_go_duration(text: &str) -> Option<i128> {
    let (sign, mut rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let whole_length = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole: i128 = if whole_length > 0 {
            rest[..whole_length].parse().ok()?
        } else {
            0
        };
        rest = &rest[whole_length..];
        let mut fraction = "";
        if let Some(after) = rest.strip_prefix('.') {
            let length = after.bytes().take_while(u8::is_ascii_digit).count();
            fraction = &after[..length];
            rest = &after[length..];
        }
        if whole_length == 0 && fraction.is_empty() {
            return None;
        }
        let unit_length = rest
            .char_indices()
            .find(|(_, character)| *character == '.' || character.is_ascii_digit())
            .map_or(rest.len(), |(index, _)| index);
        let unit: i128 = match &rest[..unit_length] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_length..];
        let mut value = whole * unit;
        let mut scale = unit;
        for digit in fraction.bytes().take(18) {
            scale /= 10;
            value += i128::from(digit - b'0') * scale;
        }
        total += value;
    }
    Some(sign * total)
}

/// The chunk of one decoded frame; stdin echoes are dropped.
fn chunk_of(
    item: std::result::Result<LogOutput, bollard::errors::Error>,
    tty: bool,
) -> Result<Option<OutputChunk>> {
    let (kind, bytes) = match item? {
        LogOutput::StdOut { message } | LogOutput::Console { message } => {
            (OutputKind::Stdout, message)
        }
        LogOutput::StdErr { message } => (OutputKind::Stderr, message),
        LogOutput::StdIn { .. } => return Ok(None),
    };
    let kind = if tty { OutputKind::Stdout } else { kind };
    Ok(Some(OutputChunk { kind, bytes }))
}

/// The chunk without its leading timestamp, or `None` when it was logged before `since`. A chunk
/// without a readable timestamp is kept whole.
fn after(chunk: OutputChunk, since: Timestamp) -> Option<OutputChunk> {
    let Some(space) = chunk.bytes.iter().position(|byte| *byte == b' ') else {
        return Some(chunk);
    };
    let stamp = std::str::from_utf8(&chunk.bytes[..space])
        .ok()
        .and_then(Timestamp::parse);
    match stamp {
        Some(stamp) if stamp < since => None,
        Some(_) => Some(OutputChunk {
            kind: chunk.kind,
            bytes: chunk.bytes.slice(space + 1..),
        }),
        None => Some(chunk),
    }
}

fn container_event(message: bollard::models::EventMessage) -> Option<ContainerEvent> {
    let actor = message.actor?;
    let id = actor.id?;
    let attributes = actor.attributes.unwrap_or_default();
    let action = match message.action.as_deref()? {
        "create" => ContainerAction::Create,
        "start" => ContainerAction::Start,
        "restart" => ContainerAction::Restart,
        "die" => ContainerAction::Die {
            exit_code: attributes
                .get("exitCode")
                .and_then(|code| code.parse().ok())
                .unwrap_or(0),
        },
        other => ContainerAction::Other(other.to_owned()),
    };
    let name = attributes
        .get("name")
        .map(|name| name.trim_start_matches('/').to_owned())
        .unwrap_or_default();
    let time_nano = message
        .time_nano
        .or_else(|| message.time.map(|seconds| seconds * 1_000_000_000))
        .unwrap_or(0);
    Some(ContainerEvent {
        action,
        id,
        name,
        attributes,
        time_nano,
    })
}

/// The offset in seconds of a `+hh:mm` or `-hh:mm` zone.
fn zone_offset(zone: &str) -> Option<i64> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if zone.len() != 6 || zone.as_bytes()[3] != b':' {
        return None;
    }
    let hours: i64 = zone[1..3].parse().ok()?;
    let minutes: i64 = zone[4..6].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The nanoseconds of a decimal fraction's leading digits (digits past the ninth are dropped, as
/// Go's time parsing does) and how many digits there were.
fn fraction_nanos(fraction: &str) -> (u32, usize) {
    let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
    let mut nanos = 0_u32;
    for (index, byte) in fraction.bytes().take(length).enumerate() {
        if index < 9 {
            nanos = nanos * 10 + u32::from(byte - b'0');
        }
    }
    for _ in length..9 {
        nanos *= 10;
    }
    (nanos, length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_the_daemons_started_at_and_print_nine_digits() {
        let started = Timestamp::parse("2026-11-28T09:29:11.41166330Z").expect("valid");
        assert_eq!(started.nanos, 411_663_300);
        assert_eq!(started.to_string(), "2026-11-28T09:29:11.411663300Z");
        let zero = Timestamp::parse("0001-01-01T00:00:00Z").expect("valid");
        assert_eq!(zero.to_string(), "0001-01-01T00:00:00.000000000Z");
        assert_eq!(
            Timestamp::parse("1970-01-01T01:00:00+01:00"),
            Some(Timestamp {
                seconds: 0,
                nanos: 0
            })
        );
        assert_eq!(
            Timestamp::parse("2000-02-29T23:59:59.5-00:30")
                .expect("valid")
                .to_string(),
            "2000-03-01T00:29:59.500000000Z"
        );
        for bad in [
            "",
            "hello world",
            "2026-13-01T00:00:00Z",
            "2026-11-28T09:29:11.Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_the_system_clock() {
        let now = SystemTime::now();
        let stamp = Timestamp::from_system_time(now);
        assert_eq!(Timestamp::parse(&stamp.to_string()), Some(stamp));
        assert_eq!(
            Timestamp::from_nanos(1_795_858_151_040_638_623).to_string(),
            "2026-11-28T09:29:11.040638623Z"
        );
        assert_eq!(
            Timestamp::from_nanos(-1).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
        let before_epoch = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(
            Timestamp::from_system_time(before_epoch).to_string(),
            "1969-12-31T23:59:58.500000000Z"
        );
    }

    #[test]
    fn log_lines_before_the_start_are_dropped_and_stamps_stripped() {
        let since = Timestamp::parse("2026-11-28T09:29:11.411663308Z").expect("valid");
        let chunk = |text: &'static str| OutputChunk {
            kind: OutputKind::Stderr,
            bytes: Bytes::from_static(text.as_bytes()),
        };
        assert_eq!(
            after(chunk("2026-11-28T09:29:11.041006579Z run-1\n"), since),
            None
        );
        assert_eq!(
            after(chunk("2026-11-28T09:29:11.411663308Z run-2\n"), since),
            Some(chunk("run-2\n"))
        );
        assert_eq!(
            after(chunk("no stamp here\n"), since),
            Some(chunk("no stamp here\n"))
        );
    }

    #[test]
    fn json_strings_decode_every_escape() {
        let mut out = Vec::new();
        decode_json_string(
            br#"a\"b\\c\/\n\t\r\u003c\u00e9\ud83d\ude00\ufffd" ,"stream":"x""#,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\"b\\c/\n\t\r<\u{e9}\u{1f600}\u{fffd}"
        );
    }

    #[test]
    fn durations_and_moments_read_as_the_docker_client_does() {
        assert_eq!(parse_go_duration("42m"), Some(42 * 60_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("-5m"), Some(-300_000_000_000));
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        for bad in ["", "5", "m", "5x", "1.s5"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
        let now = Timestamp {
            seconds: 1_000_000,
            nanos: 500,
        };
        let moment = |text: &str| parse_moment(text, now);
        assert_eq!(
            moment("42m"),
            Ok(Timestamp {
                seconds: 1_000_000 - 2520,
                nanos: 0
            })
        );
        assert_eq!(
            moment("2013-01-02T13:23:37Z").unwrap().to_string(),
            "2013-01-02T13:23:37.000000000Z"
        );
        assert_eq!(
            moment("2013-01-02T13:23:37.25+01:00").unwrap().to_string(),
            "2013-01-02T12:23:37.250000000Z"
        );
        assert_eq!(
            moment("2013-01-02").unwrap().to_string(),
            "2013-01-02T00:00:00.000000000Z"
        );
        assert_eq!(
            moment("2013-01-02T13").unwrap().to_string(),
            "2013-01-02T13:00:00.000000000Z"
        );
        assert_eq!(
            moment("1700000000.5"),
            Ok(Timestamp {
                seconds: 1_700_000_000,
                nanos: 500_000_000
            })
        );
        assert_eq!(
            moment("0"),
            Ok(Timestamp {
                seconds: 0,
                nanos: 0
            })
        );
        assert_eq!(
            moment("foo"),
            Err("failed to parse value as time or duration: \"foo\"".to_owned())
        );
        assert_eq!(
            moment("2013-13-01"),
            Err("parsing time \"2013-13-01\": month out of range".to_owned())
        );
    }

    fn log_file(lines: &[(&str, &str, &str)], live: bool) -> (std::fs::File, u64) {
        use std::io::{Seek, Write};
        let mut text = String::new();
        for (log, stream, time) in lines {
            text.push_str(&format!(
                "{{\"log\":\"{log}\",\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n"
            ));
        }
        let path = std::env::temp_dir().join(format!(
            "berth-logs-unit-{}-{}",
            std::process::id(),
            text.len()
        ));
        let mut file = std::fs::File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
        if live {
            // A last entry still being written is left out.
            file.write_all(b"{\"log\":\"half").unwrap();
        }
        file.rewind().unwrap();
        let _ = std::fs::remove_file(&path);
        let length = file.metadata().unwrap().len();
        (file, length)
    }

    fn read_all(files: Vec<(std::fs::File, u64)>, query: LogsQuery) -> Vec<(OutputKind, String)> {
        let mut reader = JsonFileReader::new(files, query).unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = reader.next_chunk() {
            let chunk = chunk.unwrap();
            chunks.push((chunk.kind, String::from_utf8(chunk.bytes.to_vec()).unwrap()));
        }
        chunks
    }

    #[test]
    fn json_file_logs_read_across_rotated_files_with_tail_and_window() {
        let files = || {
            vec![
                log_file(
                    &[
                        ("1\\n", "stdout", "2026-01-01T00:00:01Z"),
                        ("2\\n", "stdout", "2026-01-01T00:00:02.5Z"),
                    ],
                    false,
                ),
                log_file(
                    &[
                        ("3\\n", "stderr", "2026-01-01T00:00:03Z"),
                        ("4\\n", "stdout", "2026-01-01T00:00:04Z"),
                    ],
                    true,
                ),
            ]
        };
        use OutputKind::{Stderr, Stdout};
        let all = read_all(files(), LogsQuery::default());
        assert_eq!(
            all,
            [
                (Stdout, "1\n2\n".to_owned()),
                (Stderr, "3\n".to_owned()),
                (Stdout, "4\n".to_owned())
            ]
        );
        let tail = |tail| {
            read_all(
                files(),
                LogsQuery {
                    tail: Some(tail),
                    ..LogsQuery::default()
                },
            )
        };
        assert_eq!(tail(0), []);
        assert_eq!(tail(1), [(Stdout, "4\n".to_owned())]);
        assert_eq!(tail(3)[0], (Stdout, "2\n".to_owned()));
        assert_eq!(tail(9), all);
        let window = read_all(
            files(),
            LogsQuery {
                since: Timestamp::parse("2026-01-01T00:00:02.5Z"),
                until: Timestamp::parse("2026-01-01T00:00:03Z"),
                timestamps: true,
                ..LogsQuery::default()
            },
        );
        assert_eq!(
            window,
            [
                (Stdout, "2026-01-01T00:00:02.500000000Z 2\n".to_owned()),
                (Stderr, "2026-01-01T00:00:03.000000000Z 3\n".to_owned())
            ]
        );
    }
}
