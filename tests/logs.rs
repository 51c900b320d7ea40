//! `berth logs` on the real daemon: the same lines as `docker compose logs` on the same
//! containers (flags included, through the daemon's API and through the direct file read), `-f`
//! following replicas that appear and containers that restart, and Compose's errors for bad input.
//! Each test owns project `berthtest-logs-<test>`, removed by label when it ends.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{self, TestProject};

/// Lines grouped by their container prefix (padding ignored: Compose sizes prefixes in whichever
/// order containers first print), each container's lines in their order.
fn by_container(output: &str) -> BTreeMap<String, Vec<String>> {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in output.lines() {
        let (name, text) = line.split_once(" | ").unwrap_or(("", line));
        grouped
            .entry(name.trim_end().to_owned())
            .or_default()
            .push(text.to_owned());
    }
    grouped
}

const MIXED: &str = r#"
services:
  a:
    image: ${IMAGE}
    command: sh -c 'for i in 1 2 3 4 5 6; do echo out-$$i; echo err-$$i >&2; sleep 0.05; done; sleep 1000'
  tty:
    image: ${IMAGE}
    tty: true
    command: sh -c 'echo tty-out; echo tty-err >&2; sleep 1000'
  done:
    image: ${IMAGE}
    command: sh -c 'echo done-1; echo "done \"quoted\" <&> é"; printf "tab\there\n"'
  quiet:
    image: ${IMAGE}
    attach: false
    command: sh -c 'echo quiet; sleep 1000'
"#;

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn logs_match_compose_with_each_flag_on_both_read_paths() {
    let project = TestProject::new("logs-match", MIXED);
    project.compose_ok(&["up", "-d"]);
    project.compose_ok(&["run", "-d", "done", "echo", "one-off"]);
    assert!(support::eventually(Duration::from_secs(30), || {
        let text = stdout_of(&project.compose(&["-f", "compose.yaml", "logs", "a", "done"]));
        text.contains("err-6") && text.contains("tab\there")
    }));
    // Moments between a's lines, to the nanosecond, for --since and --until.
    let stamped = stdout_of(&project.compose(&["logs", "-t", "a"]));
    let stamps: Vec<&str> = stamped
        .lines()
        .filter_map(|line| line.split(" | ").nth(1)?.split(' ').next())
        .collect();
    assert!(stamps.len() >= 12, "{stamped}");
    let (since, until) = (stamps[5].to_owned(), stamps[8].to_owned());
    let cases: Vec<Vec<&str>> = vec![
        vec!["logs"],
        vec!["-f", "compose.yaml", "logs"],
        vec!["logs", "-t"],
        vec!["logs", "--no-log-prefix", "a"],
        vec!["logs", "-n", "2"],
        vec!["logs", "--tail", "0"],
        vec!["logs", "--since", &since, "a"],
        vec!["logs", "--until", &until, "-t", "a"],
        vec![
            "logs",
            "--since",
            "1h",
            "--until",
            "2099-01-01",
            "tty",
            "done",
        ],
        vec!["-f", "compose.yaml", "logs", "quiet"],
        vec!["logs", "--index", "1", "a"],
    ];
    for case in &cases {
        let expected = stdout_of(&project.compose(case));
        assert!(!expected.is_empty() || case.contains(&"0"), "{case:?}");
        for env in [&[][..], &[("BERTH_LOGS_API", "1")][..]] {
            let actual = stdout_of(&project.berth_env(env, case));
            if case.contains(&"--no-log-prefix") {
                let sorted = |text: &str| {
                    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
                    lines.sort();
                    lines
                };
                assert_eq!(sorted(&actual), sorted(&expected), "{case:?} {env:?}");
            } else {
                assert_eq!(
                    by_container(&actual),
                    by_container(&expected),
                    "{case:?} {env:?}\nberth:\n{actual}\ncompose:\n{expected}"
                );
            }
        }
    }
    // The one-off container and the attach: false service stay out unless named.
    let all = stdout_of(&project.berth(&["-f", "compose.yaml", "logs"]));
    assert!(!all.contains("one-off") && !all.contains("quiet"), "{all}");
    // Prefixes are padded to the longest name from the first line on.
    assert!(all.lines().all(|line| line.contains("  | ")), "{all}");
}

#[test]
fn logs_of_rotated_files_match_compose() {
    // The daemon keeps at most three files of 20 kB: the direct read must take the rotated ones,
    // oldest first, and count `--tail` across them.
    let project = TestProject::new(
        "logs-rotated",
        r"
services:
  r:
    image: ${IMAGE}
    logging:
      driver: json-file
      options:
        max-size: 20k
        max-file: '3'
    command: sh -c 'seq 1 3000; echo end'
",
    );
    project.compose_ok(&["up", "-d"]);
    assert!(support::eventually(Duration::from_secs(30), || {
        stdout_of(&project.compose(&["logs", "-n", "1"])).contains("end")
    }));
    for case in [
        &["logs"][..],
        &["logs", "-n", "5"],
        &["logs", "-n", "500"],
        &["logs", "-n", "100000"],
        &["logs", "-t", "-n", "300"],
    ] {
        let expected = stdout_of(&project.compose(case));
        for env in [&[][..], &[("BERTH_LOGS_API", "1")][..]] {
            let actual = stdout_of(&project.berth_env(env, case));
            assert_eq!(actual, expected, "{case:?} {env:?}");
        }
    }
}

#[test]
fn logs_follow_picks_up_new_replicas_and_restarted_containers() {
    let project = TestProject::new(
        "logs-follow",
        r#"
services:
  s:
    image: ${IMAGE}
    command: sh -c 'n=$$(cat /runs 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /runs; echo "run $$n"; trap "echo bye $$n; exit 0" TERM; while true; do sleep 0.1; done'
"#,
    );
    project.berth_ok(&["up", "-d"]);
    let mut child = Command::new(support::berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name, "logs", "-f"])
        .env("COMPOSE_PROGRESS", "plain")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("berth runs");
    let seen = Arc::new(Mutex::new(String::new()));
    let reader = {
        let seen = Arc::clone(&seen);
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut seen = seen.lock().expect("not poisoned");
                seen.push_str(&line);
                seen.push('\n');
            }
        })
    };
    let text = || seen.lock().expect("not poisoned").clone();
    let wait_for = |needle: &str| {
        assert!(
            support::eventually(Duration::from_secs(30), || text().contains(needle)),
            "waited for {needle:?}, got:\n{}",
            text()
        );
    };
    wait_for("s-1  | run 1");
    project.berth_ok(&["up", "-d", "--scale", "s=2"]);
    wait_for("s-2  | run 1");
    project.berth_ok(&["restart"]);
    wait_for("s-1  | run 2");
    wait_for("s-2  | run 2");
    project.berth_ok(&["stop"]);
    // Once nothing runs, `logs -f` ends by itself.
    let ended = support::eventually(Duration::from_secs(30), || {
        child.try_wait().expect("waitable").is_some()
    });
    if !ended {
        let _ = child.kill();
    }
    let status = child.wait().expect("waited");
    reader.join().expect("reader ends");
    let output = text();
    assert!(ended && status.success(), "{status}\n{output}");
    for line in [
        "s-1  | run 1",
        "s-2  | run 1",
        "s-1  | bye 1",
        "s-1  | run 2",
        "s-2  | run 2",
        "s-2  | bye 2",
    ] {
        assert_eq!(
            output.matches(line).count(),
            1,
            "{line:?} once in:\n{output}"
        );
    }
    assert!(
        output.contains("\r\x1b[Ks-2 exited with code 0\n"),
        "{output}"
    );
}

#[test]
fn logs_bad_input_fails_as_compose_does() {
    let project = TestProject::new(
        "logs-errors",
        r"
services:
  a:
    image: ${IMAGE}
    command: sh -c 'echo hi; sleep 1000'
",
    );
    project.compose_ok(&["up", "-d"]);
    let cases: &[&[&str]] = &[
        &["-f", "compose.yaml", "logs", "nosuch"],
        &["logs", "--index", "3", "a"],
        &["logs", "--index", "1", "a", "b"],
        &["logs", "--index", "1"],
        &["logs", "--since", "foo", "a"],
        &["logs", "--until", "2013-13-01", "a"],
    ];
    for case in cases {
        let compose = project.compose(case);
        let berth = project.berth(case);
        let compose_error = String::from_utf8_lossy(&compose.stderr).trim().to_owned();
        let berth_error = String::from_utf8_lossy(&berth.stderr);
        assert_eq!(berth.status.code(), compose.status.code(), "{case:?}");
        assert_eq!(compose.status.code(), Some(1), "{case:?}");
        assert!(
            !compose_error.is_empty() && berth_error.contains(&compose_error),
            "{case:?}: berth said {berth_error:?}, compose {compose_error:?}"
        );
        assert!(berth.stdout.is_empty(), "{case:?}");
    }
    // A project without containers prints nothing and succeeds, with or without -f.
    let empty = TestProject::new("logs-empty", "services:\n  x:\n    image: ${IMAGE}\n");
    for case in [&["logs"][..], &["logs", "-f"], &["logs", "x"]] {
        let compose = empty.compose(case);
        let berth = empty.berth(case);
        assert_eq!(compose.status.code(), Some(0), "{case:?}");
        assert_eq!(berth.status.code(), Some(0), "{case:?}");
        assert!(
            berth.stdout.is_empty() && compose.stdout.is_empty(),
            "{case:?}"
        );
    }
}
