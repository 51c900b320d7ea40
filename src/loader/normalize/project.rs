//! The last rewrite before binding (compose-go's `loader/normalize.go`).
//!
//! Normalisation makes implicit things explicit so that the engine side never has to guess: the
//! `default` network every service joins unless it says otherwise, the `depends_on` entries that
//! `links`, `service:` namespaces and `volumes_from` imply, build defaults, and the engine-side
//! names of networks, volumes, secrets and configs (`<project>_<key>`).

use crate::loader::tree::{Map, Value};

use super::NormalizeError;
use super::paths::clean_slash_path;

/// Normalises the merged, canonical project tree; `dict["name"]` must hold the project name.
///
/// `environment` resolves bare build args (dropped when unset) and null `environment` values
/// (kept null when unset).
pub fn normalize(
    mut dict: Value,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, NormalizeError> {
    let Some(root) = dict.as_object_mut() else {
        return Ok(dict);
    };
    normalize_networks(root);
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for service in services.values_mut() {
            if let Value::Object(service) = service {
                normalize_service(service, environment);
            }
        }
    }
    set_name_from_key(root);
    Ok(dict)
}

/// Services that choose no network join `default`, which is then declared if it is not.
fn normalize_networks(root: &mut Map) {
    let mut uses_default = false;
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for service in services.values_mut() {
            let Value::Object(service) = service else {
                continue;
            };
            if service.contains_key("provider") || service.contains_key("network_mode") {
                continue;
            }
            match service.get("networks") {
                Some(Value::Object(networks)) if !networks.is_empty() => {
                    uses_default |= networks.contains_key("default");
                }
                _ => {
                    let mut networks = Map::new();
                    networks.insert("default".to_owned(), Value::Null);
                    service.insert("networks".to_owned(), Value::Object(networks));
                    uses_default = true;
                }
            }
        }
    }
    let declared = matches!(root.get("networks"), Some(Value::Object(networks)) if networks.contains_key("default"));
    if uses_default && !declared {
        match root.get_mut("networks") {
            Some(Value::Object(networks)) => {
                networks.insert("default".to_owned(), Value::Null);
            }
            _ => {
                let mut networks = Map::new();
                networks.insert("default".to_owned(), Value::Null);
                root.insert("networks".to_owned(), Value::Object(networks));
            }
        }
    }
}

fn normalize_service(service: &mut Map, environment: &dyn Fn(&str) -> Option<String>) {
    if service.get("pull_policy").and_then(Value::as_str) == Some("if_not_present") {
        service.insert("pull_policy".to_owned(), Value::from("missing"));
    }
    if let Some(Value::Object(build)) = service.get_mut("build") {
        if build.get("context").is_none_or(Value::is_null) {
            build.insert("context".to_owned(), Value::from("."));
        }
        if build.get("dockerfile").is_none_or(Value::is_null)
            && build.get("dockerfile_inline").is_none_or(Value::is_null)
        {
            build.insert("dockerfile".to_owned(), Value::from("Dockerfile"));
        }
        if let Some(args) = build.get_mut("args") {
            resolve(args, environment, false);
        }
    }
    if let Some(variables) = service.get_mut("environment") {
        resolve(variables, environment, true);
    }

    let mut implied: Vec<(String, bool)> = Vec::new();
    if let Some(Value::Array(links)) = service.get("links") {
        for link in links.iter().filter_map(Value::as_str) {
            // `service:alias` names `service`; any other number of colons is kept whole.
            let target = match link.split(':').collect::<Vec<_>>().as_slice() {
                [service, _alias] => *service,
                _ => link,
            };
            implied.push((target.to_owned(), true));
        }
    }
    for namespace in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        if let Some(shared) = service
            .get(namespace)
            .and_then(Value::as_str)
            .and_then(|mode| mode.strip_prefix("service:"))
        {
            implied.push((shared.to_owned(), true));
        }
    }
    if let Some(Value::Array(volumes)) = service.get_mut("volumes") {
        for volume in volumes.iter_mut() {
            if let Some(Value::String(target)) = volume.get_mut("target") {
                *target = clean_slash_path(target);
            }
        }
    }
    if let Some(Value::Array(volumes_from)) = service.get("volumes_from") {
        for source in volumes_from.iter().filter_map(Value::as_str) {
            if !source.starts_with("container:") {
                let name = source.split(':').next().unwrap_or_default();
                implied.push((name.to_owned(), false));
            }
        }
    }
    if implied.is_empty() {
        return;
    }
    let depends_on = service
        .entry("depends_on")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(depends_on) = depends_on {
        for (name, restart) in implied {
            depends_on.entry(name).or_insert_with(|| {
                let mut dependency = Map::new();
                dependency.insert("condition".to_owned(), Value::from("service_started"));
                dependency.insert("restart".to_owned(), Value::Bool(restart));
                dependency.insert("required".to_owned(), Value::Bool(true));
                Value::Object(dependency)
            });
        }
    }
}

/// Fills bare entries (`KEY` in a list, `KEY: null` in a map) from the environment. Unset ones
/// are kept when `keep_unset`, dropped otherwise; non-string list entries are dropped.
fn resolve(value: &mut Value, environment: &dyn Fn(&str) -> Option<String>, keep_unset: bool) {
    match value {
        Value::Array(entries) => {
            let resolved = std::mem::take(entries)
                .into_iter()
                .filter_map(|entry| match entry {
                    Value::String(text) if text.contains('=') => Some(Value::String(text)),
                    Value::String(name) => match environment(&name) {
                        Some(found) => Some(Value::String(format!("{name}={found}"))),
                        None => keep_unset.then_some(Value::String(name)),
                    },
                    _ => None,
                })
                .collect();
            *entries = resolved;
        }
        Value::Object(entries) => {
            entries.retain(|name, entry| {
                if !entry.is_null() {
                    return true;
                }
                match environment(name) {
                    Some(found) => {
                        *entry = Value::String(found);
                        true
                    }
                    None => keep_unset,
                }
            });
        }
        _ => {}
    }
}

/// Unnamed networks, volumes, configs and secrets get `<project>_<key>`, or `<key>` when external.
fn set_name_from_key(root: &mut Map) {
    let project = match root.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => other.to_string(),
        None => "%!s(<nil>)".to_owned(),
    };
    for kind in ["networks", "volumes", "configs", "secrets"] {
        let Some(Value::Object(resources)) = root.get_mut(kind) else {
            continue;
        };
        for (key, resource) in resources.iter_mut() {
            if resource.is_null() {
                *resource = Value::Object(Map::new());
            }
            let Value::Object(resource) = resource else {
                continue;
            };
            if resource.get("name").is_none_or(Value::is_null) {
                let external = resource.get("external").is_some_and(is_true);
                let name = if external {
                    key.clone()
                } else {
                    format!("{project}_{key}")
                };
                resource.insert("name".to_owned(), Value::String(name));
            }
        }
    }
}

/// Go's `strconv.ParseBool(fmt.Sprint(x))`.
fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::String(text) => matches!(text.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"),
        Value::Number(number) => number.as_i64() == Some(1),
        _ => false,
    }
}
