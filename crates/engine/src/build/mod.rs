//! Building images with the classic builder: the `.dockerignore` rules ([`ignore`]), the build
//! context streamed while it is sent ([`context`]), and [`Engine::build_image`].

pub mod buildkit;
pub mod context;
pub mod ignore;

use crate::{Engine, EngineError, Result};
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use std::collections::HashMap;

/// One image build with the classic builder (`POST /build`, no BuildKit session).
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// What is sent as the context.
    pub context: context::ContextSpec,
    /// Names given to the image; the first is set by the build, the others by tagging after it.
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
    /// `host:ip` entries for RUN steps (at most one for now: see [`Engine::build_image`]).
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
}

impl Engine {
    /// Builds an image from a context streamed while it is read, calling `on_output` with each
    /// piece of the daemon's output (step lines, RUN output) as it arrives. Returns the image id.
    ///
    /// # Errors
    /// An unusable context or more than one extra host ([`EngineError::Config`]), a failed step or a rejected request
    /// ([`EngineError::Daemon`] with the daemon's message), or transport errors.
    pub async fn build_image(
        &self,
        request: BuildRequest,
        mut on_output: impl FnMut(&str) + Send,
    ) -> Result<String> {
        let spec = request.context.clone();
        let prepared = tokio::task::spawn_blocking(move || context::Context::prepare(spec))
            .await
            .map_err(|error| EngineError::Config(error.to_string()))?
            .map_err(|error| EngineError::Config(error.to_string()))?;
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&prepared.dockerfile)
            .rm(true)
            // A failed step's container is removed too (Compose leaves it behind), so a failed
            // build leaves no stopped container.
            .forcerm(true)
            .nocache(request.no_cache)
            .buildargs(&request.args)
            .labels(&request.labels);
        if let Some(tag) = request.tags.first() {
            options = options.t(tag);
        }
        if let Some(target) = &request.target {
            options = options.target(target);
        }
        if let Some(network) = &request.network {
            options = options.networkmode(network);
        }
        match request.extra_hosts.as_slice() {
            [] => {}
            [host] => options = options.extrahosts(host),
            // The daemon reads repeated `extrahosts` parameters, which bollard's query cannot
            // carry: better refused than sent as one wrong entry.
            _ => {
                return Err(EngineError::Config(
                    "building with more than one extra_hosts entry is not supported yet".into(),
                ));
            }
        }
        if let Some(size) = request.shm_size {
            options = options.shmsize(size);
        }
        if !request.cache_from.is_empty() {
            options = options.cachefrom(&request.cache_from);
        }
        if request.pull {
            options = options.pull("1");
        }
        if let Some(platform) = &request.platform {
            options = options.platform(platform);
        }
        let body = bollard::body_try_stream(prepared.stream());
        let mut output = self.docker.build_image(options.build(), None, Some(body));
        let mut image_id = String::new();
        while let Some(item) = output.next().await {
            let info = match item {
                Ok(info) => info,
                // bollard turns the daemon's errorDetail into this, dropping its code: the code
                // of a failed RUN is the one its message names.
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(EngineError::Daemon {
                        status: step_code(&error),
                        message: error,
                    });
                }
                Err(error) => return Err(error.into()),
            };
            if let Some(detail) = info.error_detail {
                let message = detail.message.unwrap_or_default();
                return Err(EngineError::Daemon {
                    status: u16::try_from(detail.code.unwrap_or(1)).unwrap_or(1),
                    message,
                });
            }
            if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
                on_output(text);
            }
            if let Some(id) = info.aux.and_then(|image| image.id) {
                image_id = id;
            }
        }
        for tag in request.tags.iter().skip(1) {
            let (repo, tag) = split_tag(tag);
            self.docker
                .tag_image(
                    &image_id,
                    Some(
                        bollard::query_parameters::TagImageOptionsBuilder::default()
                            .repo(repo)
                            .tag(tag)
                            .build(),
                    ),
                )
                .await?;
        }
        Ok(image_id)
    }
}

/// The exit code in "The command '…' returned a non-zero code: N", else 1 (as Compose maps a
/// missing code).
fn step_code(message: &str) -> u16 {
    message
        .rsplit_once("returned a non-zero code: ")
        .and_then(|(_, code)| code.trim().parse().ok())
        .unwrap_or(1)
}

/// `repo[:tag]` split at a tag colon (not a registry port's).
fn split_tag(reference: &str) -> (&str, &str) {
    match reference.rfind(':') {
        Some(i) if !reference[i..].contains('/') => (&reference[..i], &reference[i + 1..]),
        _ => (reference, "latest"),
    }
}
