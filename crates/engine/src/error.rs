//! The engine's one error type: what went wrong talking to the container engine, sorted so the
//! front end can react (a missing container is not a broken socket) and print the daemon's words.

use std::fmt;

/// An error from the container engine or the way to it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No daemon answers at the address berth tried.
    #[error(
        "cannot connect to the Docker daemon at {host}: {reason}\nhint: is the docker daemon running? Set DOCKER_HOST or the active docker context to reach another one"
    )]
    Unreachable {
        /// The address tried, e.g. `unix:///var/run/docker.sock`.
        host: String,
        /// What the transport said.
        reason: String,
    },
    /// The object does not exist (HTTP 404).
    #[error("{message}")]
    NotFound {
        /// The daemon's message.
        message: String,
    },
    /// The object is in a state that forbids the operation, or its name is taken (HTTP 409).
    #[error("{message}")]
    Conflict {
        /// The daemon's message.
        message: String,
    },
    /// Any other error the daemon answered with.
    #[error("{message}")]
    Daemon {
        /// The HTTP status.
        status: u16,
        /// The daemon's message.
        message: String,
    },
    /// The request failed on the way (connection reset, timeout, malformed answer).
    #[error("talking to the Docker daemon: {0}")]
    Transport(#[source] bollard::errors::Error),
    /// A container exited while something waited for it to become ready.
    #[error("{0}")]
    Condition(ConditionFailure),
    /// A Docker context or configuration file could not be read.
    #[error("{0}")]
    Config(String),
}

/// Why a wait on a container's state failed; the wording is Compose's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionFailure {
    /// The container's healthcheck reported unhealthy.
    Unhealthy {
        /// Container name.
        container: String,
    },
    /// The container exited while a healthy or running state was awaited.
    Exited {
        /// Container name.
        container: String,
        /// Its exit code.
        code: i64,
    },
    /// The container has no healthcheck, so it can never become healthy.
    NoHealthcheck {
        /// Container name.
        container: String,
    },
    /// A one-shot container exited with a non-zero code.
    NotCompletedSuccessfully {
        /// Service name (Compose names the service here).
        service: String,
        /// Its exit code.
        code: i64,
    },
    /// The wait timed out.
    Timeout {
        /// Container name.
        container: String,
    },
}

impl fmt::Display for ConditionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unhealthy { container } => write!(f, "container {container} is unhealthy"),
            Self::Exited { container, code } => write!(f, "container {container} exited ({code})"),
            Self::NoHealthcheck { container } => {
                write!(f, "container {container} has no healthcheck configured")
            }
            Self::NotCompletedSuccessfully { service, code } => {
                write!(
                    f,
                    "service \"{service}\" didn't complete successfully: exit {code}"
                )
            }
            Self::Timeout { container } => {
                write!(f, "timed out waiting for container {container}")
            }
        }
    }
}

impl EngineError {
    /// True for a 404 from the daemon.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// True for a 409 from the daemon.
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// True for a 304 (already started, already stopped).
    #[must_use]
    pub fn is_not_modified(&self) -> bool {
        matches!(self, Self::Daemon { status: 304, .. })
    }
}

impl From<bollard::errors::Error> for EngineError {
    fn from(error: bollard::errors::Error) -> Self {
        use bollard::errors::Error as B;
        match error {
            B::DockerResponseServerError {
                status_code: 404,
                message,
            } => Self::NotFound { message },
            B::DockerResponseServerError {
                status_code: 409,
                message,
            } => Self::Conflict { message },
            B::DockerResponseServerError {
                status_code,
                message,
            } => Self::Daemon {
                status: status_code,
                message,
            },
            other => Self::Transport(other),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
