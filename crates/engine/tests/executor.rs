//! The engine on the real daemon, with hand-built plans: steps run after what they follow, a
//! failure stops what depends on it and names the daemon's reason, an optional wait only warns, and
//! waits follow health through events. Every resource is named `berth-engine-test-*` and removed at
//! the end, pass or fail.

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use berth_engine::events::Condition;
use berth_engine::execute::{ExecuteOptions, execute};
use berth_engine::models::{ContainerCreateBody, HealthConfig, HostConfig, NetworkCreateRequest};
use berth_engine::plan::Display;
use berth_engine::{
    ContainerSpec, Engine, Event, EventStatus, NetworkSpec, Operation, Plan, Reporter,
};

const IMAGE: &str = "berth-test/busybox:local";

fn ensure_image() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/make-image.sh");
    let status = Command::new("sh")
        .arg(script)
        .arg(IMAGE)
        .output()
        .expect("sh runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// Removes the test's containers and network when dropped.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let output = Command::new("docker")
            .args(["ps", "-aq", "--filter", &format!("name={}", self.0)])
            .output()
            .expect("docker runs");
        for id in String::from_utf8_lossy(&output.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", self.0])
            .output();
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Reporter for Recorder {
    fn event(&self, event: Event) {
        self.0.lock().expect("not poisoned").push(event);
    }
}

fn container(
    name: &str,
    network: &str,
    command: &[&str],
    healthcheck: Option<&[&str]>,
) -> ContainerSpec {
    ContainerSpec {
        name: name.to_owned(),
        body: ContainerCreateBody {
            image: Some(IMAGE.to_owned()),
            cmd: Some(command.iter().map(|part| (*part).to_owned()).collect()),
            healthcheck: healthcheck.map(|test| HealthConfig {
                test: Some(test.iter().map(|part| (*part).to_owned()).collect()),
                interval: Some(300_000_000),
                retries: Some(50),
                ..Default::default()
            }),
            host_config: Some(HostConfig {
                network_mode: Some(network.to_owned()),
                init: Some(healthcheck.is_some()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_follow_their_predecessors_and_failures_stop_dependents() {
    ensure_image();
    let prefix = "berth-engine-test-exec";
    let _cleanup = Cleanup(prefix);
    let engine = Engine::connect().await.expect("a daemon answers");
    let mut plan = Plan::new();
    let network = plan.add(
        Operation::CreateNetwork(NetworkSpec {
            body: NetworkCreateRequest {
                name: prefix.to_owned(),
                ..Default::default()
            },
        }),
        &[],
        "test",
        Some(Display::new(
            format!("Network {prefix}"),
            "Creating",
            "Created",
        )),
    );
    let db_name = format!("{prefix}-db");
    let db = plan.add(
        Operation::CreateContainer(Box::new(container(
            &db_name,
            prefix,
            &["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 60"],
            Some(&["CMD", "test", "-f", "/tmp/ok"]),
        ))),
        &[network],
        "test",
        None,
    );
    let start_db = plan.add(
        Operation::StartContainer {
            name: db_name.clone(),
        },
        &[db],
        "test",
        None,
    );
    let healthy = plan.add(
        Operation::Wait {
            container: db_name.clone(),
            condition: Condition::Healthy,
            required: true,
            deadline: Some(Instant::now() + Duration::from_secs(30)),
        },
        &[start_db],
        "test",
        Some(Display::new(
            format!("Container {db_name}"),
            "Waiting",
            "Healthy",
        )),
    );
    let broken_name = format!("{prefix}-broken");
    let broken = plan.add(
        Operation::CreateContainer(Box::new(container(
            &broken_name,
            prefix,
            &["/no/such/binary"],
            None,
        ))),
        &[network],
        "test",
        None,
    );
    let start_broken = plan.add(
        Operation::StartContainer {
            name: broken_name.clone(),
        },
        &[broken, healthy],
        "test",
        Some(Display::new(
            format!("Container {broken_name}"),
            "Starting",
            "Started",
        )),
    );
    let after_broken = plan.add(
        Operation::StartContainer {
            name: db_name.clone(),
        },
        &[start_broken],
        "never runs",
        None,
    );
    let recorder = Recorder::default();
    let outcome = execute(&engine, &plan, &recorder, &ExecuteOptions::default()).await;

    assert_eq!(outcome.failed.len(), 1, "{outcome:?}");
    assert_eq!(outcome.failed[0].0, start_broken);
    let message = outcome.failed[0].1.to_string();
    assert!(message.contains("no such file or directory"), "{message}");
    assert_eq!(outcome.not_run, vec![after_broken]);
    let db = engine.inspect_container(&db_name).await.expect("db exists");
    let health = db
        .state
        .and_then(|state| state.health)
        .and_then(|health| health.status);
    assert_eq!(
        health.map(|status| status.to_string()).as_deref(),
        Some("healthy")
    );
    let events = recorder.0.lock().expect("not poisoned").clone();
    let position = |status: EventStatus, text: &str| {
        events
            .iter()
            .position(|event| event.status == status && event.text.contains(text))
            .unwrap_or_else(|| panic!("no {status:?} {text} in {events:?}"))
    };
    assert!(position(EventStatus::Done, "Healthy") < position(EventStatus::Working, "Starting"));
    assert!(
        position(EventStatus::Error, "no such file") > position(EventStatus::Working, "Starting")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_optional_wait_only_warns_and_completed_waits_read_exit_codes() {
    ensure_image();
    let prefix = "berth-engine-test-optional";
    let _cleanup = Cleanup(prefix);
    let engine = Engine::connect().await.expect("a daemon answers");
    let mut plan = Plan::new();
    let job = format!("{prefix}-job");
    let create = plan.add(
        Operation::CreateContainer(Box::new(container(
            &job,
            "bridge",
            &["sh", "-c", "exit 3"],
            None,
        ))),
        &[],
        "test",
        None,
    );
    let start = plan.add(
        Operation::StartContainer { name: job.clone() },
        &[create],
        "test",
        None,
    );
    let wait = plan.add(
        Operation::Wait {
            container: job.clone(),
            condition: Condition::CompletedSuccessfully {
                service: "job".to_owned(),
            },
            required: false,
            deadline: None,
        },
        &[start],
        "test",
        Some(Display::new(
            format!("Container {job}"),
            "Waiting",
            "Exited",
        )),
    );
    let later = format!("{prefix}-later");
    let create_later = plan.add(
        Operation::CreateContainer(Box::new(container(&later, "bridge", &["true"], None))),
        &[wait],
        "test",
        None,
    );
    let outcome = execute(
        &engine,
        &plan,
        &berth_engine::execute::Silent,
        &ExecuteOptions::default(),
    )
    .await;
    assert!(outcome.failed.is_empty(), "{outcome:?}");
    assert_eq!(outcome.warned.len(), 1);
    assert_eq!(
        outcome.warned[0].1.to_string(),
        "service \"job\" didn't complete successfully: exit 3"
    );
    assert!(outcome.not_run.is_empty());
    let _ = create_later;
    assert!(
        engine.inspect_container(&later).await.is_ok(),
        "the step after an optional wait ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_daemon_is_named() {
    let endpoint = berth_engine::Endpoint {
        host: "unix:///nonexistent/berth.sock".to_owned(),
    };
    let error = Engine::connect_to(endpoint)
        .await
        .expect_err("nothing answers there");
    let message = error.to_string();
    assert!(
        message.contains("unix:///nonexistent/berth.sock"),
        "{message}"
    );
    assert!(
        message.starts_with("cannot connect to the Docker daemon"),
        "{message}"
    );
}
