//! berth's engine layer: everything that talks to the container engine, and nothing about compose
//! files.
//!
//! [`Engine`] wraps a `bollard` client with typed errors ([`EngineError`]) and the few operations
//! berth needs, one resource per module ([`containers`], [`networks`], [`volumes`], [`images`]).
//! Resources are described by engine-level specs ([`spec`]). Work on many resources is described as a
//! [`Plan`] — a DAG of operations, each one API call with its cause — and run by [`execute()`], which
//! walks the DAG with bounded parallelism, makes no decisions, and reports progress through the
//! [`Reporter`] trait. The front end decides what the plan is.

pub mod archive;
pub mod build;
pub mod connect;
pub mod containers;
pub mod error;
pub mod events;
pub mod exec;
pub mod execute;
pub mod hijack;
pub mod images;
pub mod inspect;
pub mod labels;
pub mod logs;
pub mod networks;
pub mod plan;
pub mod registry;
#[cfg(any(test, feature = "test-support"))]
pub mod scratch;
pub mod spec;
pub mod volumes;

pub use bollard::models;
pub use connect::Endpoint;
pub use error::{ConditionFailure, EngineError, Result};
pub use exec::{ExecSpec, WaitUntil};
pub use execute::{Event, EventStatus, Reporter, execute};
pub use hijack::{Hijacked, copy_output};
pub use plan::{Operation, Plan, StepId};
pub use spec::{ContainerSpec, FileInjection, NetworkSpec, VolumeSpec};

use bollard::Docker;

/// berth's own cache directory, `$XDG_CACHE_HOME/berth` (`~/.cache/berth`); `None` without a
/// home, or with `BERTH_NO_CACHE` set (to any value). What is kept there only saves work: losing
/// it costs nothing but time.
#[must_use]
pub fn cache_dir() -> Option<std::path::PathBuf> {
    if std::env::var_os("BERTH_NO_CACHE").is_some() {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| std::path::PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("berth"))
}

/// A connection to one container engine. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    endpoint: Endpoint,
}

impl Engine {
    /// Connects to the daemon found by [`Endpoint::from_environment`] and checks that it answers.
    ///
    /// # Errors
    /// [`EngineError::Unreachable`] naming the address when nothing answers there.
    pub async fn connect() -> Result<Self> {
        Self::connect_to(Endpoint::from_environment()?).await
    }

    /// Connects to `endpoint` and checks that a daemon answers.
    ///
    /// # Errors
    /// [`EngineError::Unreachable`] naming the address when nothing answers there.
    pub async fn connect_to(endpoint: Endpoint) -> Result<Self> {
        let engine = Self::open(endpoint)?;
        engine.check().await?;
        Ok(engine)
    }

    /// A client for the endpoint found by [`Endpoint::from_environment`], without contacting the
    /// daemon: pair the first requests with [`Engine::checked`] so that a missing daemon is still
    /// reported as [`EngineError::Unreachable`], at no extra round trip.
    ///
    /// # Errors
    /// An unusable address or Docker context.
    pub fn open_default() -> Result<Self> {
        Self::open(Endpoint::from_environment()?)
    }

    /// A client for `endpoint`, without contacting the daemon.
    ///
    /// # Errors
    /// An unusable address.
    pub fn open(endpoint: Endpoint) -> Result<Self> {
        let docker = connect::client(&endpoint)?;
        Ok(Self { docker, endpoint })
    }

    /// Checks that a daemon answers.
    ///
    /// # Errors
    /// [`EngineError::Unreachable`] naming the address.
    pub async fn check(&self) -> Result<()> {
        self.docker
            .ping()
            .await
            .map(drop)
            .map_err(|error| EngineError::Unreachable {
                host: self.endpoint.host.clone(),
                reason: unreachable_reason(&error),
            })
    }

    /// Runs `work` while checking, in parallel, that the daemon answers; a missing daemon is
    /// reported as [`EngineError::Unreachable`] rather than as `work`'s transport error.
    ///
    /// # Errors
    /// Unreachable, or `work`'s own error.
    pub async fn checked<T, E>(
        &self,
        work: impl std::future::Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E>
    where
        E: From<EngineError>,
    {
        let (reachable, result) = tokio::join!(self.check(), work);
        reachable?;
        result
    }

    /// The address this engine talks to.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The underlying client, for the rare call this crate does not wrap.
    #[must_use]
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The daemon's version information.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn version(&self) -> Result<models::SystemVersion> {
        Ok(self.docker.version().await?)
    }
}

/// The innermost cause of a connection failure, which is the part a user can act on ("No such file
/// or directory", "Connection refused").
fn unreachable_reason(error: &bollard::errors::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}
