//! The consistency check Compose runs on the finished project (compose-go `loader/validate.go`
//! `checkConsistency`): every service has an image or a build, every network, volume, secret,
//! config and model a service names is declared, attributes with two spellings agree, and so on.
//!
//! It reads the project tree in its final canonical shape, the one `docker compose config
//! --format json` prints (long-syntax volumes, `networks` maps, byte sizes as decimal strings).
//! Compose visits services in Go map order, so with several problems its message varies between
//! runs; berth visits them in sorted order. `depends_on` and dependency cycles are checked by
//! [`crate::graph`], not here.

use std::collections::HashMap;

use super::go_quote;
use crate::loader::tree::{Map, TreePath, Value};

/// A consistency error, with Compose's message (`: invalid compose project` where Compose adds it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConsistencyError {
    /// A service has no `image`, `build` or `provider`.
    #[error(
        "service {} has neither an image nor a build context specified: invalid compose project",
        go_quote(service)
    )]
    NoImageOrBuild {
        /// The service (`services.a`).
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// `build` sets both `dockerfile` and `dockerfile_inline`. (Compose's typo is kept.)
    #[error(
        "service {} declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project",
        go_quote(service)
    )]
    DockerfileAndInline {
        /// The `build` node.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// An additional build context `service:x` names a service that does not exist.
    #[error(
        "service {} declares unknown service {} as additional contexts {context}",
        go_quote(service),
        go_quote(target)
    )]
    UnknownContextService {
        /// The additional context entry.
        path: TreePath,
        /// The service name.
        service: String,
        /// The named service.
        target: String,
        /// The context's name.
        context: String,
    },
    /// An additional build context `service:x` names a service without `build`.
    #[error(
        "service {} declares non-buildable service {} as additional contexts {context}",
        go_quote(service),
        go_quote(target)
    )]
    NonBuildableContextService {
        /// The additional context entry.
        path: TreePath,
        /// The service name.
        service: String,
        /// The named service.
        target: String,
        /// The context's name.
        context: String,
    },
    /// `build.platforms` does not include the service's `platform`.
    #[error(
        "service.build.platforms MUST include service.platform {}: invalid compose project",
        go_quote(platform)
    )]
    PlatformNotBuilt {
        /// The `build.platforms` node.
        path: TreePath,
        /// The service's platform.
        platform: String,
    },
    /// A service sets both `network_mode` and `networks`.
    #[error(
        "service {service} declares mutually exclusive `network_mode` and `networks`: invalid compose project"
    )]
    NetworkModeWithNetworks {
        /// The `networks` node.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// A service names a resource the project does not declare.
    #[error(
        "service {} refers to undefined {kind} {name}: invalid compose project",
        go_quote(service)
    )]
    UndefinedResource {
        /// Where the service names it.
        path: TreePath,
        /// The service name.
        service: String,
        /// `network`, `volume`, `build secret`, `config`, `model` or `secret`.
        kind: &'static str,
        /// The resource's name.
        name: String,
    },
    /// `healthcheck.test` does not start with a known word.
    #[error(r#"healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE""#)]
    HealthcheckTest {
        /// The `healthcheck.test` node.
        path: TreePath,
    },
    /// `network_mode: service:x` names a service that does not exist. Compose names `x` twice.
    #[error(
        "service {} not found for network_mode 'service:{target}'",
        go_quote(target)
    )]
    NetworkModeServiceNotFound {
        /// The `network_mode` node.
        path: TreePath,
        /// The named service.
        target: String,
    },
    /// `scale` and `deploy.replicas` differ.
    #[error(
        "services.{service}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"
    )]
    ScaleAndReplicas {
        /// The service.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// `scale` is negative.
    #[error("services.{service}.scale: must be greater than or equal to 0")]
    NegativeScale {
        /// The `scale` node.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// `deploy.replicas` is negative.
    #[error("services.{service}.deploy.replicas: must be greater than or equal to 0")]
    NegativeReplicas {
        /// The `deploy.replicas` node.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// A service attribute and its `deploy.resources` twin differ (an unset twin counts as 0).
    #[error(
        "services.{service}: can't set distinct values on '{attribute}' and '{deploy_attribute}': invalid compose project"
    )]
    DistinctValues {
        /// The service.
        path: TreePath,
        /// The service name.
        service: String,
        /// `cpus`, `mem_limit`, `mem_reservation` or `pids_limit`.
        attribute: &'static str,
        /// The `deploy.resources` spelling, e.g. `deploy.resources.limits.cpus`.
        deploy_attribute: &'static str,
    },
    /// A fixed `container_name` with more than one replica. Compose swaps the attribute and the
    /// service name in this message; berth keeps that.
    #[error(
        "services.{attribute}: can't set container_name and {service} as container name must be unique: invalid compose project"
    )]
    ContainerNameWithReplicas {
        /// The `container_name` node.
        path: TreePath,
        /// The service name.
        service: String,
        /// `scale` or `deploy.replicas`.
        attribute: &'static str,
    },
    /// A watch rule whose action copies files has no `target`.
    #[error(
        "services.{service}.develop.watch: target is required for non-rebuild actions: invalid compose project"
    )]
    WatchTargetRequired {
        /// The watch rule.
        path: TreePath,
        /// The service name.
        service: String,
    },
    /// Two mounts (tmpfs or volumes) share a target.
    #[error("{location}: target {target} already mounted as {previous}")]
    DuplicateMount {
        /// The later mount.
        path: TreePath,
        /// The later mount as Compose writes it, `services.a.volumes[1]`.
        location: String,
        /// The shared target.
        target: String,
        /// The earlier mount, written the same way.
        previous: String,
    },
    /// A top-level secret that is not external has neither `file` nor `environment`.
    #[error(
        "secret {} must declare either `file` or `environment`: invalid compose project",
        go_quote(secret)
    )]
    SecretWithoutSource {
        /// The secret (`secrets.s`).
        path: TreePath,
        /// The secret's key.
        secret: String,
    },
}

impl ConsistencyError {
    /// The path of the offending node.
    #[must_use]
    pub fn path(&self) -> &TreePath {
        match self {
            Self::NoImageOrBuild { path, .. }
            | Self::DockerfileAndInline { path, .. }
            | Self::UnknownContextService { path, .. }
            | Self::NonBuildableContextService { path, .. }
            | Self::PlatformNotBuilt { path, .. }
            | Self::NetworkModeWithNetworks { path, .. }
            | Self::UndefinedResource { path, .. }
            | Self::HealthcheckTest { path }
            | Self::NetworkModeServiceNotFound { path, .. }
            | Self::ScaleAndReplicas { path, .. }
            | Self::NegativeScale { path, .. }
            | Self::NegativeReplicas { path, .. }
            | Self::DistinctValues { path, .. }
            | Self::ContainerNameWithReplicas { path, .. }
            | Self::WatchTargetRequired { path, .. }
            | Self::DuplicateMount { path, .. }
            | Self::SecretWithoutSource { path, .. } => path,
        }
    }
}

/// Checks the finished project the way Compose's `checkConsistency` does, services in sorted
/// order.
///
/// # Errors
///
/// The first inconsistency found, as [`ConsistencyError`].
pub fn check_consistency(project: &Value) -> Result<(), ConsistencyError> {
    let empty = Map::new();
    let services = mapping(project, "services").unwrap_or(&empty);
    let mut names: Vec<&String> = services.keys().collect();
    names.sort();
    for name in names {
        if let Some(Value::Object(service)) = services.get(name) {
            let checker = ServiceChecker {
                project,
                services,
                name,
                service,
                path: TreePath::keys(&["services", name]),
            };
            checker.check()?;
        }
    }
    check_secrets(project)
}

/// The checks of one service.
struct ServiceChecker<'project> {
    project: &'project Value,
    services: &'project Map,
    name: &'project str,
    service: &'project Map,
    path: TreePath,
}

impl ServiceChecker<'_> {
    fn check(&self) -> Result<(), ConsistencyError> {
        let build = self.service.get("build").filter(|build| !build.is_null());
        let provider = self
            .service
            .get("provider")
            .filter(|value| !value.is_null());
        if build.is_none() && self.text("image").is_empty() && provider.is_none() {
            return Err(ConsistencyError::NoImageOrBuild {
                path: self.path.clone(),
                service: self.name.to_owned(),
            });
        }
        if let Some(Value::Object(build)) = build {
            self.check_build(build)?;
        }
        self.check_networks()?;
        self.check_healthcheck()?;
        self.check_network_mode_service()?;
        self.check_references()?;
        self.check_replicas_and_resources()?;
        self.check_watch()?;
        self.check_mounts()
    }

    fn check_build(&self, build: &Map) -> Result<(), ConsistencyError> {
        let build_path = self.path.key("build");
        let text = |key: &str| build.get(key).and_then(Value::as_str).unwrap_or_default();
        if !text("dockerfile_inline").is_empty() && !text("dockerfile").is_empty() {
            return Err(ConsistencyError::DockerfileAndInline {
                path: build_path,
                service: self.name.to_owned(),
            });
        }
        for (context, value) in entries(build.get("additional_contexts")) {
            let Some(target) = value.strip_prefix("service:") else {
                continue;
            };
            let context_path = build_path.key("additional_contexts").key(&context);
            match self.services.get(target) {
                None => {
                    return Err(ConsistencyError::UnknownContextService {
                        path: context_path,
                        service: self.name.to_owned(),
                        target: target.to_owned(),
                        context,
                    });
                }
                Some(service) if service.get("build").is_none_or(Value::is_null) => {
                    return Err(ConsistencyError::NonBuildableContextService {
                        path: context_path,
                        service: self.name.to_owned(),
                        target: target.to_owned(),
                        context,
                    });
                }
                Some(_) => {}
            }
        }
        let platform = self.text("platform");
        if let Some(Value::Array(platforms)) = build.get("platforms")
            && !platforms.is_empty()
            && !platform.is_empty()
            && !platforms.iter().any(|item| item.as_str() == Some(platform))
        {
            return Err(ConsistencyError::PlatformNotBuilt {
                path: build_path.key("platforms"),
                platform: platform.to_owned(),
            });
        }
        Ok(())
    }

    fn check_networks(&self) -> Result<(), ConsistencyError> {
        let networks = names(self.service.get("networks"));
        if !self.text("network_mode").is_empty() && !networks.is_empty() {
            return Err(ConsistencyError::NetworkModeWithNetworks {
                path: self.path.key("networks"),
                service: self.name.to_owned(),
            });
        }
        for network in networks {
            if !self.declared("networks", &network) {
                return Err(self.undefined("network", network, self.path.key("networks")));
            }
        }
        Ok(())
    }

    fn check_healthcheck(&self) -> Result<(), ConsistencyError> {
        let test = self
            .service
            .get("healthcheck")
            .and_then(|healthcheck| healthcheck.get("test"));
        if let Some(Value::Array(test)) = test
            && let Some(first) = test.first()
            && !matches!(first.as_str(), Some("CMD" | "CMD-SHELL" | "NONE"))
        {
            return Err(ConsistencyError::HealthcheckTest {
                path: self.path.key("healthcheck").key("test"),
            });
        }
        Ok(())
    }

    fn check_network_mode_service(&self) -> Result<(), ConsistencyError> {
        if let Some(target) = self.text("network_mode").strip_prefix("service:")
            && !self.services.contains_key(target)
        {
            return Err(ConsistencyError::NetworkModeServiceNotFound {
                path: self.path.key("network_mode"),
                target: target.to_owned(),
            });
        }
        Ok(())
    }

    /// Volumes, build secrets, configs, models and secrets must be declared at the top level.
    fn check_references(&self) -> Result<(), ConsistencyError> {
        for (index, volume) in items(self.service.get("volumes")).enumerate() {
            let source = volume.get("source").and_then(Value::as_str).unwrap_or("");
            if volume.get("type").and_then(Value::as_str) == Some("volume")
                && !source.is_empty()
                && !self.declared("volumes", source)
            {
                let path = self.path.key("volumes").index(index);
                return Err(self.undefined("volume", source.to_owned(), path));
            }
        }
        let build_secrets = self
            .service
            .get("build")
            .and_then(|build| build.get("secrets"));
        self.check_file_references(
            build_secrets,
            "secrets",
            "build secret",
            &["build", "secrets"],
        )?;
        self.check_file_references(
            self.service.get("configs"),
            "configs",
            "config",
            &["configs"],
        )?;
        for model in names(self.service.get("models")) {
            if !self.declared("models", &model) {
                return Err(self.undefined("model", model, self.path.key("models")));
            }
        }
        self.check_file_references(
            self.service.get("secrets"),
            "secrets",
            "secret",
            &["secrets"],
        )
    }

    /// Secret and config references are `{source, …}` in canonical form, or bare names.
    fn check_file_references(
        &self,
        references: Option<&Value>,
        section: &str,
        kind: &'static str,
        keys: &[&str],
    ) -> Result<(), ConsistencyError> {
        let Some(Value::Array(references)) = references else {
            return Ok(());
        };
        for (index, reference) in references.iter().enumerate() {
            let source = match reference {
                Value::String(source) => source.as_str(),
                other => other.get("source").and_then(Value::as_str).unwrap_or(""),
            };
            if !self.declared(section, source) {
                let mut path = self.path.clone();
                for key in keys {
                    path = path.key(key);
                }
                return Err(self.undefined(kind, source.to_owned(), path.index(index)));
            }
        }
        Ok(())
    }

    fn check_replicas_and_resources(&self) -> Result<(), ConsistencyError> {
        let deploy = self
            .service
            .get("deploy")
            .filter(|deploy| deploy.is_object());
        let scale = self.service.get("scale").and_then(Value::as_i64);
        let mut replicas = deploy
            .and_then(|deploy| deploy.get("replicas"))
            .and_then(Value::as_i64);
        if let (Some(scale), Some(_)) = (scale, deploy) {
            if replicas.is_some_and(|replicas| replicas != scale) {
                return Err(ConsistencyError::ScaleAndReplicas {
                    path: self.path.clone(),
                    service: self.name.to_owned(),
                });
            }
            // Compose copies scale into deploy.replicas here.
            replicas = Some(scale);
        }
        if scale.is_some_and(|scale| scale < 0) {
            return Err(ConsistencyError::NegativeScale {
                path: self.path.key("scale"),
                service: self.name.to_owned(),
            });
        }
        if deploy.is_some() && replicas.is_some_and(|replicas| replicas < 0) {
            return Err(ConsistencyError::NegativeReplicas {
                path: self.path.key("deploy").key("replicas"),
                service: self.name.to_owned(),
            });
        }

        let resources = deploy.and_then(|deploy| deploy.get("resources"));
        let limits = resources.and_then(|resources| resources.get("limits"));
        let reservations = resources.and_then(|resources| resources.get("reservations"));
        // Compose compares cpus as float32.
        let as_cpus = |value: Option<&Value>| value.and_then(number).unwrap_or(0.0) as f32;
        let cpus = as_cpus(self.service.get("cpus"));
        if cpus != 0.0
            && deploy.is_some()
            && let Some(limits) = limits
            && as_cpus(limits.get("cpus")) != cpus
        {
            return Err(self.distinct("cpus", "deploy.resources.limits.cpus"));
        }
        let comparisons = [
            (
                "mem_limit",
                limits,
                "memory",
                "deploy.resources.limits.memory",
            ),
            (
                "mem_reservation",
                reservations,
                "memory",
                "deploy.resources.reservations.memory",
            ),
            ("pids_limit", limits, "pids", "deploy.resources.limits.pids"),
        ];
        for (attribute, section, key, deploy_attribute) in comparisons {
            let value = self.service.get(attribute).and_then(bytes).unwrap_or(0);
            if value != 0
                && deploy.is_some()
                && let Some(section) = section
                && section.get(key).and_then(bytes).unwrap_or(0) != value
            {
                return Err(self.distinct(attribute, deploy_attribute));
            }
        }

        let effective = scale.or(replicas).unwrap_or(1);
        if effective > 1 && !self.text("container_name").is_empty() {
            return Err(ConsistencyError::ContainerNameWithReplicas {
                path: self.path.key("container_name"),
                service: self.name.to_owned(),
                attribute: if scale.is_some() {
                    "scale"
                } else {
                    "deploy.replicas"
                },
            });
        }
        Ok(())
    }

    fn check_watch(&self) -> Result<(), ConsistencyError> {
        let watch = self
            .service
            .get("develop")
            .and_then(|develop| develop.get("watch"));
        for (index, rule) in items(watch).enumerate() {
            let target = rule.get("target").and_then(Value::as_str).unwrap_or("");
            let action = rule.get("action").and_then(Value::as_str).unwrap_or("");
            if target.is_empty() && action != "rebuild" && action != "restart" {
                return Err(ConsistencyError::WatchTargetRequired {
                    path: self.path.key("develop").key("watch").index(index),
                    service: self.name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// No two tmpfs mounts or volumes may share a target; tmpfs entries come first.
    fn check_mounts(&self) -> Result<(), ConsistencyError> {
        let mut mounts: HashMap<String, String> = HashMap::new();
        let tmpfs: Vec<&str> = match self.service.get("tmpfs") {
            Some(Value::String(entry)) => vec![entry.as_str()],
            Some(Value::Array(entries)) => entries.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let tmpfs_targets = tmpfs.into_iter().enumerate().map(|(index, entry)| {
            let target = entry.split_once(':').map_or(entry, |(target, _)| target);
            ("tmpfs", index, target.to_owned())
        });
        let volume_targets =
            items(self.service.get("volumes"))
                .enumerate()
                .map(|(index, volume)| {
                    let target = volume.get("target").and_then(Value::as_str).unwrap_or("");
                    ("volumes", index, target.to_owned())
                });
        for (section, index, target) in tmpfs_targets.chain(volume_targets) {
            let location = format!("services.{}.{section}[{index}]", self.name);
            if let Some(previous) = mounts.get(&target) {
                return Err(ConsistencyError::DuplicateMount {
                    path: self.path.key(section).index(index),
                    location,
                    target,
                    previous: previous.clone(),
                });
            }
            mounts.insert(target, location);
        }
        Ok(())
    }

    /// A string attribute of the service, empty when unset.
    fn text(&self, key: &str) -> &str {
        self.service
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Whether the project declares `name` in the top-level `section`.
    fn declared(&self, section: &str, name: &str) -> bool {
        mapping(self.project, section).is_some_and(|declared| declared.contains_key(name))
    }

    fn undefined(&self, kind: &'static str, name: String, path: TreePath) -> ConsistencyError {
        ConsistencyError::UndefinedResource {
            path,
            service: self.name.to_owned(),
            kind,
            name,
        }
    }

    fn distinct(
        &self,
        attribute: &'static str,
        deploy_attribute: &'static str,
    ) -> ConsistencyError {
        ConsistencyError::DistinctValues {
            path: self.path.clone(),
            service: self.name.to_owned(),
            attribute,
            deploy_attribute,
        }
    }
}

/// Top-level secrets that are not external need a source.
fn check_secrets(project: &Value) -> Result<(), ConsistencyError> {
    let Some(secrets) = mapping(project, "secrets") else {
        return Ok(());
    };
    let mut names: Vec<&String> = secrets.keys().collect();
    names.sort();
    for name in names {
        let secret = &secrets[name.as_str()];
        let text = |key: &str| secret.get(key).and_then(Value::as_str).unwrap_or("");
        if secret.get("external") == Some(&Value::Bool(true)) {
            continue;
        }
        if text("file").is_empty() && text("environment").is_empty() {
            return Err(ConsistencyError::SecretWithoutSource {
                path: TreePath::keys(&["secrets", name]),
                secret: name.clone(),
            });
        }
    }
    Ok(())
}

fn mapping<'tree>(tree: &'tree Value, key: &str) -> Option<&'tree Map> {
    tree.get(key).and_then(Value::as_object)
}

/// The names of a mapping (`networks: {a: null}`) or a list of names (`networks: [a]`), in
/// order.
fn names(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Object(object)) => object.keys().cloned().collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The items of a list node, or nothing.
fn items(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter())
        .into_iter()
        .flatten()
}

/// `key: value` pairs of a mapping, or of a `key=value` list.
fn entries(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Object(object)) => object
            .iter()
            .filter_map(|(key, value)| value.as_str().map(|value| (key.clone(), value.to_owned())))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|item| item.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A number given as a JSON number or a numeric string.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A byte size or count: a JSON number, a decimal string (the canonical form) or a size with a
/// binary unit such as `512m` (docker/go-units `RAMInBytes`).
fn bytes(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|float| float as i64)),
        Value::String(text) => parse_ram_in_bytes(text),
        _ => None,
    }
}

fn parse_ram_in_bytes(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: f64 = digits.parse().ok()?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let multiplier: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "p" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((amount * multiplier) as i64)
}

#[cfg(test)]
mod tests;
