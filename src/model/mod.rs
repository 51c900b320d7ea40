//! The typed Compose project: every attribute of the Compose Specification as Rust data.
//!
//! The loader works on a dynamic tree ([`crate::loader::tree::Value`]) and binds it to these types
//! only at the very end, as compose-go does with mapstructure. The types mirror compose-go v2.9.1
//! `types/` field by field, in the same order, because that order is observable: it is the key
//! order of `docker compose config --format json`, and the service config hash
//! ([`crate::converge::hash`]) is a SHA-256 over that JSON.
//!
//! Decoding ([`Project::from_value`]) follows mapstructure: unknown keys are ignored (the schema
//! has already rejected them), `x-*` keys become extensions, and scalars are parsed by the same
//! rules as the Go types' `DecodeMapstructure` methods (`"1m30s"`, `"512m"`, `"0440"`, ...),
//! collecting every failure into one Compose-style error. Encoding reproduces each Go type's
//! `MarshalJSON` / `MarshalYAML` and Go's `omitempty` rules ([`Mode`] picks which).
//!
//! Areas: [`project`], [`service`], [`build`], [`deploy`], [`develop`], [`network`], [`volume`],
//! [`secret`] (secrets, configs and models), [`units`] (durations, byte sizes, file modes, CPUs),
//! [`mapping`] (maps and lists with Compose's conversions).

#[macro_use]
mod codec;
pub mod build;
pub mod deploy;
pub mod develop;
pub mod mapping;
pub mod network;
pub mod project;
pub mod secret;
pub mod service;
pub mod units;
pub mod volume;

pub use build::{BuildConfig, SshConfig, SshKey};
pub(crate) use codec::Encode;
pub use codec::{DecodeError, Mode};
pub use deploy::{
    DeployConfig, DeviceRequest, DiscreteGenericResource, GenericResource, Placement,
    PlacementPreferences, Resource, Resources, RestartPolicy, UpdateConfig,
};
pub use develop::{DevelopConfig, Trigger};
pub use mapping::{
    Extensions, HealthCheckTest, HostsList, Labels, Mapping, MappingWithEquals, MultiOptions,
    Options, ShellCommand, StringList, StringOrNumberList,
};
pub use network::{IpamConfig, IpamPool, NetworkConfig};
pub use project::Project;
pub use secret::{ConfigObjConfig, FileObjectConfig, ModelConfig, SecretConfig};
pub use service::{
    BlkioConfig, CredentialSpecConfig, DependsOnConfig, DeviceMapping, EnvFile, ExtendsConfig,
    FileReferenceConfig, HealthCheckConfig, LoggingConfig, ServiceConfig, ServiceDependency,
    ServiceHook, ServiceModelConfig, ServiceNetworkConfig, ServicePortConfig,
    ServiceProviderConfig, ServiceVolumeBind, ServiceVolumeConfig, ServiceVolumeImage,
    ServiceVolumeTmpfs, ServiceVolumeVolume, ThrottleDevice, UlimitsConfig, WeightDevice,
};
pub use units::{DeviceCount, Duration, FileMode, NanoCpus, UnitBytes};
pub use volume::VolumeConfig;

/// Errors of binding the loader's tree to the typed model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// One or more attributes could not be decoded; Compose lists them all, sorted.
    #[error(
        "decoding failed due to the following error(s):\n\n{}",
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Decode {
        /// Every failure, sorted as Compose prints them.
        errors: Vec<DecodeError>,
    },
    /// A `build.ssh` entry with a path cannot be printed as JSON (a Compose bug kept as is:
    /// `SSHKey.MarshalJSON` writes `"id": path`, which Go rejects).
    #[error(
        "json: error calling MarshalJSON for type types.SSHKey: invalid character ':' after top-level value"
    )]
    SshKeyJson,
}

impl ServiceConfig {
    /// The service as Go's `encoding/json` (`Mode::Json`) or go-yaml (`Mode::Yaml`) prints it, in
    /// compose-go's field order.
    #[must_use]
    pub fn to_value(&self, mode: Mode) -> crate::loader::tree::Value {
        codec::Encode::encode(self, mode)
    }
}

/// A number as Go's `fmt.Sprint` prints it (`1.0` → `1`, `1e6` → `1e+06`).
#[must_use]
pub fn go_number(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(float) if number.is_f64() => codec::format_go_general(float),
        _ => number.to_string(),
    }
}

/// A number as Go's `encoding/json` writes a `float64` (plain decimal between 1e-6 and 1e21,
/// exponent form with at least two exponent digits outside) or an integer.
#[must_use]
pub fn go_json_number(number: &serde_json::Number) -> String {
    let Some(float) = number.as_f64().filter(|_| number.is_f64()) else {
        return number.to_string();
    };
    let magnitude = float.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        // Go writes 'e' format, then trims a negative exponent's leading zero (`1e-07` → `1e-7`).
        let scientific = format!("{float:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        return if exponent < 0 {
            format!("{mantissa}e-{}", exponent.abs())
        } else {
            format!("{mantissa}e+{exponent:02}")
        };
    }
    // Rust's Display for f64 is the shortest round-trip decimal without exponent, as Go's 'f', -1.
    format!("{float}")
}
