//! `up` without `-d`: services' output multiplexed with prefixes, the run ending when the
//! containers exit, the abort flags and their exit codes, and Ctrl-C stopping the project with 130.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{TestProject, berth_binary, eventually, state};

const JOBS: &str = r#"
services:
  hello:
    image: ${IMAGE}
    command: ["sh", "-c", "echo hello from the job; echo to stderr >&2"]
  fails:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; exit 3"]
    profiles: [failing]
  server:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    profiles: [failing, serving]
"#;

#[test]
fn attached_up_prints_prefixed_output_and_returns_when_all_exit() {
    let project = TestProject::new("attached", JOBS);
    let output = project.berth(&["up"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // Compose prints default container names without the project.
    let name = "hello-1";
    assert!(stdout.contains(&format!("Attaching to {name}")), "{stdout}");
    assert!(
        stdout.contains(&format!("{name}  | hello from the job")),
        "{stdout}"
    );
    assert!(stderr.contains(&format!("{name}  | to stderr")), "{stderr}");
    assert!(
        stdout.contains(&format!("{name} exited with code 0")),
        "{stdout}"
    );
}

#[test]
fn exit_code_from_stops_the_rest_and_returns_that_services_code() {
    let project = TestProject::new("exit-code-from", JOBS);
    let output = project.berth(&["--profile", "failing", "up", "--exit-code-from", "fails"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Aborting on container exit..."), "{stderr}");
    let server = project
        .container(&format!("{}-server-1", project.name))
        .expect("server exists");
    assert_eq!(state(&server), "exited", "the other services are stopped");
}

#[test]
fn the_first_ctrl_c_stops_gracefully_and_up_returns_130() {
    let project = TestProject::new("ctrl-c", JOBS);
    let child = Command::new(berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name, "--profile", "serving", "up", "server"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("berth starts");
    let server = format!("{}-server-1", project.name);
    assert!(eventually(Duration::from_secs(30), || {
        project
            .container(&server)
            .is_some_and(|c| state(&c) == "running")
    }));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("berth ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(130), "{stdout}");
    assert!(
        stdout.contains("Gracefully Stopping... press Ctrl+C again to force"),
        "{stdout}"
    );
    let container = project.container(&server).expect("stopped, not removed");
    assert_eq!(state(&container), "exited");
}
