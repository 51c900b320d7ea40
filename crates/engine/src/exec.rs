//! Processes a person talks to: `exec` in a running container, and the streams of a container's
//! main process (`run`, `attach`), with terminal resizes and exit codes.

use bollard::models::ExecConfig;
use bollard::query_parameters::{ResizeContainerTTYOptions, ResizeExecOptions};

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::hijack::{Hijacked, hijack, post_pending};

/// A command to run in a running container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    /// The command and its arguments.
    pub command: Vec<String>,
    /// `KEY=value` additions to the container's environment.
    pub env: Vec<String>,
    /// User (and group) to run as; empty: the container's.
    pub user: String,
    /// Working directory; empty: the container's.
    pub working_dir: String,
    /// Extended privileges.
    pub privileged: bool,
    /// Allocate a pseudo-terminal.
    pub tty: bool,
    /// Attach standard input (and keep it open).
    pub stdin: bool,
    /// Keys that detach from the process (Docker's syntax, e.g. `ctrl-p,ctrl-q`); empty: the
    /// daemon's default.
    pub detach_keys: String,
}

/// When a container wait ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// The next time it exits.
    NextExit,
    /// Once it is removed (containers created with auto-remove).
    Removed,
    /// Once it is not running (at once when it already is not).
    NotRunning,
}

impl Engine {
    /// Creates an exec instance in `container`; returns its ID.
    ///
    /// # Errors
    /// No such container (not found), a container that is not running (conflict), daemon errors.
    pub async fn create_exec(&self, container: &str, spec: &ExecSpec) -> Result<String> {
        let config = ExecConfig {
            attach_stdin: Some(spec.stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            detach_keys: (!spec.detach_keys.is_empty()).then(|| spec.detach_keys.clone()),
            tty: Some(spec.tty),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            cmd: Some(spec.command.clone()),
            privileged: Some(spec.privileged),
            user: (!spec.user.is_empty()).then(|| spec.user.clone()),
            working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
            ..ExecConfig::default()
        };
        Ok(self.docker.create_exec(container, config).await?.id)
    }

    /// Starts exec `id` attached: its output and input as a raw stream.
    ///
    /// # Errors
    /// The exec or its container is gone, or the command cannot be started (the daemon's words:
    /// `executable file not found`, …).
    pub async fn start_exec(&self, id: &str, tty: bool) -> Result<Hijacked> {
        let body = serde_json::json!({ "Detach": false, "Tty": tty }).to_string();
        hijack(&self.endpoint, &format!("/exec/{id}/start"), &body).await
    }

    /// Starts exec `id` in the background.
    ///
    /// # Errors
    /// As [`Engine::start_exec`].
    pub async fn start_exec_detached(&self, id: &str, tty: bool) -> Result<()> {
        let options = bollard::exec::StartExecOptions {
            detach: true,
            tty,
            output_capacity: None,
        };
        self.docker.start_exec(id, Some(options)).await?;
        Ok(())
    }

    /// Resizes exec `id`'s terminal.
    ///
    /// # Errors
    /// The exec has no terminal or has ended.
    pub async fn resize_exec(&self, id: &str, rows: u16, columns: u16) -> Result<()> {
        let options = ResizeExecOptions {
            h: i32::from(rows),
            w: i32::from(columns),
        };
        Ok(self.docker.resize_exec(id, options).await?)
    }

    /// Exec `id`'s exit code, once it has ended (`None` while it runs).
    ///
    /// # Errors
    /// The exec is gone.
    pub async fn exec_exit_code(&self, id: &str) -> Result<Option<i64>> {
        let inspect = self.docker.inspect_exec(id).await?;
        Ok(if inspect.running == Some(true) {
            None
        } else {
            inspect.exit_code
        })
    }

    /// Attaches to `container`'s main process: its output, and its input when `stdin` is set.
    /// Call before starting the container and nothing it writes is lost.
    ///
    /// # Errors
    /// No such container, daemon errors.
    pub async fn attach_streams(
        &self,
        container: &str,
        stdin: bool,
        logs: bool,
        detach_keys: &str,
    ) -> Result<Hijacked> {
        let mut path = format!(
            "/containers/{container}/attach?stream=1&stdout=1&stderr=1&stdin={}&logs={}",
            u8::from(stdin),
            u8::from(logs)
        );
        if !detach_keys.is_empty() {
            path.push_str("&detachKeys=");
            path.push_str(&percent_encode(detach_keys));
        }
        hijack(&self.endpoint, &path, "").await
    }

    /// Resizes `container`'s terminal.
    ///
    /// # Errors
    /// The container has no terminal or is not running.
    pub async fn resize_container(&self, container: &str, rows: u16, columns: u16) -> Result<()> {
        let options = ResizeContainerTTYOptions {
            h: i32::from(rows),
            w: i32::from(columns),
        };
        Ok(self.docker.resize_container_tty(container, options).await?)
    }

    /// Registers a wait on `container` and returns a future of its exit code. Register before
    /// starting the container, so that even an immediate exit is seen: this returns once the
    /// daemon has accepted the wait.
    ///
    /// # Errors
    /// No such container (at registration), or the wait failed.
    pub async fn wait_exit(
        &self,
        container: &str,
        until: WaitUntil,
    ) -> Result<impl std::future::Future<Output = Result<i64>> + Send + 'static> {
        let condition = match until {
            WaitUntil::NextExit => "next-exit",
            WaitUntil::Removed => "removed",
            WaitUntil::NotRunning => "not-running",
        };
        let pending = post_pending(
            &self.endpoint,
            &format!("/containers/{container}/wait?condition={condition}"),
        )
        .await?;
        Ok(async move {
            let answer = pending.json().await?;
            if let Some(message) = answer
                .pointer("/Error/Message")
                .and_then(serde_json::Value::as_str)
                .filter(|message| !message.is_empty())
            {
                return Err(EngineError::Daemon {
                    status: 500,
                    message: message.to_owned(),
                });
            }
            Ok(answer
                .get("StatusCode")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(-1))
        })
    }
}

/// Query-string encoding for the few characters detach keys contain.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
