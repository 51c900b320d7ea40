//! Looking into running containers: their processes (`top`), resource usage (`stats`), the moment
//! they stop (`wait`), their images, and the daemon's event stream with every attribute (`events`).
//!
//! Each call is one Engine API request (or one streaming response), as Docker Compose and the
//! Docker CLI make it; the front end decides what to ask and renders the answers.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;

use bollard::models::{ContainerStatsResponse, ImageInspect};
use bollard::query_parameters::{EventsOptions, StatsOptions};
use futures_util::{Stream, StreamExt};

use crate::Engine;
use crate::error::{EngineError, Result};

/// A container's processes, as the daemon's `ps -ef` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processes {
    /// Column titles (`UID`, `PID`, `PPID`, `C`, `STIME`, `TTY`, `TIME`, `CMD`).
    pub titles: Vec<String>,
    /// One row per process, a cell per title.
    pub rows: Vec<Vec<String>>,
}

/// One event from the daemon, with all the attributes of its actor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineEvent {
    /// The object type: `container`, `network`, `image`…
    pub kind: String,
    /// What happened: `start`, `die`, `exec_create: sh`…
    pub action: String,
    /// The object's ID.
    pub id: String,
    /// The actor's attributes: for a container, its labels plus `name`, `image`, `exitCode`…
    pub attributes: BTreeMap<String, String>,
    /// When, in nanoseconds since the epoch (the event's `timeNano`, or `time` in seconds).
    pub time_nano: i64,
}

/// A stream of daemon events, live until the connection closes or `until` passes.
pub type EngineEvents = Pin<Box<dyn Stream<Item = Result<EngineEvent>> + Send>>;

/// A stream of stats samples of one container.
pub type StatsSamples = Pin<Box<dyn Stream<Item = Result<ContainerStatsResponse>> + Send>>;

impl Engine {
    /// The processes running in `container` (`GET /containers/{id}/top`, the daemon's default
    /// `ps` arguments).
    ///
    /// # Errors
    /// [`EngineError::Daemon`] when the container is not running; transport errors.
    pub async fn top(&self, container: &str) -> Result<Processes> {
        let response = self.docker.top_processes(container, None).await?;
        Ok(Processes {
            titles: response.titles.unwrap_or_default(),
            rows: response.processes.unwrap_or_default(),
        })
    }

    /// Resource usage samples of `container`: one (after the daemon has taken two readings, so
    /// CPU use can be computed) unless `stream`, then one a second until the connection closes.
    pub fn stats(&self, container: &str, stream: bool) -> StatsSamples {
        let options = StatsOptions {
            stream,
            one_shot: false,
        };
        Box::pin(
            self.docker
                .stats(container, Some(options))
                .map(|sample| sample.map_err(EngineError::from)),
        )
    }

    /// Inspects an image by reference or ID.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when it is not present; transport errors.
    pub async fn inspect_image(&self, reference: &str) -> Result<ImageInspect> {
        Ok(self.docker.inspect_image(reference).await?)
    }

    /// The daemon's events matching `filters` (`type`, `label`… as the API takes them), from
    /// `since` to `until` when given (Unix seconds, with an optional fraction), live otherwise.
    pub fn events(
        &self,
        filters: HashMap<String, Vec<String>>,
        since: Option<String>,
        until: Option<String>,
    ) -> EngineEvents {
        let options = EventsOptions {
            since,
            until,
            filters: Some(filters),
        };
        Box::pin(self.docker.events(Some(options)).map(|item| {
            let message = item?;
            let actor = message.actor.unwrap_or_default();
            let time_nano = message
                .time_nano
                .filter(|nanos| *nanos != 0)
                .or_else(|| message.time.map(|seconds| seconds * 1_000_000_000))
                .unwrap_or(0);
            Ok(EngineEvent {
                kind: message.typ.map(|typ| typ.to_string()).unwrap_or_default(),
                action: message.action.unwrap_or_default(),
                id: actor.id.unwrap_or_default(),
                attributes: actor.attributes.unwrap_or_default().into_iter().collect(),
                time_nano,
            })
        }))
    }
}
