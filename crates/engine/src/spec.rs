//! Engine-level descriptions of the resources berth creates. They hold what the Engine API needs
//! and nothing about compose files: the front end translates a service into a [`ContainerSpec`].

use bollard::models::{
    ContainerCreateBody, EndpointSettings, NetworkCreateRequest, VolumeCreateRequest,
};

/// A container to create.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// The container's name.
    pub name: String,
    /// The create request. Its `networking_config` holds at most one endpoint: API 1.41 daemons
    /// accept only one at creation time, so further networks go in [`Self::extra_networks`].
    pub body: ContainerCreateBody,
    /// Networks connected after creation, before start, in order.
    pub extra_networks: Vec<(String, EndpointSettings)>,
    /// Files copied into the container after creation, before start (secrets and configs whose
    /// content does not come from a host file).
    pub files: Vec<FileInjection>,
    /// `platform` query parameter, empty for the daemon's default.
    pub platform: String,
}

/// A file written into a container before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInjection {
    /// Absolute path inside the container.
    pub path: String,
    /// The file's bytes.
    pub content: Vec<u8>,
    /// Permission bits.
    pub mode: u32,
    /// Owner user ID.
    pub uid: u64,
    /// Owner group ID.
    pub gid: u64,
}

/// A network to create.
#[derive(Debug, Clone, Default)]
pub struct NetworkSpec {
    /// The create request (its `name` is the network's name).
    pub body: NetworkCreateRequest,
}

/// A volume to create.
#[derive(Debug, Clone, Default)]
pub struct VolumeSpec {
    /// The create request (its `name` is the volume's name).
    pub body: VolumeCreateRequest,
}
