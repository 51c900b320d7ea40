//! A service (`ServiceConfig`) and the small structs of its attributes: ports, volumes, network
//! attachments, secret and config mounts, ulimits, logging, healthcheck, blkio, devices,
//! dependencies and lifecycle hooks.
//!
//! Field order follows compose-go's `types.go`, which is the key order Compose prints and hashes.

use indexmap::IndexMap;

use super::build::BuildConfig;
use super::codec::{Decode, DecodeProblem, Encode, Errors, FieldPath, Mode, go_type};
use super::deploy::{DeployConfig, DeviceRequest};
use super::develop::DevelopConfig;
use super::mapping::{
    HealthCheckTest, HostsList, Labels, Mapping, MappingWithEquals, MultiOptions, Options,
    ShellCommand, StringList, StringOrNumberList,
};
use super::units::{Duration, FileMode, UnitBytes};
use crate::loader::tree::{Map, Value};

/// A service's `depends_on`: dependency name to how to wait for it.
pub type DependsOnConfig = IndexMap<String, ServiceDependency>;

compose_struct! {
    /// One service of the project (`ServiceConfig`).
    pub struct ServiceConfig [extensions] {
        /// The service name; it comes from the `services` key and is never printed.
        name: String = "name" policy Always,
        /// Profiles that enable the service.
        profiles: Vec<String> = "profiles",
        /// Container annotations.
        annotations: Mapping = "annotations",
        /// Whether `up` attaches to the service's logs.
        attach: Option<bool> = "attach",
        /// How to build the image.
        build: Option<BuildConfig> = "build",
        /// Development settings (`watch`).
        develop: Option<DevelopConfig> = "develop",
        /// Block IO limits.
        blkio_config: Option<BlkioConfig> = "blkio_config",
        /// Capabilities to add.
        cap_add: Vec<String> = "cap_add",
        /// Capabilities to drop.
        cap_drop: Vec<String> = "cap_drop",
        /// Parent cgroup.
        cgroup_parent: String = "cgroup_parent",
        /// Cgroup namespace (`host` or `private`).
        cgroup: String = "cgroup",
        /// Number of usable CPUs (Windows).
        cpu_count: i64 = "cpu_count",
        /// Usable percentage of CPUs (Windows).
        cpu_percent: f32 = "cpu_percent",
        /// CFS period.
        cpu_period: i64 = "cpu_period",
        /// CFS quota.
        cpu_quota: i64 = "cpu_quota",
        /// Real-time scheduler period.
        cpu_rt_period: i64 = "cpu_rt_period",
        /// Real-time scheduler runtime.
        cpu_rt_runtime: i64 = "cpu_rt_runtime",
        /// Number of CPUs.
        cpus: f32 = "cpus",
        /// CPUs the container may use.
        cpuset: String = "cpuset",
        /// Relative CPU weight.
        cpu_shares: i64 = "cpu_shares",
        /// The command, overriding the image's `CMD`.
        command: ShellCommand = "command" policy EmptyInYaml,
        /// Configs mounted into the containers.
        configs: Vec<FileReferenceConfig> = "configs",
        /// Fixed container name.
        container_name: String = "container_name",
        /// Windows credential spec.
        credential_spec: Option<CredentialSpecConfig> = "credential_spec",
        /// Services this one depends on.
        depends_on: DependsOnConfig = "depends_on",
        /// Deployment settings.
        deploy: Option<DeployConfig> = "deploy",
        /// Device cgroup rules.
        device_cgroup_rules: Vec<String> = "device_cgroup_rules",
        /// Host devices.
        devices: Vec<DeviceMapping> = "devices",
        /// DNS servers.
        dns: StringList = "dns",
        /// DNS options.
        dns_opt: Vec<String> = "dns_opt",
        /// DNS search domains.
        dns_search: StringList = "dns_search",
        /// Legacy top-level Dockerfile.
        dockerfile: String = "dockerfile",
        /// Domain name.
        domainname: String = "domainname",
        /// The entrypoint, overriding the image's `ENTRYPOINT`.
        entrypoint: ShellCommand = "entrypoint" policy EmptyInYaml,
        /// A provider that implements the service.
        provider: Option<ServiceProviderConfig> = "provider",
        /// Environment variables; `None` values are unresolved names.
        environment: MappingWithEquals = "environment",
        /// Files of environment variables.
        env_file: Vec<EnvFile> = "env_file",
        /// Exposed ports.
        expose: StringOrNumberList = "expose",
        /// The service this one extends.
        extends: Option<ExtendsConfig> = "extends",
        /// Links to containers outside the project.
        external_links: Vec<String> = "external_links",
        /// Extra `/etc/hosts` entries.
        extra_hosts: HostsList = "extra_hosts",
        /// Extra groups.
        group_add: Vec<String> = "group_add",
        /// GPU requests.
        gpus: Vec<DeviceRequest> = "gpus",
        /// Host name.
        hostname: String = "hostname",
        /// Health check.
        healthcheck: Option<HealthCheckConfig> = "healthcheck",
        /// Image.
        image: String = "image",
        /// Whether to run an init process.
        init: Option<bool> = "init",
        /// IPC namespace mode.
        ipc: String = "ipc",
        /// Isolation technology.
        isolation: String = "isolation",
        /// Container labels.
        labels: Labels = "labels",
        /// Files of labels.
        label_file: Vec<String> = "label_file",
        /// Legacy links.
        links: Vec<String> = "links",
        /// Logging driver and options.
        logging: Option<LoggingConfig> = "logging",
        /// Legacy logging driver.
        log_driver: String = "log_driver",
        /// Legacy logging options.
        log_opt: IndexMap<String, String> = "log_opt",
        /// Memory limit.
        mem_limit: UnitBytes = "mem_limit",
        /// Memory soft limit.
        mem_reservation: UnitBytes = "mem_reservation",
        /// Memory plus swap limit.
        memswap_limit: UnitBytes = "memswap_limit",
        /// Swappiness (a plain number, printed as a byte size as Compose does).
        mem_swappiness: UnitBytes = "mem_swappiness",
        /// MAC address.
        mac_address: String = "mac_address",
        /// Models the service uses.
        models: IndexMap<String, Option<ServiceModelConfig>> = "models",
        /// Legacy `net`.
        net: String = "net",
        /// Network mode.
        network_mode: String = "network_mode",
        /// Networks the service joins; `None` is a bare attachment.
        networks: IndexMap<String, Option<ServiceNetworkConfig>> = "networks",
        /// Disable the OOM killer.
        oom_kill_disable: bool = "oom_kill_disable",
        /// OOM score adjustment.
        oom_score_adj: i64 = "oom_score_adj",
        /// PID namespace mode.
        pid: String = "pid",
        /// PIDs limit.
        pids_limit: i64 = "pids_limit",
        /// Target platform.
        platform: String = "platform",
        /// Published ports.
        ports: Vec<ServicePortConfig> = "ports",
        /// Privileged mode.
        privileged: bool = "privileged",
        /// When to pull the image.
        pull_policy: String = "pull_policy",
        /// Read-only root file system.
        read_only: bool = "read_only",
        /// Restart policy.
        restart: String = "restart",
        /// OCI runtime.
        runtime: String = "runtime",
        /// Number of containers.
        scale: Option<i32> = "scale",
        /// Secrets mounted into the containers.
        secrets: Vec<FileReferenceConfig> = "secrets",
        /// Security options.
        security_opt: Vec<String> = "security_opt",
        /// Size of `/dev/shm`.
        shm_size: UnitBytes = "shm_size",
        /// Keep stdin open.
        stdin_open: bool = "stdin_open",
        /// How long to wait before killing on stop.
        stop_grace_period: Option<Duration> = "stop_grace_period",
        /// Stop signal.
        stop_signal: String = "stop_signal",
        /// Storage driver options.
        storage_opt: IndexMap<String, String> = "storage_opt",
        /// Kernel parameters.
        sysctls: Mapping = "sysctls",
        /// Tmpfs mounts.
        tmpfs: StringList = "tmpfs",
        /// Allocate a TTY.
        tty: bool = "tty",
        /// Resource limits.
        ulimits: IndexMap<String, UlimitsConfig> = "ulimits",
        /// Mount the Docker API socket.
        use_api_socket: bool = "use_api_socket",
        /// User.
        user: String = "user",
        /// User namespace mode.
        userns_mode: String = "userns_mode",
        /// UTS namespace mode.
        uts: String = "uts",
        /// Default volume driver.
        volume_driver: String = "volume_driver",
        /// Mounts.
        volumes: Vec<ServiceVolumeConfig> = "volumes",
        /// Services or containers to take volumes from.
        volumes_from: Vec<String> = "volumes_from",
        /// Working directory.
        working_dir: String = "working_dir",
        /// Hooks run after start.
        post_start: Vec<ServiceHook> = "post_start",
        /// Hooks run before stop.
        pre_stop: Vec<ServiceHook> = "pre_stop",
    }
}

compose_struct! {
    /// A provider that implements a service (`ServiceProviderConfig`).
    pub struct ServiceProviderConfig [extensions] {
        /// Provider type.
        provider_type: String = "type",
        /// Provider options.
        options: MultiOptions = "options",
    }
}

compose_struct! {
    /// Block IO limits (`BlkioConfig`).
    pub struct BlkioConfig [extensions] {
        /// Relative weight.
        weight: u16 = "weight",
        /// Per-device weights.
        weight_device: Vec<WeightDevice> = "weight_device",
        /// Read rate limits in bytes.
        device_read_bps: Vec<ThrottleDevice> = "device_read_bps",
        /// Read rate limits in operations.
        device_read_iops: Vec<ThrottleDevice> = "device_read_iops",
        /// Write rate limits in bytes.
        device_write_bps: Vec<ThrottleDevice> = "device_write_bps",
        /// Write rate limits in operations.
        device_write_iops: Vec<ThrottleDevice> = "device_write_iops",
    }
}

compose_struct! {
    /// A host device mapping (`DeviceMapping`).
    pub struct DeviceMapping [extensions] {
        /// Host path.
        source: String = "source",
        /// Container path.
        target: String = "target",
        /// cgroup permissions (`rwm`).
        permissions: String = "permissions",
    }
}

compose_struct! {
    /// A device weight (`WeightDevice`). Go gives it no JSON tags, so JSON prints `Path` and
    /// `Weight`, and both are always printed.
    pub struct WeightDevice [extensions] {
        /// Device path.
        path: String = "path" json "Path" policy Never,
        /// Weight.
        weight: u16 = "weight" json "Weight" policy Never,
    }
}

compose_struct! {
    /// A device rate limit (`ThrottleDevice`); JSON prints `Path` and `Rate`.
    pub struct ThrottleDevice [extensions] {
        /// Device path.
        path: String = "path" json "Path" policy Never,
        /// Rate (bytes or operations per second).
        rate: UnitBytes = "rate" json "Rate" policy Never,
    }
}

compose_struct! {
    /// Logging driver and options (`LoggingConfig`).
    pub struct LoggingConfig [extensions] {
        /// Driver.
        driver: String = "driver",
        /// Driver options.
        options: Options = "options",
    }
}

compose_struct! {
    /// A service's attachment to a network (`ServiceNetworkConfig`).
    pub struct ServiceNetworkConfig [extensions] {
        /// Extra DNS names.
        aliases: Vec<String> = "aliases",
        /// Endpoint driver options.
        driver_opts: Options = "driver_opts",
        /// Gateway priority.
        gw_priority: i32 = "gw_priority",
        /// Interface name.
        interface_name: String = "interface_name",
        /// Static IPv4 address.
        ipv4_address: String = "ipv4_address",
        /// Static IPv6 address.
        ipv6_address: String = "ipv6_address",
        /// Link-local addresses.
        link_local_ips: Vec<String> = "link_local_ips",
        /// MAC address.
        mac_address: String = "mac_address",
        /// Connection order priority.
        priority: i32 = "priority",
    }
}

compose_struct! {
    /// A published port (`ServicePortConfig`).
    pub struct ServicePortConfig [extensions] {
        /// Port name.
        name: String = "name",
        /// `ingress` or `host`.
        mode: String = "mode",
        /// Host address.
        host_ip: String = "host_ip",
        /// Container port.
        target: u32 = "target",
        /// Host port or range, as a string.
        published: String = "published",
        /// `tcp` or `udp`.
        protocol: String = "protocol",
        /// Application protocol.
        app_protocol: String = "app_protocol",
    }
}

compose_struct! {
    /// A mount (`ServiceVolumeConfig`), always in long syntax.
    pub struct ServiceVolumeConfig [extensions] {
        /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster` or `image`.
        volume_type: String = "type",
        /// Source path, volume or image.
        source: String = "source",
        /// Container path.
        target: String = "target",
        /// Read-only mount.
        read_only: bool = "read_only",
        /// Consistency (macOS).
        consistency: String = "consistency",
        /// Bind options.
        bind: Option<ServiceVolumeBind> = "bind",
        /// Volume options.
        volume: Option<ServiceVolumeVolume> = "volume",
        /// Tmpfs options.
        tmpfs: Option<ServiceVolumeTmpfs> = "tmpfs",
        /// Image options.
        image: Option<ServiceVolumeImage> = "image",
    }
}

compose_struct! {
    /// Bind mount options (`ServiceVolumeBind`).
    pub struct ServiceVolumeBind [extensions] {
        /// SELinux relabelling (`z` or `Z`).
        selinux: String = "selinux",
        /// Propagation mode.
        propagation: String = "propagation",
        /// Create the host path if missing.
        create_host_path: bool = "create_host_path",
        /// Recursive read-only mode.
        recursive: String = "recursive",
    }
}

compose_struct! {
    /// Volume mount options (`ServiceVolumeVolume`).
    pub struct ServiceVolumeVolume [extensions] {
        /// Labels.
        labels: Mapping = "labels",
        /// Do not copy data from the container.
        nocopy: bool = "nocopy",
        /// Sub-path of the volume.
        subpath: String = "subpath",
    }
}

compose_struct! {
    /// Tmpfs mount options (`ServiceVolumeTmpfs`).
    pub struct ServiceVolumeTmpfs [extensions] {
        /// Size.
        size: UnitBytes = "size",
        /// File mode, a plain number here.
        mode: u32 = "mode",
    }
}

compose_struct! {
    /// Image mount options (`ServiceVolumeImage`).
    pub struct ServiceVolumeImage [extensions] {
        /// Sub-path of the image.
        subpath: String = "subpath",
    }
}

compose_struct! {
    /// A secret or config mounted into a service (`FileReferenceConfig`).
    pub struct FileReferenceConfig [extensions] {
        /// The top-level secret or config.
        source: String = "source",
        /// Path in the container.
        target: String = "target",
        /// Owner user ID.
        uid: String = "uid",
        /// Owner group ID.
        gid: String = "gid",
        /// File mode, printed in octal.
        mode: Option<FileMode> = "mode",
    }
}

/// A resource limit (`UlimitsConfig`): one number for both limits, or `soft` and `hard`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UlimitsConfig {
    /// Both limits at once; `0` when `soft`/`hard` are used.
    pub single: i64,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
    /// The `x-*` extension keys written here.
    pub extensions: IndexMap<String, Value>,
}

impl Decode for UlimitsConfig {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Number(number) if number.is_i64() => Self {
                single: number.as_i64().unwrap_or(0),
                ..Self::default()
            },
            Value::Object(map) => {
                let limit = |key: &str, errors: &mut Errors| {
                    map.get(key)
                        .map_or(0, |item| i64::decode(item, &path.field(key), errors))
                };
                Self {
                    single: 0,
                    soft: limit("soft", errors),
                    hard: limit("hard", errors),
                    extensions: map
                        .iter()
                        .filter(|(key, _)| key.starts_with("x-"))
                        .map(|(key, item)| (key.clone(), item.clone()))
                        .collect(),
                }
            }
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "ulimit",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for UlimitsConfig {
    fn encode(&self, mode: Mode) -> Value {
        if self.single != 0 {
            return Value::from(self.single);
        }
        let mut map = Map::new();
        // JSON marshals the struct with omitempty; YAML marshals an untagged {Soft, Hard}.
        if mode == Mode::Yaml || self.soft != 0 {
            map.insert("soft".to_owned(), Value::from(self.soft));
        }
        if mode == Mode::Yaml || self.hard != 0 {
            map.insert("hard".to_owned(), Value::from(self.hard));
        }
        Value::Object(map)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        false
    }
}

compose_struct! {
    /// Windows credential spec (`CredentialSpecConfig`).
    pub struct CredentialSpecConfig [extensions] {
        /// Config name.
        config: String = "config",
        /// File.
        file: String = "file",
        /// Registry value.
        registry: String = "registry",
    }
}

compose_struct! {
    /// How a service waits for a dependency (`ServiceDependency`).
    pub struct ServiceDependency [extensions] {
        /// `service_started`, `service_healthy` or `service_completed_successfully`.
        condition: String = "condition",
        /// Restart this service when the dependency is updated.
        restart: bool = "restart",
        /// Fail if the dependency is missing.
        required: bool = "required" policy Never,
    }
}

compose_struct! {
    /// The service this one extends (`ExtendsConfig`).
    pub struct ExtendsConfig {
        /// File holding the base service.
        file: String = "file",
        /// Base service name.
        service: String = "service",
    }
}

compose_struct! {
    /// Health check (`HealthCheckConfig`).
    pub struct HealthCheckConfig [extensions] {
        /// Test command.
        test: HealthCheckTest = "test",
        /// Timeout of one check.
        timeout: Option<Duration> = "timeout",
        /// Time between checks.
        interval: Option<Duration> = "interval",
        /// Failures before unhealthy.
        retries: Option<u64> = "retries",
        /// Start-up grace period.
        start_period: Option<Duration> = "start_period",
        /// Time between checks during the start period.
        start_interval: Option<Duration> = "start_interval",
        /// Disable the image's health check.
        disable: bool = "disable",
    }
}

compose_struct! {
    /// A lifecycle hook (`ServiceHook`): `post_start`, `pre_stop`, `develop.watch[].exec`.
    pub struct ServiceHook [extensions] {
        /// Command to run.
        command: ShellCommand = "command" policy EmptyInYaml,
        /// User.
        user: String = "user",
        /// Privileged mode.
        privileged: bool = "privileged",
        /// Working directory.
        working_dir: String = "working_dir",
        /// Environment variables.
        environment: MappingWithEquals = "environment",
    }
}

compose_struct! {
    /// How a service uses a model (`ServiceModelConfig`).
    pub struct ServiceModelConfig [extensions] {
        /// Variable receiving the endpoint URL.
        endpoint_var: String = "endpoint_var",
        /// Variable receiving the model name.
        model_var: String = "model_var",
    }
}

/// A file of environment variables (`EnvFile`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFile {
    /// Path of the file.
    pub path: String,
    /// Whether a missing file is an error.
    pub required: bool,
    /// File format (`raw`), empty for dotenv.
    pub format: String,
}

impl Default for EnvFile {
    fn default() -> Self {
        Self {
            path: String::new(),
            required: true,
            format: String::new(),
        }
    }
}

impl Decode for EnvFile {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(file) => Self {
                path: file.clone(),
                ..Self::default()
            },
            Value::Object(map) => {
                let mut env_file = Self::default();
                for (key, item) in map {
                    match key.as_str() {
                        "path" => env_file.path = String::decode(item, &path.field("path"), errors),
                        "required" => {
                            env_file.required = bool::decode(item, &path.field("required"), errors);
                        }
                        "format" => {
                            env_file.format = String::decode(item, &path.field("format"), errors);
                        }
                        _ => {}
                    }
                }
                env_file
            }
            other => {
                errors.push(path, DecodeProblem::ExpectedMap(go_type(other)));
                Self::default()
            }
        }
    }
}

impl Encode for EnvFile {
    fn encode(&self, mode: Mode) -> Value {
        if self.required {
            return Value::String(self.path.clone());
        }
        let mut map = Map::new();
        if mode == Mode::Yaml || !self.path.is_empty() {
            map.insert("path".to_owned(), Value::String(self.path.clone()));
        }
        map.insert("required".to_owned(), Value::Bool(false));
        if mode == Mode::Json && !self.format.is_empty() {
            map.insert("format".to_owned(), Value::String(self.format.clone()));
        }
        Value::Object(map)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        false
    }
}
