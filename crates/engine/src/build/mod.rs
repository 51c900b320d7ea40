//! Building images with the daemon's classic builder or its BuildKit, as the docker CLI chooses
//! ([`Builder::choose`], [`Engine::default_builder`]): the `.dockerignore` rules ([`ignore`]), the
//! build context streamed while it is sent ([`context`]), the request with every attribute the
//! Engine API carries ([`request`]), BuildKit's progress turned into plain lines ([`buildkit`]),
//! and [`Engine::build_image`].
//!
//! BuildKit is used through `POST /build?version=2` with the context as the request's tar body, not
//! through a BuildKit session (which needs gRPC over the `/session` upgrade). What the tar body
//! cannot do is written down in [`Builder::BuildKit`].

pub mod bases;
pub mod buildkit;
pub mod context;
pub mod ignore;
pub mod request;
pub mod reuse;
pub mod session;
pub mod transport;

use std::collections::HashMap;

use futures_util::StreamExt;
use serde_json::Value;

use crate::{Engine, EngineError, Result};

/// Which of the daemon's builders runs a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Builder {
    /// The classic builder (`version=1`): `Step N/M : …` output; the daemon applies
    /// `.dockerignore` to what it was sent and drops the Dockerfile and the ignore file from the
    /// build when the rules exclude them. Carries every attribute of [`BuildRequest`].
    #[default]
    Classic,
    /// BuildKit (`version=2`), output as `--progress=plain` prints it. With a tar body the daemon
    /// applies no ignore rules itself, so berth sends exactly what the rules keep, which for
    /// BuildKit is read from `<Dockerfile>.dockerignore` first ([`Builder::ignore_files`]).
    /// Without a session BuildKit cannot answer a registry's auth challenge, so berth pulls the
    /// base images the daemon lacks first ([`bases`]; all of them with `pull`). What Docker
    /// 20.10's BuildKit does not do through this API: `network` other than `host`, `none` or
    /// `default` (the daemon refuses it), `shm_size`, `ulimits` and `isolation` (ignored), and a
    /// Dockerfile that the ignore rules exclude is still in the context (the daemon reads it from
    /// there; likewise the generated name of an inline Dockerfile).
    BuildKit,
}

impl Builder {
    /// The builder the docker CLI (and Compose) would use: `DOCKER_BUILDKIT` when set and not
    /// empty (a Go `strconv.ParseBool` value), else the daemon's `Builder-Version` ping header
    /// (`2` is BuildKit, `1` classic), else BuildKit unless the daemon runs Windows containers.
    ///
    /// # Errors
    /// A `DOCKER_BUILDKIT` value that is not a boolean, worded as the CLI's.
    pub fn choose(
        docker_buildkit: Option<&str>,
        builder_version: Option<&str>,
        os_type: Option<&str>,
    ) -> Result<Self> {
        if let Some(value) = docker_buildkit.filter(|value| !value.is_empty()) {
            return match parse_bool(value) {
                Some(true) => Ok(Self::BuildKit),
                Some(false) => Ok(Self::Classic),
                None => Err(EngineError::Config(format!(
                    "DOCKER_BUILDKIT environment variable expects boolean value: strconv.ParseBool: parsing {value:?}: invalid syntax"
                ))),
            };
        }
        match builder_version {
            Some("2") => return Ok(Self::BuildKit),
            Some("1") => return Ok(Self::Classic),
            _ => {}
        }
        Ok(if os_type == Some("windows") {
            Self::Classic
        } else {
            Self::BuildKit
        })
    }

    /// The ignore files this builder reads (set it as the context's
    /// [`context::ContextSpec::ignore_files`]).
    #[must_use]
    pub fn ignore_files(self) -> ignore::IgnoreFiles {
        match self {
            Self::Classic => ignore::IgnoreFiles::Classic,
            Self::BuildKit => ignore::IgnoreFiles::DockerfileFirst,
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A resource limit for RUN steps (`--ulimit name=soft:hard`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// `nofile`, `nproc`, …
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
}

/// One image build (`POST /build`, the context as the request's body).
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// What is sent as the context.
    pub context: context::ContextSpec,
    /// Names given to the image, all by the build itself.
    pub tags: Vec<String>,
    /// `--build-arg` values, already resolved (an ARG given without value takes the environment's
    /// value in the front end, or is left out).
    pub args: HashMap<String, String>,
    /// Image labels.
    pub labels: HashMap<String, String>,
    /// Build stage to stop at.
    pub target: Option<String>,
    /// Network for RUN steps.
    pub network: Option<String>,
    /// `host:ip` entries for RUN steps' `/etc/hosts`.
    pub extra_hosts: Vec<String>,
    /// /dev/shm size for RUN steps, in bytes.
    pub shm_size: Option<i32>,
    /// Images to use as cache sources.
    pub cache_from: Vec<String>,
    /// Do not use the cache.
    pub no_cache: bool,
    /// Always pull base images.
    pub pull: bool,
    /// Target platform.
    pub platform: Option<String>,
    /// Which builder runs the build ([`Engine::default_builder`] chooses as the docker CLI does).
    pub builder: Builder,
    /// Resource limits for RUN steps.
    pub ulimits: Vec<Ulimit>,
    /// Isolation technology for RUN steps (`process`, `hyperv`: Windows daemons).
    pub isolation: Option<String>,
    /// The BuildKit session the build asks for secrets, SSH agents and registry credentials
    /// ([`session::BuildSession::id`]); ignored by the classic builder.
    pub session: Option<String>,
    /// A context the daemon fetches itself (`remote`): a git repository (`https://…​.git#ref:dir`,
    /// `git@…`) or the URL of a tar or a Dockerfile. `context` then only names the Dockerfile.
    pub remote: Option<String>,
}

impl BuildRequest {
    /// A build of `context` with no tags and every option at its default (classic builder).
    #[must_use]
    pub fn new(context: context::ContextSpec) -> Self {
        Self {
            context,
            tags: Vec::new(),
            args: HashMap::new(),
            labels: HashMap::new(),
            target: None,
            network: None,
            extra_hosts: Vec::new(),
            shm_size: None,
            cache_from: Vec::new(),
            no_cache: false,
            pull: false,
            platform: None,
            builder: Builder::Classic,
            ulimits: Vec::new(),
            isolation: None,
            session: None,
            remote: None,
        }
    }
}

impl Engine {
    /// The builder the docker CLI would use with this daemon ([`Builder::choose`] with
    /// `DOCKER_BUILDKIT` and the daemon's ping headers).
    ///
    /// # Errors
    /// A bad `DOCKER_BUILDKIT` value, an unreachable daemon.
    pub async fn default_builder(&self) -> Result<Builder> {
        let docker_buildkit = std::env::var("DOCKER_BUILDKIT").ok();
        if let Some(value) = docker_buildkit.as_deref().filter(|value| !value.is_empty()) {
            return Builder::choose(Some(value), None, None);
        }
        let response =
            transport::send(&self.endpoint, "GET", "/_ping", &[], transport::empty()).await?;
        let header = |name: &str| {
            response
                .response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let (builder_version, os_type) = (header("Builder-Version"), header("OSType"));
        if !response.response.status().is_success() {
            return Err(transport::error_of(response).await);
        }
        Builder::choose(None, builder_version.as_deref(), os_type.as_deref())
    }

    /// Builds an image from a context streamed while it is read, calling `on_output` with each
    /// piece of the daemon's output as it arrives: the classic builder's text (`Step 1/3 : …`,
    /// RUN output) as the daemon sends it, BuildKit's progress as `--progress=plain` lines, each
    /// ending in a newline. Returns the image id.
    ///
    /// # Errors
    /// An unusable context or registry configuration ([`EngineError::Config`]); a failed step or
    /// a rejected request ([`EngineError::Daemon`] with the daemon's message; a failed RUN has
    /// its exit code as `status`); transport errors.
    ///
    /// The classic builder's cache lookup for a `FROM scratch` step lists every image without a
    /// parent and then fails the build, `unable to find image "sha256:…"`, when one of them is
    /// removed meanwhile (by any project: moby's `getLocalCachedImage`). Nothing of the build was
    /// wrong, so such a build is sent again, twice at most and after a pause, saying so.
    pub async fn build_image(
        &self,
        request: BuildRequest,
        mut on_output: impl FnMut(&str) + Send,
    ) -> Result<String> {
        let mut attempt = 1;
        loop {
            match self.build_once(request.clone(), &mut on_output).await {
                Err(EngineError::Daemon { message, .. })
                    if attempt < 3
                        && request.builder == Builder::Classic
                        && lost_cache_candidate(&message) =>
                {
                    on_output(&format!(
                        "{message}: an image was removed while the daemon looked for a cached \
                         step; building again\n"
                    ));
                    // Removals come in runs (a `down --rmi`, a prune): let this one pass.
                    tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One `/build` request: [`Engine::build_image`] without the retry.
    async fn build_once(
        &self,
        request: BuildRequest,
        mut on_output: impl FnMut(&str) + Send,
    ) -> Result<String> {
        let mut request = request;
        let builder = request.builder;
        let (body, context_error, dockerfile, fingerprint) = if request.remote.is_some() {
            // The daemon fetches the context: nothing to send, nothing to fingerprint.
            (
                transport::empty(),
                context::WriteError::default(),
                request.context.dockerfile.clone(),
                None,
            )
        } else {
            let spec = request.context.clone();
            let (prepared, context_digest) = tokio::task::spawn_blocking(move || {
                let prepared = context::Context::prepare_for(spec, builder)?;
                let digest = prepared.stat_digest()?;
                std::io::Result::Ok((prepared, digest))
            })
            .await
            .map_err(|error| EngineError::Config(error.to_string()))?
            .map_err(|error| EngineError::Config(error.to_string()))?;
            let fingerprint = self.fingerprint(&request, &context_digest).await?;
            if let Some(id) = fingerprint.as_deref().and_then(reuse::recorded)
                && self.retag(&id, &request.tags).await?
            {
                on_output(&format!(
                    "Nothing changed since {id} was built from this context: reused\n"
                ));
                return Ok(id);
            }
            if builder == Builder::BuildKit {
                self.pull_bases(&request, &mut on_output).await?;
                // Pulled already: BuildKit's own pull could not authenticate.
                request.pull = false;
            }
            let dockerfile = prepared.dockerfile.clone();
            let (body, context_error) = prepared.stream_reporting();
            (
                transport::streamed(body),
                context_error,
                dockerfile,
                fingerprint,
            )
        };
        let registry_config = tokio::task::spawn_blocking(|| {
            request::registry_config(&crate::connect::docker_config_dir())
        })
        .await
        .map_err(|error| EngineError::Config(error.to_string()))??;
        // Unversioned, as the exec upgrade is: the daemon answers with its own API version.
        let mut path = format!("/build?{}", request::query(&request, &dockerfile));
        if let Some(session) = request.session.as_deref()
            && builder == Builder::BuildKit
        {
            // Session ids are `[a-z0-9]`: nothing to escape.
            path.push_str("&session=");
            path.push_str(session);
        }
        // A context that cannot be read aborts the request; its own words say why.
        let context_failed = |error: EngineError| match context_error.get() {
            Some(reason) => {
                EngineError::Config(format!("unable to send the build context: {reason}"))
            }
            None => error,
        };
        let response = transport::send(
            &self.endpoint,
            "POST",
            &path,
            &[
                ("Content-Type", "application/x-tar"),
                ("X-Registry-Config", &registry_config),
            ],
            body,
        )
        .await
        .map_err(context_failed)?;
        if !response.response.status().is_success() {
            return Err(context_failed(transport::error_of(response).await));
        }
        let mut lines = Box::pin(transport::lines(response));
        let mut printer = buildkit::PlainPrinter::new();
        let mut image_id = String::new();
        while let Some(line) = lines.next().await {
            let line = line.map_err(context_failed)?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let message: Value = serde_json::from_slice(&line).map_err(|error| {
                EngineError::Transport(bollard::errors::Error::IOError {
                    err: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{error}: {}", String::from_utf8_lossy(&line)),
                    ),
                })
            })?;
            match handle_message(&message, &mut printer).map_err(context_failed)? {
                // BuildKit's own `naming to … done` line has said it already.
                Some(Output::Text(text))
                    if builder == Builder::BuildKit && text.starts_with("Successfully tagged ") => {
                }
                Some(Output::Text(text)) => on_output(&text),
                Some(Output::ImageId(id)) => image_id = id,
                None => {}
            }
        }
        if image_id.is_empty() {
            return Err(EngineError::Daemon {
                status: 500,
                message: "the build finished without an image id".to_owned(),
            });
        }
        if let Some(fingerprint) = fingerprint {
            reuse::record(&fingerprint, &image_id);
        }
        Ok(image_id)
    }
}

impl Engine {
    /// The build's fingerprint for [`reuse`], with the local IDs of the images it reads.
    async fn fingerprint(
        &self,
        request: &BuildRequest,
        context_digest: &str,
    ) -> Result<Option<String>> {
        if request.no_cache || request.pull {
            return Ok(None);
        }
        let dockerfile = dockerfile_text(&request.context).await?;
        let mut bases = Vec::new();
        for image in self.bases_of(request).await? {
            let id = self
                .find_image(&image.reference)
                .await?
                .and_then(|found| found.id);
            bases.push((image.reference, id));
        }
        Ok(reuse::fingerprint(
            &self.endpoint.host,
            request,
            &dockerfile,
            context_digest,
            &bases,
        ))
    }

    /// Whether image `id` still exists, with every one of `tags` put back on it.
    async fn retag(&self, id: &str, tags: &[String]) -> Result<bool> {
        let Some(image) = self.find_image(id).await? else {
            return Ok(false);
        };
        let present = image.repo_tags.unwrap_or_default();
        for tag in tags {
            let (repo, version) = crate::images::split_reference(tag);
            if present
                .iter()
                .any(|existing| *existing == format!("{repo}:{version}"))
            {
                continue;
            }
            self.docker
                .tag_image(
                    id,
                    Some(
                        bollard::query_parameters::TagImageOptionsBuilder::default()
                            .repo(repo)
                            .tag(version)
                            .build(),
                    ),
                )
                .await?;
        }
        Ok(true)
    }

    /// The images a build reads (`FROM`, `COPY --from`, `RUN --mount from=`), as [`bases`] finds
    /// them in its Dockerfile for the daemon's platform.
    async fn bases_of(&self, request: &BuildRequest) -> Result<Vec<bases::BaseImage>> {
        let dockerfile = dockerfile_text(&request.context).await?;
        let version = self.version().await?;
        let daemon_platform = format!(
            "{}/{}",
            version.os.as_deref().unwrap_or("linux"),
            version.arch.as_deref().unwrap_or("amd64")
        );
        Ok(bases::base_images(
            &dockerfile,
            &request.args,
            request.target.as_deref(),
            request.platform.as_deref().unwrap_or(&daemon_platform),
            &daemon_platform,
        ))
    }

    /// Pulls, with the CLI's credentials, the images a BuildKit build reads that the daemon does
    /// not have (all of them with `pull`), since BuildKit without a session cannot authenticate
    /// to a registry ([`bases`]).
    async fn pull_bases(
        &self,
        request: &BuildRequest,
        on_output: &mut (impl FnMut(&str) + Send),
    ) -> Result<()> {
        let images = self.bases_of(request).await?;
        for image in images {
            if !request.pull && self.find_image(&image.reference).await?.is_some() {
                continue;
            }
            let platform = image
                .platform
                .as_deref()
                .or(request.platform.as_deref())
                .unwrap_or_default();
            on_output(&format!("#0 pulling {}\n", image.reference));
            self.pull_image(&image.reference, platform, &|_| {}).await?;
            on_output(&format!("#0 pulling {} done\n\n", image.reference));
        }
        Ok(())
    }
}

/// What one line of the daemon's build output gives.
#[derive(Debug, PartialEq, Eq)]
enum Output {
    /// Text to show.
    Text(String),
    /// The built image.
    ImageId(String),
}

/// One JSON message of `/build`'s answer: text (classic `stream`/`status`, BuildKit traces turned
/// into plain lines), the image id (classic `aux.ID`, BuildKit `moby.image.id`), or the build's
/// error (`errorDetail`).
fn handle_message(message: &Value, printer: &mut buildkit::PlainPrinter) -> Result<Option<Output>> {
    if let Some(detail) = message.get("errorDetail") {
        let text = detail
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| message.get("error").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        let code = detail
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|code| u16::try_from(code).ok())
            .filter(|&code| code != 0);
        return Err(EngineError::Daemon {
            status: code.unwrap_or_else(|| step_code(&text)),
            message: text,
        });
    }
    let aux = message.get("aux");
    match message.get("id").and_then(Value::as_str) {
        Some("moby.buildkit.trace") => {
            let encoded = aux.and_then(Value::as_str).unwrap_or_default();
            let update = buildkit::decode_trace(encoded).map_err(|error| {
                EngineError::Transport(bollard::errors::Error::IOError {
                    err: std::io::Error::new(std::io::ErrorKind::InvalidData, error),
                })
            })?;
            let text = printer.lines(&update);
            return Ok((!text.is_empty()).then_some(Output::Text(text)));
        }
        Some("moby.image.id") => {}
        _ => {
            if let Some(text) = message
                .get("stream")
                .or_else(|| message.get("status"))
                .and_then(Value::as_str)
            {
                return Ok(Some(Output::Text(text.to_owned())));
            }
        }
    }
    Ok(aux
        .and_then(|aux| aux.get("ID"))
        .and_then(Value::as_str)
        .map(|id| Output::ImageId(id.to_owned())))
}

/// The Dockerfile's text: inline, or read from the context.
async fn dockerfile_text(spec: &context::ContextSpec) -> Result<String> {
    match &spec.inline {
        Some(text) => Ok(text.clone()),
        None => {
            let path = spec.dir.join(&spec.dockerfile);
            tokio::fs::read_to_string(&path).await.map_err(|error| {
                EngineError::Config(format!(
                    "failed to read dockerfile {}: {error}",
                    path.display()
                ))
            })
        }
    }
}

/// Whether `message` is the classic builder's cache lookup losing a candidate image to a
/// concurrent removal: `unable to find image "sha256:<64 hex>"`, the image id quoted (a missing
/// base image is `No such image: …`, or a pull's error, instead).
fn lost_cache_candidate(message: &str) -> bool {
    message
        .trim()
        .strip_prefix("unable to find image \"sha256:")
        .and_then(|rest| rest.strip_suffix('"'))
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The exit code a failed RUN's message names: the classic builder's "The command '…' returned
/// a non-zero code: N", BuildKit's "…: exit code: N" (20.10's "executor failed running […]: exit
/// code: N", later "process "…" did not complete successfully: exit code: N"); else 1, as Compose
/// maps a missing code.
fn step_code(message: &str) -> u16 {
    ["returned a non-zero code: ", "exit code: "]
        .iter()
        .find_map(|marker| {
            let (_, code) = message.rsplit_once(marker)?;
            code.trim().parse().ok()
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_cache_candidate_is_built_again() {
        let id = "5c44c8ef30bbe90b1ea9d55c4144a521ca5e28edc0b5562b3a6a4edb52879b41";
        assert!(lost_cache_candidate(&format!(
            "unable to find image \"sha256:{id}\""
        )));
        for other in [
            format!("unable to find image \"sha256:{}\"", &id[1..]),
            format!("unable to find image \"busybox:{id}\""),
            "No such image: base:latest".to_owned(),
            "pull access denied for base, repository does not exist".to_owned(),
            "The command '/bin/sh -c exit 3' returned a non-zero code: 3".to_owned(),
        ] {
            assert!(!lost_cache_candidate(&other), "{other}");
        }
    }

    #[test]
    fn the_builder_is_chosen_as_the_docker_cli_does() {
        use Builder::{BuildKit, Classic};
        let choose = |env, version, os| Builder::choose(env, version, os).unwrap();
        assert_eq!(choose(None, None, Some("linux")), BuildKit);
        assert_eq!(choose(None, None, None), BuildKit);
        assert_eq!(choose(None, None, Some("windows")), Classic);
        assert_eq!(choose(Some(""), None, Some("windows")), Classic);
        assert_eq!(choose(None, Some("1"), Some("linux")), Classic);
        assert_eq!(choose(None, Some("2"), Some("windows")), BuildKit);
        for yes in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(choose(Some(yes), Some("1"), None), BuildKit, "{yes}");
        }
        for no in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(choose(Some(no), Some("2"), None), Classic, "{no}");
        }
        let error = Builder::choose(Some("yes"), None, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "DOCKER_BUILDKIT environment variable expects boolean value: strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }

    #[test]
    fn failed_steps_give_their_exit_code() {
        assert_eq!(
            step_code("The command '/bin/sh -c exit 3' returned a non-zero code: 3"),
            3
        );
        assert_eq!(
            step_code("executor failed running [/bin/sh -c exit 4]: exit code: 4"),
            4
        );
        assert_eq!(
            step_code("process \"/bin/sh -c exit 5\" did not complete successfully: exit code: 5"),
            5
        );
        assert_eq!(step_code("failed to read dockerfile"), 1);
    }

    #[test]
    fn captured_answers_give_text_image_id_and_errors() {
        let run = |captured: &str| {
            let mut printer = buildkit::PlainPrinter::new();
            let mut outputs = Vec::new();
            for line in captured.lines() {
                let message: Value = serde_json::from_str(line).unwrap();
                match handle_message(&message, &mut printer) {
                    Ok(Some(output)) => outputs.push(Ok(output)),
                    Ok(None) => {}
                    Err(error) => outputs.push(Err(error)),
                }
            }
            outputs
        };
        let outputs = run(include_str!("testdata/trace-run.jsonl"));
        assert!(outputs.iter().any(|output| matches!(
            output,
            Ok(Output::ImageId(id)) if id == "sha256:7356cd5e2bb56b8c011d62519da47dc3aef2620bf46816862d43ba813ec33673"
        )));
        let outputs = run(include_str!("testdata/trace-failed-run.jsonl"));
        let Some(Err(EngineError::Daemon { status, message })) = outputs.last() else {
            panic!("{outputs:?}");
        };
        assert_eq!(*status, 3);
        assert_eq!(
            message,
            "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"
        );
        let classic = run(concat!(
            r#"{"stream":"Step 1/2 : FROM x\n"}"#,
            "\n",
            r#"{"aux":{"ID":"sha256:abc"}}"#,
            "\n",
            r#"{"errorDetail":{"code":2,"message":"boom"},"error":"boom"}"#
        ));
        assert!(matches!(&classic[0], Ok(Output::Text(text)) if text == "Step 1/2 : FROM x\n"));
        assert!(matches!(&classic[1], Ok(Output::ImageId(id)) if id == "sha256:abc"));
        assert!(matches!(
            &classic[2],
            Err(EngineError::Daemon { status: 2, message }) if message == "boom"
        ));
    }
}
