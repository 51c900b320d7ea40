//! `berth build`: builds the selected services' images as `docker compose build` v2.40.3 does,
//! through the daemon's `/build` endpoint: image names `<project>-<service>` when a service has no
//! `image`, `build.tags` added, Compose's labels, build arguments resolved from the project
//! environment. Unlike Compose, services that share an image are built once, independent builds
//! run in parallel (bounded by `--parallel`/`COMPOSE_PARALLEL_LIMIT`), and a failed build does not
//! stop the others: every outcome is reported. `up`, `create` and `run` build through
//! [`build_services`] too.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use berth_engine::build::context::ContextSpec;
use berth_engine::build::session::{Secret, SecretSource, SessionConfig, SshSource};
use berth_engine::build::{BuildRequest, Builder, Ulimit};
use berth_engine::{Event, EventStatus, Reporter as _};
use clap::Args;
use futures_util::future::join_all;
use tokio::sync::Semaphore;

use super::Cli;
use super::context::{Session, block_on};
use super::target::Target;
use super::up::image_reference;
use crate::loader::Loaded;
use crate::model::{BuildConfig, ServiceConfig};

// Arguments of `berth build`.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is an independent switch of `build`"
)]
pub struct BuildArgs {
    /// Push service images.
    #[arg(long)]
    pub push: bool,
    /// Suppress the build output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Always attempt to pull a newer version of the image.
    #[arg(long)]
    pub pull: bool,
    /// Set build-time variables for services.
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]")]
    pub build_arg: Vec<String>,
    /// Also build dependencies (transitively).
    #[arg(long)]
    pub with_dependencies: bool,
    /// Do not use cache when building the image.
    #[arg(long)]
    pub no_cache: bool,
    /// Print equivalent bake file.
    #[arg(long)]
    pub print: bool,
    /// Set SSH authentications used when building service images. (use 'default' for using
    /// your default SSH Agent)
    #[arg(long, num_args = 0..=1, default_missing_value = "default", value_name = "ID[=PATH]")]
    pub ssh: Option<String>,
    /// Set memory limit for the build container. Not supported by BuildKit.
    #[arg(short = 'm', long, value_name = "BYTES")]
    pub memory: Option<String>,
    /// Compress the build context using gzip. DEPRECATED
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub compress: Option<String>,
    /// Always remove intermediate containers. DEPRECATED
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub force_rm: Option<String>,
    /// Do not remove intermediate containers after a successful build. DEPRECATED
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub no_rm: Option<String>,
    /// Services to build (default: all that have a `build` section).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// How one round of builds runs: `build`'s flags, or `up --build`'s defaults.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`.
    pub pull: bool,
    /// `-q`: no build output, no progress.
    pub quiet: bool,
    /// `--build-arg` entries (`KEY=VALUE`, or `KEY` taken from the project environment).
    pub args: Vec<String>,
    /// `-m`: memory limit of the classic builder's RUN containers, in bytes.
    pub memory: Option<i64>,
    /// Most builds at once (`--parallel`); `None` for no limit.
    pub parallel: Option<usize>,
    /// `--ssh`: SSH agents or keys for every build, added to each service's `build.ssh`.
    pub ssh: Vec<crate::model::SshKey>,
}

/// Runs `berth build`.
///
/// # Errors
/// Loading errors, unknown services, bad flags; a failed build is reported and its step's exit
/// code returned.
pub fn run(cli: &Cli, args: &BuildArgs) -> anyhow::Result<i32> {
    let target = Target::load(cli, &args.services)?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    let project = &loaded.project;
    let names = super::pull::selected(project, &args.services, args.with_dependencies)?;
    let names: Vec<String> = with_context_services(project, names)
        .into_iter()
        .filter(|name| project.services[name.as_str()].build.is_some())
        .collect();
    let options = BuildOptions {
        no_cache: args.no_cache,
        pull: args.pull,
        quiet: args.quiet,
        args: args.build_arg.clone(),
        memory: args.memory.as_deref().map(parse_memory).transpose()?,
        parallel: cli.parallel_limit(),
        ssh: args
            .ssh
            .as_deref()
            .map(parse_ssh)
            .transpose()?
            .into_iter()
            .collect(),
    };
    if args.print {
        // Compose keeps the named services and their dependencies as targets; the default group
        // is what is built.
        let targets = with_context_services(
            project,
            super::pull::selected(project, &args.services, true)?,
        );
        let mut out =
            crate::output::json_pretty(&bake_file(loaded, &targets, &names, &options)?, "  ");
        out.push('\n');
        std::io::stdout().write_all(out.as_bytes())?;
        return Ok(0);
    }
    block_on(async {
        let session = Session::open_titled("Building").await?;
        let builder = session
            .engine
            .checked(session.engine.default_builder())
            .await?;
        let built = build_services(&session, loaded, &names, &options, builder).await;
        session.progress.finish();
        match built {
            Ok(_) if args.push => {
                let pushed =
                    super::push::push_services(&session, project, &names, args.quiet, false).await;
                session.progress.finish();
                pushed.map(|()| 0)
            }
            Ok(_) => Ok(0),
            // `main` exits with the failed step's code.
            Err(failed) => Err(failed.into()),
        }
    })
}

/// `names` with the services their `additional_contexts` name as `service:<name>`, transitively
/// (Compose's `addBuildDependencies`), in the files' order.
fn with_context_services(project: &crate::model::Project, names: Vec<String>) -> Vec<String> {
    let mut wanted: std::collections::HashSet<String> = names.into_iter().collect();
    let mut pending: Vec<String> = wanted.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let Some(build) = project
            .services
            .get(&name)
            .and_then(|service| service.build.as_ref())
        else {
            continue;
        };
        for context in build.additional_contexts.0.values() {
            if let Some(service) = context.strip_prefix("service:")
                && project.services.contains_key(service)
                && wanted.insert(service.to_owned())
            {
                pending.push(service.to_owned());
            }
        }
    }
    project
        .services
        .keys()
        .filter(|name| wanted.contains(*name))
        .cloned()
        .collect()
}

/// Builds that failed, each with its service and message; the exit code is the first failed
/// step's, as Compose's.
#[derive(Debug)]
pub struct BuildFailed {
    /// `(service, message, code)` per failed build, in the files' order.
    pub failures: Vec<(String, String, i32)>,
}

impl BuildFailed {
    /// The exit code `build` ends with.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        self.failures.first().map_or(1, |(_, _, code)| *code)
    }
}

impl std::fmt::Display for BuildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .failures
            .iter()
            .map(|(service, message, _)| format!("service {service:?} failed to build: {message}"))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for BuildFailed {}

/// Builds the images of `services` (those with a `build` section; others are skipped), one build
/// per image, independent builds in parallel. Returns each built service's image ID (the services
/// sharing an image get the same one).
///
/// # Errors
/// Every failed build, after all builds ended.
pub async fn build_services(
    session: &Session,
    loaded: &Loaded,
    services: &[String],
    options: &BuildOptions,
    builder: Builder,
) -> Result<HashMap<String, String>, BuildFailed> {
    let project = &loaded.project;
    // One build per image: the first service (in the files' order) builds it for all.
    let mut by_image: Vec<(String, Vec<String>)> = Vec::new();
    for (name, service) in &project.services {
        if service.build.is_none() || !services.contains(name) {
            continue;
        }
        let reference = image_reference(project, service);
        match by_image.iter_mut().find(|(image, _)| *image == reference) {
            Some((_, names)) => names.push(name.clone()),
            None => by_image.push((reference, vec![name.clone()])),
        }
    }
    if by_image.is_empty() {
        return Ok(HashMap::new());
    }
    for (image, names) in &by_image {
        let first = &project.services[names[0].as_str()].build;
        for other in &names[1..] {
            if project.services[other.as_str()].build != *first {
                session.progress.warning(&format!(
                    "services {:?} and {other:?} share the image {image:?} but build it differently: building {:?}'s",
                    names[0], names[0]
                ));
            }
        }
    }
    let output = BuildOutput::new(by_image.len() > 1, options.quiet);
    let limit = Arc::new(Semaphore::new(
        options.parallel.unwrap_or(Semaphore::MAX_PERMITS),
    ));
    let jobs = by_image.iter().map(|(image, names)| {
        let limit = Arc::clone(&limit);
        let output = output.clone();
        async move {
            let name = &names[0];
            let service = &project.services[name.as_str()];
            let resource = format!("Service {name}");
            let mut request = match build_request(loaded, service, options, builder) {
                Ok(request) => request,
                Err(error) => return (names, Err((format!("{error:#}"), 1))),
            };
            let _permit = limit.acquire().await;
            // BuildKit builds get a session: secrets, SSH agents, registry credentials.
            let build_session = if builder == Builder::BuildKit {
                let started = match session_config(loaded, service, options) {
                    Ok(config) => session
                        .engine
                        .start_build_session(&config)
                        .await
                        .map_err(|error| anyhow::anyhow!("starting a BuildKit session: {error}")),
                    Err(error) => Err(error),
                };
                match started {
                    Ok(started) => {
                        request.session = Some(started.id().to_owned());
                        Some(started)
                    }
                    Err(error) => return (names, Err((format!("{error:#}"), 1))),
                }
            } else {
                None
            };
            if !options.quiet {
                session.progress.event(Event {
                    resource: resource.clone(),
                    status: EventStatus::Working,
                    text: "Building".to_owned(),
                });
            }
            let mut lines = output.for_service(name, &session.progress);
            let built = session
                .engine
                .checked(session.engine.build_image(request, |text| lines.push(text)))
                .await;
            lines.flush();
            if let Some(build_session) = build_session {
                build_session.close().await;
            }
            match built {
                Ok(id) => {
                    if !options.quiet {
                        session.progress.event(Event {
                            resource,
                            status: EventStatus::Done,
                            text: "Built".to_owned(),
                        });
                    }
                    (names, Ok(id))
                }
                Err(error) => {
                    let code = match &error {
                        berth_engine::EngineError::Daemon { status, .. } => i32::from(*status),
                        _ => 1,
                    };
                    let message = match &error {
                        berth_engine::EngineError::Daemon { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    session.progress.event(Event {
                        resource,
                        status: EventStatus::Error,
                        text: message.clone(),
                    });
                    (
                        names,
                        Err((format!("building image {image:?}: {message}"), code)),
                    )
                }
            }
        }
    });
    let results = join_all(jobs).await;
    let mut ids = HashMap::new();
    let mut failures = Vec::new();
    for (names, result) in results {
        match result {
            Ok(id) => {
                for name in names {
                    ids.insert(name.clone(), id.clone());
                }
            }
            Err((message, code)) => failures.push((names[0].clone(), message, code)),
        }
    }
    if failures.is_empty() {
        Ok(ids)
    } else {
        Err(BuildFailed { failures })
    }
}

/// The build of one service as the engine takes it.
///
/// # Errors
/// What the Engine API's `/build` cannot carry (additional contexts, several platforms,
/// privileged builds; secrets and SSH under the classic builder), a context directory or a
/// Dockerfile that is not there.
pub fn build_request(
    loaded: &Loaded,
    service: &ServiceConfig,
    options: &BuildOptions,
    builder: Builder,
) -> anyhow::Result<BuildRequest> {
    let name = &service.name;
    let project = &loaded.project;
    let build = service
        .build
        .as_ref()
        .with_context(|| format!("service {name:?} has no build section"))?;
    refuse_unsupported(name, build, options, builder)?;
    let remote = is_remote(&build.context).then(|| build.context.clone());
    let context_dir = match &remote {
        // The daemon fetches a git repository or a URL itself; the Dockerfile is named inside it.
        Some(_) => loaded.working_dir.clone(),
        None => context_dir(loaded, build),
    };
    let (dockerfile, inline) = match &remote {
        Some(url) if !build.dockerfile_inline.is_empty() => bail!(
            "service {name:?}: build.dockerfile_inline cannot be used with the remote context {url:?}"
        ),
        Some(_) => (
            non_empty(&build.dockerfile).unwrap_or_else(|| "Dockerfile".to_owned()),
            None,
        ),
        None => {
            if !context_dir.is_dir() {
                bail!(
                    "service {name:?}: build context {:?} is not a directory",
                    context_dir.display()
                );
            }
            dockerfile(name, &context_dir, build)?
        }
    };
    let mut labels: HashMap<String, String> = build
        .labels
        .0
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    match builder {
        Builder::Classic => {
            labels.insert(
                "com.docker.compose.image.builder".to_owned(),
                "classic".to_owned(),
            );
        }
        Builder::BuildKit => labels.extend(compose_labels(&project.name, name)),
    }
    let mut tags = vec![image_reference(project, service)];
    tags.extend(build.tags.0.iter().cloned());
    let shm_size = match build.shm_size.0 {
        0 => None,
        size => Some(i32::try_from(size).map_err(|_| {
            anyhow::anyhow!(
                "service {name:?}: build.shm_size {size} is more than the Engine API takes (2 GiB)"
            )
        })?),
    };
    Ok(BuildRequest {
        context: ContextSpec {
            dir: context_dir,
            dockerfile,
            inline,
            ignore_files: builder.ignore_files(),
        },
        tags,
        args: build_args(loaded, build, &options.args)
            .into_iter()
            .collect(),
        labels,
        target: non_empty(&build.target),
        network: non_empty(&build.network),
        extra_hosts: extra_hosts(build),
        shm_size,
        cache_from: build.cache_from.0.clone(),
        no_cache: build.no_cache || options.no_cache,
        pull: build.pull || options.pull,
        platform: platform(loaded, service)?,
        builder,
        ulimits: build
            .ulimits
            .iter()
            .map(|(name, limit)| Ulimit {
                name: name.clone(),
                soft: if limit.soft == 0 {
                    limit.single
                } else {
                    limit.soft
                },
                hard: if limit.hard == 0 {
                    limit.single
                } else {
                    limit.hard
                },
            })
            .collect(),
        isolation: non_empty(&build.isolation),
        session: None,
        remote,
    })
}

/// Clear refusals of what `/build` cannot carry without a BuildKit session.
fn refuse_unsupported(
    name: &str,
    build: &BuildConfig,
    options: &BuildOptions,
    builder: Builder,
) -> anyhow::Result<()> {
    // Compose's words for what the classic builder cannot do.
    if builder == Builder::Classic {
        let buildkit_only = [
            ("secrets", !build.secrets.is_empty()),
            (
                "SSH keys",
                !build.ssh.0.is_empty() || !options.ssh.is_empty(),
            ),
        ];
        if let Some((what, _)) = buildkit_only.iter().find(|(_, used)| *used) {
            bail!(
                "service {name:?}: the classic builder doesn't support {what}, set DOCKER_BUILDKIT=1 to use BuildKit"
            );
        }
    }
    let buildx_only = [
        (
            "additional_contexts",
            !build.additional_contexts.0.is_empty(),
        ),
        ("privileged", build.privileged),
        ("entitlements", !build.entitlements.is_empty()),
    ];
    if let Some((field, _)) = buildx_only.iter().find(|(_, used)| *used) {
        bail!(
            "service {name:?}: build.{field} needs buildx; berth builds through the Engine API's /build endpoint, which cannot carry it"
        );
    }
    if build.platforms.0.len() > 1 {
        bail!(
            "service {name:?}: build.platforms lists {} platforms; the Engine API builds one platform at a time (a multi-platform image needs buildx)",
            build.platforms.0.len()
        );
    }
    Ok(())
}

/// The context directory, absolute.
fn context_dir(loaded: &Loaded, build: &BuildConfig) -> PathBuf {
    let context = if build.context.is_empty() {
        "."
    } else {
        build.context.as_str()
    };
    let path = Path::new(context);
    if path.is_absolute() {
        path.to_owned()
    } else {
        loaded.working_dir.join(path)
    }
}

/// A git repository rather than a URL to download, as the Docker CLI's `urlutil.IsGitURL`.
fn is_git(context: &str) -> bool {
    context.starts_with("git://")
        || context.starts_with("git@")
        || context.starts_with("github.com/")
        || ((context.starts_with("http://") || context.starts_with("https://"))
            && (context.ends_with(".git") || context.contains(".git#")))
}

/// `dir` and `name` joined and cleaned of repeated slashes, as Go's `filepath.Join` does.
fn go_clean_join(dir: &str, name: &str) -> String {
    let joined = format!("{dir}/{name}");
    let mut out = String::with_capacity(joined.len());
    for character in joined.chars() {
        if character == '/' && out.ends_with('/') {
            continue;
        }
        out.push(character);
    }
    out
}

/// Git and URL contexts, as the Docker CLI's `DetectContextType` tells them: the daemon fetches
/// them (`github.com/…` is a git repository over HTTPS).
fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// The Dockerfile as the context stream names it (relative to the context), or its text when it
/// is inline or lies outside the context (sent inside the stream, as the Docker CLI does).
fn dockerfile(
    name: &str,
    context_dir: &Path,
    build: &BuildConfig,
) -> anyhow::Result<(String, Option<String>)> {
    if !build.dockerfile_inline.is_empty() {
        return Ok((
            "Dockerfile".to_owned(),
            Some(build.dockerfile_inline.clone()),
        ));
    }
    let given = if build.dockerfile.is_empty() {
        "Dockerfile"
    } else {
        build.dockerfile.as_str()
    };
    let path = if Path::new(given).is_absolute() {
        PathBuf::from(given)
    } else {
        context_dir.join(given)
    };
    if !path.is_file() {
        bail!(
            "service {name:?}: the Dockerfile {:?} does not exist",
            path.display()
        );
    }
    let canonical_context = context_dir
        .canonicalize()
        .unwrap_or_else(|_| context_dir.to_owned());
    let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
    match canonical.strip_prefix(&canonical_context) {
        Ok(relative) => Ok((relative.to_string_lossy().replace('\\', "/"), None)),
        Err(_) => {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "service {name:?}: unable to open Dockerfile {:?}",
                    path.display()
                )
            })?;
            Ok(("Dockerfile".to_owned(), Some(text)))
        }
    }
}

/// Compose's `resolveAndMergeBuildArgs`: `build.args`, overridden by `--build-arg`, names without
/// a value taken from the project environment (and left out when it has none).
fn build_args(loaded: &Loaded, build: &BuildConfig, flags: &[String]) -> BTreeMap<String, String> {
    let mut merged: Vec<(String, Option<String>)> = build
        .args
        .0
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    for flag in flags {
        let (key, value) = match flag.split_once('=') {
            Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
            None => (flag.clone(), None),
        };
        match merged.iter_mut().find(|(existing, _)| *existing == key) {
            Some(entry) => entry.1 = value,
            None => merged.push((key, value)),
        }
    }
    merged
        .into_iter()
        .filter_map(|(key, value)| {
            let value = value.or_else(|| loaded.environment.get(&key).cloned())?;
            Some((key, value))
        })
        .collect()
}

/// `host:ip` entries, one per address, as Compose's `HostsList.AsList(":")`.
fn extra_hosts(build: &BuildConfig) -> Vec<String> {
    build
        .extra_hosts
        .0
        .iter()
        .flat_map(|(host, addresses)| {
            addresses
                .iter()
                .map(move |address| format!("{host}:{address}"))
        })
        .collect()
}

/// The platform built for: `build.platforms`' one entry, else the service's `platform`, else
/// `DOCKER_DEFAULT_PLATFORM` (Compose's `applyPlatforms`).
fn platform(loaded: &Loaded, service: &ServiceConfig) -> anyhow::Result<Option<String>> {
    let build = service.build.as_ref().expect("a building service");
    let mut wanted = non_empty(&service.platform);
    if wanted.is_none()
        && let Some(default) = loaded
            .environment
            .get("DOCKER_DEFAULT_PLATFORM")
            .filter(|value| !value.is_empty())
    {
        if !build.platforms.0.is_empty() && !build.platforms.0.contains(default) {
            bail!(
                "service {:?} build.platforms does not support value set by DOCKER_DEFAULT_PLATFORM: {default}",
                service.name
            );
        }
        wanted = Some(default.clone());
    }
    if let Some(platform) = &wanted
        && !build.platforms.0.is_empty()
        && !build.platforms.0.contains(platform)
    {
        bail!(
            "service {:?} build configuration does not support platform: {platform}",
            service.name
        );
    }
    Ok(wanted.or_else(|| build.platforms.0.first().cloned()))
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// The labels BuildKit builds get from Compose (`getImageBuildLabels`).
fn compose_labels(project: &str, service: &str) -> [(String, String); 3] {
    [
        (
            berth_engine::labels::VERSION.to_owned(),
            berth_engine::labels::COMPOSE_VERSION.to_owned(),
        ),
        (berth_engine::labels::PROJECT.to_owned(), project.to_owned()),
        (berth_engine::labels::SERVICE.to_owned(), service.to_owned()),
    ]
}

/// `-m`: a size as the Docker CLI's `MemBytes` reads it (`512m`, `1g`, bytes).
fn parse_memory(text: &str) -> anyhow::Result<i64> {
    crate::model::UnitBytes::parse(text)
        .map(|bytes| bytes.0)
        .map_err(|_| {
            anyhow::anyhow!(
                "invalid argument {text:?} for \"-m, --memory\" flag: invalid size: {text:?}"
            )
        })
}

/// `--ssh ID[=PATH]` as Compose reads it: only `default` may go without a path.
fn parse_ssh(text: &str) -> anyhow::Result<crate::model::SshKey> {
    let (id, path) = text.split_once('=').unwrap_or((text, ""));
    if !text.contains('=') && id != "default" {
        bail!("invalid ssh key {text:?}");
    }
    Ok(crate::model::SshKey {
        id: id.to_owned(),
        path: path.to_owned(),
    })
}

/// The BuildKit session a build needs: its secrets, SSH agents and the CLI's registry
/// credentials (so BuildKit can pull from registries that ask for them).
///
/// # Errors
/// A secret that is neither a file nor an environment variable, or whose variable is not set.
fn session_config(
    loaded: &Loaded,
    service: &ServiceConfig,
    options: &BuildOptions,
) -> anyhow::Result<SessionConfig> {
    let name = &service.name;
    let build = service.build.as_ref().expect("a building service");
    let mut secrets = Vec::new();
    for reference in &build.secrets {
        let definition = loaded
            .project
            .secrets
            .get(&reference.source)
            .with_context(|| {
                format!(
                    "service {name:?}: build secret {:?} is not defined",
                    reference.source
                )
            })?;
        let id = if reference.target.is_empty() {
            reference.source.clone()
        } else {
            reference.target.clone()
        };
        let source = if !definition.0.file.is_empty() {
            SecretSource::File(loaded.working_dir.join(&definition.0.file))
        } else if !definition.0.environment.is_empty() {
            let value = loaded
                .environment
                .get(&definition.0.environment)
                .with_context(|| {
                    format!(
                        "service {name:?}: build secret {:?} reads the environment variable {}, which is not set",
                        reference.source, definition.0.environment
                    )
                })?;
            SecretSource::Bytes(value.clone().into_bytes())
        } else {
            bail!(
                "service {name:?}: build.secrets only supports environment or file-based secrets: {:?}",
                reference.source
            );
        };
        secrets.push(Secret { id, source });
    }
    let ssh = build
        .ssh
        .0
        .iter()
        .chain(&options.ssh)
        .map(|key| SshSource {
            id: key.id.clone(),
            paths: if key.path.is_empty() {
                Vec::new()
            } else {
                vec![loaded.working_dir.join(&key.path)]
            },
        })
        .collect();
    Ok(SessionConfig {
        name: name.clone(),
        shared_key: name.clone(),
        secrets,
        ssh,
        auth: true,
        docker_config: None,
    })
}

/// `--print`: the bake file Compose would hand to buildx, as `docker compose build --print`
/// prints it: every service that builds is a target, the selected ones form the default group.
fn bake_file(
    loaded: &Loaded,
    targets_of: &[String],
    selected: &[String],
    options: &BuildOptions,
) -> anyhow::Result<crate::loader::tree::Value> {
    use crate::loader::tree::{Map, Value};
    let project = &loaded.project;
    let string = |text: &str| Value::String(text.to_owned());
    let strings = |items: &[String]| Value::Array(items.iter().map(|item| string(item)).collect());
    let sorted_map = |entries: BTreeMap<String, String>| {
        let mut map = Map::new();
        for (key, value) in entries {
            map.insert(key, Value::String(value));
        }
        Value::Object(map)
    };
    let mut targets: BTreeMap<String, Value> = BTreeMap::new();
    let mut group = Vec::new();
    for (name, service) in &project.services {
        let Some(build) = service.build.as_ref().filter(|_| targets_of.contains(name)) else {
            continue;
        };
        let target_name = name.replace('.', "_");
        if selected.contains(name) {
            group.push(target_name.clone());
        }
        let remote = is_remote(&build.context);
        let context = if remote {
            PathBuf::from(&build.context)
        } else {
            context_dir(loaded, build)
        };
        let mut target = Map::new();
        target.insert("context".to_owned(), string(&context.to_string_lossy()));
        if !build.additional_contexts.0.is_empty() {
            let contexts = build
                .additional_contexts
                .0
                .iter()
                .map(|(key, value)| {
                    let value = match value.strip_prefix("service:") {
                        Some(service) => format!("target:{}", service.replace('.', "_")),
                        None => value.clone(),
                    };
                    (key.clone(), value)
                })
                .collect();
            target.insert("contexts".to_owned(), sorted_map(contexts));
        }
        if build.dockerfile_inline.is_empty() {
            let dockerfile = if build.dockerfile.is_empty() {
                "Dockerfile"
            } else {
                build.dockerfile.as_str()
            };
            let path = if remote && is_git(&build.context) {
                // Named inside the repository.
                dockerfile.to_owned()
            } else if remote {
                // Go's `filepath.Join` of a URL: its `//` cleaned to `/`, as Compose prints it.
                go_clean_join(&build.context, dockerfile)
            } else {
                let path = if Path::new(dockerfile).is_absolute() {
                    PathBuf::from(dockerfile)
                } else {
                    context.join(dockerfile)
                };
                // Compose resolves symbolic links in the Dockerfile's directory.
                path.parent()
                    .and_then(|dir| dir.canonicalize().ok())
                    .zip(path.file_name())
                    .map_or(path.clone(), |(dir, file)| dir.join(file))
                    .to_string_lossy()
                    .into_owned()
            };
            target.insert("dockerfile".to_owned(), string(&path));
        } else {
            target.insert(
                "dockerfile-inline".to_owned(),
                string(&build.dockerfile_inline.replace("${", "$${")),
            );
        }
        let args: BTreeMap<String, String> = build_args(loaded, build, &options.args)
            .into_iter()
            .map(|(key, value)| (key, value.replace("${", "$${")))
            .collect();
        if !args.is_empty() {
            target.insert("args".to_owned(), sorted_map(args));
        }
        let mut labels: BTreeMap<String, String> = build.labels.0.clone().into_iter().collect();
        labels.extend(compose_labels(&project.name, name));
        target.insert("labels".to_owned(), sorted_map(labels));
        let mut tags = build.tags.0.clone();
        tags.push(image_reference(project, service));
        target.insert("tags".to_owned(), strings(&tags));
        if !build.cache_from.0.is_empty() {
            target.insert("cache-from".to_owned(), strings(&build.cache_from.0));
        }
        if !build.cache_to.0.is_empty() {
            target.insert("cache-to".to_owned(), strings(&build.cache_to.0));
        }
        if !build.target.is_empty() {
            target.insert("target".to_owned(), string(&build.target));
        }
        let secrets: Vec<String> = build
            .secrets
            .iter()
            .filter_map(|reference| {
                let definition = project.secrets.get(&reference.source)?;
                let id = if reference.target.is_empty() {
                    &reference.source
                } else {
                    &reference.target
                };
                if !definition.0.environment.is_empty() {
                    Some(format!("id={id},type=env,env={}", definition.0.environment))
                } else if !definition.0.file.is_empty() {
                    Some(format!("id={id},type=file,src={}", definition.0.file))
                } else {
                    None
                }
            })
            .collect();
        if !secrets.is_empty() {
            target.insert("secret".to_owned(), strings(&secrets));
        }
        let ssh: Vec<String> = build
            .ssh
            .0
            .iter()
            .map(|key| format!("{}={}", key.id, key.path))
            .collect();
        if !ssh.is_empty() {
            target.insert("ssh".to_owned(), strings(&ssh));
        }
        if !build.platforms.0.is_empty() {
            target.insert("platforms".to_owned(), strings(&build.platforms.0));
        }
        if build.pull || options.pull {
            target.insert("pull".to_owned(), Value::Bool(true));
        }
        if build.no_cache || options.no_cache {
            target.insert("no-cache".to_owned(), Value::Bool(true));
        }
        if !build.network.is_empty() {
            target.insert("network".to_owned(), string(&build.network));
        }
        if build.shm_size.0 != 0 {
            target.insert("shm-size".to_owned(), string(&build.shm_size.0.to_string()));
        }
        if !build.ulimits.is_empty() {
            let ulimits: Vec<String> = build
                .ulimits
                .iter()
                .map(|(limit, config)| {
                    if config.single > 0 {
                        format!("{limit}={}", config.single)
                    } else {
                        format!("{limit}={}:{}", config.soft, config.hard)
                    }
                })
                .collect();
            target.insert("ulimits".to_owned(), strings(&ulimits));
        }
        let mut entitlements = build.entitlements.clone();
        if build.privileged {
            entitlements.push("security.insecure".to_owned());
        }
        if !entitlements.is_empty() {
            target.insert("entitlements".to_owned(), strings(&entitlements));
        }
        if !build.extra_hosts.0.is_empty() {
            let hosts = build
                .extra_hosts
                .0
                .iter()
                .map(|(host, addresses)| (host.clone(), addresses.join(",")))
                .collect();
            target.insert("extra-hosts".to_owned(), sorted_map(hosts));
        }
        let output = if build.platforms.0.len() > 1 {
            "type=image,push=false"
        } else {
            "type=docker"
        };
        target.insert("output".to_owned(), strings(&[output.to_owned()]));
        let attest: Vec<String> = [("provenance", &build.provenance), ("sbom", &build.sbom)]
            .into_iter()
            .filter_map(|(kind, value)| match value.as_str() {
                "" | "false" => None,
                "true" => Some(format!("type={kind}")),
                other => Some(format!("type={kind},{other}")),
            })
            .collect();
        if !attest.is_empty() {
            target.insert("attest".to_owned(), strings(&attest));
        }
        targets.insert(target_name, Value::Object(target));
    }
    group.sort();
    let mut default = Map::new();
    default.insert("targets".to_owned(), strings(&group));
    let mut groups = Map::new();
    groups.insert("default".to_owned(), Value::Object(default));
    let mut root = Map::new();
    root.insert("group".to_owned(), Value::Object(groups));
    let mut target_map = Map::new();
    for (name, target) in targets {
        target_map.insert(name, target);
    }
    root.insert("target".to_owned(), Value::Object(target_map));
    Ok(Value::Object(root))
}

/// Where build output goes: standard output, whole lines at a time so parallel builds never
/// interleave within a line, each line led by its service's name when several build at once.
#[derive(Clone)]
struct BuildOutput {
    prefixed: bool,
    quiet: bool,
    lock: Arc<Mutex<()>>,
}

impl BuildOutput {
    fn new(prefixed: bool, quiet: bool) -> Self {
        Self {
            prefixed,
            quiet,
            lock: Arc::new(Mutex::new(())),
        }
    }

    fn for_service<'a>(
        &self,
        service: &str,
        progress: &'a crate::progress::Progress,
    ) -> ServiceLines<'a> {
        ServiceLines {
            output: self.clone(),
            prefix: if self.prefixed {
                format!("{service} | ")
            } else {
                String::new()
            },
            pending: String::new(),
            progress,
        }
    }
}

/// One build's output, cut into lines.
struct ServiceLines<'a> {
    output: BuildOutput,
    prefix: String,
    pending: String,
    progress: &'a crate::progress::Progress,
}

impl ServiceLines<'_> {
    fn push(&mut self, text: &str) {
        if self.output.quiet {
            return;
        }
        self.pending.push_str(text);
        if let Some(end) = self.pending.rfind('\n') {
            let complete: String = self.pending.drain(..=end).collect();
            self.write(&complete);
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let mut rest = std::mem::take(&mut self.pending);
            rest.push('\n');
            self.write(&rest);
        }
    }

    fn write(&self, lines: &str) {
        let mut text = String::with_capacity(lines.len());
        for line in lines.split_inclusive('\n') {
            text.push_str(&self.prefix);
            text.push_str(line);
        }
        let _guard = self
            .output
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.progress.suspend(|| {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::testing::load;
    use berth_engine::build::ignore::IgnoreFiles;

    /// A context directory with a Dockerfile, removed (with its `.df` sibling) when dropped.
    struct Dir(PathBuf);

    impl std::ops::Deref for Dir {
        type Target = PathBuf;
        fn deref(&self) -> &PathBuf {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
            let _ = std::fs::remove_file(self.0.with_extension("df"));
        }
    }

    fn context(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("berth-build-unit-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
        Dir(dir)
    }

    fn request(
        yaml: &str,
        env: &str,
        options: &BuildOptions,
        builder: Builder,
    ) -> anyhow::Result<BuildRequest> {
        let loaded = load(yaml, &[(".env", env)]);
        build_request(&loaded, &loaded.project.services["web"], options, builder)
    }

    #[test]
    fn names_tags_and_labels_are_composes() {
        let dir = context("names");
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      tags: [extra:1]\n      labels: {{x.y: z}}\n",
            dir.display()
        );
        let classic = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap();
        assert_eq!(classic.tags, ["p-web", "extra:1"]);
        assert_eq!(classic.context.dockerfile, "Dockerfile");
        assert_eq!(classic.context.ignore_files, IgnoreFiles::Classic);
        let mut labels: Vec<_> = classic.labels.into_iter().collect();
        labels.sort();
        assert_eq!(
            labels,
            [
                (
                    "com.docker.compose.image.builder".to_owned(),
                    "classic".to_owned()
                ),
                ("x.y".to_owned(), "z".to_owned())
            ]
        );
        let buildkit = request(&yaml, "", &BuildOptions::default(), Builder::BuildKit).unwrap();
        assert_eq!(buildkit.context.ignore_files, IgnoreFiles::DockerfileFirst);
        assert_eq!(buildkit.labels["com.docker.compose.project"], "p");
        assert_eq!(buildkit.labels["com.docker.compose.service"], "web");
        assert_eq!(buildkit.labels["com.docker.compose.version"], "2.40.3");
        assert!(
            !buildkit
                .labels
                .contains_key("com.docker.compose.image.builder")
        );
    }

    #[test]
    fn args_merge_the_flags_and_resolve_names_from_the_environment() {
        let dir = context("args");
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      args: [A=1, B=2, FROM_ENV, MISSING]\n",
            dir.display()
        );
        let options = BuildOptions {
            args: vec!["B=flag".to_owned(), "C".to_owned(), "D".to_owned()],
            ..BuildOptions::default()
        };
        let built = request(&yaml, "FROM_ENV=e\nC=c\n", &options, Builder::Classic).unwrap();
        let mut args: Vec<_> = built.args.into_iter().collect();
        args.sort();
        let expected: Vec<(String, String)> =
            [("A", "1"), ("B", "flag"), ("C", "c"), ("FROM_ENV", "e")]
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect();
        assert_eq!(args, expected);
    }

    #[test]
    fn every_extra_host_address_is_one_entry() {
        let dir = context("hosts");
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      extra_hosts: [\"a=1.2.3.4\", \"b:5.6.7.8\", \"a=::1\"]\n      shm_size: 64m\n      network: host\n      target: dev\n      no_cache: true\n",
            dir.display()
        );
        let built = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap();
        assert_eq!(built.extra_hosts, ["a:1.2.3.4", "a:::1", "b:5.6.7.8"]);
        assert_eq!(built.shm_size, Some(64 * 1024 * 1024));
        assert_eq!(built.network.as_deref(), Some("host"));
        assert_eq!(built.target.as_deref(), Some("dev"));
        assert!(built.no_cache);
        assert!(!built.pull);
        let pulled = request(
            &yaml,
            "",
            &BuildOptions {
                pull: true,
                ..BuildOptions::default()
            },
            Builder::Classic,
        )
        .unwrap();
        assert!(pulled.pull);
    }

    #[test]
    fn dockerfiles_outside_the_context_and_inline_travel_in_the_stream() {
        let dir = context("outside");
        let outside = dir.with_extension("df");
        std::fs::write(&outside, "FROM scratch\nLABEL outside=1\n").unwrap();
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      dockerfile: {}\n",
            dir.display(),
            outside.display()
        );
        let built = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap();
        assert_eq!(
            built.context.inline.as_deref(),
            Some("FROM scratch\nLABEL outside=1\n")
        );
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      dockerfile_inline: \"FROM scratch\"\n",
            dir.display()
        );
        let built = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap();
        assert_eq!(built.context.inline.as_deref(), Some("FROM scratch"));
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      dockerfile: nope.Dockerfile\n",
            dir.display()
        );
        let error = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("service \"web\": the Dockerfile ")
                && error
                    .to_string()
                    .ends_with("nope.Dockerfile\" does not exist"),
            "{error}"
        );
    }

    #[test]
    fn what_the_build_endpoint_cannot_carry_is_refused_by_name() {
        let dir = context("refused");
        let cases = [
            (
                "secrets: [s]",
                Builder::Classic,
                "the classic builder doesn't support secrets, set DOCKER_BUILDKIT=1 to use BuildKit",
            ),
            (
                "ssh: [default]",
                Builder::Classic,
                "the classic builder doesn't support SSH keys",
            ),
            (
                "privileged: true",
                Builder::BuildKit,
                "build.privileged needs buildx",
            ),
            (
                "platforms: [linux/amd64, linux/arm64]",
                Builder::BuildKit,
                "build.platforms lists 2 platforms",
            ),
        ];
        for (line, builder, expected) in cases {
            let yaml = format!(
                "services:\n  web:\n    build:\n      context: {}\n      {line}\nsecrets:\n  s:\n    file: ./s\n",
                dir.display()
            );
            let error = request(&yaml, "", &BuildOptions::default(), builder).unwrap_err();
            assert!(
                error.to_string().starts_with("service \"web\": ")
                    && error.to_string().contains(expected),
                "{line}: {error}"
            );
        }
        // BuildKit carries secrets and SSH agents through its session.
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n      secrets: [s, e]\n      ssh: [default]\nsecrets:\n  s:\n    file: ./s\n  e:\n    environment: TOKEN\n",
            dir.display()
        );
        request(&yaml, "", &BuildOptions::default(), Builder::BuildKit).unwrap();
        let loaded = load(&yaml, &[(".env", "TOKEN=t0k3n\n")]);
        let config = session_config(
            &loaded,
            &loaded.project.services["web"],
            &BuildOptions::default(),
        )
        .unwrap();
        let ids: Vec<&str> = config
            .secrets
            .iter()
            .map(|secret| secret.id.as_str())
            .collect();
        assert_eq!(ids, ["s", "e"]);
        assert!(
            matches!(&config.secrets[1].source, SecretSource::Bytes(bytes) if bytes == b"t0k3n")
        );
        assert!(
            matches!(&config.secrets[0].source, SecretSource::File(path) if path.ends_with("s"))
        );
        assert_eq!(config.ssh.len(), 1);
        assert!(config.ssh[0].paths.is_empty());
        assert!(config.auth);
    }

    #[test]
    fn the_platform_is_the_services_or_the_default_platform() {
        let dir = context("platform");
        let yaml = format!(
            "services:\n  web:\n    platform: linux/arm64\n    build:\n      context: {}\n",
            dir.display()
        );
        let built = request(&yaml, "", &BuildOptions::default(), Builder::Classic).unwrap();
        assert_eq!(built.platform.as_deref(), Some("linux/arm64"));
        let yaml = format!(
            "services:\n  web:\n    build:\n      context: {}\n",
            dir.display()
        );
        let built = request(
            &yaml,
            "DOCKER_DEFAULT_PLATFORM=linux/amd64\n",
            &BuildOptions::default(),
            Builder::Classic,
        )
        .unwrap();
        assert_eq!(built.platform.as_deref(), Some("linux/amd64"));
    }
}
