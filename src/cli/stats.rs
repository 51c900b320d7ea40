//! `berth stats`: the resource usage of a project's containers, as `docker compose stats` (the
//! Docker CLI's `stats` on the project's label) prints it: CPU % from the daemon's two readings,
//! memory without the inactive page cache, network and block I/O in decimal units, PIDs.
//!
//! With `--no-stream` one table is printed. Without it the table is redrawn every half second
//! (cursor home, each line followed by an erase-line, then erase-below), following containers
//! that start (and, without `-a`, dropping those that die) through the event stream. The Docker
//! CLI 28.5.1 that Compose 2.40.3 embeds writes each frame's lines twice, the second copy with
//! the erase codes; berth writes the same bytes. Ctrl-C ends it with status 130.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::bail;
use berth_engine::Engine;
use berth_engine::containers::LabelFilter;
use berth_engine::models::ContainerStatsResponse;
use clap::Args;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::context::block_on;
use super::inspect::{bytes_size, human_size, project_name};
use super::table::{tabulate, truncate_id};
use super::target::daemon_error;
use super::{Cli, print_stdout};

// Arguments of `berth stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers (default shows just running).
    #[arg(short, long)]
    pub all: bool,
    /// Format output using a custom template: `table`, `table TEMPLATE`, `json` or `TEMPLATE`.
    #[arg(long, default_value = "")]
    pub format: String,
    /// Disable streaming stats and only pull the first result.
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// The service whose containers to show (default: all).
    #[arg(value_name = "SERVICE")]
    pub service: Vec<String>,
}

/// How long a container may go without a sample before its figures are blanked (`--`).
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long `--no-stream` waits for a container's one sample. The daemon answers only after its
/// second reading (up to two seconds), with the response headers; the CLI starts its two-second
/// clock once the headers are in, so in effect it waits for the answer. bollard's stream does not
/// tell headers from body, so berth allows the daemon's delay plus the CLI's two seconds, and
/// some slack for a loaded machine.
const FIRST_SAMPLE_TIMEOUT: Duration = Duration::from_secs(10);

/// One container's figures, as the Docker CLI's `StatsEntry` holds them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsEntry {
    /// The container as it was asked for (its full ID).
    pub container: String,
    /// Name with its leading `/`, as the daemon reports it.
    pub name: String,
    /// Full ID.
    pub id: String,
    /// CPU use, percent of one CPU times the CPUs.
    pub cpu_percentage: f64,
    /// Memory in use, without inactive file cache.
    pub memory: f64,
    /// Memory limit.
    pub memory_limit: f64,
    /// Memory use, percent of the limit.
    pub memory_percentage: f64,
    /// Bytes received, all networks.
    pub network_rx: f64,
    /// Bytes sent, all networks.
    pub network_tx: f64,
    /// Bytes read from block devices.
    pub block_read: f64,
    /// Bytes written to block devices.
    pub block_write: f64,
    /// Processes and threads.
    pub pids: u64,
    /// No sample came (in time): figures print as `--`.
    pub invalid: bool,
}

impl StatsEntry {
    /// An entry for `container` that has no figures yet.
    #[must_use]
    pub fn pending(container: &str) -> Self {
        Self {
            container: container.to_owned(),
            ..Self::default()
        }
    }

    /// The Docker CLI's `collect` on a Linux daemon's sample.
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "Go converts these counters to float64"
    )]
    pub fn from_sample(container: &str, sample: &ContainerStatsResponse) -> Self {
        let cpu = sample.cpu_stats.clone().unwrap_or_default();
        let previous = sample.precpu_stats.clone().unwrap_or_default();
        let total = |stats: &berth_engine::models::ContainerCpuStats| {
            stats
                .cpu_usage
                .as_ref()
                .and_then(|usage| usage.total_usage)
                .unwrap_or(0) as f64
        };
        let cpu_delta = total(&cpu) - total(&previous);
        let system_delta = cpu.system_cpu_usage.unwrap_or(0) as f64
            - previous.system_cpu_usage.unwrap_or(0) as f64;
        let mut online_cpus = f64::from(cpu.online_cpus.unwrap_or(0));
        if online_cpus == 0.0 {
            online_cpus = cpu
                .cpu_usage
                .as_ref()
                .and_then(|usage| usage.percpu_usage.as_ref())
                .map_or(0, Vec::len) as f64;
        }
        let cpu_percentage = if system_delta > 0.0 && cpu_delta > 0.0 {
            cpu_delta / system_delta * online_cpus * 100.0
        } else {
            0.0
        };
        let (mut block_read, mut block_write) = (0u64, 0u64);
        for entry in sample
            .blkio_stats
            .as_ref()
            .and_then(|blkio| blkio.io_service_bytes_recursive.as_ref())
            .into_iter()
            .flatten()
        {
            let value = entry.value.unwrap_or(0);
            match entry.op.as_deref().and_then(|op| op.bytes().next()) {
                Some(b'r' | b'R') => block_read += value,
                Some(b'w' | b'W') => block_write += value,
                _ => {}
            }
        }
        let memory_stats = sample.memory_stats.clone().unwrap_or_default();
        let usage = memory_stats.usage.unwrap_or(0);
        let counters = memory_stats.stats.unwrap_or_default();
        let memory = match counters.get("total_inactive_file") {
            // cgroup v1
            Some(inactive) if *inactive < usage => (usage - inactive) as f64,
            _ => {
                let inactive = counters.get("inactive_file").copied().unwrap_or(0);
                if inactive < usage {
                    (usage - inactive) as f64
                } else {
                    usage as f64
                }
            }
        };
        let memory_limit = memory_stats.limit.unwrap_or(0) as f64;
        let memory_percentage = if memory_limit == 0.0 {
            0.0
        } else {
            memory / memory_limit * 100.0
        };
        let (mut network_rx, mut network_tx) = (0.0, 0.0);
        for network in sample.networks.iter().flat_map(HashMap::values) {
            network_rx += network.rx_bytes.unwrap_or(0) as f64;
            network_tx += network.tx_bytes.unwrap_or(0) as f64;
        }
        Self {
            container: container.to_owned(),
            name: sample.name.clone().unwrap_or_default(),
            id: sample.id.clone().unwrap_or_default(),
            cpu_percentage,
            memory,
            memory_limit,
            memory_percentage,
            network_rx,
            network_tx,
            block_read: block_read as f64,
            block_write: block_write as f64,
            pids: sample
                .pids_stats
                .as_ref()
                .and_then(|pids| pids.current)
                .unwrap_or(0),
            invalid: false,
        }
    }

    /// `SetErrorAndReset`: figures zeroed and shown as `--`, name and ID kept.
    fn reset(&mut self) {
        *self = Self {
            container: std::mem::take(&mut self.container),
            name: std::mem::take(&mut self.name),
            id: std::mem::take(&mut self.id),
            invalid: true,
            ..Self::default()
        };
    }

    /// The value of a template field, as the CLI's `statsContext` renders it.
    fn field(&self, field: &str, trunc: bool) -> Option<String> {
        let percentage = |value: f64| format!("{value:.2}%");
        Some(match field {
            "Container" => self.container.clone(),
            "Name" => match self.name.get(1..) {
                Some(name) if !name.is_empty() => name.to_owned(),
                _ => "--".to_owned(),
            },
            "ID" if trunc => truncate_id(&self.id).to_owned(),
            "ID" => self.id.clone(),
            "CPUPerc" if self.invalid => "--".to_owned(),
            "CPUPerc" => percentage(self.cpu_percentage),
            "MemUsage" if self.invalid => "-- / --".to_owned(),
            "MemUsage" => format!(
                "{} / {}",
                bytes_size(self.memory),
                bytes_size(self.memory_limit)
            ),
            "MemPerc" if self.invalid => "--".to_owned(),
            "MemPerc" => percentage(self.memory_percentage),
            "NetIO" if self.invalid => "--".to_owned(),
            "NetIO" => format!(
                "{} / {}",
                human_size(self.network_rx, 3),
                human_size(self.network_tx, 3)
            ),
            "BlockIO" if self.invalid => "--".to_owned(),
            "BlockIO" => format!(
                "{} / {}",
                human_size(self.block_read, 3),
                human_size(self.block_write, 3)
            ),
            "PIDs" if self.invalid => "--".to_owned(),
            "PIDs" => self.pids.to_string(),
            _ => return None,
        })
    }

    /// `{{json .}}`: every field, keys sorted.
    fn json(&self, trunc: bool) -> Value {
        let mut object = Map::new();
        for field in [
            "BlockIO",
            "CPUPerc",
            "Container",
            "ID",
            "MemPerc",
            "MemUsage",
            "Name",
            "NetIO",
            "PIDs",
        ] {
            object.insert(
                field.to_owned(),
                Value::String(self.field(field, trunc).unwrap_or_default()),
            );
        }
        Value::Object(object)
    }
}

/// The column header of a field.
fn header(field: &str) -> &'static str {
    match field {
        "Container" => "CONTAINER",
        "Name" => "NAME",
        "ID" => "CONTAINER ID",
        "CPUPerc" => "CPU %",
        "MemUsage" => "MEM USAGE / LIMIT",
        "MemPerc" => "MEM %",
        "NetIO" => "NET I/O",
        "BlockIO" => "BLOCK I/O",
        "PIDs" => "PIDS",
        _ => "",
    }
}

/// The CLI's default table on a Linux daemon.
const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// A piece of a format template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(String),
    Json(Option<String>),
}

/// The part of Go's templates stats formats use: `{{.Field}}`, `{{json .}}`, `{{json .Field}}`.
fn parse_template(source: &str) -> anyhow::Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("template parsing error: template: :1: unclosed action");
        };
        let inner = after[..end].trim();
        let words: Vec<&str> = inner.split_whitespace().collect();
        let piece = match words.as_slice() {
            [field] if field.starts_with('.') && field.len() > 1 => {
                Piece::Field(field[1..].to_owned())
            }
            ["json", "."] => Piece::Json(None),
            ["json", field] if field.starts_with('.') => Piece::Json(Some(field[1..].to_owned())),
            _ => bail!("template parsing error: template: :1: unexpected \"{inner}\" in command"),
        };
        pieces.push(piece);
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

/// Renders `entries` in `format` as the CLI's formatter does: `table…` formats get a header row
/// and tabwriter columns (minimum width 10, padding 3), `json` is `{{json .}}`, anything else is
/// a bare template, one line per container.
///
/// # Errors
/// A template that does not parse or names an unknown field.
pub fn render(entries: &[StatsEntry], format: &str, trunc: bool) -> anyhow::Result<String> {
    let format = if format.is_empty() || format == "table" {
        DEFAULT_TABLE
    } else {
        format
    };
    let (is_table, body) = if let Some(rest) = format.strip_prefix("table") {
        (true, rest)
    } else if format == "json" {
        (false, "{{json .}}")
    } else {
        (false, format)
    };
    let body = body
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n");
    let template = parse_template(&body)?;
    let execute = |value: &dyn Fn(&Piece) -> anyhow::Result<String>| -> anyhow::Result<String> {
        let mut out = String::new();
        for piece in &template {
            out.push_str(&value(piece)?);
        }
        Ok(out)
    };
    let unknown = |field: &str| {
        anyhow::anyhow!(
            "template: :1: executing \"\" at <.{field}>: can't evaluate field {field} in type *container.statsContext"
        )
    };
    let mut text = String::new();
    if is_table {
        text.push_str(&execute(&|piece| {
            Ok(match piece {
                Piece::Text(text) => text.clone(),
                Piece::Field(field) => header(field).to_owned(),
                Piece::Json(_) => String::new(),
            })
        })?);
        text.push('\n');
    }
    for entry in entries {
        text.push_str(&execute(&|piece| match piece {
            Piece::Text(text) => Ok(text.clone()),
            Piece::Field(field) => entry.field(field, trunc).ok_or_else(|| unknown(field)),
            Piece::Json(None) => Ok(crate::output::json_compact(&entry.json(trunc))),
            Piece::Json(Some(field)) => {
                let value = entry.field(field, trunc).ok_or_else(|| unknown(field))?;
                Ok(crate::output::json_compact(&Value::String(value)))
            }
        })?);
        text.push('\n');
    }
    if !is_table {
        return Ok(text);
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    Ok(tabulate(&lines, 10, 3))
}

/// One live frame: cursor home, the table, then the CLI 28.5.1's second copy of every line with
/// an erase-line after it, and erase-below.
#[must_use]
pub fn live_frame(table: &str) -> String {
    let mut frame = format!("\u{1b}[H{table}");
    let lines: Vec<String> = frame.split('\n').map(str::to_owned).collect();
    for line in lines {
        frame.push_str(&line);
        frame.push_str(" \u{1b}[K\n");
    }
    frame.push_str("\u{1b}[J");
    frame
}

/// Runs `berth stats`.
///
/// # Errors
/// More than one service, a bad format, loading or daemon errors.
pub fn run(cli: &Cli, args: &StatsArgs) -> anyhow::Result<i32> {
    if args.service.len() > 1 {
        bail!("accepts at most 1 arg(s), received {}", args.service.len());
    }
    let project = project_name(cli)?;
    let mut filter = LabelFilter::new(berth_engine::labels::PROJECT, &project);
    if let Some(service) = args.service.first() {
        filter = filter.with(berth_engine::labels::SERVICE, service);
    }
    let trunc = !args.no_trunc;
    let format = if args.format.is_empty() {
        configured_format()
    } else {
        args.format.clone()
    };
    // A bad template fails before any request, as the CLI's formatter would on its first frame.
    render(&[], &format, trunc)?;
    block_on(async {
        let engine = Engine::open_default()?;
        if args.no_stream {
            let containers = engine
                .checked(engine.list_containers(&filter, args.all))
                .await
                .map_err(daemon_error)?;
            let samples = containers.iter().map(|container| {
                let id = container.id.clone().unwrap_or_default();
                let engine = engine.clone();
                async move { first_sample(&engine, &id).await }
            });
            let entries = futures_util::future::join_all(samples).await;
            print_stdout(&render(&entries, &format, trunc)?)?;
            return Ok(0);
        }
        follow(&engine, &filter, args.all, &format, trunc).await
    })
}

/// The Docker CLI's default stats format (`statsFormat` in `config.json`), else the table.
fn configured_format() -> String {
    let path = berth_engine::connect::docker_config_dir().join("config.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|config| config.get("statsFormat")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One sample of `container` (the daemon takes two readings first), or blank figures when none
/// comes within [`FIRST_SAMPLE_TIMEOUT`] or the request fails.
async fn first_sample(engine: &Engine, container: &str) -> StatsEntry {
    let mut samples = engine.stats(container, false);
    match tokio::time::timeout(FIRST_SAMPLE_TIMEOUT, samples.next()).await {
        Ok(Some(Ok(sample))) => StatsEntry::from_sample(container, &sample),
        _ => {
            let mut entry = StatsEntry::pending(container);
            entry.invalid = true;
            entry
        }
    }
}

/// The containers followed live, in the order they were added.
type Followed = Arc<Mutex<Vec<StatsEntry>>>;

/// Starts following `container` unless it already is: a task keeps its entry up to date from the
/// daemon's stream, blanking it when no sample comes for [`SAMPLE_TIMEOUT`] (the first one may take
/// [`FIRST_SAMPLE_TIMEOUT`]).
fn track(
    engine: &Engine,
    followed: &Followed,
    container: &str,
    tasks: &mut tokio::task::JoinSet<()>,
) -> Option<tokio::sync::oneshot::Receiver<()>> {
    {
        let mut list = followed.lock().ok()?;
        if list.iter().any(|entry| entry.container == container) {
            return None;
        }
        list.push(StatsEntry::pending(container));
    }
    let (first, first_seen) = tokio::sync::oneshot::channel();
    let engine = engine.clone();
    let followed = followed.clone();
    let container = container.to_owned();
    tasks.spawn(async move {
        let mut first = Some(first);
        let mut samples = engine.stats(&container, true);
        let mut ended = false;
        loop {
            let timeout = if first.is_some() {
                FIRST_SAMPLE_TIMEOUT
            } else {
                SAMPLE_TIMEOUT
            };
            let next = if ended {
                tokio::time::sleep(SAMPLE_TIMEOUT).await;
                None
            } else {
                tokio::time::timeout(timeout, samples.next()).await.ok()
            };
            let Ok(mut list) = followed.lock() else {
                return;
            };
            let Some(entry) = list.iter_mut().find(|entry| entry.container == container) else {
                return;
            };
            match next {
                Some(Some(Ok(sample))) => *entry = StatsEntry::from_sample(&container, &sample),
                Some(Some(Err(_))) => entry.invalid = true,
                Some(None) => {
                    entry.invalid = true;
                    ended = true;
                }
                None => entry.reset(),
            }
            drop(list);
            if let Some(first) = first.take() {
                let _ = first.send(());
            }
        }
    });
    Some(first_seen)
}

/// The live display: containers from the list and from start events, a frame every 500 ms.
async fn follow(
    engine: &Engine,
    filter: &LabelFilter,
    all: bool,
    format: &str,
    trunc: bool,
) -> anyhow::Result<i32> {
    let followed: Followed = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    let mut filters = HashMap::from([("label".to_owned(), filter.labels.clone())]);
    filters.insert("type".to_owned(), vec!["container".to_owned()]);
    // Subscribed before listing, so that no start in between is missed.
    let mut events = engine.events(filters, None, None);
    let containers = engine
        .checked(engine.list_containers(filter, all))
        .await
        .map_err(daemon_error)?;
    let mut firsts = Vec::new();
    for container in &containers {
        let id = container.id.clone().unwrap_or_default();
        firsts.extend(track(engine, &followed, &id, &mut tasks));
    }
    for first in firsts {
        let _ = first.await;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    ticker.tick().await;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let entries = followed.lock().map(|list| list.clone()).unwrap_or_default();
                print_stdout(&live_frame(&render(&entries, format, trunc)?))?;
            }
            event = events.next() => {
                let Some(event) = event else { continue };
                let event = event.map_err(daemon_error)?;
                match event.action.as_str() {
                    "start" => {
                        track(engine, &followed, &event.id, &mut tasks);
                    }
                    "create" if all => {
                        track(engine, &followed, &event.id, &mut tasks);
                    }
                    "die" if !all => {
                        if let Ok(mut list) = followed.lock() {
                            list.retain(|entry| entry.container != event.id);
                        }
                    }
                    _ => {}
                }
            }
            _ = &mut interrupted => {
                tasks.abort_all();
                let mut entries = followed.lock().map(|list| list.clone()).unwrap_or_default();
                for entry in &mut entries {
                    entry.invalid = true;
                }
                print_stdout(&live_frame(&render(&entries, format, trunc)?))?;
                eprintln!();
                return Ok(130);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample of a busybox container as Docker 20.10 (cgroup v2) sent it.
    fn sample() -> ContainerStatsResponse {
        serde_json::from_value(serde_json::json!({
            "name": "/p-web-1",
            "id": "2c0adf990279e5d0ccb81adff6192197d28d6da1c7b46945777ccb548d6e6f47",
            "cpu_stats": {
                "cpu_usage": {"total_usage": 2_100_000u64},
                "system_cpu_usage": 4_000_000_000u64,
                "online_cpus": 2
            },
            "precpu_stats": {
                "cpu_usage": {"total_usage": 1_000_000u64},
                "system_cpu_usage": 2_000_000_000u64,
                "online_cpus": 2
            },
            "memory_stats": {
                "usage": 1_000_000u64,
                "limit": 25_276_252_160u64,
                "stats": {"inactive_file": 283_200u64}
            },
            "blkio_stats": {"io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "read", "value": 4096},
                {"major": 8, "minor": 0, "op": "write", "value": 1_234_567}
            ]},
            "networks": {"eth0": {"rx_bytes": 726, "tx_bytes": 0}},
            "pids_stats": {"current": 2}
        }))
        .unwrap()
    }

    #[test]
    fn figures_follow_the_docker_cli_formulas() {
        let entry = StatsEntry::from_sample("2c0adf99", &sample());
        // (1.1 ms / 2 s) × 2 CPUs × 100
        assert!((entry.cpu_percentage - 0.11).abs() < 1e-9);
        assert!((entry.memory - 716_800.0).abs() < f64::EPSILON);
        assert_eq!(entry.pids, 2);
        assert_eq!(
            render(&[entry], "", true).unwrap(),
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O     BLOCK I/O        PIDS\n\
             2c0adf990279   p-web-1   0.11%     700KiB / 23.54GiB   0.00%     726B / 0B   4.1kB / 1.23MB   2\n"
        );
    }

    #[test]
    fn blank_entries_json_and_templates_match_the_cli() {
        let mut entry = StatsEntry::from_sample("2c0adf99", &sample());
        assert_eq!(
            render(std::slice::from_ref(&entry), "json", true).unwrap(),
            "{\"BlockIO\":\"4.1kB / 1.23MB\",\"CPUPerc\":\"0.11%\",\"Container\":\"2c0adf99\",\"ID\":\"2c0adf990279\",\"MemPerc\":\"0.00%\",\"MemUsage\":\"700KiB / 23.54GiB\",\"Name\":\"p-web-1\",\"NetIO\":\"726B / 0B\",\"PIDs\":\"2\"}\n"
        );
        assert_eq!(
            render(
                std::slice::from_ref(&entry),
                "{{.Name}} {{.MemPerc}}",
                false
            )
            .unwrap(),
            "p-web-1 0.00%\n"
        );
        assert_eq!(
            render(
                std::slice::from_ref(&entry),
                r"table {{.Name}}\t{{.PIDs}}",
                true
            )
            .unwrap(),
            "NAME      PIDS\np-web-1   2\n"
        );
        entry.reset();
        assert_eq!(
            render(&[entry], "", true).unwrap(),
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n\
             2c0adf990279   p-web-1   --        -- / --             --        --        --          --\n"
        );
        assert!(render(&[], "{{.Nope}} {{", true).is_err());
        assert_eq!(
            render(&[], "", true).unwrap(),
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n"
        );
    }

    #[test]
    fn live_frames_carry_the_clis_erase_codes() {
        assert_eq!(
            live_frame("A   B\n1   2\n"),
            "\u{1b}[HA   B\n1   2\n\u{1b}[HA   B \u{1b}[K\n1   2 \u{1b}[K\n \u{1b}[K\n\u{1b}[J"
        );
    }
}
