//! Top-level networks (`NetworkConfig`) and their IP address management (`IPAMConfig`).

use super::mapping::{Labels, Mapping, Options};

compose_struct! {
    /// A top-level network (`NetworkConfig`). JSON always prints `ipam`.
    pub struct NetworkConfig [extensions] {
        /// Engine name of the network.
        name: String = "name",
        /// Driver.
        driver: String = "driver",
        /// Driver options.
        driver_opts: Options = "driver_opts",
        /// IP address management.
        ipam: IpamConfig = "ipam",
        /// Managed outside the project.
        external: bool = "external",
        /// No external connectivity.
        internal: bool = "internal",
        /// Standalone containers may attach.
        attachable: bool = "attachable",
        /// Labels.
        labels: Labels = "labels",
        /// Enable IPv4.
        enable_ipv4: Option<bool> = "enable_ipv4",
        /// Enable IPv6.
        enable_ipv6: Option<bool> = "enable_ipv6",
    }
}

compose_struct! {
    /// IP address management of a network (`IPAMConfig`).
    pub struct IpamConfig [extensions] {
        /// IPAM driver.
        driver: String = "driver",
        /// Address pools.
        config: Vec<IpamPool> = "config",
    }
}

compose_struct! {
    /// An address pool (`IPAMPool`).
    pub struct IpamPool [extensions] {
        /// Subnet.
        subnet: String = "subnet",
        /// Gateway.
        gateway: String = "gateway",
        /// Allocation range.
        ip_range: String = "ip_range",
        /// Reserved addresses.
        aux_addresses: Mapping = "aux_addresses",
    }
}
