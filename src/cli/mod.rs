//! The command line: global flags as `docker compose` has them, and one module per command.
//!
//! Flags and environment variables are resolved once, here, into [`ProjectOptions`] before a
//! command runs; each command module parses its own arguments, calls the library and renders.

pub mod attach;
pub mod attached;
pub mod build;
pub mod config;
pub mod context;
pub mod cp;
pub mod down;
pub mod events;
pub mod exec;
pub mod images;
pub mod inspect;
pub mod kill;
pub mod logs;
pub mod ls;
pub mod pause;
pub mod port;
pub mod ps;
pub mod pull;
pub mod push;
pub mod restart;
pub mod rm;
pub mod run;
pub mod specs;
pub mod start;
pub mod stats;
pub mod stop;
pub mod table;
pub mod target;
pub mod top;
pub mod up;
pub mod version;
pub mod wait;
pub mod watch;

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
    /// Project name (`-p` after `run` is its `--publish`).
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

/// berth's commands. Each one's arguments are built only when it runs (`defer`): building all of
/// them was half of every invocation's start-up instructions. [`Cli::parse_args`] makes the
/// exceptions. The argument structs carry plain comments, not doc comments: clap turns a doc
/// comment into the command's help text, and a late build would put it over the one here.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Attach local standard input, output, and error streams to a service's running container.
    Attach(attach::AttachArgs),
    /// Build or rebuild services.
    Build(build::BuildArgs),
    /// Parse, resolve and render the compose file in canonical format.
    Config(config::ConfigArgs),
    /// Copy files/folders between a service container and the local filesystem.
    Cp(cp::CpArgs),
    /// Creates containers for a service.
    Create(up::CreateArgs),
    /// Stop and remove containers, networks.
    Down(down::DownArgs),
    /// Receive real time events from containers.
    Events(events::EventsArgs),
    /// Execute a command in a running container.
    Exec(exec::ExecArgs),
    /// List images used by the created containers.
    Images(images::ImagesArgs),
    /// Force stop service containers.
    Kill(kill::KillArgs),
    /// View output from containers.
    Logs(logs::LogsArgs),
    /// List running compose projects.
    Ls(ls::LsArgs),
    /// Pause services.
    Pause(pause::PauseArgs),
    /// Print the public port for a port binding.
    Port(port::PortArgs),
    /// List containers.
    Ps(ps::PsArgs),
    /// Pull service images.
    Pull(pull::PullArgs),
    /// Push service images.
    Push(push::PushArgs),
    /// Restart service containers.
    Restart(restart::RestartArgs),
    /// Removes stopped service containers.
    Rm(rm::RmArgs),
    /// Run a one-off command on a service.
    Run(run::RunArgs),
    /// Start services.
    Start(start::StartArgs),
    /// Display a live stream of container(s) resource usage statistics.
    Stats(stats::StatsArgs),
    /// Stop services.
    Stop(stop::StopArgs),
    /// Display the running processes.
    Top(top::TopArgs),
    /// Unpause services.
    Unpause(pause::PauseArgs),
    /// Create and start containers.
    Up(up::UpArgs),
    /// Scale services.
    Scale(up::ScaleArgs),
    /// Show the berth version information.
    Version(version::VersionArgs),
    /// Block until containers of all (or specified) services stop.
    Wait(wait::WaitArgs),
    /// Watch the build context for services and rebuild/refresh containers when files are updated.
    Watch(watch::WatchArgs),
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

/// Global flags that take a value, which an argument scan must skip.
const GLOBAL_VALUE_FLAGS: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--env-file",
    "--profile",
    "--progress",
    "--ansi",
    "--parallel",
];

/// `run` flags that take a value.
const RUN_VALUE_FLAGS: &[&str] = &[
    "-e",
    "--env",
    "--env-from-file",
    "-l",
    "--label",
    "--labels",
    "--name",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--entrypoint",
    "--cap-add",
    "--cap-drop",
    "-v",
    "--volume",
    "--volumes",
    "--publish",
    "--pull",
];

/// `-p` means `--project-name` before the command, but `--publish` after `run` (a subcommand's
/// own flag wins over the global one, as in Compose's command line). Rewrites the latter so that
/// the one parser sees `--publish`. Arguments after `run`'s service are the command's, untouched.
pub fn run_publish_flags(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let mut index = 1;
    // Find the command.
    while index < args.len() {
        let arg = args[index].to_string_lossy();
        if arg == "--" || !arg.starts_with('-') {
            break;
        }
        index += if GLOBAL_VALUE_FLAGS.contains(&arg.as_ref()) {
            2
        } else {
            1
        };
    }
    if args.get(index).is_some_and(|command| command == "logs") {
        return logs::follow_flags(args, index + 1);
    }
    if args.get(index).is_none_or(|command| command != "run") {
        return args;
    }
    index += 1;
    while index < args.len() {
        let arg = args[index].to_string_lossy().into_owned();
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            break;
        }
        if arg == "-p" {
            args[index] = "--publish".into();
            index += 2;
        } else if let Some(value) = arg.strip_prefix("-p").filter(|_| !arg.starts_with("--")) {
            args[index] = format!("--publish={value}").into();
            index += 1;
        } else if RUN_VALUE_FLAGS.contains(&arg.as_str())
            || GLOBAL_VALUE_FLAGS.contains(&arg.as_str())
        {
            index += 2;
        } else {
            index += 1;
        }
    }
    args
}

impl Cli {
    /// Parses `args` (the program name first), as clap's `parse_from`, or prints the usage error
    /// and exits.
    ///
    /// `rm`'s and `version`'s arguments are built before the global ones are handed down, as
    /// without `defer`: their `-f` is `--force` and `--format`, and their long-only `--file` takes
    /// the global `--file`'s place, which clap allows only when the command already has that
    /// argument when the globals arrive.
    pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Self {
        Self::try_parse_args(args).unwrap_or_else(|error| error.exit())
    }

    /// [`Cli::parse_args`], returning the usage error.
    ///
    /// # Errors
    /// The usage error, formatted with the command it is about.
    pub fn try_parse_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Self, clap::Error> {
        use clap::FromArgMatches as _;
        let mut command = Self::clap_command();
        let mut matches = command.try_get_matches_from_mut(args)?;
        Self::from_arg_matches_mut(&mut matches).map_err(|error| error.format(&mut command))
    }

    /// The command line's definition: commands deferred, but for those whose own `-f` shadows
    /// the global one.
    fn clap_command() -> clap::Command {
        use clap::{Args as _, CommandFactory as _};
        let built = |command: clap::Command| command.defer(|command| command);
        Self::command()
            .mut_subcommand("rm", |rm| built(rm::RmArgs::augment_args(rm)))
            .mut_subcommand("version", |version| {
                built(version::VersionArgs::augment_args(version))
            })
    }

    /// `--parallel` / `COMPOSE_PARALLEL_LIMIT` as a limit: `None` when unlimited (`-1`, `0`).
    #[must_use]
    pub fn parallel_limit(&self) -> Option<usize> {
        usize::try_from(self.parallel)
            .ok()
            .filter(|limit| *limit > 0)
    }
}

/// Runs the parsed command line and returns the process exit code.
///
/// # Errors
/// Whatever the command reports.
pub fn run(cli: &Cli) -> anyhow::Result<i32> {
    let mode = match &cli.command {
        // `run -q` prints nothing but the container's standard error, as Compose.
        Command::Run(args) if args.quiet => crate::progress::Mode::Quiet,
        Command::Build(args) if args.quiet => crate::progress::Mode::Quiet,
        _ => crate::progress::Mode::from_flag(cli.progress.as_deref()),
    };
    crate::progress::configure(mode, &cli.ansi, cli.dry_run)?;
    match &cli.command {
        Command::Attach(args) => attach::run(cli, args),
        Command::Build(args) => build::run(cli, args),
        Command::Config(args) => config::run(cli, args),
        Command::Cp(args) => cp::run(cli, args),
        Command::Create(args) => up::create(cli, args),
        Command::Down(args) => down::run(cli, args),
        Command::Events(args) => events::run(cli, args),
        Command::Exec(args) => exec::run(cli, args),
        Command::Images(args) => images::run(cli, args),
        Command::Kill(args) => kill::run(cli, args),
        Command::Logs(args) => logs::run(cli, args),
        Command::Ls(args) => ls::run(args),
        Command::Pause(args) => pause::run(cli, args, pause::Verb::Pause),
        Command::Port(args) => port::run(cli, args),
        Command::Ps(args) => ps::run(cli, args),
        Command::Pull(args) => pull::run(cli, args),
        Command::Push(args) => push::run(cli, args),
        Command::Restart(args) => restart::run(cli, args),
        Command::Rm(args) => rm::run(cli, args),
        Command::Run(args) => run::run(cli, args),
        Command::Start(args) => start::run(cli, args),
        Command::Stats(args) => stats::run(cli, args),
        Command::Stop(args) => stop::run(cli, args),
        Command::Top(args) => top::run(cli, args),
        Command::Unpause(args) => pause::run(cli, args, pause::Verb::Unpause),
        Command::Up(args) => up::run(cli, args),
        Command::Scale(args) => up::scale(cli, args),
        Command::Version(args) => version::run(args),
        Command::Wait(args) => wait::run(cli, args),
        Command::Watch(args) => watch::run(cli, args),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_args(
            std::iter::once("berth")
                .chain(line.iter().copied())
                .map(std::ffi::OsString::from),
        )
    }

    /// Each command's name and help texts.
    fn abouts(command: &clap::Command) -> Vec<(String, Option<String>, Option<String>)> {
        command
            .get_subcommands()
            .filter(|command| command.get_name() != "help")
            .map(|command| {
                (
                    command.get_name().to_owned(),
                    command.get_about().map(ToString::to_string),
                    command.get_long_about().map(ToString::to_string),
                )
            })
            .collect()
    }

    #[test]
    fn every_command_is_well_formed_with_the_global_arguments() {
        // Builds every deferred command and checks what clap checks in debug builds (duplicate
        // flags among them), which otherwise happens only when that command runs.
        Cli::clap_command().debug_assert();
    }

    #[test]
    fn building_a_command_late_keeps_its_help_text() {
        // What `berth --help` lists (commands not built) is what `berth ps --help` shows (built):
        // an argument struct's doc comment would replace it.
        let mut command = Cli::clap_command();
        let listed = abouts(&command);
        assert!(
            listed.iter().all(|(_, about, _)| about.is_some()),
            "{listed:?}"
        );
        command.build();
        assert_eq!(abouts(&command), listed);
    }

    #[test]
    fn rm_and_version_keep_their_own_f_and_take_file_long_only() {
        let cli = parse(&["-f", "a.yaml", "rm", "-f", "web"]).expect("parses");
        let Command::Rm(args) = &cli.command else {
            panic!("not rm: {cli:?}");
        };
        assert!(args.force);
        assert_eq!(args.services, ["web"]);
        assert_eq!(cli.files, ["a.yaml"]);
        let cli = parse(&["rm", "--file", "b.yaml", "-s"]).expect("parses");
        assert!(matches!(&cli.command, Command::Rm(args) if args.stop && !args.force));
        assert_eq!(cli.files, ["b.yaml"]);
        let cli = parse(&["version", "-f", "json"]).expect("parses");
        assert!(matches!(&cli.command, Command::Version(args) if args.format == "json"));
    }

    #[test]
    fn global_arguments_reach_a_deferred_command_in_either_place() {
        let cli = parse(&["ps", "-f", "a.yaml", "-p", "name", "--all"]).expect("parses");
        assert_eq!(cli.files, ["a.yaml"]);
        assert_eq!(cli.project_name.as_deref(), Some("name"));
        assert!(matches!(&cli.command, Command::Ps(args) if args.all));
        let error = parse(&["ps", "--no-such-flag"]).expect_err("refused");
        assert_eq!(error.kind(), clap::error::ErrorKind::UnknownArgument);
        assert!(error.to_string().contains("--no-such-flag"), "{error}");
    }
}
