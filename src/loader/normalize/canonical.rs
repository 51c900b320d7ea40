//! Short syntax rewritten to long syntax (compose-go's `transform.Canonical`) and the removal of
//! empty `dns` entries (`loader/omitEmpty.go`).
//!
//! Compose runs these after validating each file, so every later stage (unicity, defaults, path
//! resolution, binding) sees one shape per field: ports and volumes as mappings, `depends_on` as a
//! map of conditions, `env_file` as `{path, required}` entries, and so on. compose-go dispatches on
//! path patterns (`services.*.ports`); the walk below visits exactly the nodes those patterns match.

use crate::loader::tree::{Map, TreePath, Value};

use super::ports::parse_port_config;
use super::volumes::parse_volume;
use super::{NormalizeError, children_mut, go_display, go_type_name};

/// Rewrites short syntax into long syntax across the whole project tree (compose-go's
/// `transform.Canonical`).
///
/// With `skip_interpolation`, unparsable short-syntax ports, volumes, device mappings and
/// `additional_contexts` entries are left as written instead of failing, as Compose does when
/// variables have not been substituted yet. Deprecation warnings (`external.name`) are appended
/// to `warnings`.
pub fn canonical(
    mut dict: Value,
    skip_interpolation: bool,
    warnings: &mut Vec<String>,
) -> Result<Value, NormalizeError> {
    let Some(root) = dict.as_object_mut() else {
        return Ok(dict);
    };
    let mut transformer = Canonical {
        ignore_parse_errors: skip_interpolation,
        warnings,
    };
    for (key, value) in root.iter_mut() {
        match key.as_str() {
            "services" => {
                if let Value::Object(services) = value {
                    for (name, service) in services.iter_mut() {
                        if let Value::Object(service) = service {
                            transformer.service(name, service)?;
                        }
                    }
                }
            }
            "volumes" | "networks" | "secrets" | "configs" => {
                if let Value::Object(resources) = value {
                    for (name, resource) in resources.iter_mut() {
                        transformer.maybe_external(&TreePath::keys(&[key, name]), resource)?;
                    }
                }
            }
            "include" => {
                for (index, entry) in children_mut(value).enumerate() {
                    include(entry, &|| TreePath::keys(&["include"]).index(index))?;
                }
            }
            _ => {}
        }
    }
    Ok(dict)
}

/// Removes null and empty-string entries from every service's `dns` (compose-go's `OmitEmpty`).
#[must_use]
pub fn omit_empty(mut dict: Value) -> Value {
    if let Some(Value::Object(services)) = dict.get_mut("services") {
        for service in services.values_mut() {
            match service.get_mut("dns") {
                Some(Value::Array(entries)) => entries.retain(|entry| !is_empty(entry)),
                Some(Value::Object(entries)) => entries.retain(|_, entry| !is_empty(entry)),
                _ => {}
            }
        }
    }
    dict
}

fn is_empty(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str() == Some("")
}

struct Canonical<'a> {
    ignore_parse_errors: bool,
    warnings: &'a mut Vec<String>,
}

impl Canonical<'_> {
    fn service(&mut self, name: &str, service: &mut Map) -> Result<(), NormalizeError> {
        let here = |key: &str| TreePath::keys(&["services", name, key]);
        for (key, value) in service.iter_mut() {
            let path = || here(key);
            match key.as_str() {
                "build" => self.build(value, &path)?,
                "depends_on" => depends_on(value, &path)?,
                "env_file" => env_file(value, &path)?,
                "label_file" | "dns" => string_or_list(value),
                "extends" => short_to_map(value, "service", "extends", &path)?,
                "gpus" => gpus(value, &path)?,
                "networks" | "models" => string_slice_to_map(value),
                "ports" => self.ports(value, &path)?,
                "volumes" => {
                    for (index, volume) in children_mut(value).enumerate() {
                        self.volume(volume, &|| path().index(index))?;
                    }
                }
                "devices" => {
                    for (index, device) in children_mut(value).enumerate() {
                        self.device(device, &|| path().index(index))?;
                    }
                }
                "secrets" | "configs" => {
                    for (index, mount) in children_mut(value).enumerate() {
                        file_mount(mount, &|| path().index(index))?;
                    }
                }
                "ulimits" => ulimits(value, &path)?,
                "develop" => {
                    if let Some(watch) = value.get_mut("watch") {
                        for rule in children_mut(watch) {
                            if let Value::Object(rule) = rule {
                                for field in ["ignore", "include"] {
                                    if let Some(patterns) = rule.get_mut(field) {
                                        string_or_list(patterns);
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn build(
        &mut self,
        value: &mut Value,
        path: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        match value {
            Value::String(context) => {
                let context = std::mem::take(context);
                *value = single_entry("context", Value::String(context));
                Ok(())
            }
            Value::Object(build) => {
                for (key, field) in build.iter_mut() {
                    let here = || path().key(key);
                    match key.as_str() {
                        "secrets" => {
                            for (index, mount) in children_mut(field).enumerate() {
                                file_mount(mount, &|| here().index(index))?;
                            }
                        }
                        "provenance" | "sbom" => string_or_text(field),
                        "additional_contexts" => self.key_value(field, &here)?,
                        "ssh" => ssh(field, &here)?,
                        "ulimits" => ulimits(field, &here)?,
                        _ => {}
                    }
                }
                Ok(())
            }
            other => Err(invalid_type(path(), other, "build")),
        }
    }

    /// Short ports become one mapping per published port; mappings are kept.
    fn ports(
        &mut self,
        value: &mut Value,
        path: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        let Value::Array(entries) = value else {
            return Err(invalid_type(path(), value, "port"));
        };
        // Parse everything first: with ignored parse errors a failure leaves the list as written.
        let mut parsed = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let spec = match entry {
                Value::Object(_) => {
                    parsed.push(None);
                    continue;
                }
                Value::Number(number) if number.is_i64() || number.is_u64() => {
                    // Integers always fail loudly, even when parse errors are ignored.
                    let ports = parse_port_config(&number.to_string()).map_err(|source| {
                        NormalizeError::Port {
                            path: path().index(index),
                            source,
                        }
                    })?;
                    parsed.push(Some(ports));
                    continue;
                }
                Value::String(spec) => spec,
                other => return Err(invalid_type(path(), other, "port")),
            };
            match parse_port_config(spec) {
                Ok(ports) => parsed.push(Some(ports)),
                Err(_) if self.ignore_parse_errors => return Ok(()),
                Err(source) => {
                    return Err(NormalizeError::Port {
                        path: path().index(index),
                        source,
                    });
                }
            }
        }
        let mut ports = Vec::with_capacity(entries.len());
        for (entry, parsed) in std::mem::take(entries).into_iter().zip(parsed) {
            match parsed {
                None => ports.push(entry),
                Some(expanded) => ports.extend(expanded),
            }
        }
        *value = Value::Array(ports);
        Ok(())
    }

    fn volume(
        &mut self,
        value: &mut Value,
        path: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        match value {
            Value::Object(_) => Ok(()),
            Value::String(spec) => match parse_volume(spec) {
                Ok(volume) => {
                    *value = volume;
                    Ok(())
                }
                Err(_) if self.ignore_parse_errors => Ok(()),
                Err(source) => Err(NormalizeError::Volume {
                    path: path(),
                    source,
                }),
            },
            other => Err(invalid_type(path(), other, "service volume mount")),
        }
    }

    /// `/dev/x[:/dev/y[:permissions]]` becomes `{source, target, permissions}`.
    fn device(
        &mut self,
        value: &mut Value,
        path: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        let spec = match value {
            Value::Object(_) => return Ok(()),
            Value::String(spec) => spec,
            other => return Err(invalid_type(path(), other, "service volume mount")),
        };
        let parts: Vec<&str> = spec.split(':').collect();
        let (source, target, permissions) = match parts.as_slice() {
            [source] => (*source, "", "rwm"),
            [source, target] => (*source, *target, "rwm"),
            [source, target, permissions] => (*source, *target, *permissions),
            _ if self.ignore_parse_errors => ("", "", "rwm"),
            _ => {
                return Err(NormalizeError::ConfusingDevice {
                    path: path(),
                    spec: spec.clone(),
                });
            }
        };
        let target = if target.is_empty() { source } else { target };
        let mut device = Map::new();
        device.insert("source".to_owned(), Value::from(source));
        device.insert("target".to_owned(), Value::from(target));
        device.insert("permissions".to_owned(), Value::from(permissions));
        *value = Value::Object(device);
        Ok(())
    }

    /// `["k=v", …]` becomes `{k: v, …}`.
    fn key_value(
        &mut self,
        value: &mut Value,
        path: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        let entries = match value {
            Value::Object(_) => return Ok(()),
            Value::Array(entries) => entries,
            other => {
                return Err(NormalizeError::KeyValueType {
                    path: path(),
                    found: go_type_name(other),
                });
            }
        };
        let mut mapping = Map::new();
        for entry in entries.iter() {
            let text = entry.as_str().unwrap_or_default();
            match text.split_once('=') {
                Some((key, value)) => {
                    mapping.insert(key.to_owned(), Value::from(value));
                }
                None if self.ignore_parse_errors => return Ok(()),
                None => {
                    return Err(NormalizeError::KeyValue {
                        path: path(),
                        entry: go_display(entry),
                    });
                }
            }
        }
        *value = Value::Object(mapping);
        Ok(())
    }

    /// `external: {name: x}` becomes `external: true` and `name: x`, with Compose's warning.
    fn maybe_external(
        &mut self,
        path: &TreePath,
        resource: &mut Value,
    ) -> Result<(), NormalizeError> {
        let Value::Object(resource) = resource else {
            return Ok(());
        };
        let external_name = match resource.get_mut("external") {
            Some(external @ Value::Object(_)) => {
                let name = external.get("name").cloned();
                *external = Value::Bool(true);
                name
            }
            _ => return Ok(()),
        };
        let Some(external_name) = external_name else {
            return Ok(());
        };
        self.warnings.push(format!(
            "{}: external.name is deprecated. Please set name and external: true",
            super::GoPath(path)
        ));
        match resource.get("name") {
            Some(name) if *name != external_name => {
                Err(NormalizeError::ExternalNameConflict { path: path.clone() })
            }
            Some(_) => Ok(()),
            None => {
                resource.insert("name".to_owned(), external_name);
                Ok(())
            }
        }
    }
}

fn invalid_type(path: TreePath, value: &Value, expected: &'static str) -> NormalizeError {
    NormalizeError::InvalidType {
        path,
        found: go_type_name(value),
        expected,
    }
}

fn single_entry(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// A string becomes a one-element list.
fn string_or_list(value: &mut Value) {
    if let Value::String(text) = value {
        let text = std::mem::take(text);
        *value = Value::Array(vec![Value::String(text)]);
    }
}

/// Anything that is not a string is printed as Go's `fmt.Sprint` would (`provenance: true`).
fn string_or_text(value: &mut Value) {
    if !value.is_string() {
        *value = Value::String(go_display(value));
    }
}

/// `extends: svc` → `{service: svc}`; mappings are kept.
fn short_to_map(
    value: &mut Value,
    key: &str,
    expected: &'static str,
    path: &dyn Fn() -> TreePath,
) -> Result<(), NormalizeError> {
    match value {
        Value::Object(_) => Ok(()),
        Value::String(text) => {
            let text = std::mem::take(text);
            *value = single_entry(key, Value::String(text));
            Ok(())
        }
        other => Err(invalid_type(path(), other, expected)),
    }
}

/// `include: [path]` entries become `{path}`.
fn include(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    short_to_map(value, "path", "external", path)
}

/// A list of names becomes a map of names to null; a map is kept.
fn string_slice_to_map(value: &mut Value) {
    if let Value::Array(names) = value {
        let mapping: Map = names
            .iter()
            .map(|name| {
                (
                    name.as_str()
                        .map_or_else(|| go_display(name), str::to_owned),
                    Value::Null,
                )
            })
            .collect();
        *value = Value::Object(mapping);
    }
}

/// `depends_on: [db]` → `{db: {condition: service_started, required: true}}`; missing
/// `condition`/`required` are filled in on the long syntax.
fn depends_on(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    match value {
        Value::Object(dependencies) => {
            for (service, dependency) in dependencies.iter_mut() {
                let Value::Object(dependency) = dependency else {
                    return Err(NormalizeError::DependsOnValue {
                        path: path().key(service),
                        value: go_display(dependency),
                    });
                };
                dependency
                    .entry("condition")
                    .or_insert_with(|| Value::from("service_started"));
                dependency.entry("required").or_insert(Value::Bool(true));
            }
            Ok(())
        }
        Value::Array(services) => {
            let mut dependencies = Map::new();
            for service in services.iter() {
                let mut dependency = Map::new();
                dependency.insert("condition".to_owned(), Value::from("service_started"));
                dependency.insert("required".to_owned(), Value::Bool(true));
                let name = service
                    .as_str()
                    .map_or_else(|| go_display(service), str::to_owned);
                dependencies.insert(name, Value::Object(dependency));
            }
            *value = Value::Object(dependencies);
            Ok(())
        }
        other => Err(invalid_type(path(), other, "depend_on")),
    }
}

/// `env_file: a.env` and `[a.env]` → `[{path: a.env, required: true}]`.
fn env_file(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    let entry = |item: &mut Value| match item {
        Value::String(file) => {
            let mut map = Map::new();
            map.insert("path".to_owned(), Value::String(std::mem::take(file)));
            map.insert("required".to_owned(), Value::Bool(true));
            *item = Value::Object(map);
        }
        Value::Object(map) => {
            map.entry("required").or_insert(Value::Bool(true));
        }
        // compose-go turns any other entry into nil.
        other => *other = Value::Null,
    };
    match value {
        Value::String(_) => {
            let mut item = std::mem::take(value);
            entry(&mut item);
            *value = Value::Array(vec![item]);
            Ok(())
        }
        Value::Array(items) => {
            items.iter_mut().for_each(entry);
            Ok(())
        }
        other => Err(invalid_type(path(), other, "env_file")),
    }
}

/// `gpus: all` → `[{count: all}]`; a list is kept.
fn gpus(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    match value {
        Value::Array(_) => Ok(()),
        Value::String(_) => {
            *value = Value::Array(vec![single_entry("count", Value::from("all"))]);
            Ok(())
        }
        other => Err(invalid_type(path(), other, "gpus")),
    }
}

/// Secret and config mounts: `name` → `{source: name}`.
fn file_mount(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    match value {
        Value::Object(_) => Ok(()),
        Value::String(source) => {
            let source = std::mem::take(source);
            *value = single_entry("source", Value::String(source));
            Ok(())
        }
        other => Err(NormalizeError::UnsupportedType {
            path: path(),
            found: go_type_name(other),
        }),
    }
}

/// `ssh: [default, id=path]` → `{default: null, id: path}`.
fn ssh(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    let keys = match value {
        Value::Object(_) => return Ok(()),
        Value::Array(keys) => keys,
        other => return Err(invalid_type(path(), other, "ssh")),
    };
    let mut mapping = Map::new();
    for key in keys.iter() {
        let Value::String(text) = key else {
            return Err(NormalizeError::SshKeyType {
                path: path(),
                found: go_type_name(key),
            });
        };
        match text.split_once('=') {
            Some((id, key_path)) => {
                mapping.insert(id.to_owned(), Value::from(key_path));
            }
            None if text == "default" => {
                mapping.insert(text.clone(), Value::Null);
            }
            None => {
                return Err(NormalizeError::SshKey {
                    path: path(),
                    key: text.clone(),
                });
            }
        }
    }
    *value = Value::Object(mapping);
    Ok(())
}

/// Each ulimit is a number or `{soft, hard}`; anything else is rejected.
fn ulimits(value: &mut Value, path: &dyn Fn() -> TreePath) -> Result<(), NormalizeError> {
    if let Value::Object(limits) = value {
        for (name, limit) in limits.iter() {
            let accepted = matches!(limit, Value::Object(_))
                || limit.as_i64().is_some()
                || limit.as_u64().is_some();
            if !accepted {
                return Err(invalid_type(path().key(name), limit, "external"));
            }
        }
    }
    Ok(())
}
