//! BuildKit sessions on the real daemon: a build that names a session (`/build?…&session=<id>`)
//! gets its secrets, its SSH agent and its registry credentials from berth while it runs. The
//! builds are sent as `Engine::build_image` sends them, plus the session parameter. Every image
//! is named `berth-session-test-*` and removed at the end, pass or fail.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth_engine::Engine;
use berth_engine::build::context::{Context, ContextSpec};
use berth_engine::build::session::{Secret, SecretSource, SessionConfig, SshSource};
use berth_engine::build::{BuildRequest, Builder, request, transport};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

const IMAGE: &str = "berth-test/busybox:local";

fn ensure_image() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/make-image.sh");
    let output = Command::new("sh")
        .arg(script)
        .arg(IMAGE)
        .output()
        .expect("sh runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A context directory and the image built from it, both removed when dropped.
struct Fixture {
    dir: PathBuf,
    tag: String,
}

impl Fixture {
    fn new(name: &str, dockerfile: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("berth-session-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("context directory");
        std::fs::write(dir.join("Dockerfile"), dockerfile).expect("Dockerfile");
        Self {
            dir,
            tag: format!("berth-session-test-{name}:latest"),
        }
    }

    /// A file of the built image.
    fn read(&self, path: &str) -> String {
        let output = Command::new("docker")
            .args(["run", "--rm", &self.tag, "cat", path])
            .output()
            .expect("docker runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.tag])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Builds `dir` with BuildKit, naming `session` if given, without the cache (a cached step with
/// a secret mount would not ask for the secret again). The image id, or the build's error.
async fn build(
    engine: &Engine,
    dir: &Path,
    tag: &str,
    session: Option<&str>,
) -> Result<String, String> {
    let mut build = BuildRequest::new(ContextSpec {
        dir: dir.to_owned(),
        dockerfile: "Dockerfile".to_owned(),
        inline: None,
        ignore_files: Builder::BuildKit.ignore_files(),
    });
    build.builder = Builder::BuildKit;
    build.tags = vec![tag.to_owned()];
    build.no_cache = true;
    let context = Context::prepare_for(build.context.clone(), Builder::BuildKit).expect("context");
    let mut path = format!("/build?{}", request::query(&build, &context.dockerfile));
    if let Some(session) = session {
        // What `Engine::build_image` would add for a session.
        path.push_str("&session=");
        path.push_str(session);
    }
    let answer = transport::send(
        engine.endpoint(),
        "POST",
        &path,
        &[("Content-Type", "application/x-tar")],
        transport::streamed(context.stream()),
    )
    .await
    .map_err(|error| error.to_string())?;
    if !answer.response.status().is_success() {
        return Err(transport::error_of(answer).await.to_string());
    }
    let mut lines = Box::pin(transport::lines(answer));
    let mut image_id = None;
    while let Some(line) = lines.next().await {
        let line = line.map_err(|error| error.to_string())?;
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(error) = message.pointer("/errorDetail/message") {
            return Err(error.as_str().unwrap_or_default().to_owned());
        }
        if let Some(id) = message.pointer("/aux/ID").and_then(|id| id.as_str()) {
            image_id = Some(id.to_owned());
        }
    }
    image_id.ok_or_else(|| "no image id".to_owned())
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn unique_secret(name: &str) -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    format!("berth-{name}-{nanos}-secret").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_run_steps_and_stay_out_of_the_image() {
    ensure_image();
    let fixture = Fixture::new(
        "secrets",
        &format!(
            "FROM {IMAGE}\n\
             RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -d' ' -f1 > /token.sum\n\
             RUN --mount=type=secret,id=file,target=/file.secret sha256sum /file.secret | cut -d' ' -f1 > /file.sum\n\
             RUN --mount=type=secret,id=env sha256sum /run/secrets/env | cut -d' ' -f1 > /env.sum\n\
             RUN --mount=type=secret,id=large sha256sum /run/secrets/large | cut -d' ' -f1 > /large.sum\n\
             RUN --mount=type=secret,id=absent,required=false test ! -e /run/secrets/absent && touch /absent.ok\n"
        ),
    );
    let (token, file_value) = (unique_secret("token"), unique_secret("file"));
    // Larger than HTTP/2's initial window (64 KiB), under BuildKit's limit (500 KB).
    let large: Vec<u8> = (0..400_000_u32)
        .map(|index| u8::try_from(index % 251).expect("below 251"))
        .collect();
    let file = fixture.dir.with_extension("secret-file");
    std::fs::write(&file, &file_value).expect("secret file");
    // A variable cargo sets for the test (setting one would need `unsafe`).
    let variable = "CARGO_MANIFEST_DIR".to_owned();
    let env_value = std::env::var(&variable)
        .expect("cargo sets it")
        .into_bytes();
    let engine = Engine::connect().await.expect("daemon");
    let session = engine
        .start_build_session(&SessionConfig {
            name: "secrets".to_owned(),
            secrets: vec![
                Secret {
                    id: "token".to_owned(),
                    source: SecretSource::Bytes(token.clone()),
                },
                Secret {
                    id: "file".to_owned(),
                    source: SecretSource::File(file.clone()),
                },
                Secret {
                    id: "large".to_owned(),
                    source: SecretSource::Bytes(large.clone()),
                },
                Secret {
                    id: "env".to_owned(),
                    source: SecretSource::Env(variable.clone()),
                },
            ],
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    let built = build(&engine, &fixture.dir, &fixture.tag, Some(session.id())).await;
    let _ = std::fs::remove_file(&file);
    built.expect("the build succeeds");
    assert_eq!(fixture.read("/token.sum").trim(), hex_sha256(&token));
    assert_eq!(fixture.read("/file.sum").trim(), hex_sha256(&file_value));
    assert_eq!(fixture.read("/env.sum").trim(), hex_sha256(&env_value));
    assert_eq!(fixture.read("/large.sum").trim(), hex_sha256(&large));
    fixture.read("/absent.ok");
    // The session outlived the build (health checks answered all along).
    assert!(session.is_serving());

    // The saved image (uncompressed layer tars) holds none of the secrets.
    let saved = Command::new("docker")
        .args(["save", &fixture.tag])
        .output()
        .expect("docker save runs");
    assert!(saved.status.success());
    assert!(saved.stdout.len() > 1000);
    for secret in [&token, &file_value] {
        assert!(
            !saved
                .stdout
                .windows(secret.len())
                .any(|window| window == &secret[..]),
            "{} found in the image",
            String::from_utf8_lossy(secret)
        );
    }
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_fails_the_step_with_buildkits_message() {
    ensure_image();
    let fixture = Fixture::new(
        "missing",
        // Each test's steps differ: BuildKit runs identical steps of concurrent builds once, asking
        // any of their sessions.
        &format!(
            "FROM {IMAGE}\nRUN --mount=type=secret,id=token,required cat /run/secrets/token # missing\n"
        ),
    );
    let engine = Engine::connect().await.expect("daemon");
    let session = engine
        .start_build_session(&SessionConfig {
            secrets: vec![Secret {
                id: "other".to_owned(),
                source: SecretSource::Bytes(b"x".to_vec()),
            }],
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    let error = build(&engine, &fixture.dir, &fixture.tag, Some(session.id()))
        .await
        .expect_err("the build fails");
    assert!(error.contains("secret token not found"), "{error}");
    // Without a session BuildKit has nobody to ask.
    let error = build(&engine, &fixture.dir, &fixture.tag, None)
        .await
        .expect_err("the build fails");
    assert!(error.contains("no active session"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_is_gone_for_the_daemon() {
    ensure_image();
    let fixture = Fixture::new(
        "closed",
        &format!(
            "FROM {IMAGE}\nRUN --mount=type=secret,id=token,required cat /run/secrets/token # closed\n"
        ),
    );
    let engine = Engine::connect().await.expect("daemon");
    let session = engine
        .start_build_session(&SessionConfig {
            secrets: vec![Secret {
                id: "token".to_owned(),
                source: SecretSource::Bytes(b"x".to_vec()),
            }],
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    let id = session.id().to_owned();
    session.close().await;
    // The daemon notices at its next health check (every second) and forgets the session; until
    // then the call fails on the closed connection (broken pipe, or not found).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let error = build(&engine, &fixture.dir, &fixture.tag, Some(&id))
            .await
            .expect_err("the build fails");
        if error.contains("no active session") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon still knows the session: {error}"
        );
    }
}

/// A private `ssh-agent`, killed when dropped.
struct Agent {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Agent {
    fn start() -> Option<Self> {
        if Command::new("ssh-agent").arg("-h").output().is_err()
            || Command::new("ssh-keygen").arg("-?").output().is_err()
        {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("berth-session-agent-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("agent directory");
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let agent = Self { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !agent.socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(agent)
    }

    fn ssh_add(&self, args: &[&str]) -> std::process::Output {
        Command::new("ssh-add")
            .args(args)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .expect("ssh-add runs")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies the host's `ssh-add` and the libraries it loads into `dir`, so that the busybox image
/// can run it through the dynamic loader. The loader's name, or `None` without `ldd`.
fn copy_ssh_add(dir: &Path) -> Option<String> {
    let binary = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v ssh-add"])
            .output()
            .ok()?
            .stdout,
    )
    .ok()?;
    let binary = binary.trim();
    let ldd = Command::new("ldd").arg(binary).output().ok()?;
    std::fs::create_dir_all(dir).expect("ssh-add directory");
    let mut loader = None;
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        let Some(path) = path.filter(|path| path.starts_with('/')) else {
            continue;
        };
        let name = Path::new(path).file_name()?.to_string_lossy().into_owned();
        if name.starts_with("ld-linux") || name.starts_with("ld-") {
            loader = Some(name.clone());
        }
        std::fs::copy(path, dir.join(&name)).expect("library copied");
    }
    std::fs::copy(binary, dir.join("ssh-add")).expect("ssh-add copied");
    loader
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_agent_is_forwarded_read_only() {
    let Some(agent) = Agent::start() else {
        eprintln!("skipped: openssh-client (ssh-agent, ssh-keygen, ssh-add) is not installed");
        return;
    };
    ensure_image();
    let key = agent.dir.join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "berth-session-test",
            "-f",
        ])
        .arg(&key)
        .output()
        .expect("ssh-keygen runs");
    assert!(keygen.status.success());
    assert!(
        agent
            .ssh_add(&[key.to_str().expect("UTF-8 path")])
            .status
            .success()
    );
    let fingerprint = String::from_utf8(
        Command::new("ssh-keygen")
            .arg("-lf")
            .arg(key.with_extension("pub"))
            .output()
            .expect("ssh-keygen runs")
            .stdout,
    )
    .expect("UTF-8");
    let fingerprint = fingerprint
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_owned();

    let fixture = Fixture::new("ssh", "");
    let Some(loader) = copy_ssh_add(&fixture.dir.join("sshadd")) else {
        eprintln!("skipped: no ldd to copy ssh-add into the image");
        return;
    };
    let run = format!("/sshadd/{loader} --library-path /sshadd /sshadd/ssh-add");
    std::fs::write(
        fixture.dir.join("Dockerfile"),
        format!(
            "FROM {IMAGE}\n\
             COPY sshadd /sshadd\n\
             RUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && {run} -l > /keys\n\
             RUN --mount=type=ssh,id=work {run} -l > /work-keys\n\
             RUN --mount=type=ssh,id=keyfile {run} -l > /keyfile-keys\n\
             RUN --mount=type=ssh {run} -D; echo $? > /remove-status\n\
             RUN --mount=type=ssh {run} -x </dev/null; echo $? > /lock-status\n"
        ),
    )
    .expect("Dockerfile");

    let engine = Engine::connect().await.expect("daemon");
    let session = engine
        .start_build_session(&SessionConfig {
            ssh: vec![
                SshSource {
                    id: String::new(),
                    paths: vec![agent.socket.clone()],
                },
                SshSource {
                    id: "work".to_owned(),
                    paths: vec![agent.socket.clone()],
                },
                // The key file itself, in an agent of the session's own.
                SshSource {
                    id: "keyfile".to_owned(),
                    paths: vec![key.clone()],
                },
            ],
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    build(&engine, &fixture.dir, &fixture.tag, Some(session.id()))
        .await
        .expect("the build succeeds");
    let keys = fixture.read("/keys");
    assert!(keys.contains(&fingerprint), "{keys}");
    assert!(keys.contains("berth-session-test"), "{keys}");
    assert!(fixture.read("/work-keys").contains(&fingerprint));
    assert!(fixture.read("/keyfile-keys").contains(&fingerprint));
    let private_agents = || {
        std::fs::read_dir(std::env::temp_dir())
            .expect("temp dir")
            .filter(|entry| {
                entry.as_ref().is_ok_and(|entry| {
                    entry
                        .file_name()
                        .to_string_lossy()
                        .starts_with("berth-ssh-")
                })
            })
            .count()
    };
    assert!(private_agents() >= 1);
    // Removing keys from inside the build was refused, and the agent still has the key.
    assert_ne!(fixture.read("/remove-status").trim(), "0");
    let listed = agent.ssh_add(&["-l"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(&fingerprint),
        "{listed:?}, lock status {}",
        fixture.read("/lock-status")
    );

    // An id the session does not forward fails a step that requires it (an optional mount, the
    // default, is left out).
    std::fs::write(
        fixture.dir.join("Dockerfile"),
        format!("FROM {IMAGE}\nRUN --mount=type=ssh,id=nope,required true\n"),
    )
    .expect("Dockerfile");
    let error = build(&engine, &fixture.dir, &fixture.tag, Some(session.id()))
        .await
        .expect_err("the build fails");
    assert!(error.contains("nope"), "{error}");
    session.close().await;
    // The session's own agent is gone with it (other tests of this binary start none).
    assert_eq!(private_agents(), 0);
}

#[tokio::test]
async fn sources_are_checked_before_the_session_opens() {
    let engine = Engine::connect().await.expect("daemon");
    let missing = std::env::temp_dir().join("berth-session-test-no-such-file");
    let error = engine
        .start_build_session(&SessionConfig {
            secrets: vec![Secret {
                id: "token".to_owned(),
                source: SecretSource::File(missing),
            }],
            ..SessionConfig::default()
        })
        .await
        .expect_err("a missing secret file is refused");
    assert!(error.to_string().contains("secret token file"), "{error}");
    let no_key = std::env::temp_dir().join("berth-session-test-no-such-key");
    let error = engine
        .start_build_session(&SessionConfig {
            ssh: vec![SshSource {
                id: String::new(),
                paths: vec![no_key],
            }],
            ..SessionConfig::default()
        })
        .await
        .expect_err("a missing key is refused");
    assert!(error.to_string().contains("ssh agent source"), "{error}");
}

/// A `docker-registry` on a free loopback port demanding `user:password` (htpasswd), killed and
/// its files removed when dropped.
struct Registry {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Registry {
    fn start(user: &str, password: &str) -> Option<Self> {
        if !Path::new("/usr/bin/docker-registry").exists()
            || Command::new("htpasswd").arg("-h").output().is_err()
        {
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("berth-session-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("registry directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let htpasswd = Command::new("htpasswd")
            .args(["-nbB", user, password])
            .output()
            .expect("htpasswd runs");
        assert!(htpasswd.status.success());
        std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).expect("htpasswd file");
        std::fs::write(
            dir.join("config.yml"),
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: berth\n    path: {}\n",
                dir.join("data").display(),
                dir.join("htpasswd").display()
            ),
        )
        .expect("registry config");
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let registry = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the registry did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(registry)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn docker_ok(args: &[&str]) {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buildkit_pulls_from_a_registry_with_the_sessions_credentials() {
    let Some(registry) = Registry::start("berth", "s3cret-pass") else {
        eprintln!("skipped: docker-registry or htpasswd (apache2-utils) is not installed");
        return;
    };
    ensure_image();
    let host = format!("127.0.0.1:{}", registry.port);
    let base = format!("{host}/berth-session/busybox:auth");
    // The CLI config the session reads: `auths` with the base64 `user:password`.
    let config = registry.dir.join("docker-config");
    std::fs::create_dir_all(&config).expect("config directory");
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("berth:s3cret-pass")
    };
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .expect("config.json");
    let config_arg = config.to_str().expect("UTF-8 path");
    docker_ok(&["tag", IMAGE, &base]);
    let login = Command::new("docker")
        .args([
            "--config",
            config_arg,
            "login",
            &host,
            "-u",
            "berth",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"s3cret-pass")?;
            child.wait_with_output()
        })
        .expect("docker login runs");
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    docker_ok(&["--config", config_arg, "push", &base]);
    // The daemon must fetch the base itself.
    docker_ok(&["image", "rm", &base]);

    let fixture = Fixture::new("auth", &format!("FROM {base}\nRUN echo pulled > /pulled\n"));
    let engine = Engine::connect().await.expect("daemon");
    // Without credentials BuildKit's pull is refused.
    let anonymous = engine
        .start_build_session(&SessionConfig::default())
        .await
        .expect("session");
    let error = build(&engine, &fixture.dir, &fixture.tag, Some(anonymous.id()))
        .await
        .expect_err("an anonymous pull is refused");
    assert!(
        error.contains("401") || error.to_lowercase().contains("unauthorized"),
        "{error}"
    );
    anonymous.close().await;

    let session = engine
        .start_build_session(&SessionConfig {
            auth: true,
            docker_config: Some(config.clone()),
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    let built = build(&engine, &fixture.dir, &fixture.tag, Some(session.id())).await;
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", &base])
        .output();
    built.expect("the build pulls with the session's credentials");
    assert_eq!(fixture.read("/pulled").trim(), "pulled");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_image_passes_the_session() {
    ensure_image();
    let fixture = Fixture::new(
        "buildimage",
        &format!(
            "FROM {IMAGE}\nRUN --mount=type=secret,id=token,required cp /run/secrets/token /copied\n"
        ),
    );
    let engine = Engine::connect().await.expect("daemon");
    let session = engine
        .start_build_session(&SessionConfig {
            secrets: vec![Secret {
                id: "token".to_owned(),
                source: SecretSource::Bytes(b"through build_image".to_vec()),
            }],
            ..SessionConfig::default()
        })
        .await
        .expect("session");
    let mut request = BuildRequest::new(ContextSpec {
        dir: fixture.dir.clone(),
        dockerfile: "Dockerfile".to_owned(),
        inline: None,
        ignore_files: Builder::BuildKit.ignore_files(),
    });
    request.builder = Builder::BuildKit;
    request.tags = vec![fixture.tag.clone()];
    request.no_cache = true;
    request.session = Some(session.id().to_owned());
    engine.build_image(request, |_| {}).await.expect("built");
    assert_eq!(fixture.read("/copied"), "through build_image");
}
