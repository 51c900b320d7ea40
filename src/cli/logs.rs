//! `berth logs`: the output of a project's containers, as `docker compose logs` prints it
//! (`cmd/compose/logs.go`, `pkg/compose/logs.go`): every container's lines on stdout (its stderr
//! too, as Compose does), prefixed `name  | ` and coloured per container.
//!
//! Differences from Compose, each deliberate:
//! - Prefixes are as wide as the longest selected name from the first line on, and colours go in
//!   name order; Compose sizes and colours them in whichever order the containers first print.
//! - A last line without a newline is printed (Compose drops it).
//! - `-f` follows a container through its restarts (Compose stops at the first: docker/compose
//!   #8925, #10331), from the end of its previous run rather than from the new `StartedAt`, which
//!   would lose the first lines the daemon stamps a little before it; a replica that starts later
//!   is shown from its first line whatever `--tail` says.
//! - `-f` ends once no selected container is running (or restarting) and none starts within
//!   1.5 s, as `docker logs -f` does; Compose waits forever when one was already stopped at the
//!   start, and ends too early when a restarted container looks stopped for a moment.
//!
//! Output is written a read at a time (up to 128 KiB of lines in one write), never a line at a
//! time; memory stays bounded by a few such batches per container.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::bail;
use berth_engine::logs::{
    ContainerAction, ContainerEvent, ContainerOutput, LogsQuery, OutputKind, Timestamp,
    parse_moment,
};
use berth_engine::models::ContainerInspectResponse;
use berth_engine::{Engine, EngineError, labels};
use clap::Args;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{OneOff, Target, daemon_error, list_containers, specified_container};
use crate::attach::{Printer, Style, no_color_env};

/// How long a container's exit waits for its last lines before its status line is printed.
const DRAIN: Duration = Duration::from_secs(2);
/// How long `-f` waits for a start once no container runs, before it ends.
const GRACE: Duration = Duration::from_millis(1500);
/// A line longer than this without a newline is printed in pieces, so memory stays bounded.
const MAX_LINE: usize = 1 << 20;

// Arguments of `berth logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output (`-f`, read as `--follow` after `logs`).
    #[arg(long)]
    pub follow: bool,
    /// Index of the container if service has multiple replicas.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub index: i64,
    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).
    #[arg(long, value_name = "STRING")]
    pub since: Option<String>,
    /// Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).
    #[arg(long, value_name = "STRING")]
    pub until: Option<String>,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Don't print prefix in logs.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Number of lines to show from the end of the logs for each container.
    #[arg(short = 'n', long, default_value = "all", allow_hyphen_values = true)]
    pub tail: String,
    /// Services whose logs to show.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// `-f` after `logs` is `--follow`, not the global `--file` (the subcommand's own flag wins, as
/// on Compose's command line). Rewrites it in `args`, from `index`, the first argument after
/// `logs`; clustered short flags (`-ft`) are split.
#[must_use]
pub fn follow_flags(
    mut args: Vec<std::ffi::OsString>,
    mut index: usize,
) -> Vec<std::ffi::OsString> {
    const VALUE_FLAGS: &[&str] = &["-n", "--tail", "--since", "--until", "--index"];
    while index < args.len() {
        let arg = args[index].to_string_lossy().into_owned();
        if arg == "--" {
            break;
        }
        if VALUE_FLAGS.contains(&arg.as_str()) {
            index += 2;
            continue;
        }
        if arg.starts_with('-') && !arg.starts_with("--") && arg.len() > 1 {
            let letters = &arg[1..];
            // Up to a value-taking `-n`, the letters are flags.
            let flags_end = letters.find('n').unwrap_or(letters.len());
            if letters[..flags_end].contains('f') {
                let rest: String = letters[..flags_end].chars().filter(|c| *c != 'f').collect();
                let rest = format!("{rest}{}", &letters[flags_end..]);
                args[index] = "--follow".into();
                if !rest.is_empty() {
                    args.insert(index + 1, format!("-{rest}").into());
                    index += 1;
                }
                if rest.ends_with('n') {
                    index += 1;
                }
            } else if letters.ends_with('n') {
                index += 1;
            }
        }
        index += 1;
    }
    args
}

/// One container whose logs are shown.
#[derive(Debug, Clone)]
struct Shown {
    id: String,
    /// As printed: `web-1`, or the whole name when `container_name` chose it.
    name: String,
}

/// Runs `berth logs`.
///
/// # Errors
/// Bad flags, an unknown service, loading or daemon errors.
pub fn run(cli: &Cli, args: &LogsArgs) -> anyhow::Result<i32> {
    if args.index > 0 && args.services.len() != 1 {
        bail!("--index requires one service to be selected");
    }
    let target = Target::resolve(cli, &args.services)?;
    let mut services = args.services.clone();
    if let Some(loaded) = &target.loaded {
        let project = &loaded.project;
        if let Some(unknown) = services
            .iter()
            .find(|service| !project.services.contains_key(*service))
        {
            bail!("no such service: {unknown}");
        }
        if services.is_empty() {
            // Services that ask not to be attached are shown only when named.
            services = project
                .services
                .iter()
                .filter(|(_, service)| service.attach != Some(false))
                .map(|(name, _)| name.clone())
                .collect();
            if services.is_empty() {
                return Ok(0);
            }
        }
    }
    let style = Style::resolve(
        &cli.ansi,
        args.no_color,
        no_color_env(),
        args.no_log_prefix,
        false,
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    let tail = match args.tail.parse::<i64>() {
        // The daemon reads anything but a count as "all".
        Ok(count) if count >= 0 => Some(count.unsigned_abs()),
        _ => None,
    };
    let direct = std::env::var_os("BERTH_LOGS_API").is_none();
    block_on(async {
        let engine = connect().await?;
        let started = Timestamp::now();
        let containers = if args.index > 0 {
            let index = u32::try_from(args.index).unwrap_or(u32::MAX);
            let container =
                specified_container(&engine, &target.name, &services[0], index, true).await?;
            vec![container]
        } else {
            list_containers(&engine, &target.name, OneOff::Exclude, true, &services).await?
        };
        let mut shown: Vec<Shown> = containers
            .iter()
            .filter(|container| !container.is_one_off())
            .filter(|container| {
                services.is_empty() || services.iter().any(|s| s == container.service())
            })
            .map(|container| Shown {
                id: container.summary.id.clone().unwrap_or_default(),
                name: printed_name(
                    &target.name,
                    container.service(),
                    container.label(labels::CONTAINER_NUMBER),
                    container.name(),
                ),
            })
            .collect();
        if shown.is_empty() {
            return Ok(0);
        }
        shown.sort_by(|a, b| a.name.cmp(&b.name));
        // The Docker client reads these only when it asks for logs, so only then are they wrong.
        let moment = |flag: &str, value: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
            value
                .as_deref()
                .filter(|value| !value.is_empty())
                .map(|value| parse_moment(value, Timestamp::now()))
                .transpose()
                .map_err(|reason| anyhow::anyhow!("invalid value for {flag:?}: {reason}"))
        };
        let query = LogsQuery {
            follow: args.follow,
            tail,
            since: moment("since", &args.since)?,
            until: moment("until", &args.until)?,
            timestamps: args.timestamps,
            direct,
        };
        let mut printer = Printer::new(
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
            style,
        );
        let names: Vec<String> = shown.iter().map(|shown| shown.name.clone()).collect();
        printer.register(&names);
        let printer = Arc::new(Mutex::new(printer));
        if args.follow {
            let selected: HashSet<String> = services.iter().cloned().collect();
            let mut follow = Follow::new(engine, target.name.clone(), selected, query, printer);
            follow.listed_only = args.index > 0;
            return follow.run(shown, started).await;
        }
        show(&engine, &shown, &query, &printer).await
    })
}

/// Prints every container's logs, all at once, and waits for the last line.
async fn show(
    engine: &Engine,
    shown: &[Shown],
    query: &LogsQuery,
    printer: &Arc<Mutex<Printer>>,
) -> anyhow::Result<i32> {
    let inspected =
        futures_util::future::join_all(shown.iter().map(|s| engine.inspect_container(&s.id))).await;
    let mut readers = Vec::new();
    for (shown, inspect) in shown.iter().zip(inspected) {
        let inspect = match inspect {
            Ok(inspect) => inspect,
            // Removed in the meantime: nothing to show.
            Err(error) if error.is_not_found() => continue,
            Err(error) => return Err(daemon_error(error)),
        };
        let stream = engine.container_logs(&inspect, query);
        readers.push(tokio::spawn(print_output(
            Arc::clone(printer),
            shown.name.clone(),
            stream,
        )));
    }
    let mut outcome = Ok(0);
    for reader in readers {
        match reader.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                if outcome.is_ok() {
                    outcome = Err(error);
                }
            }
            Err(join) => outcome = Err(anyhow::anyhow!("reading logs: {join}")),
        }
    }
    match outcome {
        Err(error) if is_broken_pipe(&error) => Ok(0),
        other => other,
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe)
}

fn lock(printer: &Mutex<Printer>) -> MutexGuard<'_, Printer> {
    printer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Prints one container's output as whole lines until it ends; an unfinished last line is
/// printed too. A logging driver that cannot be read is a warning, as in Compose.
async fn print_output(
    printer: Arc<Mutex<Printer>>,
    name: String,
    mut stream: ContainerOutput,
) -> anyhow::Result<()> {
    let mut stdout = Lines::default();
    let mut stderr = Lines::default();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(EngineError::Daemon {
                status: 501,
                message,
            }) => {
                crate::diagnostic::print_warnings(&[format!(
                    "Can't retrieve logs for {name:?}: {message}"
                )]);
                return Ok(());
            }
            Err(error) => return Err(daemon_error(error)),
        };
        let lines = match chunk.kind {
            OutputKind::Stdout => &mut stdout,
            OutputKind::Stderr => &mut stderr,
        };
        lines.push(&chunk.bytes, |whole| {
            lock(&printer).stdout_lines(&name, whole)
        })?;
    }
    for lines in [&mut stdout, &mut stderr] {
        lines.finish(|whole| lock(&printer).stdout_lines(&name, whole))?;
    }
    Ok(())
}

/// Cuts a stream's chunks into whole lines, handing them on in one piece per chunk; only an
/// unfinished line is copied.
#[derive(Debug, Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(
        &mut self,
        mut bytes: &[u8],
        mut print: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let Some(end) = bytes.iter().position(|byte| *byte == b'\n') else {
                self.pending.extend_from_slice(bytes);
                if self.pending.len() > MAX_LINE {
                    self.pending.push(b'\n');
                    print(&self.pending)?;
                    self.pending.clear();
                }
                return Ok(());
            };
            self.pending.extend_from_slice(&bytes[..=end]);
            print(&self.pending)?;
            self.pending.clear();
            bytes = &bytes[end + 1..];
        }
        match bytes.iter().rposition(|byte| *byte == b'\n') {
            Some(last) => {
                print(&bytes[..=last])?;
                self.pending.extend_from_slice(&bytes[last + 1..]);
            }
            None => self.pending.extend_from_slice(bytes),
        }
        if self.pending.len() > MAX_LINE {
            self.pending.push(b'\n');
            print(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    fn finish(
        &mut self,
        mut print: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending.push(b'\n');
        let printed = print(&self.pending);
        self.pending.clear();
        printed
    }
}

/// The name Compose prints: without `<project>-` when the container has its default name
/// `<project>-<service>-<number>`, whole when `container_name` chose it.
fn printed_name(project: &str, service: &str, number: &str, full_name: &str) -> String {
    if full_name == format!("{project}-{service}-{number}") {
        full_name[project.len() + 1..].to_owned()
    } else {
        full_name.to_owned()
    }
}

/// Where a followed container's output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    /// Its current run is being read.
    Current,
    /// Its last run we know of ended then (`None`: it never ran); a start reads from there.
    After(Option<Timestamp>),
}

/// A container `-f` knows of.
struct Tracked {
    name: String,
    /// Running or restarting: `-f` goes on while any is.
    alive: bool,
    /// Events before this moment are about runs already read.
    floor: i64,
    cursor: Cursor,
    reader: Option<JoinHandle<anyhow::Result<()>>>,
}

/// `logs -f`: the logs so far, then every new line of the selected services' containers, through
/// restarts and new replicas, until none runs.
struct Follow {
    engine: Engine,
    project: String,
    /// Selected services; empty for all of them.
    services: HashSet<String>,
    /// `--index`: only the containers listed at the start, no new replica.
    listed_only: bool,
    query: LogsQuery,
    printer: Arc<Mutex<Printer>>,
    containers: HashMap<String, Tracked>,
}

impl Follow {
    fn new(
        engine: Engine,
        project: String,
        services: HashSet<String>,
        query: LogsQuery,
        printer: Arc<Mutex<Printer>>,
    ) -> Self {
        Self {
            engine,
            project,
            services,
            query,
            printer,
            containers: HashMap::new(),
            listed_only: false,
        }
    }

    async fn run(mut self, shown: Vec<Shown>, listed_after: Timestamp) -> anyhow::Result<i32> {
        // Events from just before the listing: nothing that happens after it is missed.
        let mut events = self.engine.container_events(&self.project, listed_after);
        let inspected = futures_util::future::join_all(
            shown.iter().map(|s| self.engine.inspect_container(&s.id)),
        )
        .await;
        for (shown, inspect) in shown.into_iter().zip(inspected) {
            let inspect = match inspect {
                Ok(inspect) => inspect,
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(daemon_error(error)),
            };
            let (alive, started_at, finished_at) = run_state(&inspect);
            let floor = if alive {
                started_at
            } else {
                // Just after the end of its last run.
                finished_at.map(|finished| finished + 1_000_000)
            }
            .map_or(0, |moment| moment.max(0));
            let stream = self.engine.container_logs(&inspect, &self.query);
            let reader = tokio::spawn(print_output(
                Arc::clone(&self.printer),
                shown.name.clone(),
                stream,
            ));
            self.containers.insert(
                shown.id,
                Tracked {
                    name: shown.name,
                    alive,
                    floor,
                    cursor: if alive {
                        Cursor::Current
                    } else {
                        Cursor::After(finished_at.map(Timestamp::from_nanos))
                    },
                    reader: Some(reader),
                },
            );
        }
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            // A container that `docker restart` stops may look stopped for a moment before it
            // starts again: once none runs, wait a little for a start before ending.
            let alive = self.containers.values().any(|tracked| tracked.alive);
            let event = tokio::select! {
                _ = &mut interrupted => return Ok(130),
                event = events.next() => event,
                () = tokio::time::sleep(GRACE), if !alive => break,
            };
            match event {
                Some(Ok(event)) => self.handle(event).await?,
                Some(Err(error)) => {
                    return Err(anyhow::Error::new(error).context("following the project's events"));
                }
                None => bail!("the daemon ended the event stream"),
            }
        }
        // Let the last lines out.
        let mut outcome = Ok(0);
        for tracked in self.containers.values_mut() {
            if let Some(reader) = tracked.reader.take()
                && let Ok(Ok(Err(error))) = tokio::time::timeout(DRAIN, reader).await
                && outcome.is_ok()
                && !is_broken_pipe(&error)
            {
                outcome = Err(error);
            }
        }
        outcome
    }

    async fn handle(&mut self, event: ContainerEvent) -> anyhow::Result<()> {
        if event.is_one_off()
            || (!self.services.is_empty() && !self.services.contains(event.service()))
            || (self.listed_only && !self.containers.contains_key(&event.id))
        {
            return Ok(());
        }
        if self
            .containers
            .get(&event.id)
            .is_some_and(|tracked| event.time_nano < tracked.floor)
        {
            return Ok(());
        }
        match event.action {
            ContainerAction::Start => self.started(&event).await,
            ContainerAction::Die { exit_code } => self.died(&event, exit_code).await,
            ContainerAction::Other(action) if action == "destroy" => {
                self.containers.remove(&event.id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn started(&mut self, event: &ContainerEvent) -> anyhow::Result<()> {
        if !self.containers.contains_key(&event.id) {
            // A new replica (or a service's first container): shown from its first line.
            let number = event
                .attributes
                .get(labels::CONTAINER_NUMBER)
                .map_or("", String::as_str);
            let name = printed_name(&self.project, event.service(), number, &event.name);
            lock(&self.printer).register(std::slice::from_ref(&name));
            self.containers.insert(
                event.id.clone(),
                Tracked {
                    name,
                    alive: true,
                    floor: 0,
                    cursor: Cursor::After(None),
                    reader: None,
                },
            );
        }
        let Some(tracked) = self.containers.get_mut(&event.id) else {
            return Ok(());
        };
        tracked.alive = true;
        let Cursor::After(previous_end) = tracked.cursor else {
            return Ok(());
        };
        let inspect = match self.engine.inspect_container(&event.id).await {
            Ok(inspect) => inspect,
            Err(error) if error.is_not_found() => return Ok(()),
            Err(error) => return Err(daemon_error(error)),
        };
        let since = match (previous_end, self.query.since) {
            (Some(end), Some(since)) => Some(end.max(since)),
            (end, since) => end.or(since),
        };
        let query = LogsQuery {
            // Everything of the new run, whatever `--tail` asked of the past.
            tail: None,
            since,
            direct: false,
            ..self.query.clone()
        };
        let stream = self.engine.container_logs(&inspect, &query);
        let reader = tokio::spawn(print_output(
            Arc::clone(&self.printer),
            tracked.name.clone(),
            stream,
        ));
        if let Some(previous) = tracked.reader.replace(reader) {
            // The previous run's stream ended with that run; never print a run twice.
            previous.abort();
        }
        tracked.cursor = Cursor::Current;
        Ok(())
    }

    async fn died(&mut self, event: &ContainerEvent, exit_code: i64) -> anyhow::Result<()> {
        let restarting = match self.engine.inspect_container(&event.id).await {
            Ok(inspect) => inspect.state.is_some_and(|state| {
                // A restart policy sets Restarting; `docker restart` leaves Running set
                // (moby/moby#45538).
                state.restarting == Some(true) || state.running == Some(true)
            }),
            Err(error) if error.is_not_found() => false,
            Err(error) => return Err(daemon_error(error)),
        };
        let Some(tracked) = self.containers.get_mut(&event.id) else {
            return Ok(());
        };
        if let Some(mut reader) = tracked.reader.take() {
            // The stream ends with the run; wait for it so the status comes last.
            match tokio::time::timeout(DRAIN, &mut reader).await {
                Err(_) => tracked.reader = Some(reader),
                Ok(Ok(Err(error))) if !is_broken_pipe(&error) => return Err(error),
                Ok(_) => {}
            }
        }
        tracked.cursor = Cursor::After(Some(Timestamp::from_nanos(event.time_nano)));
        tracked.alive = restarting;
        let status = if restarting {
            format!("exited with code {exit_code} (restarting)")
        } else {
            format!("exited with code {exit_code}")
        };
        lock(&self.printer).status(&tracked.name, &status);
        Ok(())
    }
}

/// Whether the inspected container is running (or restarting), and when its run started and
/// its last one finished, in nanoseconds (Go's zero time means never).
fn run_state(inspect: &ContainerInspectResponse) -> (bool, Option<i64>, Option<i64>) {
    let Some(state) = inspect.state.as_ref() else {
        return (false, None, None);
    };
    let alive = state.running == Some(true) || state.restarting == Some(true);
    let moment = |text: Option<&String>| {
        text.and_then(|text| Timestamp::parse(text))
            .filter(|moment| moment.seconds > 0)
            .map(nanos_of)
    };
    (
        alive,
        moment(state.started_at.as_ref()),
        moment(state.finished_at.as_ref()),
    )
}

fn nanos_of(moment: Timestamp) -> i64 {
    moment
        .seconds
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(moment.nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        list.iter().map(Into::into).collect()
    }

    #[test]
    fn dash_f_after_logs_is_follow() {
        assert_eq!(
            follow_flags(args(&["berth", "logs", "-f", "web"]), 2),
            args(&["berth", "logs", "--follow", "web"])
        );
        assert_eq!(
            follow_flags(args(&["berth", "logs", "-tf", "-n", "5"]), 2),
            args(&["berth", "logs", "--follow", "-t", "-n", "5"])
        );
        assert_eq!(
            follow_flags(args(&["berth", "logs", "-fn", "3", "-f"]), 2),
            args(&["berth", "logs", "--follow", "-n", "3", "--follow"])
        );
        assert_eq!(
            follow_flags(args(&["berth", "logs", "--since", "-f", "x"]), 2),
            args(&["berth", "logs", "--since", "-f", "x"])
        );
    }

    #[test]
    fn lines_are_whole_and_the_rest_waits() {
        let mut printed = Vec::new();
        let mut lines = Lines::default();
        let mut print = |whole: &[u8]| {
            printed.push(String::from_utf8_lossy(whole).into_owned());
            Ok(())
        };
        lines.push(b"a\nb\npar", &mut print).unwrap();
        lines.push(b"tial", &mut print).unwrap();
        lines.push(b"\nc\nend", &mut print).unwrap();
        lines.finish(&mut print).unwrap();
        assert_eq!(printed, ["a\nb\n", "partial\n", "c\n", "end\n"]);
    }
}
