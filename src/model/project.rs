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
use crate::output;

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

    /// The YAML `config` prints: the text `output::yaml(&self.to_yaml_value(), 2)` gives,
    /// written straight from the model, without building the tree in between (on a large
    /// project that tree cost as much as the printing).
    #[must_use]
    pub fn to_yaml(&self) -> String {
        const INDENT: usize = 2;
        let mut out = String::with_capacity(256 * (self.services.len() + 1));
        if !self.name.is_empty() {
            output::write_yaml_key(&mut out, "name", 0);
            self.name.write_yaml(&mut out, INDENT, 0);
        }
        output::write_yaml_key(&mut out, "services", 0);
        self.services.write_yaml(&mut out, INDENT, 0);
        write_resources(&mut out, "networks", &self.networks, INDENT);
        write_resources(&mut out, "volumes", &self.volumes, INDENT);
        write_resources(&mut out, "secrets", &self.secrets, INDENT);
        write_resources(&mut out, "configs", &self.configs, INDENT);
        write_resources(&mut out, "models", &self.models, INDENT);
        let mut extensions: Vec<(&String, &Value)> = self.extensions.iter().collect();
        extensions.sort_by(|a, b| a.0.cmp(b.0));
        for (key, item) in extensions {
            output::write_yaml_key(&mut out, key, 0);
            output::write_yaml_child(&mut out, &sorted_value(item), INDENT, 0);
        }
        out
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

/// A top-level resource section of [`Project::to_yaml`], left out when empty.
fn write_resources<T: Encode>(
    out: &mut String,
    key: &str,
    map: &IndexMap<String, T>,
    indent: usize,
) {
    if !map.is_empty() {
        output::write_yaml_key(out, key, 0);
        map.write_yaml(out, indent, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model");

    /// Every recorded oracle output: (file, fixture with `config`, `yaml` and `hashes`).
    pub(crate) fn fixtures() -> Vec<(String, Value)> {
        let mut found = Vec::new();
        for group in [
            "compose-cases",
            "awesome-compose",
            "scalars",
            "full-example",
        ] {
            let directory = format!("{FIXTURES}/{group}");
            let mut files: Vec<_> = std::fs::read_dir(&directory)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                found.push((
                    file.display().to_string(),
                    serde_json::from_str(&text).unwrap(),
                ));
            }
        }
        assert!(found.len() > 90, "fixtures missing: {}", found.len());
        found
    }

    #[test]
    fn json_output_round_trips_every_oracle_fixture() {
        let mut failures = Vec::new();
        for (file, fixture) in fixtures() {
            let expected = fixture["config"].clone();
            let project = Project::from_value(expected.clone()).unwrap();
            let printed = project.to_json_value();
            if printed != expected {
                failures.push(format!("{file}\nexpected: {expected}\nprinted:  {printed}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn yaml_output_round_trips_every_oracle_fixture() {
        let mut failures = Vec::new();
        for (file, fixture) in fixtures() {
            // The YAML printer drops nothing the JSON printer keeps except top-level models, so
            // decoding the JSON and printing YAML must give the oracle's YAML (minus models and
            // nested x-* keys, which JSON lost).
            let project = Project::from_value(fixture["yaml"].clone()).unwrap();
            let printed = project.to_yaml_value();
            if printed != fixture["yaml"] {
                failures.push(format!(
                    "{file}\nexpected: {}\nprinted:  {printed}",
                    fixture["yaml"]
                ));
            }
            // The text written straight from the model is the text of the tree.
            let text = project.to_yaml();
            let from_tree = output::yaml(&printed, 2);
            if text != from_tree {
                failures.push(format!(
                    "{file}\nfrom the tree:\n{from_tree}\nstreamed:\n{text}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    fn fixture(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}/scalars/{name}.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn unformatted_scalars_decode_to_what_compose_prints() {
        // The loader hands over YAML scalars as written; the oracle's output for the same files
        // (tests/fixtures/model/scalars/*.yaml) is the expectation.
        let tree = serde_json::json!({
            "name": "scalars",
            "services": {
                "a": {
                    "image": "busybox",
                    "stop_grace_period": "90s",
                    "healthcheck": {
                        "test": "curl -f http://localhost/?a=1&b=<x>",
                        "interval": "1h", "timeout": "1.5s", "retries": 3,
                        "start_period": "100us", "start_interval": "2d"
                    },
                    "deploy": {
                        "update_config": {
                            "parallelism": 2, "delay": "10s", "monitor": "1m30s",
                            "max_failure_ratio": 0.3, "order": "start-first"
                        },
                        "rollback_config": {"parallelism": 0},
                        "restart_policy": {
                            "condition": "on-failure", "delay": "5s", "max_attempts": 3,
                            "window": "120s"
                        }
                    },
                    "networks": {"default": null},
                    "command": null, "entrypoint": null
                }
            }
        });
        let project = Project::from_value(tree).unwrap();
        let expected = &fixture("durations")["config"]["services"]["a"];
        assert_eq!(&project.to_json_value()["services"]["a"], expected);
    }

    #[test]
    fn byte_sizes_cpus_and_modes_decode_from_yaml_scalars() {
        let tree = serde_json::json!({
            "services": {
                "e": {
                    "image": "busybox", "mem_limit": "0.5g", "pids_limit": -1, "cpus": 1.1,
                    "cpu_percent": 12, "networks": {"default": null}
                },
                "a": {
                    "image": "busybox",
                    "secrets": [{"source": "s", "target": "/run/s", "uid": "103", "gid": "103", "mode": "0440"}],
                    "configs": [{"source": "c", "mode": 288}],
                    "ulimits": {"nproc": 65535, "nofile": {"soft": 20000, "hard": 40000}},
                    "extra_hosts": {"somehost": "162.242.195.82", "multi": ["10.0.0.1", "10.0.0.2"]},
                    "sysctls": {"net.core.somaxconn": 1024},
                    "tmpfs": "/run",
                    "expose": [3000, "8000-8010"]
                }
            }
        });
        let project = Project::from_value(tree).unwrap();
        let printed = project.to_json_value();
        let bytes = fixture("bytes");
        assert_eq!(printed["services"]["e"], bytes["config"]["services"]["e"]);
        let files = &fixture("files")["config"]["services"]["a"];
        let service = &printed["services"]["a"];
        assert_eq!(service["secrets"][0], files["secrets"][0]);
        assert_eq!(service["configs"][0], files["configs"][0]);
        assert_eq!(service["ulimits"]["nofile"], files["ulimits"]["nofile"]);
        assert_eq!(service["ulimits"]["nproc"], files["ulimits"]["nproc"]);
        assert_eq!(
            service["extra_hosts"],
            serde_json::json!([
                "multi=10.0.0.1",
                "multi=10.0.0.2",
                "somehost=162.242.195.82"
            ])
        );
        assert_eq!(
            service["sysctls"]["net.core.somaxconn"],
            files["sysctls"]["net.core.somaxconn"]
        );
        assert_eq!(service["tmpfs"], files["tmpfs"]);
        assert_eq!(service["expose"], files["expose"]);
    }

    #[test]
    fn bad_scalars_fail_with_composes_sorted_message() {
        // `docker compose config` on /tmp/model/e1.yaml printed exactly this.
        let tree = serde_json::json!({
            "services": {"a": {
                "image": "busybox",
                "mem_limit": "12zb",
                "stop_grace_period": "10x",
                "deploy": {"resources": {"limits": {"cpus": "abc"}}},
                "secrets": [{"source": "s", "mode": "99"}]
            }}
        });
        let error = Project::from_value(tree).unwrap_err();
        assert_eq!(
            error.to_string(),
            "decoding failed due to the following error(s):\n\n\
             'services[a].deploy.resources.limits.cpus' strconv.ParseFloat: parsing \"abc\": invalid syntax\n\
             'services[a].mem_limit' invalid suffix: 'zb'\n\
             'services[a].secrets[0].mode' strconv.ParseInt: parsing \"99\": invalid syntax\n\
             'services[a].stop_grace_period' time: unknown unit \"x\" in duration \"10x\""
        );
        let ModelError::Decode { errors } = error else {
            panic!("not a decode error")
        };
        assert_eq!(
            errors[1].path,
            crate::loader::tree::TreePath::keys(&["services", "a", "mem_limit"])
        );
    }

    #[test]
    fn device_count_error_matches_compose() {
        let tree = serde_json::json!({"services": {"a": {"gpus": [{"count": "foo"}]}}});
        assert_eq!(
            Project::from_value(tree).unwrap_err().to_string(),
            "decoding failed due to the following error(s):\n\n\
             'services[a].gpus[0].count' invalid value \"foo\", the only value allowed is 'all' or a number"
        );
    }

    #[test]
    fn ssh_key_with_path_breaks_json_output() {
        let tree = serde_json::json!({"services": {"a": {"build": {"context": ".", "ssh": {"key": "/id_rsa"}}}}});
        let project = Project::from_value(tree).unwrap();
        assert_eq!(project.check_json_output(), Err(ModelError::SshKeyJson));
        assert_eq!(
            project.to_yaml_value()["services"]["a"]["build"]["ssh"],
            serde_json::json!(["key: /id_rsa"])
        );
    }

    #[test]
    fn nested_extensions_are_kept_in_yaml_only() {
        let tree = serde_json::json!({
            "services": {"a": {"image": "x", "x-nested": 1}},
            "x-top": {"b": 1, "a": 2}
        });
        let project = Project::from_value(tree).unwrap();
        assert!(
            project.to_json_value()["services"]["a"]
                .get("x-nested")
                .is_none()
        );
        assert_eq!(
            project.to_json_value()["x-top"],
            serde_json::json!({"a": 2, "b": 1})
        );
        assert_eq!(project.to_yaml_value()["services"]["a"]["x-nested"], 1);
    }
}
