//! The client side of a BuildKit session: what a BuildKit build asks its client for while it
//! runs, which a `/build` tar body cannot carry. Build secrets (`RUN --mount=type=secret`), SSH
//! agent forwarding (`RUN --mount=type=ssh`) and registry credentials for BuildKit's own pulls.
//!
//! The protocol, as moby's `/session` route and BuildKit's `session` package speak it (Docker
//! 20.10 vendors BuildKit 0.8): the client sends `POST /session` with `Upgrade: h2c` and the
//! session's id, name, shared key and every gRPC method it serves in `X-Docker-Expose-Session-*`
//! headers. After `101 Switching Protocols` the roles turn around: the daemon is the gRPC client
//! and berth the HTTP/2 server on that connection. A build names the session with
//! `/build?…&session=<id>`, and BuildKit waits up to five seconds for that session to appear, so
//! the session is opened before the build. The daemon checks the session's health every second
//! (`grpc.health.v1.Health/Check`, ten seconds' timeout) and drops the session when a check fails.
//!
//! Served methods, each a unary call unless said:
//! - `moby.buildkit.secrets.v1.Secrets/GetSecret`: a secret by id, `NOT_FOUND` for an unknown id
//!   (BuildKit then fails the step unless the mount is `required=false`).
//! - `moby.sshforward.v1.SSH/CheckAgent` and `ForwardAgent` (a two-way stream of byte chunks, the
//!   id in the `buildkit.ssh.id` metadata): bridged to an SSH agent socket. Like the Docker CLI's
//!   provider the agent is read-only for the build: only requests that list keys, sign and
//!   extensions reach it; the others (adding, removing, locking keys) are answered
//!   `SSH_AGENT_FAILURE`.
//! - `moby.filesync.v1.Auth/Credentials`: the Docker CLI's credentials for a registry host
//!   ([`crate::registry`]); `FetchToken`, `GetTokenAuthority` and `VerifyTokenAuthority` answer
//!   `UNIMPLEMENTED`, after which BuildKit asks for the credentials and fetches tokens itself.
//!
//! gRPC is written by hand on top of `h2`: a message is a 5-byte prefix (compressed flag, then a
//! big-endian length) and protobuf; the few messages involved are encoded and decoded here.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use h2::RecvStream;
use h2::server::SendResponse;
use http::{HeaderMap, HeaderValue, Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Engine, EngineError, Result};

/// What a build session offers the builds that name it.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// The session's name (the Docker CLI uses the context directory's base name); shown in the
    /// daemon's logs only.
    pub name: String,
    /// The session's shared key (the Docker CLI's is a hash of the context directory); BuildKit
    /// keys the cache of files synced from the client with it, which berth does not use.
    pub shared_key: String,
    /// Build secrets by id (`--secret id=…`).
    pub secrets: Vec<Secret>,
    /// SSH agents by id (`--ssh id=…`).
    pub ssh: Vec<SshSource>,
    /// Answer BuildKit's registry credential requests from the Docker CLI's config.
    pub auth: bool,
    /// The Docker CLI's config directory read for `auth`; `None` is `$DOCKER_CONFIG`, else
    /// `~/.docker` ([`crate::connect::docker_config_dir`]).
    pub docker_config: Option<PathBuf>,
}

/// One build secret.
#[derive(Debug, Clone)]
pub struct Secret {
    /// The id a `RUN --mount=type=secret,id=…` names.
    pub id: String,
    /// Where its value comes from.
    pub source: SecretSource,
}

/// Where a secret's value comes from. Files and variables are read when BuildKit asks, as the
/// Docker CLI reads them.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// The value itself.
    Bytes(Vec<u8>),
    /// A file's content.
    File(PathBuf),
    /// An environment variable's value.
    Env(String),
}

/// One SSH agent a build may use (`--ssh id=path,…`).
#[derive(Debug, Clone, Default)]
pub struct SshSource {
    /// The id a `RUN --mount=type=ssh,id=…` names (`default` when empty).
    pub id: String,
    /// Nothing for the agent at `$SSH_AUTH_SOCK`; one agent socket; or private key files, which
    /// are loaded (`ssh-add`) into an `ssh-agent` of the session's own, stopped with it. Keys with a
    /// passphrase ask for it as `ssh-add` does.
    pub paths: Vec<PathBuf>,
}

/// A running session: serves the daemon until it is dropped or [`BuildSession::close`]d.
#[derive(Debug)]
pub struct BuildSession {
    id: String,
    /// The task serving the connection; `None` once closed.
    serving: Option<tokio::task::JoinHandle<()>>,
}

impl BuildSession {
    /// The session's id, for `/build?session=<id>`.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the session still serves (the daemon has not closed the connection).
    #[must_use]
    pub fn is_serving(&self) -> bool {
        self.serving
            .as_ref()
            .is_some_and(|serving| !serving.is_finished())
    }

    /// Ends the session and waits until its connection is closed, after which the daemon
    /// forgets it.
    pub async fn close(mut self) {
        if let Some(serving) = self.serving.take() {
            serving.abort();
            let _ = serving.await;
        }
    }
}

impl Drop for BuildSession {
    fn drop(&mut self) {
        if let Some(serving) = &self.serving {
            serving.abort();
        }
    }
}

/// The gRPC methods of each service, as advertised to the daemon.
const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";
const GET_SECRET: &str = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const CHECK_AGENT: &str = "/moby.sshforward.v1.SSH/CheckAgent";
const FORWARD_AGENT: &str = "/moby.sshforward.v1.SSH/ForwardAgent";
const CREDENTIALS: &str = "/moby.filesync.v1.Auth/Credentials";
const FETCH_TOKEN: &str = "/moby.filesync.v1.Auth/FetchToken";
const GET_TOKEN_AUTHORITY: &str = "/moby.filesync.v1.Auth/GetTokenAuthority";
const VERIFY_TOKEN_AUTHORITY: &str = "/moby.filesync.v1.Auth/VerifyTokenAuthority";

/// The id BuildKit uses for an SSH mount without one.
const DEFAULT_SSH_ID: &str = "default";

/// What the serving side knows.
#[derive(Debug)]
struct Services {
    secrets: HashMap<String, SecretSource>,
    ssh: HashMap<String, AgentSource>,
    auth: bool,
    config_dir: PathBuf,
}

impl SessionConfig {
    /// The methods this configuration serves, in the order they are advertised.
    fn methods(&self) -> Vec<&'static str> {
        let mut methods = vec![HEALTH_CHECK];
        if !self.secrets.is_empty() {
            methods.push(GET_SECRET);
        }
        if !self.ssh.is_empty() {
            methods.extend([CHECK_AGENT, FORWARD_AGENT]);
        }
        if self.auth {
            methods.extend([
                CREDENTIALS,
                FETCH_TOKEN,
                GET_TOKEN_AUTHORITY,
                VERIFY_TOKEN_AUTHORITY,
            ]);
        }
        methods
    }

    /// Checks the sources and resolves the SSH sockets, as the Docker CLI does before a build.
    fn services(&self) -> Result<Services> {
        let mut secrets = HashMap::new();
        for secret in &self.secrets {
            if secret.id.is_empty() {
                return Err(EngineError::Config("a build secret needs an id".to_owned()));
            }
            if let SecretSource::File(path) = &secret.source {
                std::fs::metadata(path).map_err(|error| {
                    EngineError::Config(format!(
                        "failed to stat secret {} file {}: {error}",
                        secret.id,
                        path.display()
                    ))
                })?;
            }
            if secrets
                .insert(secret.id.clone(), secret.source.clone())
                .is_some()
            {
                return Err(EngineError::Config(format!(
                    "duplicate secret id {}",
                    secret.id
                )));
            }
        }
        let mut ssh = HashMap::new();
        for source in &self.ssh {
            let id = if source.id.is_empty() {
                DEFAULT_SSH_ID.to_owned()
            } else {
                source.id.clone()
            };
            let agent = match source.paths.as_slice() {
                [] => AgentSource::Socket(
                    std::env::var_os("SSH_AUTH_SOCK")
                        .filter(|value| !value.is_empty())
                        .map(PathBuf::from)
                        .ok_or_else(|| {
                            EngineError::Config(
                                "invalid empty ssh agent socket, make sure SSH_AUTH_SOCK is set"
                                    .to_owned(),
                            )
                        })?,
                ),
                paths => agent_source(paths)?,
            };
            if ssh.insert(id.clone(), agent).is_some() {
                return Err(EngineError::Config(format!("invalid duplicate ID {id}")));
            }
        }
        Ok(Services {
            secrets,
            ssh,
            auth: self.auth,
            config_dir: self
                .docker_config
                .clone()
                .unwrap_or_else(crate::connect::docker_config_dir),
        })
    }
}

/// Where an SSH id's agent is, before the session starts.
#[derive(Debug)]
enum AgentSource {
    /// A running agent.
    Socket(PathBuf),
    /// Key files for an agent of the session's own.
    Keys(Vec<PathBuf>),
}

/// One agent socket, or key files; the Docker CLI's rules (and wording) for mixing them.
fn agent_source(paths: &[PathBuf]) -> Result<AgentSource> {
    use std::os::unix::fs::FileTypeExt as _;
    let mut sockets = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|error| {
            EngineError::Config(format!("ssh agent source {}: {error}", path.display()))
        })?;
        if metadata.file_type().is_socket() {
            sockets.push(path.clone());
        }
    }
    match sockets.as_slice() {
        [] => Ok(AgentSource::Keys(paths.to_vec())),
        [socket] if paths.len() == 1 => Ok(AgentSource::Socket(socket.clone())),
        [_] => Err(EngineError::Config(
            "invalid combination of keys and sockets".to_owned(),
        )),
        _ => Err(EngineError::Config("only single socket allowed".to_owned())),
    }
}

/// An `ssh-agent` holding a session's key files: killed, and its directory removed, when
/// dropped (with the session's serving task).
#[derive(Debug)]
struct PrivateAgent {
    child: std::process::Child,
    dir: PathBuf,
}

impl Drop for PrivateAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts an `ssh-agent` on a socket in a private directory and loads `keys` into it with
/// `ssh-add`. Returns the agent and its socket.
async fn private_agent(keys: Vec<PathBuf>) -> Result<(PrivateAgent, PathBuf)> {
    use std::os::unix::fs::DirBuilderExt as _;
    let dir = std::env::temp_dir().join(format!("berth-ssh-{}", new_session_id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|error| EngineError::Config(format!("{}: {error}", dir.display())))?;
    let socket = dir.join("agent.sock");
    let child = std::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(EngineError::Config(format!(
                "starting ssh-agent for the build's ssh keys: {error}"
            )));
        }
    };
    let agent = PrivateAgent { child, dir };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        if std::time::Instant::now() > deadline {
            return Err(EngineError::Config(
                "ssh-agent did not open its socket".to_owned(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let add_socket = socket.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ssh-add")
            .arg("-q")
            .args(&keys)
            .env("SSH_AUTH_SOCK", add_socket)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .map_err(|error| EngineError::Config(error.to_string()))?
    .map_err(|error| EngineError::Config(format!("running ssh-add: {error}")))?;
    if !output.status.success() {
        return Err(EngineError::Config(format!(
            "loading ssh keys: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok((agent, socket))
}

impl Engine {
    /// Opens a BuildKit session offering what `config` names, and serves it on its own task
    /// until the returned [`BuildSession`] is dropped. Builds use it through
    /// `/build?…&session=<id>`.
    ///
    /// # Errors
    /// A secret file that does not exist, SSH sources that do not exist or mix sockets and key
    /// files, keys `ssh-add` cannot load ([`EngineError::Config`]); a daemon that refuses the
    /// session; transport errors.
    pub async fn start_build_session(&self, config: &SessionConfig) -> Result<BuildSession> {
        let mut services = config.services()?;
        let mut agents = Vec::new();
        for source in services.ssh.values_mut() {
            if let AgentSource::Keys(keys) = source {
                let (agent, socket) = private_agent(std::mem::take(keys)).await?;
                agents.push(agent);
                *source = AgentSource::Socket(socket);
            }
        }
        let services = Arc::new(services);
        let id = new_session_id();
        let mut headers = vec![
            ("X-Docker-Expose-Session-Uuid", id.as_str()),
            ("X-Docker-Expose-Session-Name", config.name.as_str()),
            (
                "X-Docker-Expose-Session-Sharedkey",
                config.shared_key.as_str(),
            ),
        ];
        for (_, value) in &headers {
            if value.contains(['\r', '\n']) {
                return Err(EngineError::Config(format!(
                    "invalid session header value {value:?}"
                )));
            }
        }
        let methods = config.methods();
        headers.extend(
            methods
                .iter()
                .map(|method| ("X-Docker-Expose-Session-Grpc-Method", *method)),
        );
        let stream =
            crate::hijack::upgrade(&self.endpoint, "/session", "", "h2c", &headers).await?;
        let io = tokio::io::join(stream.output, stream.input);
        // The daemon speaks first (HTTP/2's client preface) as soon as it has switched.
        let mut connection = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            h2::server::handshake(io),
        )
        .await
        .map_err(|_| {
            EngineError::Transport(bollard::errors::Error::IOError {
                err: io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the daemon did not start the session's HTTP/2 connection",
                ),
            })
        })?
        .map_err(h2_error)?;
        let serving = tokio::spawn(async move {
            // The private agents live as long as the session serves.
            let _agents = agents;
            let mut calls = tokio::task::JoinSet::new();
            while let Some(Ok((request, respond))) = connection.accept().await {
                let services = Arc::clone(&services);
                calls.spawn(async move {
                    let _ = serve_call(&services, request, respond).await;
                });
                while calls.try_join_next().is_some() {}
            }
            // The connection is gone: calls still running end with the set.
        });
        Ok(BuildSession {
            id,
            serving: Some(serving),
        })
    }
}

/// A new session id: 25 characters of `[a-z0-9]`, as BuildKit's `identity.NewID` makes them.
fn new_session_id() -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.update(now.as_nanos().to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    if let Ok(mut random) = std::fs::File::open("/dev/urandom") {
        let mut buffer = [0_u8; 16];
        if std::io::Read::read_exact(&mut random, &mut buffer).is_ok() {
            hasher.update(buffer);
        }
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    hasher
        .finalize()
        .iter()
        .take(25)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// gRPC status codes used here.
mod code {
    pub(super) const OK: u32 = 0;
    pub(super) const UNKNOWN: u32 = 2;
    pub(super) const INVALID_ARGUMENT: u32 = 3;
    pub(super) const NOT_FOUND: u32 = 5;
    pub(super) const UNIMPLEMENTED: u32 = 12;
    pub(super) const UNAVAILABLE: u32 = 14;
}

/// A failed call: a gRPC status code and message.
#[derive(Debug)]
struct Status {
    code: u32,
    message: String,
}

impl Status {
    fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Answers one call.
async fn serve_call(
    services: &Services,
    request: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
) -> std::result::Result<(), h2::Error> {
    let method = request.uri().path().to_owned();
    if method == FORWARD_AGENT {
        return forward_agent(services, request, respond).await;
    }
    let outcome = match read_unary(request.into_body()).await {
        Err(status) => Err(status),
        Ok(message) => answer_unary(services, &method, &message).await,
    };
    let mut send = respond.send_response(grpc_response(), false)?;
    match outcome {
        Ok(message) => {
            send.send_data(frame(&message), false)?;
            send.send_trailers(trailers(code::OK, ""))
        }
        Err(status) => send.send_trailers(trailers(status.code, &status.message)),
    }
}

/// The answer to one unary call, its protobuf message.
async fn answer_unary(
    services: &Services,
    method: &str,
    message: &[u8],
) -> std::result::Result<Vec<u8>, Status> {
    match method {
        // HealthCheckResponse{status: SERVING}.
        HEALTH_CHECK => Ok(proto::encode(&[(1, proto::Value::Varint(1))])),
        GET_SECRET if !services.secrets.is_empty() => {
            let id = proto::string_field(message, 1)?;
            get_secret(services, &id).await
        }
        CHECK_AGENT if !services.ssh.is_empty() => {
            let id = proto::string_field(message, 1)?;
            let id = if id.is_empty() {
                DEFAULT_SSH_ID.to_owned()
            } else {
                id
            };
            if services.ssh.contains_key(&id) {
                Ok(Vec::new())
            } else {
                Err(Status::new(
                    code::NOT_FOUND,
                    format!("unset ssh forward key {id}"),
                ))
            }
        }
        CREDENTIALS if services.auth => {
            let host = proto::string_field(message, 1)?;
            credentials(services, host).await
        }
        _ => Err(Status::new(
            code::UNIMPLEMENTED,
            format!("unknown method {method}"),
        )),
    }
}

async fn get_secret(services: &Services, id: &str) -> std::result::Result<Vec<u8>, Status> {
    let not_found = || Status::new(code::NOT_FOUND, format!("secret {id} not found"));
    let value = match services.secrets.get(id).ok_or_else(not_found)? {
        SecretSource::Bytes(bytes) => bytes.clone(),
        SecretSource::File(path) => tokio::fs::read(path).await.map_err(|error| {
            Status::new(
                code::UNKNOWN,
                format!("reading secret {id} from {}: {error}", path.display()),
            )
        })?,
        SecretSource::Env(name) => std::env::var_os(name)
            .map(|value| value.into_encoded_bytes())
            .ok_or_else(not_found)?,
    };
    Ok(proto::encode(&[(1, proto::Value::Bytes(&value))]))
}

/// The Docker CLI's credentials for `host` (its auth provider's mapping of the Docker Hub's
/// registry host to the config's key), as `CredentialsResponse{Username, Secret}`: an identity
/// token goes alone in `Secret`. No entry is an empty answer (anonymous).
async fn credentials(services: &Services, host: String) -> std::result::Result<Vec<u8>, Status> {
    let dir = services.config_dir.clone();
    let found = tokio::task::spawn_blocking(move || {
        // A reference on that registry, so that `registry_host` finds it again.
        let reference = if host == "registry-1.docker.io" {
            "docker.io/library/x".to_owned()
        } else {
            format!("{host}/x")
        };
        crate::registry::credentials_in(&dir, &reference)
    })
    .await
    .map_err(|error| Status::new(code::UNKNOWN, error.to_string()))?
    .map_err(|error| Status::new(code::UNKNOWN, error.to_string()))?;
    let (username, secret) = match found {
        None => (String::new(), String::new()),
        Some(found) => match found.identitytoken {
            Some(token) => (String::new(), token),
            None => (
                found.username.unwrap_or_default(),
                found.password.unwrap_or_default(),
            ),
        },
    };
    Ok(proto::encode(&[
        (1, proto::Value::Bytes(username.as_bytes())),
        (2, proto::Value::Bytes(secret.as_bytes())),
    ]))
}

/// Largest request message accepted (the requests here are a few bytes).
const MAX_REQUEST: usize = 1024 * 1024;

/// The one message of a unary call's request.
async fn read_unary(mut body: RecvStream) -> std::result::Result<Vec<u8>, Status> {
    let mut buffer = BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|error| Status::new(code::UNAVAILABLE, error.to_string()))?;
        let _ = body.flow_control().release_capacity(chunk.len());
        buffer.extend_from_slice(&chunk);
        if buffer.len() > MAX_REQUEST + 5 {
            return Err(Status::new(code::INVALID_ARGUMENT, "request too large"));
        }
    }
    let mut frames = Deframer::default();
    frames.push(&buffer);
    match frames.next_message() {
        Ok(Some(message)) => Ok(message),
        Ok(None) => Err(Status::new(code::INVALID_ARGUMENT, "no request message")),
        Err(error) => Err(Status::new(code::INVALID_ARGUMENT, error)),
    }
}

/// gRPC message framing: messages cut out of a byte stream as it arrives.
#[derive(Debug, Default)]
struct Deframer {
    pending: BytesMut,
}

impl Deframer {
    fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next whole message, if it has arrived.
    fn next_message(&mut self) -> std::result::Result<Option<Vec<u8>>, String> {
        if self.pending.len() < 5 {
            return Ok(None);
        }
        if self.pending[0] != 0 {
            return Err("compressed gRPC messages are not supported".to_owned());
        }
        let length = u32::from_be_bytes([
            self.pending[1],
            self.pending[2],
            self.pending[3],
            self.pending[4],
        ]) as usize;
        if length > MAX_REQUEST {
            return Err(format!("gRPC message of {length} bytes is too large"));
        }
        if self.pending.len() < 5 + length {
            return Ok(None);
        }
        let message = self.pending.split_to(5 + length);
        Ok(Some(message[5..].to_vec()))
    }
}

/// One gRPC message: uncompressed, big-endian length, protobuf.
fn frame(message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + message.len());
    out.extend_from_slice(&[0]);
    let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(message);
    out.freeze()
}

fn grpc_response() -> Response<()> {
    let mut response = Response::new(());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    response
}

fn trailers(code: u32, message: &str) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(code));
    if !message.is_empty()
        && let Ok(value) = HeaderValue::from_str(&percent_encode(message))
    {
        trailers.insert("grpc-message", value);
    }
    trailers
}

/// `grpc-message` is percent-encoded outside printable ASCII (and `%` itself).
fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The SSH agent requests a build may make: list keys, sign, extensions (`session-bind@openssh.com`
/// and queries). Everything else (adding, removing, locking keys, protocol 1's requests, which
/// OpenSSH's agent still honours for removals) is answered `SSH_AGENT_FAILURE`, so the agent is
/// read-only for the build as the Docker CLI's provider makes it.
const AGENT_READS: [u8; 3] = [
    11, // SSH2_AGENTC_REQUEST_IDENTITIES
    13, // SSH2_AGENTC_SIGN_REQUEST
    27, // SSH_AGENTC_EXTENSION
];
/// `SSH_AGENT_FAILURE`, framed.
const AGENT_FAILURE: [u8; 5] = [0, 0, 0, 1, 5];
/// Largest agent message passed on (OpenSSH's own limit).
const MAX_AGENT_MESSAGE: usize = 256 * 1024;

/// `ForwardAgent`: the build's agent connection, as `BytesMessage` chunks both ways, bridged to
/// the agent socket one request and one answer at a time (the agent protocol is strictly
/// request–response), so that requests that change the agent can be refused.
async fn forward_agent(
    services: &Services,
    request: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
) -> std::result::Result<(), h2::Error> {
    let id = request
        .headers()
        .get("buildkit.ssh.id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty())
        .unwrap_or(DEFAULT_SSH_ID)
        .to_owned();
    let mut send = respond.send_response(grpc_response(), false)?;
    let Some(AgentSource::Socket(socket)) = services.ssh.get(&id) else {
        return send.send_trailers(trailers(
            code::NOT_FOUND,
            &format!("unset ssh forward key {id}"),
        ));
    };
    let mut agent = match tokio::net::UnixStream::connect(socket).await {
        Ok(agent) => agent,
        Err(error) => {
            return send.send_trailers(trailers(
                code::UNAVAILABLE,
                &format!("failed to connect to {}: {error}", socket.display()),
            ));
        }
    };
    let mut body = request.into_body();
    let mut frames = Deframer::default();
    // Agent protocol bytes from the build, not yet a whole request.
    let mut requests = BytesMut::new();
    let outcome: std::result::Result<(), Status> = async {
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|error| Status::new(code::UNAVAILABLE, error.to_string()))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            frames.push(&chunk);
            while let Some(message) = frames
                .next_message()
                .map_err(|error| Status::new(code::INVALID_ARGUMENT, error))?
            {
                let data = proto::bytes_field(&message, 1)
                    .map_err(|status| Status::new(code::INVALID_ARGUMENT, status.message))?;
                requests.extend_from_slice(&data);
                while let Some(agent_request) = whole_agent_message(&mut requests)? {
                    let answer = if !agent_request
                        .get(4)
                        .is_some_and(|kind| AGENT_READS.contains(kind))
                    {
                        AGENT_FAILURE.to_vec()
                    } else {
                        ask_agent(&mut agent, &agent_request)
                            .await
                            .map_err(|error| {
                                Status::new(code::UNAVAILABLE, format!("ssh agent: {error}"))
                            })?
                    };
                    let message = proto::encode(&[(1, proto::Value::Bytes(&answer))]);
                    send.send_data(frame(&message), false)
                        .map_err(|error| Status::new(code::UNAVAILABLE, error.to_string()))?;
                }
            }
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => send.send_trailers(trailers(code::OK, "")),
        Err(status) => send.send_trailers(trailers(status.code, &status.message)),
    }
}

/// Cuts one whole agent message (length prefix included) off the front of `pending`.
fn whole_agent_message(pending: &mut BytesMut) -> std::result::Result<Option<Vec<u8>>, Status> {
    if pending.len() < 4 {
        return Ok(None);
    }
    let length = u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]) as usize;
    if length > MAX_AGENT_MESSAGE {
        return Err(Status::new(
            code::INVALID_ARGUMENT,
            format!("ssh agent message of {length} bytes is too large"),
        ));
    }
    if pending.len() < 4 + length {
        return Ok(None);
    }
    Ok(Some(pending.split_to(4 + length).to_vec()))
}

/// Sends one request to the agent and reads its one answer, length prefix included.
async fn ask_agent(agent: &mut tokio::net::UnixStream, request: &[u8]) -> io::Result<Vec<u8>> {
    agent.write_all(request).await?;
    let mut prefix = [0_u8; 4];
    agent.read_exact(&mut prefix).await?;
    let length = u32::from_be_bytes(prefix) as usize;
    if length > MAX_AGENT_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("answer of {length} bytes"),
        ));
    }
    let mut answer = vec![0_u8; 4 + length];
    answer[..4].copy_from_slice(&prefix);
    agent.read_exact(&mut answer[4..]).await?;
    Ok(answer)
}

fn h2_error(error: h2::Error) -> EngineError {
    EngineError::Transport(bollard::errors::Error::IOError {
        err: io::Error::other(error),
    })
}

/// The few protobuf encodings the session's messages need.
mod proto {
    use super::{Status, code};

    /// A field's value on the wire.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Value<'a> {
        /// Wire type 0.
        Varint(u64),
        /// Wire type 2.
        Bytes(&'a [u8]),
    }

    /// A message of `fields` in order (empty values included; proto3 readers accept them).
    pub(super) fn encode(fields: &[(u32, Value<'_>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, value) in fields {
            match value {
                Value::Varint(value) => {
                    varint(&mut out, u64::from(*number) << 3);
                    varint(&mut out, *value);
                }
                Value::Bytes(bytes) => {
                    varint(&mut out, (u64::from(*number) << 3) | 2);
                    varint(&mut out, bytes.len() as u64);
                    out.extend_from_slice(bytes);
                }
            }
        }
        out
    }

    fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
            value >>= 7;
        }
        out.push(u8::try_from(value).unwrap_or(0));
    }

    fn read_varint(input: &mut &[u8]) -> Option<u64> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = input.split_first()?;
            *input = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Every field of `message`, in order; `None` when it is malformed.
    pub(super) fn decode(mut message: &[u8]) -> Option<Vec<(u32, Value<'_>)>> {
        let mut fields = Vec::new();
        while !message.is_empty() {
            let key = read_varint(&mut message)?;
            let number = u32::try_from(key >> 3).ok()?;
            match key & 7 {
                0 => fields.push((number, Value::Varint(read_varint(&mut message)?))),
                1 => message = message.get(8..)?,
                2 => {
                    let length = usize::try_from(read_varint(&mut message)?).ok()?;
                    let bytes = message.get(..length)?;
                    message = &message[length..];
                    fields.push((number, Value::Bytes(bytes)));
                }
                5 => message = message.get(4..)?,
                _ => return None,
            }
        }
        Some(fields)
    }

    /// The last value of length-delimited field `number` (empty when absent, as proto3 reads).
    pub(super) fn bytes_field(message: &[u8], number: u32) -> Result<Vec<u8>, Status> {
        let fields = decode(message)
            .ok_or_else(|| Status::new(code::INVALID_ARGUMENT, "malformed protobuf message"))?;
        Ok(fields
            .into_iter()
            .rev()
            .find_map(|(field, value)| match value {
                Value::Bytes(bytes) if field == number => Some(bytes.to_vec()),
                _ => None,
            })
            .unwrap_or_default())
    }

    /// [`bytes_field`] as UTF-8.
    pub(super) fn string_field(message: &[u8], number: u32) -> Result<String, Status> {
        String::from_utf8(bytes_field(message, number)?)
            .map_err(|_| Status::new(code::INVALID_ARGUMENT, "string field is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protobuf_messages_round_trip() {
        // GetSecretRequest{ID: "token", annotations: {"a": "b"}} as Go's protobuf writes it.
        let request = [
            0x0a, 5, b't', b'o', b'k', b'e', b'n', 0x12, 6, 0x0a, 1, b'a', 0x12, 1, b'b',
        ];
        assert_eq!(proto::string_field(&request, 1).unwrap(), "token");
        let response = proto::encode(&[(1, proto::Value::Bytes(&[0_u8; 200]))]);
        assert_eq!(&response[..3], &[0x0a, 0xc8, 0x01]);
        assert_eq!(proto::bytes_field(&response, 1).unwrap(), vec![0_u8; 200]);
        assert_eq!(proto::encode(&[(1, proto::Value::Varint(1))]), [0x08, 1]);
        assert_eq!(proto::string_field(&[], 1).unwrap(), "");
        assert!(proto::bytes_field(&[0x0a, 9, 1], 1).is_err());
    }

    #[test]
    fn grpc_messages_are_cut_from_a_stream_at_any_boundary() {
        let mut wire = frame(b"hello").to_vec();
        wire.extend_from_slice(&frame(b""));
        wire.extend_from_slice(&frame(b"world!"));
        for cut in 0..wire.len() {
            let mut deframer = Deframer::default();
            let mut messages = Vec::new();
            for part in [&wire[..cut], &wire[cut..]] {
                deframer.push(part);
                while let Some(message) = deframer.next_message().unwrap() {
                    messages.push(message);
                }
            }
            assert_eq!(messages, [&b"hello"[..], b"", b"world!"], "cut at {cut}");
        }
    }

    #[test]
    fn agent_messages_are_cut_whole() {
        let mut pending = BytesMut::from(&[0, 0, 0, 1, 11, 0, 0][..]);
        assert_eq!(
            whole_agent_message(&mut pending).unwrap(),
            Some(vec![0, 0, 0, 1, 11])
        );
        assert_eq!(whole_agent_message(&mut pending).unwrap(), None);
        assert_eq!(&pending[..], &[0, 0]);
    }

    #[test]
    fn session_ids_look_like_buildkits() {
        let (first, second) = (new_session_id(), new_session_id());
        assert_eq!(first.len(), 25);
        assert!(
            first
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        );
        assert_ne!(first, second);
    }

    #[test]
    fn grpc_messages_are_percent_encoded() {
        assert_eq!(percent_encode("secret x not found"), "secret x not found");
        assert_eq!(percent_encode("100% é\n"), "100%25 %C3%A9%0A");
    }
}
