//! `berth wait`: blocks until the running containers of the named services have stopped, printing
//! each one's exit as it comes, and exits with the status code of the last one to stop, as
//! `docker compose wait` does. With `--down-project` the project is then taken down from its
//! labels, orphans included.
//!
//! Compose's help says "Drops project when the first container stops", but 2.40.3 waits for every
//! selected container (an errgroup over all of them); berth does what Compose does.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context as _, bail};
use berth_engine::execute::{ExecuteOptions, execute};
use clap::Args;
use futures_util::future::try_join_all;

use super::context::{Session, block_on};
use super::target::{OneOff, Target, daemon_error, list_containers};
use super::{Cli, print_stdout};
use crate::converge::observed::Observed;
use crate::converge::reconcile::{DownOptions, plan_down};

// Arguments of `berth wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Drops project when the first container stops.
    #[arg(long)]
    pub down_project: bool,
    /// Services to wait for.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth wait`; the exit code is the last stopped container's.
///
/// # Errors
/// No service named, no running container, daemon errors, or a failed `--down-project`.
pub fn run(cli: &Cli, args: &WaitArgs) -> anyhow::Result<i32> {
    if args.services.is_empty() {
        bail!(
            "'berth wait' requires at least 1 argument\n\nUsage:  berth wait SERVICE [SERVICE...] [OPTIONS]\n\nSee 'berth wait --help' for more information"
        );
    }
    let target = Target::resolve(cli, &args.services)?;
    let project = target.name.clone();
    block_on(async {
        let session = Session::open_titled("Running").await?;
        let containers = session
            .engine
            .checked(list_containers(
                &session.engine,
                &project,
                OneOff::Include,
                false,
                &args.services,
            ))
            .await?;
        if containers.is_empty() {
            bail!("no containers for project {}", crate::go::quote(&project));
        }
        let status = Arc::new(AtomicI64::new(0));
        let waits = try_join_all(containers.iter().map(|container| {
            let engine = session.engine.clone();
            let status = status.clone();
            async move {
                let exited = engine
                    .wait_exit(container.id(), berth_engine::WaitUntil::NotRunning)
                    .await
                    .map_err(daemon_error)?;
                let code = exited.await.map_err(daemon_error)?;
                print_stdout(&format!(
                    "container {} exited with status code {code}\n",
                    crate::go::quote(container.id())
                ))?;
                status.store(code, Ordering::SeqCst);
                anyhow::Ok(())
            }
        }));
        tokio::select! {
            result = waits => drop(result?),
            () = session.cancel.cancelled() => {
                // Compose's empty status error prints an empty line.
                eprintln!();
                return Ok(130);
            }
        }
        let code = i32::try_from(status.load(Ordering::SeqCst)).unwrap_or(1);
        if args.down_project {
            let observed = Observed::collect(&session.engine, &project)
                .await
                .context("listing the project's resources")?;
            let options = DownOptions {
                remove_orphans: true,
                volumes: false,
                timeout: None,
            };
            let plan = plan_down(None, &observed, &options, &[]);
            let execute_options = ExecuteOptions {
                keep_going: true,
                cancel: session.cancel.clone(),
                ..ExecuteOptions::default()
            };
            let outcome =
                execute(&session.engine, &plan, &session.progress, &execute_options).await;
            session.progress.finish();
            let down = session.report(&plan, &outcome)?;
            if down != 0 {
                return Ok(down);
            }
        }
        Ok(code)
    })
}
