//! `top`, `port`, `events`, `images`, `wait` and `stats` must print what `docker compose` 2.40.3
//! prints on the same running containers, fail with Compose's words and exit codes, and act as
//! Compose acts (`wait` returns the last container's exit code, `--down-project` removes the
//! project, `events` follows containers started while it runs and exits 130 on Ctrl-C).
//!
//! Only what truly varies between two runs is normalised: CPU and memory figures, times, and the
//! order in which the daemon lists a container's ports.

use std::collections::BTreeSet;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{TestProject, berth_binary, eventually};

/// Two replicas publishing ports, a plain service, and one disabled by a profile.
const PROJECT: &str = r#"
services:
  web:
    image: ${IMAGE}
    command: sh -c "sleep 3600 & wait"
    init: false
    ports:
      - "8080"
      - "127.0.0.1::80/udp"
    scale: 2
  db:
    image: ${IMAGE}
    command: sleep 3600
  idle:
    image: ${IMAGE}
    command: "true"
    profiles: [never]
"#;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// berth's error message without its `error: ` prefix.
fn berth_message(output: &Output) -> String {
    let text = stderr(output);
    text.strip_prefix("error: ").unwrap_or(&text).to_owned()
}

/// Runs `args` with berth and with Compose; both must exit alike and print the same stdout
/// (after `normalise`) and the same error message.
fn same(project: &TestProject, args: &[&str], normalise: &dyn Fn(&str) -> String) -> Output {
    let ours = project.berth(args);
    let theirs = project.compose(args);
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "exit codes of {args:?}: berth {}, compose {}",
        stderr(&ours),
        stderr(&theirs)
    );
    assert_eq!(
        normalise(&stdout(&ours)),
        normalise(&stdout(&theirs)),
        "stdout of {args:?}"
    );
    assert_eq!(
        berth_message(&ours).trim_end(),
        stderr(&theirs).trim_end(),
        "error of {args:?}"
    );
    ours
}

fn as_is(text: &str) -> String {
    text.to_owned()
}

/// The published ports after `container NAME: ` in a port error, sorted (the daemon lists them
/// in its map's order).
fn sorted_port_list(text: &str) -> String {
    match text.split_once(": ") {
        Some((head, list)) => {
            let mut ports: Vec<&str> = list.trim_end().split(", ").collect();
            ports.sort_unstable();
            format!("{head}: {}", ports.join(", "))
        }
        None => text.to_owned(),
    }
}

/// A `top` table's rows as fields, with C (field 5) and TIME (field 8) masked; CMD kept whole.
fn mask_ticking(table: &str) -> String {
    table
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 9 && fields[0] != "SERVICE" {
                fields[5] = "*";
                fields[8] = "*";
            }
            fields.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn up(test: &str, compose: &str) -> TestProject {
    let project = TestProject::new(test, compose);
    project.compose_ok(&["up", "-d"]);
    project
}

#[test]
fn inspect_top_prints_one_table_as_compose_does() {
    let project = up("inspect-top", PROJECT);
    // `ps` columns C (CPU use) and TIME tick between the two runs on a busy machine: an exact
    // match is tried a few times, then the tables must agree with those two columns masked.
    let mut last = String::new();
    let mut masked = (String::new(), String::new());
    let matched = (0..3).any(|_| {
        let ours = project.berth(&["top"]);
        let theirs = project.compose(&["top"]);
        assert!(ours.status.success(), "{}", stderr(&ours));
        last = format!("berth:\n{}\ncompose:\n{}", stdout(&ours), stdout(&theirs));
        masked = (mask_ticking(&stdout(&ours)), mask_ticking(&stdout(&theirs)));
        stdout(&ours) == stdout(&theirs)
    });
    assert!(matched || masked.0 == masked.1, "{last}");
    let table = stdout(&project.berth(&["top"]));
    assert!(table.starts_with("SERVICE  #   UID "), "{table}");
    assert_eq!(
        table
            .lines()
            .filter(|line| line.starts_with("web "))
            .count(),
        4
    );
    same(&project, &["top", "db"], &mask_ticking);
    // Compose checks no service name: nothing to show is no error.
    let none = same(&project, &["top", "nosuch"], &as_is);
    assert!(stdout(&none).is_empty());
}

#[test]
fn inspect_port_prints_bindings_and_compose_errors() {
    let project = up("inspect-port", PROJECT);
    let first = same(&project, &["port", "web", "8080"], &as_is);
    assert!(stdout(&first).starts_with("0.0.0.0:"), "{}", stdout(&first));
    same(&project, &["port", "--index", "2", "web", "8080"], &as_is);
    let udp = same(
        &project,
        &["port", "--protocol", "UDP", "web", "80"],
        &as_is,
    );
    assert!(stdout(&udp).starts_with("127.0.0.1:"));
    // Errors, with Compose's words and exit code 1.
    for args in [
        &["port", "--index", "3", "web", "8080"][..],
        &["port", "web", "80"],
        &["port", "db", "80"],
        &["port", "idle", "80"],
        &["port", "nosuch", "80"],
        &["port", "web", "abc"],
        &["port", "web", "70000"],
        &["port", "web"],
    ] {
        let ours = project.berth(args);
        let theirs = project.compose(args);
        assert_eq!(ours.status.code(), Some(1), "{args:?}: {}", stderr(&ours));
        assert_eq!(theirs.status.code(), Some(1));
        assert_eq!(
            sorted_port_list(&berth_message(&ours)),
            sorted_port_list(&stderr(&theirs)),
            "{args:?}"
        );
    }
    assert_eq!(
        berth_message(&project.berth(&["port", "--index", "3", "web", "8080"])),
        "service \"web\" is not running container #3\n"
    );
    assert!(
        berth_message(&project.berth(&["port", "db", "80"])).starts_with(&format!(
            "no port 80/tcp for container {}-db-1: ",
            project.name
        ))
    );
}

#[test]
fn inspect_images_lists_each_containers_image_as_compose_does() {
    let project = up("inspect-images", PROJECT);
    // The two tools run a moment apart: "38 seconds ago" may turn into "39".
    let as_is = |text: &str| -> String {
        text.lines()
            .map(|line| match line.strip_suffix(" seconds ago") {
                Some(head) => format!(
                    "{} seconds ago\n",
                    head.trim_end_matches(|c: char| c.is_ascii_digit())
                ),
                None => format!("{line}\n"),
            })
            .collect()
    };
    let table = same(&project, &["images"], &as_is);
    assert_eq!(stdout(&table).lines().count(), 4, "{}", stdout(&table));
    assert!(stdout(&table).starts_with("CONTAINER "));
    assert!(stdout(&table).contains("   berth-test/busybox   local               linux/amd64   "));
    same(&project, &["images", "db"], &as_is);
    same(&project, &["images", "-q"], &as_is);
    same(&project, &["images", "nosuch"], &as_is);
    same(&project, &["images", "--format", "foo"], &as_is);
    // Compose's JSON list comes from a Go map, in any order: compare as sets.
    let set = |text: &str| -> BTreeSet<String> {
        let list: Value = serde_json::from_str(text).expect("JSON");
        list.as_array()
            .expect("a list")
            .iter()
            .map(Value::to_string)
            .collect()
    };
    let ours = project.berth(&["images", "--format", "json"]);
    let theirs = project.compose(&["images", "--format", "json"]);
    assert_eq!(set(&stdout(&ours)), set(&stdout(&theirs)));
    assert!(stdout(&ours).ends_with("]\n\n"));
    // Stopped containers count too.
    project.compose_ok(&["stop", "-t", "0", "db"]);
    same(&project, &["images", "db"], &as_is);
}

/// A stats row with its figures replaced by their shapes, so that two samples compare.
fn stats_shape(text: &str) -> Vec<Vec<String>> {
    let percent = regex::Regex::new(r"^\d+\.\d\d%$").unwrap();
    let size = regex::Regex::new(
        r"^\d+(\.\d+)?(B|kB|MB|GB|KiB|MiB|GiB) / \d+(\.\d+)?(B|kB|MB|GB|KiB|MiB|GiB)$",
    )
    .unwrap();
    let cells = regex::Regex::new(r"\s{2,}").unwrap();
    text.lines()
        .map(|line| {
            cells
                .split(line)
                .enumerate()
                .map(|(index, cell)| {
                    if index < 2 || line.starts_with("CONTAINER ID") {
                        cell.to_owned()
                    } else if percent.is_match(cell) {
                        "PERCENT".to_owned()
                    } else if size.is_match(cell) {
                        "SIZES".to_owned()
                    } else if cell.bytes().all(|byte| byte.is_ascii_digit()) {
                        "COUNT".to_owned()
                    } else {
                        cell.to_owned()
                    }
                })
                .collect()
        })
        .collect()
}

/// A stats snapshot in which every container answered within the CLI's two seconds (on a busy
/// machine one may not, and both print `--` for it then).
fn complete_stats(run: impl Fn() -> Output) -> Output {
    let mut output = run();
    for _ in 0..3 {
        if !stdout(&output).contains("--") {
            break;
        }
        output = run();
    }
    output
}

#[test]
fn inspect_stats_no_stream_prints_the_docker_cli_table() {
    let project = up("inspect-stats", PROJECT);
    for args in [
        &["stats", "--no-stream"][..],
        &["stats", "--no-stream", "--no-trunc", "web"],
    ] {
        let ours = complete_stats(|| project.berth(args));
        let theirs = complete_stats(|| project.compose(args));
        assert!(ours.status.success(), "{}", stderr(&ours));
        let mut ours = stats_shape(&stdout(&ours));
        let mut theirs = stats_shape(&stdout(&theirs));
        ours[1..].sort();
        theirs[1..].sort();
        assert_eq!(ours, theirs, "{args:?}");
    }
    // JSON: the same keys, the same containers.
    let keys = |text: &str| -> BTreeSet<String> {
        text.lines()
            .map(|line| {
                let object: Value = serde_json::from_str(line).expect("a JSON line");
                let keys: Vec<&String> = object.as_object().expect("object").keys().collect();
                format!("{keys:?} {}", object["Name"])
            })
            .collect()
    };
    let ours = complete_stats(|| project.berth(&["stats", "--no-stream", "--format", "json"]));
    let theirs = complete_stats(|| project.compose(&["stats", "--no-stream", "--format", "json"]));
    assert_eq!(keys(&stdout(&ours)), keys(&stdout(&theirs)));
    same(
        &project,
        &["stats", "--no-stream", "--format", "{{.Name}}"],
        &|text| {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_unstable();
            lines.join("\n")
        },
    );
    // A stopped container: only with -a, with zero figures.
    project.compose_ok(&["stop", "-t", "0", "db"]);
    same(&project, &["stats", "--no-stream", "db"], &as_is);
    let all = complete_stats(|| project.berth(&["stats", "--no-stream", "-a", "db"]));
    assert!(
        stdout(&all).contains("   0B / 0B             0.00%     0B / 0B   0B / 0B     0\n"),
        "{}",
        stdout(&all)
    );
    let too_many = same(&project, &["stats", "--no-stream", "web", "db"], &as_is);
    assert_eq!(too_many.status.code(), Some(1));
}

/// Starts `program` (berth or docker) with `args` in the project's directory, its stdout piped.
fn spawn(project: &TestProject, program: &str, args: &[&str]) -> Child {
    let mut command = Command::new(program);
    if program == "docker" {
        command.arg("compose");
    }
    command
        .current_dir(&project.dir)
        .args(["-p", &project.name])
        .args(args)
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts")
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The JSON events in `text` without their times, as sortable strings.
fn events_without_time(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut event: Value = serde_json::from_str(line).expect("a JSON event");
            event.as_object_mut().expect("object").remove("time");
            event.to_string()
        })
        .collect()
}

#[test]
fn inspect_events_follow_containers_started_while_running() {
    let project = up("inspect-events", PROJECT);
    project.compose_ok(&["stop", "-t", "0", "db"]);
    let ours = spawn(&project, berth_binary(), &["events", "--json"]);
    let text = spawn(&project, berth_binary(), &["events", "db"]);
    let theirs = spawn(&project, "docker", &["events", "--json"]);
    // Subscribed before anything happens.
    std::thread::sleep(Duration::from_millis(1500));
    project.compose_ok(&["start", "db"]);
    project.compose_ok(&["kill", "db"]);
    std::thread::sleep(Duration::from_millis(1500));
    for child in [&ours, &text, &theirs] {
        interrupt(child);
    }
    let ours = ours.wait_with_output().expect("berth ends");
    let text = text.wait_with_output().expect("berth ends");
    let theirs = theirs.wait_with_output().expect("compose ends");
    // Ctrl-C ends both as Compose ends: status 130 and an empty line on stderr.
    assert_eq!(ours.status.code(), Some(130), "{}", stderr(&ours));
    assert_eq!(theirs.status.code(), Some(130));
    assert_eq!(stderr(&ours), stderr(&theirs));
    let events = events_without_time(&stdout(&ours));
    assert!(
        events
            .iter()
            .any(|event| event.contains(r#""action":"start""#)
                && event.contains(r#""service":"db""#)),
        "{events:?}"
    );
    assert_eq!(events, events_without_time(&stdout(&theirs)));
    // Text lines: Compose's layout, each followed by an empty line.
    let line = regex::Regex::new(&format!(
        r"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{6}} container (start|kill|die) [0-9a-f]{{64}} \(.*name={}-db-1.*\)$",
        project.name
    ))
    .unwrap();
    let text = stdout(&text);
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(lines.len() >= 6, "{text}");
    for pair in lines.chunks(2).filter(|pair| pair.len() == 2) {
        assert!(line.is_match(pair[0]), "{:?}", pair[0]);
        assert_eq!(pair[1], "");
    }
}

const WAITING: &str = r#"
services:
  a:
    image: ${IMAGE}
    command: sh -c "sleep 4; exit 3"
  b:
    image: ${IMAGE}
    command: sh -c "sleep 6; exit 5"
  c:
    image: ${IMAGE}
    command: sleep 3600
"#;

#[test]
fn inspect_wait_returns_the_exit_code_and_can_take_the_project_down() {
    let project = up("inspect-wait", WAITING);
    let both = project.berth(&["wait", "a", "b"]);
    // Every named container is waited for; the last to stop gives the status.
    assert_eq!(both.status.code(), Some(5), "{}", stderr(&both));
    let printed = stdout(&both);
    let line =
        regex::Regex::new(r#"^container "[0-9a-f]{64}" exited with status code (3|5)$"#).unwrap();
    assert_eq!(printed.lines().count(), 2, "{printed}");
    assert!(printed.lines().all(|text| line.is_match(text)), "{printed}");
    assert!(printed.lines().last().unwrap_or_default().ends_with(" 5"));
    // Nothing running to wait for, an unknown service, no service: Compose's errors.
    same(&project, &["wait", "a"], &as_is);
    same(&project, &["wait", "nosuch"], &as_is);
    assert_eq!(
        berth_message(&project.berth(&["wait", "a"])),
        format!("no containers for project \"{}\"\n", project.name)
    );
    let none = project.berth(&["wait"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(stderr(&none).contains("requires at least 1 argument"));

    let waiting = spawn(&project, berth_binary(), &["wait", "c", "--down-project"]);
    std::thread::sleep(Duration::from_millis(1000));
    project.compose_ok(&["kill", "c"]);
    let waited = waiting.wait_with_output().expect("berth ends");
    assert_eq!(waited.status.code(), Some(137), "{}", stderr(&waited));
    assert!(stdout(&waited).ends_with("exited with status code 137\n"));
    assert!(
        eventually(Duration::from_secs(10), || project.containers().is_empty()
            && project.networks().is_empty()),
        "the project is still there: {}",
        stderr(&waited)
    );
}

#[test]
fn inspect_stats_live_redraws_and_follows_started_containers() {
    let project = up("inspect-live", PROJECT);
    project.compose_ok(&["stop", "-t", "0", "db"]);
    let ours = spawn(&project, berth_binary(), &["stats"]);
    let theirs = spawn(&project, "docker", &["stats"]);
    std::thread::sleep(Duration::from_millis(2000));
    project.compose_ok(&["start", "db"]);
    std::thread::sleep(Duration::from_millis(3000));
    interrupt(&ours);
    interrupt(&theirs);
    let ours = ours.wait_with_output().expect("berth ends");
    let theirs = theirs.wait_with_output().expect("compose ends");
    assert_eq!(ours.status.code(), Some(130), "{}", stderr(&ours));
    assert_eq!(theirs.status.code(), Some(130));
    assert_eq!(stderr(&ours), stderr(&theirs));
    // Frames as the Docker CLI draws them: home, the table, the table again with erase-line
    // codes, erase-below; the last after Ctrl-C with blank figures.
    let frames = |output: &Output| -> Vec<String> {
        stdout(output)
            .split("\u{1b}[J")
            .filter(|frame| !frame.is_empty())
            .map(str::to_owned)
            .collect()
    };
    for (who, frames) in [("berth", frames(&ours)), ("compose", frames(&theirs))] {
        assert!(frames.len() >= 4, "{who}: {frames:?}");
        for frame in &frames {
            assert!(
                frame.starts_with("\u{1b}[HCONTAINER ID   NAME "),
                "{who}: {frame:?}"
            );
            assert!(frame.ends_with("\n \u{1b}[K\n"), "{who}: {frame:?}");
        }
        let db = format!("{}-db-1 ", project.name);
        assert!(
            !frames[0].contains(&db),
            "{who}: db was stopped: {:?}",
            frames[0]
        );
        assert!(
            frames[frames.len() - 2].contains(&db),
            "{who}: db started meanwhile: {:?}",
            frames[frames.len() - 2]
        );
    }
}
