//! Containers: list by label, create (with late network connections and injected files), start,
//! stop, kill, remove, rename, pause. Each call is one Engine API request, except [`Engine::create_container`],
//! which also does what API 1.41 cannot do in the create request itself.

use std::collections::HashMap;

use bollard::models::{ContainerInspectResponse, ContainerSummary, NetworkConnectRequest};
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, KillContainerOptions, RemoveContainerOptions,
    RenameContainerOptions, RestartContainerOptions, StartContainerOptions, StopContainerOptions,
    UploadToContainerOptions,
};

use crate::Engine;
use crate::build::request::Query;
use crate::build::transport;
use crate::error::Result;
use crate::spec::{ContainerSpec, FileInjection};

/// Label filters for listing: every entry is `key` or `key=value`, and all must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelFilter {
    /// `key` or `key=value` entries.
    pub labels: Vec<String>,
}

impl LabelFilter {
    /// A filter on one `key=value`.
    #[must_use]
    pub fn new(key: &str, value: &str) -> Self {
        Self {
            labels: vec![format!("{key}={value}")],
        }
    }

    /// Adds `key=value`.
    #[must_use]
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.labels.push(format!("{key}={value}"));
        self
    }

    /// Adds a presence check on `key`.
    #[must_use]
    pub fn with_key(mut self, key: &str) -> Self {
        self.labels.push(key.to_owned());
        self
    }

    pub(crate) fn to_filters(&self) -> HashMap<String, Vec<String>> {
        HashMap::from([("label".to_owned(), self.labels.clone())])
    }
}

impl Engine {
    /// Lists containers whose labels match `filter`; stopped ones too when `all`.
    ///
    /// # Errors
    /// Unreachable, transport or daemon errors.
    pub async fn list_containers(
        &self,
        filter: &LabelFilter,
        all: bool,
    ) -> Result<Vec<ContainerSummary>> {
        self.list_containers_as(filter, all).await
    }

    /// Lists containers as [`Engine::list_containers`] does, decoding each into `T`, which may
    /// take only the fields it needs (serde skips the rest): decoding whole summaries was half
    /// the CPU of `ls` over 50 containers. The request goes on a connection of its own, so it is
    /// also a daemon check: nothing answering is [`crate::EngineError::Unreachable`].
    ///
    /// # Errors
    /// Unreachable, transport or daemon errors, or an answer that does not decode into `T`.
    pub async fn list_containers_as<T: serde::de::DeserializeOwned>(
        &self,
        filter: &LabelFilter,
        all: bool,
    ) -> Result<Vec<T>> {
        let filters = serde_json::json!({ "label": filter.labels }).to_string();
        let mut query = Query::default();
        query.push("all", if all { "1" } else { "0" });
        query.push("filters", &filters);
        let path = format!("/containers/json?{}", query.as_str());
        let answer = transport::send(&self.endpoint, "GET", &path, &[], transport::empty()).await?;
        if !answer.response.status().is_success() {
            return Err(transport::error_of(answer).await);
        }
        let body = transport::read_all(answer).await?;
        serde_json::from_slice(&body).map_err(|error| {
            crate::EngineError::Transport(bollard::errors::Error::JsonSerdeError { err: error })
        })
    }

    /// Inspects a container by name or ID.
    ///
    /// # Errors
    /// [`crate::EngineError::NotFound`] when it does not exist.
    pub async fn inspect_container(&self, name: &str) -> Result<ContainerInspectResponse> {
        Ok(self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await?)
    }

    /// Creates a container, connects its further networks and writes its injected files.
    /// Returns the new container's ID.
    ///
    /// If a step after the creation fails, the half-made container is removed again, so that
    /// nothing is left that looks complete but is not.
    ///
    /// # Errors
    /// The daemon's error for the failing step.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            platform: spec.platform.clone(),
        };
        let created = self
            .docker
            .create_container(Some(options), spec.body.clone())
            .await?;
        let id = created.id;
        if let Err(error) = self.finish_create(&id, spec).await {
            let _ = self.remove_container(&id, true, false).await;
            return Err(error);
        }
        Ok(id)
    }

    async fn finish_create(&self, id: &str, spec: &ContainerSpec) -> Result<()> {
        for (network, endpoint) in &spec.extra_networks {
            let request = NetworkConnectRequest {
                container: id.to_owned(),
                endpoint_config: Some(endpoint.clone()),
            };
            self.docker.connect_network(network, request).await?;
        }
        if !spec.files.is_empty() {
            self.upload_files(id, &spec.files).await?;
        }
        Ok(())
    }

    /// Writes `files` into the container as one tar archive extracted at `/`; the engine creates
    /// missing parent directories.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn upload_files(&self, container: &str, files: &[FileInjection]) -> Result<()> {
        let archive = tar_of(files);
        let options = UploadToContainerOptions {
            path: "/".to_owned(),
            ..Default::default()
        };
        self.docker
            .upload_to_container(container, Some(options), bollard::body_full(archive.into()))
            .await?;
        Ok(())
    }

    /// Starts a container. Starting a running container is not an error.
    ///
    /// # Errors
    /// The daemon's error (e.g. a port already in use).
    pub async fn start_container(&self, name: &str) -> Result<()> {
        match self
            .docker
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(crate::EngineError::from)
        {
            Err(error) if error.is_not_modified() => Ok(()),
            other => other,
        }
    }

    /// Stops a container, waiting `timeout` seconds (the container's own default when `None`)
    /// before the daemon kills it. Stopping a stopped container is not an error.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn stop_container(&self, name: &str, timeout: Option<i32>) -> Result<()> {
        let options = StopContainerOptions {
            t: timeout,
            signal: None,
        };
        match self
            .docker
            .stop_container(name, Some(options))
            .await
            .map_err(crate::EngineError::from)
        {
            Err(error) if error.is_not_modified() => Ok(()),
            other => other,
        }
    }

    /// Restarts a container.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn restart_container(&self, name: &str, timeout: Option<i32>) -> Result<()> {
        let options = RestartContainerOptions {
            t: timeout,
            signal: None,
        };
        Ok(self.docker.restart_container(name, Some(options)).await?)
    }

    /// Sends `signal` to a container.
    ///
    /// # Errors
    /// The daemon's error (e.g. the container is not running).
    pub async fn kill_container(&self, name: &str, signal: &str) -> Result<()> {
        let options = KillContainerOptions {
            signal: signal.to_owned(),
        };
        Ok(self.docker.kill_container(name, Some(options)).await?)
    }

    /// Removes a container; `force` kills it first when running, `volumes` also removes its
    /// anonymous volumes. Removing a missing container is not an error.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn remove_container(&self, name: &str, force: bool, volumes: bool) -> Result<()> {
        let options = RemoveContainerOptions {
            v: volumes,
            force,
            link: false,
        };
        match self
            .docker
            .remove_container(name, Some(options))
            .await
            .map_err(crate::EngineError::from)
        {
            Err(error) if error.is_not_found() => Ok(()),
            Err(crate::EngineError::Conflict { message })
                if message.contains("is already in progress") =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Renames a container.
    ///
    /// # Errors
    /// The daemon's error (e.g. the name is taken).
    pub async fn rename_container(&self, name: &str, new_name: &str) -> Result<()> {
        let options = RenameContainerOptions {
            name: new_name.to_owned(),
        };
        Ok(self.docker.rename_container(name, options).await?)
    }

    /// Pauses a container.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn pause_container(&self, name: &str) -> Result<()> {
        Ok(self.docker.pause_container(name).await?)
    }

    /// Unpauses a container.
    ///
    /// # Errors
    /// The daemon's error.
    pub async fn unpause_container(&self, name: &str) -> Result<()> {
        Ok(self.docker.unpause_container(name).await?)
    }
}

/// A tar archive of `files`, paths relative to `/`.
fn tar_of(files: &[FileInjection]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for file in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.content.len() as u64);
        header.set_mode(file.mode);
        header.set_uid(file.uid);
        header.set_gid(file.gid);
        header.set_mtime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs()),
        );
        header.set_entry_type(tar::EntryType::Regular);
        let path = file.path.trim_start_matches('/');
        // Writing into a Vec cannot fail; a path tar cannot encode is skipped by the caller's
        // validation (absolute container paths from the model).
        let _ = builder.append_data(&mut header, path, file.content.as_slice());
    }
    builder.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_holds_each_file_with_its_mode_and_owner() {
        let files = vec![FileInjection {
            path: "/run/secrets/token".to_owned(),
            content: b"s3cret".to_vec(),
            mode: 0o440,
            uid: 1000,
            gid: 1001,
        }];
        let bytes = tar_of(&files);
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<_> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                (
                    entry.path().unwrap().display().to_string(),
                    header.mode().unwrap(),
                    header.uid().unwrap(),
                    header.gid().unwrap(),
                    header.size().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![("run/secrets/token".to_owned(), 0o440, 1000, 1001, 6)]
        );
    }
}
