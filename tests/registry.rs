//! `pull` and `push` against a real registry: Debian's `docker-registry` (the Distribution
//! registry) started by each test on 127.0.0.1 on a free port (the daemon treats 127.0.0.0/8 as
//! insecure, so plain HTTP works), with filesystem storage in a temp dir, and optionally htpasswd
//! authentication. The registry is killed and its images removed when the test ends, even on
//! failure.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestProject, docker, text};

const REGISTRY: &str = "/usr/bin/docker-registry";

/// A registry process owned by one test.
struct Registry {
    child: Child,
    dir: PathBuf,
    port: u16,
    /// Local image references to remove at the end.
    images: Vec<String>,
}

impl Registry {
    /// Starts a registry; with `user`, it demands that user's password (htpasswd, bcrypt).
    fn start(test: &str, user: Option<(&str, &str)>) -> Self {
        assert!(
            std::path::Path::new(REGISTRY).exists(),
            "{REGISTRY} is missing: apt-get install docker-registry (.ci/run does)"
        );
        let dir = std::env::temp_dir().join(format!("berth-tests/registry-{test}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("registry directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        if let Some((name, password)) = user {
            let output = Command::new("htpasswd")
                .args(["-nbB", name, password])
                .output()
                .expect("htpasswd runs (apt-get install apache2-utils; .ci/run does)");
            assert!(output.status.success(), "htpasswd failed");
            let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            std::fs::write(dir.join("htpasswd"), format!("{line}\n")).expect("htpasswd file");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: berth\n    path: {}\n",
                dir.join("htpasswd").display()
            ));
        }
        std::fs::write(dir.join("config.yml"), config).expect("registry config");
        let child = Command::new(REGISTRY)
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let registry = Self {
            child,
            dir,
            port,
            images: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// `127.0.0.1:PORT/<path>`, remembered for removal.
    fn reference(&mut self, path: &str) -> String {
        let reference = format!("127.0.0.1:{}/{path}", self.port);
        self.images.push(reference.clone());
        reference
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
        for image in &self.images {
            docker(&["rmi", "-f", image]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A project whose one service pushes and pulls `reference` (push needs a `build` section, as
/// Compose's does; nothing is built: the image is present).
fn project(test: &str, reference: &str) -> TestProject {
    let project = TestProject::new(
        test,
        &format!(
            "services:\n  app:\n    image: {reference}\n    build: .\n    pull_policy: missing\n    command: [\"sleep\", \"600\"]\n"
        ),
    );
    std::fs::write(project.dir.join("Dockerfile"), "FROM scratch\n").expect("Dockerfile");
    project
}

/// The same service without `build`: a failed pull is then an error (Compose only warns when
/// the image can be built).
fn pull_only(project: &TestProject, reference: &str) {
    project.write(&format!(
        "services:\n  app:\n    image: {reference}\n    command: [\"sleep\", \"600\"]\n"
    ));
}

fn image_present(reference: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn registry_push_remove_pull_and_up() {
    let mut registry = Registry::start("roundtrip", None);
    let reference = registry.reference("berthtest/x:1");
    docker(&["tag", "berth-test/busybox:local", &reference]);
    let project = project("registry-roundtrip", &reference);

    let pushed = project.berth_ok(&["push"]);
    assert!(
        pushed.contains(&format!("Pushing {reference}")),
        "push progress names the tag:\n{pushed}"
    );
    // The registry has it now.
    let tags = Command::new("curl")
        .args([
            "-s",
            &format!(
                "http://127.0.0.1:{}/v2/berthtest/x/tags/list",
                registry.port
            ),
        ])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    assert!(tags.contains("\"1\""), "tags in the registry: {tags}");

    docker(&["rmi", &reference]);
    assert!(!image_present(&reference));
    let pulled = project.berth_ok(&["pull"]);
    assert!(pulled.contains(" app Pulling \n"), "{pulled}");
    assert!(pulled.contains(" app Pulled \n"), "{pulled}");
    assert!(image_present(&reference));

    // Present and tagged: `--policy missing` skips it, as Compose does.
    let skipped = project.berth_ok(&["pull", "--policy", "missing"]);
    assert_eq!(
        skipped,
        " app Skipped - Image is already present locally \n"
    );
    let oracle = project.compose_ok(&["pull", "--policy", "missing"]);
    assert_eq!(skipped, oracle);

    // `--include-deps` adds the dependency, whose identical image is pulled once.
    project.write(&format!(
        "services:\n  app:\n    image: {reference}\n    depends_on: [db]\n    command: [\"sleep\", \"600\"]\n  db:\n    image: {reference}\n    command: [\"sleep\", \"600\"]\n"
    ));
    let alone = project.berth_ok(&["pull", "app"]);
    assert_eq!(alone, " app Pulling \n app Pulled \n");
    let with_deps = project.berth_ok(&["pull", "--include-deps", "app"]);
    assert!(
        with_deps.contains(" db Skipped - Image is already being pulled by app \n")
            || with_deps.contains(" app Skipped - Image is already being pulled by db \n"),
        "{with_deps}"
    );
    let unknown = project.berth(&["pull", "nope"]);
    let oracle = project.compose(&["pull", "nope"]);
    assert_eq!(unknown.status.code(), oracle.status.code());
    assert!(
        text(&unknown).contains("no such service: nope"),
        "{}",
        text(&unknown)
    );

    project.berth_ok(&["up", "-d"]);
    let containers = project.containers();
    assert_eq!(containers.len(), 2);
    assert!(
        containers
            .iter()
            .all(|container| crate::support::state(container) == "running")
    );
    project.berth_ok(&["down", "-t", "0"]);
}

#[test]
fn registry_build_push_remove_pull_and_run() {
    let mut registry = Registry::start("buildpush", None);
    let reference = registry.reference("berthtest/built:2");
    let extra = registry.reference("berthtest/built:extra");
    let project = TestProject::new(
        "registry-buildpush",
        &format!(
            "services:\n  app:\n    image: {reference}\n    build:\n      context: .\n      tags: [\"{extra}\"]\n    command: [\"sleep\", \"600\"]\n"
        ),
    );
    std::fs::write(
        project.dir.join("Dockerfile"),
        format!(
            "FROM {}\nRUN echo built-by-berth > /built\n",
            crate::support::IMAGE
        ),
    )
    .expect("Dockerfile");

    // `build --push` builds, then pushes the image and its extra tag.
    let built = project.berth(&["build", "--push"]);
    assert!(built.status.success(), "{}", text(&built));
    assert!(
        text(&built).contains(" Service app  Built"),
        "{}",
        text(&built)
    );
    assert!(
        text(&built).contains(&format!("Pushing {reference}")),
        "{}",
        text(&built)
    );
    // The extra tag is the same image: it is pushed after the first tag is done, never at the
    // same time (the registry races on identical blobs and then answers 500).
    let output = text(&built);
    let lines: Vec<&str> = output.lines().collect();
    let last_first = lines
        .iter()
        .rposition(|line| line.contains(&format!("Pushing {reference}")));
    let first_extra = lines
        .iter()
        .position(|line| line.contains(&format!("Pushing {extra}")));
    assert!(
        matches!((last_first, first_extra), (Some(last), Some(first)) if last < first),
        "{output}"
    );
    for tag in ["2", "extra"] {
        let manifest = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                "Accept: application/vnd.docker.distribution.manifest.v2+json",
                &format!(
                    "http://127.0.0.1:{}/v2/berthtest/built/manifests/{tag}",
                    registry.port
                ),
            ])
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default();
        assert_eq!(manifest, "200", "tag {tag} is in the registry");
    }

    // Gone locally; `pull` brings it back and `run` runs what was built.
    docker(&["rmi", "-f", &reference, &extra]);
    assert!(!image_present(&reference));
    project.berth_ok(&["pull"]);
    assert!(image_present(&reference));
    let ran = project.berth(&["run", "--rm", "-T", "app", "cat", "/built"]);
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "built-by-berth\n");
}

#[test]
fn registry_credentials_from_the_docker_config() {
    let mut registry = Registry::start("auth", Some(("alice", "s3cret")));
    let reference = registry.reference("berthtest/private:1");
    docker(&["tag", "berth-test/busybox:local", &reference]);
    let project = project("registry-auth", &reference);

    // No credentials: the registry refuses, berth says so and fails.
    let empty = project.dir.join("no-creds");
    std::fs::create_dir_all(&empty).expect("empty config dir");
    let empty = empty.display().to_string();
    let refused = project.berth_env(&[("DOCKER_CONFIG", &empty)], &["push"]);
    assert!(!refused.status.success(), "{}", text(&refused));
    let message = text(&refused);
    assert!(
        message.contains("no basic auth credentials") || message.contains("unauthorized"),
        "{message}"
    );

    // `auths` with a base64 `auth`: push and pull succeed.
    let with = project.dir.join("creds");
    std::fs::create_dir_all(&with).expect("config dir");
    std::fs::write(
        with.join("config.json"),
        format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.port
        ),
    )
    .expect("config.json");
    let with = with.display().to_string();
    let pushed = project.berth_env(&[("DOCKER_CONFIG", &with)], &["push"]);
    assert!(pushed.status.success(), "{}", text(&pushed));
    docker(&["rmi", &reference]);
    pull_only(&project, &reference);
    let denied = project.berth_env(&[("DOCKER_CONFIG", &empty)], &["pull"]);
    assert!(!denied.status.success(), "{}", text(&denied));
    let message = text(&denied);
    assert!(
        message.contains("service \"app\"") && message.contains(&reference),
        "{message}"
    );
    assert!(!image_present(&reference));
    let pulled = project.berth_env(&[("DOCKER_CONFIG", &with)], &["pull"]);
    assert!(pulled.status.success(), "{}", text(&pulled));
    assert!(image_present(&reference));

    // A credential helper (`credHelpers`) answering with the same user.
    let helper_dir = project.dir.join("bin");
    std::fs::create_dir_all(&helper_dir).expect("bin dir");
    let helper = helper_dir.join("docker-credential-berthtest");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread host\necho \"$host\" > \"$(dirname \"$0\")/asked\"\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}' \"$host\"\n",
    )
    .expect("helper");
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("helper mode");
    let helped = project.dir.join("helped");
    std::fs::create_dir_all(&helped).expect("config dir");
    std::fs::write(
        helped.join("config.json"),
        format!(
            r#"{{"credHelpers":{{"127.0.0.1:{}":"berthtest"}}}}"#,
            registry.port
        ),
    )
    .expect("config.json");
    docker(&["rmi", &reference]);
    let path = format!(
        "{}:{}",
        helper_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helped = helped.display().to_string();
    let pulled = project.berth_env(&[("DOCKER_CONFIG", &helped), ("PATH", &path)], &["pull"]);
    assert!(pulled.status.success(), "{}", text(&pulled));
    let asked = std::fs::read_to_string(helper_dir.join("asked")).unwrap_or_default();
    assert_eq!(asked.trim(), format!("127.0.0.1:{}", registry.port));

    // `up` pulls a missing image with the same credentials.
    docker(&["rmi", &reference]);
    let up = project.berth_env(&[("DOCKER_CONFIG", &with)], &["up", "-d"]);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(project.containers().len(), 1);
    project.berth_ok(&["down", "-t", "0"]);
}

#[test]
fn registry_missing_tag_names_service_and_reference() {
    let mut registry = Registry::start("missing", None);
    let reference = registry.reference("berthtest/none:nope");
    let project = TestProject::new(
        "registry-missing",
        &format!("services:\n  ghost:\n    image: {reference}\n"),
    );
    let berth = project.berth(&["pull"]);
    let compose = project.compose(&["pull"]);
    assert_eq!(
        berth.status.code(),
        compose.status.code(),
        "{}",
        text(&berth)
    );
    assert_eq!(berth.status.code(), Some(1));
    let message = String::from_utf8_lossy(&berth.stderr);
    assert!(message.contains(" ghost Pulling \n"), "{message}");
    let last = message.lines().last().unwrap_or_default();
    assert!(
        last.contains("service \"ghost\"")
            && last.contains(&reference)
            && last.contains("not found"),
        "{message}"
    );
    // The progress lines are Compose's.
    let oracle = String::from_utf8_lossy(&compose.stderr);
    let progress = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.starts_with(' '))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(progress(&message), progress(&oracle));
    // `--ignore-pull-failures` turns the failure into success, as Compose's does.
    let ignored = project.berth(&["pull", "--ignore-pull-failures"]);
    let oracle = project.compose(&["pull", "--ignore-pull-failures"]);
    assert_eq!(ignored.status.code(), oracle.status.code());
    assert!(ignored.status.success(), "{}", text(&ignored));
    // Nothing answers: a clear error, non-zero.
    let port = registry.port;
    registry.kill();
    let unreachable = project.berth(&["pull"]);
    assert_eq!(unreachable.status.code(), Some(1));
    let message = text(&unreachable);
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("connection refused"),
        "{message}"
    );
}

#[test]
fn registry_killed_during_a_pull_is_a_clear_error() {
    let mut registry = Registry::start("killed", None);
    let reference = registry.reference("berthtest/big:1");
    // An image with a 64 MiB random layer (random data does not compress).
    let dir = registry.dir.join("rootfs");
    std::fs::create_dir_all(&dir).expect("rootfs");
    let mut data = vec![0u8; 64 << 20];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    for chunk in data.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(dir.join("blob"), &data).expect("blob");
    let tar = registry.dir.join("rootfs.tar");
    let status = Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(status.success());
    let imported = Command::new("docker")
        .arg("import")
        .arg(&tar)
        .arg(&reference)
        .output()
        .expect("docker import runs");
    assert!(imported.status.success(), "{}", text(&imported));
    let project = project("registry-killed", &reference);
    project.berth_ok(&["push"]);
    docker(&["rmi", &reference]);
    pull_only(&project, &reference);

    // A whole pull first: berth's plain progress is Compose's, line for line once the repeated
    // byte counts (which depend on timing) are folded.
    let distinct = |output: &Output| -> Vec<String> {
        let mut seen = Vec::new();
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            let words: Vec<&str> = line.split_whitespace().take(2).collect();
            let key = words.join(" ");
            // The daemon sends `Verifying Checksum` only when it catches the layer before its
            // download completes: a matter of timing, for either tool.
            if words.get(1) == Some(&"Verifying") {
                continue;
            }
            if !seen.contains(&key) {
                seen.push(key);
            }
        }
        seen
    };
    let berth = project.berth(&["pull"]);
    assert!(berth.status.success(), "{}", text(&berth));
    assert!(text(&berth).contains(" Downloading ["), "{}", text(&berth));
    docker(&["rmi", &reference]);
    let compose = project.compose(&["pull"]);
    assert!(compose.status.success(), "{}", text(&compose));
    assert_eq!(distinct(&berth), distinct(&compose));
    docker(&["rmi", &reference]);

    // Kill the registry as soon as the layer's bytes flow (the first `Downloading` line).
    let mut child = Command::new(crate::support::berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name, "--progress", "plain", "pull"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("berth pull starts");
    let stderr = child.stderr.take().expect("stderr");
    let registry_pid = registry.child.id().to_string();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead as _;
        let mut lines = Vec::new();
        let mut killed = false;
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if !killed && line.contains(" Downloading ") {
                killed = Command::new("kill")
                    .args(["-9", &registry_pid])
                    .status()
                    .is_ok_and(|status| status.success());
                lines.push("<<registry killed>>".to_owned());
            }
            lines.push(line);
        }
        (killed, lines)
    });
    // The daemon retries a broken download (5, 10, 15, 20 s apart) before it gives up.
    let deadline = Instant::now() + Duration::from_secs(150);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "berth pull did not end");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (killed, lines) = reader.join().expect("reader");
    let output = lines.join("\n");
    assert!(
        killed,
        "the pull ended before the registry could be killed:\n{output}"
    );
    assert!(!status.success(), "{output}");
    assert_eq!(status.code(), Some(1), "{output}");
    let last = lines.last().cloned().unwrap_or_default();
    assert!(
        last.contains("service \"app\"") && last.contains(&reference),
        "{output}"
    );
    // Nothing half-created: no image under that name.
    assert!(!image_present(&reference), "{output}");
}
