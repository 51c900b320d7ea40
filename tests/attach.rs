//! `up`'s attached output on the real daemon: output attached before the start is all there, on
//! the right stream, with its prefix; exits print their status after the container's last line;
//! restarting containers are followed again without repeating a run; containers that start later
//! are picked up; the abort flags report their trigger and exit code; shutdown is prompt.
//!
//! Each test creates its own labelled containers (project `berthtest-attach-<test>`) through the
//! engine and removes them by label when it ends, pass or fail.

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth::attach::{AttachOptions, Monitor, MonitorEvent, OnExit, Output, Style, Trigger, attach};
use berth_engine::models::{ContainerCreateBody, HostConfig, RestartPolicy, RestartPolicyNameEnum};
use berth_engine::{ContainerSpec, Engine, labels};

use crate::support;

/// How long any one test may wait for its containers.
const PATIENCE: Duration = Duration::from_secs(60);

/// A writer whose text the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

/// A test's containers, removed by project label when dropped.
struct Project {
    name: String,
    engine: Engine,
}

impl Project {
    async fn new(test: &str) -> Self {
        support::ensure_image();
        let project = Self {
            name: format!("berthtest-attach-{test}"),
            engine: Engine::connect().await.expect("the daemon answers"),
        };
        project.remove_all();
        project
    }

    /// Creates container `<project>-<service>-1` running `sh -c script`.
    async fn create(&self, service: &str, script: &str, tty: bool, restart: Option<i64>) -> String {
        let name = format!("{}-{service}-1", self.name);
        let body = ContainerCreateBody {
            image: Some(support::IMAGE.to_owned()),
            cmd: Some(vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()]),
            tty: Some(tty),
            labels: Some(
                [
                    (labels::PROJECT, self.name.as_str()),
                    (labels::SERVICE, service),
                    (labels::CONTAINER_NUMBER, "1"),
                    (labels::ONEOFF, "False"),
                    (labels::CONFIG_HASH, "test"),
                ]
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
            ),
            host_config: Some(HostConfig {
                network_mode: Some("none".to_owned()),
                restart_policy: restart.map(|retries| RestartPolicy {
                    name: Some(RestartPolicyNameEnum::ON_FAILURE),
                    maximum_retry_count: Some(retries),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let spec = ContainerSpec {
            name: name.clone(),
            body,
            extra_networks: Vec::new(),
            files: Vec::new(),
            platform: String::new(),
        };
        self.engine
            .create_container(&spec)
            .await
            .expect("container created");
        name
    }

    fn remove_all(&self) {
        let output = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label={}={}", labels::PROJECT, self.name),
            ])
            .output()
            .expect("docker runs");
        for id in String::from_utf8_lossy(&output.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        self.remove_all();
    }
}

/// Options with captured writers, no colour.
fn options(out: &Captured, err: &Captured) -> AttachOptions {
    AttachOptions {
        style: Style::default(),
        output: Output {
            stdout: Box::new(out.clone()),
            stderr: Box::new(err.clone()),
        },
        ..AttachOptions::default()
    }
}

/// Every event until the monitor says all exited, within [`PATIENCE`].
async fn events_until_all_exited(monitor: &mut Monitor) -> Vec<MonitorEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(PATIENCE, monitor.next())
            .await
            .expect("the containers exit in time")
            .expect("the monitor keeps working");
        seen.push(event.clone());
        if event == MonitorEvent::AllExited {
            return seen;
        }
    }
}

/// `(name, text)` of each prefixed line, the prefix's padding removed.
fn prefixed(text: &str) -> Vec<(String, String)> {
    // Not `lines()`: it would eat the `\r` a TTY adds.
    text.split('\n')
        .filter_map(|line| line.split_once(" | "))
        .map(|(name, rest)| (name.trim_end().to_owned(), rest.to_owned()))
        .collect()
}

fn line(name: &str, text: &str) -> (String, String) {
    (name.to_owned(), text.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn output_attached_before_start_is_complete_prefixed_and_on_its_stream() {
    let project = Project::new("streams").await;
    let a = project
        .create("a", "echo out-a; echo err-a >&2; exit 3", false, None)
        .await;
    let long = project
        .create(
            "longername",
            "echo hello; echo -n partial; sleep 1",
            false,
            None,
        )
        .await;
    let tty = project
        .create("t", "echo tty-out; echo tty-err >&2", true, None)
        .await;
    let (out, err) = (Captured::default(), Captured::default());
    let containers = vec![
        (long.clone(), "longername".to_owned()),
        (tty.clone(), "t".to_owned()),
        (a.clone(), "a".to_owned()),
    ];
    let mut monitor = attach(
        &project.engine,
        &project.name,
        containers,
        options(&out, &err),
    )
    .await
    .expect("attached");
    for container in [&a, &long, &tty] {
        project
            .engine
            .start_container(container)
            .await
            .expect("started");
    }
    let events = events_until_all_exited(&mut monitor).await;
    assert_eq!(events, [MonitorEvent::AllExited]);
    assert_eq!(monitor.exit_code(), None);
    monitor.shutdown().await;

    let out = out.text();
    let err = err.text();
    assert!(
        out.starts_with("Attaching to a-1, longername-1, t-1\n"),
        "{out}"
    );
    let mut stdout_lines = prefixed(&out);
    stdout_lines.sort();
    assert_eq!(
        stdout_lines,
        [
            line("a-1", "out-a"),
            line("longername-1", "hello"),
            line("longername-1", "partial"),
            line("t-1", "tty-err\r"),
            line("t-1", "tty-out\r"),
        ],
        "{out}"
    );
    assert_eq!(prefixed(&err), [line("a-1", "err-a")], "{err}");
    for status in [
        "\r\x1b[Ka-1 exited with code 3\n",
        "\r\x1b[Klongername-1 exited with code 0\n",
        "\r\x1b[Kt-1 exited with code 0\n",
    ] {
        assert!(out.contains(status), "{status:?} in {out:?}");
    }
    // Each container's status comes after its last line.
    let partial = out.find("| partial").expect("partial line");
    let status = out.find("longername-1 exited").expect("status");
    assert!(partial < status, "{out}");
    // Once every name has registered, prefixes have the longest width plus one.
    assert!(out.contains("longername-1  | ") || err.contains("longername-1  | "));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarting_container_is_followed_again_without_repeating_a_run() {
    let project = Project::new("restart").await;
    let r = project
        .create("r", "echo run-$(cat /proc/uptime); exit 1", false, Some(2))
        .await;
    let (out, err) = (Captured::default(), Captured::default());
    let mut monitor = attach(
        &project.engine,
        &project.name,
        vec![(r.clone(), "r".to_owned())],
        options(&out, &err),
    )
    .await
    .expect("attached");
    project.engine.start_container(&r).await.expect("started");
    events_until_all_exited(&mut monitor).await;
    monitor.shutdown().await;

    let out = out.text();
    let runs: Vec<String> = prefixed(&out).into_iter().map(|(_, text)| text).collect();
    assert_eq!(runs.len(), 3, "one line per run: {out}");
    let mut distinct = runs.clone();
    distinct.dedup();
    assert_eq!(distinct, runs, "no run printed twice: {out}");
    let statuses: Vec<&str> = out
        .split("\r\x1b[K")
        .skip(1)
        .map(|rest| rest.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        [
            "r-1 exited with code 1 (restarting)",
            "r-1 exited with code 1 (restarting)",
            "r-1 exited with code 1",
        ],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_of_a_monitored_service_that_starts_later_is_picked_up() {
    let project = Project::new("late").await;
    let first = project.create("first", "sleep 2", false, None).await;
    let (out, err) = (Captured::default(), Captured::default());
    let mut options = options(&out, &err);
    options.services = vec!["late".to_owned()];
    let mut monitor = attach(
        &project.engine,
        &project.name,
        vec![(first.clone(), "first".to_owned())],
        options,
    )
    .await
    .expect("attached");
    project
        .engine
        .start_container(&first)
        .await
        .expect("started");
    let late = project
        .create("late", "echo late hello; sleep 3", false, None)
        .await;
    project
        .engine
        .start_container(&late)
        .await
        .expect("started");
    events_until_all_exited(&mut monitor).await;
    monitor.shutdown().await;

    let out = out.text();
    assert!(out.starts_with("Attaching to first-1\n"), "{out}");
    assert_eq!(prefixed(&out), [line("late-1", "late hello")], "{out}");
    let first_exit = out.find("first-1 exited with code 0").expect("first exits");
    let late_exit = out.find("late-1 exited with code 0").expect("late exits");
    assert!(
        first_exit < late_exit,
        "all exited only after the late one: {out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_on_exit_names_the_trigger_and_exit_code_from_takes_the_services_code() {
    let project = Project::new("abort").await;
    let a = project.create("a", "sleep 1; exit 3", false, None).await;
    let b = project
        .create(
            "b",
            "trap 'echo terminated; exit 143' TERM; echo ready; while true; do sleep 0.1; done",
            false,
            None,
        )
        .await;
    let (out, err) = (Captured::default(), Captured::default());
    let mut options = options(&out, &err);
    options.exit_code_from = Some("b".to_owned());
    options.error_color = true;
    let mut monitor = attach(
        &project.engine,
        &project.name,
        vec![(a.clone(), "a".to_owned()), (b.clone(), "b".to_owned())],
        options,
    )
    .await
    .expect("attached");
    for container in [&a, &b] {
        project
            .engine
            .start_container(container)
            .await
            .expect("started");
    }
    let first = tokio::time::timeout(PATIENCE, monitor.next())
        .await
        .expect("in time")
        .expect("monitor works");
    assert_eq!(
        first,
        MonitorEvent::Abort(Trigger {
            container: "a-1".to_owned(),
            service: "a".to_owned(),
            exit_code: 3,
        })
    );
    assert_eq!(monitor.exit_code(), Some(3));
    // What `up` does on abort: stop everything while the monitor keeps printing.
    project
        .engine
        .stop_container(&b, Some(10))
        .await
        .expect("stopped");
    let rest = events_until_all_exited(&mut monitor).await;
    assert_eq!(rest, [MonitorEvent::AllExited]);
    assert_eq!(monitor.exit_code(), Some(143));
    monitor.shutdown().await;

    let out = out.text();
    assert!(out.contains("b-1  | terminated\n"), "{out}");
    assert!(out.contains("\r\x1b[Kb-1 exited with code 143\n"), "{out}");
    assert_eq!(
        err.text(),
        "\x1b[31m\x1b[1mAborting on container exit...\x1b[0m\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_on_failure_passes_over_clean_exits() {
    let project = Project::new("failure").await;
    let clean = project.create("clean", "exit 0", false, None).await;
    let failing = project
        .create("failing", "sleep 2; exit 2", false, None)
        .await;
    let forever = project
        .create(
            "forever",
            "trap 'exit 0' TERM; while true; do sleep 0.1; done",
            false,
            None,
        )
        .await;
    let (out, err) = (Captured::default(), Captured::default());
    let mut options = options(&out, &err);
    options.on_exit = OnExit::StopOnFailure;
    let containers = [
        (&clean, "clean"),
        (&failing, "failing"),
        (&forever, "forever"),
    ]
    .into_iter()
    .map(|(name, service)| (name.clone(), service.to_owned()))
    .collect();
    let mut monitor = attach(&project.engine, &project.name, containers, options)
        .await
        .expect("attached");
    for container in [&clean, &failing, &forever] {
        project
            .engine
            .start_container(container)
            .await
            .expect("started");
    }
    let first = tokio::time::timeout(PATIENCE, monitor.next())
        .await
        .expect("in time")
        .expect("monitor works");
    assert_eq!(
        first,
        MonitorEvent::Abort(Trigger {
            container: "failing-1".to_owned(),
            service: "failing".to_owned(),
            exit_code: 2,
        })
    );
    project
        .engine
        .stop_container(&forever, Some(10))
        .await
        .expect("stopped");
    events_until_all_exited(&mut monitor).await;
    assert_eq!(monitor.exit_code(), Some(2));
    monitor.shutdown().await;
    assert!(out.text().contains("clean-1 exited with code 0"));
    assert_eq!(err.text(), "Aborting on container exit...\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_following_promptly_while_containers_run() {
    let project = Project::new("shutdown").await;
    let busy = project
        .create(
            "busy",
            "while true; do echo tick; sleep 0.2; done",
            false,
            None,
        )
        .await;
    let (out, err) = (Captured::default(), Captured::default());
    let mut monitor = attach(
        &project.engine,
        &project.name,
        vec![(busy.clone(), "busy".to_owned())],
        options(&out, &err),
    )
    .await
    .expect("attached");
    project
        .engine
        .start_container(&busy)
        .await
        .expect("started");
    let deadline = Instant::now() + PATIENCE;
    while !out.text().contains("| tick") {
        assert!(Instant::now() < deadline, "no output: {}", out.text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nothing to report while it runs.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), monitor.next())
            .await
            .is_err()
    );
    let started = Instant::now();
    monitor.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let printed = out.text().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(out.text().len(), printed, "nothing printed after shutdown");
}
