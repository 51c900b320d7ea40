//! `berth start`: starts a project's existing containers, dependencies first, independent
//! services in parallel. With services named, their dependencies start too, as in Compose.

use anyhow::bail;
use berth_engine::Operation;
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{Direction, OneOff, Target, add_each, execute, list_containers};

// Arguments of `berth start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Services to start (with their dependencies).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth start`.
///
/// # Errors
/// No container to start, an unknown service, loading or daemon errors.
pub fn run(cli: &Cli, args: &StartArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        let containers = list_containers(&engine, &target.name, OneOff::Exclude, true, &[]).await?;
        if target.loaded.is_none() && containers.is_empty() {
            bail!(
                "no container found for project {:?}: not found",
                target.name
            );
        }
        let services = target.services(&containers)?;
        let names = services.names();
        if let Some(unknown) = args
            .services
            .iter()
            .find(|service| !names.contains(service))
        {
            bail!("no such service: {unknown:?}: not found");
        }
        let selected = if args.services.is_empty() {
            names
        } else {
            services.graph.with_dependencies(&args.services)
        };
        if containers.is_empty() {
            // Compose fails on the first service to start when the project has no container.
            let first = services
                .graph
                .start_order()
                .into_iter()
                .flatten()
                .find(|service| selected.contains(service) && scale(&target, service) != 0);
            if let Some(service) = first {
                bail!("service {service:?} has no container to start");
            }
            return Ok(());
        }
        let plan = services.plan(Direction::Start, |plan, service, after| {
            if !selected.iter().any(|name| name == service) {
                return Vec::new();
            }
            let stopped = containers.iter().filter(|container| {
                container.service() == service && container.state() != "running"
            });
            add_each(
                plan,
                stopped,
                after,
                "start",
                "Starting",
                "Started",
                |container| Operation::StartContainer {
                    name: container.name().to_owned(),
                },
            )
        });
        execute(&engine, &plan).await
    })?;
    Ok(0)
}

/// The scale the model asks for (1 without a model or a setting).
fn scale(target: &Target, service: &str) -> i64 {
    target
        .loaded
        .as_ref()
        .and_then(|loaded| loaded.project.services.get(service))
        .map_or(1, |config| {
            config
                .deploy
                .as_ref()
                .and_then(|deploy| deploy.replicas)
                .map(i64::from)
                .or(config.scale.map(i64::from))
                .unwrap_or(1)
        })
}
