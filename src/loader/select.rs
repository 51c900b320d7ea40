//! The last steps of loading, on the whole project: profiles, consistency, service environment
//! files, and the services a command selects.
//!
//! These mirror compose-go's `Project` methods (`WithProfiles`, `checkConsistency`,
//! `WithServicesEnvironmentResolved`, `WithServicesLabelsResolved`, `WithServicesEnabled`,
//! `WithSelectedServices`, `WithoutUnnecessaryResources`) and docker/compose's
//! `CheckContainerNameUnicity`, applied to the project tree before it is typed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use indexmap::IndexMap;

use super::discover::Environment;
use super::tree::{Map, Value};
use super::{LoadError, env, validate};
use crate::graph::{Condition, Dependency, DependencyGraph, ServiceNode};

/// A project tree split into enabled and profile-disabled services.
#[derive(Debug)]
pub struct ProjectState {
    /// The project tree; its `services` are the enabled ones.
    pub tree: Value,
    /// Services that profiles disabled.
    pub disabled: Map,
    /// Active profiles.
    pub profiles: Vec<String>,
}

impl ProjectState {
    /// Splits the services of `tree` by the active `profiles`.
    ///
    /// # Errors
    /// `services` is not a mapping.
    pub fn new(mut tree: Value, profiles: Vec<String>) -> Result<Self, LoadError> {
        if let Some(map) = tree.as_object_mut() {
            map.entry("services".to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        let mut state = ProjectState {
            tree,
            disabled: Map::new(),
            profiles,
        };
        state.apply_profiles()?;
        Ok(state)
    }

    fn services(&self) -> &Map {
        static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
        self.tree
            .get("services")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    fn services_mut(&mut self) -> Result<&mut Map, LoadError> {
        self.tree
            .get_mut("services")
            .and_then(Value::as_object_mut)
            .ok_or(LoadError::ServicesNotMapping)
    }

    /// `WithProfiles`: every service (enabled or not) is enabled when it has no profile or shares
    /// an active one.
    fn apply_profiles(&mut self) -> Result<(), LoadError> {
        let profiles = self.profiles.clone();
        let mut all = std::mem::take(self.services_mut()?);
        all.extend(std::mem::take(&mut self.disabled));
        let mut enabled = Map::new();
        for (name, service) in all {
            if has_profile(&service, &profiles) {
                enabled.insert(name, service);
            } else {
                self.disabled.insert(name, service);
            }
        }
        *self.services_mut()? = enabled;
        Ok(())
    }

    /// `checkConsistency`: references, conflicting values, undefined dependencies and cycles.
    ///
    /// # Errors
    /// The first problem found, in service-name order.
    pub fn check_consistency(&self) -> Result<(), LoadError> {
        validate::check_consistency(&self.tree)?;
        let services = self.services();
        let mut names: Vec<&String> = services.keys().collect();
        names.sort();
        for name in &names {
            for (dependency, required) in depends_on(&services[name.as_str()]) {
                if services.contains_key(&dependency) {
                    continue;
                }
                if self.disabled.contains_key(&dependency) && !required {
                    continue;
                }
                return Err(LoadError::Graph(
                    crate::graph::GraphError::UndefinedDependency {
                        service: (*name).clone(),
                        dependency,
                    },
                ));
            }
        }
        DependencyGraph::new(self.graph_nodes())?;
        Ok(())
    }

    /// The enabled services as dependency-graph nodes (dependencies on disabled optional services
    /// left out).
    #[must_use]
    pub fn graph_nodes(&self) -> Vec<ServiceNode> {
        let services = self.services();
        services
            .iter()
            .map(|(name, service)| ServiceNode {
                name: name.clone(),
                depends_on: dependencies(service)
                    .into_iter()
                    .filter(|dependency| services.contains_key(&dependency.service))
                    .collect(),
                networks: keys(service.get("networks")),
                volumes: volume_sources(service),
                secrets: sources(service.get("secrets")),
                configs: sources(service.get("configs")),
            })
            .collect()
    }

    /// `WithServicesEnvironmentResolved(true)`: bare `environment` entries take their value from
    /// the project environment, `env_file`s are read (project environment first, then the
    /// service's `environment`, for their interpolation), explicit entries win, and `env_file` is
    /// dropped.
    ///
    /// # Errors
    /// A required environment file is missing or malformed.
    pub fn resolve_service_environment(
        &mut self,
        environment: &Environment,
        warnings: &mut Vec<String>,
    ) -> Result<(), LoadError> {
        for service in self.services_mut()?.values_mut() {
            let Some(map) = service.as_object_mut() else {
                continue;
            };
            if !map.contains_key("env_file")
                && let Some(Value::Object(_)) = map.get("environment")
            {
                resolve_environment_map(map, environment);
                continue;
            }
            let mut declared = env_entries(map.get("environment"));
            for (key, value) in &mut declared {
                if value.is_none()
                    && let Some(found) = environment.get(key)
                {
                    *value = Some(found.clone());
                }
            }
            let mut resolved: IndexMap<String, Option<String>> = IndexMap::new();
            if let Some(Value::Array(files)) = map.get("env_file") {
                // compose-go reads every file into one map seeded with the service's values,
                // so later files and lines see earlier ones.
                let mut from_files: IndexMap<String, String> = declared
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.clone()?)))
                    .collect();
                for file in files {
                    let (path, required, format) = env_file_entry(file);
                    if !Path::new(&path).exists() {
                        if required {
                            return Err(LoadError::EnvFileNotFound { path });
                        }
                        continue;
                    }
                    let lookup = |key: &str| {
                        environment
                            .get(key)
                            .cloned()
                            .or_else(|| declared.get(key).cloned().flatten())
                    };
                    match format.as_deref() {
                        None | Some("" | "dotenv") => env::read_dotenv_file_into(
                            Path::new(&path),
                            &lookup,
                            &mut from_files,
                            warnings,
                        )?,
                        Some("raw") => {
                            from_files.extend(env::read_raw_env_file(Path::new(&path), &lookup)?);
                        }
                        Some(other) => return Err(LoadError::EnvFileFormat(other.to_owned())),
                    }
                }
                for (key, value) in from_files {
                    resolved.insert(key, Some(value));
                }
            }
            for (key, value) in declared {
                resolved.insert(key, value);
            }
            map.shift_remove("env_file");
            if resolved.is_empty() {
                map.shift_remove("environment");
            } else {
                let environment: Map = resolved
                    .into_iter()
                    .map(|(key, value)| (key, value.map_or(Value::Null, Value::String)))
                    .collect();
                map.insert("environment".to_owned(), Value::Object(environment));
            }
        }
        Ok(())
    }

    /// `WithServicesLabelsResolved(true)`: `label_file`s are read, explicit labels win, and
    /// `label_file` is dropped.
    ///
    /// # Errors
    /// A label file is missing or malformed.
    pub fn resolve_label_files(&mut self, warnings: &mut Vec<String>) -> Result<(), LoadError> {
        for service in self.services_mut()?.values_mut() {
            let Some(map) = service.as_object_mut() else {
                continue;
            };
            let Some(files) = map.shift_remove("label_file") else {
                continue;
            };
            let files: Vec<String> = match files {
                Value::String(file) => vec![file],
                Value::Array(files) => files
                    .iter()
                    .filter_map(|file| file.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            let mut from_files: IndexMap<String, String> = IndexMap::new();
            for file in files {
                if !Path::new(&file).exists() {
                    return Err(LoadError::LabelFileNotFound { path: file });
                }
                env::read_dotenv_file_into(Path::new(&file), &|_| None, &mut from_files, warnings)?;
            }
            let mut labels: IndexMap<String, Option<String>> = from_files
                .into_iter()
                .map(|(key, value)| (key, Some(value)))
                .collect();
            for (key, value) in env_entries(map.get("labels")) {
                labels.insert(key, Some(value.unwrap_or_default()));
            }
            if !labels.is_empty() {
                let labels: Map = labels
                    .into_iter()
                    .map(|(key, value)| (key, Value::String(value.unwrap_or_default())))
                    .collect();
                map.insert("labels".to_owned(), Value::Object(labels));
            }
        }
        Ok(())
    }

    /// `WithServicesEnabled`: naming a profile-disabled service enables its profiles.
    ///
    /// # Errors
    /// `services` is not a mapping.
    pub fn enable_services(&mut self, names: &[String]) -> Result<(), LoadError> {
        if names.is_empty() {
            return Ok(());
        }
        let mut added = false;
        for name in names {
            if self.services().contains_key(name) {
                continue;
            }
            if let Some(service) = self.disabled.get(name) {
                for profile in string_items(service.get("profiles")) {
                    self.profiles.push(profile);
                    added = true;
                }
            }
        }
        if added {
            self.apply_profiles()?;
        }
        Ok(())
    }

    /// `WithSelectedServices`: keeps the named services (shell patterns allowed) and what they
    /// depend on; dependencies on services left out are dropped.
    ///
    /// # Errors
    /// A named service does not exist.
    pub fn select_services(&mut self, names: &[String]) -> Result<(), LoadError> {
        if names.is_empty() {
            return Ok(());
        }
        let services = self.services();
        let mut selected: HashSet<String> = HashSet::new();
        let mut pending: Vec<(String, bool)> = names.iter().map(|n| (n.clone(), true)).collect();
        while let Some((pattern, required)) = pending.pop() {
            let matched: Vec<&String> = services
                .keys()
                .filter(|name| glob_match(&pattern, name))
                .collect();
            if matched.is_empty() {
                if required {
                    return Err(LoadError::NoSuchService(pattern));
                }
                continue;
            }
            for name in matched {
                if selected.insert(name.clone()) {
                    for (dependency, required) in depends_on(&services[name.as_str()]) {
                        pending.push((dependency, required));
                    }
                }
            }
        }
        let all = std::mem::take(self.services_mut()?);
        let mut enabled = Map::new();
        for (name, mut service) in all {
            if selected.contains(&name) {
                if let Some(Value::Object(depends_on)) = service.get_mut("depends_on") {
                    depends_on.retain(|dependency, _| selected.contains(dependency));
                }
                enabled.insert(name, service);
            } else {
                self.disabled.insert(name, service);
            }
        }
        *self.services_mut()? = enabled;
        Ok(())
    }

    /// `WithoutUnnecessaryResources`: drops networks, volumes, secrets, configs and models no
    /// enabled service uses.
    pub fn drop_unused_resources(&mut self) {
        let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for service in self.services().values() {
            used.entry("networks")
                .or_default()
                .extend(keys(service.get("networks")));
            used.entry("volumes")
                .or_default()
                .extend(volume_sources(service));
            let mut secrets = sources(service.get("secrets"));
            if let Some(build) = service.get("build") {
                secrets.extend(sources(build.get("secrets")));
            }
            used.entry("secrets").or_default().extend(secrets);
            used.entry("configs")
                .or_default()
                .extend(sources(service.get("configs")));
            used.entry("models")
                .or_default()
                .extend(keys(service.get("models")));
        }
        let Some(map) = self.tree.as_object_mut() else {
            return;
        };
        for kind in ["networks", "volumes", "secrets", "configs", "models"] {
            let keep = used.remove(kind).unwrap_or_default();
            if let Some(Value::Object(resources)) = map.get_mut(kind) {
                resources.retain(|name, _| keep.contains(name));
                if resources.is_empty() {
                    map.shift_remove(kind);
                }
            }
        }
    }

    /// `CheckContainerNameUnicity`: two services may not set the same `container_name`.
    ///
    /// # Errors
    /// The second service that reuses a name.
    pub fn check_container_name_unicity(&self) -> Result<(), LoadError> {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let services = self.services();
        let mut names: Vec<&String> = services.keys().collect();
        names.sort();
        for name in names {
            if let Some(Value::String(container_name)) =
                services[name.as_str()].get("container_name")
            {
                if let Some(other) = seen.get(container_name) {
                    return Err(LoadError::ContainerNameInUse {
                        service: name.clone(),
                        name: container_name.clone(),
                        other: other.clone(),
                    });
                }
                seen.insert(container_name.clone(), name.clone());
            }
        }
        Ok(())
    }
}

/// `HasProfile`: no profiles, `*`, or a shared profile.
fn has_profile(service: &Value, active: &[String]) -> bool {
    let profiles = string_items(service.get("profiles"));
    profiles.is_empty()
        || active
            .iter()
            .any(|profile| profile == "*" || profiles.contains(profile))
}

fn string_items(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(item)) => vec![item.clone()],
        _ => Vec::new(),
    }
}

/// The keys of a mapping (or the items of a list), e.g. a service's networks.
fn keys(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `source` of each long-syntax entry (secrets, configs).
fn sources(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(source) => Some(source.clone()),
                Value::Object(map) => map.get("source").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The named volumes a service mounts.
fn volume_sources(service: &Value) -> Vec<String> {
    match service.get("volumes") {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("volume"))
            .filter_map(|item| item.get("source").and_then(Value::as_str))
            .filter(|source| !source.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A service's dependencies with their `required` flag.
fn depends_on(service: &Value) -> Vec<(String, bool)> {
    dependencies(service)
        .into_iter()
        .map(|dependency| (dependency.service, dependency.required))
        .collect()
}

/// A service's `depends_on` (canonical mapping form) as graph dependencies.
#[must_use]
pub fn dependencies(service: &Value) -> Vec<Dependency> {
    match service.get("depends_on") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, config)| Dependency {
                service: name.clone(),
                condition: match config.get("condition").and_then(Value::as_str) {
                    Some("service_healthy") => Condition::Healthy,
                    Some("service_completed_successfully") => Condition::CompletedSuccessfully,
                    _ => Condition::Started,
                },
                required: config
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                restart: config
                    .get("restart")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|name| Dependency {
                service: name.to_owned(),
                condition: Condition::Started,
                required: true,
                restart: false,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `environment` or `labels` in either form, as ordered key → optional value.
/// [`ProjectState::resolve_service_environment`] for a service without `env_file` whose
/// `environment` is a mapping, in place: the same entries in the same order, each value as Go
/// prints it, a null one taken from `environment` (null when unset), and the key moved last.
fn resolve_environment_map(service: &mut Map, environment: &Environment) {
    let Some(Value::Object(mut entries)) = service.shift_remove("environment") else {
        return;
    };
    if entries.is_empty() {
        return;
    }
    for (key, value) in &mut entries {
        match value {
            Value::String(_) => {}
            Value::Null => {
                if let Some(found) = environment.get(key) {
                    *value = Value::String(found.clone());
                }
            }
            other => *other = scalar_text(other).map_or(Value::Null, Value::String),
        }
    }
    service.insert("environment".to_owned(), Value::Object(entries));
}

fn env_entries(value: Option<&Value>) -> IndexMap<String, Option<String>> {
    let mut entries = IndexMap::new();
    match value {
        Some(Value::Object(map)) => {
            for (key, value) in map {
                entries.insert(key.clone(), scalar_text(value));
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let Some(text) = item.as_str() else { continue };
                match text.split_once('=') {
                    Some((key, value)) => entries.insert(key.to_owned(), Some(value.to_owned())),
                    None => entries.insert(text.to_owned(), None),
                };
            }
        }
        _ => {}
    }
    entries
}

/// A scalar as Go's `fmt.Sprint` prints it; `None` for null.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(crate::model::go_number(number)),
        other => Some(other.to_string()),
    }
}

/// An `env_file` entry: path, required, format.
fn env_file_entry(entry: &Value) -> (String, bool, Option<String>) {
    match entry {
        Value::String(path) => (path.clone(), true, None),
        Value::Object(map) => (
            map.get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            map.get("required").and_then(Value::as_bool).unwrap_or(true),
            map.get("format").and_then(Value::as_str).map(str::to_owned),
        ),
        _ => (String::new(), true, None),
    }
}

/// Go's `filepath.Match` for service-name patterns (`*`, `?`, `[...]`).
fn glob_match(pattern: &str, name: &str) -> bool {
    fn matches(pattern: &[char], name: &[char]) -> bool {
        match pattern.split_first() {
            None => name.is_empty(),
            Some(('*', rest)) => (0..=name.len()).any(|skip| matches(rest, &name[skip..])),
            Some(('?', rest)) => !name.is_empty() && matches(rest, &name[1..]),
            Some(('[', rest)) => {
                let Some(end) = rest.iter().position(|c| *c == ']') else {
                    return false;
                };
                let Some((first, name_rest)) = name.split_first() else {
                    return false;
                };
                let class = &rest[..end];
                let (negated, class) = match class.split_first() {
                    Some(('^', tail)) => (true, tail),
                    _ => (false, class),
                };
                let mut found = false;
                let mut index = 0;
                while index < class.len() {
                    if index + 2 < class.len() && class[index + 1] == '-' {
                        if class[index] <= *first && *first <= class[index + 2] {
                            found = true;
                        }
                        index += 3;
                    } else {
                        if class[index] == *first {
                            found = true;
                        }
                        index += 1;
                    }
                }
                found != negated && matches(&rest[end + 1..], name_rest)
            }
            Some(('\\', rest)) => match (rest.split_first(), name.split_first()) {
                (Some((escaped, rest)), Some((first, name_rest))) => {
                    escaped == first && matches(rest, name_rest)
                }
                _ => false,
            },
            Some((literal, rest)) => name.first() == Some(literal) && matches(rest, &name[1..]),
        }
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches(&pattern, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_patterns_match_as_go_filepath_match() {
        assert!(glob_match("web*", "web-1"));
        assert!(glob_match("w?b", "web"));
        assert!(glob_match("[a-c]pi", "api"));
        assert!(!glob_match("[^a-c]pi", "api"));
        assert!(!glob_match("web", "webs"));
    }

    #[test]
    fn profiles_split_services_and_naming_one_enables_its_profile() {
        let tree = serde_json::json!({
            "services": {
                "app": {"image": "a"},
                "debug": {"image": "d", "profiles": ["debug"]},
                "all": {"image": "x", "profiles": ["other"]}
            }
        });
        let mut state = ProjectState::new(tree, Vec::new()).expect("services is a mapping");
        assert!(state.disabled.contains_key("debug"));
        assert!(state.services().contains_key("app"));
        state
            .enable_services(&["debug".to_owned()])
            .expect("enables");
        assert!(state.services().contains_key("debug"));
        assert!(!state.services().contains_key("all"));
        let star = ProjectState::new(state.tree.clone(), vec!["*".to_owned()]).expect("ok");
        assert_eq!(star.services().len(), 2);
    }

    #[test]
    fn selecting_a_service_keeps_its_dependencies() {
        let tree = serde_json::json!({
            "services": {
                "web": {"image": "w", "depends_on": {"db": {"condition": "service_started", "required": true}}},
                "db": {"image": "d"},
                "other": {"image": "o", "depends_on": {"web": {"condition": "service_started", "required": true}}}
            }
        });
        let mut state = ProjectState::new(tree, Vec::new()).expect("ok");
        state
            .select_services(&["web".to_owned()])
            .expect("web exists");
        let names: Vec<&String> = state.services().keys().collect();
        assert_eq!(names.len(), 2);
        assert!(state.disabled.contains_key("other"));
        let error = state
            .select_services(&["nope".to_owned()])
            .expect_err("unknown");
        assert_eq!(error.to_string(), "no such service: nope");
    }

    #[test]
    fn duplicate_container_names_are_rejected() {
        let tree = serde_json::json!({
            "services": {
                "a": {"image": "x", "container_name": "cc"},
                "b": {"image": "x", "container_name": "cc"}
            }
        });
        let state = ProjectState::new(tree, Vec::new()).expect("ok");
        let error = state.check_container_name_unicity().expect_err("duplicate");
        assert_eq!(
            error.to_string(),
            "services.b: container name \"cc\" is already in use by service a\""
        );
    }
}
