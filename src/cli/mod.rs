//! The command line: global flags as `docker compose` has them, and one module per command.
//!
//! Flags and environment variables are resolved once, here, into [`ProjectOptions`] before a
//! command runs; each command module parses its own arguments, calls the library and renders.

pub mod attached;
pub mod config;
pub mod context;
pub mod cp;
pub mod down;
pub mod kill;
pub mod ls;
pub mod pause;
pub mod ps;
pub mod restart;
pub mod rm;
pub mod specs;
pub mod start;
pub mod stop;
pub mod table;
pub mod target;
pub mod up;
pub mod version;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::loader::ProjectOptions;

/// berth: define and run multi-container applications, as Docker Compose does, faster.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, max_term_width = 100)]
pub struct Cli {
    /// Compose configuration files (repeatable; `-` reads standard input).
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Project name.
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first compose file).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files (repeatable; default from `COMPOSE_ENV_FILES`).
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_files: Vec<String>,
    /// Profiles to enable (repeatable; default from `COMPOSE_PROFILES`).
    #[arg(
        long = "profile",
        id = "profile",
        global = true,
        value_name = "PROFILE"
    )]
    pub profiles: Vec<String>,
    /// Include all resources, even those not used by services.
    #[arg(long, global = true)]
    pub all_resources: bool,
    /// Run compose in backward compatibility mode (`_` separator, no normalisation in `config`).
    #[arg(long, global = true)]
    pub compatibility: bool,
    /// Type of progress output: auto, tty, plain, json, quiet.
    #[arg(long, global = true, env = "COMPOSE_PROGRESS", value_name = "MODE",
          value_parser = ["auto", "tty", "plain", "json", "quiet"])]
    pub progress: Option<String>,
    /// When to print ANSI control characters: never, always, auto.
    #[arg(long, global = true, env = "COMPOSE_ANSI", default_value = "auto", value_name = "WHEN",
          value_parser = ["never", "always", "auto"])]
    pub ansi: String,
    /// Maximum parallelism of pulls and builds, -1 for unlimited.
    #[arg(long, global = true, env = "COMPOSE_PARALLEL_LIMIT", default_value_t = -1, allow_hyphen_values = true)]
    pub parallel: i64,
    /// Execute the command in dry run mode.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// berth's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical format.
    Config(config::ConfigArgs),
    /// Copy files/folders between a service container and the local filesystem.
    Cp(cp::CpArgs),
    /// Creates containers for a service.
    Create(up::CreateArgs),
    /// Stop and remove containers, networks.
    Down(down::DownArgs),
    /// Force stop service containers.
    Kill(kill::KillArgs),
    /// List running compose projects.
    Ls(ls::LsArgs),
    /// Pause services.
    Pause(pause::PauseArgs),
    /// List containers.
    Ps(ps::PsArgs),
    /// Restart service containers.
    Restart(restart::RestartArgs),
    /// Removes stopped service containers.
    Rm(rm::RmArgs),
    /// Start services.
    Start(start::StartArgs),
    /// Stop services.
    Stop(stop::StopArgs),
    /// Unpause services.
    Unpause(pause::PauseArgs),
    /// Create and start containers.
    Up(up::UpArgs),
    /// Scale services.
    Scale(up::ScaleArgs),
    /// Show the berth version information.
    Version(version::VersionArgs),
}

impl Cli {
    /// The project options these flags and the process environment describe.
    ///
    /// # Errors
    /// The current directory cannot be determined.
    pub fn project_options(&self) -> anyhow::Result<ProjectOptions> {
        let os_environment: crate::loader::Environment = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        let env_files = if self.env_files.is_empty() {
            os_environment
                .get("COMPOSE_ENV_FILES")
                .map(|files| {
                    files
                        .split(',')
                        .filter(|file| !file.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            self.env_files.clone()
        };
        Ok(ProjectOptions {
            files: self.files.clone(),
            project_name: self.project_name.clone(),
            project_directory: self.project_directory.clone(),
            env_files,
            profiles: self.profiles.clone(),
            os_environment,
            current_dir: std::env::current_dir()?,
        })
    }
}

/// Runs the parsed command line and returns the process exit code.
///
/// # Errors
/// Whatever the command reports.
pub fn run(cli: &Cli) -> anyhow::Result<i32> {
    crate::progress::configure(
        crate::progress::Mode::from_flag(cli.progress.as_deref()),
        &cli.ansi,
        cli.dry_run,
    )?;
    match &cli.command {
        Command::Config(args) => config::run(cli, args),
        Command::Cp(args) => cp::run(cli, args),
        Command::Create(args) => up::create(cli, args),
        Command::Down(args) => down::run(cli, args),
        Command::Kill(args) => kill::run(cli, args),
        Command::Ls(args) => ls::run(args),
        Command::Pause(args) => pause::run(cli, args, pause::Verb::Pause),
        Command::Ps(args) => ps::run(cli, args),
        Command::Restart(args) => restart::run(cli, args),
        Command::Rm(args) => rm::run(cli, args),
        Command::Start(args) => start::run(cli, args),
        Command::Stop(args) => stop::run(cli, args),
        Command::Unpause(args) => pause::run(cli, args, pause::Verb::Unpause),
        Command::Up(args) => up::run(cli, args),
        Command::Scale(args) => up::scale(cli, args),
        Command::Version(args) => version::run(args),
    }
}

/// Writes data to standard output; a closed pipe is not an error (`berth config | head`).
///
/// # Errors
/// Any other write failure.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
