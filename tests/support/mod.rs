//! What every daemon test shares: the berth and `docker compose` binaries, a test image made from
//! the host's static busybox (no registry is reachable), and [`TestProject`], a project with its
//! own name and directory whose resources are removed by label when it is dropped, even when the
//! test failed.

#![allow(
    dead_code,
    reason = "each test module uses a different part of the support"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The image tests run: busybox with every applet linked, `CMD ["sh"]`.
pub(crate) const IMAGE: &str = "berth-test/busybox:local";

/// Makes [`IMAGE`] once per test run.
pub(crate) fn ensure_image() {
    static MADE: OnceLock<()> = OnceLock::new();
    MADE.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/make-image.sh");
        let output = Command::new("sh")
            .arg(script)
            .arg(IMAGE)
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "making the test image failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    });
}

/// The berth binary under test.
pub(crate) fn berth_binary() -> &'static str {
    env!("CARGO_BIN_EXE_berth")
}

/// A project owned by one test.
pub(crate) struct TestProject {
    /// Project name (`berthtest-<test>`), unique per test.
    pub(crate) name: String,
    /// Its directory, holding `compose.yaml`.
    pub(crate) dir: PathBuf,
}

impl TestProject {
    /// A project named after the test, with `compose` as its `compose.yaml` (`${IMAGE}` replaced
    /// by the test image). Leftovers of an earlier run of the same test are removed first.
    pub(crate) fn new(test: &str, compose: &str) -> Self {
        ensure_image();
        let name = format!("berthtest-{test}");
        let dir = std::env::temp_dir().join(format!("berth-tests/{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test directory");
        let project = Self { name, dir };
        project.clean();
        project.write(compose);
        project
    }

    /// Replaces `compose.yaml`.
    pub(crate) fn write(&self, compose: &str) {
        std::fs::write(
            self.dir.join("compose.yaml"),
            compose.replace("${IMAGE}", IMAGE),
        )
        .expect("compose.yaml written");
    }

    /// Runs berth in the project directory with `-p <name>`.
    pub(crate) fn berth(&self, args: &[&str]) -> Output {
        self.command(berth_binary(), &[], args)
    }

    /// Runs berth with extra environment.
    pub(crate) fn berth_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.command(berth_binary(), env, args)
    }

    /// Runs `docker compose` (the oracle) in the project directory with `-p <name>`.
    pub(crate) fn compose(&self, args: &[&str]) -> Output {
        let mut full = vec!["compose"];
        full.extend_from_slice(args);
        self.command("docker", &[], &full)
    }

    /// Runs `docker compose` with extra environment.
    pub(crate) fn compose_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut full = vec!["compose"];
        full.extend_from_slice(args);
        self.command("docker", env, &full)
    }

    fn command(&self, program: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut command = Command::new(program);
        command.current_dir(&self.dir);
        if program == "docker" {
            command
                .arg(args[0])
                .args(["-p", &self.name])
                .args(&args[1..]);
        } else {
            command.args(["-p", &self.name]).args(args);
        }
        command.env("COMPOSE_PROGRESS", "plain");
        command.env_remove("COMPOSE_PROJECT_NAME");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("the command runs")
    }

    /// Runs berth and asserts success; returns stderr.
    pub(crate) fn berth_ok(&self, args: &[&str]) -> String {
        let output = self.berth(args);
        assert!(
            output.status.success(),
            "berth {args:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// Runs `docker compose` and asserts success.
    pub(crate) fn compose_ok(&self, args: &[&str]) -> String {
        let output = self.compose(args);
        assert!(
            output.status.success(),
            "docker compose {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// Inspections of the project's containers (all states), sorted by name.
    pub(crate) fn containers(&self) -> Vec<Value> {
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
        ]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec!["inspect"];
        args.extend(ids);
        let mut list: Vec<Value> =
            serde_json::from_str(&docker(&args)).expect("docker inspect prints JSON");
        list.sort_by_key(|container| container["Name"].as_str().unwrap_or_default().to_owned());
        list
    }

    /// The inspection of container `name` (without the leading `/`), if it exists.
    pub(crate) fn container(&self, name: &str) -> Option<Value> {
        self.containers()
            .into_iter()
            .find(|container| container["Name"].as_str() == Some(&format!("/{name}")))
    }

    /// Names of the project's networks.
    pub(crate) fn networks(&self) -> Vec<String> {
        self.labelled("network")
    }

    /// Names of the project's volumes.
    pub(crate) fn volumes(&self) -> Vec<String> {
        self.labelled("volume")
    }

    fn labelled(&self, kind: &str) -> Vec<String> {
        let mut names: Vec<String> = docker(&[
            kind,
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
        ])
        .split_whitespace()
        .map(str::to_owned)
        .collect();
        if kind == "network" {
            names = names
                .iter()
                .map(|id| {
                    docker(&["network", "inspect", "-f", "{{.Name}}", id])
                        .trim()
                        .to_owned()
                })
                .collect();
        }
        names.sort();
        names
    }

    /// Removes everything labelled with the project: containers, networks, volumes.
    pub(crate) fn clean(&self) {
        let filter = format!("label=com.docker.compose.project={}", self.name);
        let ids = docker(&["ps", "-aq", "--filter", &filter]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-fv"];
            args.extend(ids);
            docker(&args);
        }
        // Images the project's builds left untagged (a rebuild moves the tag to the new image).
        let dangling = docker(&[
            "images",
            "-q",
            "--filter",
            "dangling=true",
            "--filter",
            &filter,
        ]);
        let dangling: Vec<&str> = dangling.split_whitespace().collect();
        if !dangling.is_empty() {
            let mut args = vec!["rmi"];
            args.extend(dangling);
            docker(&args);
        }
        for kind in ["network", "volume"] {
            let ids = docker(&[kind, "ls", "-q", "--filter", &filter]);
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let mut args = vec![kind, "rm"];
                args.extend(ids);
                docker(&args);
            }
        }
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        self.clean();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `docker` and returns stdout (empty on failure).
pub(crate) fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Polls `check` until it holds or `timeout` passes; returns whether it held.
pub(crate) fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A container's state word.
pub(crate) fn state(container: &Value) -> &str {
    container["State"]["Status"].as_str().unwrap_or_default()
}

/// A container's label.
pub(crate) fn label<'a>(container: &'a Value, key: &str) -> &'a str {
    container["Config"]["Labels"][key]
        .as_str()
        .unwrap_or_default()
}

/// A command's standard output then its standard error, for assertions and their messages.
pub(crate) fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Images removed when dropped, at the end of a test even when it failed.
pub(crate) struct Images(pub(crate) Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for chunk in self.0.chunks(50) {
            let mut args = vec!["rmi", "-f"];
            args.extend(chunk.iter().map(String::as_str));
            let _ = Command::new("docker").args(&args).output();
        }
    }
}

/// Builds `dockerfile` (nothing else in its context) as `image` with the classic builder,
/// through the docker CLI; the image is removed when the returned guard drops.
pub(crate) fn build_image(image: &str, dockerfile: &str) -> Images {
    ensure_image();
    let context = std::env::temp_dir().join(format!(
        "berth-tests/image-{}",
        image.replace([':', '/'], "-")
    ));
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context).expect("context");
    std::fs::write(context.join("Dockerfile"), dockerfile).expect("Dockerfile");
    let guard = Images(vec![image.to_owned()]);
    let built = Command::new("docker")
        .args(["build", "-q", "-t", image])
        .arg(&context)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker runs");
    let _ = std::fs::remove_dir_all(&context);
    assert!(built.status.success(), "{}", text(&built));
    guard
}
