//! Compose's multi-file merge: how an override file, or an extending service, is laid onto what
//! came before (compose-go v2.9.1 `override/merge.go`, `override/extends.go`), how duplicates are
//! then dropped from keyed lists (`override/uncity.go`), and how the paths that `!reset` and
//! `!override` recorded are deleted first (`loader/reset.go`).
//!
//! The default rule is a deep merge: mappings merge key by key, sequences append, and otherwise
//! the override wins; a mapping meeting a non-mapping (or a sequence meeting a non-sequence) is
//! `cannot override <path>`. About thirty paths, all written as patterns such as
//! `services.*.environment`, have their own rule: replaced whole, turned into a sorted `k=v` list
//! and appended, turned into a mapping and merged, and so on. A rule applies only where both sides
//! have the key; a key new in the override is copied as written, and that is why Compose's output
//! can keep a mapping in one file set and a list in another.
//!
//! LOADER-NOTES §7 and §8 describe the behaviour; the quirks reproduced here were checked against
//! `docker compose config` v2.40.3 where the Go source leaves room for doubt.

mod go_format;
mod reset;
mod unicity;

#[cfg(test)]
mod compose_go_cases;
#[cfg(test)]
mod tests;

use thiserror::Error;

use self::go_format::{Verb, go_path, sprint};
use crate::loader::normalize::VolumeError;
use crate::loader::tree::{Map, TreePath, Value};

/// Why two trees cannot be merged, or a keyed list cannot be deduplicated. Each text is
/// compose-go's; paths print as compose-go prints them (`services.a.labels.[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MergeError {
    /// A mapping met a non-mapping, or a sequence a non-sequence, on a path without a special rule.
    #[error("cannot override {}", go_path(.path))]
    CannotOverride {
        /// Where the two values met. In an extending service compose-go names the service `x`
        /// (`services.x.ports`), and so does this path.
        path: TreePath,
    },
    /// A value of the wrong type: a `k=v` list item that is not a string, or an
    /// `networks.*.ipam.config` that is not a sequence.
    #[error("{}: unexpected type {type_name}", go_path(.path))]
    UnexpectedType {
        /// The offending node.
        path: TreePath,
        /// Go's name of the value's type (`int`, `map[string]interface {}`).
        type_name: &'static str,
    },
    /// A long-syntax service volume whose `target` is missing or not a string.
    #[error("service volume {} is missing a mount target", go_path(.path))]
    MissingVolumeTarget {
        /// The volume entry.
        path: TreePath,
    },
    /// A long-syntax device whose `target` is missing or not a string.
    #[error("service device {} is missing a mount target", go_path(.path))]
    MissingDeviceTarget {
        /// The device entry.
        path: TreePath,
    },
    /// A long-syntax port without `target`.
    #[error("service ports {} is missing a target port", go_path(.path))]
    MissingPortTarget {
        /// The port entry.
        path: TreePath,
    },
    /// A long-syntax `env_file` entry without `path`.
    #[error("environment path attribute {} is missing", go_path(.path))]
    MissingEnvFilePath {
        /// The env_file entry.
        path: TreePath,
    },
    /// An `expose`, `secrets` or `configs` entry that is neither a string nor (for expose) an
    /// integer nor (for mounts) a mapping. compose-go says "expose" for all three.
    #[error("{}: unsupported expose value {value}", go_path(.path))]
    UnsupportedValue {
        /// The entry.
        path: TreePath,
        /// The entry as Go's `%s` prints it (`%!s(float64=1.5)`).
        value: String,
    },
    /// A short-syntax service volume that cannot be parsed; compose-go prints only the parser's
    /// message.
    #[error("{source}")]
    InvalidVolumeSpec {
        /// The volume entry.
        path: TreePath,
        /// The parser's complaint.
        source: VolumeError,
    },
}

/// Merges an override document onto the accumulated model (override.Merge).
///
/// Call [`enforce_unicity`] on the result, as Compose does after every merge.
pub fn merge(base: Value, overlay: Value) -> Result<Value, MergeError> {
    merge_value(base, overlay, &mut Vec::new())
}

/// Merges an extending service onto a copy of its base service (override.ExtendService).
///
/// The service-level rules apply (`environment`, `command`, …) as for a service named `x`, which
/// is the name compose-go puts in its errors. The caller removes the `extends` key afterwards.
pub fn extend_service(base: Value, service: Value) -> Result<Value, MergeError> {
    let mut keys = vec!["services".to_owned(), "x".to_owned()];
    merge_value(base, service, &mut keys)
}

/// Removes later duplicates in lists keyed as Compose keys them (override.EnforceUnicity).
pub fn enforce_unicity(value: Value) -> Result<Value, MergeError> {
    let mut value = value;
    unicity::enforce(&mut value, &mut Vec::new())?;
    Ok(value)
}

/// Deletes the nodes at the given paths (the paths that `!reset` and `!override` recorded).
///
/// Only mapping entries are deleted: a path through or onto a sequence item matches nothing, as in
/// Compose. A key `*` in a recorded path matches any key.
pub fn remove_paths(value: &mut Value, paths: &[TreePath]) {
    reset::remove(value, paths);
}

/// The special merge rules of compose-go's `mergeSpecials` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// The override replaces the base, even when it is null.
    Replace,
    /// Both sides become `k=v` sequences (a mapping sorted, a string a one-item list), appended.
    ToSequence,
    /// As [`Rule::ToSequence`], minus override entries already in the base.
    ExtraHosts,
    /// A string becomes `{context: s}`, then mappings merge.
    Build,
    /// A list becomes a mapping of `{condition: service_started, required: true}`, then merge.
    DependsOn,
    /// A list becomes a mapping of nulls, then merge (service `networks`, `models`).
    ToMapping,
    /// Merged when the drivers agree or one is unset, replaced otherwise.
    Logging,
    /// `networks.*.ipam.config`, merged by subnet.
    IpamConfig,
}

/// The rule for a key path, if it has one.
fn special_rule(keys: &[String]) -> Option<Rule> {
    let parts: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rule = match parts.as_slice() {
        ["networks", _, "ipam", "config"] => Rule::IpamConfig,
        ["networks" | "volumes", _, "labels"] => Rule::ToSequence,
        ["services", _, field] => match *field {
            "annotations" | "dns" | "dns_opt" | "dns_search" | "env_file" | "label_file"
            | "environment" | "labels" | "sysctls" | "tmpfs" => Rule::ToSequence,
            "build" => Rule::Build,
            "command" | "entrypoint" => Rule::Replace,
            "depends_on" => Rule::DependsOn,
            "extra_hosts" => Rule::ExtraHosts,
            "logging" => Rule::Logging,
            "models" | "networks" => Rule::ToMapping,
            _ => return None,
        },
        [
            "services",
            _,
            "build",
            "args" | "additional_contexts" | "labels",
        ] => Rule::ToSequence,
        ["services", _, "build", "extra_hosts"] => Rule::ExtraHosts,
        ["services", _, "deploy", "labels"] => Rule::ToSequence,
        ["services", _, "healthcheck", "test"] => Rule::Replace,
        // compose-go's mergeUlimit merges the override with itself: the override wins.
        ["services", _, "ulimits", _] => Rule::Replace,
        ["services", _, "volumes", _, "volume", "labels"] => Rule::ToSequence,
        _ => return None,
    };
    Some(rule)
}

fn cannot_override(keys: &[String]) -> MergeError {
    MergeError::CannotOverride {
        path: key_path(keys),
    }
}

fn key_path(keys: &[String]) -> TreePath {
    TreePath::keys(&keys.iter().map(String::as_str).collect::<Vec<_>>())
}

/// compose-go `mergeYaml`.
fn merge_value(base: Value, overlay: Value, keys: &mut Vec<String>) -> Result<Value, MergeError> {
    if let Some(rule) = special_rule(keys) {
        return merge_special(rule, base, overlay, keys);
    }
    default_merge(base, overlay, keys)
}

/// The rule for paths without a special one.
fn default_merge(base: Value, overlay: Value, keys: &mut Vec<String>) -> Result<Value, MergeError> {
    if overlay.is_null() {
        return Ok(base);
    }
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            merge_mappings(base, overlay, keys).map(Value::Object)
        }
        (Value::Array(mut base), Value::Array(overlay)) => {
            base.extend(overlay);
            Ok(Value::Array(base))
        }
        (Value::Object(_) | Value::Array(_), _) => Err(cannot_override(keys)),
        (_, overlay) => Ok(overlay),
    }
}

/// compose-go `mergeMappings`: keys new in the override are copied as written; keys on both sides
/// merge by their path's rule. Base keys keep their order; new keys follow in override order.
fn merge_mappings(mut base: Map, overlay: Map, keys: &mut Vec<String>) -> Result<Map, MergeError> {
    for (key, value) in overlay {
        match base.get_mut(&key) {
            Some(slot) => {
                let existing = slot.take();
                keys.push(key);
                let merged = merge_value(existing, value, keys);
                keys.pop();
                *slot = merged?;
            }
            None => {
                base.insert(key, value);
            }
        }
    }
    Ok(base)
}

fn merge_special(
    rule: Rule,
    base: Value,
    overlay: Value,
    keys: &mut Vec<String>,
) -> Result<Value, MergeError> {
    match rule {
        Rule::Replace => Ok(overlay),
        Rule::ToSequence => {
            let mut merged = into_sequence(base);
            merged.extend(into_sequence(overlay));
            Ok(Value::Array(merged))
        }
        Rule::ExtraHosts => {
            let mut merged = into_sequence(base);
            let additions: Vec<Value> = into_sequence(overlay)
                .into_iter()
                .filter(|entry| !merged.contains(entry))
                .collect();
            merged.extend(additions);
            Ok(Value::Array(merged))
        }
        Rule::Build => {
            let base = build_mapping(base);
            let overlay = build_mapping(overlay);
            merge_mappings(base, overlay, keys).map(Value::Object)
        }
        Rule::DependsOn => {
            let mut defaults = Map::new();
            defaults.insert(
                "condition".to_owned(),
                Value::String("service_started".to_owned()),
            );
            defaults.insert("required".to_owned(), Value::Bool(true));
            let default = Value::Object(defaults);
            let base = into_mapping(base, &default);
            let overlay = into_mapping(overlay, &default);
            merge_mappings(base, overlay, keys).map(Value::Object)
        }
        Rule::ToMapping => {
            let base = into_mapping(base, &Value::Null);
            let overlay = into_mapping(overlay, &Value::Null);
            merge_mappings(base, overlay, keys).map(Value::Object)
        }
        Rule::Logging => merge_logging(base, overlay, keys),
        Rule::IpamConfig => merge_ipam_config(base, overlay, keys),
    }
}

/// compose-go `convertIntoSequence`: a mapping becomes `k=v` entries sorted by text (a null value
/// gives bare `k`, a list value one entry per item), a string a one-item list; other values vanish.
fn into_sequence(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::String(text) => vec![Value::String(text)],
        Value::Object(map) => {
            let mut entries: Vec<String> = Vec::with_capacity(map.len());
            for (key, item) in map {
                match item {
                    Value::Null => entries.push(key),
                    Value::Array(items) => entries.extend(
                        items
                            .iter()
                            .map(|item| format!("{key}={}", sprint(item, Verb::Value))),
                    ),
                    item => entries.push(format!("{key}={}", sprint(&item, Verb::Value))),
                }
            }
            entries.sort();
            entries.into_iter().map(Value::String).collect()
        }
        _ => Vec::new(),
    }
}

/// compose-go `convertIntoMapping`: a list of names becomes a mapping of `default` values.
/// compose-go asserts string items; other items are keyed by their text.
fn into_mapping(value: Value, default: &Value) -> Map {
    match value {
        Value::Object(map) => map,
        Value::Array(items) => items
            .into_iter()
            .map(|item| {
                let key = match item {
                    Value::String(text) => text,
                    other => sprint(&other, Verb::Value),
                };
                (key, default.clone())
            })
            .collect(),
        _ => Map::new(),
    }
}

fn build_mapping(value: Value) -> Map {
    match value {
        Value::String(context) => {
            let mut map = Map::new();
            map.insert("context".to_owned(), Value::String(context));
            map
        }
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// compose-go `mergeLogging`: options merge only when both files name the same driver, or one
/// names none; distinct drivers mean the override replaces the whole block.
fn merge_logging(base: Value, overlay: Value, keys: &mut Vec<String>) -> Result<Value, MergeError> {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            let distinct = match (base.get("driver"), overlay.get("driver")) {
                (Some(left), Some(right)) => left != right,
                _ => false,
            };
            if distinct {
                Ok(Value::Object(overlay))
            } else {
                merge_mappings(base, overlay, keys).map(Value::Object)
            }
        }
        // compose-go would panic on a non-mapping here; the default rule is the nearest sense.
        (base, overlay) => default_merge(base, overlay, keys),
    }
}

/// An entry of the merged `ipam.config` list while it is being built. compose-go keeps Go map
/// references, so an entry taken from the base list keeps changing while later overrides are
/// merged into that same base entry; [`Slot::Base`] reproduces that by pointing at it.
enum Slot {
    /// The base entry with this index, as it stands.
    Base(usize),
    /// An override entry, unchanged.
    Override(Map),
}

/// compose-go `mergeIPAMConfig`, quirks included: each base entry is compared with every override
/// entry; a base entry that no override entry shares a subnet with is dropped.
fn merge_ipam_config(
    base: Value,
    overlay: Value,
    keys: &mut Vec<String>,
) -> Result<Value, MergeError> {
    let unexpected = |base: &Value| MergeError::UnexpectedType {
        path: key_path(keys),
        type_name: go_format::type_name(base),
    };
    let Value::Array(originals) = base else {
        return Err(unexpected(&base));
    };
    let Value::Array(overrides) = overlay else {
        return Err(unexpected(&Value::Array(originals)));
    };
    let overrides: Vec<Map> = overrides
        .into_iter()
        .map(|item| into_mapping(item, &Value::Null))
        .collect();
    let mut rights: Vec<Map> = Vec::with_capacity(originals.len());
    let mut slots: Vec<Slot> = Vec::new();
    for (current, original) in originals.into_iter().enumerate() {
        rights.push(into_mapping(original, &Value::Null));
        for left in &overrides {
            let subnet_of = |slot: &Slot, rights: &[Map]| -> Option<Value> {
                match slot {
                    Slot::Base(index) => rights[*index].get("subnet").cloned(),
                    Slot::Override(map) => map.get("subnet").cloned(),
                }
            };
            let left_subnet = left.get("subnet").cloned();
            if left_subnet != rights[current].get("subnet").cloned()
                && !slots
                    .iter()
                    .any(|slot| subnet_of(slot, &rights) == left_subnet)
            {
                slots.push(Slot::Override(left.clone()));
                continue;
            }
            let right = std::mem::take(&mut rights[current]);
            rights[current] = merge_mappings(right, left.clone(), keys)?;
            let merged_subnet = rights[current].get("subnet").cloned();
            match slots
                .iter()
                .position(|slot| subnet_of(slot, &rights) == merged_subnet)
            {
                Some(position) => slots[position] = Slot::Base(current),
                None => slots.push(Slot::Base(current)),
            }
        }
    }
    let merged = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Base(index) => Value::Object(rights[index].clone()),
            Slot::Override(map) => Value::Object(map),
        })
        .collect();
    Ok(Value::Array(merged))
}
