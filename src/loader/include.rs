//! `include`: whole compose projects imported into this one.
//!
//! As compose-go (`loader/include.go`) does it: each entry is loaded as its own model (its own
//! project directory and environment file, paths resolved against that directory, no
//! normalisation), after `extends` and before the including document is merged; its services,
//! networks, volumes, secrets, configs and models are imported, and a name that clashes with a
//! different definition is an error. The including environment wins over the included `.env`.

use std::path::{Path, PathBuf};

use super::discover::{self, Environment};
use super::tree::{Map, Value};
use super::{Context, LoadError, ParsedFile, Stages, yaml};

/// One `include` entry.
#[derive(Clone, Debug, Default)]
struct IncludeConfig {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

/// The error Compose gives when an include chain comes back to a file being loaded.
pub(crate) fn cycle_error(included: &[String], path: &str) -> LoadError {
    let mut chain: Vec<&str> = included.iter().map(String::as_str).collect();
    chain.push(path);
    let first = chain.first().copied().unwrap_or(path);
    LoadError::IncludeCycle(format!(
        "include cycle detected:\n{first}\n include {}",
        chain[1..].join("\n include ")
    ))
}

/// Imports the projects a document's `include` names into it, then removes `include`.
///
/// # Errors
/// A malformed entry, a missing file, a cycle, or a conflicting resource.
pub(crate) fn apply_include(
    model: &mut Value,
    working_dir: &Path,
    environment: &Environment,
    context: &mut Context,
    included: &[String],
) -> Result<(), LoadError> {
    let Some(map) = model.as_object_mut() else {
        return Ok(());
    };
    let Some(source) = map.shift_remove("include") else {
        return Ok(());
    };
    let configs = parse_include(&source)?;
    for config in configs {
        let mut paths = Vec::with_capacity(config.paths.len());
        let mut project_directory = PathBuf::new();
        for (index, path) in config.paths.iter().enumerate() {
            let path = discover::absolute(working_dir, Path::new(path));
            let name = path.display().to_string();
            if index == 0 {
                project_directory = match &config.project_directory {
                    None => path.parent().map_or_else(PathBuf::new, Path::to_path_buf),
                    Some(dir) => discover::absolute(working_dir, Path::new(dir)),
                };
                if included.contains(&name) {
                    return Err(cycle_error(included, &name));
                }
            }
            paths.push(name);
        }

        let env_files = if config.env_files.is_empty() {
            let default = project_directory.join(".env");
            if default.is_file() {
                vec![default]
            } else {
                Vec::new()
            }
        } else {
            let mut files = Vec::new();
            for file in &config.env_files {
                let path = Path::new(file);
                let path = if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    let joined = discover::absolute(working_dir, path);
                    let metadata = std::fs::metadata(&joined).map_err(|_| {
                        LoadError::IncludeEnvFile(format!(
                            "stat {}: no such file or directory",
                            joined.display()
                        ))
                    })?;
                    if metadata.is_dir() {
                        return Err(LoadError::IncludeEnvFile(format!(
                            "{} is not a file",
                            joined.display()
                        )));
                    }
                    joined
                };
                files.push(path);
            }
            files
        };
        let from_files = discover::read_env_files(environment, &env_files, &mut context.warnings)?;
        let mut included_environment = environment.clone();
        for (key, value) in from_files {
            included_environment.entry(key).or_insert(value);
        }

        let mut files = Vec::with_capacity(paths.len());
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|error| LoadError::ReadFile {
                path: path.clone(),
                reason: discover::io_reason(&error),
            })?;
            files.push(ParsedFile {
                filename: path.clone(),
                documents: yaml::parse_documents(&text, path)?,
            });
        }
        let stages = Stages {
            extends: true,
            include: true,
            validation: true,
            defaults: true,
            resolve_paths: true,
        };
        let imported = super::load_yaml_model(
            &project_directory,
            &included_environment,
            files,
            context,
            included,
            &stages,
        )?;
        import_resources(&imported, model)?;
    }
    Ok(())
}

fn parse_include(source: &Value) -> Result<Vec<IncludeConfig>, LoadError> {
    let entries = match source {
        Value::Null => return Ok(Vec::new()),
        Value::Array(entries) => entries,
        other => return Err(LoadError::IncludeNotList(go_format(other))),
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| match entry {
            Value::String(path) => Ok(IncludeConfig {
                paths: vec![path.clone()],
                ..IncludeConfig::default()
            }),
            Value::Object(map) => {
                let entry_error = |reason: &str| LoadError::IncludeEntry {
                    index,
                    reason: reason.to_owned(),
                };
                let paths = string_list(map.get("path"))
                    .ok_or_else(|| entry_error("path must be a string or a list of strings"))?;
                if paths.is_empty() {
                    return Err(entry_error("path is required"));
                }
                let project_directory = match map.get("project_directory") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(dir)) => Some(dir.clone()),
                    Some(_) => return Err(entry_error("project_directory must be a string")),
                };
                let env_files = string_list(map.get("env_file"))
                    .ok_or_else(|| entry_error("env_file must be a string or a list of strings"))?;
                Ok(IncludeConfig {
                    paths,
                    project_directory,
                    env_files,
                })
            }
            _ => Err(LoadError::IncludeEntry {
                index,
                reason: "must be a string or a mapping".to_owned(),
            }),
        })
        .collect()
}

/// A string or a list of strings (compose-go's `StringList`); `None` for anything else.
fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    match value {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::String(text)) => Some(vec![text.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

/// A value printed the way Go's `%s` prints decoded YAML, for error messages.
fn go_format(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{key}:{}", go_format(value)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_format).collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    }
}

const IMPORTED_KINDS: [&str; 6] = [
    "services", "volumes", "networks", "secrets", "configs", "models",
];

fn import_resources(source: &Value, target: &mut Value) -> Result<(), LoadError> {
    let Some(target) = target.as_object_mut() else {
        return Ok(());
    };
    for kind in IMPORTED_KINDS {
        let Some(Value::Object(from)) = source.get(kind) else {
            continue;
        };
        let entry = target
            .entry(kind.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Some(to) = entry.as_object_mut() else {
            continue;
        };
        for (name, resource) in from {
            if let Some(existing) = to.get(name) {
                if existing == resource {
                    continue;
                }
                return Err(LoadError::ImportConflict {
                    kind: kind.to_owned(),
                    name: name.clone(),
                });
            }
            to.insert(name.clone(), resource.clone());
        }
    }
    Ok(())
}
