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
            let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if length == 0 {
                return None;
            }
            for (index, byte) in fraction.bytes().take(length).enumerate() {
                if index < 9 {
                    nanos = nanos * 10 + u32::from(byte - b'0');
                }
            }
            for _ in length..9 {
                nanos *= 10;
            }
            rest = &fraction[length..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                    return None;
                }
                let hours: i64 = rest[1..3].parse().ok()?;
                let minutes: i64 = rest[4..6].parse().ok()?;
                sign * (hours * 3600 + minutes * 60)
            }
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

/// The date of a day counted from 1970-01-01, inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
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
}
