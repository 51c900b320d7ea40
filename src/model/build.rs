//! How a service's image is built (`BuildConfig`), including the SSH keys forwarded to the build.

use indexmap::IndexMap;

use super::codec::{Decode, DecodeProblem, Encode, Errors, FieldPath, Mode, go_sprint, go_type};
use super::mapping::{HostsList, Labels, Mapping, MappingWithEquals, StringList};
use super::service::{FileReferenceConfig, UlimitsConfig};
use super::units::UnitBytes;
use crate::loader::tree::Value;

compose_struct! {
    /// Build settings of a service (`BuildConfig`).
    pub struct BuildConfig [extensions] {
        /// Build context: a path or URL.
        context: String = "context",
        /// Dockerfile path.
        dockerfile: String = "dockerfile",
        /// Inline Dockerfile.
        dockerfile_inline: String = "dockerfile_inline",
        /// Extra privileges.
        entitlements: Vec<String> = "entitlements",
        /// Build arguments; `None` values are unresolved names.
        args: MappingWithEquals = "args",
        /// Provenance attestation.
        provenance: String = "provenance",
        /// SBOM attestation.
        sbom: String = "sbom",
        /// SSH agent sockets or keys.
        ssh: SshConfig = "ssh",
        /// Image labels.
        labels: Labels = "labels",
        /// Cache sources.
        cache_from: StringList = "cache_from",
        /// Cache destinations.
        cache_to: StringList = "cache_to",
        /// Build without cache.
        no_cache: bool = "no_cache",
        /// Named extra contexts.
        additional_contexts: Mapping = "additional_contexts",
        /// Always pull base images.
        pull: bool = "pull",
        /// Extra `/etc/hosts` entries.
        extra_hosts: HostsList = "extra_hosts",
        /// Isolation technology.
        isolation: String = "isolation",
        /// Network for `RUN`.
        network: String = "network",
        /// Target stage.
        target: String = "target",
        /// Build secrets.
        secrets: Vec<FileReferenceConfig> = "secrets",
        /// Size of `/dev/shm`.
        shm_size: UnitBytes = "shm_size",
        /// Extra image tags.
        tags: StringList = "tags",
        /// Build ulimits.
        ulimits: IndexMap<String, UlimitsConfig> = "ulimits",
        /// Target platforms.
        platforms: StringList = "platforms",
        /// Privileged build.
        privileged: bool = "privileged",
    }
}

/// One SSH key or agent socket for a build (`SSHKey`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshKey {
    /// Key identifier (`default`).
    pub id: String,
    /// Path of the key or socket; empty for the agent.
    pub path: String,
}

/// SSH keys for a build (`SSHConfig`), from a `id: path` mapping or an `id[=path]` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshConfig(pub Vec<SshKey>);

impl SshConfig {
    /// Whether printing this as JSON fails in Compose (an entry with a path).
    #[must_use]
    pub fn breaks_json(&self) -> bool {
        self.0.iter().any(|key| !key.path.is_empty())
    }
}

impl Decode for SshConfig {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(id, item)| SshKey {
                        id: id.clone(),
                        path: if item.is_null() {
                            String::new()
                        } else {
                            go_sprint(item)
                        },
                    })
                    .collect(),
            ),
            // The loader may still hold the list form compose-go's transform turns into a map.
            Value::Array(items) => Self(
                items
                    .iter()
                    .map(|item| {
                        let entry = go_sprint(item);
                        match entry.split_once('=') {
                            Some((id, key_path)) => SshKey {
                                id: id.to_owned(),
                                path: key_path.to_owned(),
                            },
                            None => SshKey {
                                id: entry,
                                path: String::new(),
                            },
                        }
                    })
                    .collect(),
            ),
            Value::Null => Self::default(),
            other => {
                errors.push(path, DecodeProblem::SshConfigType(go_type(other)));
                Self::default()
            }
        }
    }
}

impl Encode for SshConfig {
    fn encode(&self, mode: Mode) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|key| {
                    if key.path.is_empty() {
                        Value::String(key.id.clone())
                    } else if mode == Mode::Yaml {
                        Value::String(format!("{}: {}", key.id, key.path))
                    } else {
                        // Compose fails here (see `ModelError::SshKeyJson`); print the list form.
                        Value::String(format!("{}={}", key.id, key.path))
                    }
                })
                .collect(),
        )
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}
