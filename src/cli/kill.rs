//! `berth kill`: sends a signal (SIGKILL by default) to a project's running containers, all at
//! once. Containers of services the project does not declare are left alone unless
//! `--remove-orphans`.

use std::io::Write as _;

use berth_engine::Operation;
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{OneOff, Target, add_each, execute, list_containers, nodes_from_labels};

// Arguments of `berth kill`.
#[derive(Debug, Args)]
pub struct KillArgs {
    /// SIGNAL to send to the container.
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS", value_parser = clap::builder::FalseyValueParser::new())]
    pub remove_orphans: bool,
    /// Services to kill.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth kill`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &KillArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        let mut containers = list_containers(
            &engine,
            &target.name,
            OneOff::Include,
            false,
            &args.services,
        )
        .await?;
        if !args.remove_orphans {
            let names: Vec<String> = target.model_services().unwrap_or_else(|| {
                nodes_from_labels(&containers)
                    .into_iter()
                    .map(|node| node.name)
                    .collect()
            });
            containers.retain(|container| names.iter().any(|name| name == container.service()));
        }
        if containers.is_empty() {
            let _ = write!(std::io::stderr(), "no container to kill");
            return Ok(());
        }
        let mut plan = berth_engine::Plan::new();
        add_each(
            &mut plan,
            &containers,
            &[],
            "kill",
            "Killing",
            "Killed",
            |container| Operation::KillContainer {
                name: container.name().to_owned(),
                signal: args.signal.clone(),
            },
        );
        execute(&engine, &plan).await
    })?;
    Ok(0)
}
