//! `up` without `-d`: every service's output in one terminal, and the end of the run decided by
//! the containers' exits, as Docker Compose does it (`pkg/compose/attach.go`, `monitor.go`,
//! `up.go`, `printer.go`).
//!
//! [`attach`] prints `Attaching to a-1, b-1` and attaches to each container *before* the caller
//! starts them, so nothing they print is lost. It returns a [`Monitor`], whose background task
//! follows the project's container events:
//! - a container that dies prints `a-1 exited with code 3` (`… (restarting)` when its restart
//!   policy brings it back) once its output has been printed;
//! - a container that starts again, or a container of a monitored service that starts later, is
//!   followed through its logs from the end of its previous run (the time of its `die` event, or
//!   its `State.FinishedAt`); Compose cuts at the new `StartedAt`, which loses the first lines the
//!   daemon stamps a little before it;
//! - when every monitored container has exited, [`Monitor::next`] yields
//!   [`MonitorEvent::AllExited`];
//! - with `--abort-on-container-exit`, `--abort-on-container-failure` or `--exit-code-from`, the
//!   first qualifying exit prints `Aborting on container exit...` and yields
//!   [`MonitorEvent::Abort`]: the caller stops the project while the monitor keeps printing, until
//!   everything has exited. [`Monitor::exit_code`] then gives the code `up` returns.
//!
//! The caller owns Ctrl-C and stopping; [`Monitor::shutdown`] (or dropping the monitor) ends the
//! background work at any time.
//!
//! ```no_run
//! # async fn example(engine: berth_engine::Engine) -> anyhow::Result<()> {
//! use berth::attach::{AttachOptions, MonitorEvent, attach};
//! let containers = vec![("p-web-1".to_owned(), "web".to_owned())];
//! let mut monitor = attach(&engine, "p", containers, AttachOptions::default()).await?;
//! // … start the containers …
//! loop {
//!     match monitor.next().await? {
//!         MonitorEvent::Abort(_trigger) => { /* stop the project; output keeps coming */ }
//!         MonitorEvent::AllExited => break,
//!     }
//! }
//! let code = monitor.exit_code();
//! monitor.shutdown().await;
//! # let _ = code; Ok(()) }
//! ```
//!
//! Two deliberate differences from Compose: a re-followed container's stderr still goes to
//! stderr (Compose sends it to stdout), and one-off (`run`) containers are never picked up.

pub mod printer;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use berth_engine::logs::{ContainerAction, ContainerEvent, ContainerOutput, OutputKind, Timestamp};
use berth_engine::{Engine, EngineError, labels};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use printer::{LineSplitter, Printer, Style};

/// How long an exit waits for the container's last output before printing its status line.
const DRAIN: Duration = Duration::from_secs(2);

/// What ends the run when a container exits (`up`'s cascade flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnExit {
    /// Keep going until every container has exited (the default).
    #[default]
    Ignore,
    /// `--abort-on-container-exit`: the first exit aborts.
    Stop,
    /// `--abort-on-container-failure`: the first non-zero exit aborts.
    StopOnFailure,
}

/// Where attached output goes: the process's stdout and stderr, or writers a test reads back.
pub struct Output {
    /// Container stdout lines, `Attaching to`, status lines.
    pub stdout: Box<dyn Write + Send>,
    /// Container stderr lines, `Aborting on container exit...`.
    pub stderr: Box<dyn Write + Send>,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

/// Everything [`attach`] needs besides the containers.
#[derive(Debug, Default)]
pub struct AttachOptions {
    /// Colour, prefix and timestamps of each line; see [`Style::resolve`].
    pub style: Style,
    /// Colour `Aborting on container exit...`; see [`AttachOptions::error_color`].
    pub error_color: bool,
    /// The cascade flag.
    pub on_exit: OnExit,
    /// `--exit-code-from`: the service whose first exit code `up` returns. Implies
    /// [`OnExit::Stop`] unless [`OnExit::StopOnFailure`] is chosen, as in Compose.
    pub exit_code_from: Option<String>,
    /// Services monitored besides those of the containers given to [`attach`]: their exits
    /// count, and their containers that start later are followed.
    pub services: Vec<String>,
    /// Keep following the services after every container has exited (watch mode: a rebuild
    /// replaces a service's only container); [`MonitorEvent::AllExited`] never comes then.
    pub keep_following: bool,
    /// Replay the project's events from this moment rather than from the call (watch mode: the
    /// containers `up -d` started just before are followed from their first line).
    pub since: Option<Timestamp>,
    /// Where the output goes.
    pub output: Output,
}

/// True when `NO_COLOR` is set and not empty, which turns every colour off in Compose.
#[must_use]
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

impl AttachOptions {
    /// Whether `Aborting on container exit...` is coloured: Compose colours it even with
    /// `--ansi never` (verified), and only `NO_COLOR` (see [`no_color_env`]) turns it off.
    #[must_use]
    pub fn error_color(no_color_env: bool) -> bool {
        !no_color_env
    }
}

impl Style {
    /// The style `up` uses: colour unless `--no-color`, `--ansi never` (`ansi` is the resolved
    /// `--ansi`/`COMPOSE_ANSI` value), `NO_COLOR` ([`no_color_env`]) or, with `--ansi auto`, a
    /// stdout that is not a terminal.
    #[must_use]
    pub fn resolve(
        ansi: &str,
        no_color: bool,
        no_color_env: bool,
        no_log_prefix: bool,
        timestamps: bool,
        stdout_is_terminal: bool,
    ) -> Self {
        let ansi_allows = match ansi {
            "always" => true,
            "auto" => stdout_is_terminal,
            _ => false,
        };
        Self {
            color: ansi_allows && !no_color && !no_color_env,
            prefix: !no_log_prefix,
            timestamps,
        }
    }
}

/// The exit that triggered an abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The container's name as printed (`web-1`).
    pub container: String,
    /// Its service.
    pub service: String,
    /// Its exit code.
    pub exit_code: i64,
}

/// What the caller must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    /// An abort flag fired: stop the project. The monitor keeps printing until everything has
    /// exited, then yields [`MonitorEvent::AllExited`].
    Abort(Trigger),
    /// Every monitored container has exited; nothing more will come.
    AllExited,
}

/// The background following of an attached project; see the module documentation.
#[derive(Debug)]
pub struct Monitor {
    events: mpsc::UnboundedReceiver<anyhow::Result<MonitorEvent>>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
    finished: bool,
}

/// What the monitor's tasks share.
#[derive(Debug)]
struct Shared {
    printer: Mutex<Printer>,
    exit_code: Mutex<Option<i64>>,
}

impl Shared {
    fn printer(&self) -> MutexGuard<'_, Printer> {
        self.printer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Prints `Attaching to …` and attaches to `containers`, each `(container name or ID, service)`,
/// before the caller starts them; returns the [`Monitor`] that follows them from then on. Prints
/// nothing and monitors nothing when `containers` is empty.
///
/// # Errors
/// A container that cannot be inspected or attached to, named in the message.
pub async fn attach(
    engine: &Engine,
    project: &str,
    containers: Vec<(String, String)>,
    options: AttachOptions,
) -> anyhow::Result<Monitor> {
    // Events are replayed from here on, so the starts that follow this call cannot be missed.
    let now = Timestamp::now();
    let AttachOptions {
        style,
        error_color,
        on_exit,
        exit_code_from,
        services,
        keep_following,
        since,
        output,
    } = options;
    let since = since.unwrap_or(now);
    let shared = Arc::new(Shared {
        printer: Mutex::new(Printer::new(output.stdout, output.stderr, style)),
        exit_code: Mutex::new(None),
    });
    let cancel = CancellationToken::new();
    let (sender, receiver) = mpsc::unbounded_channel();

    let inspected = futures_util::future::try_join_all(containers.iter().map(
        |(container, service)| async move {
            let inspect = engine
                .inspect_container(container)
                .await
                .with_context(|| format!("inspecting container {container}"))?;
            anyhow::Ok(Followed::from_inspect(
                project, service, &inspect, container,
            ))
        },
    ))
    .await?;
    let mut sorted: Vec<&Followed> = inspected.iter().collect();
    sorted.sort_by(|left, right| left.name.cmp(&right.name));
    if !sorted.is_empty() {
        let names: Vec<String> = sorted
            .iter()
            .map(|followed| followed.name.clone())
            .collect();
        shared.printer().attaching(&names);
    }
    let streams = futures_util::future::try_join_all(inspected.iter().map(|followed| async move {
        engine
            .attach_output(&followed.id, followed.tty)
            .await
            .with_context(|| format!("attaching to container {}", followed.name))
    }))
    .await?;

    let mut watch = Watch {
        engine: engine.clone(),
        project: project.to_owned(),
        services: containers
            .iter()
            .map(|(_, service)| service.clone())
            .chain(services)
            .collect(),
        on_exit: match (on_exit, &exit_code_from) {
            (OnExit::Ignore, Some(_)) => OnExit::Stop,
            (on_exit, _) => on_exit,
        },
        exit_code_from,
        error_color,
        shared: Arc::clone(&shared),
        cancel: cancel.clone(),
        sender,
        monitored: HashSet::new(),
        attached: HashSet::new(),
        restarting: HashSet::new(),
        readers: HashMap::new(),
        run_ends: HashMap::new(),
        triggered: false,
        exit_code_from_seen: false,
        keep_following,
    };
    for (followed, stream) in inspected.into_iter().zip(streams) {
        watch.monitored.insert(followed.id.clone());
        watch.attached.insert(followed.id.clone());
        let reader = spawn_reader(
            Arc::clone(&shared),
            cancel.clone(),
            followed.name.clone(),
            stream,
        );
        watch.readers.insert(followed.id, reader);
    }
    let events = engine.container_events(project, since);
    let task = tokio::spawn(watch.run(events));
    Ok(Monitor {
        events: receiver,
        shared,
        cancel,
        task: Some(task),
        finished: false,
    })
}

impl Monitor {
    /// The next thing the caller must act on. Cancel-safe, so it can sit in a `select!` beside
    /// Ctrl-C. After [`MonitorEvent::AllExited`] it keeps yielding `AllExited`.
    ///
    /// # Errors
    /// The event stream broke, or a container could not be inspected: the monitor has stopped.
    pub async fn next(&mut self) -> anyhow::Result<MonitorEvent> {
        if self.finished {
            return Ok(MonitorEvent::AllExited);
        }
        match self.events.recv().await {
            Some(Ok(MonitorEvent::AllExited)) | None => {
                self.finished = true;
                Ok(MonitorEvent::AllExited)
            }
            Some(Err(error)) => {
                self.finished = true;
                Err(error)
            }
            Some(Ok(event)) => Ok(event),
        }
    }

    /// The code `up` returns, as Compose computes it: the exit code of the container that
    /// triggered the abort, replaced by the first exit code of the `--exit-code-from` service
    /// (143 when the abort's stop ended it with SIGTERM, as the daemon reports it). `None` when
    /// no abort flag is set or nothing has triggered yet; Compose's `up` exits 0 then.
    #[must_use]
    pub fn exit_code(&self) -> Option<i64> {
        *self
            .shared
            .exit_code
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops following (output stops, nothing more is yielded) and waits for the background
    /// tasks to end.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A container being followed: its ID, printed name and whether it has a TTY.
struct Followed {
    id: String,
    name: String,
    tty: bool,
}

impl Followed {
    fn from_inspect(
        project: &str,
        service: &str,
        inspect: &berth_engine::models::ContainerInspectResponse,
        fallback: &str,
    ) -> Self {
        let full_name = inspect
            .name
            .as_deref()
            .map_or(fallback, |name| name.trim_start_matches('/'));
        let number = inspect
            .config
            .as_ref()
            .and_then(|config| config.labels.as_ref())
            .and_then(|labels| labels.get(labels::CONTAINER_NUMBER))
            .map_or("", String::as_str);
        Self {
            id: inspect.id.clone().unwrap_or_else(|| fallback.to_owned()),
            name: printed_name(project, service, number, full_name),
            tty: inspect
                .config
                .as_ref()
                .and_then(|config| config.tty)
                .unwrap_or(false),
        }
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

/// Prints one container's output, line by line per stream, until the stream ends or the monitor
/// is cancelled. A stream that breaks ends quietly: the container's exit is reported by events.
fn spawn_reader(
    shared: Arc<Shared>,
    cancel: CancellationToken,
    name: String,
    stream: ContainerOutput,
) -> JoinHandle<()> {
    tokio::spawn(read(shared, cancel, name, stream))
}

/// The body of [`spawn_reader`].
async fn read(
    shared: Arc<Shared>,
    cancel: CancellationToken,
    name: String,
    mut stream: ContainerOutput,
) {
    let mut stdout = LineSplitter::default();
    let mut stderr = LineSplitter::default();
    loop {
        let chunk = tokio::select! {
            () = cancel.cancelled() => return,
            chunk = stream.next() => chunk,
        };
        let Some(Ok(chunk)) = chunk else { break };
        let (lines, is_stdout) = match chunk.kind {
            OutputKind::Stdout => (stdout.push(&chunk.bytes), true),
            OutputKind::Stderr => (stderr.push(&chunk.bytes), false),
        };
        print_lines(&shared, &name, &lines, is_stdout);
    }
    let rest_out: Vec<String> = stdout.finish().into_iter().collect();
    let rest_err: Vec<String> = stderr.finish().into_iter().collect();
    print_lines(&shared, &name, &rest_out, true);
    print_lines(&shared, &name, &rest_err, false);
}

fn print_lines(shared: &Shared, name: &str, lines: &[String], is_stdout: bool) {
    if lines.is_empty() {
        return;
    }
    let mut printer = shared.printer();
    for line in lines {
        if is_stdout {
            printer.stdout_line(name, line);
        } else {
            printer.stderr_line(name, line);
        }
    }
}

/// The monitor's background state: which containers count, which restart, who reads whom.
struct Watch {
    engine: Engine,
    project: String,
    services: HashSet<String>,
    on_exit: OnExit,
    exit_code_from: Option<String>,
    error_color: bool,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    sender: mpsc::UnboundedSender<anyhow::Result<MonitorEvent>>,
    /// Containers whose exit is awaited (Compose's `containers` set).
    monitored: HashSet<String>,
    /// Containers attached before their first start; their first start needs no log follower.
    attached: HashSet<String>,
    /// Containers that died but come back by their restart policy.
    restarting: HashSet<String>,
    /// When each container's last run we saw ended (its `die` event): a new run's logs start
    /// after it.
    run_ends: HashMap<String, Timestamp>,
    /// The task printing each container's current output stream.
    readers: HashMap<String, JoinHandle<()>>,
    triggered: bool,
    exit_code_from_seen: bool,
    keep_following: bool,
}

impl Watch {
    async fn run(mut self, mut events: berth_engine::logs::ContainerEvents) {
        let outcome = loop {
            if self.monitored.is_empty() && !self.keep_following {
                break Ok(());
            }
            let event = tokio::select! {
                () = self.cancel.cancelled() => break Ok(()),
                event = events.next() => event,
            };
            match event {
                Some(Ok(event)) => {
                    if let Err(error) = self.handle(event).await {
                        break Err(error);
                    }
                }
                Some(Err(error)) => {
                    break Err(anyhow::Error::new(error).context("following the project's events"));
                }
                None => break Err(anyhow::anyhow!("the daemon ended the event stream")),
            }
        };
        if self.cancel.is_cancelled() {
            for (_, reader) in self.readers.drain() {
                reader.abort();
            }
            return;
        }
        // Let the last lines out before saying it is over.
        for (_, reader) in self.readers.drain() {
            let _ = tokio::time::timeout(DRAIN, reader).await;
        }
        let _ = self.sender.send(outcome.map(|()| MonitorEvent::AllExited));
    }

    async fn handle(&mut self, event: ContainerEvent) -> anyhow::Result<()> {
        if event.is_one_off() || !self.services.contains(event.service()) {
            return Ok(());
        }
        match event.action {
            ContainerAction::Start => self.started(&event),
            ContainerAction::Die { exit_code } => self.died(&event, exit_code).await?,
            _ => {}
        }
        Ok(())
    }

    fn started(&mut self, event: &ContainerEvent) {
        self.monitored.insert(event.id.clone());
        let restarted = self.restarting.remove(&event.id);
        if self.attached.contains(&event.id) && !restarted {
            return;
        }
        let name = self.name_of(event);
        let engine = self.engine.clone();
        let shared = Arc::clone(&self.shared);
        let cancel = self.cancel.clone();
        let id = event.id.clone();
        let previous_end = self.run_ends.get(&id).copied();
        let follower = tokio::spawn(async move {
            let Some(stream) = follow(&engine, &id, previous_end).await else {
                return;
            };
            read(shared, cancel, name, stream).await;
        });
        if let Some(previous) = self.readers.insert(event.id.clone(), follower) {
            // The previous run's stream ended with that run; never print a run twice.
            previous.abort();
        }
    }

    async fn died(&mut self, event: &ContainerEvent, exit_code: i64) -> anyhow::Result<()> {
        let restarting = match self.engine.inspect_container(&event.id).await {
            Ok(inspect) => inspect.state.is_some_and(|state| {
                // A restart policy sets Restarting; `docker restart` leaves Running set
                // (moby/moby#45538).
                state.restarting == Some(true) || state.running == Some(true)
            }),
            Err(error) if error.is_not_found() => false,
            Err(error) => {
                return Err(anyhow::Error::new(error)
                    .context(format!("inspecting container {}", event.name)));
            }
        };
        if let Some(mut reader) = self.readers.remove(&event.id) {
            // The stream ends with the container; wait for it so the status comes last.
            if tokio::time::timeout(DRAIN, &mut reader).await.is_err() {
                self.readers.insert(event.id.clone(), reader);
            }
        }
        self.run_ends
            .insert(event.id.clone(), Timestamp::from_nanos(event.time_nano));
        let name = self.name_of(event);
        let status = if restarting {
            self.restarting.insert(event.id.clone());
            format!("exited with code {exit_code} (restarting)")
        } else {
            self.monitored.remove(&event.id);
            // A later start (`berth start`) must be followed, not assumed attached.
            self.attached.remove(&event.id);
            format!("exited with code {exit_code}")
        };
        self.shared.printer().status(&name, &status);
        self.judge_exit(&name, event.service(), exit_code);
        Ok(())
    }

    /// Compose's two exit listeners: the cascade, then `--exit-code-from`.
    fn judge_exit(&mut self, name: &str, service: &str, exit_code: i64) {
        let mut code = self
            .shared
            .exit_code
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let cascades = match self.on_exit {
            OnExit::Ignore => false,
            OnExit::Stop => true,
            OnExit::StopOnFailure => exit_code != 0,
        };
        if cascades && !self.triggered {
            self.triggered = true;
            *code = Some(exit_code);
            self.shared.printer().aborting(self.error_color);
            let _ = self.sender.send(Ok(MonitorEvent::Abort(Trigger {
                container: name.to_owned(),
                service: service.to_owned(),
                exit_code,
            })));
        }
        if self.exit_code_from.as_deref() == Some(service) && !self.exit_code_from_seen {
            self.exit_code_from_seen = true;
            *code = Some(exit_code);
        }
    }

    fn name_of(&self, event: &ContainerEvent) -> String {
        let number = event
            .attributes
            .get(labels::CONTAINER_NUMBER)
            .map_or("", String::as_str);
        printed_name(&self.project, event.service(), number, &event.name)
    }
}

/// The output of a container that has (re)started, from the end of its previous run on:
/// `previous_end` when its `die` was seen, else its `State.FinishedAt` (everything when it never
/// ran before). When its logging driver cannot be read, it is attached to instead: the first
/// lines may be lost, but the rest shows, as in Compose.
async fn follow(
    engine: &Engine,
    id: &str,
    previous_end: Option<Timestamp>,
) -> Option<ContainerOutput> {
    let inspect = engine.inspect_container(id).await.ok()?;
    let tty = inspect
        .config
        .as_ref()
        .and_then(|config| config.tty)
        .unwrap_or(false);
    let finished = inspect
        .state
        .as_ref()
        .and_then(|state| state.finished_at.as_deref())
        .and_then(Timestamp::parse)
        // Never finished: Go's zero time, year 1.
        .filter(|finished| finished.seconds > 0);
    let since = previous_end.or(finished);
    let mut logs = engine.follow_logs(id, tty, since).peekable();
    let unreadable = matches!(
        std::pin::Pin::new(&mut logs).peek().await,
        Some(Err(EngineError::Daemon { status: 501, .. }))
    );
    if unreadable {
        return engine.attach_output(id, tty).await.ok();
    }
    Some(Box::pin(logs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_on_only_when_every_switch_allows_it() {
        let colored = |ansi, no_color, no_color_env, terminal| {
            Style::resolve(ansi, no_color, no_color_env, false, false, terminal).color
        };
        assert!(colored("always", false, false, false));
        assert!(colored("auto", false, false, true));
        assert!(!colored("auto", false, false, false));
        assert!(!colored("never", false, false, true));
        assert!(!colored("always", true, false, true));
        assert!(!colored("always", false, true, true));
        let style = Style::resolve("never", false, false, true, true, true);
        assert!(!style.prefix && style.timestamps);
        assert!(AttachOptions::error_color(false));
        assert!(!AttachOptions::error_color(true));
    }

    #[test]
    fn printed_names_drop_the_project_only_from_default_names() {
        assert_eq!(printed_name("p", "web", "1", "p-web-1"), "web-1");
        assert_eq!(printed_name("p", "web", "1", "custom"), "custom");
        assert_eq!(printed_name("p", "web", "2", "p-web-1"), "p-web-1");
    }
}
