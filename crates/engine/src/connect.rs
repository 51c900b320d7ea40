//! Finding the daemon: `DOCKER_HOST`, then the active Docker context (`DOCKER_CONTEXT` or
//! `currentContext` in the Docker CLI's `config.json`), then the default socket, as the `docker`
//! CLI does. The first request checks that something answers, so that a missing daemon is one clear
//! error naming the address rather than a failure deep inside the first real operation.

use std::path::{Path, PathBuf};

use bollard::{API_DEFAULT_VERSION, Docker};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// The socket used when nothing else is configured.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long a request may wait for the daemon's response headers. Stops with long grace periods
/// and health waits legitimately take minutes, so this is generous; the front end applies its own
/// deadlines.
const REQUEST_TIMEOUT_SECONDS: u64 = 3600;

/// Where the daemon is, and why berth thinks so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix://…`, `tcp://…` or `http://…`.
    pub host: String,
}

impl Endpoint {
    /// Resolves the endpoint from the environment and the Docker CLI configuration.
    ///
    /// # Errors
    /// A named context that does not exist, or an unreadable context file.
    pub fn from_environment() -> Result<Self> {
        if let Some(host) = non_empty_var("DOCKER_HOST") {
            return Ok(Self { host });
        }
        let config_dir = docker_config_dir();
        let context = match non_empty_var("DOCKER_CONTEXT") {
            Some(context) => Some(context),
            None => current_context(&config_dir),
        };
        match context {
            Some(context) if context != "default" => {
                let host = context_host(&config_dir, &context)?;
                Ok(Self { host })
            }
            _ => Ok(Self {
                host: DEFAULT_HOST.to_owned(),
            }),
        }
    }
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The Docker CLI's configuration directory: `DOCKER_CONFIG`, else `~/.docker`.
#[must_use]
pub fn docker_config_dir() -> PathBuf {
    if let Some(dir) = non_empty_var("DOCKER_CONFIG") {
        return PathBuf::from(dir);
    }
    let home = non_empty_var("HOME").unwrap_or_else(|| "/".to_owned());
    Path::new(&home).join(".docker")
}

fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config
        .get("currentContext")
        .and_then(serde_json::Value::as_str)
        .filter(|context| !context.is_empty())
        .map(str::to_owned)
}

/// The Docker CLI stores context `name` under `contexts/meta/<sha256(name)>/meta.json`.
fn context_host(config_dir: &Path, context: &str) -> Result<String> {
    let digest = Sha256::digest(context.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    let path = config_dir
        .join("contexts")
        .join("meta")
        .join(hex)
        .join("meta.json");
    let text = std::fs::read_to_string(&path).map_err(|error| {
        EngineError::Config(format!(
            "docker context \"{context}\" not found ({}: {error})",
            path.display()
        ))
    })?;
    let meta: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| EngineError::Config(format!("{}: {error}", path.display())))?;
    meta.pointer("/Endpoints/docker/Host")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            EngineError::Config(format!(
                "docker context \"{context}\" has no docker endpoint ({})",
                path.display()
            ))
        })
}

/// Opens a client for `endpoint` without contacting the daemon.
pub(crate) fn client(endpoint: &Endpoint) -> Result<Docker> {
    let host = endpoint.host.as_str();
    let result = if host.starts_with("unix://") {
        Docker::connect_with_unix(host, REQUEST_TIMEOUT_SECONDS, API_DEFAULT_VERSION)
    } else if let Some(rest) = host.strip_prefix("tcp://") {
        Docker::connect_with_http(
            &format!("http://{rest}"),
            REQUEST_TIMEOUT_SECONDS,
            API_DEFAULT_VERSION,
        )
    } else if host.starts_with("http://") {
        Docker::connect_with_http(host, REQUEST_TIMEOUT_SECONDS, API_DEFAULT_VERSION)
    } else if host.starts_with('/') {
        Docker::connect_with_unix(
            &format!("unix://{host}"),
            REQUEST_TIMEOUT_SECONDS,
            API_DEFAULT_VERSION,
        )
    } else {
        return Err(EngineError::Unreachable {
            host: host.to_owned(),
            reason: "unsupported address scheme (berth speaks unix:// and tcp://)".to_owned(),
        });
    };
    result.map_err(|error| EngineError::Unreachable {
        host: host.to_owned(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_meta_path_uses_sha256_of_the_name() {
        let dir = std::env::temp_dir().join(format!("berth-context-{}", std::process::id()));
        let digest = Sha256::digest(b"remote");
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        let meta = dir.join("contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2375"}}}"#,
        )
        .unwrap();
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        assert_eq!(current_context(&dir).as_deref(), Some("remote"));
        assert_eq!(context_host(&dir, "remote").unwrap(), "tcp://10.0.0.5:2375");
        let missing = context_host(&dir, "nope").unwrap_err().to_string();
        assert!(
            missing.contains("docker context \"nope\" not found"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
