//! Spec conformance: the containers berth creates for a service are the ones Docker Compose
//! creates. One fixture (`tests/fixtures/spec`) using every attribute berth translates is created
//! by `docker compose create` under one project name and by `berth create` under another; the two
//! sets of containers are inspected and compared field by field, with the project names and the
//! daemon-assigned parts (IDs, dates, host names derived from IDs) taken out.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{TestProject, docker};

/// Copies the fixture into a project's directory.
fn fixture_into(project: &TestProject) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", source.display()))
        .arg(&project.dir)
        .status()
        .expect("cp runs");
    assert!(status.success());
}

fn inspect(name: &str) -> Value {
    let text = docker(&["inspect", name]);
    let mut list: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{name} exists"));
    list.remove(0)
}

/// The comparable part of a container, with `project` written as `PROJECT`.
fn comparable(container: &Value, project: &str) -> Value {
    let mut config = container["Config"].clone();
    let mut host = container["HostConfig"].clone();
    let mut env: Vec<Value> = config["Env"].as_array().cloned().unwrap_or_default();
    env.sort_by_key(ToString::to_string);
    config["Env"] = Value::Array(env);
    if let Some(labels) = config["Labels"].as_object_mut() {
        // The hash covers per-project values (ports, addresses); `up::` tests compare it on one
        // project.
        for key in [
            "com.docker.compose.config-hash",
            "com.docker.compose.project.working_dir",
            "com.docker.compose.project.config_files",
        ] {
            labels.remove(key);
        }
    }
    // Hostnames default to the container ID.
    if config["Hostname"]
        .as_str()
        .is_some_and(|h| container["Id"].as_str().is_some_and(|id| id.starts_with(h)))
    {
        config["Hostname"] = Value::Null;
    }
    // Compose fills these from Go maps, in random order.
    for key in ["Binds", "Mounts", "Links", "Ulimits", "ExtraHosts"] {
        if let Some(items) = host[key].as_array_mut() {
            items.sort_by_key(ToString::to_string);
        }
    }
    let mut mounts: Vec<Value> = container["Mounts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut mount| {
            // Anonymous volumes get random names.
            if mount["Name"].as_str().is_some_and(|name| name.len() == 64) {
                mount["Name"] = Value::Null;
                mount["Source"] = Value::Null;
            }
            mount
        })
        .collect();
    mounts.sort_by_key(|mount| mount["Destination"].to_string());
    let networks: Value = container["NetworkSettings"]["Networks"]
        .as_object()
        .map(|networks| {
            networks
                .iter()
                .map(|(name, endpoint)| {
                    let id = container["Id"].as_str().unwrap_or_default();
                    let mut aliases: Vec<Value> = endpoint["Aliases"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|alias| alias.as_str().is_some_and(|alias| !id.starts_with(alias)))
                        .collect();
                    aliases.sort_by_key(ToString::to_string);
                    (
                        name.clone(),
                        serde_json::json!({
                            "Aliases": aliases,
                            "IPAMConfig": endpoint["IPAMConfig"],
                            "Links": endpoint["Links"],
                            "DriverOpts": endpoint["DriverOpts"],
                        }),
                    )
                })
                .collect::<serde_json::Map<String, Value>>()
                .into()
        })
        .unwrap_or(Value::Null);
    host["NetworkMode"] =
        Value::String(strip_ids(host["NetworkMode"].as_str().unwrap_or_default()));
    host["IpcMode"] = Value::String(strip_ids(host["IpcMode"].as_str().unwrap_or_default()));
    let text = serde_json::json!({
        "Config": config,
        "HostConfig": host,
        "Mounts": mounts,
        "Networks": networks,
    })
    .to_string()
    .replace(project, "PROJECT")
    .replace("10.213.250.", "10.213.X.")
    .replace("10.213.251.", "10.213.X.")
    .replace("\"1858", "\"1848");
    serde_json::from_str(&text).expect("still JSON")
}

/// `container:<64 hex>` → `container:ID`: Compose resolves `service:` to the container ID, berth
/// to its name; both name the same container.
fn strip_ids(mode: &str) -> String {
    match mode.strip_prefix("container:") {
        Some(_) => "container:REFERENCE".to_owned(),
        None => mode.to_owned(),
    }
}

fn cat(container: &str, path: &str) -> String {
    let output = Command::new("docker")
        .args(["cp", &format!("{container}:{path}"), "-"])
        .output()
        .expect("docker cp runs");
    let mut archive = tar_text(&output.stdout);
    archive.retain(|c| c != '\0');
    archive
}

/// The printable tail of a one-file tar stream (enough to compare small contents).
fn tar_text(bytes: &[u8]) -> String {
    bytes
        .get(512..)
        .map(|rest| {
            String::from_utf8_lossy(rest)
                .trim_end_matches('\0')
                .to_owned()
        })
        .unwrap_or_default()
}

fn differences(left: &Value, right: &Value, path: &str, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|key| !a.contains_key(*key))) {
                differences(
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    &format!("{path}.{key}"),
                    out,
                );
            }
        }
        _ if left != right => out.push(format!("{path}: compose {left} / berth {right}")),
        _ => {}
    }
}

#[test]
fn berth_creates_the_containers_compose_creates() {
    let compose = TestProject::new("spec-compose", "");
    let berth = TestProject::new("spec-berth", "");
    fixture_into(&compose);
    fixture_into(&berth);
    // Each project has its own subnet and host ports: two projects cannot share them.
    let env = [
        ("SECRET_FROM_ENV", "from-the-environment"),
        ("FROM_SHELL", "shell"),
        ("OCTET", "250"),
        ("P", "184"),
    ];
    let mut command = Command::new("docker");
    command
        .current_dir(&compose.dir)
        .args(["compose", "-p", &compose.name, "up", "-d"])
        .envs(env);
    let env = [
        ("SECRET_FROM_ENV", "from-the-environment"),
        ("FROM_SHELL", "shell"),
        ("OCTET", "251"),
        ("P", "185"),
    ];
    let output = command.output().expect("docker compose runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = berth.berth_env(&env, &["up", "-d"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for service in ["app", "side"] {
        let by_compose = comparable(
            &inspect(&format!("{}-{service}-1", compose.name)),
            &compose.name,
        );
        let by_berth = comparable(
            &inspect(&format!("{}-{service}-1", berth.name)),
            &berth.name,
        );
        let mut found = Vec::new();
        differences(&by_compose, &by_berth, service, &mut found);
        assert!(found.is_empty(), "{service} differs:\n{}", found.join("\n"));
    }
    for path in ["/run/secrets/envtoken", "/etc/inline.conf"] {
        let expected = cat(&format!("{}-app-1", compose.name), path);
        assert!(!expected.is_empty(), "compose injected {path}");
        assert_eq!(
            expected,
            cat(&format!("{}-app-1", berth.name), path),
            "{path}"
        );
    }
    let network_labels = |project: &TestProject, key: &str| {
        let value: Value = serde_json::from_str(&docker(&[
            "network",
            "inspect",
            "-f",
            "{{json .Labels}}",
            &format!("{}_{key}", project.name),
        ]))
        .expect("labels");
        let mut value = value;
        // The hash covers the network's name and subnet, which differ between the two
        // projects; it is compared on one project below.
        if let Some(labels) = value.as_object_mut() {
            labels.remove("com.docker.compose.config-hash");
        }
        value.to_string().replace(&project.name, "PROJECT")
    };
    for key in ["front", "back"] {
        assert_eq!(
            network_labels(&compose, key),
            network_labels(&berth, key),
            "network {key}"
        );
    }
    let volume_labels = |project: &TestProject| {
        let mut value: Value = serde_json::from_str(&docker(&[
            "volume",
            "inspect",
            "-f",
            "{{json .Labels}}",
            &format!("{}_data", project.name),
        ]))
        .expect("labels");
        if let Some(labels) = value.as_object_mut() {
            labels.remove("com.docker.compose.config-hash");
        }
        value.to_string().replace(&project.name, "PROJECT")
    };
    assert_eq!(volume_labels(&compose), volume_labels(&berth));

    // On one project, the network and volume hashes berth writes are Compose's.
    let hashes = |project: &TestProject| -> Vec<String> {
        let mut found = Vec::new();
        for key in ["front", "back"] {
            found.push(docker(&[
                "network",
                "inspect",
                "-f",
                "{{index .Labels \"com.docker.compose.config-hash\"}}",
                &format!("{}_{key}", project.name),
            ]));
        }
        found.push(docker(&[
            "volume",
            "inspect",
            "-f",
            "{{index .Labels \"com.docker.compose.config-hash\"}}",
            &format!("{}_data", project.name),
        ]));
        found
    };
    let by_compose = hashes(&compose);
    assert!(
        by_compose.iter().all(|hash| hash.trim().len() == 64),
        "{by_compose:?}"
    );
    compose.clean();
    let env = [
        ("SECRET_FROM_ENV", "from-the-environment"),
        ("FROM_SHELL", "shell"),
        ("OCTET", "250"),
        ("P", "184"),
    ];
    let output = compose.berth_env(&env, &["up", "-d"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(by_compose, hashes(&compose));
}
