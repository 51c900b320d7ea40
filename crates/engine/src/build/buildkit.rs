//! BuildKit's progress as the daemon streams it from `POST /build?version=2`: each
//! `{"id":"moby.buildkit.trace","aux":"<base64>"}` line carries one protobuf
//! `moby.buildkit.v1.StatusResponse` (buildkit's `api/services/control/control.proto`), decoded here
//! by hand ([`decode_status`]: five message types, no dependency worth adding for them), and
//! [`PlainPrinter`] turns the decoded updates into the lines BuildKit's `--progress=plain` prints
//! (`#5 [2/3] COPY . /ctx`, `#5 0.153 output`, `#5 DONE 0.2s`, `#5 CACHED`, `#5 ERROR: …`).
//!
//! The printer writes each update as it arrives rather than on BuildKit's timer, so it does not
//! interleave `#N ...` markers by elapsed time; the lines themselves are BuildKit's.

use std::collections::HashMap;
use std::fmt::Write as _;

/// A `google.protobuf.Timestamp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: i32,
}

impl Timestamp {
    /// Seconds from `earlier` to `self`.
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "durations of a build are far below 2^52 seconds"
    )]
    pub fn seconds_since(self, earlier: Self) -> f64 {
        (self.seconds - earlier.seconds) as f64
            + f64::from(self.nanos - earlier.nanos) / 1_000_000_000.0
    }
}

/// `Vertex`: one step of the build graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vertex {
    /// Field 1: the step's digest, its identity across updates.
    pub digest: String,
    /// Field 2: digests of the steps it depends on.
    pub inputs: Vec<String>,
    /// Field 3: `[stage 2/3] RUN …`.
    pub name: String,
    /// Field 4: answered from the cache.
    pub cached: bool,
    /// Field 5.
    pub started: Option<Timestamp>,
    /// Field 6.
    pub completed: Option<Timestamp>,
    /// Field 7: why it failed, empty when it did not.
    pub error: String,
}

/// `VertexStatus`: progress of one task inside a step (a transfer, an export).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VertexStatus {
    /// Field 1: the task's name, e.g. `transferring context:`.
    pub id: String,
    /// Field 2: the step's digest.
    pub vertex: String,
    /// Field 3.
    pub name: String,
    /// Field 4: bytes (or units) done.
    pub current: i64,
    /// Field 5: bytes in all, 0 when unknown.
    pub total: i64,
    /// Field 6: when this update was made.
    pub timestamp: Option<Timestamp>,
    /// Field 7.
    pub started: Option<Timestamp>,
    /// Field 8.
    pub completed: Option<Timestamp>,
}

/// `VertexLog`: output of a step's process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VertexLog {
    /// Field 1: the step's digest.
    pub vertex: String,
    /// Field 2.
    pub timestamp: Option<Timestamp>,
    /// Field 3: 1 for standard output, 2 for standard error.
    pub stream: i64,
    /// Field 4: the bytes written.
    pub msg: Vec<u8>,
}

/// `StatusResponse`: one batch of updates. Its `warnings` (field 4) are skipped: Docker 20.10's
/// BuildKit sends none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusResponse {
    /// Field 1.
    pub vertexes: Vec<Vertex>,
    /// Field 2.
    pub statuses: Vec<VertexStatus>,
    /// Field 3.
    pub logs: Vec<VertexLog>,
}

/// A trace message that is not the protobuf it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed BuildKit trace: {0}")]
pub struct TraceError(&'static str);

/// One field of a protobuf message: its number and its value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Reads protobuf fields (wire types 0, 1, 2, 5) one after the other.
struct Fields<'a> {
    data: &'a [u8],
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, TraceError> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self
                .data
                .split_first()
                .ok_or(TraceError("truncated varint"))?;
            self.data = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(TraceError("varint too long"))
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], TraceError> {
        if length > self.data.len() {
            return Err(TraceError("truncated field"));
        }
        let (taken, rest) = self.data.split_at(length);
        self.data = rest;
        Ok(taken)
    }

    fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, TraceError> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let length = usize::try_from(self.varint()?)
                    .map_err(|_| TraceError("field length too large"))?;
                Value::Bytes(self.take(length)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            _ => return Err(TraceError("unsupported wire type")),
        };
        Ok(Some((key >> 3, value)))
    }
}

/// Calls `each` with every field of `data`.
fn for_each_field<'a>(
    data: &'a [u8],
    mut each: impl FnMut(u64, Value<'a>) -> Result<(), TraceError>,
) -> Result<(), TraceError> {
    let mut fields = Fields { data };
    while let Some((number, value)) = fields.next_field()? {
        each(number, value)?;
    }
    Ok(())
}

fn text(value: &Value<'_>) -> Result<String, TraceError> {
    match value {
        Value::Bytes(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
        _ => Err(TraceError("expected a string")),
    }
}

fn bytes(value: &Value<'_>) -> Result<Vec<u8>, TraceError> {
    match value {
        Value::Bytes(bytes) => Ok(bytes.to_vec()),
        _ => Err(TraceError("expected bytes")),
    }
}

/// An int64 or bool as protobuf encodes it (two's complement in a varint).
#[expect(
    clippy::cast_possible_wrap,
    reason = "protobuf's int64 is the varint's bits reinterpreted"
)]
fn int(value: &Value<'_>) -> Result<i64, TraceError> {
    match value {
        Value::Varint(number) => Ok(*number as i64),
        _ => Err(TraceError("expected an integer")),
    }
}

fn timestamp(value: &Value<'_>) -> Result<Option<Timestamp>, TraceError> {
    let Value::Bytes(data) = value else {
        return Err(TraceError("expected a timestamp"));
    };
    let mut stamp = Timestamp::default();
    for_each_field(data, |number, value| {
        match number {
            1 => stamp.seconds = int(&value)?,
            #[expect(
                clippy::cast_possible_truncation,
                reason = "protobuf's int32 is sent as a sign-extended varint"
            )]
            2 => stamp.nanos = int(&value)? as i32,
            _ => {}
        }
        Ok(())
    })?;
    Ok(Some(stamp))
}

fn vertex(data: &[u8]) -> Result<Vertex, TraceError> {
    let mut vertex = Vertex::default();
    for_each_field(data, |number, value| {
        match number {
            1 => vertex.digest = text(&value)?,
            2 => vertex.inputs.push(text(&value)?),
            3 => vertex.name = text(&value)?,
            4 => vertex.cached = int(&value)? != 0,
            5 => vertex.started = timestamp(&value)?,
            6 => vertex.completed = timestamp(&value)?,
            7 => vertex.error = text(&value)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(vertex)
}

fn vertex_status(data: &[u8]) -> Result<VertexStatus, TraceError> {
    let mut status = VertexStatus::default();
    for_each_field(data, |number, value| {
        match number {
            1 => status.id = text(&value)?,
            2 => status.vertex = text(&value)?,
            3 => status.name = text(&value)?,
            4 => status.current = int(&value)?,
            5 => status.total = int(&value)?,
            6 => status.timestamp = timestamp(&value)?,
            7 => status.started = timestamp(&value)?,
            8 => status.completed = timestamp(&value)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(status)
}

fn vertex_log(data: &[u8]) -> Result<VertexLog, TraceError> {
    let mut log = VertexLog::default();
    for_each_field(data, |number, value| {
        match number {
            1 => log.vertex = text(&value)?,
            2 => log.timestamp = timestamp(&value)?,
            3 => log.stream = int(&value)?,
            4 => log.msg = bytes(&value)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(log)
}

/// Decodes one `StatusResponse` (the protobuf bytes, after base64).
///
/// # Errors
/// Bytes that are not a well-formed message of this shape.
pub fn decode_status(data: &[u8]) -> Result<StatusResponse, TraceError> {
    let mut response = StatusResponse::default();
    for_each_field(data, |number, value| {
        let Value::Bytes(message) = value else {
            return match number {
                1..=3 => Err(TraceError("expected a message")),
                _ => Ok(()),
            };
        };
        match number {
            1 => response.vertexes.push(vertex(message)?),
            2 => response.statuses.push(vertex_status(message)?),
            3 => response.logs.push(vertex_log(message)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(response)
}

/// Decodes the `aux` text of a `moby.buildkit.trace` line (standard base64, padded).
///
/// # Errors
/// Bad base64 or a malformed message.
pub fn decode_trace(aux: &str) -> Result<StatusResponse, TraceError> {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(aux)
        .map_err(|_| TraceError("bad base64"))?;
    decode_status(&data)
}

/// What the printer knows of one step.
#[derive(Debug, Default)]
struct Step {
    /// `#N`: steps are numbered in the order they are first seen, from 1.
    index: usize,
    name: String,
    started: Option<Timestamp>,
    completed: Option<Timestamp>,
    cached: bool,
    error: String,
    /// The last log line had no newline yet: the next log continues it.
    partial_log: bool,
    /// Last printed `current` and time of each status, and whether its completion was printed.
    statuses: HashMap<String, (i64, Option<Timestamp>, bool)>,
    /// The completion line (`DONE`, `CACHED`, `ERROR`) has been printed.
    finished: bool,
}

impl Step {
    /// BuildKit's throttle: a status's first update and its completion are printed; in between,
    /// only a move of 5% of its total or an update 5 s after the last printed one.
    fn should_print(&mut self, status: &VertexStatus) -> bool {
        let printed = self.statuses.get(&status.id).copied();
        let print = match printed {
            None => true,
            Some((_, _, true)) => false,
            Some(_) if status.completed.is_some() => true,
            Some((current, at, false)) => {
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "a progress fraction compared with 5%"
                )]
                let moved = if status.total > 0 {
                    (status.current - current) as f64 / status.total as f64
                } else {
                    0.0
                };
                let waited = match (status.timestamp, at) {
                    (Some(now), Some(then)) => now.seconds_since(then),
                    _ => 0.0,
                };
                moved >= 0.05 || waited >= 5.0
            }
        };
        if print {
            self.statuses.insert(
                status.id.clone(),
                (status.current, status.timestamp, status.completed.is_some()),
            );
        }
        print
    }
}

/// Turns decoded updates into BuildKit's plain progress lines.
#[derive(Debug, Default)]
pub struct PlainPrinter {
    steps: HashMap<String, Step>,
    next_index: usize,
    /// The digest whose header was printed last; its lines need no new header.
    current: Option<String>,
    printed_any: bool,
}

impl PlainPrinter {
    /// A printer that has seen nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines `update` adds, each ending in a newline (blank lines separate steps, as
    /// BuildKit's do).
    pub fn lines(&mut self, update: &StatusResponse) -> String {
        let mut out = String::new();
        // Order of work: vertex changes first (a step that starts prints its header), then its
        // statuses and logs, then the completions the update brought.
        let mut completed_now = Vec::new();
        for vertex in &update.vertexes {
            let step = self.step(&vertex.digest);
            step.name.clone_from(&vertex.name);
            step.cached |= vertex.cached;
            if vertex.started.is_some() {
                step.started = vertex.started;
            }
            if !vertex.error.is_empty() {
                step.error.clone_from(&vertex.error);
            }
            if vertex.completed.is_some() && step.completed.is_none() {
                step.completed = vertex.completed;
                completed_now.push(vertex.digest.clone());
            } else if vertex.started.is_some() && vertex.completed.is_none() {
                self.header(&mut out, &vertex.digest);
            }
        }
        for status in &update.statuses {
            if !self.step(&status.vertex).should_print(status) {
                continue;
            }
            self.header(&mut out, &status.vertex);
            let index = self.steps[&status.vertex].index;
            let mut line = format!("#{index} {}", status.id);
            if status.total != 0 {
                let _ = write!(
                    line,
                    " {} / {}",
                    human_bytes(status.current),
                    human_bytes(status.total)
                );
            } else if status.current != 0 {
                let _ = write!(line, " {}", human_bytes(status.current));
            }
            let end = status.completed.or(status.timestamp);
            if let (Some(started), Some(end)) = (status.started, end) {
                let seconds = end.seconds_since(started);
                if seconds > 0.01 {
                    let _ = write!(line, " {seconds:.1}s");
                }
            }
            if status.completed.is_some() {
                line.push_str(" done");
            }
            out.push_str(&line);
            out.push('\n');
        }
        for log in &update.logs {
            self.header(&mut out, &log.vertex);
            let step = self
                .steps
                .get_mut(&log.vertex)
                .expect("header made the step");
            let text = String::from_utf8_lossy(&log.msg);
            let mut pieces = text.split('\n').peekable();
            let mut first = true;
            while let Some(piece) = pieces.next() {
                let last = pieces.peek().is_none();
                if last && piece.is_empty() {
                    break;
                }
                if first && step.partial_log {
                    out.push_str(piece);
                } else {
                    let since = match (log.timestamp, step.started) {
                        (Some(at), Some(started)) => at.seconds_since(started),
                        _ => 0.0,
                    };
                    // BuildKit's precision: 3 decimals under 10 s, 2 under 100 s, else 1.
                    let precision = if since < 10.0 {
                        3
                    } else if since < 100.0 {
                        2
                    } else {
                        1
                    };
                    let _ = write!(out, "#{} {since:.precision$} {piece}", step.index);
                }
                step.partial_log = last;
                if !last {
                    out.push('\n');
                }
                first = false;
            }
        }
        for digest in completed_now {
            self.finish(&mut out, &digest);
        }
        out
    }

    fn step(&mut self, digest: &str) -> &mut Step {
        if !self.steps.contains_key(digest) {
            self.next_index += 1;
            let step = Step {
                index: self.next_index,
                ..Step::default()
            };
            self.steps.insert(digest.to_owned(), step);
        }
        self.steps.get_mut(digest).expect("just inserted")
    }

    /// Prints `#N name` unless `digest`'s lines are the ones being printed already.
    fn header(&mut self, out: &mut String, digest: &str) {
        if self.current.as_deref() == Some(digest) {
            return;
        }
        if let Some(previous) = self.current.take()
            && let Some(step) = self.steps.get_mut(&previous)
        {
            if step.partial_log {
                out.push('\n');
                step.partial_log = false;
            }
            if !step.finished {
                let _ = writeln!(out, "#{} ...", step.index);
            }
        }
        if self.printed_any {
            out.push('\n');
        }
        self.printed_any = true;
        let step = self.step(digest);
        let _ = writeln!(out, "#{} {}", step.index, step.name);
        self.current = Some(digest.to_owned());
    }

    fn finish(&mut self, out: &mut String, digest: &str) {
        self.header(out, digest);
        let step = self.steps.get_mut(digest).expect("header made the step");
        if step.partial_log {
            out.push('\n');
            step.partial_log = false;
        }
        if !step.error.is_empty() {
            if step.error.ends_with("context canceled") {
                let _ = writeln!(out, "#{} CANCELED", step.index);
            } else {
                let _ = writeln!(out, "#{} ERROR: {}", step.index, step.error);
            }
        } else if step.cached {
            let _ = writeln!(out, "#{} CACHED", step.index);
        } else {
            let seconds = match (step.started, step.completed) {
                (Some(started), Some(completed)) => {
                    format!(" {:.1}s", completed.seconds_since(started))
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "#{} DONE{seconds}", step.index);
        }
        step.finished = true;
        self.current = None;
    }
}

/// Bytes as BuildKit prints them (`units.Bytes` with `%.2f`): whole bytes under 1 kB, else decimal
/// units with two decimals.
#[expect(
    clippy::cast_precision_loss,
    reason = "a progress figure, shown to two decimals"
)]
fn human_bytes(count: i64) -> String {
    if count.abs() < 1000 {
        return format!("{count}B");
    }
    let mut value = count as f64;
    let mut unit = 0;
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    while value.abs() >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoded traces of a captured `POST /build?version=2` answer, in order.
    fn traces(captured: &str) -> Vec<StatusResponse> {
        captured
            .lines()
            .filter_map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                (value["id"] == "moby.buildkit.trace")
                    .then(|| decode_trace(value["aux"].as_str().unwrap()).unwrap())
            })
            .collect()
    }

    fn printed(captured: &str) -> String {
        let mut printer = PlainPrinter::new();
        traces(captured)
            .iter()
            .map(|update| printer.lines(update))
            .collect()
    }

    /// Replaces the durations, which are the capture's, with `T`.
    fn without_times(text: &str) -> String {
        let seconds = regex::Regex::new(r"\b\d+\.\d+s?\b").unwrap();
        seconds.replace_all(text, "T").into_owned()
    }

    #[test]
    fn a_captured_trace_decodes_to_its_vertexes_logs_and_statuses() {
        let updates = traces(include_str!("testdata/trace-run.jsonl"));
        let names: Vec<&str> = updates
            .iter()
            .flat_map(|update| &update.vertexes)
            .filter(|vertex| vertex.completed.is_some())
            .map(|vertex| vertex.name.as_str())
            .collect();
        assert!(
            names.contains(&"[3/3] RUN echo one; echo two >&2"),
            "{names:?}"
        );
        let logs: Vec<(i64, String)> = updates
            .iter()
            .flat_map(|update| &update.logs)
            .map(|log| (log.stream, String::from_utf8_lossy(&log.msg).into_owned()))
            .collect();
        assert!(logs.contains(&(1, "one\n".to_owned())), "{logs:?}");
        assert!(logs.contains(&(2, "two\n".to_owned())), "{logs:?}");
        let statuses: Vec<&str> = updates
            .iter()
            .flat_map(|update| &update.statuses)
            .map(|status| status.id.as_str())
            .collect();
        assert!(statuses.contains(&"exporting layers"), "{statuses:?}");
        let run = updates
            .iter()
            .flat_map(|update| &update.vertexes)
            .find(|vertex| vertex.name.starts_with("[3/3]") && vertex.completed.is_some())
            .unwrap();
        assert_eq!(run.inputs.len(), 1);
        assert!(run.digest.starts_with("sha256:"));
        assert!(run.completed.unwrap() > run.started.unwrap());
    }

    #[test]
    fn a_run_prints_as_buildkits_plain_progress() {
        let text = without_times(&printed(include_str!("testdata/trace-run.jsonl")));
        assert!(
            text.contains("#6 [3/3] RUN echo one; echo two >&2\n#6 T one\n#6 T two\n#6 DONE T\n"),
            "{text}"
        );
        assert!(
            text.contains("#1 [internal] load remote build context\n#1 DONE T\n\n"),
            "{text}"
        );
        assert!(text.contains("#7 exporting to image\n"), "{text}");
        assert!(text.contains("#7 exporting layers T done\n"), "{text}");
        assert!(!text.contains("ERROR"), "{text}");
    }

    #[test]
    fn cached_steps_print_cached() {
        let text = without_times(&printed(include_str!("testdata/trace-cached.jsonl")));
        assert!(
            text.contains("[3/3] RUN echo one; echo two >&2\n#6 CACHED\n"),
            "{text}"
        );
        assert!(!text.contains("#6 T one"), "{text}");
    }

    #[test]
    fn a_failed_run_prints_its_output_and_error() {
        let text = without_times(&printed(include_str!("testdata/trace-failed-run.jsonl")));
        assert!(
            text.contains(
                "[4/4] RUN echo about to fail && exit 3\n#7 T about to fail\n#7 ERROR: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn partial_log_lines_are_continued() {
        let started = Timestamp {
            seconds: 10,
            nanos: 0,
        };
        let at = |nanos| Timestamp { seconds: 10, nanos };
        let vertex = Vertex {
            digest: "d".into(),
            name: "[1/1] RUN x".into(),
            started: Some(started),
            ..Vertex::default()
        };
        let log = |msg: &str, nanos| VertexLog {
            vertex: "d".into(),
            timestamp: Some(at(nanos)),
            stream: 1,
            msg: msg.as_bytes().to_vec(),
        };
        let mut printer = PlainPrinter::new();
        let mut text = printer.lines(&StatusResponse {
            vertexes: vec![vertex.clone()],
            ..StatusResponse::default()
        });
        text += &printer.lines(&StatusResponse {
            logs: vec![log("a\nb", 5_000_000), log("c\nd\n", 6_000_000)],
            ..StatusResponse::default()
        });
        text += &printer.lines(&StatusResponse {
            vertexes: vec![Vertex {
                completed: Some(Timestamp {
                    seconds: 11,
                    nanos: 0,
                }),
                ..vertex
            }],
            ..StatusResponse::default()
        });
        assert_eq!(
            text,
            "#1 [1/1] RUN x\n#1 0.005 a\n#1 0.005 bc\n#1 0.006 d\n#1 DONE 1.0s\n"
        );
    }

    #[test]
    fn status_updates_are_throttled_as_buildkits() {
        let at = |seconds| Timestamp { seconds, nanos: 0 };
        let status = |current, seconds, done: bool| VertexStatus {
            id: "sha256:layer".into(),
            vertex: "v".into(),
            current,
            total: 1000,
            timestamp: Some(at(seconds)),
            started: Some(at(0)),
            completed: done.then_some(at(seconds)),
            ..VertexStatus::default()
        };
        let mut printer = PlainPrinter::new();
        let updates = [
            status(10, 1, false),
            status(20, 1, false),
            status(70, 2, false),
            status(80, 7, false),
            status(1000, 8, true),
            status(1000, 9, true),
        ];
        let text: String = updates
            .into_iter()
            .map(|update| {
                printer.lines(&StatusResponse {
                    statuses: vec![update],
                    ..StatusResponse::default()
                })
            })
            .collect();
        assert_eq!(
            text,
            "#1 \n#1 sha256:layer 10B / 1.00kB 1.0s\n#1 sha256:layer 70B / 1.00kB 2.0s\n#1 sha256:layer 80B / 1.00kB 7.0s\n#1 sha256:layer 1.00kB / 1.00kB 8.0s done\n"
        );
    }

    #[test]
    fn truncated_messages_are_errors() {
        let data = [0x0a, 0x05, 0x0a, 0x01];
        assert!(decode_status(&data).is_err());
        assert!(decode_trace("not base64!").is_err());
        assert_eq!(decode_status(&[]).unwrap(), StatusResponse::default());
    }

    #[test]
    fn bytes_are_shown_in_decimal_units() {
        assert_eq!(human_bytes(200), "200B");
        assert_eq!(human_bytes(1_234_567), "1.23MB");
    }
}
