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

/// The program's name in usage lines.
const NAME: &str = "berth";

/// berth: define and run multi-container applications, as Docker Compose does, faster.
#[derive(Debug, Parser)]
#[command(name = NAME, version, about)]
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

/// Whether `arg` spells one of the global flags that `root` defines (`-p`, `--file`,
/// `--file=a.yaml`): `Some(true)` when the next argument is its value, `Some(false)` when not,
/// `None` when `arg` is no global flag (or gives a value to one that takes none).
fn global_flag(root: &clap::Command, arg: &str) -> Option<bool> {
    let flag = arg.strip_prefix('-')?;
    let (flag, inline_value) = match flag.split_once('=') {
        Some((flag, _)) => (flag, true),
        None => (flag, false),
    };
    let mut letters = flag.chars();
    let short = match (letters.next(), letters.next()) {
        (Some(letter), None) if !inline_value => Some(letter),
        _ => None,
    };
    let global = root
        .get_arguments()
        .find(|global| match flag.strip_prefix('-') {
            Some(long) => global.get_long() == Some(long),
            None => short.is_some() && global.get_short() == short,
        })?;
    let takes_value = global.get_action().takes_values();
    if inline_value && !takes_value {
        return None;
    }
    Some(takes_value && !inline_value)
}

/// Where the command's name is in `args` (the program name first): the first argument after the
/// global flags and their values; `None` when anything else comes first (`--help`, `--version`,
/// an unknown flag, `--`) or nothing does.
fn command_index(root: &clap::Command, args: &[std::ffi::OsString]) -> Option<usize> {
    let mut index = 1;
    loop {
        let arg = args.get(index)?.to_str()?;
        if !arg.starts_with('-') {
            return Some(index);
        }
        index += if global_flag(root, arg)? { 2 } else { 1 };
    }
}

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
fn run_publish_flags(
    mut args: Vec<std::ffi::OsString>,
    root: &clap::Command,
) -> Vec<std::ffi::OsString> {
    let Some(mut index) = command_index(root, &args) else {
        return args;
    };
    if args[index] == "logs" {
        return logs::follow_flags(args, index + 1);
    }
    if args[index] != "run" {
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
        } else if RUN_VALUE_FLAGS.contains(&arg.as_str()) || global_flag(root, &arg) == Some(true) {
            index += 2;
        } else {
            index += 1;
        }
    }
    args
}

/// The root's settings that reach every command, given to both the whole definition and one
/// built with a single command ([`Cli::only_the_command_in`]).
fn for_every_command(root: clap::Command) -> clap::Command {
    // Help text wraps at the terminal's width, but at most this.
    root.max_term_width(100)
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
        let command = Self::clap_command();
        let args = run_publish_flags(args.into_iter().collect(), &command);
        let mut command = Self::only_the_command_in(&args, &command).unwrap_or(command);
        Self::parse_with(&mut command, args)
    }

    fn parse_with(
        command: &mut clap::Command,
        args: Vec<std::ffi::OsString>,
    ) -> Result<Self, clap::Error> {
        use clap::FromArgMatches as _;
        let mut matches = command.try_get_matches_from_mut(args)?;
        Self::from_arg_matches_mut(&mut matches).map_err(|error| error.format(command))
    }

    /// The command line's definition with the one command that `args` names and no other, when
    /// only global flags come before that command; `None` otherwise (no command, `--help`,
    /// `help`, an unknown word or flag: the whole definition then parses and explains).
    ///
    /// clap copies the global flags into every command before it parses: 11 flags into 31
    /// commands, an eighth of `berth ls`'s instructions and 70 of its 480 page faults. With one
    /// command the parse is the same (a unit test holds every command's help and errors equal).
    fn only_the_command_in(
        args: &[std::ffi::OsString],
        full: &clap::Command,
    ) -> Option<clap::Command> {
        let name = args[command_index(full, args)?].to_str()?;
        let command = full.find_subcommand(name)?;
        Some(for_every_command(
            clap::Command::new(NAME)
                .args(full.get_arguments().cloned())
                .subcommand(command.clone()),
        ))
    }

    /// The command line's definition: commands deferred, but for those whose own `-f` shadows
    /// the global one.
    fn clap_command() -> clap::Command {
        use clap::{Args as _, CommandFactory as _};
        let built = |command: clap::Command| command.defer(|command| command);
        for_every_command(Self::command())
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
        Command::Attach(args) => own_frame(|| attach::run(cli, args)),
        Command::Build(args) => own_frame(|| build::run(cli, args)),
        Command::Config(args) => own_frame(|| config::run(cli, args)),
        Command::Cp(args) => own_frame(|| cp::run(cli, args)),
        Command::Create(args) => own_frame(|| up::create(cli, args)),
        Command::Down(args) => own_frame(|| down::run(cli, args)),
        Command::Events(args) => own_frame(|| events::run(cli, args)),
        Command::Exec(args) => own_frame(|| exec::run(cli, args)),
        Command::Images(args) => own_frame(|| images::run(cli, args)),
        Command::Kill(args) => own_frame(|| kill::run(cli, args)),
        Command::Logs(args) => own_frame(|| logs::run(cli, args)),
        Command::Ls(args) => own_frame(|| ls::run(args)),
        Command::Pause(args) => own_frame(|| pause::run(cli, args, pause::Verb::Pause)),
        Command::Port(args) => own_frame(|| port::run(cli, args)),
        Command::Ps(args) => own_frame(|| ps::run(cli, args)),
        Command::Pull(args) => own_frame(|| pull::run(cli, args)),
        Command::Push(args) => own_frame(|| push::run(cli, args)),
        Command::Restart(args) => own_frame(|| restart::run(cli, args)),
        Command::Rm(args) => own_frame(|| rm::run(cli, args)),
        Command::Run(args) => own_frame(|| run::run(cli, args)),
        Command::Start(args) => own_frame(|| start::run(cli, args)),
        Command::Stats(args) => own_frame(|| stats::run(cli, args)),
        Command::Stop(args) => own_frame(|| stop::run(cli, args)),
        Command::Top(args) => own_frame(|| top::run(cli, args)),
        Command::Unpause(args) => own_frame(|| pause::run(cli, args, pause::Verb::Unpause)),
        Command::Up(args) => own_frame(|| up::run(cli, args)),
        Command::Scale(args) => own_frame(|| up::scale(cli, args)),
        Command::Version(args) => own_frame(|| version::run(args)),
        Command::Wait(args) => own_frame(|| wait::run(cli, args)),
        Command::Watch(args) => own_frame(|| watch::run(cli, args)),
    }
}

/// Runs one command in a stack frame of its own. Inlined into [`run`], all the commands' frames
/// made one of 133 KiB, which every command probed page by page: 23 page faults for `ls`.
#[inline(never)]
fn own_frame<T>(command: impl FnOnce() -> T) -> T {
    command()
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
    fn a_command_built_alone_parses_as_it_does_among_all() {
        let full = Cli::clap_command();
        let args = |line: &[&str]| -> Vec<std::ffi::OsString> {
            std::iter::once("berth")
                .chain(line.iter().copied())
                .map(Into::into)
                .collect()
        };
        let both = |line: &[&str]| {
            let alone = Cli::only_the_command_in(&args(line), &full)
                .unwrap_or_else(|| panic!("{line:?}: not built alone"));
            (
                Cli::parse_with(&mut full.clone(), args(line)),
                Cli::parse_with(&mut alone.clone(), args(line)),
            )
        };
        for name in full.get_subcommands().map(clap::Command::get_name) {
            for line in [
                &[name, "--help"][..],
                &[name, "-h"],
                &[
                    "-f",
                    "a.yaml",
                    "--project-name=x",
                    "--dry-run",
                    name,
                    "--no-such-flag",
                ],
                &["--progress", "plain", name, "-Z"],
            ] {
                let (among_all, alone) = both(line);
                let (among_all, alone) =
                    (among_all.expect_err("refused"), alone.expect_err("refused"));
                assert_eq!(alone.kind(), among_all.kind(), "{line:?}");
                assert_eq!(
                    alone.render().to_string(),
                    among_all.render().to_string(),
                    "{line:?}"
                );
            }
        }
        for line in [
            &["-p", "x", "ps", "-a", "--format", "json"][..],
            &["--dry-run", "--ansi=never", "ls", "-q"],
            &["up", "-d", "--scale", "web=2", "web", "-f", "b.yaml"],
            &["-f", "a.yaml", "rm", "-f", "-s", "web"],
            &["version", "-f", "json"],
            &["run", "--publish", "80:80", "web", "sh", "-c", "exit 3"],
        ] {
            let (among_all, alone) = both(line);
            assert_eq!(
                format!("{:?}", alone.expect("parses alone")),
                format!("{:?}", among_all.expect("parses among all")),
                "{line:?}"
            );
        }
        // Whatever is not plainly global flags and a command keeps the whole definition, which
        // lists the commands and suggests near names.
        for line in [
            &[][..],
            &["--help"],
            &["-h"],
            &["help", "ls"],
            &["--version"],
            &["-x", "ls"],
            &["--dry-run=true", "ls"],
            &["-fa.yaml", "ls"],
            &["lss"],
            &["--", "ls"],
        ] {
            assert!(
                Cli::only_the_command_in(&args(line), &full).is_none(),
                "{line:?}"
            );
        }
    }

    #[test]
    fn the_rewritten_flags_reach_the_parser_found_by_the_same_scan() {
        // `-p` after `run` publishes and `-f` after `logs` follows; the command is found past
        // global flags with values (`-p x`, `--file=a.yaml`), spelled as the definition has them.
        let cli =
            parse(&["-p", "x", "--file=a.yaml", "run", "-p", "80:80", "web"]).expect("parses");
        assert_eq!(cli.project_name.as_deref(), Some("x"));
        assert_eq!(cli.files, ["a.yaml"]);
        assert!(matches!(&cli.command, Command::Run(args) if args.publish == ["80:80"]));
        let cli = parse(&["--project-directory", "d", "logs", "-f", "web"]).expect("parses");
        assert!(matches!(&cli.command, Command::Logs(args) if args.follow));
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
