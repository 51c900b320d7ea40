//! `berth cp`: copies files and directories between a service container and the local
//! filesystem, as `docker compose cp` does (which follows `docker cp`'s rules).
//!
//! `SERVICE:PATH` names the container side; a local path holding a `:` is written `./a:b` or
//! `/abs/a:b`. Copying out reads from the service's first container (or `--index N`); copying in
//! writes to every container of the service (one-offs too with `--all`), in parallel. `-` stands
//! for a tar stream on standard input or output. The path rules live in
//! [`berth_engine::archive::paths`]; this module resolves the local side, asks the daemon about
//! the container side, and streams the archive between them through [`berth_engine::archive`].
//!
//! Progress is Compose's: one `copy SRC to DEST` line per container, `Copying` then `Copied`.
//! berth's progress events carry no separate text, so the plain and json lines are written here
//! (Compose puts one space, not two, between its id and text), and the tty display gets the id and
//! text as one resource.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::{anyhow, bail};
use berth_engine::archive::paths::{self, CopyInfo, Rebase};
use berth_engine::archive::{self, Bytes, ExtractError, pack::with_path};
use berth_engine::{Engine, EventStatus, Reporter as _};
use clap::Args;
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::Cli;
use super::context::{block_on, connect};
use super::target::{OneOff, Target, daemon_error, list_containers};
use crate::converge::observed::ObservedContainer;

/// The two forms of the command line.
const USAGE: &str = "berth cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH";

// Arguments of `berth cp`.
#[derive(Debug, Args)]
#[command(override_usage = USAGE)]
pub struct CpArgs {
    /// Include containers created by the run command.
    #[arg(long)]
    pub all: bool,
    /// Archive mode (copy all uid/gid information).
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH.
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Index of the container if service has multiple replicas.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub index: i64,
    // Counted in `run` rather than by clap, so that a wrong count fails as Compose's does
    // (exit 1, not clap's 2).
    /// The source then the destination: `SERVICE:PATH` on one side, a local path (or `-` for a
    /// tar stream on standard input or output) on the other.
    #[arg(value_name = "PATH", num_args = 0..)]
    pub paths: Vec<String>,
}

/// Which way a copy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    FromService,
    ToService,
}

/// What one copy needs besides the container.
struct Copy<'a> {
    engine: &'a Engine,
    source: &'a str,
    destination: &'a str,
    follow_link: bool,
    archive: bool,
    dry_run: bool,
    current_dir: &'a Path,
}

/// Runs `berth cp`.
///
/// # Errors
/// Compose's errors: no container, bad paths, the daemon's refusals.
pub fn run(cli: &Cli, args: &CpArgs) -> anyhow::Result<i32> {
    let [source, destination] = args.paths.as_slice() else {
        bail!(
            "'berth cp' requires 2 arguments\n\nUsage:  {USAGE}\n\nRun 'berth cp --help' for more information"
        );
    };
    if source.is_empty() {
        bail!("source can not be empty");
    }
    if destination.is_empty() {
        bail!("destination can not be empty");
    }
    let target = Target::resolve(cli, &[])?;
    let (source_service, source_path) = split_cp_arg(source);
    let (destination_service, destination_path) = split_cp_arg(destination);
    let (direction, service) = match (source_service, destination_service) {
        (Some(_), Some(_)) => bail!("copying between services is not supported"),
        (None, None) => bail!("unknown copy direction"),
        (Some(service), None) => (Direction::FromService, service),
        (None, Some(service)) => (Direction::ToService, service),
    };
    let current_dir = std::env::current_dir()?;
    let display = CopyDisplay::new(cli);
    block_on(async {
        let engine = connect().await?;
        let containers =
            containers_for_copy(&engine, &target.name, service, args, direction).await?;
        let copy = Copy {
            engine: &engine,
            source: source_path,
            destination: destination_path,
            follow_link: args.follow_link,
            archive: args.archive,
            dry_run: cli.dry_run,
            current_dir: &current_dir,
        };
        let mut receivers = (direction == Direction::ToService && source_path == "-")
            .then(|| fan_out_stdin(containers.len()));
        let copies = containers.iter().enumerate().map(|(position, container)| {
            let name = container.name();
            let text = match direction {
                Direction::FromService => {
                    format!("copy {name}:{source_path} to {destination_path}")
                }
                Direction::ToService => {
                    format!("copy {source_path} to {name}:{destination_path}")
                }
            };
            let input = receivers
                .as_mut()
                .and_then(|receivers| receivers.get_mut(position))
                .and_then(Option::take);
            let copy = &copy;
            let display = &display;
            async move {
                display.event(name, &text, EventStatus::Working, "Copying");
                match direction {
                    Direction::FromService => copy.copy_out(container).await?,
                    Direction::ToService => copy.copy_in(container, input).await?,
                }
                display.event(name, &text, EventStatus::Done, "Copied");
                anyhow::Ok(())
            }
        });
        let results = futures_util::future::join_all(copies).await;
        display.finish();
        results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
        Ok(())
    })?;
    Ok(0)
}

/// Splits `SERVICE:PATH` as `docker cp` does: an absolute path, a path without `:`, or one whose
/// part before the `:` starts with `.` (`./a:b`) is local.
#[must_use]
pub fn split_cp_arg(argument: &str) -> (Option<&str>, &str) {
    if argument.starts_with('/') {
        return (None, argument);
    }
    match argument.split_once(':') {
        Some((service, path)) if !service.starts_with('.') => (Some(service), path),
        _ => (None, argument),
    }
}

/// The containers a copy acts on, as Compose picks them: with `--index`, that replica (service
/// containers only, stopped ones too); otherwise every container of the service (one-offs too
/// with `--all`), of which a copy out of the service reads the first the daemon lists.
async fn containers_for_copy(
    engine: &Engine,
    project: &str,
    service: &str,
    args: &CpArgs,
    direction: Direction,
) -> anyhow::Result<Vec<ObservedContainer>> {
    let services = [service.to_owned()];
    if args.index > 0 {
        let mut containers = list_containers(engine, project, OneOff::Exclude, true, &services)
            .await?
            .into_iter()
            .filter(|container| i64::from(container.number()) == args.index)
            .collect::<Vec<_>>();
        containers.sort_by_key(|container| (container.is_one_off(), container.number()));
        return match containers.into_iter().next() {
            Some(container) => Ok(vec![container]),
            None => Err(anyhow!(
                "service {service:?} is not running container #{}",
                args.index
            )),
        };
    }
    let one_off = if args.all {
        OneOff::Include
    } else {
        OneOff::Exclude
    };
    let mut containers = list_containers(engine, project, one_off, true, &services).await?;
    if containers.is_empty() {
        bail!("no container found for service {service:?}");
    }
    if direction == Direction::FromService {
        containers.truncate(1);
    }
    Ok(containers)
}

impl Copy<'_> {
    /// Copies `SERVICE:SRC` out of `container` to a local path or standard output.
    async fn copy_out(&self, container: &ObservedContainer) -> anyhow::Result<()> {
        let id = container.id();
        let destination = if self.destination == "-" {
            "-".to_owned()
        } else {
            resolve_local_path(self.destination, self.current_dir)
        };
        validate_output_path(&destination)?;

        let mut source = self.source.to_owned();
        let mut rebase_name = None;
        if self.follow_link
            && let Ok(stat) = self.engine.stat_container_path(id, &source).await
            && stat.is_symlink()
        {
            let target = link_target(&source, &stat.link_target);
            (source, rebase_name) = paths::rebase_name(&source, &target);
        }

        if self.dry_run {
            if self.engine.stat_container_path(id, &source).await.is_err() {
                bail!(
                    "{} Could not find the file {source} in container {id}",
                    crate::progress::DRY_RUN_PREFIX
                );
            }
            return Ok(());
        }
        // Stat before the download: the daemon holds the container's lock until an archive has
        // been read to the end, so a stat sent meanwhile would wait forever. A failed stat is
        // reported by the download, in the daemon's words (a HEAD answer has no message).
        let stat = self.engine.stat_container_path(id, &source).await;
        let mut stream = self
            .engine
            .download_archive(id, &source)
            .await
            .map_err(daemon_error)?;
        if destination == "-" {
            let mut stdout = tokio::io::stdout();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(daemon_error)?;
                match stdout.write_all(&chunk).await {
                    Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                    other => other?,
                }
            }
            stdout.flush().await?;
            return Ok(());
        }
        let stat = stat.map_err(daemon_error)?;
        let source_info = CopyInfo {
            path: source.clone(),
            exists: true,
            is_dir: stat.is_dir(),
            rebase_name: rebase_name.clone(),
        };
        let mut rebases = Vec::new();
        if let Some(name) = rebase_name {
            rebases.push(Rebase {
                from: paths::split_path_dir_entry(&source).1,
                to: name,
            });
        }
        let destination_info = copy_info_destination_path(&destination)?;
        let placement = paths::place(&source_info, &destination_info)?;
        rebases.extend(placement.rebase);
        match archive::extract(stream, placement.extract_dir, rebases).await {
            Ok(()) => Ok(()),
            Err(ExtractError::Engine(error)) => Err(daemon_error(error)),
            Err(ExtractError::Local(error)) => Err(error.into()),
        }
    }

    /// Copies a local path (or the tar on standard input, `input`) into `SERVICE:DEST` of
    /// `container`.
    async fn copy_in(
        &self,
        container: &ObservedContainer,
        input: Option<ArchiveReceiver>,
    ) -> anyhow::Result<()> {
        let id = container.id();
        let source = if self.source == "-" {
            "-".to_owned()
        } else {
            resolve_local_path(self.source, self.current_dir)
        };

        let mut destination = CopyInfo {
            path: self.destination.to_owned(),
            ..CopyInfo::default()
        };
        let mut stat = self.engine.stat_container_path(id, self.destination).await;
        if let Ok(found) = &stat
            && found.is_symlink()
        {
            destination.path = link_target(self.destination, &found.link_target);
            stat = self.engine.stat_container_path(id, &destination.path).await;
        }
        if let Ok(found) = &stat {
            if let Some(reason) = found.unwritable_reason() {
                bail!(
                    "destination \"{id}:{}\" must be a directory or a regular file: {reason}",
                    self.destination
                );
            }
            destination.exists = true;
            destination.is_dir = found.is_dir();
        }

        if source == "-" {
            if !destination.is_dir {
                bail!(
                    "destination \"{id}:{}\" must be a directory",
                    self.destination
                );
            }
            let Some(input) = input else {
                return Ok(());
            };
            if self.dry_run {
                return Ok(());
            }
            return self
                .engine
                .upload_archive(
                    id,
                    &destination.path,
                    self.archive,
                    archive::channel_stream(input),
                )
                .await
                .map_err(daemon_error);
        }

        let source = copy_info_source_path(&source, self.follow_link)?;
        let placement = paths::place(&source, &destination)?;
        let archived_name = source
            .rebase_name
            .clone()
            .unwrap_or_else(|| paths::split_path_dir_entry(&source.path).1);
        let root_name = placement
            .rebase
            .as_ref()
            .map_or(archived_name, |rebase| rebase.to.clone());
        if self.dry_run {
            return Ok(());
        }
        let (stream, packing) = archive::pack_stream(source.path.clone().into(), root_name);
        let uploaded = self
            .engine
            .upload_archive(id, &placement.extract_dir, self.archive, stream)
            .await;
        // A local failure (an unreadable file) explains a failed upload better than the broken
        // request does; a refusal by the daemon ends the request, which stops the packer with a
        // broken pipe, and then the daemon's words are the ones to show.
        match (packing.await?, uploaded) {
            (Err(error), _) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
            (_, Err(error)) => Err(daemon_error(error)),
            (Err(error), Ok(())) => Err(error.into()),
            (Ok(()), Ok(())) => Ok(()),
        }
    }
}

/// A symlink's target as a path in the container: relative targets are taken from the link's
/// directory.
fn link_target(link: &str, target: &str) -> String {
    if target.starts_with('/') {
        target.to_owned()
    } else {
        paths::join(&paths::split_path_dir_entry(link).0, target)
    }
}

/// `path` made absolute against `current_dir`, keeping a trailing `/` or `/.` (Docker's
/// `resolveLocalPath`).
fn resolve_local_path(path: &str, current_dir: &Path) -> String {
    let absolute = if path.starts_with('/') {
        paths::clean(path)
    } else {
        paths::join(&current_dir.to_string_lossy(), path)
    };
    paths::preserve_trailing_dot_or_separator(&absolute, path)
}

/// Docker's `ValidateOutputPath`: the destination's directory must exist, and the destination,
/// when it exists, must not be a device.
fn validate_output_path(path: &str) -> anyhow::Result<()> {
    let directory = paths::dir(&paths::clean(path));
    if !directory.is_empty()
        && directory != "."
        && std::fs::metadata(&directory)
            .is_err_and(|error| error.kind() == std::io::ErrorKind::NotFound)
    {
        bail!("invalid output path: directory {directory:?} does not exist");
    }
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(with_path(error, "stat", Path::new(path)).into()),
        Ok(metadata) => {
            use std::os::unix::fs::FileTypeExt as _;
            let kind = metadata.file_type();
            if kind.is_block_device() || kind.is_char_device() {
                bail!(
                    "invalid output path: {path:?} must be a directory or a regular file: got a device"
                );
            }
            Ok(())
        }
    }
}

/// The local source of a copy into a container (moby's `CopyInfoSourcePath`): symlinks in its
/// directories are resolved, the last element is followed only with `-L`.
fn copy_info_source_path(path: &str, follow_link: bool) -> anyhow::Result<CopyInfo> {
    let (resolved, rebase_name) = if follow_link {
        let resolved = eval_symlinks(path)?;
        paths::rebase_name(path, &resolved)
    } else {
        let split = path.rfind('/').map_or(0, |index| index + 1);
        let (directory, base) = path.split_at(split);
        let resolved = format!("{}/{base}", eval_symlinks(directory)?);
        let rebase = (paths::has_trailing_separator(path)
            && paths::base(path) != paths::base(&resolved))
        .then(|| paths::base(path));
        (resolved, rebase)
    };
    let metadata = std::fs::symlink_metadata(&resolved)
        .map_err(|error| with_path(error, "lstat", Path::new(&resolved)))?;
    Ok(CopyInfo {
        path: resolved,
        exists: true,
        is_dir: metadata.is_dir(),
        rebase_name,
    })
}

/// Go's `filepath.EvalSymlinks`: `path` with every symlink resolved; a missing element fails
/// as `lstat <element>: no such file or directory`.
fn eval_symlinks(path: &str) -> anyhow::Result<String> {
    let path = if path.is_empty() { "." } else { path };
    match std::fs::canonicalize(path) {
        Ok(resolved) => Ok(resolved.to_string_lossy().into_owned()),
        Err(error) => {
            let cleaned = paths::clean(path);
            let mut prefix = String::new();
            for element in cleaned.split('/').filter(|element| !element.is_empty()) {
                prefix.push('/');
                prefix.push_str(element);
                if let Err(error) = std::fs::symlink_metadata(&prefix) {
                    return Err(with_path(error, "lstat", Path::new(&prefix)).into());
                }
            }
            Err(with_path(error, "lstat", Path::new(&cleaned)).into())
        }
    }
}

/// The local destination of a copy out of a container (moby's `CopyInfoDestinationPath`):
/// symlinks are followed (ten at most); a missing destination needs an existing parent.
fn copy_info_destination_path(path: &str) -> anyhow::Result<CopyInfo> {
    let original = path;
    let mut path = path.to_owned();
    let mut metadata = std::fs::symlink_metadata(&path);
    let mut followed = 0;
    while let Ok(found) = &metadata
        && found.file_type().is_symlink()
    {
        if followed > 10 {
            bail!("too many symlinks in {original}");
        }
        followed += 1;
        let target = std::fs::read_link(&path)
            .map_err(|error| with_path(error, "readlink", Path::new(&path)))?;
        let target = target.to_string_lossy();
        path = if target.starts_with('/') {
            target.into_owned()
        } else {
            paths::join(&paths::split_path_dir_entry(&path).0, &target)
        };
        metadata = std::fs::symlink_metadata(&path);
    }
    match metadata {
        Ok(found) => Ok(CopyInfo {
            path,
            exists: true,
            is_dir: found.is_dir(),
            rebase_name: None,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let parent = paths::split_path_dir_entry(&path).0;
            let parent_metadata = std::fs::metadata(&parent)
                .map_err(|error| with_path(error, "stat", Path::new(&parent)))?;
            if !parent_metadata.is_dir() {
                bail!("not a directory");
            }
            Ok(CopyInfo {
                path,
                ..CopyInfo::default()
            })
        }
        Err(error) => Err(with_path(error, "lstat", Path::new(&path)).into()),
    }
}

/// Reads standard input once and hands each chunk to every container's upload, so that a tar on
/// standard input reaches all replicas (Compose gives it to the first and fails the others) with
/// a few chunks in flight per container.
fn fan_out_stdin(count: usize) -> Vec<Option<ArchiveReceiver>> {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..count)
        .map(|_| tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4))
        .unzip();
    // Detached: it ends with standard input, or when every upload has stopped reading.
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
        loop {
            let mut buffer = vec![0; 64 * 1024];
            let chunk = match stdin.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => {
                    buffer.truncate(read);
                    Ok(Bytes::from(buffer))
                }
                Err(error) => Err(error),
            };
            let failed = chunk.is_err();
            for slot in &mut senders {
                if let Some(sender) = slot {
                    let item = match &chunk {
                        Ok(bytes) => Ok(bytes.clone()),
                        Err(error) => Err(std::io::Error::new(error.kind(), error.to_string())),
                    };
                    if sender.send(item).await.is_err() {
                        *slot = None;
                    }
                }
            }
            if failed || senders.iter().all(Option::is_none) {
                break;
            }
        }
    });
    receivers.into_iter().map(Some).collect()
}

/// The receiving end of one container's share of standard input.
type ArchiveReceiver = tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>;

/// Compose's progress for `cp`: `copy SRC to DEST` after the container's name.
enum CopyDisplay {
    Tty(crate::progress::Progress),
    Plain { dry_run: bool },
    Json { dry_run: bool },
    Quiet,
}

impl CopyDisplay {
    fn new(cli: &Cli) -> Self {
        let mode = crate::progress::Mode::from_flag(cli.progress.as_deref());
        match mode.resolve(&cli.ansi, std::io::stderr().is_terminal()) {
            Ok(crate::progress::Renderer::Tty) => {
                Self::Tty(crate::progress::Progress::for_command("Copying"))
            }
            Ok(crate::progress::Renderer::Json) => Self::Json {
                dry_run: cli.dry_run,
            },
            Ok(crate::progress::Renderer::Quiet) => Self::Quiet,
            _ => Self::Plain {
                dry_run: cli.dry_run,
            },
        }
    }

    fn event(&self, id: &str, text: &str, status: EventStatus, word: &str) {
        match self {
            Self::Tty(progress) => progress.event(berth_engine::Event {
                resource: format!("{id} {text}"),
                status,
                text: word.to_owned(),
            }),
            Self::Plain { dry_run } => {
                let prefix = if *dry_run {
                    crate::progress::DRY_RUN_PREFIX
                } else {
                    ""
                };
                let _ = writeln!(std::io::stderr(), "{prefix} {id} {text} {word}");
            }
            Self::Json { dry_run } => {
                let mut line = String::from("{");
                if *dry_run {
                    line.push_str("\"dry-run\":true,");
                }
                line.push_str("\"id\":");
                crate::output::write_json_string(&mut line, id);
                line.push_str(",\"text\":");
                crate::output::write_json_string(&mut line, text);
                line.push_str(",\"status\":");
                crate::output::write_json_string(&mut line, word);
                line.push('}');
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            Self::Quiet => {}
        }
    }

    fn finish(&self) {
        if let Self::Tty(progress) = self {
            progress.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_and_local_arguments_split_as_docker_cp_does() {
        assert_eq!(split_cp_arg("web:/tmp/x"), (Some("web"), "/tmp/x"));
        assert_eq!(split_cp_arg("web:"), (Some("web"), ""));
        assert_eq!(split_cp_arg("file.txt"), (None, "file.txt"));
        assert_eq!(split_cp_arg("./a:b"), (None, "./a:b"));
        assert_eq!(split_cp_arg("/abs/a:b"), (None, "/abs/a:b"));
        assert_eq!(split_cp_arg("-"), (None, "-"));
        assert_eq!(split_cp_arg("web:rel/path"), (Some("web"), "rel/path"));
    }

    #[test]
    fn local_paths_become_absolute_and_keep_their_assertions() {
        let cwd = Path::new("/work/p");
        assert_eq!(resolve_local_path("out", cwd), "/work/p/out");
        assert_eq!(resolve_local_path("out/", cwd), "/work/p/out/");
        assert_eq!(resolve_local_path("out/.", cwd), "/work/p/out/.");
        assert_eq!(resolve_local_path(".", cwd), "/work/p/.");
        assert_eq!(resolve_local_path("/x/../y/", cwd), "/y/");
    }

    #[test]
    fn relative_link_targets_start_from_the_link_directory() {
        assert_eq!(link_target("/a/b/link", "target"), "/a/b/target");
        assert_eq!(link_target("/a/b/link", "../t"), "/a/t");
        assert_eq!(link_target("/a/link", "/abs"), "/abs");
    }

    #[test]
    fn a_missing_output_directory_is_named() {
        let error = validate_output_path("/nonexistent-berth/dir/file").expect_err("missing");
        assert_eq!(
            error.to_string(),
            "invalid output path: directory \"/nonexistent-berth/dir\" does not exist"
        );
        assert!(validate_output_path("/tmp/x").is_ok());
        let error = validate_output_path("/dev/null").expect_err("device");
        assert!(error.to_string().ends_with("got a device"), "{error}");
    }
}
