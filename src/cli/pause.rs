//! `berth pause`: pauses a project's running service containers, all at once.

use berth_engine::Operation;
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{OneOff, Target, add_each, execute, list_containers};

/// Arguments of `berth pause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Services to pause.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth pause`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &PauseArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        let mut containers = list_containers(
            &engine,
            &target.name,
            OneOff::Exclude,
            false,
            &args.services,
        )
        .await?;
        if let Some(names) = target.model_services() {
            containers.retain(|container| names.iter().any(|name| name == container.service()));
        }
        let mut plan = berth_engine::Plan::new();
        // Compose announces only the outcome.
        add_each(
            &mut plan,
            &containers,
            &[],
            "pause",
            "",
            "Paused",
            |container| Operation::PauseContainer {
                name: container.name().to_owned(),
            },
        );
        execute(&engine, &plan).await
    })?;
    Ok(0)
}
