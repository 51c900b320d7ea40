//! `berth rm`: removes a project's stopped service containers, after asking (`Going to remove
//! …`) unless `-f`; `-s` stops them first.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use berth_engine::Operation;
use clap::Args;

use super::context::{block_on, connect};
use super::target::{OneOff, Target, add_each, execute, list_containers};
use super::{Cli, print_stdout};

// Arguments of `berth rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Don't ask to confirm removal.
    #[arg(short, long)]
    pub force: bool,
    /// Stop the containers, if required, before removing.
    #[arg(short, long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers.
    #[arg(short, long)]
    pub volumes: bool,
    /// Deprecated - no effect.
    #[arg(short, long, hide = true)]
    pub all: bool,
    /// Compose files. `-f` after `rm` means `--force`, as in Compose (cobra lets a command's flag
    /// shadow the root's); this long-only copy of the global `--file` takes its place here and
    /// hands its values to the global one.
    #[arg(long = "file", id = "files", value_name = "FILE", hide = true)]
    pub files: Vec<String>,
    /// Services whose containers to remove.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth rm`.
///
/// # Errors
/// Loading or daemon errors.
pub fn run(cli: &Cli, args: &RmArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &args.services)?;
    block_on(async {
        let engine = connect().await?;
        if args.stop {
            super::stop::stop(&engine, &target, &args.services, None).await?;
        }
        let mut containers =
            list_containers(&engine, &target.name, OneOff::Exclude, true, &args.services).await?;
        if let Some(names) = target.model_services() {
            containers.retain(|container| names.iter().any(|name| name == container.service()));
        }
        // The list call is made after any stop, so its state is current: no inspection needed.
        containers.retain(|container| !container.is_running());
        if containers.is_empty() {
            let _ = writeln!(std::io::stderr(), "No stopped containers");
            return Ok(());
        }
        let names: Vec<&str> = containers
            .iter()
            .map(|container| container.name())
            .collect();
        let message = format!("Going to remove {}", names.join(", "));
        if args.force {
            print_stdout(&format!("{message}\n"))?;
        } else if !confirm(&message)? {
            return Ok(());
        }
        let mut plan = berth_engine::Plan::new();
        add_each(
            &mut plan,
            &containers,
            &[],
            "rm",
            "Removing",
            "Removed",
            |container| Operation::RemoveContainer {
                name: container.name().to_owned(),
                force: args.force,
                volumes: args.volumes,
            },
        );
        execute(&engine, &plan).await
    })?;
    Ok(0)
}

/// Asks on stdout and reads one line from stdin, as Compose's prompt does: in a terminal
/// `? message (y/N) `, otherwise the bare message; `y` or any Go-true word confirms.
fn confirm(message: &str) -> anyhow::Result<bool> {
    let terminal = std::io::stdin().is_terminal();
    if terminal {
        print_stdout(&format!("? {message} (y/N) "))?;
    } else {
        print_stdout(message)?;
    }
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    let answer = answer.trim().to_lowercase();
    Ok(answer == "y"
        || answer == "yes" && terminal
        || crate::loader::discover::parse_go_bool(&answer) == Some(true))
}
