//! The whole project (`Project`): services and the top-level resources they use.

use indexmap::IndexMap;

use super::ModelError;
use super::codec::{Decode, Encode, Errors, FieldPath, Mode, sorted_value};
use super::mapping::Extensions;
use super::network::NetworkConfig;
use super::secret::{ConfigObjConfig, ModelConfig, SecretConfig};
use super::service::ServiceConfig;
use super::volume::VolumeConfig;
use crate::loader::tree::{Map, Value};

/// A loaded Compose project, as compose-go's `types.Project`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// Project name.
    pub name: String,
    /// Services by name, in source order.
    pub services: IndexMap<String, ServiceConfig>,
    /// Networks by key.
    pub networks: IndexMap<String, NetworkConfig>,
    /// Volumes by key.
    pub volumes: IndexMap<String, VolumeConfig>,
    /// Secrets by key.
    pub secrets: IndexMap<String, SecretConfig>,
    /// Configs by key.
    pub configs: IndexMap<String, ConfigObjConfig>,
    /// Models by key.
    pub models: IndexMap<String, ModelConfig>,
    /// Top-level `x-*` keys.
    pub extensions: Extensions,
}

impl Project {
    /// Binds the loader's finished tree to the model. Each service's `name` comes from its key.
    ///
    /// # Errors
    /// [`ModelError::Decode`] listing every attribute Compose would fail to decode, sorted.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        Self::from_tree(&value)
    }

    /// [`Project::from_value`] on a borrowed tree.
    ///
    /// # Errors
    /// As [`Project::from_value`].
    pub fn from_tree(value: &Value) -> Result<Self, ModelError> {
        let mut errors = Errors::default();
        let root = FieldPath::root();
        let mut project = Self::default();
        if let Value::Object(map) = value {
            for (key, item) in map {
                let path = root.field(key);
                match key.as_str() {
                    "name" => project.name = String::decode(item, &path, &mut errors),
                    "services" => project.services = decode_services(item, &path, &mut errors),
                    "networks" => project.networks = Decode::decode(item, &path, &mut errors),
                    "volumes" => project.volumes = Decode::decode(item, &path, &mut errors),
                    "secrets" => project.secrets = Decode::decode(item, &path, &mut errors),
                    "configs" => project.configs = Decode::decode(item, &path, &mut errors),
                    "models" => project.models = Decode::decode(item, &path, &mut errors),
                    _ if key.starts_with("x-") => {
                        project.extensions.insert(key.clone(), item.clone());
                    }
                    _ => {}
                }
            }
        }
        if errors.0.is_empty() {
            Ok(project)
        } else {
            let mut errors = errors.0;
            errors.sort_by_cached_key(ToString::to_string);
            Err(ModelError::Decode { errors })
        }
    }

    /// What `docker compose config --format json` prints, as a tree: keys sorted as Go prints a
    /// map, top-level `x-*` kept, nested `x-*` dropped, models left out.
    #[must_use]
    pub fn to_json_value(&self) -> Value {
        let mode = Mode::Json;
        let mut entries: Vec<(String, Value)> = vec![
            ("name".to_owned(), Value::String(self.name.clone())),
            ("services".to_owned(), self.services.encode(mode)),
        ];
        let mut optional = |key: &str, value: Value, empty: bool| {
            if !empty {
                entries.push((key.to_owned(), value));
            }
        };
        optional(
            "networks",
            self.networks.encode(mode),
            self.networks.is_empty(),
        );
        optional(
            "volumes",
            self.volumes.encode(mode),
            self.volumes.is_empty(),
        );
        optional(
            "secrets",
            self.secrets.encode(mode),
            self.secrets.is_empty(),
        );
        optional(
            "configs",
            self.configs.encode(mode),
            self.configs.is_empty(),
        );
        for (key, item) in &self.extensions {
            entries.push((key.clone(), sorted_value(item)));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Value::Object(entries.into_iter().collect())
    }

    /// What `docker compose config` prints as YAML, as a tree: struct order, nested `x-*` kept,
    /// models printed.
    #[must_use]
    pub fn to_yaml_value(&self) -> Value {
        let mode = Mode::Yaml;
        let mut map = Map::new();
        if !self.name.is_empty() {
            map.insert("name".to_owned(), Value::String(self.name.clone()));
        }
        map.insert("services".to_owned(), self.services.encode(mode));
        if !self.networks.is_empty() {
            map.insert("networks".to_owned(), self.networks.encode(mode));
        }
        if !self.volumes.is_empty() {
            map.insert("volumes".to_owned(), self.volumes.encode(mode));
        }
        if !self.secrets.is_empty() {
            map.insert("secrets".to_owned(), self.secrets.encode(mode));
        }
        if !self.configs.is_empty() {
            map.insert("configs".to_owned(), self.configs.encode(mode));
        }
        if !self.models.is_empty() {
            map.insert("models".to_owned(), self.models.encode(mode));
        }
        let mut extensions: Vec<(&String, &Value)> = self.extensions.iter().collect();
        extensions.sort_by(|a, b| a.0.cmp(b.0));
        for (key, item) in extensions {
            map.insert(key.clone(), sorted_value(item));
        }
        Value::Object(map)
    }

    /// Whether Compose can print this project as JSON: a `build.ssh` entry with a path makes
    /// `config --format json` fail.
    ///
    /// # Errors
    /// [`ModelError::SshKeyJson`].
    pub fn check_json_output(&self) -> Result<(), ModelError> {
        let broken = self.services.values().any(|service| {
            service
                .build
                .as_ref()
                .is_some_and(|build| build.ssh.breaks_json())
        });
        if broken {
            Err(ModelError::SshKeyJson)
        } else {
            Ok(())
        }
    }
}

/// Decodes `services`, giving each service the name of its key (compose-go's `nameServices`).
fn decode_services(
    value: &Value,
    path: &FieldPath<'_>,
    errors: &mut Errors,
) -> IndexMap<String, ServiceConfig> {
    let mut services: IndexMap<String, ServiceConfig> = Decode::decode(value, path, errors);
    for (name, service) in &mut services {
        service.name.clone_from(name);
    }
    services
}
