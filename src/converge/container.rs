//! From a service to what the Engine API creates: the container, network and volume specs, as
//! Docker Compose v2.40.3 builds them (`pkg/compose/create.go`): the same names, labels, mounts,
//! endpoints and host settings, so that a container berth creates is indistinguishable from one
//! Compose creates, and each tool adopts the other's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use berth_engine::models::{
    ContainerCreateBody, ContainerSummary, DeviceMapping, DeviceRequest, EndpointIpamConfig,
    EndpointSettings, HealthConfig, HostConfig, HostConfigLogConfig, Ipam, IpamConfig, Mount,
    MountBindOptions, MountTmpfsOptions, MountVolumeOptions, NetworkCreateRequest,
    NetworkingConfig, PortBinding, PortMap, ResourcesBlkioWeightDevice, ResourcesUlimits,
    RestartPolicy, ThrottleDevice, VolumeCreateRequest,
};
use berth_engine::{ContainerSpec, FileInjection, NetworkSpec, VolumeSpec, labels};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::model::{
    Encode, FileObjectConfig, Mode, NetworkConfig, Project, ServiceConfig, ServiceNetworkConfig,
    ServiceVolumeConfig, VolumeConfig,
};

/// A service attribute the Engine API cannot take as written.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A value that does not parse (an address, a security option, a seccomp profile…).
    #[error("service \"{service}\": {message}")]
    Invalid {
        /// The service.
        service: String,
        /// What is wrong, in Compose's words where it has some.
        message: String,
    },
}

/// What the specs need to know about the project beyond its model.
#[derive(Debug, Clone, Copy)]
pub struct ProjectContext<'a> {
    /// The project.
    pub project: &'a Project,
    /// The project directory (the `working_dir` label; relative seccomp profiles).
    pub working_dir: &'a Path,
    /// The compose files (the `config_files` label).
    pub config_files: &'a [String],
    /// `--env-file` files, only when given explicitly (the `environment_file` label).
    pub env_files: Option<&'a [PathBuf]>,
}

/// A one-off (`run`) container's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOff {
    /// The 64-hex slug (`com.docker.compose.slug`).
    pub slug: String,
    /// Join the service's networks under its aliases too (`run --use-aliases`).
    pub use_aliases: bool,
}

/// One container of a service, as the planner decided it.
#[derive(Debug, Clone)]
pub struct ReplicaContext<'a> {
    /// The name it is created under (the final name, or the temporary one of a recreation).
    pub name: String,
    /// Replica number (0 for one-offs).
    pub number: u32,
    /// The config hash label.
    pub config_hash: &'a str,
    /// Local image ID for the `image` label (empty when unknown).
    pub image_id: &'a str,
    /// `<service>-<n>` of the container this one replaces.
    pub replace: Option<String>,
    /// Set for `run` containers.
    pub one_off: Option<OneOff>,
    /// Service name → the container its `service:` references (`network_mode`, `ipc`, `pid`,
    /// `volumes_from`) resolve to: Compose uses the full ID of the service's first container, and
    /// the config hash label depends on it (see [`hash_for_up`]).
    pub containers: &'a HashMap<String, String>,
    /// Service name → the names of all its containers, which `links` point at (Compose links
    /// every replica of a linked service, by name).
    pub linked: &'a HashMap<String, Vec<String>>,
    /// On recreation: the replaced container, whose anonymous volumes are taken over.
    pub inherit_anonymous_volumes_from: Option<&'a ContainerSummary>,
}

fn invalid(service: &ServiceConfig, message: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        service: service.name.clone(),
        message: message.into(),
    }
}

fn some_vec<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn some_string(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn some_map<I: IntoIterator<Item = (String, String)>>(items: I) -> Option<HashMap<String, String>> {
    let map: HashMap<String, String> = items.into_iter().collect();
    (!map.is_empty()).then_some(map)
}

/// One of bollard's string enums from its wire spelling.
fn wire<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// The separator-joined default name of replica `number`, or `container_name`.
fn default_name(project: &Project, service: &ServiceConfig, number: u32) -> String {
    if service.container_name.is_empty() {
        format!("{}-{}-{number}", project.name, service.name)
    } else {
        service.container_name.clone()
    }
}

/// The labels Compose puts on every container of the project, before the per-container ones.
fn project_labels(
    context: &ProjectContext<'_>,
    service: &ServiceConfig,
) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = service
        .labels
        .0
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    map.insert(labels::PROJECT.to_owned(), context.project.name.clone());
    map.insert(labels::SERVICE.to_owned(), service.name.clone());
    map.insert(
        labels::VERSION.to_owned(),
        labels::COMPOSE_VERSION.to_owned(),
    );
    map.insert(
        labels::WORKING_DIR.to_owned(),
        context.working_dir.display().to_string(),
    );
    map.insert(
        labels::CONFIG_FILES.to_owned(),
        context.config_files.join(","),
    );
    if let Some(files) = context.env_files {
        let files: Vec<String> = files
            .iter()
            .map(|file| file.display().to_string())
            .collect();
        map.insert(labels::ENVIRONMENT_FILE.to_owned(), files.join(","));
    }
    map
}

/// The container spec of one replica.
///
/// # Errors
/// A value the Engine API cannot take (a malformed address, security option or seccomp file).
pub fn container_spec(
    context: &ProjectContext<'_>,
    service: &ServiceConfig,
    replica: &ReplicaContext<'_>,
) -> Result<ContainerSpec, SpecError> {
    let project = context.project;
    let resolved = resolve_service_references(service, replica.containers)?;
    let service = &resolved;
    let mut labels_map = project_labels(context, service);
    labels_map.insert(
        labels::CONFIG_HASH.to_owned(),
        replica.config_hash.to_owned(),
    );
    match &replica.one_off {
        Some(one_off) => {
            labels_map.insert(labels::ONEOFF.to_owned(), "True".to_owned());
            labels_map.insert(labels::SLUG.to_owned(), one_off.slug.clone());
        }
        None => {
            labels_map.insert(labels::ONEOFF.to_owned(), "False".to_owned());
            labels_map.insert(
                labels::CONTAINER_NUMBER.to_owned(),
                replica.number.to_string(),
            );
        }
    }
    let dependencies: Vec<String> = service
        .depends_on
        .iter()
        .map(|(name, dependency)| format!("{name}:{}:{}", dependency.condition, dependency.restart))
        .collect();
    labels_map.insert(labels::DEPENDS_ON.to_owned(), dependencies.join(","));
    if !replica.image_id.is_empty() {
        labels_map.insert(labels::IMAGE.to_owned(), replica.image_id.to_owned());
    }
    if let Some(replace) = &replica.replace {
        labels_map.insert(labels::REPLACE.to_owned(), replace.clone());
    }

    let env: Vec<String> = service
        .environment
        .0
        .iter()
        .map(|(key, value)| match value {
            Some(value) => format!("{key}={value}"),
            None => key.clone(),
        })
        .collect();

    let (exposed_ports, port_bindings) = ports(service)?;
    let (binds, mounts, files) = volumes(context, service, replica)?;
    let links = links(project, service, replica);
    let (network_mode, networking, extra_networks) = networks(project, service, replica, &links)?;
    let (security_opt, unconfined) = security_options(context, service)?;

    let healthcheck = service.healthcheck.as_ref().map(|check| {
        let test = if check.disable {
            vec!["NONE".to_owned()]
        } else {
            check.test.0.clone()
        };
        HealthConfig {
            test: some_vec(test),
            interval: Some(check.interval.map_or(0, |d| d.0)),
            timeout: Some(check.timeout.map_or(0, |d| d.0)),
            retries: Some(
                check
                    .retries
                    .map_or(0, |r| i64::try_from(r).unwrap_or(i64::MAX)),
            ),
            start_period: Some(check.start_period.map_or(0, |d| d.0)),
            start_interval: check.start_interval.map(|d| d.0),
        }
    });
    if let Some(check) = &service.healthcheck
        && check.start_interval.is_some()
        && check.start_period.is_none()
    {
        return Err(invalid(
            service,
            "healthcheck.start_interval requires healthcheck.start_period to be set",
        ));
    }

    let mut dns = Vec::new();
    for server in &service.dns.0 {
        if server.parse::<std::net::IpAddr>().is_err() {
            return Err(invalid(
                service,
                format!("invalid DNS address: ParseAddr({server:?}): unable to parse IP"),
            ));
        }
        dns.push(server.clone());
    }

    let tmpfs: HashMap<String, String> = service
        .tmpfs
        .0
        .iter()
        .map(|entry| {
            let (path, options) = entry.split_once(':').unwrap_or((entry, ""));
            (path.to_owned(), options.to_owned())
        })
        .collect();

    let extra_hosts: Vec<String> = service
        .extra_hosts
        .0
        .iter()
        .flat_map(|(host, addresses)| addresses.iter().map(move |ip| format!("{host}:{ip}")))
        .collect();

    let log_config = service.logging.as_ref().map(|logging| HostConfigLogConfig {
        typ: Some(logging.driver.clone()),
        config: some_map(logging.options.0.clone()),
    });

    let resolve_namespace = |mode: &str| -> Option<String> {
        if mode.is_empty() {
            return None;
        }
        Some(match mode.strip_prefix("service:") {
            Some(name) => format!("container:{}", target_container(replica, name)),
            None => mode.to_owned(),
        })
    };

    let mut host_config = HostConfig {
        annotations: some_map(service.annotations.0.clone()),
        binds: some_vec(binds),
        mounts: some_vec(mounts),
        cap_add: some_vec(capabilities(&service.cap_add)),
        cap_drop: some_vec(capabilities(&service.cap_drop)),
        network_mode: Some(network_mode),
        init: service.init,
        ipc_mode: resolve_namespace(&service.ipc),
        cgroupns_mode: (!service.cgroup.is_empty())
            .then(|| wire(&service.cgroup))
            .flatten(),
        readonly_rootfs: Some(service.read_only),
        restart_policy: Some(restart_policy(service)),
        shm_size: (service.shm_size.0 != 0).then_some(service.shm_size.0),
        sysctls: some_map(service.sysctls.0.clone()),
        // Compose always sends these two, empty or not; the daemon shows `{}` and `[]`.
        port_bindings: Some(port_bindings),
        volume_driver: some_string(&service.volume_driver),
        volumes_from: some_vec(service.volumes_from.clone()),
        dns: some_vec(dns),
        dns_search: some_vec(service.dns_search.0.clone()),
        dns_options: some_vec(service.dns_opt.clone()),
        extra_hosts: Some(extra_hosts),
        security_opt: some_vec(security_opt),
        storage_opt: some_map(service.storage_opt.clone()),
        userns_mode: some_string(&service.userns_mode),
        uts_mode: some_string(&service.uts),
        privileged: Some(service.privileged),
        pid_mode: resolve_namespace(&service.pid),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        isolation: (!service.isolation.is_empty())
            .then(|| wire(&service.isolation))
            .flatten(),
        runtime: some_string(&service.runtime),
        log_config,
        group_add: some_vec(service.group_add.clone()),
        links: some_vec(links.clone()),
        oom_score_adj: (service.oom_score_adj != 0).then_some(service.oom_score_adj),
        ..HostConfig::default()
    };
    resources(service, &mut host_config);
    if unconfined {
        host_config.masked_paths = Some(Vec::new());
        host_config.readonly_paths = Some(Vec::new());
    }

    let body = ContainerCreateBody {
        hostname: some_string(&service.hostname),
        domainname: some_string(&service.domainname),
        user: some_string(&service.user),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        exposed_ports: some_vec(exposed_ports),
        tty: Some(service.tty),
        open_stdin: Some(service.stdin_open),
        stdin_once: Some(false),
        env: some_vec(env),
        cmd: service.command.0.clone(),
        healthcheck,
        image: Some(crate::cli::up::image_reference(project, service)),
        working_dir: some_string(&service.working_dir),
        entrypoint: service.entrypoint.0.clone(),
        network_disabled: Some(service.network_mode == "disabled"),
        labels: Some(labels_map),
        stop_signal: some_string(&service.stop_signal),
        stop_timeout: service
            .stop_grace_period
            .map(|period| period.0 / 1_000_000_000),
        host_config: Some(host_config),
        networking_config: networking,
        ..ContainerCreateBody::default()
    };
    Ok(ContainerSpec {
        name: replica.name.clone(),
        body,
        extra_networks,
        files,
        platform: service.platform.clone(),
    })
}

/// The service as Compose's `up` creates and hashes it (`convergence.resolveServiceReferences`):
/// `volumes_from` entries become container IDs (a service's first container; `container:x` gives
/// `x`; the access mode is dropped, as Compose drops it), and `service:x` in `network_mode`, `ipc`
/// and `pid` becomes `container:<id>`. `containers` maps a service to the container its references
/// resolve to; Compose uses the container's full ID.
///
/// # Errors
/// A referenced service without a container, in Compose's words.
pub fn resolve_service_references(
    service: &ServiceConfig,
    containers: &HashMap<String, String>,
) -> Result<ServiceConfig, SpecError> {
    let mut resolved = service.clone();
    for source in &mut resolved.volumes_from {
        let mut parts = source.split(':');
        let first = parts.next().unwrap_or_default();
        *source = if first == "container" {
            parts.next().unwrap_or_default().to_owned()
        } else {
            containers.get(first).cloned().ok_or_else(|| {
                invalid(
                    service,
                    format!("cannot share volume with service {first}: container missing"),
                )
            })?
        };
    }
    for (mode, what) in [
        (&mut resolved.network_mode, "network"),
        (&mut resolved.ipc, "IPC"),
        (&mut resolved.pid, "PID"),
    ] {
        if let Some(name) = mode.strip_prefix("service:") {
            let container = containers.get(name).ok_or_else(|| {
                invalid(
                    service,
                    format!("cannot share {what} namespace with service {name}: container missing"),
                )
            })?;
            *mode = format!("container:{container}");
        }
    }
    Ok(resolved)
}

/// The `com.docker.compose.config-hash` label `up` writes: the hash of the service after
/// [`resolve_service_references`], so for a service with `service:` references it depends on the
/// referenced containers' IDs and differs from `config --hash`. References to services without a
/// container in `containers` are hashed unresolved.
#[must_use]
pub fn hash_for_up(service: &ServiceConfig, containers: &HashMap<String, String>) -> String {
    let refers = !service.volumes_from.is_empty()
        || [&service.network_mode, &service.ipc, &service.pid]
            .iter()
            .any(|mode| mode.starts_with("service:"));
    if !refers {
        // Nothing to resolve: no copy of the service to hash.
        return super::hash::service_hash(service);
    }
    match resolve_service_references(service, containers) {
        Ok(resolved) => super::hash::service_hash(&resolved),
        Err(_) => super::hash::service_hash(service),
    }
}

/// The container a `service:` reference (or a bare service name) resolves to.
fn target_container<'a>(replica: &'a ReplicaContext<'_>, service: &'a str) -> &'a str {
    replica
        .containers
        .get(service)
        .map_or(service, String::as_str)
}

/// Exposed port keys and the port bindings by key.
type Ports = (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>);

/// Exposed ports (`80/tcp` from `ports`, `expose` entries as written) and port bindings.
fn ports(service: &ServiceConfig) -> Result<Ports, SpecError> {
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: PortMap = HashMap::new();
    for port in &service.ports {
        let protocol = if port.protocol.is_empty() {
            "tcp"
        } else {
            &port.protocol
        };
        let key = format!("{}/{protocol}", port.target);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        if !port.host_ip.is_empty() && port.host_ip.parse::<std::net::IpAddr>().is_err() {
            return Err(invalid(
                service,
                format!("ParseAddr({:?}): unable to parse IP", port.host_ip),
            ));
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: some_string(&port.host_ip),
                host_port: Some(port.published.clone()),
            });
    }
    // `expose` entries are keys as written: Compose neither expands ranges nor adds `/tcp`, and
    // the daemon keeps them so.
    for entry in &service.expose.0 {
        if !exposed.contains(entry) {
            exposed.push(entry.clone());
        }
    }
    Ok((exposed, bindings))
}

fn restart_policy(service: &ServiceConfig) -> RestartPolicy {
    let mode = |condition: &str| -> Option<berth_engine::models::RestartPolicyNameEnum> {
        let name = match condition {
            "none" | "no" => "no",
            "any" | "always" => "always",
            other => other,
        };
        wire(name)
    };
    let mut policy = RestartPolicy {
        name: Some(berth_engine::models::RestartPolicyNameEnum::EMPTY),
        maximum_retry_count: Some(0),
    };
    if !service.restart.is_empty() {
        let (name, attempts) = service
            .restart
            .split_once(':')
            .unwrap_or((&service.restart, "0"));
        policy = RestartPolicy {
            name: mode(name),
            maximum_retry_count: Some(attempts.parse().unwrap_or(0)),
        };
    }
    if let Some(restart) = service
        .deploy
        .as_ref()
        .and_then(|deploy| deploy.restart_policy.as_ref())
    {
        policy = RestartPolicy {
            name: mode(&restart.condition),
            maximum_retry_count: Some(
                restart
                    .max_attempts
                    .map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX)),
            ),
        };
    }
    policy
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "Go converts float32 CPUs the same way"
)]
fn resources(service: &ServiceConfig, host: &mut HostConfig) {
    host.cgroup_parent = some_string(&service.cgroup_parent);
    host.memory = (service.mem_limit.0 != 0).then_some(service.mem_limit.0);
    host.memory_swap = (service.memswap_limit.0 != 0).then_some(service.memswap_limit.0);
    host.memory_swappiness = (service.mem_swappiness.0 != 0).then_some(service.mem_swappiness.0);
    host.memory_reservation = (service.mem_reservation.0 != 0).then_some(service.mem_reservation.0);
    host.oom_kill_disable = Some(service.oom_kill_disable);
    host.cpu_count = (service.cpu_count != 0).then_some(service.cpu_count);
    host.cpu_period = (service.cpu_period != 0).then_some(service.cpu_period);
    host.cpu_quota = (service.cpu_quota != 0).then_some(service.cpu_quota);
    host.cpu_realtime_period = (service.cpu_rt_period != 0).then_some(service.cpu_rt_period);
    host.cpu_realtime_runtime = (service.cpu_rt_runtime != 0).then_some(service.cpu_rt_runtime);
    host.cpu_shares = (service.cpu_shares != 0).then_some(service.cpu_shares);
    // Go multiplies the float32 by an untyped constant in float32 arithmetic: `cpus: 1.3` gives
    // 1300000000, not the 1299999952 that widening to f64 first would give.
    let nano = (service.cpus * 1e9_f32) as i64;
    host.nano_cpus = (nano != 0).then_some(nano);
    let percent = (service.cpu_percent * 100_f32) as i64;
    host.cpu_percent = (percent != 0).then_some(percent);
    host.cpuset_cpus = some_string(&service.cpuset);
    host.device_cgroup_rules = some_vec(service.device_cgroup_rules.clone());
    host.pids_limit = (service.pids_limit != 0).then_some(service.pids_limit);
    if let Some(blkio) = &service.blkio_config {
        host.blkio_weight = (blkio.weight != 0).then_some(blkio.weight);
        host.blkio_weight_device = some_vec(
            blkio
                .weight_device
                .iter()
                .map(|device| ResourcesBlkioWeightDevice {
                    path: Some(device.path.clone()),
                    weight: Some(usize::from(device.weight)),
                })
                .collect(),
        );
        let throttle = |devices: &[crate::model::service::ThrottleDevice]| {
            some_vec(
                devices
                    .iter()
                    .map(|device| ThrottleDevice {
                        path: Some(device.path.clone()),
                        rate: Some(device.rate.0),
                    })
                    .collect(),
            )
        };
        host.blkio_device_read_bps = throttle(&blkio.device_read_bps);
        host.blkio_device_read_iops = throttle(&blkio.device_read_iops);
        host.blkio_device_write_bps = throttle(&blkio.device_write_bps);
        host.blkio_device_write_iops = throttle(&blkio.device_write_iops);
    }
    let mut device_requests = Vec::new();
    if let Some(deploy) = &service.deploy {
        if let Some(limits) = &deploy.resources.limits {
            if limits.memory.0 != 0 {
                host.memory = Some(limits.memory.0);
            }
            let nano = (limits.cpus.0 * 1e9_f32) as i64;
            if nano != 0 {
                host.nano_cpus = Some(nano);
            }
            if limits.pids > 0 {
                host.pids_limit = Some(limits.pids);
            }
        }
        if let Some(reservations) = &deploy.resources.reservations {
            if reservations.memory.0 != 0 {
                host.memory_reservation = Some(reservations.memory.0);
            }
            for device in &reservations.devices {
                device_requests.push(DeviceRequest {
                    driver: some_string(&device.driver),
                    count: Some(device.count.0),
                    device_ids: some_vec(device.device_ids.clone()),
                    capabilities: Some(vec![device.capabilities.clone()]),
                    options: some_map(device.options.0.clone()),
                });
            }
        }
    }
    let mut devices = Vec::new();
    let mut cdi = Vec::new();
    for device in &service.devices {
        // A fully qualified CDI name (`vendor.com/class=name`) goes through a device request.
        if device.source == device.target
            && device.source.contains('=')
            && device.source.contains('/')
        {
            cdi.push(device.source.clone());
            continue;
        }
        devices.push(DeviceMapping {
            path_on_host: Some(device.source.clone()),
            path_in_container: Some(device.target.clone()),
            cgroup_permissions: Some(device.permissions.clone()),
        });
    }
    if !cdi.is_empty() {
        device_requests.push(DeviceRequest {
            driver: Some("cdi".to_owned()),
            device_ids: Some(cdi),
            ..DeviceRequest::default()
        });
    }
    for gpus in &service.gpus {
        let mut capabilities = gpus.capabilities.clone();
        capabilities.push("gpu".to_owned());
        device_requests.push(DeviceRequest {
            driver: some_string(&gpus.driver),
            count: Some(gpus.count.0),
            device_ids: some_vec(gpus.device_ids.clone()),
            capabilities: Some(vec![capabilities]),
            options: some_map(gpus.options.0.clone()),
        });
    }
    host.devices = some_vec(devices);
    host.device_requests = some_vec(device_requests);
    host.ulimits = some_vec(
        service
            .ulimits
            .iter()
            .map(|(name, limit)| ResourcesUlimits {
                name: Some(name.clone()),
                soft: Some(if limit.soft != 0 {
                    limit.soft
                } else {
                    limit.single
                }),
                hard: Some(if limit.hard != 0 {
                    limit.hard
                } else {
                    limit.single
                }),
            })
            .collect(),
    );
}

/// `security_opt` as Compose passes it: seccomp profiles read and compacted, and
/// `systempaths=unconfined` turned into empty masked and read-only path lists.
fn security_options(
    context: &ProjectContext<'_>,
    service: &ServiceConfig,
) -> Result<(Vec<String>, bool), SpecError> {
    let mut parsed = Vec::new();
    let mut unconfined = false;
    for option in &service.security_opt {
        if option == "systempaths=unconfined" {
            unconfined = true;
            continue;
        }
        let (key, value) = match option.split_once('=') {
            Some(pair) => pair,
            None if option == "no-new-privileges" => (option.as_str(), ""),
            None => option
                .split_once(':')
                .ok_or_else(|| invalid(service, format!("invalid security-opt: {option:?}")))?,
        };
        if key == "seccomp" && value != "unconfined" && value != "builtin" {
            let path = context.working_dir.join(value);
            let text = std::fs::read_to_string(&path).map_err(|error| {
                invalid(
                    service,
                    format!("opening seccomp profile ({value}) failed: {error}"),
                )
            })?;
            serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|error| {
                invalid(
                    service,
                    format!("compacting json for seccomp profile ({value}) failed: {error}"),
                )
            })?;
            parsed.push(format!("seccomp={}", compact_json(&text)));
        } else {
            parsed.push(option.clone());
        }
    }
    Ok((parsed, unconfined))
}

/// Valid JSON without the whitespace between tokens, as Go's `json.Compact` leaves it: keys in
/// their order, numbers and escapes as written.
fn compact_json(text: &str) -> String {
    let mut compact = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for character in text.chars() {
        if in_string {
            compact.push(character);
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
        } else if character == '"' {
            in_string = true;
            compact.push(character);
        } else if !matches!(character, ' ' | '\t' | '\n' | '\r') {
            compact.push(character);
        }
    }
    compact
}

/// Capabilities as Docker's Go client sends them (`normalizeCapabilities`): upper case, with the
/// `CAP_` prefix, except `ALL`.
fn capabilities(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let name = name.to_uppercase();
            if name == "ALL" || name.starts_with("CAP_") {
                name
            } else {
                format!("CAP_{name}")
            }
        })
        .collect()
}

/// Legacy links, as Compose writes them (`container:alias`, `container:service-N`,
/// `container:project-service-N`), and external links.
fn links(project: &Project, service: &ServiceConfig, replica: &ReplicaContext<'_>) -> Vec<String> {
    let mut links = Vec::new();
    for link in &service.links {
        let (name, alias) = link.split_once(':').unwrap_or((link, link));
        for container in replica.linked.get(name).into_iter().flatten() {
            links.push(format!("{container}:{alias}"));
            links.push(format!("{container}:{name}-{}", replica.number));
            links.push(format!(
                "{container}:{}-{name}-{}",
                project.name, replica.number
            ));
        }
    }
    for link in &service.external_links {
        let (name, alias) = link.split_once(':').unwrap_or((link, link));
        links.push(format!("{name}:{alias}"));
    }
    links
}

/// The service's networks, highest priority first, then by name.
fn networks_by_priority(service: &ServiceConfig) -> Vec<&String> {
    let mut keys: Vec<&String> = service.networks.keys().collect();
    keys.sort_by(|a, b| {
        let priority = |key: &String| {
            service.networks[key.as_str()]
                .as_ref()
                .map_or(0, |network| network.priority)
        };
        priority(b).cmp(&priority(a)).then(a.cmp(b))
    });
    keys
}

type NetworkSettings = (
    String,
    Option<NetworkingConfig>,
    Vec<(String, EndpointSettings)>,
);

fn networks(
    project: &Project,
    service: &ServiceConfig,
    replica: &ReplicaContext<'_>,
    links: &[String],
) -> Result<NetworkSettings, SpecError> {
    if !service.network_mode.is_empty() {
        let mode = match service.network_mode.strip_prefix("service:") {
            Some(name) => format!("container:{}", target_container(replica, name)),
            None => service.network_mode.clone(),
        };
        return Ok((mode, None, Vec::new()));
    }
    if project.networks.is_empty() {
        return Ok(("none".to_owned(), None, Vec::new()));
    }
    let ordered = networks_by_priority(service);
    let (primary, rest) = match ordered.split_first() {
        Some((primary, rest)) => ((*primary).clone(), rest.to_vec()),
        None => ("default".to_owned(), Vec::new()),
    };
    let name_of = |key: &str| {
        project
            .networks
            .get(key)
            .map_or_else(|| key.to_owned(), |network| network.name.clone())
    };
    let mut primary_endpoint = endpoint(project, service, replica, &primary, links)?;
    if primary_endpoint.mac_address.is_none() {
        primary_endpoint.mac_address = some_string(&service.mac_address);
    }
    let primary_name = name_of(&primary);
    let config = NetworkingConfig {
        endpoints_config: Some(HashMap::from([(primary_name.clone(), primary_endpoint)])),
    };
    let mut extra = Vec::new();
    for key in rest {
        extra.push((
            name_of(key),
            endpoint(project, service, replica, key, links)?,
        ));
    }
    Ok((primary_name, Some(config), extra))
}

fn endpoint(
    project: &Project,
    service: &ServiceConfig,
    replica: &ReplicaContext<'_>,
    key: &str,
    links: &[String],
) -> Result<EndpointSettings, SpecError> {
    let config: Option<&ServiceNetworkConfig> = service.networks.get(key).and_then(Option::as_ref);
    let mut aliases = vec![default_name(project, service, replica.number)];
    if replica
        .one_off
        .as_ref()
        .is_none_or(|one_off| one_off.use_aliases)
    {
        aliases.push(service.name.clone());
        if let Some(config) = config {
            aliases.extend(config.aliases.iter().cloned());
        }
    }
    let mut settings = EndpointSettings {
        aliases: Some(aliases),
        links: some_vec(links.to_vec()),
        ..EndpointSettings::default()
    };
    if let Some(config) = config {
        for (address, what) in [
            (&config.ipv4_address, "IPv4"),
            (&config.ipv6_address, "IPv6"),
        ] {
            if !address.is_empty() && address.parse::<std::net::IpAddr>().is_err() {
                return Err(invalid(
                    service,
                    format!("invalid {what} address: ParseAddr({address:?}): unable to parse IP"),
                ));
            }
        }
        // Compose always sends an IPAM block for a configured network, and copies the addresses
        // into `IPAddress` and (a quirk it has) `IPv6Gateway`.
        settings.ipam_config = Some(EndpointIpamConfig {
            ipv4_address: some_string(&config.ipv4_address),
            ipv6_address: some_string(&config.ipv6_address),
            link_local_ips: some_vec(config.link_local_ips.clone()),
        });
        settings.ip_address = some_string(&config.ipv4_address);
        settings.ipv6_gateway = some_string(&config.ipv6_address);
        settings.mac_address = some_string(&config.mac_address);
        let mut driver_opts: HashMap<String, String> =
            config.driver_opts.0.clone().into_iter().collect();
        if !config.interface_name.is_empty() {
            driver_opts.insert(
                "com.docker.network.endpoint.ifname".to_owned(),
                config.interface_name.clone(),
            );
        }
        settings.driver_opts = (!driver_opts.is_empty()).then_some(driver_opts);
        settings.gw_priority = (config.gw_priority != 0).then_some(i64::from(config.gw_priority));
    }
    Ok(settings)
}

type Volumes = (Vec<String>, Vec<Mount>, Vec<FileInjection>);

/// Binds, mounts and injected files: service volumes (with the bind-string form where Compose uses
/// it), inherited anonymous volumes, secrets and configs.
fn volumes(
    context: &ProjectContext<'_>,
    service: &ServiceConfig,
    replica: &ReplicaContext<'_>,
) -> Result<Volumes, SpecError> {
    let project = context.project;
    let mut binds = Vec::new();
    let mut mounts: Vec<Mount> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    // Compose takes over the replaced container's mount at the target of an anonymous volume as
    // it was (type, volume name or host path, access), without the service's options.
    let inherited: HashMap<String, Mount> = replica
        .inherit_anonymous_volumes_from
        .and_then(|container| container.mounts.as_ref())
        .map(|points| {
            points
                .iter()
                .filter_map(|point| {
                    let kind = serde_json::to_value(point.typ.as_ref()?).ok()?;
                    let kind = kind.as_str()?.to_owned();
                    if kind == "tmpfs" {
                        return None;
                    }
                    let source = if kind == "volume" {
                        point.name.clone()
                    } else {
                        point.source.clone()
                    };
                    let target = point.destination.clone()?;
                    Some((
                        target.clone(),
                        Mount {
                            typ: wire(&kind),
                            source,
                            target: Some(target),
                            read_only: Some(!point.rw.unwrap_or(true)),
                            ..Mount::default()
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();

    for volume in &service.volumes {
        targets.push(volume.target.clone());
        match volume.volume_type.as_str() {
            "bind" => {
                let source = absolute(context.working_dir, &volume.source);
                if bind_requires_mount_api(volume) {
                    mounts.push(mount(volume, "bind", &source));
                } else {
                    binds.push(bind_string(&source, volume));
                }
            }
            _ if volume.source.is_empty() && inherited.contains_key(&volume.target) => {
                mounts.push(inherited[&volume.target].clone());
            }
            "volume" if volume.source.is_empty() => mounts.push(mount(volume, "volume", "")),
            "volume" => match project.volumes.get(&volume.source) {
                Some(declared) if !volume_requires_mount_api(volume) => {
                    binds.push(bind_string(&declared.name, volume));
                }
                Some(declared) => mounts.push(mount(volume, "volume", &declared.name)),
                None => mounts.push(mount(volume, "volume", &volume.source)),
            },
            "image" => {
                return Err(invalid(
                    service,
                    "volumes of type `image` require Docker Engine API 1.47 or later",
                ));
            }
            kind => mounts.push(mount(volume, kind, &volume.source)),
        }
    }
    if service.use_api_socket
        && !targets
            .iter()
            .any(|target| target == "/var/run/docker.sock")
    {
        binds.push("/var/run/docker.sock:/var/run/docker.sock:rw".to_owned());
    }

    let mut files = Vec::new();
    for (reference, secret) in service.secrets.iter().filter_map(|reference| {
        project
            .secrets
            .get(&reference.source)
            .map(|secret| (reference, &secret.0))
    }) {
        let target = file_target("/run/secrets/", &reference.source, &reference.target);
        check_file_object(service, secret, "secrets")?;
        if !secret.environment.is_empty() || !secret.content.is_empty() {
            if let Some(file) = injection(service, "secret", &target, secret, reference)? {
                files.push(file);
            }
        } else if !targets.contains(&target) {
            targets.push(target.clone());
            mounts.push(read_only_bind(
                &absolute(context.working_dir, &secret.file),
                &target,
                true,
            ));
        }
    }
    for (reference, config) in service.configs.iter().filter_map(|reference| {
        project
            .configs
            .get(&reference.source)
            .map(|config| (reference, &config.0))
    }) {
        let target = file_target("/", &reference.source, &reference.target);
        check_file_object(service, config, "configs")?;
        if !config.environment.is_empty() || !config.content.is_empty() {
            if let Some(file) = injection(service, "config", &target, config, reference)? {
                files.push(file);
            }
        } else if !targets.contains(&target) {
            targets.push(target.clone());
            mounts.push(read_only_bind(
                &absolute(context.working_dir, &config.file),
                &target,
                false,
            ));
        }
    }
    Ok((binds, mounts, files))
}

fn check_file_object(
    service: &ServiceConfig,
    object: &FileObjectConfig,
    kind: &str,
) -> Result<(), SpecError> {
    if object.external {
        let singular = kind.trim_end_matches('s');
        return Err(invalid(
            service,
            format!("unsupported external {singular} {}", object.name),
        ));
    }
    if !object.driver.is_empty() {
        return Err(invalid(
            service,
            format!("Docker Compose does not support {kind}.*.driver"),
        ));
    }
    if !object.template_driver.is_empty() {
        return Err(invalid(
            service,
            format!("Docker Compose does not support {kind}.*.template_driver"),
        ));
    }
    Ok(())
}

fn file_target(base: &str, source: &str, target: &str) -> String {
    if target.is_empty() {
        format!("{base}{source}")
    } else if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("{base}{target}")
    }
}

/// The file Compose copies into the container for a secret or config whose content comes from
/// the environment or the file itself (`secrets.go`): none when the content is empty, an error in
/// a read-only container.
fn injection(
    service: &ServiceConfig,
    kind: &str,
    target: &str,
    object: &FileObjectConfig,
    reference: &crate::model::service::FileReferenceConfig,
) -> Result<Option<FileInjection>, SpecError> {
    if object.content.is_empty() {
        return Ok(None);
    }
    if service.read_only {
        return Err(invalid(
            service,
            format!(
                "cannot create {kind} {:?} in read-only service {}: `file` is the sole supported option",
                object.name, service.name
            ),
        ));
    }
    let id = |text: &str| text.parse::<u64>().unwrap_or(0);
    Ok(Some(FileInjection {
        path: target.to_owned(),
        content: object.content.clone().into_bytes(),
        mode: reference
            .mode
            .map_or(0o444, |mode| u32::try_from(mode.0).unwrap_or(0o444)),
        uid: id(&reference.uid),
        gid: id(&reference.gid),
    }))
}

fn absolute(working_dir: &Path, source: &str) -> String {
    if source.starts_with('/') {
        source.to_owned()
    } else {
        working_dir.join(source).display().to_string()
    }
}

/// The read-only bind of a secret or config file. Compose gives secrets bind options (no host
/// path created) and configs none.
fn read_only_bind(source: &str, target: &str, with_options: bool) -> Mount {
    Mount {
        typ: wire("bind"),
        source: Some(source.to_owned()),
        target: Some(target.to_owned()),
        read_only: Some(true),
        bind_options: with_options.then(|| MountBindOptions {
            create_mountpoint: Some(false),
            ..MountBindOptions::default()
        }),
        ..Mount::default()
    }
}

fn bind_requires_mount_api(volume: &ServiceVolumeConfig) -> bool {
    volume.bind.as_ref().is_some_and(|bind| {
        !bind.create_host_path || !bind.propagation.is_empty() || !bind.recursive.is_empty()
    })
}

fn volume_requires_mount_api(volume: &ServiceVolumeConfig) -> bool {
    volume.volume.as_ref().is_some_and(|options| {
        !options.labels.0.is_empty() || !options.subpath.is_empty() || options.nocopy
    })
}

/// `source:target:rw[,selinux][,propagation][,nocopy]`.
fn bind_string(source: &str, volume: &ServiceVolumeConfig) -> String {
    let mut options = vec![if volume.read_only { "ro" } else { "rw" }.to_owned()];
    if let Some(bind) = &volume.bind {
        if !bind.selinux.is_empty() {
            options.push(bind.selinux.clone());
        }
        if !bind.propagation.is_empty() {
            options.push(bind.propagation.clone());
        }
    }
    if volume.volume.as_ref().is_some_and(|options| options.nocopy) {
        options.push("nocopy".to_owned());
    }
    format!("{source}:{}:{}", volume.target, options.join(","))
}

fn mount(volume: &ServiceVolumeConfig, kind: &str, source: &str) -> Mount {
    let bind_options = (kind == "bind").then(|| {
        let bind = volume.bind.clone().unwrap_or_default();
        MountBindOptions {
            propagation: (!bind.propagation.is_empty())
                .then(|| wire(&bind.propagation))
                .flatten(),
            create_mountpoint: Some(bind.create_host_path),
            non_recursive: (bind.recursive == "disabled").then_some(true),
            read_only_non_recursive: (bind.recursive == "writable").then_some(true),
            read_only_force_recursive: (bind.recursive == "readonly").then_some(true),
        }
    });
    let volume_options = if kind == "volume" {
        volume.volume.as_ref().map(|options| MountVolumeOptions {
            no_copy: Some(options.nocopy),
            labels: some_map(options.labels.0.clone()),
            subpath: some_string(&options.subpath),
            ..MountVolumeOptions::default()
        })
    } else {
        None
    };
    let tmpfs_options = if kind == "tmpfs" {
        volume.tmpfs.as_ref().map(|options| MountTmpfsOptions {
            size_bytes: (options.size.0 != 0).then_some(options.size.0),
            mode: (options.mode != 0).then_some(i64::from(options.mode)),
            ..MountTmpfsOptions::default()
        })
    } else {
        None
    };
    Mount {
        typ: wire(kind),
        source: some_string(source),
        target: Some(volume.target.clone()),
        read_only: Some(volume.read_only),
        consistency: some_string(&volume.consistency),
        bind_options,
        volume_options,
        tmpfs_options,
        ..Mount::default()
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The engine name of network `key`: its `name` (set by the loader to `<project>_<key>` unless
/// given or external).
#[must_use]
pub fn network_name(context: &ProjectContext<'_>, key: &str) -> String {
    context.project.networks.get(key).map_or_else(
        || format!("{}_{key}", context.project.name),
        |network| network.name.clone(),
    )
}

/// The engine name of volume `key`.
#[must_use]
pub fn volume_name(context: &ProjectContext<'_>, key: &str) -> String {
    context.project.volumes.get(key).map_or_else(
        || format!("{}_{key}", context.project.name),
        |volume| volume.name.clone(),
    )
}

/// The network to create for `key`, labelled as Compose labels it (with its config hash).
#[must_use]
pub fn network_spec(
    context: &ProjectContext<'_>,
    key: &str,
    network: &NetworkConfig,
) -> NetworkSpec {
    let mut labels_map: HashMap<String, String> = network.labels.0.clone().into_iter().collect();
    labels_map.insert(labels::PROJECT.to_owned(), context.project.name.clone());
    labels_map.insert(labels::NETWORK.to_owned(), key.to_owned());
    labels_map.insert(
        labels::VERSION.to_owned(),
        labels::COMPOSE_VERSION.to_owned(),
    );
    labels_map.insert(
        labels::CONFIG_HASH.to_owned(),
        sha256_hex(&crate::output::json_compact(&network.encode(Mode::Json))),
    );
    let pools: Vec<IpamConfig> = network
        .ipam
        .config
        .iter()
        .map(|pool| IpamConfig {
            subnet: some_string(&pool.subnet),
            ip_range: some_string(&pool.ip_range),
            gateway: some_string(&pool.gateway),
            auxiliary_addresses: some_map(pool.aux_addresses.0.clone()),
        })
        .collect();
    let ipam = (!network.ipam.driver.is_empty() || !pools.is_empty()).then(|| Ipam {
        driver: some_string(&network.ipam.driver),
        config: some_vec(pools),
        options: None,
    });
    NetworkSpec {
        body: NetworkCreateRequest {
            name: network_name(context, key),
            driver: some_string(&network.driver),
            internal: Some(network.internal),
            attachable: Some(network.attachable),
            ipam,
            enable_ipv4: network.enable_ipv4,
            enable_ipv6: network.enable_ipv6,
            options: some_map(network.driver_opts.0.clone()),
            labels: Some(labels_map),
            ..NetworkCreateRequest::default()
        },
    }
}

/// The volume to create for `key`, labelled as Compose labels it (with its config hash).
#[must_use]
pub fn volume_spec(context: &ProjectContext<'_>, key: &str, volume: &VolumeConfig) -> VolumeSpec {
    let mut labels_map: HashMap<String, String> = volume.labels.0.clone().into_iter().collect();
    labels_map.insert(labels::PROJECT.to_owned(), context.project.name.clone());
    labels_map.insert(labels::VOLUME.to_owned(), key.to_owned());
    labels_map.insert(
        labels::VERSION.to_owned(),
        labels::COMPOSE_VERSION.to_owned(),
    );
    let mut hashed = volume.clone();
    if hashed.driver.is_empty() {
        hashed.driver = "local".to_owned();
    }
    labels_map.insert(
        labels::CONFIG_HASH.to_owned(),
        sha256_hex(&crate::output::json_compact(&hashed.encode(Mode::Json))),
    );
    VolumeSpec {
        body: VolumeCreateRequest {
            name: Some(volume_name(context, key)),
            driver: some_string(&volume.driver),
            driver_opts: some_map(volume.driver_opts.0.clone()),
            labels: Some(labels_map),
            ..VolumeCreateRequest::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use berth_engine::models::{ContainerSummary, MountPoint};

    use super::*;

    use crate::loader::testing::load;

    struct Fixture {
        loaded: crate::loader::Loaded,
        containers: HashMap<String, String>,
        linked: HashMap<String, Vec<String>>,
    }

    impl Fixture {
        fn new(yaml: &str) -> Self {
            Self::with_files(yaml, &[])
        }

        fn with_files(yaml: &str, files: &[(&str, &str)]) -> Self {
            Self {
                loaded: load(yaml, files),
                containers: HashMap::from([("db".to_owned(), "0123456789ab".to_owned())]),
                linked: HashMap::from([(
                    "db".to_owned(),
                    vec!["p-db-1".to_owned(), "p-db-2".to_owned()],
                )]),
            }
        }

        fn spec_with(
            &self,
            service: &str,
            inherit: Option<&ContainerSummary>,
        ) -> Result<ContainerSpec, SpecError> {
            let context = ProjectContext {
                project: &self.loaded.project,
                working_dir: &self.loaded.working_dir,
                config_files: &self.loaded.config_files,
                env_files: None,
            };
            let replica = ReplicaContext {
                name: format!("p-{service}-1"),
                number: 1,
                config_hash: "hash",
                image_id: "sha256:abc",
                replace: None,
                one_off: None,
                containers: &self.containers,
                linked: &self.linked,
                inherit_anonymous_volumes_from: inherit,
            };
            container_spec(&context, &self.loaded.project.services[service], &replica)
        }

        fn spec(&self, service: &str) -> ContainerSpec {
            self.spec_with(service, None).expect("a spec")
        }
    }

    fn host(spec: &ContainerSpec) -> &HostConfig {
        spec.body.host_config.as_ref().unwrap()
    }

    #[test]
    fn cpus_are_multiplied_in_float32_as_go_does() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    cpus: 1.3\n    cpu_percent: 30\n  b:\n    image: x\n    deploy:\n      resources:\n        limits:\n          cpus: '0.7'\n",
        );
        assert_eq!(host(&fixture.spec("a")).nano_cpus, Some(1_300_000_000));
        assert_eq!(host(&fixture.spec("a")).cpu_percent, Some(3000));
        assert_eq!(host(&fixture.spec("b")).nano_cpus, Some(700_000_000));
    }

    #[test]
    fn service_references_resolve_to_containers_and_volumes_from_loses_its_mode() {
        let fixture = Fixture::new(
            "services:\n  db:\n    image: x\n  side:\n    image: x\n    network_mode: service:db\n    ipc: service:db\n    pid: service:db\n    volumes_from: ['db:ro', 'container:other:rw']\n",
        );
        let spec = fixture.spec("side");
        let host = host(&spec);
        assert_eq!(host.network_mode.as_deref(), Some("container:0123456789ab"));
        assert_eq!(host.ipc_mode.as_deref(), Some("container:0123456789ab"));
        assert_eq!(host.pid_mode.as_deref(), Some("container:0123456789ab"));
        assert_eq!(
            host.volumes_from,
            Some(vec!["0123456789ab".to_owned(), "other".to_owned()])
        );
        assert!(spec.body.networking_config.is_none());

        let side = &fixture.loaded.project.services["side"];
        assert_ne!(
            hash_for_up(side, &fixture.containers),
            super::super::hash::service_hash(side)
        );
        let error = resolve_service_references(side, &HashMap::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "service \"side\": cannot share volume with service db: container missing"
        );
        let db = &fixture.loaded.project.services["db"];
        assert_eq!(
            hash_for_up(db, &fixture.containers),
            super::super::hash::service_hash(db)
        );
    }

    #[test]
    fn labels_carry_project_dependencies_and_replica() {
        let fixture = Fixture::new(
            "services:\n  db:\n    image: x\n  web:\n    image: x\n    labels: [a=b]\n    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n",
        );
        let spec = fixture.spec("web");
        let labels = spec.body.labels.unwrap();
        assert_eq!(labels["a"], "b");
        assert_eq!(labels[labels::PROJECT], "p");
        assert_eq!(labels[labels::SERVICE], "web");
        assert_eq!(labels[labels::CONTAINER_NUMBER], "1");
        assert_eq!(labels[labels::ONEOFF], "False");
        assert_eq!(labels[labels::CONFIG_HASH], "hash");
        assert_eq!(labels[labels::IMAGE], "sha256:abc");
        assert_eq!(labels[labels::DEPENDS_ON], "db:service_healthy:true");
        assert!(!labels.contains_key(labels::ENVIRONMENT_FILE));
    }

    #[test]
    fn expose_keys_stay_as_written_and_capabilities_get_their_prefix() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    expose: ['3000', '4000-4002/udp']\n    ports: ['8080:80']\n    cap_add: [net_admin, ALL, CAP_CHOWN]\n",
        );
        let spec = fixture.spec("a");
        assert_eq!(
            spec.body.exposed_ports,
            Some(vec![
                "80/tcp".to_owned(),
                "3000".to_owned(),
                "4000-4002/udp".to_owned()
            ])
        );
        assert_eq!(
            host(&spec).cap_add,
            Some(vec![
                "CAP_NET_ADMIN".to_owned(),
                "ALL".to_owned(),
                "CAP_CHOWN".to_owned()
            ])
        );
        let bindings = host(&spec).port_bindings.clone().unwrap();
        let binding = &bindings["80/tcp"].as_ref().unwrap()[0];
        assert_eq!(binding.host_port.as_deref(), Some("8080"));
    }

    #[test]
    fn links_point_at_every_replica_of_the_linked_service() {
        let fixture = Fixture::new(
            "services:\n  db:\n    image: x\n  web:\n    image: x\n    links: ['db:database']\n    external_links: [outside]\n",
        );
        let spec = fixture.spec("web");
        assert_eq!(
            host(&spec).links,
            Some(
                [
                    "p-db-1:database",
                    "p-db-1:db-1",
                    "p-db-1:p-db-1",
                    "p-db-2:database",
                    "p-db-2:db-1",
                    "p-db-2:p-db-1",
                    "outside:outside"
                ]
                .map(str::to_owned)
                .to_vec()
            )
        );
    }

    #[test]
    fn the_highest_priority_network_is_primary_and_the_rest_connect_after_creation() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    networks:\n      back:\n      front:\n        priority: 5\n        aliases: [www]\n        ipv4_address: 10.1.2.3\nnetworks:\n  back:\n  front:\n",
        );
        let spec = fixture.spec("a");
        assert_eq!(host(&spec).network_mode.as_deref(), Some("p_front"));
        let endpoints = spec
            .body
            .networking_config
            .unwrap()
            .endpoints_config
            .unwrap();
        let front = &endpoints["p_front"];
        assert_eq!(
            front.aliases,
            Some(vec!["p-a-1".to_owned(), "a".to_owned(), "www".to_owned()])
        );
        assert_eq!(
            front.ipam_config.as_ref().unwrap().ipv4_address.as_deref(),
            Some("10.1.2.3")
        );
        let extra: Vec<&str> = spec
            .extra_networks
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(extra, ["p_back"]);
    }

    #[test]
    fn secrets_and_configs_are_bound_from_files_or_injected() {
        let yaml = "services:\n  a:\n    image: x\n    secrets: [file_secret, {source: env_secret, target: custom, mode: 0400}]\n    configs: [file_config, {source: inline, target: /etc/inline.conf}, empty]\nsecrets:\n  file_secret:\n    file: ./secret.txt\n  env_secret:\n    environment: SECRET_VALUE\nconfigs:\n  file_config:\n    file: ./config.txt\n  inline:\n    content: hello\n  empty:\n    content: ''\n";
        let fixture = Fixture::with_files(
            yaml,
            &[
                ("secret.txt", "s"),
                ("config.txt", "c"),
                (".env", "SECRET_VALUE=v\n"),
            ],
        );
        let spec = fixture.spec("a");
        let mounts = host(&spec).mounts.clone().unwrap();
        let secret = mounts
            .iter()
            .find(|mount| mount.target.as_deref() == Some("/run/secrets/file_secret"))
            .unwrap();
        assert!(secret.source.as_deref().unwrap().ends_with("/secret.txt"));
        assert_eq!(secret.read_only, Some(true));
        assert!(secret.bind_options.is_some());
        let config = mounts
            .iter()
            .find(|mount| mount.target.as_deref() == Some("/file_config"))
            .unwrap();
        assert!(config.bind_options.is_none());
        let injected: Vec<(&str, u32)> = spec
            .files
            .iter()
            .map(|file| (file.path.as_str(), file.mode))
            .collect();
        assert_eq!(
            injected,
            [("/run/secrets/custom", 0o400), ("/etc/inline.conf", 0o444)]
        );
    }

    #[test]
    fn injected_content_in_a_read_only_service_is_refused_as_compose_does() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    read_only: true\n    configs: [inline]\nconfigs:\n  inline:\n    content: hello\n",
        );
        let error = fixture.spec_with("a", None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "service \"a\": cannot create config \"p_inline\" in read-only service a: `file` is the sole supported option"
        );
    }

    #[test]
    fn a_recreated_container_takes_over_the_anonymous_volume_as_it_was() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    volumes:\n      - type: volume\n        target: /anon\n        volume:\n          nocopy: true\n      - /fresh\n",
        );
        let old = ContainerSummary {
            mounts: Some(vec![MountPoint {
                typ: serde_json::from_value(serde_json::json!("volume")).ok(),
                name: Some("f00d".to_owned()),
                destination: Some("/anon".to_owned()),
                rw: Some(true),
                ..MountPoint::default()
            }]),
            ..ContainerSummary::default()
        };
        let spec = fixture.spec_with("a", Some(&old)).unwrap();
        let mounts = host(&spec).mounts.clone().unwrap();
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[0].source.as_deref(), Some("f00d"));
        assert_eq!(mounts[0].read_only, Some(false));
        assert!(mounts[0].volume_options.is_none());
        assert_eq!(mounts[1].target.as_deref(), Some("/fresh"));
        assert_eq!(mounts[1].source, None);
    }

    #[test]
    fn seccomp_profiles_are_compacted_with_their_keys_in_order() {
        assert_eq!(
            compact_json("{\n  \"z\": [ 1, 2 ],\n  \"a\": \"x y\\\" z\"\n}\n"),
            "{\"z\":[1,2],\"a\":\"x y\\\" z\"}"
        );
    }

    #[test]
    fn named_volumes_use_the_bind_string_unless_they_need_the_mount_api() {
        let fixture = Fixture::new(
            "services:\n  a:\n    image: x\n    volumes:\n      - data:/data:ro\n      - type: volume\n        source: data\n        target: /nocopy\n        volume:\n          nocopy: true\n      - ./src:/src\nvolumes:\n  data:\n",
        );
        let spec = fixture.spec("a");
        let binds = host(&spec).binds.clone().unwrap();
        assert_eq!(binds[0], "p_data:/data:ro");
        assert!(binds[1].ends_with("/src:/src:rw"));
        let mounts = host(&spec).mounts.clone().unwrap();
        assert_eq!(mounts[0].source.as_deref(), Some("p_data"));
        assert_eq!(
            mounts[0].volume_options.as_ref().unwrap().no_copy,
            Some(true)
        );
    }
}
