//! `berth stop`: stops a project's containers, dependents before what they depend on, independent
//! services in parallel. [`stop`] is shared with `rm -s` (and `down`).

use berth_engine::{Engine, Operation};
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{Direction, OneOff, Target, add_each, execute, list_containers};

// Arguments of `berth stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short, long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// Services to stop (only these; what they depend on keeps running).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth stop`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &StopArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        stop(&engine, &target, &args.services, args.timeout).await
    })?;
    Ok(0)
}

/// Stops the service containers of `services` (all the project's services when empty) in
/// reverse dependency order, each with `timeout` seconds before it is killed (the container's
/// own stop timeout when `None`). A project without containers is not an error.
///
/// # Errors
/// A dependency cycle, or the daemon's error for a container.
pub async fn stop(
    engine: &Engine,
    target: &Target,
    services: &[String],
    timeout: Option<i32>,
) -> anyhow::Result<()> {
    let containers = list_containers(engine, &target.name, OneOff::Exclude, true, &[]).await?;
    let graph = target.services(&containers)?;
    let plan = graph.plan(Direction::Stop, |plan, service, after| {
        if !services.is_empty() && !services.iter().any(|name| name == service) {
            return Vec::new();
        }
        let mine = containers
            .iter()
            .filter(|container| container.service() == service);
        add_each(
            plan,
            mine,
            after,
            "stop",
            "Stopping",
            "Stopped",
            |container| Operation::StopContainer {
                name: container.name().to_owned(),
                timeout,
            },
        )
    });
    execute(engine, &plan).await
}
