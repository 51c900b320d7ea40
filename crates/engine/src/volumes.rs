//! Volumes: list by label, inspect, create, remove.

use bollard::models::Volume;
use bollard::query_parameters::{ListVolumesOptions, RemoveVolumeOptions};

use crate::Engine;
use crate::containers::LabelFilter;
use crate::error::{EngineError, Result};
use crate::spec::VolumeSpec;

impl Engine {
    /// Lists volumes whose labels match `filter`.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<Volume>> {
        let options = ListVolumesOptions {
            filters: Some(filter.to_filters()),
        };
        let listed = self.docker.list_volumes(Some(options)).await?;
        Ok(listed.volumes.unwrap_or_default())
    }

    /// Inspects a volume by name.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when it does not exist.
    pub async fn inspect_volume(&self, name: &str) -> Result<Volume> {
        Ok(self.docker.inspect_volume(name).await?)
    }

    /// Creates a volume.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume> {
        Ok(self.docker.create_volume(spec.body.clone()).await?)
    }

    /// Removes a volume. A missing volume is not an error.
    ///
    /// # Errors
    /// The daemon's error, e.g. [`EngineError::Conflict`] while a container uses it.
    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(EngineError::from)
        {
            Err(error) if error.is_not_found() => Ok(()),
            other => other,
        }
    }
}
