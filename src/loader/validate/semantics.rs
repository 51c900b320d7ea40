//! Rules of the specification the schema cannot express, checked on the merged tree after
//! defaults (compose-go `validation/`): external resources with other attributes, secrets and
//! configs with no or several sources, port host IPs, GPU requests, blank watch paths.

use std::net::IpAddr;

use super::dotted_with_list_marker;
use crate::loader::tree::{Map, TreePath, Value};

/// A semantic rule is broken. The path is written as compose-go writes it (`[]` for items).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValidationError {
    /// An external resource sets something besides its name.
    #[error(
        "{}: conflicting parameters \"external\" and {key:?} specified",
        dotted_with_list_marker(path)
    )]
    ExternalConflict {
        /// The resource.
        path: TreePath,
        /// The other attribute.
        key: String,
    },
    /// A secret or config sets several sources.
    #[error(
        "{}: {keys} attributes are mutually exclusive",
        dotted_with_list_marker(path)
    )]
    SourcesExclusive {
        /// The resource.
        path: TreePath,
        /// The sources, `|`-joined.
        keys: String,
    },
    /// A secret or config sets no source.
    #[error("{}: one of {keys} must be set", dotted_with_list_marker(path))]
    SourceMissing {
        /// The resource.
        path: TreePath,
        /// The sources, `|`-joined.
        keys: String,
    },
    /// A port's `host_ip` is not an IP address.
    #[error("{}: invalid ip address: {address}", dotted_with_list_marker(path))]
    InvalidHostIp {
        /// The port.
        path: TreePath,
        /// The value.
        address: String,
    },
    /// A device request sets both `count` and `device_ids`.
    #[error(
        "{}: \"count\" and \"device_ids\" attributes are exclusive",
        dotted_with_list_marker(path)
    )]
    CountAndDeviceIds {
        /// The request.
        path: TreePath,
    },
    /// A watch rule's `path` is blank.
    #[error("{}: value can't be blank", dotted_with_list_marker(path))]
    BlankWatchPath {
        /// The rule's path attribute.
        path: TreePath,
    },
}

impl ValidationError {
    /// The node the rule is about.
    #[must_use]
    pub fn path(&self) -> &TreePath {
        match self {
            Self::ExternalConflict { path, .. }
            | Self::SourcesExclusive { path, .. }
            | Self::SourceMissing { path, .. }
            | Self::InvalidHostIp { path, .. }
            | Self::CountAndDeviceIds { path }
            | Self::BlankWatchPath { path } => path,
        }
    }
}

/// Checks the merged tree.
///
/// # Errors
/// The first broken rule, in tree order.
pub fn validate_semantics(dict: &Value) -> Result<(), ValidationError> {
    let root = TreePath::root();
    if let Some(Value::Object(volumes)) = dict.get("volumes") {
        for (key, volume) in volumes {
            if let Value::Object(volume) = volume {
                check_external(volume, &root.key("volumes").key(key))?;
            }
        }
    }
    for (kind, keys) in [
        ("configs", &["file", "environment", "content"][..]),
        ("secrets", &["file", "environment"][..]),
    ] {
        if let Some(Value::Object(resources)) = dict.get(kind) {
            for (key, resource) in resources {
                if let Value::Object(resource) = resource {
                    check_file_object(resource, &root.key(kind).key(key), keys)?;
                }
            }
        }
    }
    if let Some(Value::Object(services)) = dict.get("services") {
        for (name, service) in services {
            let path = root.key("services").key(name);
            check_service(service, &path)?;
        }
    }
    Ok(())
}

fn check_service(service: &Value, path: &TreePath) -> Result<(), ValidationError> {
    if let Some(Value::Array(ports)) = service.get("ports") {
        for (index, port) in ports.iter().enumerate() {
            if let Some(Value::String(address)) = port.get("host_ip")
                && address.parse::<IpAddr>().is_err()
            {
                return Err(ValidationError::InvalidHostIp {
                    path: path.key("ports").index(index),
                    address: address.clone(),
                });
            }
        }
    }
    if let Some(Value::Array(watch)) = service.get("develop").and_then(|d| d.get("watch")) {
        for (index, trigger) in watch.iter().enumerate() {
            if trigger.get("path").and_then(Value::as_str) == Some("") {
                return Err(ValidationError::BlankWatchPath {
                    path: path.key("develop").key("watch").index(index).key("path"),
                });
            }
        }
    }
    let devices = service
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"));
    let device_path = path
        .key("deploy")
        .key("resources")
        .key("reservations")
        .key("devices");
    for (requests, base) in [
        (devices, device_path),
        (service.get("gpus"), path.key("gpus")),
    ] {
        if let Some(Value::Array(requests)) = requests {
            for (index, request) in requests.iter().enumerate() {
                if request.get("count").is_some() && request.get("device_ids").is_some() {
                    return Err(ValidationError::CountAndDeviceIds {
                        path: base.index(index),
                    });
                }
            }
        }
    }
    Ok(())
}

fn check_external(resource: &Map, path: &TreePath) -> Result<(), ValidationError> {
    if resource.get("external") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    for key in resource.keys() {
        if key != "name" && key != "external" && !key.starts_with("x-") {
            return Err(ValidationError::ExternalConflict {
                path: path.clone(),
                key: key.clone(),
            });
        }
    }
    Ok(())
}

fn check_file_object(
    resource: &Map,
    path: &TreePath,
    keys: &[&str],
) -> Result<(), ValidationError> {
    let count = keys
        .iter()
        .filter(|key| resource.contains_key(**key))
        .count();
    if count > 1 {
        return Err(ValidationError::SourcesExclusive {
            path: path.clone(),
            keys: keys.join("|"),
        });
    }
    if count == 0 && !resource.contains_key("driver") && !resource.contains_key("external") {
        return Err(ValidationError::SourceMissing {
            path: path.clone(),
            keys: keys.join("|"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_volumes_may_only_set_a_name() {
        let error =
            validate_semantics(&json!({"volumes": {"v": {"external": true, "driver": "foo"}}}))
                .expect_err("driver with external");
        assert_eq!(
            error.to_string(),
            "volumes.v: conflicting parameters \"external\" and \"driver\" specified"
        );
        assert!(
            validate_semantics(&json!({"volumes": {"v": {"external": true, "name": "n"}}})).is_ok()
        );
    }

    #[test]
    fn secrets_need_exactly_one_source() {
        let error = validate_semantics(&json!({"secrets": {"s": {}}})).expect_err("no source");
        assert_eq!(
            error.to_string(),
            "secrets.s: one of file|environment must be set"
        );
        let error = validate_semantics(&json!({"configs": {"c": {"file": "a", "content": "b"}}}))
            .expect_err("two sources");
        assert_eq!(
            error.to_string(),
            "configs.c: file|environment|content attributes are mutually exclusive"
        );
    }

    #[test]
    fn host_ips_must_be_addresses() {
        let tree = json!({"services": {"a": {"ports": [{"target": 80, "host_ip": "nope"}]}}});
        let error = validate_semantics(&tree).expect_err("bad ip");
        assert_eq!(
            error.to_string(),
            "services.a.ports.[]: invalid ip address: nope"
        );
    }
}
