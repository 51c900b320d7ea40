//! Unicity: after each merge Compose drops later duplicates from the lists it keys
//! (compose-go `override/uncity.go`).
//!
//! A later entry with the same key replaces the earlier one **in the earlier one's position**, so
//! `[FOO=1, BAR=2, FOO=3]` becomes `[FOO=3, BAR=2]`. Keys are computed on the raw, not yet
//! canonical entries: a volume's target as written (`/data/` and `/data` differ), a port's text.

use std::collections::HashMap;

use super::MergeError;
use super::go_format::{Verb, sprint, type_name};
use crate::loader::normalize::volume_target;
use crate::loader::tree::{Map, TreePath, Value};

/// How the entries of one keyed list are identified.
#[derive(Clone, Copy, Debug)]
enum Indexer {
    /// `KEY=value` strings, keyed by the text before the first `=`.
    KeyValue,
    /// Service volumes, keyed by mount target.
    Volume,
    /// Devices, keyed by container path.
    Device,
    /// Secrets and configs, keyed by target, else `<default>/<source>`.
    Mount(&'static str),
    /// `expose`, keyed by the value.
    Expose,
    /// Ports, keyed by `host_ip:published:target/protocol` or by the short syntax text.
    Port,
    /// `env_file`, keyed by path.
    EnvFile,
}

/// compose-go's `unique` table. `services.*.devices` appears twice there; the later
/// `deviceMappingIndexer` registration wins, as here.
const UNIQUE: &[(&[&str], Indexer)] = &[
    (&["networks", "*", "labels"], Indexer::KeyValue),
    (&["networks", "*", "ipam", "options"], Indexer::KeyValue),
    (&["services", "*", "annotations"], Indexer::KeyValue),
    (&["services", "*", "build", "args"], Indexer::KeyValue),
    (
        &["services", "*", "build", "additional_contexts"],
        Indexer::KeyValue,
    ),
    (&["services", "*", "build", "platform"], Indexer::KeyValue),
    (&["services", "*", "build", "tags"], Indexer::KeyValue),
    (&["services", "*", "build", "labels"], Indexer::KeyValue),
    (&["services", "*", "cap_add"], Indexer::KeyValue),
    (&["services", "*", "cap_drop"], Indexer::KeyValue),
    (&["services", "*", "configs"], Indexer::Mount("")),
    (&["services", "*", "deploy", "labels"], Indexer::KeyValue),
    (&["services", "*", "dns"], Indexer::KeyValue),
    (&["services", "*", "dns_opt"], Indexer::KeyValue),
    (&["services", "*", "dns_search"], Indexer::KeyValue),
    (&["services", "*", "environment"], Indexer::KeyValue),
    (&["services", "*", "env_file"], Indexer::EnvFile),
    (&["services", "*", "expose"], Indexer::Expose),
    (&["services", "*", "labels"], Indexer::KeyValue),
    (&["services", "*", "links"], Indexer::KeyValue),
    (
        &["services", "*", "networks", "*", "aliases"],
        Indexer::KeyValue,
    ),
    (
        &["services", "*", "networks", "*", "link_local_ips"],
        Indexer::KeyValue,
    ),
    (&["services", "*", "ports"], Indexer::Port),
    (&["services", "*", "profiles"], Indexer::KeyValue),
    (
        &["services", "*", "secrets"],
        Indexer::Mount("/run/secrets"),
    ),
    (&["services", "*", "sysctls"], Indexer::KeyValue),
    (&["services", "*", "tmpfs"], Indexer::KeyValue),
    (&["services", "*", "volumes"], Indexer::Volume),
    (&["services", "*", "devices"], Indexer::Device),
];

/// Walks mappings (never into list items, as compose-go) and deduplicates every keyed list.
/// Mappings no pattern reaches into are not walked.
pub(super) fn enforce<'a>(value: &'a mut Value, keys: &mut Vec<&'a str>) -> Result<(), MergeError> {
    match value {
        Value::Object(map) => {
            if !UNIQUE
                .iter()
                .any(|(pattern, _)| pattern.len() > keys.len() && prefix_matches(keys, pattern))
            {
                return Ok(());
            }
            for (key, child) in map.iter_mut() {
                keys.push(key);
                let result = enforce(child, keys);
                keys.pop();
                result?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(indexer) = UNIQUE
                .iter()
                .find(|(pattern, _)| pattern.len() == keys.len() && prefix_matches(keys, pattern))
                .map(|(_, indexer)| *indexer)
            else {
                return Ok(());
            };
            let path = TreePath::keys(keys);
            deduplicate(items, indexer, &path)
        }
        _ => Ok(()),
    }
}

/// Whether `keys` match the start of `pattern`, where `*` matches any one key.
fn prefix_matches(keys: &[&str], pattern: &[&str]) -> bool {
    keys.iter()
        .zip(pattern)
        .all(|(key, part)| *part == "*" || key == part)
}

/// Keeps the first position of each key, holding the last entry written with that key.
fn deduplicate(
    items: &mut Vec<Value>,
    indexer: Indexer,
    path: &TreePath,
) -> Result<(), MergeError> {
    let mut unique: Vec<Value> = Vec::with_capacity(items.len());
    let mut positions: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for (index, entry) in std::mem::take(items).into_iter().enumerate() {
        let key = index_entry(indexer, &entry, &path.index(index))?;
        match positions.get(&key) {
            Some(&position) => unique[position] = entry,
            None => {
                positions.insert(key, unique.len());
                unique.push(entry);
            }
        }
    }
    *items = unique;
    Ok(())
}

fn index_entry(indexer: Indexer, entry: &Value, path: &TreePath) -> Result<String, MergeError> {
    match indexer {
        Indexer::KeyValue => match entry {
            Value::String(text) => Ok(text
                .split_once('=')
                .map_or(text.as_str(), |(key, _)| key)
                .to_owned()),
            other => Err(MergeError::UnexpectedType {
                path: path.clone(),
                type_name: type_name(other),
            }),
        },
        Indexer::Volume => match entry {
            Value::Object(map) => match map.get("target") {
                Some(Value::String(target)) => Ok(target.clone()),
                _ => Err(MergeError::MissingVolumeTarget { path: path.clone() }),
            },
            Value::String(spec) => {
                volume_target(spec).map_err(|source| MergeError::InvalidVolumeSpec {
                    path: path.clone(),
                    source,
                })
            }
            _ => Ok(String::new()),
        },
        Indexer::Device => match entry {
            Value::Object(map) => match map.get("target") {
                Some(Value::String(target)) => Ok(target.clone()),
                _ => Err(MergeError::MissingDeviceTarget { path: path.clone() }),
            },
            Value::String(spec) => {
                let mut sections = spec.split(':');
                let first = sections.next().unwrap_or_default();
                Ok(sections.next().unwrap_or(first).to_owned())
            }
            _ => Ok(String::new()),
        },
        Indexer::Mount(default_directory) => match entry {
            Value::String(source) => Ok(format!("{default_directory}/{source}")),
            Value::Object(map) => Ok(mount_key(map, default_directory)),
            other => Err(MergeError::UnsupportedValue {
                path: path.clone(),
                value: sprint(other, Verb::Str),
            }),
        },
        Indexer::Expose => match entry {
            Value::String(text) => Ok(text.clone()),
            Value::Number(number) if !number.is_f64() => Ok(number.to_string()),
            other => Err(MergeError::UnsupportedValue {
                path: path.clone(),
                value: sprint(other, Verb::Str),
            }),
        },
        Indexer::Port => match entry {
            Value::Number(number) if !number.is_f64() => Ok(number.to_string()),
            Value::Object(map) => port_key(map, path),
            Value::String(text) => Ok(text.clone()),
            _ => Ok(String::new()),
        },
        Indexer::EnvFile => match entry {
            Value::String(file) => Ok(file.clone()),
            Value::Object(map) => match map.get("path") {
                // compose-go asserts a string here; any other value is keyed by its text.
                Some(file) => Ok(sprint(file, Verb::Value)),
                None => Err(MergeError::MissingEnvFilePath { path: path.clone() }),
            },
            _ => Ok(String::new()),
        },
    }
}

fn mount_key(map: &Map, default_directory: &str) -> String {
    match map.get("target") {
        // compose-go asserts a string target; any other value is keyed by its text.
        Some(target) => sprint(target, Verb::Value),
        None => {
            let source = map.get("source").unwrap_or(&Value::Null);
            format!("{default_directory}/{}", sprint(source, Verb::Str))
        }
    }
}

/// `fmt.Sprintf("%s:%s:%d/%s", host_ip, published, target, protocol)`, defaults included; the
/// text is what makes a long entry equal to a short one written in exactly that form.
fn port_key(map: &Map, path: &TreePath) -> Result<String, MergeError> {
    let Some(target) = map.get("target") else {
        return Err(MergeError::MissingPortTarget { path: path.clone() });
    };
    let default_host = Value::String("0.0.0.0".to_owned());
    let default_protocol = Value::String("tcp".to_owned());
    let host = map.get("host_ip").unwrap_or(&default_host);
    let published = map.get("published").unwrap_or(&Value::Null);
    let protocol = map.get("protocol").unwrap_or(&default_protocol);
    Ok(format!(
        "{}:{}:{}/{}",
        sprint(host, Verb::Str),
        sprint(published, Verb::Str),
        sprint(target, Verb::Decimal),
        sprint(protocol, Verb::Str)
    ))
}
