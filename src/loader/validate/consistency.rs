//! Cross-reference checks on the bound project (compose-go `loader/validate.go`
//! `checkConsistency`), except `depends_on` and cycles, which the dependency graph checks.
//!
//! Compose walks services in Go map order and reports the first problem it meets, so with
//! several problems its message varies from run to run; berth walks services by name.

use std::collections::HashMap;

use crate::model::{Project, ServiceConfig};

/// A reference to something the project does not define, or two settings that contradict.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsistencyError {
    /// A service has nothing to run.
    #[error(
        "service {0:?} has neither an image nor a build context specified: invalid compose project"
    )]
    NoImage(String),
    /// `build.dockerfile` and `build.dockerfile_inline` are both set.
    #[error(
        "service {0:?} declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project"
    )]
    DockerfileConflict(String),
    /// `build.additional_contexts` names a `service:` that does not exist.
    #[error(
        "service {service:?} declares unknown service {target:?} as additional contexts {context}"
    )]
    UnknownContextService {
        /// The building service.
        service: String,
        /// The missing service.
        target: String,
        /// The context's name.
        context: String,
    },
    /// `build.additional_contexts` names a `service:` that has no `build`.
    #[error(
        "service {service:?} declares non-buildable service {target:?} as additional contexts {context}"
    )]
    NonBuildableContextService {
        /// The building service.
        service: String,
        /// The service without build.
        target: String,
        /// The context's name.
        context: String,
    },
    /// `platform` is not among `build.platforms`.
    #[error("service.build.platforms MUST include service.platform {0:?}: invalid compose project")]
    PlatformNotBuilt(String),
    /// `network_mode` and `networks` together.
    #[error(
        "service {0} declares mutually exclusive `network_mode` and `networks`: invalid compose project"
    )]
    NetworkModeAndNetworks(String),
    /// A service uses a network, volume, secret, config or model the project does not define.
    #[error("service {service:?} refers to undefined {kind} {name}: invalid compose project")]
    Undefined {
        /// The service.
        service: String,
        /// `network`, `volume`, `build secret`, `config`, `model` or `secret`.
        kind: &'static str,
        /// The missing resource.
        name: String,
    },
    /// `healthcheck.test` starts with something else than a known form.
    #[error("healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"")]
    HealthcheckTest,
    /// `network_mode: service:x` names a service that is not enabled.
    #[error("service {0:?} not found for network_mode 'service:{0}'")]
    NetworkModeService(String),
    /// `scale` and `deploy.replicas` differ.
    #[error(
        "services.{0}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"
    )]
    ScaleAndReplicas(String),
    /// A negative `scale`.
    #[error("services.{0}.scale: must be greater than or equal to 0")]
    NegativeScale(String),
    /// A negative `deploy.replicas`.
    #[error("services.{0}.deploy.replicas: must be greater than or equal to 0")]
    NegativeReplicas(String),
    /// A service-level resource differs from its `deploy.resources` twin.
    #[error(
        "services.{service}: can't set distinct values on '{field}' and '{deploy_field}': invalid compose project"
    )]
    DistinctValues {
        /// The service.
        service: String,
        /// `cpus`, `mem_limit`, `mem_reservation` or `pids_limit`.
        field: &'static str,
        /// The `deploy.resources` attribute.
        deploy_field: &'static str,
    },
    /// `container_name` with more than one replica (Compose swaps the two names in its text).
    #[error(
        "services.{attribute}: can't set container_name and {service} as container name must be unique: invalid compose project"
    )]
    ContainerNameWithScale {
        /// `scale` or `deploy.replicas`.
        attribute: &'static str,
        /// The service.
        service: String,
    },
    /// A watch rule without target whose action needs one.
    #[error(
        "services.{0}.develop.watch: target is required for non-rebuild actions: invalid compose project"
    )]
    WatchTarget(String),
    /// Two mounts at the same container path.
    #[error("{location}: target {target} already mounted as {first}")]
    TargetMounted {
        /// The second mount, e.g. `services.s.volumes[1]`.
        location: String,
        /// The container path.
        target: String,
        /// The first mount.
        first: String,
    },
    /// A non-external secret without source.
    #[error("secret {0:?} must declare either `file` or `environment`: invalid compose project")]
    SecretSource(String),
}

/// Checks the enabled services of `project` and its secrets.
///
/// # Errors
/// The first problem, services taken by name.
pub fn check_consistency(project: &Project) -> Result<(), ConsistencyError> {
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    for name in names {
        check_service(project, name, &project.services[name.as_str()])?;
    }
    let mut secrets: Vec<(&String, &crate::model::SecretConfig)> = project.secrets.iter().collect();
    secrets.sort_by(|a, b| a.0.cmp(b.0));
    for (name, secret) in secrets {
        if !secret.0.external && secret.0.file.is_empty() && secret.0.environment.is_empty() {
            return Err(ConsistencyError::SecretSource(name.clone()));
        }
    }
    Ok(())
}

fn undefined(service: &str, kind: &'static str, name: &str) -> ConsistencyError {
    ConsistencyError::Undefined {
        service: service.to_owned(),
        kind,
        name: name.to_owned(),
    }
}

fn check_service(
    project: &Project,
    name: &str,
    service: &ServiceConfig,
) -> Result<(), ConsistencyError> {
    if service.build.is_none() && service.image.is_empty() && service.provider.is_none() {
        return Err(ConsistencyError::NoImage(name.to_owned()));
    }
    if let Some(build) = &service.build {
        if !build.dockerfile_inline.is_empty() && !build.dockerfile.is_empty() {
            return Err(ConsistencyError::DockerfileConflict(name.to_owned()));
        }
        for (context, value) in &build.additional_contexts.0 {
            if let Some(target) = value.strip_prefix("service:") {
                match project.services.get(target) {
                    None => {
                        return Err(ConsistencyError::UnknownContextService {
                            service: name.to_owned(),
                            target: target.to_owned(),
                            context: context.clone(),
                        });
                    }
                    Some(other) if other.build.is_none() => {
                        return Err(ConsistencyError::NonBuildableContextService {
                            service: name.to_owned(),
                            target: target.to_owned(),
                            context: context.clone(),
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        if !build.platforms.0.is_empty()
            && !service.platform.is_empty()
            && !build.platforms.0.contains(&service.platform)
        {
            return Err(ConsistencyError::PlatformNotBuilt(service.platform.clone()));
        }
    }
    if !service.network_mode.is_empty() && !service.networks.is_empty() {
        return Err(ConsistencyError::NetworkModeAndNetworks(name.to_owned()));
    }
    for network in service.networks.keys() {
        if !project.networks.contains_key(network) {
            return Err(undefined(name, "network", network));
        }
    }
    if let Some(healthcheck) = &service.healthcheck
        && let Some(first) = healthcheck.test.0.first()
        && !matches!(first.as_str(), "CMD" | "CMD-SHELL" | "NONE")
    {
        return Err(ConsistencyError::HealthcheckTest);
    }
    if let Some(target) = service.network_mode.strip_prefix("service:")
        && !project.services.contains_key(target)
    {
        return Err(ConsistencyError::NetworkModeService(target.to_owned()));
    }
    for volume in &service.volumes {
        if volume.volume_type == "volume"
            && !volume.source.is_empty()
            && !project.volumes.contains_key(&volume.source)
        {
            return Err(undefined(name, "volume", &volume.source));
        }
    }
    if let Some(build) = &service.build {
        for secret in &build.secrets {
            if !project.secrets.contains_key(&secret.source) {
                return Err(undefined(name, "build secret", &secret.source));
            }
        }
    }
    for config in &service.configs {
        if !project.configs.contains_key(&config.source) {
            return Err(undefined(name, "config", &config.source));
        }
    }
    for model in service.models.keys() {
        if !project.models.contains_key(model) {
            return Err(undefined(name, "model", model));
        }
    }
    for secret in &service.secrets {
        if !project.secrets.contains_key(&secret.source) {
            return Err(undefined(name, "secret", &secret.source));
        }
    }
    let replicas = service.deploy.as_ref().and_then(|deploy| deploy.replicas);
    if let (Some(scale), Some(deploy_replicas)) = (service.scale, replicas)
        && scale != deploy_replicas
    {
        return Err(ConsistencyError::ScaleAndReplicas(name.to_owned()));
    }
    if service.scale.is_some_and(|scale| scale < 0) {
        return Err(ConsistencyError::NegativeScale(name.to_owned()));
    }
    let effective_replicas = service.scale.or(replicas);
    if service.scale.is_none() && replicas.is_some_and(|replicas| replicas < 0) {
        return Err(ConsistencyError::NegativeReplicas(name.to_owned()));
    }
    check_resources(name, service)?;
    if effective_replicas.unwrap_or(1) > 1 && !service.container_name.is_empty() {
        return Err(ConsistencyError::ContainerNameWithScale {
            attribute: if service.scale.is_some() {
                "scale"
            } else {
                "deploy.replicas"
            },
            service: name.to_owned(),
        });
    }
    if let Some(develop) = &service.develop {
        for trigger in &develop.watch {
            if trigger.target.is_empty()
                && trigger.action != "rebuild"
                && trigger.action != "restart"
            {
                return Err(ConsistencyError::WatchTarget(name.to_owned()));
            }
        }
    }
    check_mounts(name, service)
}

fn check_resources(name: &str, service: &ServiceConfig) -> Result<(), ConsistencyError> {
    let Some(deploy) = &service.deploy else {
        return Ok(());
    };
    let distinct = |field, deploy_field| ConsistencyError::DistinctValues {
        service: name.to_owned(),
        field,
        deploy_field,
    };
    let limits = deploy.resources.limits.as_ref();
    let reservations = deploy.resources.reservations.as_ref();
    if service.cpus != 0.0
        && let Some(limits) = limits
        && limits.cpus.0.to_bits() != service.cpus.to_bits()
    {
        return Err(distinct("cpus", "deploy.resources.limits.cpus"));
    }
    if service.mem_limit.0 != 0
        && limits.is_some_and(|limits| limits.memory.0 != service.mem_limit.0)
    {
        return Err(distinct("mem_limit", "deploy.resources.limits.memory"));
    }
    if service.mem_reservation.0 != 0
        && reservations
            .is_some_and(|reservations| reservations.memory.0 != service.mem_reservation.0)
    {
        return Err(distinct(
            "mem_reservation",
            "deploy.resources.reservations.memory",
        ));
    }
    if service.pids_limit != 0 && limits.is_some_and(|limits| limits.pids != service.pids_limit) {
        return Err(distinct("pids_limit", "deploy.resources.limits.pids"));
    }
    Ok(())
}

fn check_mounts(name: &str, service: &ServiceConfig) -> Result<(), ConsistencyError> {
    let mut mounts: HashMap<String, String> = HashMap::new();
    for (index, tmpfs) in service.tmpfs.0.iter().enumerate() {
        let location = format!("services.{name}.tmpfs[{index}]");
        let path = tmpfs
            .split_once(':')
            .map_or(tmpfs.as_str(), |(path, _)| path);
        if let Some(first) = mounts.get(path) {
            return Err(ConsistencyError::TargetMounted {
                location,
                target: path.to_owned(),
                first: first.clone(),
            });
        }
        mounts.insert(path.to_owned(), location);
    }
    for (index, volume) in service.volumes.iter().enumerate() {
        let location = format!("services.{name}.volumes[{index}]");
        if let Some(first) = mounts.get(&volume.target) {
            return Err(ConsistencyError::TargetMounted {
                location,
                target: volume.target.clone(),
                first: first.clone(),
            });
        }
        mounts.insert(volume.target.clone(), location);
    }
    Ok(())
}
