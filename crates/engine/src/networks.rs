//! Networks: list by label, inspect, create, remove, connect and disconnect.

use std::time::Duration;

use bollard::models::{
    EndpointSettings, Network, NetworkConnectRequest, NetworkDisconnectRequest, NetworkInspect,
};
use bollard::query_parameters::{InspectNetworkOptions, ListNetworksOptions};

use crate::Engine;
use crate::containers::LabelFilter;
use crate::error::{EngineError, Result};
use crate::spec::NetworkSpec;

impl Engine {
    /// Lists networks whose labels match `filter`.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn list_networks(&self, filter: &LabelFilter) -> Result<Vec<Network>> {
        let options = ListNetworksOptions {
            filters: Some(filter.to_filters()),
        };
        Ok(self.docker.list_networks(Some(options)).await?)
    }

    /// Inspects a network by name or ID.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when it does not exist.
    pub async fn inspect_network(&self, name: &str) -> Result<NetworkInspect> {
        Ok(self
            .docker
            .inspect_network(name, None::<InspectNetworkOptions>)
            .await?)
    }

    /// Creates a network; returns its ID.
    ///
    /// # Errors
    /// The daemon's error (overlapping subnet, unknown driver…).
    pub async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        let created = self.docker.create_network(spec.body.clone()).await?;
        Ok(created.id)
    }

    /// Removes a network. A missing network is not an error. Docker 20.10 can briefly report
    /// "has active endpoints" right after the last container left, so that answer is retried for a
    /// few seconds before it is returned.
    ///
    /// # Errors
    /// The daemon's error, e.g. [`EngineError::Conflict`] or a 403 while containers use it.
    pub async fn remove_network(&self, name: &str) -> Result<()> {
        let mut attempts = 0;
        loop {
            match self
                .docker
                .remove_network(name)
                .await
                .map_err(EngineError::from)
            {
                Ok(()) => return Ok(()),
                Err(error) if error.is_not_found() => return Ok(()),
                Err(error) if attempts < 20 && is_active_endpoints(&error) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Connects a container to a network.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_owned(),
            endpoint_config: Some(endpoint),
        };
        Ok(self.docker.connect_network(network, request).await?)
    }

    /// Disconnects a container from a network.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn disconnect_network(
        &self,
        network: &str,
        container: &str,
        force: bool,
    ) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: container.to_owned(),
            force: Some(force),
        };
        Ok(self.docker.disconnect_network(network, request).await?)
    }
}

/// Whether the daemon refused because containers (possibly just-removed ones) still use it.
#[must_use]
pub fn is_active_endpoints(error: &EngineError) -> bool {
    match error {
        EngineError::Daemon { message, .. } | EngineError::Conflict { message } => {
            message.contains("active endpoints")
        }
        _ => false,
    }
}
