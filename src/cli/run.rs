//! `berth run`: a one-off container for a service, as `docker compose run` makes one.
//!
//! The service's dependencies come up first (as `up -d` brings them, their `depends_on`
//! conditions waited for) unless `--no-deps`; then the one-off container is created, named
//! `<project>-<service>-run-<12 hex>` and labelled `oneoff=True` with its slug, with the service's
//! restart policy and published ports dropped (`--service-ports` keeps them, `-p` publishes
//! others). Attached, it is an interactive session (a TTY when standard input and output are
//! terminals); the exit code is the container's.

use std::collections::HashMap;
use std::io::IsTerminal;

use anyhow::{Context as _, bail};
use berth_engine::WaitUntil;
use clap::Args;

use super::Cli;
use super::context::{Session, block_on};
use super::exec::{configured_detach_keys, resolve_env};
use super::target::{Target, daemon_error};
use crate::converge::container::{OneOff, hash_for_up};
use crate::converge::observed::Observed;
use crate::converge::reconcile::{self, Recreate, UpOptions};
use crate::interactive::{Wiring, run_session};
use crate::model::{Project, ServiceConfig};

// Arguments of `berth run`.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "the flags of `docker compose run`"
)]
pub struct RunArgs {
    /// Run the container in the background and print its ID.
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables.
    #[arg(short = 'e', long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Set environment variables from a file.
    #[arg(long = "env-from-file", value_name = "FILE")]
    pub env_from_file: Vec<String>,
    /// Add or override a label.
    #[arg(
        short = 'l',
        long = "label",
        alias = "labels",
        value_name = "KEY=VALUE"
    )]
    pub labels: Vec<String>,
    /// Automatically remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Disable pseudo-TTY allocation (default: auto-detected).
    #[arg(short = 'T', long = "no-TTY", alias = "no-tty")]
    pub no_tty: bool,
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Run as this user (name or uid).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Override the entrypoint of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Add Linux capabilities.
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities.
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// Bind mount a volume.
    #[arg(short = 'v', long = "volume", alias = "volumes")]
    pub volumes: Vec<String>,
    /// Publish a container's port(s) to the host (`-p` after `run`).
    #[arg(long = "publish")]
    pub publish: Vec<String>,
    /// Use the service's network aliases in the networks the container joins.
    #[arg(long)]
    pub use_aliases: bool,
    /// Run with the service's ports enabled and mapped to the host.
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Pull image before running ("always"|"missing"|"never").
    #[arg(long, default_value = "policy")]
    pub pull: String,
    /// Don't print progress (Compose's `-q`: the container's output and `-d`'s ID still print).
    #[arg(short, long)]
    pub quiet: bool,
    /// Suppress progress output from the build process.
    #[arg(long)]
    pub quiet_build: bool,
    /// Pull without printing progress information.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Build the image before starting the container.
    #[arg(long)]
    pub build: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS", value_parser = clap::builder::FalseyValueParser::new())]
    pub remove_orphans: bool,
    /// Keep STDIN open even if not attached (default: true).
    #[arg(short, long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub interactive: Option<bool>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long, hide = true, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub tty: Option<bool>,
    /// The service.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The command and its arguments (default: the service's).
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

impl RunArgs {
    /// Whether the container gets a TTY, as Compose decides, except that berth runs without one
    /// when standard input is not a terminal instead of failing ("the input device is not a TTY").
    fn tty(&self, stdin_is_terminal: bool, stdout_is_terminal: bool) -> anyhow::Result<bool> {
        let interactive = self.interactive.unwrap_or(true);
        let tty = if let Some(tty) = self.tty {
            if self.no_tty {
                bail!("--tty and --no-TTY can't be used together");
            }
            tty
        } else if !self.no_tty && self.interactive.is_none() && !stdin_is_terminal {
            false
        } else {
            !self.no_tty && stdout_is_terminal
        };
        Ok(tty && !(interactive && !self.detach && !stdin_is_terminal))
    }

    /// The project's service as this run changes it (Compose's `apply` and `applyRunOptions`).
    fn apply(
        &self,
        project: &Project,
        service: &ServiceConfig,
        tty: bool,
        environment: &HashMap<String, String>,
        current_dir: &std::path::Path,
    ) -> anyhow::Result<(ServiceConfig, OneOff)> {
        let mut service = service.clone();
        service.tty = tty;
        service.stdin_open = self.interactive.unwrap_or(true);
        if !self.service_ports {
            let mut ports = Vec::new();
            for spec in &self.publish {
                ports.extend(
                    crate::loader::normalize::parse_port_config(spec)
                        .map_err(|error| anyhow::anyhow!("{error}"))?,
                );
            }
            service.ports = decode_fragment(&service.name, "ports", ports)?.ports;
        }
        let mut volumes = Vec::new();
        for spec in &self.volumes {
            let mut volume = crate::loader::normalize::parse_volume(spec)
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            // A relative bind source is relative to where berth runs.
            if let Some(source) = volume.get("source").and_then(|source| source.as_str())
                && volume.get("type").and_then(|kind| kind.as_str()) == Some("bind")
                && (source.starts_with('.') || source.starts_with('~'))
            {
                let absolute = if let Some(rest) = source.strip_prefix('~') {
                    let home = std::env::var("HOME").unwrap_or_default();
                    format!("{home}{rest}")
                } else {
                    current_dir.join(source).display().to_string()
                };
                volume["source"] = serde_json::Value::String(absolute);
            }
            volumes.push(volume);
        }
        if !volumes.is_empty() {
            service
                .volumes
                .extend(decode_fragment(&service.name, "volumes", volumes)?.volumes);
        }
        if !self.command.is_empty() {
            service.command.0 = Some(self.command.clone());
        }
        if let Some(user) = &self.user {
            service.user.clone_from(user);
        }
        if !self.cap_add.is_empty() {
            service.cap_add.extend(self.cap_add.iter().cloned());
            service
                .cap_drop
                .retain(|capability| !self.cap_add.contains(capability));
        }
        if !self.cap_drop.is_empty() {
            service.cap_drop.extend(self.cap_drop.iter().cloned());
            service
                .cap_add
                .retain(|capability| !self.cap_drop.contains(capability));
        }
        if let Some(workdir) = &self.workdir {
            service.working_dir.clone_from(workdir);
        }
        if let Some(entrypoint) = &self.entrypoint {
            let words = shell_words::split(entrypoint)
                .with_context(|| format!("invalid --entrypoint {entrypoint:?}"))?;
            service.entrypoint.0 = Some(words);
            if self.command.is_empty() {
                service.command.0 = Some(Vec::new());
            }
        }
        for (key, value) in self.environment(environment)? {
            service.environment.0.insert(key, Some(value));
        }
        for label in &self.labels {
            let Some((key, value)) = label.split_once('=') else {
                bail!("label must be set as KEY=VALUE");
            };
            service.labels.0.insert(key.to_owned(), value.to_owned());
        }
        let slug = random_slug()?;
        service.container_name = match &self.name {
            Some(name) => name.clone(),
            None => format!("{}-{}-run-{}", project.name, service.name, &slug[..12]),
        };
        service.scale = Some(1);
        service.restart.clear();
        if let Some(deploy) = &mut service.deploy {
            deploy.restart_policy = None;
        }
        Ok((
            service,
            OneOff {
                slug,
                use_aliases: self.use_aliases,
            },
        ))
    }

    /// `-e` and `--env-from-file`, resolved against the project environment; `-e` wins.
    fn environment(
        &self,
        environment: &HashMap<String, String>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let mut values: indexmap::IndexMap<String, String> =
            resolve_env(&self.env, |key| environment.get(key).cloned())
                .into_iter()
                .filter_map(|entry| {
                    let (key, value) = entry.split_once('=')?;
                    Some((key.to_owned(), value.to_owned()))
                })
                .collect();
        for file in &self.env_from_file {
            let mut warnings = Vec::new();
            let parsed = crate::loader::env::read_dotenv_file(
                std::path::Path::new(file),
                &|key| values.get(key).cloned(),
                &mut warnings,
            )
            .map_err(|error| anyhow::anyhow!("{error}"))?;
            for (key, value) in parsed {
                values.entry(key).or_insert(value);
            }
        }
        Ok(values.into_iter().collect())
    }
}

/// A service attribute decoded from its long-syntax tree through the model's own decoder.
fn decode_fragment(
    service: &str,
    key: &str,
    items: Vec<serde_json::Value>,
) -> anyhow::Result<ServiceConfig> {
    let tree = serde_json::json!({ "services": { service: { key: items } } });
    let mut project =
        Project::from_tree(&tree).map_err(|error| anyhow::anyhow!("invalid {key}: {error}"))?;
    project
        .services
        .shift_remove(service)
        .context("decoding the run options")
}

/// 64 random hex digits, as Docker's `stringid.GenerateRandomID`.
fn random_slug() -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut bytes = [0_u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Resource keys with their engine names.
type Keyed = Vec<(String, String)>;

/// Networks and volumes the selected services use (Compose drops the others for a run).
fn used_resources(project: &Project, selected: &[String]) -> (Keyed, Keyed) {
    let services: Vec<&ServiceConfig> = selected
        .iter()
        .filter_map(|name| project.services.get(name))
        .collect();
    let networks = project
        .networks
        .iter()
        .filter(|(key, network)| {
            !network.external
                && services
                    .iter()
                    .any(|service| service.networks.contains_key(key.as_str()))
        })
        .map(|(key, network)| (key.clone(), network.name.clone()))
        .collect();
    let volumes = project
        .volumes
        .iter()
        .filter(|(key, volume)| {
            !volume.external
                && services.iter().any(|service| {
                    service
                        .volumes
                        .iter()
                        .any(|mount| mount.volume_type == "volume" && mount.source == **key)
                })
        })
        .map(|(key, volume)| (key.clone(), volume.name.clone()))
        .collect();
    (networks, volumes)
}

/// Runs `berth run`; the exit code is the container's.
///
/// # Errors
/// Loading, flag or daemon errors.
pub fn run(cli: &Cli, args: &RunArgs) -> anyhow::Result<i32> {
    if !args.publish.is_empty() && args.service_ports {
        bail!("--service-ports and --publish are incompatible");
    }
    let tty = args.tty(
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    )?;
    let target = Target::load(cli, std::slice::from_ref(&args.service))?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    let project = &loaded.project;
    let Some(service) = project.services.get(&args.service) else {
        bail!("no such service: {}", args.service);
    };
    let environment: HashMap<String, String> = loaded
        .environment
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let (one_off_service, one_off) = args.apply(
        project,
        service,
        tty,
        &environment,
        &std::env::current_dir()?,
    )?;
    let separator = if cli.compatibility { '_' } else { '-' };
    block_on(async {
        let session = Session::open(cli).await?;
        let options = UpOptions {
            services: vec![args.service.clone()],
            recreate: Recreate::Diverged,
            recreate_dependencies: Recreate::Diverged,
            no_deps: args.no_deps,
            remove_orphans: args.remove_orphans,
            project: project.name.clone(),
            separator,
            one_off: Some(args.service.clone()),
            ..UpOptions::default()
        };
        let selected = reconcile::selection(project, &options);
        let image_policy = super::up::ImagePolicy {
            pull: args.pull.clone(),
            quiet_pull: args.quiet_pull,
            build: if args.build {
                super::up::BuildPolicy::Force
            } else {
                super::up::BuildPolicy::Missing
            },
            build_options: super::build::BuildOptions {
                quiet: args.quiet_build || args.quiet,
                parallel: cli.parallel_limit(),
                ..super::build::BuildOptions::default()
            },
        };
        let (image_ids, observed) = tokio::join!(
            super::up::ensure_images(&session, loaded, &selected, &image_policy),
            Observed::collect(&session.engine, &project.name),
        );
        let image_ids = image_ids?;
        let observed = observed.context("listing the project's resources")?;
        super::up::check_external(&session.engine, project).await?;
        if !args.remove_orphans {
            session.warn_orphans(&target, &observed);
        }
        let (networks, volumes) = used_resources(project, &selected);
        let up = super::up::plan_pass(
            loaded,
            &observed,
            (&networks, &volumes),
            &image_ids,
            &options,
            (cli.compatibility, false),
        )?;
        let outcome = super::up::execute_up(&session, &up).await;
        session.progress.finish();
        session.report(&up.plan, &outcome)?;
        if outcome.cancelled {
            return Ok(130);
        }

        // The one-off container, with `service:` references resolved against what now runs.
        let observed = Observed::collect(&session.engine, &project.name).await?;
        let specs = super::specs::ProjectSpecs::new(
            loaded,
            &image_ids,
            &observed,
            cli.compatibility,
            false,
        );
        let first: HashMap<String, String> = project
            .services
            .keys()
            .filter_map(|name| {
                let container = observed.service_containers(name).next()?;
                Some((name.clone(), container.id().to_owned()))
            })
            .collect();
        let hash = hash_for_up(&one_off_service, &first);
        let mut spec = specs.one_off(&one_off_service, &hash, one_off)?;
        let stdin = args.interactive.unwrap_or(true);
        spec.body.attach_stdin = Some(stdin);
        spec.body.stdin_once = Some(stdin && one_off_service.stdin_open);
        if let Some(host) = spec.body.host_config.as_mut() {
            host.auto_remove = Some(args.rm);
        }
        let id = session
            .engine
            .create_container(&spec)
            .await
            .map_err(daemon_error)?;
        if args.detach {
            session
                .engine
                .start_container(&id)
                .await
                .map_err(daemon_error)?;
            // Compose prints the ID even with `-q`, which silences only its progress.
            super::print_stdout(&format!("{id}\n"))?;
            return Ok(0);
        }
        attach_and_start(&session, &id, tty, stdin, args.rm).await
    })
}

/// Attaches to the created container, starts it, runs the session and returns its exit code.
async fn attach_and_start(
    session: &Session,
    id: &str,
    tty: bool,
    stdin: bool,
    auto_remove: bool,
) -> anyhow::Result<i32> {
    let engine = &session.engine;
    // Signals are the container's from here on (Compose forwards them all): Ctrl-C must not
    // end berth while the container runs.
    session
        .exit_on_force
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let until = if auto_remove {
        WaitUntil::Removed
    } else {
        WaitUntil::NextExit
    };
    let exited = engine.wait_exit(id, until).await.map_err(daemon_error)?;
    let stream = engine
        .attach_streams(id, stdin, false, &configured_detach_keys())
        .await
        .map_err(daemon_error)?;
    engine.start_container(id).await.map_err(daemon_error)?;
    // Compose forwards every signal to a one-off container, with or without a terminal.
    container_session(engine, id, stream, Wiring { tty, stdin }, true, exited).await
}

/// Runs a session with a container's main process (`run`, `attach`): its terminal follows the
/// local window, signals are forwarded when `sig_proxy`, and the exit code is returned.
///
/// # Errors
/// The stream broke or the wait failed.
pub(super) async fn container_session(
    engine: &berth_engine::Engine,
    id: &str,
    stream: berth_engine::Hijacked,
    wiring: Wiring,
    sig_proxy: bool,
    exited: impl std::future::Future<Output = berth_engine::Result<i64>>,
) -> anyhow::Result<i32> {
    let forwarder = sig_proxy.then(|| tokio::spawn(forward_signals(engine.clone(), id.to_owned())));
    let resizer = engine.clone();
    let container = id.to_owned();
    run_session(stream, wiring, move |rows, columns| {
        let engine = resizer.clone();
        let container = container.clone();
        async move {
            let _ = engine.resize_container(&container, rows, columns).await;
        }
    })
    .await?;
    if let Some(forwarder) = forwarder {
        forwarder.abort();
    }
    exit_code(engine, id, exited).await
}

/// The exit code once a session's stream has ended: the container's, or 0 when the stream ended
/// because the detach keys were pressed and the container runs on.
///
/// # Errors
/// The wait failed.
async fn exit_code(
    engine: &berth_engine::Engine,
    id: &str,
    exited: impl std::future::Future<Output = berth_engine::Result<i64>>,
) -> anyhow::Result<i32> {
    let mut exited = std::pin::pin!(exited);
    // The daemon closes the streams a moment before it records the exit.
    if let Ok(code) = tokio::time::timeout(std::time::Duration::from_millis(500), &mut exited).await
    {
        return Ok(i32::try_from(code.map_err(daemon_error)?).unwrap_or(1));
    }
    let running = engine
        .inspect_container(id)
        .await
        .ok()
        .and_then(|inspected| inspected.state?.running)
        == Some(true);
    if running {
        return Ok(0);
    }
    let code = exited.await.map_err(daemon_error)?;
    Ok(i32::try_from(code).unwrap_or(1))
}

/// Forwards the signals a person sends berth to the container (`docker run`'s sig-proxy).
pub(super) async fn forward_signals(engine: berth_engine::Engine, container: String) {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::quit(), "SIGQUIT"),
        (SignalKind::user_defined1(), "SIGUSR1"),
        (SignalKind::user_defined2(), "SIGUSR2"),
    ];
    let mut streams = Vec::new();
    for (kind, name) in kinds {
        if let Ok(stream) = signal(kind) {
            streams.push((stream, name));
        }
    }
    loop {
        let next =
            futures_util::future::select_all(streams.iter_mut().map(|(stream, name)| {
                Box::pin(async move { stream.recv().await.map(|()| *name) })
            }));
        let (received, _, _) = next.await;
        let Some(name) = received else { return };
        let _ = engine.kill_container(&container, name).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        run: RunArgs,
    }

    fn args(line: &[&str]) -> RunArgs {
        Wrapper::try_parse_from(std::iter::once("run").chain(line.iter().copied()))
            .expect("parses")
            .run
    }

    #[test]
    fn options_after_the_service_belong_to_the_command() {
        let run = args(&["--rm", "-e", "A=1", "web", "sh", "-c", "echo -n hi", "--rm"]);
        assert!(run.rm);
        assert_eq!(run.service, "web");
        assert_eq!(run.command, ["sh", "-c", "echo -n hi", "--rm"]);
    }

    #[test]
    fn dash_p_after_run_publishes_and_before_it_names_the_project() {
        let line = |words: &[&str]| -> Vec<String> {
            crate::cli::run_publish_flags(
                words.iter().map(std::ffi::OsString::from).collect(),
                &crate::cli::Cli::clap_command(),
            )
            .into_iter()
            .map(|arg| arg.into_string().unwrap())
            .collect()
        };
        assert_eq!(
            line(&[
                "berth", "-p", "proj", "run", "-p", "80:80", "-e", "-p", "web", "-p", "x"
            ]),
            [
                "berth",
                "-p",
                "proj",
                "run",
                "--publish",
                "80:80",
                "-e",
                "-p",
                "web",
                "-p",
                "x"
            ]
        );
        assert_eq!(
            line(&["berth", "-f", "run", "run", "-p8080", "web"]),
            ["berth", "-f", "run", "run", "--publish=8080", "web"]
        );
        assert_eq!(
            line(&["berth", "up", "-p", "x"]),
            ["berth", "up", "-p", "x"]
        );
    }

    #[test]
    fn a_tty_needs_terminals_unless_asked_for() {
        // Both terminals: a TTY.
        assert!(args(&["web"]).tty(true, true).unwrap());
        // Piped input without flags: none (Compose's rule).
        assert!(!args(&["web"]).tty(false, true).unwrap());
        // Output not a terminal: none by default.
        assert!(!args(&["web"]).tty(true, false).unwrap());
        // `-T` wins.
        assert!(!args(&["-T", "web"]).tty(true, true).unwrap());
        // `-t` asks for one even when output is piped.
        assert!(args(&["-t", "web"]).tty(true, false).unwrap());
        // And `-t` with `-T` is Compose's error.
        let error = args(&["-t", "-T", "web"]).tty(true, true).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--tty and --no-TTY can't be used together"
        );
    }
}
