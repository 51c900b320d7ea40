//! `berth watch`: bring the project up (unless `--no-up`), then apply the services'
//! `develop.watch` triggers as files change, showing the watched services' output alongside,
//! until Ctrl-C. The containers keep running afterwards, as with `docker compose watch`.

use anyhow::bail;
use clap::{ArgAction, Args};

use super::Cli;
use super::context::{Session, block_on};
use super::target::Target;
use crate::attach::{AttachOptions, Style, attach, no_color_env};
use crate::watch::{Rebuilder, Watch, WatchOptions};

// Watch the build context for services and rebuild/refresh containers when files are updated.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Do not build & start services before watching.
    #[arg(long)]
    pub no_up: bool,
    /// Prune dangling images on rebuild.
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub prune: bool,
    /// Hide build output.
    #[arg(long)]
    pub quiet: bool,
    /// Services to watch (default: all with `develop.watch`).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `watch`.
///
/// # Errors
/// Loading, a project with nothing to watch, `up` failing, the inotify limits.
pub fn run(cli: &Cli, args: &WatchArgs) -> anyhow::Result<i32> {
    let target = Target::load(cli, &args.services)?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    for service in &args.services {
        if !loaded.project.services.contains_key(service) {
            bail!("no such service: {service}");
        }
    }
    // The watched services' output is shown from this moment: what `up` below starts is
    // followed from its first line.
    let since = berth_engine::logs::Timestamp::now();
    if !args.no_up {
        // Compose gives services with both `build` and `develop` the pull policy `build`: their
        // images are built before `up`, so that watching starts from the files as they are.
        let to_build = services_to_build(&loaded.project, &args.services);
        if !to_build.is_empty() {
            let code = block_on(async {
                let session = Session::open_titled("Building").await?;
                let options = super::build::BuildOptions {
                    quiet: args.quiet,
                    parallel: cli.parallel_limit(),
                    ..super::build::BuildOptions::default()
                };
                let builder = session
                    .engine
                    .checked(session.engine.default_builder())
                    .await?;
                let built =
                    super::build::build_services(&session, loaded, &to_build, &options, builder)
                        .await;
                session.progress.finish();
                Ok(match built {
                    Ok(_) => 0,
                    Err(failed) => {
                        crate::diagnostic::print_error(&anyhow::anyhow!(failed.to_string()));
                        failed.exit_code()
                    }
                })
            })?;
            if code != 0 {
                return Ok(code);
            }
        }
        let code = super::up::run(cli, &detached_up(&args.services))?;
        if code != 0 {
            return Ok(code);
        }
    }
    block_on(async {
        let session = Session::open(cli).await?;
        let options = WatchOptions {
            services: args.services.clone(),
        };
        let watch = Watch::new(
            session.engine.clone(),
            &loaded.project,
            &loaded.working_dir,
            &options,
        )?;
        let monitor = follow_output(
            &session,
            cli,
            &loaded.project.name,
            &watch.services(),
            since,
        )
        .await?;
        let rebuilder = ServiceRebuilder {
            session: &session,
            loaded,
            prune: args.prune,
            quiet: args.quiet,
        };
        let result = watch.run(session.cancel.clone(), Some(&rebuilder)).await;
        monitor.shutdown().await;
        result?;
        Ok(if session.cancel.is_cancelled() {
            130
        } else {
            0
        })
    })
}

/// `up --watch`: runs `attached` (the attached part of `up`) with the watch beside it, until
/// `up` ends (Ctrl-C stops the services as `up` does). A watch that fails ends `up` with its
/// error.
///
/// # Errors
/// Nothing to watch, the inotify limits, or `up`'s own errors.
pub async fn alongside(
    session: &Session,
    loaded: &crate::loader::Loaded,
    services: &[String],
    attached: impl std::future::Future<Output = anyhow::Result<i32>>,
) -> anyhow::Result<i32> {
    let options = WatchOptions {
        services: services.to_vec(),
    };
    let watch = Watch::new(
        session.engine.clone(),
        &loaded.project,
        &loaded.working_dir,
        &options,
    )
    .map_err(|error| {
        if error.to_string().starts_with("none of the selected services") {
            anyhow::anyhow!(
                "none of the selected services is configured for watch, see https://docs.docker.com/compose/how-tos/file-watch/"
            )
        } else {
            error
        }
    })?;
    let rebuilder = ServiceRebuilder {
        session,
        loaded,
        prune: true,
        quiet: false,
    };
    let stop = tokio_util::sync::CancellationToken::new();
    let watching = watch.run(stop.clone(), Some(&rebuilder));
    tokio::pin!(attached);
    tokio::pin!(watching);
    tokio::select! {
        code = &mut attached => {
            stop.cancel();
            let _ = watching.await;
            code
        }
        result = &mut watching => {
            result?;
            attached.await
        }
    }
}

/// Shows the output of the watched services' containers as `up` shows it: those started since
/// `since` from their first line, those that ran before from now on, and those recreated or
/// started later.
///
/// # Errors
/// A container that cannot be attached to.
pub async fn follow_output(
    session: &Session,
    cli: &Cli,
    project: &str,
    services: &[String],
    since: berth_engine::logs::Timestamp,
) -> anyhow::Result<crate::attach::Monitor> {
    let observed = crate::converge::observed::Observed::collect(&session.engine, project).await?;
    // Containers that started before `since` are attached to; the others are found in the
    // replayed start events and followed through their logs.
    let mut containers: Vec<(String, String)> = Vec::new();
    for container in &observed.containers {
        if container.is_one_off()
            || !container.is_running()
            || !services
                .iter()
                .any(|service| service == container.service())
        {
            continue;
        }
        let started = session
            .engine
            .inspect_container(container.id())
            .await
            .ok()
            .and_then(|inspect| inspect.state)
            .and_then(|state| state.started_at)
            .and_then(|text| berth_engine::logs::Timestamp::parse(&text));
        if started.is_none_or(|started| started < since) {
            containers.push((container.id().to_owned(), container.service().to_owned()));
        }
    }
    let options = AttachOptions {
        style: Style::resolve(
            &cli.ansi,
            false,
            no_color_env(),
            false,
            false,
            std::io::IsTerminal::is_terminal(&std::io::stdout()),
        ),
        error_color: AttachOptions::error_color(no_color_env()),
        services: services.to_vec(),
        keep_following: true,
        since: Some(since),
        ..AttachOptions::default()
    };
    attach(&session.engine, project, containers, options).await
}

/// The services `up` would start for `services` (all when empty, with their dependencies) that
/// have both `build` and `develop`.
fn services_to_build(project: &crate::model::Project, services: &[String]) -> Vec<String> {
    let options = crate::converge::reconcile::UpOptions {
        services: services.to_vec(),
        ..crate::converge::reconcile::UpOptions::default()
    };
    crate::converge::reconcile::selection(project, &options)
        .into_iter()
        .filter(|name| {
            let service = &project.services[name.as_str()];
            service.build.is_some() && service.develop.is_some()
        })
        .collect()
}

/// `up -d` of `services`, with `up`'s other flags at their defaults.
fn detached_up(services: &[String]) -> super::up::UpArgs {
    use clap::{Args as _, FromArgMatches as _};
    let command = super::up::UpArgs::augment_args(clap::Command::new("up"));
    let arguments = ["up", "--detach"]
        .into_iter()
        .map(str::to_owned)
        .chain(services.iter().cloned());
    let matches = command
        .try_get_matches_from(arguments)
        .expect("up parses its own flags");
    super::up::UpArgs::from_arg_matches(&matches).expect("up's flags bind")
}

/// The `rebuild` action on this command's session.
struct ServiceRebuilder<'a> {
    session: &'a Session,
    loaded: &'a crate::loader::Loaded,
    prune: bool,
    quiet: bool,
}

impl Rebuilder for ServiceRebuilder<'_> {
    fn rebuild<'a>(
        &'a self,
        services: &'a [String],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>> {
        Box::pin(crate::watch::rebuild::rebuild(
            self.session,
            self.loaded,
            services,
            self.prune,
            self.quiet,
        ))
    }
}
