//! Lifecycle commands on the real daemon: the oracle (`docker compose`) creates a project from
//! `tests/fixtures/cmds/basic`, berth's `ps` and `ls` must print what Compose prints for it (but
//! for elapsed-time text), and `stop`/`start`/`restart`/`kill`/`pause`/`unpause`/`rm` must change
//! the containers' real states, in dependency order. Each test owns project
//! `berthtest-cmds-<test>` and takes it down even when it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cmds/basic")
}

/// A project the oracle brought up; `docker compose down -v` on drop, even after a panic.
struct Project {
    name: String,
}

impl Project {
    fn up(test: &str) -> Self {
        crate::support::ensure_image();
        let project = Self {
            name: format!("berthtest-cmds-{test}"),
        };
        let output = Command::new("docker")
            .args(["compose", "-p", &project.name, "up", "-d"])
            .current_dir(fixture())
            .output()
            .expect("docker compose runs");
        assert!(
            output.status.success(),
            "up failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The one-shot service must have exited before outputs are compared.
        project.wait_for(&format!("{}-once-1", project.name), "exited");
        project
    }

    fn container(&self, service: &str, number: u32) -> String {
        format!("{}-{service}-{number}", self.name)
    }

    /// `docker compose -p NAME ARGS` from a directory without compose files.
    fn compose(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("compose")
            .args(["-p", &self.name])
            .args(args)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("docker compose runs")
    }

    /// `berth -p NAME ARGS` from a directory without compose files (labels only).
    fn berth(&self, args: &[&str]) -> Output {
        berth_in(&std::env::temp_dir(), &self.name, args, None)
    }

    /// `berth -p NAME ARGS` in the fixture directory with the compose file loaded (`-f`).
    fn berth_with_files(&self, args: &[&str]) -> Output {
        let mut full = vec!["-f", "compose.yaml"];
        full.extend_from_slice(args);
        berth_in(&fixture(), &self.name, &full, None)
    }

    fn state(&self, container: &str) -> String {
        inspect(container, "{{.State.Status}}")
    }

    fn wait_for(&self, container: &str, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.state(container) != state {
            assert!(
                Instant::now() < deadline,
                "{container} never became {state}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["compose", "-p", &self.name, "down", "-v", "-t", "0"])
            .current_dir(std::env::temp_dir())
            .output();
    }
}

fn berth_in(dir: &Path, project: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .args(["-p", project])
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME");
    let Some(input) = stdin else {
        return command.stdin(Stdio::null()).output().expect("berth runs");
    };
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("berth runs");
    {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes())
            .expect("stdin takes the answer");
    }
    child.wait_with_output().expect("berth ends")
}

fn inspect(container: &str, format: &str) -> String {
    let output = Command::new("docker")
        .args(["inspect", "-f", format, container])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Elapsed-time words replaced and column padding collapsed: what two runs a second apart share.
fn without_timing(text: &str) -> String {
    let timing =
        regex::Regex::new(r"Less than a second|About an? (minute|hour)|\d+ (second|minute|hour)s?")
            .unwrap();
    let spaces = regex::Regex::new(r" {2,}").unwrap();
    let text = timing.replace_all(text, "T");
    spaces.replace_all(&text, "  ").into_owned()
}

/// `ps --format json` lines as objects, with the timing fields dropped and the labels (printed
/// in Go's random map order) sorted.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).expect("a JSON line");
            let object = value.as_object_mut().expect("an object");
            object.remove("RunningFor");
            object.remove("Status");
            let mut labels: Vec<String> = object["Labels"]
                .as_str()
                .unwrap()
                .split(',')
                .map(str::to_owned)
                .collect();
            labels.sort();
            object.insert("Labels".to_owned(), Value::from(labels.join(",")));
            value
        })
        .collect()
}

#[test]
fn ps_and_ls_print_what_compose_prints() {
    let project = Project::up("ps");
    let exact: &[&[&str]] = &[
        &["ps", "--services"],
        &["ps", "-q"],
        &["ps", "-a", "-q"],
        &["ps", "--filter", "status=running", "-q"],
        &["ps", "--status", "exited", "--services"],
        &[
            "ps",
            "-a",
            "--format",
            r"table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.State}}\t{{.Ports}}",
        ],
        &[
            "ps",
            "--format",
            "{{.ID}} {{.Names}} {{.Networks}} {{.Health}} {{.ExitCode}}",
        ],
        &[
            "ps",
            "-a",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Command}} {{.ExitCode}}",
        ],
        &["ps", "web", "db", "--format", "{{.Name}}"],
    ];
    for args in exact {
        let compose = stdout(&project.compose(args));
        assert_eq!(stdout(&project.berth(args)), compose, "berth {args:?}");
        assert_eq!(
            stdout(&project.berth_with_files(args)),
            compose,
            "berth -f {args:?}"
        );
    }
    for args in [&["ps"][..], &["ps", "-a"], &["ps", "--no-trunc", "web"]] {
        assert_eq!(
            without_timing(&stdout(&project.berth(args))),
            without_timing(&stdout(&project.compose(args))),
            "berth {args:?}"
        );
    }
    let args = ["ps", "-a", "--format", "json"];
    assert_eq!(
        json_lines(&stdout(&project.berth(&args))),
        json_lines(&stdout(&project.compose(&args)))
    );

    // `ls` lists every project; filter to this one so parallel tests do not interfere.
    let filter = format!("name=^{}$", project.name);
    for args in [
        &["ls", "--filter", filter.as_str()][..],
        &["ls", "-a", "--filter", filter.as_str()],
        &["ls", "-a", "--format", "json", "--filter", filter.as_str()],
        &["ls", "-q", "--filter", filter.as_str()],
    ] {
        assert_eq!(
            stdout(&project.berth(args)),
            stdout(&project.compose(args)),
            "berth {args:?}"
        );
    }

    // Without files an unknown service lists nothing; with them it is an error, as in Compose.
    assert_eq!(
        stdout(&project.berth(&["ps", "nosuch"])),
        stdout(&project.compose(&["ps", "nosuch"]))
    );
    let unknown = project.berth_with_files(&["ps", "nosuch"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("no such service: nosuch"));
}

#[test]
fn stop_and_start_follow_the_dependency_order() {
    let project = Project::up("order");
    let db = project.container("db", 1);
    let web = project.container("web", 1);

    let stop = project.berth(&["stop", "-t", "1"]);
    let progress = stderr(&stop);
    assert!(stop.status.success(), "{progress}");
    for service in [
        ("db", 1),
        ("web", 1),
        ("worker", 1),
        ("worker", 2),
        ("once", 1),
    ] {
        assert_eq!(
            project.state(&project.container(service.0, service.1)),
            "exited"
        );
    }
    let position = |line: &str| {
        progress
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} in {progress}"))
    };
    assert!(
        position(&format!("Container {web}  Stopped"))
            < position(&format!("Container {db}  Stopping"))
    );
    assert!(
        position(&format!(
            "Container {}  Stopped",
            project.container("worker", 2)
        )) < position(&format!("Container {db}  Stopping"))
    );

    let start = project.berth(&["start", "web"]);
    let progress = stderr(&start);
    assert!(start.status.success(), "{progress}");
    assert_eq!(project.state(&db), "running");
    assert_eq!(project.state(&web), "running");
    assert_eq!(project.state(&project.container("worker", 1)), "exited");
    assert!(
        position_in(&progress, &format!("Container {db}  Started"))
            < position_in(&progress, &format!("Container {web}  Starting"))
    );

    let start = project.berth_with_files(&["start"]);
    assert!(start.status.success(), "{}", stderr(&start));
    assert_eq!(project.state(&project.container("worker", 2)), "running");

    let missing = berth_in(
        &std::env::temp_dir(),
        "berthtest-cmds-absent",
        &["start"],
        None,
    );
    assert!(!missing.status.success());
    assert!(
        stderr(&missing)
            .contains("no container found for project \"berthtest-cmds-absent\": not found")
    );
}

fn position_in(text: &str, line: &str) -> usize {
    text.find(line)
        .unwrap_or_else(|| panic!("{line:?} in {text}"))
}

#[test]
fn restart_takes_along_dependents_that_restart_with_their_dependency() {
    let project = Project::up("restart");
    let started = |service: &str| inspect(&project.container(service, 1), "{{.State.StartedAt}}");
    let (db, web, worker) = (started("db"), started("web"), started("worker"));

    let restart = project.berth(&["restart", "-t", "1", "db"]);
    assert!(restart.status.success(), "{}", stderr(&restart));
    assert_ne!(started("db"), db);
    assert_ne!(
        started("worker"),
        worker,
        "worker depends on db with restart: true"
    );
    assert_eq!(started("web"), web, "web depends on db without restart");

    let (db, worker) = (started("db"), started("worker"));
    let restart = project.berth_with_files(&["restart", "-t", "1", "--no-deps", "db"]);
    assert!(restart.status.success(), "{}", stderr(&restart));
    assert_ne!(started("db"), db);
    assert_eq!(started("worker"), worker);
}

#[test]
fn kill_pause_unpause_and_rm_change_the_containers() {
    let project = Project::up("states");
    let web = project.container("web", 1);
    let worker = project.container("worker", 1);

    assert!(project.berth(&["pause", "web"]).status.success());
    assert_eq!(project.state(&web), "paused");
    assert!(
        stderr(&project.berth(&["unpause"])).contains(&format!(" Container {web}  Unpaused\n"))
    );
    assert_eq!(project.state(&web), "running");

    let kill = project.berth(&["kill", "worker"]);
    assert!(kill.status.success(), "{}", stderr(&kill));
    project.wait_for(&worker, "exited");
    assert_eq!(project.state(&web), "running");

    // Without -f, rm asks; an empty answer keeps the containers.
    let asked = berth_in(
        &std::env::temp_dir(),
        &project.name,
        &["rm", "worker"],
        Some("n\n"),
    );
    assert!(asked.status.success());
    assert!(stdout(&asked).starts_with("Going to remove "));
    assert_eq!(project.state(&worker), "exited");
    let confirmed = berth_in(
        &std::env::temp_dir(),
        &project.name,
        &["rm", "worker"],
        Some("y\n"),
    );
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    assert_eq!(project.state(&worker), "");

    let removed = project.berth(&["rm", "-s", "-f"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(stdout(&removed).starts_with("Going to remove "));
    let left = stdout(&project.compose(&["ps", "-a", "-q"]));
    assert_eq!(left, "", "rm -s -f removes every service container");

    let nothing = project.berth(&["rm", "-f"]);
    assert_eq!(stderr(&nothing), "No stopped containers\n");
}
