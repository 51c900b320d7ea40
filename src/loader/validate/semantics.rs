//! Semantic checks that the schema cannot express, run on the merged tree once defaults are set
//! (compose-go `validation/`): external volumes without driver settings, secrets and configs with
//! exactly one source, port `host_ip` addresses, GPU requests and watch paths.
//!
//! compose-go walks the whole tree and applies a checker wherever the path matches one of its
//! patterns (`services.*.ports.*`, …), stopping at the first error in Go map order. berth walks
//! in source order. Paths in these messages write list items as `[]`, as compose-go's do.

use std::net::IpAddr;

use super::{dotted_with_list_marker, go_quote};
use crate::loader::tree::{Map, Segment, TreePath, Value};

/// A semantic error, with Compose's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// An external volume also sets something only Compose-managed volumes may set.
    #[error(
        "{}: conflicting parameters \"external\" and {} specified",
        dotted_with_list_marker(path),
        go_quote(key)
    )]
    ExternalConflict {
        /// The volume (`volumes.v`).
        path: TreePath,
        /// The first conflicting key.
        key: String,
    },
    /// A top-level volume that is neither null nor a mapping (the schema normally rejects it).
    #[error("expected volume, got {value}")]
    NotAVolume {
        /// The volume.
        path: TreePath,
        /// The value, as text.
        value: String,
    },
    /// A secret or config names more than one source.
    #[error(
        "{}: {} attributes are mutually exclusive",
        dotted_with_list_marker(path),
        sources.join("|")
    )]
    SourcesExclusive {
        /// The secret or config.
        path: TreePath,
        /// The possible sources (`file`, `environment`, and `content` for configs).
        sources: Vec<&'static str>,
    },
    /// A secret or config names no source and is neither external nor driver-provided.
    #[error("{}: one of {} must be set", dotted_with_list_marker(path), sources.join("|"))]
    SourceMissing {
        /// The secret or config.
        path: TreePath,
        /// The possible sources.
        sources: Vec<&'static str>,
    },
    /// A port's `host_ip` is not an IP address.
    #[error("{}: invalid ip address: {address}", dotted_with_list_marker(path))]
    InvalidHostIp {
        /// The port entry (`services.a.ports.[]`).
        path: TreePath,
        /// The text given.
        address: String,
    },
    /// A watch rule's `path` is empty.
    #[error("{}: value can't be blank", dotted_with_list_marker(path))]
    BlankWatchPath {
        /// The path node (`services.a.develop.watch.[].path`).
        path: TreePath,
    },
    /// A device request sets both `count` and `device_ids`.
    #[error(
        "{}: \"count\" and \"device_ids\" attributes are exclusive",
        dotted_with_list_marker(path)
    )]
    CountWithDeviceIds {
        /// The device request.
        path: TreePath,
    },
}

impl ValidationError {
    /// The path of the offending node.
    #[must_use]
    pub fn path(&self) -> &TreePath {
        match self {
            Self::ExternalConflict { path, .. }
            | Self::NotAVolume { path, .. }
            | Self::SourcesExclusive { path, .. }
            | Self::SourceMissing { path, .. }
            | Self::InvalidHostIp { path, .. }
            | Self::BlankWatchPath { path }
            | Self::CountWithDeviceIds { path } => path,
        }
    }
}

/// Runs compose-go's semantic checks on the merged tree.
///
/// # Errors
///
/// The first problem found, as [`ValidationError`].
pub fn validate_semantics(dict: &Value) -> Result<(), ValidationError> {
    check(dict, &mut TreePath::root())
}

/// What to check at a path, chosen by the pattern the path matches.
#[derive(Clone, Copy)]
enum Checker {
    Volume,
    Config,
    Secret,
    Port,
    WatchPath,
    DeviceRequest,
}

/// compose-go's pattern table; `*` matches any key or list item.
const CHECKS: &[(&[&str], Checker)] = &[
    (&["volumes", "*"], Checker::Volume),
    (&["configs", "*"], Checker::Config),
    (&["secrets", "*"], Checker::Secret),
    (&["services", "*", "ports", "*"], Checker::Port),
    (
        &["services", "*", "develop", "watch", "*", "path"],
        Checker::WatchPath,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "resources",
            "reservations",
            "devices",
            "*",
        ],
        Checker::DeviceRequest,
    ),
    (&["services", "*", "gpus", "*"], Checker::DeviceRequest),
];

/// Walks `value` at `path` (restored on return), skipping subtrees no pattern can reach.
fn check(value: &Value, path: &mut TreePath) -> Result<(), ValidationError> {
    if let Some(checker) = checker_for(path) {
        return apply(checker, value, path);
    }
    if !may_match_below(path) {
        return Ok(());
    }
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                path.0.push(Segment::Key(key.clone()));
                let checked = check(child, path);
                path.0.pop();
                checked?;
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.0.push(Segment::Index(index));
                let checked = check(item, path);
                path.0.pop();
                checked?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether `part` of a pattern matches `segment`.
fn part_matches(part: &str, segment: &Segment) -> bool {
    match segment {
        _ if part == "*" => true,
        Segment::Key(key) => key == part,
        Segment::Index(_) => false,
    }
}

fn checker_for(path: &TreePath) -> Option<Checker> {
    CHECKS.iter().find_map(|(pattern, checker)| {
        let matches = pattern.len() == path.0.len()
            && pattern
                .iter()
                .zip(&path.0)
                .all(|(part, segment)| part_matches(part, segment));
        matches.then_some(*checker)
    })
}

/// Whether some pattern is longer than `path` and starts with it: otherwise nothing under
/// `path` is checked.
fn may_match_below(path: &TreePath) -> bool {
    CHECKS.iter().any(|(pattern, _)| {
        pattern.len() > path.0.len()
            && pattern
                .iter()
                .zip(&path.0)
                .all(|(part, segment)| part_matches(part, segment))
    })
}

fn apply(checker: Checker, value: &Value, path: &TreePath) -> Result<(), ValidationError> {
    match checker {
        Checker::Volume => check_volume(value, path),
        Checker::Config => check_sources(value, path, &["file", "environment", "content"]),
        Checker::Secret => check_sources(value, path, &["file", "environment"]),
        Checker::Port => check_host_ip(value, path),
        Checker::WatchPath => match value {
            Value::String(text) if text.is_empty() => {
                Err(ValidationError::BlankWatchPath { path: path.clone() })
            }
            _ => Ok(()),
        },
        Checker::DeviceRequest => match value {
            Value::Object(request)
                if request.contains_key("count") && request.contains_key("device_ids") =>
            {
                Err(ValidationError::CountWithDeviceIds { path: path.clone() })
            }
            _ => Ok(()),
        },
    }
}

/// An external volume may only carry its name and extensions.
fn check_volume(value: &Value, path: &TreePath) -> Result<(), ValidationError> {
    let volume = match value {
        Value::Null => return Ok(()),
        Value::Object(volume) => volume,
        Value::String(text) => {
            return Err(ValidationError::NotAVolume {
                path: path.clone(),
                value: text.clone(),
            });
        }
        other => {
            return Err(ValidationError::NotAVolume {
                path: path.clone(),
                value: other.to_string(),
            });
        }
    };
    if volume.get("external") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    let conflicting = volume
        .keys()
        .find(|key| !matches!(key.as_str(), "name" | "external") && !key.starts_with("x-"));
    match conflicting {
        Some(key) => Err(ValidationError::ExternalConflict {
            path: path.clone(),
            key: key.clone(),
        }),
        None => Ok(()),
    }
}

/// Secrets and configs take exactly one source, unless a driver provides them or they are
/// external.
fn check_sources(
    value: &Value,
    path: &TreePath,
    sources: &[&'static str],
) -> Result<(), ValidationError> {
    let Value::Object(object) = value else {
        return Ok(());
    };
    let count = sources
        .iter()
        .filter(|source| object.contains_key(**source))
        .count();
    if count > 1 {
        return Err(ValidationError::SourcesExclusive {
            path: path.clone(),
            sources: sources.to_vec(),
        });
    }
    if count == 0 && !object.contains_key("driver") && !object.contains_key("external") {
        return Err(ValidationError::SourceMissing {
            path: path.clone(),
            sources: sources.to_vec(),
        });
    }
    Ok(())
}

/// A long-syntax port's `host_ip` must parse as Go's `net.ParseIP` accepts.
fn check_host_ip(value: &Value, path: &TreePath) -> Result<(), ValidationError> {
    let Some(Value::String(address)) = value.as_object().and_then(|port: &Map| port.get("host_ip"))
    else {
        return Ok(());
    };
    if address.parse::<IpAddr>().is_ok() {
        Ok(())
    } else {
        Err(ValidationError::InvalidHostIp {
            path: path.clone(),
            address: address.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(tree: &Value) -> Option<String> {
        validate_semantics(tree)
            .err()
            .map(|error| error.to_string())
    }

    fn service(body: Value) -> Value {
        json!({"services": {"a": body}})
    }

    // Each expected message below was printed by `docker compose config` v2.40.3 for the same
    // input written as YAML (recorded in /tmp/validate/c during development).

    #[test]
    fn external_volume_with_driver_conflicts() {
        let tree = json!({"services": {}, "volumes": {"v": {"external": true, "driver": "local"}}});
        assert_eq!(
            message(&tree).as_deref(),
            Some(r#"volumes.v: conflicting parameters "external" and "driver" specified"#)
        );
    }

    #[test]
    fn external_volume_reports_the_first_conflicting_key() {
        let tree = json!({"volumes": {"v": {"external": true, "labels": ["a=b"], "x-foo": 1}}});
        assert_eq!(
            message(&tree).as_deref(),
            Some(r#"volumes.v: conflicting parameters "external" and "labels" specified"#)
        );
    }

    #[test]
    fn external_volume_may_have_a_name_and_extensions() {
        let tree = json!({"volumes": {"v": {"external": true, "name": "n", "x-a": 1}, "w": null}});
        assert_eq!(message(&tree), None);
    }

    #[test]
    fn external_network_with_driver_is_accepted() {
        // Only volumes are checked; Compose accepts this network.
        let tree = json!({"networks": {"n": {"external": true, "driver": "bridge"}}});
        assert_eq!(message(&tree), None);
    }

    #[test]
    fn secret_needs_exactly_one_source() {
        let none = json!({"secrets": {"s": {"name": "x"}}});
        assert_eq!(
            message(&none).as_deref(),
            Some("secrets.s: one of file|environment must be set")
        );
        let both = json!({"secrets": {"s": {"file": "x", "environment": "Y"}}});
        assert_eq!(
            message(&both).as_deref(),
            Some("secrets.s: file|environment attributes are mutually exclusive")
        );
        let driver = json!({"secrets": {"s": {"driver": "foo"}}});
        assert_eq!(message(&driver), None);
    }

    #[test]
    fn config_may_also_use_content() {
        let two = json!({"configs": {"c": {"file": "x", "content": "y"}}});
        assert_eq!(
            message(&two).as_deref(),
            Some("configs.c: file|environment|content attributes are mutually exclusive")
        );
        let content = json!({"configs": {"c": {"content": "y"}, "d": {"external": true}}});
        assert_eq!(message(&content), None);
        let none = json!({"configs": {"c": {"name": "y"}}});
        assert_eq!(
            message(&none).as_deref(),
            Some("configs.c: one of file|environment|content must be set")
        );
    }

    #[test]
    fn port_host_ip_must_be_an_address() {
        let tree = service(json!({"image": "x", "ports": [
            {"target": 80, "host_ip": "::1"},
            {"target": 81, "host_ip": "nope"},
        ]}));
        let error = validate_semantics(&tree).expect_err("invalid host_ip");
        assert_eq!(
            error.to_string(),
            "services.a.ports.[]: invalid ip address: nope"
        );
        assert_eq!(
            error.path(),
            &TreePath::keys(&["services", "a", "ports"]).index(1)
        );
    }

    #[test]
    fn watch_path_must_not_be_blank() {
        let tree = service(json!({"image": "x", "develop": {"watch": [
            {"path": "", "action": "rebuild"},
        ]}}));
        assert_eq!(
            message(&tree).as_deref(),
            Some("services.a.develop.watch.[].path: value can't be blank")
        );
    }

    #[test]
    fn device_request_cannot_set_count_and_ids() {
        let gpus = service(json!({"image": "x", "gpus": [{"count": 1, "device_ids": ["0"]}]}));
        assert_eq!(
            message(&gpus).as_deref(),
            Some(r#"services.a.gpus.[]: "count" and "device_ids" attributes are exclusive"#)
        );
        let deploy = service(
            json!({"image": "x", "deploy": {"resources": {"reservations": {
                "devices": [{"capabilities": ["gpu"], "count": 1, "device_ids": ["0"]}],
            }}}}),
        );
        assert_eq!(
            message(&deploy).as_deref(),
            Some(
                r#"services.a.deploy.resources.reservations.devices.[]: "count" and "device_ids" attributes are exclusive"#
            )
        );
    }

    #[test]
    fn valid_tree_passes() {
        let tree = json!({
            "services": {"a": {
                "image": "x",
                "ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "8080"}],
                "gpus": [{"count": "all"}],
            }},
            "secrets": {"s": {"file": "./s.txt"}, "e": {"external": true}},
            "configs": {"c": {"environment": "C"}},
            "volumes": {"v": {"driver": "local"}},
        });
        assert_eq!(message(&tree), None);
    }
}
