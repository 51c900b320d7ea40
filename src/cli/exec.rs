//! `berth exec`: runs a command in a service's running container, with a terminal by default
//! when standard output is one (as `docker compose exec`), and exits with the command's code.

use std::io::IsTerminal;

use berth_engine::ExecSpec;
use clap::Args;

use super::Cli;
use super::context::block_on;
use super::target::{Target, daemon_error, specified_container};
use crate::interactive::{Wiring, run_session};

// Arguments of `berth exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables (`KEY=value`, or `KEY` to take it from the environment).
    #[arg(short = 'e', long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Index of the container if the service has several replicas.
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// Give extended privileges to the process.
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user.
    #[arg(short, long)]
    pub user: Option<String>,
    /// Disable pseudo-TTY allocation (the default when standard output is not a terminal).
    #[arg(short = 'T', long = "no-tty", alias = "no-TTY")]
    pub no_tty: bool,
    /// Path to the working directory for this command.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Keep STDIN open even if not attached (always on, as in Compose).
    #[arg(short, long, hide = true, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY (the default; see `-T`).
    #[arg(short, long, hide = true, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub tty: bool,
    /// The service.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The command and its arguments.
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
    pub command: Vec<String>,
}

/// Resolves `-e` entries as Compose does: `KEY=value` as given, a bare `KEY` from `lookup`
/// (left out when it is not set there).
pub fn resolve_env(entries: &[String], lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| {
            if entry.contains('=') {
                Some(entry.clone())
            } else {
                lookup(entry).map(|value| format!("{entry}={value}"))
            }
        })
        .collect()
}

/// Docker's detach keys from the CLI configuration (`detachKeys` in `config.json`), if set.
#[must_use]
pub fn configured_detach_keys() -> String {
    let path = berth_engine::connect::docker_config_dir().join("config.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|config| config.get("detachKeys")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Runs `berth exec`; the exit code is the command's.
///
/// # Errors
/// No such service container, or daemon errors.
pub fn run(cli: &Cli, args: &ExecArgs) -> anyhow::Result<i32> {
    // Like Compose, exec looks for the service's containers, not at the model: a service the
    // files do not declare "is not running".
    let target = Target::resolve(cli, &[])?;
    let environment = target
        .loaded
        .as_ref()
        .map(|loaded| loaded.environment.clone());
    let env = resolve_env(&args.env, |key| match &environment {
        Some(environment) => environment.get(key).cloned(),
        None => std::env::var(key).ok(),
    });
    // Compose refuses a TTY when standard input is not a terminal ("the input device is not a
    // TTY"); berth runs without one instead, as `run` does.
    let tty = !args.no_tty && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let spec = ExecSpec {
        command: args.command.clone(),
        env,
        user: args.user.clone().unwrap_or_default(),
        working_dir: args.workdir.clone().unwrap_or_default(),
        privileged: args.privileged,
        tty,
        stdin: args.interactive && !args.detach,
        detach_keys: configured_detach_keys(),
    };
    block_on(async {
        let engine = berth_engine::Engine::open_default()?;
        let container =
            specified_container(&engine, &target.name, &args.service, args.index, false).await?;
        let id = engine
            .create_exec(container.id(), &spec)
            .await
            .map_err(daemon_error)?;
        if args.detach {
            engine
                .start_exec_detached(&id, tty)
                .await
                .map_err(daemon_error)?;
            return Ok(0);
        }
        let stream = engine.start_exec(&id, tty).await.map_err(daemon_error)?;
        let resizer = engine.clone();
        let exec_id = id.clone();
        run_session(
            stream,
            Wiring {
                tty,
                stdin: spec.stdin,
            },
            move |rows, columns| {
                let engine = resizer.clone();
                let id = exec_id.clone();
                async move {
                    let _ = engine.resize_exec(&id, rows, columns).await;
                }
            },
        )
        .await?;
        let code = engine.exec_exit_code(&id).await.map_err(daemon_error)?;
        Ok(i32::try_from(code.unwrap_or(0)).unwrap_or(1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_keys_come_from_the_environment_and_unset_ones_are_dropped() {
        let env = resolve_env(&["A=1".to_owned(), "B".to_owned(), "C".to_owned()], |key| {
            (key == "B").then(|| "two".to_owned())
        });
        assert_eq!(env, ["A=1", "B=two"]);
    }
}
