//! `berth restart`: restarts a project's containers in dependency order. Only `depends_on`
//! entries with `restart: true` order the restart, and naming a service also restarts the
//! services that depend on it that way (unless `--no-deps`), as Compose does.

use std::collections::HashSet;

use berth_engine::Operation;
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{Direction, OneOff, Services, Target, add_each, execute, list_containers};

// Arguments of `berth restart`.
#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short, long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// Don't restart dependent services.
    #[arg(long)]
    pub no_deps: bool,
    /// Services to restart.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth restart`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &RestartArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        let containers = list_containers(&engine, &target.name, OneOff::Exclude, true, &[]).await?;
        let mut nodes = target.nodes(&containers);
        for node in &mut nodes {
            node.depends_on.retain(|dependency| dependency.restart);
        }
        let services = Services::new(nodes)?;
        let selected = selection(&services, &args.services, args.no_deps);
        let plan = services.plan(Direction::Start, |plan, service, after| {
            if !selected.contains(service) {
                return Vec::new();
            }
            let mine = containers
                .iter()
                .filter(|container| container.service() == service);
            add_each(
                plan,
                mine,
                after,
                "restart",
                "Restarting",
                "Started",
                |container| Operation::RestartContainer {
                    name: container.name().to_owned(),
                    timeout: args.timeout,
                },
            )
        });
        execute(&engine, &plan).await
    })?;
    Ok(0)
}

/// The services to restart: all when none are named; else the named ones plus, unless
/// `no_deps`, everything that depends on them (transitively).
fn selection(services: &Services, named: &[String], no_deps: bool) -> HashSet<String> {
    if named.is_empty() {
        return services.names().into_iter().collect();
    }
    let mut selected: HashSet<String> = named.iter().cloned().collect();
    if no_deps {
        return selected;
    }
    let mut queue: Vec<String> = named.to_vec();
    while let Some(service) = queue.pop() {
        for dependent in services.graph.dependents(&service) {
            if selected.insert(dependent.to_owned()) {
                queue.push(dependent.to_owned());
            }
        }
    }
    selected
}
