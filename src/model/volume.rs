//! Top-level volumes (`VolumeConfig`).

use super::mapping::{Labels, Options};

compose_struct! {
    /// A top-level volume (`VolumeConfig`).
    pub struct VolumeConfig [extensions] {
        /// Engine name of the volume.
        name: String = "name",
        /// Driver.
        driver: String = "driver",
        /// Driver options.
        driver_opts: Options = "driver_opts",
        /// Managed outside the project.
        external: bool = "external",
        /// Labels.
        labels: Labels = "labels",
    }
}
