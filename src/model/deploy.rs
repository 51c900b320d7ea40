//! Deployment settings of a service (`DeployConfig`): replicas, resources, restart and update
//! policies, placement, and the device requests shared with `gpus`.

use super::mapping::{Labels, Mapping};
use super::units::{DeviceCount, Duration, NanoCpus, UnitBytes};

compose_struct! {
    /// Deployment settings (`DeployConfig`). JSON always prints `resources` and `placement`.
    pub struct DeployConfig [extensions] {
        /// `replicated`, `global`, ...
        mode: String = "mode",
        /// Number of containers.
        replicas: Option<i32> = "replicas",
        /// Service labels.
        labels: Labels = "labels",
        /// Update policy.
        update_config: Option<UpdateConfig> = "update_config",
        /// Rollback policy.
        rollback_config: Option<UpdateConfig> = "rollback_config",
        /// Resource limits and reservations.
        resources: Resources = "resources",
        /// Restart policy.
        restart_policy: Option<RestartPolicy> = "restart_policy",
        /// Placement constraints.
        placement: Placement = "placement",
        /// `vip` or `dnsrr`.
        endpoint_mode: String = "endpoint_mode",
    }
}

compose_struct! {
    /// Update or rollback policy (`UpdateConfig`).
    pub struct UpdateConfig [extensions] {
        /// Containers updated at once.
        parallelism: Option<u64> = "parallelism",
        /// Delay between batches.
        delay: Duration = "delay",
        /// What to do on failure.
        failure_action: String = "failure_action",
        /// How long to watch for failure.
        monitor: Duration = "monitor",
        /// Tolerated failure ratio.
        max_failure_ratio: f32 = "max_failure_ratio",
        /// `stop-first` or `start-first`.
        order: String = "order",
    }
}

compose_struct! {
    /// Resource limits and reservations (`Resources`).
    pub struct Resources [extensions] {
        /// Limits.
        limits: Option<Resource> = "limits",
        /// Reservations.
        reservations: Option<Resource> = "reservations",
    }
}

compose_struct! {
    /// One set of resources (`Resource`).
    pub struct Resource [extensions] {
        /// CPUs.
        cpus: NanoCpus = "cpus",
        /// Memory.
        memory: UnitBytes = "memory",
        /// PIDs.
        pids: i64 = "pids",
        /// Devices.
        devices: Vec<DeviceRequest> = "devices",
        /// Generic resources.
        generic_resources: Vec<GenericResource> = "generic_resources",
    }
}

compose_struct! {
    /// A user-defined resource (`GenericResource`).
    pub struct GenericResource [extensions] {
        /// Discrete resource.
        discrete_resource_spec: Option<DiscreteGenericResource> = "discrete_resource_spec",
    }
}

compose_struct! {
    /// A counted user-defined resource (`DiscreteGenericResource`).
    pub struct DiscreteGenericResource [extensions] {
        /// Kind (`SSD`, `GPU`, ...).
        kind: String = "kind" policy Never,
        /// Count.
        value: i64 = "value" policy Never,
    }
}

compose_struct! {
    /// Restart policy (`RestartPolicy`).
    pub struct RestartPolicy [extensions] {
        /// `none`, `on-failure` or `any`.
        condition: String = "condition",
        /// Delay between restarts.
        delay: Option<Duration> = "delay",
        /// Maximum attempts.
        max_attempts: Option<u64> = "max_attempts",
        /// Window to decide success.
        window: Option<Duration> = "window",
    }
}

compose_struct! {
    /// Placement constraints (`Placement`).
    pub struct Placement [extensions] {
        /// Constraints.
        constraints: Vec<String> = "constraints",
        /// Preferences.
        preferences: Vec<PlacementPreferences> = "preferences",
        /// Maximum replicas per node.
        max_replicas_per_node: u64 = "max_replicas_per_node",
    }
}

compose_struct! {
    /// A placement preference (`PlacementPreferences`).
    pub struct PlacementPreferences [extensions] {
        /// Label to spread over.
        spread: String = "spread",
    }
}

compose_struct! {
    /// A device request (`DeviceRequest`): `gpus` and `deploy.resources.*.devices`.
    pub struct DeviceRequest {
        /// Capabilities.
        capabilities: Vec<String> = "capabilities",
        /// Driver.
        driver: String = "driver",
        /// Count; `-1` is `all`.
        count: DeviceCount = "count",
        /// Device IDs.
        device_ids: Vec<String> = "device_ids",
        /// Driver options.
        options: Mapping = "options",
    }
}
