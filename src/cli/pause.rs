//! `berth pause` and `berth unpause`: pause or unpause a project's running service containers,
//! all at once. The two differ only in the operation and the word Compose prints.

use berth_engine::Operation;
use clap::Args;

use super::Cli;
use super::context::{block_on, connect};
use super::target::{OneOff, Target, add_each, execute, list_containers};

// Arguments of `berth pause` and `berth unpause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Services to pause or unpause (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Which of the two commands runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `pause`.
    Pause,
    /// `unpause`.
    Unpause,
}

/// Runs `berth pause` or `berth unpause`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &PauseArgs, verb: Verb) -> anyhow::Result<i32> {
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
        let (cause, done) = match verb {
            Verb::Pause => ("pause", "Paused"),
            Verb::Unpause => ("unpause", "Unpaused"),
        };
        let mut plan = berth_engine::Plan::new();
        // Compose announces only the outcome.
        add_each(&mut plan, &containers, &[], cause, "", done, |container| {
            let name = container.name().to_owned();
            match verb {
                Verb::Pause => Operation::PauseContainer { name },
                Verb::Unpause => Operation::UnpauseContainer { name },
            }
        });
        execute(&engine, &plan).await
    })?;
    Ok(0)
}
