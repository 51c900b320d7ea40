//! `up` and `down` on the real daemon: dependency conditions, convergence, scale, orphans,
//! volumes, interoperation with Docker Compose in both directions, faults. Each test owns one
//! project (`berthtest-<test>`), removed by label when the test ends, pass or fail.

use std::time::Duration;

use crate::support::{TestProject, docker, eventually, label, state};

const CONDITIONS: &str = r#"
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  migrate:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; exit ${MIGRATE_EXIT:-0}"]
  web:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
"#;

fn started_at(project: &TestProject, name: &str) -> String {
    let container = project
        .container(name)
        .unwrap_or_else(|| panic!("{name} exists"));
    container["State"]["StartedAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn finished_at(project: &TestProject, name: &str) -> String {
    let container = project
        .container(name)
        .unwrap_or_else(|| panic!("{name} exists"));
    container["State"]["FinishedAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn up_starts_each_service_once_its_dependencies_conditions_hold() {
    let project = TestProject::new("conditions", CONDITIONS);
    project.berth_ok(&["up", "-d"]);
    let p = &project.name;
    let web = project
        .container(&format!("{p}-web-1"))
        .expect("web exists");
    assert_eq!(state(&web), "running");
    let db = project.container(&format!("{p}-db-1")).expect("db exists");
    assert_eq!(db["State"]["Health"]["Status"], "healthy");
    let migrate = project
        .container(&format!("{p}-migrate-1"))
        .expect("migrate exists");
    assert_eq!(state(&migrate), "exited");
    assert_eq!(migrate["State"]["ExitCode"], 0);
    // RFC 3339 timestamps of one daemon compare as strings.
    assert!(
        started_at(&project, &format!("{p}-web-1"))
            > finished_at(&project, &format!("{p}-migrate-1"))
    );
    let health_log = db["State"]["Health"]["Log"].as_array().expect("health log");
    let first_healthy = health_log
        .iter()
        .find(|entry| entry["ExitCode"] == 0)
        .and_then(|entry| entry["End"].as_str())
        .expect("a passing health check");
    assert!(started_at(&project, &format!("{p}-web-1")).as_str() > first_healthy);
    // Compose's labels, so that Compose sees the project as its own.
    assert_eq!(label(&web, "com.docker.compose.project"), p);
    assert_eq!(label(&web, "com.docker.compose.service"), "web");
    assert_eq!(label(&web, "com.docker.compose.container-number"), "1");
    assert_eq!(label(&web, "com.docker.compose.oneoff"), "False");
    assert_eq!(
        label(&web, "com.docker.compose.depends_on"),
        "db:service_healthy:false,migrate:service_completed_successfully:false"
    );
    let hash = project.compose_ok(&["config", "--hash", "web"]);
    let _ = hash;
    let expected = String::from_utf8(project.compose(&["config", "--hash", "web"]).stdout).unwrap();
    assert_eq!(
        expected.split_whitespace().nth(1).unwrap_or_default(),
        label(&web, "com.docker.compose.config-hash")
    );
}

#[test]
fn a_failed_dependency_stops_its_dependents_and_names_it() {
    let project = TestProject::new("failed-dependency", CONDITIONS);
    let output = project.berth_env(&[("MIGRATE_EXIT", "3")], &["up", "-d"]);
    assert!(!output.status.success(), "up must fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("service \"migrate\" didn't complete successfully: exit 3"),
        "{stderr}"
    );
    let web = project
        .container(&format!("{}-web-1", project.name))
        .expect("web was created");
    assert_eq!(state(&web), "created", "web must not start");
}

#[test]
fn wait_succeeds_with_a_one_shot_job_others_depend_on() {
    let project = TestProject::new("wait-one-shot", CONDITIONS);
    project.berth_ok(&["up", "-d", "--wait", "--wait-timeout", "60"]);
    let web = project
        .container(&format!("{}-web-1", project.name))
        .expect("web");
    assert_eq!(state(&web), "running");
}

#[test]
fn a_second_up_touches_nothing_and_a_change_recreates_only_that_service() {
    let project = TestProject::new("converge", CONDITIONS);
    project.berth_ok(&["up", "-d"]);
    let before = project.containers();
    let stderr = project.berth_ok(&["up", "-d"]);
    let after = project.containers();
    let ids = |list: &[serde_json::Value], name: &str| -> (String, String) {
        let container = list
            .iter()
            .find(|c| c["Name"].as_str().unwrap_or_default().ends_with(name))
            .unwrap_or_else(|| panic!("{name} exists"));
        (
            container["Id"].as_str().unwrap_or_default().to_owned(),
            container["State"]["StartedAt"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    for service in ["db-1", "web-1"] {
        assert_eq!(
            ids(&before, service),
            ids(&after, service),
            "{service} untouched\n{stderr}"
        );
    }
    assert!(stderr.contains("Running"), "{stderr}");

    project.write(&CONDITIONS.replace(
        "    command: [\"sleep\", \"300\"]",
        "    command: [\"sleep\", \"301\"]",
    ));
    project.berth_ok(&["up", "-d"]);
    let changed = project.containers();
    assert_eq!(
        ids(&before, "db-1"),
        ids(&changed, "db-1"),
        "db is not recreated"
    );
    assert_ne!(
        ids(&before, "web-1").0,
        ids(&changed, "web-1").0,
        "web is recreated"
    );
    let web = project
        .container(&format!("{}-web-1", project.name))
        .expect("web");
    assert_eq!(state(&web), "running");
    assert_eq!(web["Config"]["Cmd"][1], "301");
}

const SIMPLE: &str = r#"
services:
  app:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    volumes: [data:/data]
  side:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
volumes:
  data: {}
"#;

fn numbers(project: &TestProject, service: &str) -> Vec<String> {
    let mut numbers: Vec<String> = project
        .containers()
        .iter()
        .filter(|c| label(c, "com.docker.compose.service") == service)
        .map(|c| label(c, "com.docker.compose.container-number").to_owned())
        .collect();
    numbers.sort();
    numbers
}

#[test]
fn scale_up_and_down_keeps_composes_replica_numbers() {
    let project = TestProject::new("scale", SIMPLE);
    project.berth_ok(&["up", "-d", "--scale", "side=3"]);
    assert_eq!(numbers(&project, "side"), ["1", "2", "3"]);
    project.berth_ok(&["up", "-d", "--scale", "side=1"]);
    assert_eq!(numbers(&project, "side"), ["1"]);
    project.berth_ok(&["up", "-d", "--scale", "side=2"]);
    assert_eq!(numbers(&project, "side"), ["1", "2"]);
}

#[test]
fn orphans_are_reported_and_removed_on_request() {
    let project = TestProject::new("orphans", SIMPLE);
    project.berth_ok(&["up", "-d"]);
    project.write(&SIMPLE.replace(
        "  side:\n    image: ${IMAGE}\n    command: [\"sleep\", \"300\"]\n    init: true\n",
        "",
    ));
    let stderr = project.berth_ok(&["up", "-d"]);
    assert!(stderr.contains("Found orphan containers"), "{stderr}");
    assert!(
        project
            .container(&format!("{}-side-1", project.name))
            .is_some()
    );
    project.berth_ok(&["up", "-d", "--remove-orphans"]);
    assert!(
        project
            .container(&format!("{}-side-1", project.name))
            .is_none()
    );
}

#[test]
fn named_volume_data_survives_down_and_goes_with_down_v() {
    let project = TestProject::new("volumes", SIMPLE);
    project.berth_ok(&["up", "-d"]);
    let app = format!("{}-app-1", project.name);
    docker(&["exec", &app, "sh", "-c", "echo kept > /data/file"]);
    project.berth_ok(&["down"]);
    assert!(project.containers().is_empty());
    assert_eq!(project.volumes(), [format!("{}_data", project.name)]);
    assert!(
        project.networks().is_empty(),
        "down removes the default network"
    );
    project.berth_ok(&["up", "-d"]);
    assert_eq!(docker(&["exec", &app, "cat", "/data/file"]).trim(), "kept");
    project.berth_ok(&["down", "-v"]);
    assert!(project.volumes().is_empty());
}

#[test]
fn compose_and_berth_adopt_each_others_projects_without_recreating() {
    let project = TestProject::new("interop", SIMPLE);
    project.compose_ok(&["up", "-d"]);
    let by_compose = project.containers();
    project.berth_ok(&["up", "-d"]);
    let after_berth = project.containers();
    let ids = |list: &[serde_json::Value]| -> Vec<String> {
        list.iter()
            .map(|c| c["Id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&by_compose),
        ids(&after_berth),
        "berth keeps Compose's containers"
    );
    project.berth_ok(&["down"]);
    project.berth_ok(&["up", "-d"]);
    let by_berth = project.containers();
    let stderr = project.compose_ok(&["up", "-d"]);
    assert_eq!(
        ids(&by_berth),
        ids(&project.containers()),
        "Compose keeps berth's containers\n{stderr}"
    );
    project.compose_ok(&["down", "-v"]);
    assert!(project.containers().is_empty());
    assert!(project.volumes().is_empty());
}

#[test]
fn another_project_is_left_untouched() {
    let first = TestProject::new("neighbour-a", SIMPLE);
    let second = TestProject::new("neighbour-b", SIMPLE);
    second.berth_ok(&["up", "-d"]);
    let before = second.containers();
    first.berth_ok(&["up", "-d"]);
    first.berth_ok(&["up", "-d", "--force-recreate", "--remove-orphans"]);
    first.berth_ok(&["down", "-v", "--remove-orphans"]);
    let after = second.containers();
    assert_eq!(before.len(), 2);
    assert_eq!(
        before.iter().map(|c| c["Id"].clone()).collect::<Vec<_>>(),
        after.iter().map(|c| c["Id"].clone()).collect::<Vec<_>>()
    );
    assert!(after.iter().all(|c| state(c) == "running"));
    assert_eq!(second.volumes().len(), 1);
}

#[test]
fn down_by_name_alone_works_without_files() {
    let project = TestProject::new("down-by-name", SIMPLE);
    project.berth_ok(&["up", "-d"]);
    let empty = std::env::temp_dir().join("berth-tests/empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    let output = std::process::Command::new(crate::support::berth_binary())
        .current_dir(&empty)
        .args(["-p", &project.name, "down"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(project.containers().is_empty());
    assert!(project.networks().is_empty());
}

#[test]
fn no_daemon_is_one_clear_error_naming_the_socket() {
    let project = TestProject::new("no-daemon", SIMPLE);
    // `ls` goes its own way to the daemon (one lean list request that is also the check).
    for command in [&["up", "-d"][..], &["ls"]] {
        let output = project.berth_env(
            &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
            command,
        );
        assert!(!output.status.success(), "{command:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("unix:///nonexistent/docker.sock"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("cannot connect to the Docker daemon"),
            "{command:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 2, "{command:?}: {stderr}");
    }
}

/// A TCP port on 127.0.0.1 that forwards each connection to the daemon's unix socket (the one
/// `DOCKER_HOST` names, or the default), for as long as the test process runs.
fn daemon_over_tcp() -> u16 {
    use std::net::{Shutdown, TcpListener};
    use std::os::unix::net::UnixStream;
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|host| host.strip_prefix("unix://").map(str::to_owned))
        .unwrap_or_else(|| "/var/run/docker.sock".to_owned());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(daemon) = UnixStream::connect(&socket) else {
                continue;
            };
            let (mut from_client, mut to_daemon) =
                (client.try_clone().unwrap(), daemon.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_daemon);
                let _ = to_daemon.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let (mut to_client, mut from_daemon) = (client, daemon);
                let _ = std::io::copy(&mut from_daemon, &mut to_client);
                let _ = to_client.shutdown(Shutdown::Write);
            });
        }
    });
    port
}

#[test]
fn a_daemon_over_tcp_is_reached_by_host_name() {
    // berth links glibc statically: `localhost` must still resolve (through /etc/hosts).
    let project = TestProject::new("tcp-host", SIMPLE);
    let host = format!("tcp://localhost:{}", daemon_over_tcp());
    let over_tcp = [("DOCKER_HOST", host.as_str())];
    for command in [&["up", "-d"][..], &["ps", "--services"], &["ls"]] {
        let output = project.berth_env(&over_tcp, command);
        assert!(
            output.status.success(),
            "{command:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let shown = if command[0] == "ls" {
            project.name.as_str()
        } else {
            "app"
        };
        assert!(
            command[0] == "up" || stdout.contains(shown),
            "{command:?}: {stdout}"
        );
    }
    assert_eq!(project.containers().len(), 2);
    let output = project.berth_env(&over_tcp, &["down", "-v"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(project.containers().is_empty());
}

#[test]
fn a_container_that_cannot_start_names_its_service_and_the_daemons_reason() {
    let project = TestProject::new(
        "cannot-start",
        r#"
services:
  broken:
    image: ${IMAGE}
    command: ["/no/such/binary"]
"#,
    );
    let output = project.berth(&["up", "-d"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken"), "{stderr}");
    assert!(stderr.contains("no such file or directory"), "{stderr}");
    project.berth_ok(&["down"]);
    assert!(project.containers().is_empty());
}

#[test]
fn an_image_that_cannot_be_had_fails_before_anything_is_created() {
    let project = TestProject::new(
        "missing-image",
        r#"
services:
  ok:
    image: ${IMAGE}
    command: ["sleep", "300"]
  ghost:
    image: 127.0.0.1:9/berth/ghost:nope
"#,
    );
    let output = project.berth(&["up", "-d"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("service \"ghost\""), "{stderr}");
    assert!(project.containers().is_empty(), "nothing created");
    assert!(project.networks().is_empty(), "nothing created");
}

#[test]
fn interrupting_up_leaves_a_state_down_removes() {
    let mut compose = String::from("services:\n");
    for index in 0..12 {
        compose.push_str(&format!(
            "  s{index}:\n    image: ${{IMAGE}}\n    command: [\"sleep\", \"300\"]\n    init: true\n"
        ));
    }
    let project = TestProject::new("interrupt", &compose);
    let mut child = std::process::Command::new(crate::support::berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name, "up", "-d"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(eventually(Duration::from_secs(20), || !project
        .containers()
        .is_empty()));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(!status.success() || project.containers().len() == 12);
    project.berth_ok(&["down"]);
    assert!(project.containers().is_empty());
    assert!(project.networks().is_empty());
}

#[test]
fn an_unhealthy_dependency_is_named_and_its_dependents_do_not_start() {
    let project = TestProject::new(
        "unhealthy",
        r#"
services:
  db:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    healthcheck:
      test: ["CMD", "false"]
      interval: 300ms
      retries: 2
  web:
    image: ${IMAGE}
    command: ["sleep", "300"]
    depends_on:
      db: {condition: service_healthy}
"#,
    );
    let output = project.berth(&["up", "-d"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "dependency failed to start: container {}-db-1 is unhealthy",
            project.name
        )),
        "{stderr}"
    );
    let web = project
        .container(&format!("{}-web-1", project.name))
        .expect("web created");
    assert_eq!(state(&web), "created");
}

#[test]
fn an_optional_dependency_that_fails_only_warns() {
    let project = TestProject::new(
        "optional-dependency",
        r#"
services:
  flaky:
    image: ${IMAGE}
    command: ["sh", "-c", "exit 2"]
  app:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    depends_on:
      flaky: {condition: service_completed_successfully, required: false}
"#,
    );
    project.berth_ok(&["up", "-d"]);
    let app = project
        .container(&format!("{}-app-1", project.name))
        .expect("app");
    assert_eq!(state(&app), "running");
}

#[test]
fn service_references_hash_as_compose_so_neither_tool_recreates_the_other() {
    let project = TestProject::new(
        "service-refs",
        r#"
services:
  app:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
  side:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    network_mode: "service:app"
    volumes_from: [app]
"#,
    );
    let ids = |project: &TestProject| -> Vec<String> {
        project
            .containers()
            .iter()
            .map(|c| c["Id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    project.compose_ok(&["up", "-d"]);
    let by_compose = ids(&project);
    let stderr = project.berth_ok(&["up", "-d"]);
    assert_eq!(
        by_compose,
        ids(&project),
        "berth keeps Compose's containers\n{stderr}"
    );
    project.berth_ok(&["down"]);
    project.berth_ok(&["up", "-d"]);
    let by_berth = ids(&project);
    assert_eq!(by_berth.len(), 2);
    let stderr = project.compose_ok(&["up", "-d"]);
    assert_eq!(
        by_berth,
        ids(&project),
        "Compose keeps berth's containers\n{stderr}"
    );
}

#[test]
fn a_service_whose_image_fails_to_build_is_named_before_anything_is_created() {
    let project = TestProject::new(
        "needs-build",
        r#"
services:
  app:
    build: .
"#,
    );
    // A step that cannot run: scratch has no shell.
    std::fs::write(project.dir.join("Dockerfile"), "FROM scratch\nRUN true\n").expect("Dockerfile");
    let output = project.berth(&["up", "-d"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("service \"app\""), "{stderr}");
    assert!(
        stderr.contains(&format!("{}-app", project.name)),
        "{stderr}"
    );
    assert!(project.containers().is_empty());
    assert!(project.networks().is_empty());
}

#[test]
fn wait_timeout_fails_as_compose_words_it() {
    let project = TestProject::new(
        "wait-timeout",
        r#"
services:
  slow:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    healthcheck:
      test: ["CMD", "false"]
      interval: 10s
      retries: 3
"#,
    );
    let output = project.berth(&["up", "-d", "--wait", "--wait-timeout", "2"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("application not healthy after 2s"),
        "{stderr}"
    );
}
