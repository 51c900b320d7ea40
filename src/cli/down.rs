//! `berth down`: stop and remove the project's containers in reverse dependency order, in
//! parallel, then its networks, and with `-v` its volumes, with `--rmi` its images. Works from the
//! labels alone when there are no files (`down -p NAME`), and never touches another project.

use anyhow::Context as _;
use berth_engine::execute::{ExecuteOptions, execute};
use clap::Args;

use super::Cli;
use super::context::{self, Session};
use crate::converge::observed::Observed;
use crate::converge::reconcile::{DownOptions, RemoveImages, plan_down};

// Stop and remove containers, networks.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Remove containers for services not defined in the Compose file.
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS")]
    pub remove_orphans: bool,
    /// Remove images used by services: "local" removes only images without a custom tag, "all"
    /// every image.
    #[arg(long, value_name = "TYPE", value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long, allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// Remove named volumes declared in the "volumes" section of the Compose file and anonymous
    /// volumes attached to containers.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Services to stop (default: all). Only their containers are removed.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `down`.
///
/// # Errors
/// Loading, connection or engine failures.
pub fn run(cli: &Cli, args: &DownArgs) -> anyhow::Result<i32> {
    let target = super::target::Target::resolve(cli, &[])?;
    context::block_on(async {
        let session = Session::open(cli).await?;
        let observed = session
            .engine
            .checked(Observed::collect(&session.engine, &target.name))
            .await
            .context("listing the project's resources")?;
        let project = target.loaded.as_ref().map(|loaded| &loaded.project);
        let mut scoped = observed.clone();
        if !args.services.is_empty() {
            scoped
                .containers
                .retain(|container| args.services.iter().any(|s| s == container.service()));
            scoped.networks.clear();
            scoped.volumes.clear();
        }
        let images = match (args.rmi.as_deref(), project) {
            (Some(kind), Some(project)) => {
                let kind = if kind == "all" {
                    RemoveImages::All
                } else {
                    RemoveImages::Local
                };
                images_to_remove(project, &target.name, kind, cli.compatibility)
            }
            (Some(_), None) => observed_images(&scoped),
            (None, _) => Vec::new(),
        };
        let options = DownOptions {
            remove_orphans: args.remove_orphans,
            volumes: args.volumes,
            timeout: args.timeout,
        };
        if target.loaded.is_some() && !args.remove_orphans {
            session.warn_orphans(&target, &observed);
        }
        let plan = plan_down(project, &scoped, &options, &images);
        if plan.is_empty() {
            session.progress.warning(&format!(
                "Warning: No resource found to remove for project \"{}\".",
                target.name
            ));
            return Ok(0);
        }
        let execute_options = ExecuteOptions {
            keep_going: true,
            cancel: session.cancel.clone(),
            ..ExecuteOptions::default()
        };
        let outcome = execute(&session.engine, &plan, &session.progress, &execute_options).await;
        session.progress.finish();
        session.report(&plan, &outcome)
    })
}

/// The images `--rmi` removes: with `local`, only those of services that have no `image:` (their
/// built image, `<project>-<service>`); with `all`, every service's image.
fn images_to_remove(
    project: &crate::model::Project,
    project_name: &str,
    kind: RemoveImages,
    compatibility: bool,
) -> Vec<String> {
    let separator = if compatibility { '_' } else { '-' };
    let mut images: Vec<String> = project
        .services
        .values()
        .filter_map(|service| {
            if service.image.is_empty() {
                Some(format!("{project_name}{separator}{}", service.name))
            } else if kind == RemoveImages::All {
                Some(service.image.clone())
            } else {
                None
            }
        })
        .collect();
    images.sort();
    images.dedup();
    images
}

/// Without files, `--rmi` removes the images the containers were created from.
fn observed_images(observed: &Observed) -> Vec<String> {
    let mut images: Vec<String> = observed
        .containers
        .iter()
        .filter_map(|container| container.summary.image.clone())
        .collect();
    images.sort();
    images.dedup();
    images
}
