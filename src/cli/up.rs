//! `berth up`: take the project from whatever state it is in to running, doing only the work
//! needed. The images are made present first (nothing is created when one cannot be had), then one
//! snapshot of what runs is compared with the files ([`crate::converge::reconcile`]) and the plan is
//! executed in parallel as the dependency graph allows. Without `-d`, the services' output is
//! multiplexed until they exit or Ctrl-C stops them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use berth_engine::execute::{ExecuteOptions, execute};
use berth_engine::{Engine, Event, EventStatus, Reporter};
use clap::Args;
use futures_util::future::try_join_all;

use super::Cli;
use super::context::{Session, block_on};
use super::target::Target;
use crate::converge::observed::Observed;
use crate::converge::reconcile::{self, Desired, Recreate, UpOptions, plan_up};
use crate::model::Project;

// Create and start containers.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is an independent switch of `up`"
)]
pub struct UpArgs {
    /// Detached mode: run containers in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Wait for services to be running|healthy. Implies detached mode.
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait_timeout: u64,
    /// Stops all containers if any container was stopped.
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Stops all containers if any container exited with failure.
    #[arg(long)]
    pub abort_on_container_failure: bool,
    /// Return the exit code of the selected service container. Implies
    /// --abort-on-container-exit.
    #[arg(long, value_name = "SERVICE")]
    pub exit_code_from: Option<String>,
    /// Restrict attaching to the specified services.
    #[arg(long, value_name = "SERVICE")]
    pub attach: Vec<String>,
    /// Do not attach (stream logs) to the specified services.
    #[arg(long, value_name = "SERVICE")]
    pub no_attach: Vec<String>,
    /// Automatically attach to log output of dependent services.
    #[arg(long)]
    pub attach_dependencies: bool,
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// Don't start the services after creating them.
    #[arg(long)]
    pub no_start: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS")]
    pub remove_orphans: bool,
    /// Recreate containers even if their configuration and image haven't changed.
    #[arg(long)]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them.
    #[arg(long)]
    pub no_recreate: bool,
    /// Recreate dependent containers.
    #[arg(long)]
    pub always_recreate_deps: bool,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers.
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Use this timeout in seconds for container shutdown when attached or when containers are
    /// already running.
    #[arg(short = 't', long, allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Pull image before running ("always"|"missing"|"never").
    #[arg(long, value_name = "POLICY", default_value = "policy")]
    pub pull: String,
    /// Pull without printing progress information.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Build images before starting containers.
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's policy.
    #[arg(long)]
    pub no_build: bool,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Don't prefix containers' output with the service name.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show timestamps.
    #[arg(long)]
    pub timestamps: bool,
    /// Assume "yes" as answer to all prompts and run non-interactively.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Watch source code and rebuild/refresh containers when files are updated.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Services to start (default: all), with their dependencies unless --no-deps.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

impl UpArgs {
    /// Compose's flag conflicts (`cmd/compose/up.go validateFlags`), in its words.
    fn validate(&self) -> anyhow::Result<()> {
        if self.exit_code_from.is_some() && self.abort_on_container_failure {
            bail!("--abort-on-container-failure cannot be combined with --exit-code-from");
        }
        if self.abort_on_container_exit && self.abort_on_container_failure {
            bail!("--abort-on-container-failure cannot be combined with --abort-on-container-exit");
        }
        if self.wait
            && (self.abort_on_container_exit
                || self.exit_code_from.is_some()
                || !self.attach.is_empty()
                || self.attach_dependencies)
        {
            bail!(
                "--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies"
            );
        }
        if self.detach
            && (self.watch
                || self.abort_on_container_exit
                || self.abort_on_container_failure
                || self.exit_code_from.is_some()
                || !self.attach.is_empty()
                || self.attach_dependencies)
        {
            bail!(
                "--detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch"
            );
        }
        if self.build && self.no_build {
            bail!("--build and --no-build are incompatible");
        }
        if self.force_recreate && self.no_recreate {
            bail!("--force-recreate and --no-recreate are incompatible");
        }
        if self.renew_anon_volumes && self.no_recreate {
            bail!("--no-recreate and --renew-anon-volumes are incompatible");
        }
        if self.always_recreate_deps && self.no_recreate {
            bail!("--always-recreate-deps and --no-recreate are incompatible");
        }
        if !matches!(
            self.pull.as_str(),
            "always" | "missing" | "never" | "policy" | "build"
        ) {
            bail!("invalid --pull option {:?}", self.pull);
        }
        Ok(())
    }

    /// How images are made present: the pull flags, `--build`/`--no-build`.
    fn image_policy(&self, cli: &Cli) -> ImagePolicy {
        ImagePolicy {
            pull: self.pull.clone(),
            quiet_pull: self.quiet_pull,
            build: if self.build {
                BuildPolicy::Force
            } else if self.no_build {
                BuildPolicy::Never
            } else {
                BuildPolicy::Missing
            },
            build_options: super::build::BuildOptions {
                quiet: self.quiet_pull,
                parallel: cli.parallel_limit(),
                ..super::build::BuildOptions::default()
            },
        }
    }

    fn scale(&self, project: &Project) -> anyhow::Result<HashMap<String, u32>> {
        let mut scale = HashMap::new();
        for entry in &self.scale {
            let (service, count) = entry.split_once('=').unwrap_or((entry, ""));
            let count: u32 = count
                .parse()
                .map_err(|_| anyhow::anyhow!("strconv.Atoi: parsing {count:?}: invalid syntax"))?;
            if !project.services.contains_key(service) {
                bail!("no such service: {service}: not found");
            }
            scale.insert(service.to_owned(), count);
        }
        Ok(scale)
    }
}

/// Runs `up`.
///
/// # Errors
/// Bad flags, loading, missing images, engine failures.
pub fn run(cli: &Cli, args: &UpArgs) -> anyhow::Result<i32> {
    args.validate()?;
    // With the name given, what runs is asked for while the files load.
    let prefetch = cli.project_name.as_deref().map(Observed::prefetch);
    let target = Target::load(cli, &args.services)?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    let project = &loaded.project;
    for service in args.services.iter().chain(&args.exit_code_from) {
        if !project.services.contains_key(service) {
            bail!("no such service: {service}");
        }
    }
    let scale = args.scale(project)?;
    let separator = if cli.compatibility { '_' } else { '-' };
    let detach = args.detach || args.wait;
    block_on(async {
        let session = Session::open(cli).await?;
        let mut options = UpOptions {
            services: args.services.clone(),
            exclude: std::collections::HashSet::new(),
            recreate: if args.no_recreate {
                Recreate::Never
            } else if args.force_recreate || args.renew_anon_volumes {
                Recreate::Force
            } else {
                Recreate::Diverged
            },
            recreate_dependencies: if args.no_recreate {
                Recreate::Never
            } else if args.always_recreate_deps {
                Recreate::Force
            } else {
                Recreate::Diverged
            },
            no_deps: args.no_deps,
            no_start: args.no_start,
            renew_anonymous_volumes: args.renew_anon_volumes,
            remove_orphans: args.remove_orphans,
            scale,
            timeout: args.timeout,
            wait: None,
            project: project.name.clone(),
            separator,
            one_off: None,
        };
        let selected = reconcile::selection(project, &options);
        // Images, the snapshot of what runs and the daemon check go out together: a no-op `up`
        // costs one round trip.
        let image_policy = args.image_policy(cli);
        let collect = async {
            if let Some(prefetch) = prefetch
                && let Some(observed) = prefetch.take(&project.name).await
            {
                return Ok(observed);
            }
            Observed::collect(&session.engine, &project.name).await
        };
        let (image_ids, observed) = tokio::join!(
            ensure_images(&session, loaded, &selected, &image_policy),
            collect,
        );
        let image_ids = image_ids?;
        let mut observed = observed.context("listing the project's resources")?;
        check_external(&session.engine, project).await?;
        if !args.remove_orphans {
            session.warn_orphans(&target, &observed);
        }
        let (networks, volumes) = project_resources(project);
        if args.wait {
            let deadline = (args.wait_timeout > 0)
                .then(|| Instant::now() + Duration::from_secs(args.wait_timeout));
            options.wait = Some(deadline);
        }
        // Compose hashes `service:` references as the IDs of the containers they name; services
        // whose referenced containers do not exist yet come up in a second pass, once they do.
        let deferred = reconcile::deferred(project, &first_containers(&observed));
        if !deferred.is_empty() && deferred.len() < project.services.len() {
            let first_pass = UpOptions {
                exclude: deferred,
                ..options.clone()
            };
            let up = plan_pass(
                loaded,
                &observed,
                (&networks, &volumes),
                &image_ids,
                &first_pass,
                (cli.compatibility, args.renew_anon_volumes),
            )?;
            let outcome = execute(
                &session.engine,
                &up.plan,
                &session.progress,
                &ExecuteOptions {
                    cancel: session.cancel.clone(),
                    ..ExecuteOptions::default()
                },
            )
            .await;
            session.report(&up.plan, &outcome)?;
            if outcome.cancelled {
                session.progress.finish();
                return Ok(130);
            }
            observed = Observed::collect(&session.engine, &project.name).await?;
        }
        let hashes = hashes_for_up(project, &observed);
        let desired = Desired {
            project,
            networks: &networks,
            volumes: &volumes,
            hashes: &hashes,
            image_ids: &image_ids,
        };
        let specs = super::specs::ProjectSpecs::new(
            loaded,
            &image_ids,
            &observed,
            cli.compatibility,
            args.renew_anon_volumes,
        );
        if !detach {
            let attached = super::attached::run(
                &session, args, &target, &desired, &observed, &options, &specs, &selected,
            );
            if args.watch {
                return super::watch::alongside(&session, loaded, &args.services, attached).await;
            }
            return attached.await;
        }
        let up = plan_up(&desired, &observed, &options, &specs)?;
        {
            let outcome = execute_up(&session, &up).await;
            session.progress.finish();
            // `--wait-timeout` running out is Compose's "application not healthy after Ns".
            let timed_out = outcome.failed.iter().any(|(step, error)| {
                up.plan.step(*step).cause == "--wait"
                    && matches!(
                        error,
                        berth_engine::EngineError::Condition(
                            berth_engine::ConditionFailure::Timeout { .. }
                        )
                    )
            });
            if timed_out {
                bail!("application not healthy after {}s", args.wait_timeout);
            }
            session.report(&up.plan, &outcome)
        }
    })
}

/// Compose keys with their engine names.
pub(crate) type Named = Vec<(String, String)>;

/// The project's own (not external) networks and volumes: keys with their engine names.
#[must_use]
pub(crate) fn project_resources(project: &Project) -> (Named, Named) {
    let networks = project
        .networks
        .iter()
        .filter(|(_, network)| !network.external)
        .map(|(key, network)| (key.clone(), network.name.clone()))
        .collect();
    let volumes = project
        .volumes
        .iter()
        .filter(|(_, volume)| !volume.external)
        .map(|(key, volume)| (key.clone(), volume.name.clone()))
        .collect();
    (networks, volumes)
}

/// Network and volume keys with their engine names.
pub(crate) type Resources<'a> = (&'a [(String, String)], &'a [(String, String)]);

/// Plans one pass of `up` over what runs now: config hashes with references resolved, specs
/// from the loaded project; `flags` are (`--compatibility`, `--renew-anon-volumes`).
///
/// # Errors
/// A service that cannot be expressed as a container spec.
pub(crate) fn plan_pass(
    loaded: &crate::loader::Loaded,
    observed: &Observed,
    (networks, volumes): Resources<'_>,
    image_ids: &HashMap<String, String>,
    options: &UpOptions,
    (compatibility, renew_anonymous_volumes): (bool, bool),
) -> anyhow::Result<reconcile::UpPlan> {
    let project = &loaded.project;
    let hashes = hashes_for_up(project, observed);
    let desired = Desired {
        project,
        networks,
        volumes,
        hashes: &hashes,
        image_ids,
    };
    let specs = super::specs::ProjectSpecs::new(
        loaded,
        image_ids,
        observed,
        compatibility,
        renew_anonymous_volumes,
    );
    plan_up(&desired, observed, options, &specs)
}

/// Runs an `up` plan: containers left as they are reported `Running`, then the plan with progress
/// and Ctrl-C cancellation.
pub(crate) async fn execute_up(
    session: &Session,
    up: &reconcile::UpPlan,
) -> berth_engine::execute::Outcome {
    for name in &up.unchanged {
        session.progress.event(Event {
            resource: format!("Container {name}"),
            status: EventStatus::Done,
            text: "Running".to_owned(),
        });
    }
    execute(
        &session.engine,
        &up.plan,
        &session.progress,
        &ExecuteOptions {
            cancel: session.cancel.clone(),
            ..ExecuteOptions::default()
        },
    )
    .await
}

/// When `up`, `create` and `run` build: `--build`, `--no-build`, or when an image is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum BuildPolicy {
    /// Build services whose image is missing or whose pull policy is `build` (the default).
    #[default]
    Missing,
    /// `--build`: build every selected service that has a `build` section.
    Force,
    /// `--no-build`: never build.
    Never,
}

/// How [`ensure_images`] makes images present.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImagePolicy {
    /// `--pull`: `policy` (each service's `pull_policy`), `always`, `missing`, `never`, `build`.
    pub pull: String,
    /// `--quiet-pull`.
    pub quiet_pull: bool,
    /// `--build`/`--no-build`.
    pub build: BuildPolicy,
    /// Options of the builds this makes.
    pub build_options: super::build::BuildOptions,
}

/// What one service's image lookup found.
struct Lookup {
    name: String,
    /// The local image ID, when present (after any pull).
    id: Option<String>,
    /// Whether the image must be built.
    build: bool,
}

/// A pull policy as compose-go's `GetPullPolicy` reads it: `daily`, `weekly` and `every_<d>`
/// refresh an image older than their period (in seconds); anything unknown is `missing`.
fn pull_policy(policy: &str) -> anyhow::Result<(&str, Option<i64>)> {
    Ok(match policy {
        "always" | "never" | "if_not_present" | "missing" | "build" => (policy, None),
        "daily" => ("refresh", Some(86_400)),
        "weekly" => ("refresh", Some(7 * 86_400)),
        other => match other.strip_prefix("every_") {
            Some(period) => {
                let duration = crate::model::Duration::parse(period)
                    .map_err(|problem| anyhow::anyhow!("{problem}"))?;
                ("refresh", Some(duration.0 / 1_000_000_000))
            }
            None => ("missing", None),
        },
    })
}

/// Makes every selected service's image present before anything is created, pulling as the
/// pull policy says and building what has a `build` section and no image (or must be rebuilt);
/// returns the local image ID per service (the `image` label).
pub(crate) async fn ensure_images(
    session: &Session,
    loaded: &crate::loader::Loaded,
    selected: &[String],
    policy: &ImagePolicy,
) -> anyhow::Result<HashMap<String, String>> {
    let project = &loaded.project;
    let mut references: Vec<String> = selected
        .iter()
        .map(|name| image_reference(project, &project.services[name.as_str()]))
        .collect();
    references.sort_unstable();
    references.dedup();
    let present_ids = session
        .engine
        .checked(session.engine.image_ids_by_tag(&references))
        .await?;
    let present_ids = &present_ids;
    let quiet = policy.quiet_pull;
    let lookups = selected.iter().map(|name| async move {
        let service = &project.services[name.as_str()];
        let reference = image_reference(project, service);
        let buildable = service.build.is_some();
        let mut wanted = if policy.pull == "policy" {
            service.pull_policy.as_str()
        } else {
            policy.pull.as_str()
        };
        if buildable && policy.build == BuildPolicy::Force {
            wanted = "build";
        }
        let (wanted, refresh) = pull_policy(wanted)
            .map_err(|error| anyhow::anyhow!("service {name:?}: pull_policy: {error}"))?;
        let tagged = if reference.rsplit('/').next().is_some_and(|last| last.contains(':'))
            || reference.contains('@')
        {
            reference.clone()
        } else {
            format!("{reference}:latest")
        };
        // One list call answers for tagged references; anything else is inspected.
        let mut id = match present_ids.get(&tagged) {
            Some(id) if refresh.is_none() => Some(id.clone()),
            _ => None,
        };
        let mut inspected = None;
        if id.is_none() {
            inspected = session.engine.find_image(&reference).await?;
            id = inspected.as_ref().and_then(|image| image.id.clone());
        }
        let stale = refresh.is_some_and(|period| {
            let tagged_at = inspected
                .as_ref()
                .and_then(|image| image.metadata.as_ref())
                .and_then(|metadata| metadata.last_tag_time.as_deref())
                .and_then(berth_engine::logs::Timestamp::parse)
                .map_or(i64::MIN, |time| time.seconds);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
            tagged_at.saturating_add(period) < now
        });
        // Compose never pulls the image of a service that builds and names none.
        let must_pull = !(buildable && service.image.is_empty())
            && match wanted {
                "always" => true,
                "never" | "build" => false,
                "refresh" => id.is_none() || stale,
                _ => id.is_none(),
            };
        let mut build = buildable
            && policy.build != BuildPolicy::Never
            && (wanted == "build" || (id.is_none() && !must_pull));
        if must_pull {
            // Compose's per-service lines (` app Pulling`, layers, ` app Pulled`).
            let stop = session.cancel.child_token();
            let (_, pulled) =
                super::pull::pull_service(session, service, quiet, (&stop, false)).await;
            match pulled {
                Ok(()) => {
                    id = session
                        .engine
                        .find_image(&reference)
                        .await?
                        .and_then(|image| image.id);
                }
                Err(error) if id.is_some() => {
                    session.progress.warning(&format!(
                        "Warning: pulling {reference} for service {name} failed, using the local image: {error}"
                    ));
                }
                // A service that can build its image builds it when the pull fails (Compose).
                Err(error) if buildable && policy.build != BuildPolicy::Never => {
                    session.progress.warning(&format!(
                        "Warning: pulling {reference} for service {name} failed, building it instead: {error}"
                    ));
                    build = true;
                }
                Err(error) => {
                    // `service "x": pulling image "y": <the daemon's words>`
                    bail!("{error}");
                }
            }
        } else if id.is_none() && !build {
            if buildable {
                bail!(
                    "service \"{name}\": image \"{reference}\" is not present and --no-build forbids building it"
                );
            }
            bail!(
                "service \"{name}\": image \"{reference}\" is not present and pull policy is \"never\""
            );
        }
        Ok::<_, anyhow::Error>(Lookup {
            name: name.clone(),
            id,
            build,
        })
    });
    let lookups = try_join_all(lookups).await?;
    let to_build: Vec<String> = lookups
        .iter()
        .filter(|lookup| lookup.build)
        .map(|lookup| lookup.name.clone())
        .collect();
    let mut ids: HashMap<String, String> = lookups
        .into_iter()
        .filter_map(|lookup| Some((lookup.name, lookup.id?)))
        .collect();
    if !to_build.is_empty() {
        let builder = session
            .engine
            .checked(session.engine.default_builder())
            .await?;
        let built = super::build::build_services(
            session,
            loaded,
            &to_build,
            &policy.build_options,
            builder,
        )
        .await?;
        ids.extend(built);
    }
    Ok(ids)
}

/// Each service's first container (lowest replica number), by ID: what `service:` references
/// resolve to.
fn first_containers(observed: &Observed) -> HashMap<String, String> {
    let mut first = HashMap::new();
    for container in &observed.containers {
        if !container.is_one_off() {
            first
                .entry(container.service().to_owned())
                .or_insert_with(|| container.id().to_owned());
        }
    }
    first
}

/// The config hash `up` writes and compares, per service, with references resolved as Compose
/// resolves them (services whose references cannot resolve yet keep their plain hash; they are
/// deferred).
fn hashes_for_up(project: &Project, observed: &Observed) -> HashMap<String, String> {
    let first = first_containers(observed);
    project
        .services
        .values()
        .map(|service| {
            (
                service.name.clone(),
                crate::converge::container::hash_for_up(service, &first),
            )
        })
        .collect()
}

/// The image a service runs: its `image:`, or `<project>-<service>` for a service that builds.
#[must_use]
pub fn image_reference(project: &Project, service: &crate::model::ServiceConfig) -> String {
    if service.image.is_empty() {
        format!("{}-{}", project.name, service.name)
    } else {
        service.image.clone()
    }
}

/// External networks and volumes must exist; Compose's words when they do not.
pub(crate) async fn check_external(engine: &Engine, project: &Project) -> anyhow::Result<()> {
    for network in project.networks.values().filter(|network| network.external) {
        if let Err(error) = engine.inspect_network(&network.name).await {
            if error.is_not_found() {
                bail!(
                    "network {} declared as external, but could not be found",
                    network.name
                );
            }
            return Err(error.into());
        }
    }
    for volume in project.volumes.values().filter(|volume| volume.external) {
        if let Err(error) = engine.inspect_volume(&volume.name).await {
            if error.is_not_found() {
                bail!("external volume \"{}\" not found", volume.name);
            }
            return Err(error.into());
        }
    }
    Ok(())
}

// Creates containers for a service.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Recreate containers even if their configuration and image haven't changed.
    #[arg(long)]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them.
    #[arg(long)]
    pub no_recreate: bool,
    /// Pull image before running ("always"|"missing"|"never").
    #[arg(long, value_name = "POLICY", default_value = "policy")]
    pub pull: String,
    /// Pull without printing progress information.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Build images before starting containers.
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's policy.
    #[arg(long)]
    pub no_build: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS")]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances.
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Assume "yes" as answer to all prompts and run non-interactively.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Services to create (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

// Scale services.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// `SERVICE=REPLICAS` pairs.
    #[arg(value_name = "SERVICE=REPLICAS", required = true)]
    pub scale: Vec<String>,
}

/// `up`'s flags at their defaults, as a base for `create` and `scale`.
fn default_up() -> UpArgs {
    use clap::{Args as _, FromArgMatches as _};
    let command = UpArgs::augment_args(clap::Command::new("up"));
    let matches = command
        .try_get_matches_from(["up"])
        .expect("up parses with no arguments");
    UpArgs::from_arg_matches(&matches).expect("defaults bind")
}

/// Runs `create`: `up --no-start`, detached.
///
/// # Errors
/// As `up`.
pub fn create(cli: &Cli, args: &CreateArgs) -> anyhow::Result<i32> {
    let up = UpArgs {
        detach: true,
        no_start: true,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        pull: args.pull.clone(),
        quiet_pull: args.quiet_pull,
        build: args.build,
        no_build: args.no_build,
        remove_orphans: args.remove_orphans,
        scale: args.scale.clone(),
        yes: args.yes,
        services: args.services.clone(),
        ..default_up()
    };
    run(cli, &up)
}

/// Runs `scale`: `up -d` of the named services with their new replica counts.
///
/// # Errors
/// A malformed pair, an unknown service, or as `up`.
pub fn scale(cli: &Cli, args: &ScaleArgs) -> anyhow::Result<i32> {
    let mut services = Vec::new();
    for pair in &args.scale {
        let Some((service, _)) = pair.split_once('=') else {
            bail!("invalid scale specifier: {pair}");
        };
        services.push(service.to_owned());
    }
    let up = UpArgs {
        detach: true,
        no_deps: args.no_deps,
        scale: args.scale.clone(),
        services,
        ..default_up()
    };
    run(cli, &up)
}

#[cfg(test)]
mod tests {
    use super::pull_policy;

    #[test]
    fn pull_policies_read_as_compose_go_reads_them() {
        assert_eq!(pull_policy("always").unwrap(), ("always", None));
        assert_eq!(pull_policy("build").unwrap(), ("build", None));
        assert_eq!(pull_policy("daily").unwrap(), ("refresh", Some(86_400)));
        assert_eq!(pull_policy("weekly").unwrap(), ("refresh", Some(604_800)));
        assert_eq!(pull_policy("every_12h").unwrap(), ("refresh", Some(43_200)));
        assert_eq!(pull_policy("every_2d").unwrap(), ("refresh", Some(172_800)));
        assert_eq!(pull_policy("whatever").unwrap(), ("missing", None));
        assert!(pull_policy("every_soon").is_err());
    }
}
