//! `up` without `-d`: create everything, attach to the services' output before anything starts,
//! start in dependency order, then follow the containers until they all exit, an abort flag fires,
//! or Ctrl-C. The first Ctrl-C stops the services named on the command line (all when none) and
//! says so; the second kills them. Either way `up` returns 130, as Compose does.

use std::sync::atomic::Ordering;

use berth_engine::execute::{ExecuteOptions, execute};

use super::context::Session;
use super::target::Target;
use super::up::UpArgs;
use crate::attach::{AttachOptions, MonitorEvent, OnExit, Style, attach, no_color_env};
use crate::converge::observed::Observed;
use crate::converge::reconcile::{Desired, Specs, UpOptions, plan_up};
use crate::model::Project;

/// The services whose output is shown: `--attach`, else the named services (with their
/// dependencies under `--attach-dependencies`) or all; minus `attach: false` and `--no-attach`.
fn attach_set(args: &UpArgs, project: &Project, selected: &[String]) -> Vec<String> {
    let base: Vec<String> = if !args.attach.is_empty() {
        args.attach.clone()
    } else if args.services.is_empty() || args.attach_dependencies {
        selected.to_vec()
    } else {
        args.services.clone()
    };
    base.into_iter()
        .filter(|name| {
            let explicit = args.attach.contains(name);
            let service = project.services.get(name);
            (explicit || service.is_none_or(|service| service.attach != Some(false)))
                && !args.no_attach.contains(name)
        })
        .collect()
}

/// Runs the attached part of `up`, after images and orphans are handled.
///
/// # Errors
/// A failed step of the plan, or a lost connection.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one up, passed once"
)]
pub async fn run(
    session: &Session,
    args: &UpArgs,
    target: &Target,
    desired: &Desired<'_>,
    observed: &Observed,
    options: &UpOptions,
    specs: &dyn Specs,
    selected: &[String],
) -> anyhow::Result<i32> {
    let project = desired.project;
    let execute_options = ExecuteOptions {
        cancel: session.cancel.clone(),
        ..ExecuteOptions::default()
    };
    // Create (and recreate) first, so that every container exists to be attached to.
    let create_only = UpOptions {
        no_start: true,
        ..options.clone()
    };
    let created = plan_up(desired, observed, &create_only, specs)?;
    let outcome = super::up::execute_up(session, &created).await;
    session.report(&created.plan, &outcome)?;
    if outcome.cancelled {
        session.progress.finish();
        return Ok(130);
    }
    let observed = Observed::collect(&session.engine, &project.name).await?;
    let start = plan_up(desired, &observed, options, specs)?;
    session.progress.finish();

    let services = attach_set(args, project, selected);
    let containers: Vec<(String, String)> = start
        .containers
        .iter()
        .filter(|(_, service)| services.contains(service))
        .cloned()
        .collect();
    let on_exit = if args.abort_on_container_failure {
        OnExit::StopOnFailure
    } else if args.abort_on_container_exit || args.exit_code_from.is_some() {
        OnExit::Stop
    } else {
        OnExit::Ignore
    };
    let cli_ansi = session_ansi();
    let attach_options = AttachOptions {
        style: Style::resolve(
            &cli_ansi,
            args.no_color,
            no_color_env(),
            args.no_log_prefix,
            args.timestamps,
            std::io::IsTerminal::is_terminal(&std::io::stdout()),
        ),
        error_color: AttachOptions::error_color(no_color_env()),
        on_exit,
        exit_code_from: args.exit_code_from.clone(),
        services: services.clone(),
        keep_following: args.watch,
        ..AttachOptions::default()
    };
    let mut monitor = attach(&session.engine, &project.name, containers, attach_options).await?;
    session.exit_on_force.store(false, Ordering::SeqCst);
    let outcome = execute(
        &session.engine,
        &start.plan,
        &session.progress,
        &execute_options,
    )
    .await;
    if let Err(error) = session.report(&start.plan, &outcome) {
        monitor.shutdown().await;
        return Err(error);
    }

    let mut stopping = false;
    let mut interrupted = outcome.cancelled;
    loop {
        if interrupted {
            println!("Gracefully Stopping... press Ctrl+C again to force");
            let engine = session.engine.clone();
            let stop_services = args.services.clone();
            let timeout = args.timeout;
            let target_name = target.name.clone();
            let loaded_target = Target {
                name: target_name,
                loaded: None,
            };
            let force = session.force.clone();
            let stop = async move {
                tokio::select! {
                    result = super::stop::stop(&engine, &loaded_target, &stop_services, timeout) => result,
                    () = force.cancelled() => {
                        let filter = berth_engine::containers::LabelFilter::new(
                            berth_engine::labels::PROJECT,
                            &loaded_target.name,
                        );
                        for container in engine.list_containers(&filter, false).await? {
                            if let Some(id) = container.id {
                                let _ = engine.kill_container(&id, "SIGKILL").await;
                            }
                        }
                        Ok(())
                    }
                }
            };
            if let Err(error) = stop.await {
                monitor.shutdown().await;
                return Err(error);
            }
            monitor.shutdown().await;
            return Ok(130);
        }
        tokio::select! {
            event = monitor.next() => match event? {
                MonitorEvent::Abort(_) => {
                    if !stopping {
                        stopping = true;
                        let all = Target { name: target.name.clone(), loaded: None };
                        super::stop::stop(&session.engine, &all, &[], args.timeout).await?;
                    }
                }
                MonitorEvent::AllExited => break,
            },
            () = session.cancel.cancelled(), if !interrupted => {
                interrupted = true;
            }
        }
    }
    let code = monitor.exit_code().unwrap_or(0);
    monitor.shutdown().await;
    Ok(i32::try_from(code).unwrap_or(1))
}

/// `--ansi` as resolved for this process (`COMPOSE_ANSI`, default `auto`).
fn session_ansi() -> String {
    std::env::var("COMPOSE_ANSI").unwrap_or_else(|_| "auto".to_owned())
}
