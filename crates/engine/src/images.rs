//! Images: inspect (to learn whether an image is present, and its ID) and remove.

use bollard::models::ImageInspect;
use std::collections::HashMap;

use bollard::models::ProgressDetail;
use bollard::query_parameters::{
    CreateImageOptions, ListImagesOptions, PushImageOptions, RemoveImageOptions,
};
use futures_util::StreamExt;

use crate::Engine;
use crate::error::{EngineError, Result};

impl Engine {
    /// Inspects an image by reference or ID; `Ok(None)` when it is not present.
    ///
    /// # Errors
    /// Transport or daemon errors other than "not found".
    pub async fn find_image(&self, reference: &str) -> Result<Option<ImageInspect>> {
        match self
            .docker
            .inspect_image(reference)
            .await
            .map_err(EngineError::from)
        {
            Ok(image) => Ok(Some(image)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The images present among `references`, by each of their tags (`name:tag`), with their
    /// IDs: one request answers "is it here, and which ID" for all of a project's services, and
    /// the daemon filters, so the answer stays small on a machine with many images.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn image_ids_by_tag(&self, references: &[String]) -> Result<HashMap<String, String>> {
        if references.is_empty() {
            return Ok(HashMap::new());
        }
        let options = ListImagesOptions {
            filters: Some(HashMap::from([(
                "reference".to_owned(),
                references.to_vec(),
            )])),
            ..ListImagesOptions::default()
        };
        let images = self.docker.list_images(Some(options)).await?;
        let mut ids = HashMap::new();
        for image in images {
            for tag in image.repo_tags {
                ids.insert(tag, image.id.clone());
            }
        }
        Ok(ids)
    }

    /// Pulls `reference` (a tag defaults to `latest`) with the Docker CLI's credentials for its
    /// registry ([`crate::registry`]), following the daemon's progress stream to its end;
    /// `on_progress` sees each message (`Pulling fs layer`, `Downloading` with bytes…).
    ///
    /// # Errors
    /// The registry's or daemon's error (the image does not exist, no registry answers, access
    /// denied), the stream breaking off, or unreadable credentials.
    pub async fn pull_image(
        &self,
        reference: &str,
        platform: &str,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<()> {
        let credentials = crate::registry::credentials_for(reference)?;
        let (image, tag) = split_reference(reference);
        let options = CreateImageOptions {
            from_image: Some(image.to_owned()),
            tag: Some(tag.to_owned()),
            platform: platform.to_owned(),
            ..Default::default()
        };
        let mut stream = Box::pin(self.docker.create_image(Some(options), None, credentials));
        let mut complete = false;
        while let Some(item) = stream.next().await {
            let info = item.map_err(stream_error)?;
            failed(info.error_detail)?;
            if let Some(status) = info.status {
                complete |= status.starts_with("Status: ") || status.starts_with("Digest: ");
                on_progress(&Progress::new(info.id, status, info.progress_detail));
            }
        }
        if !complete {
            return Err(EngineError::Daemon {
                status: 500,
                message: format!("pulling {reference}: the daemon's progress stream ended early"),
            });
        }
        Ok(())
    }

    /// Pushes `reference` (a tag defaults to `latest`) with the Docker CLI's credentials for its
    /// registry, following the daemon's progress stream; `on_progress` sees each message
    /// (`Preparing`, `Pushing` with bytes, `Pushed`, `Layer already exists`…).
    ///
    /// # Errors
    /// The registry's or daemon's error (no such local image, access denied, unreachable).
    pub async fn push_image(
        &self,
        reference: &str,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<()> {
        let credentials = crate::registry::credentials_for(reference)?;
        let (image, tag) = split_reference(reference);
        let options = PushImageOptions {
            tag: Some(tag.to_owned()),
            platform: None,
        };
        // The daemon refuses a push without an X-Registry-Auth header: send an empty one.
        let credentials = Some(credentials.unwrap_or_default());
        let mut stream = Box::pin(self.docker.push_image(image, Some(options), credentials));
        while let Some(item) = stream.next().await {
            let info = item.map_err(stream_error)?;
            failed(info.error_detail)?;
            if let Some(status) = info.status {
                on_progress(&Progress::new(None, status, info.progress_detail));
            }
        }
        Ok(())
    }

    /// Removes an image. A missing image is not an error.
    ///
    /// # Errors
    /// The daemon's error (e.g. a container still uses it).
    pub async fn remove_image(&self, reference: &str, force: bool) -> Result<()> {
        let options = RemoveImageOptions {
            force,
            noprune: false,
            ..Default::default()
        };
        match self
            .docker
            .remove_image(reference, Some(options), None)
            .await
            .map_err(EngineError::from)
        {
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
            Ok(_) => Ok(()),
        }
    }
}

/// One message of a pull's or push's progress stream, as the daemon sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The layer (or tag) the message is about; `None` for the image-wide lines (`Digest: …`).
    pub id: Option<String>,
    /// `Pulling fs layer`, `Downloading`, `Pull complete`, `Pushed`…
    pub status: String,
    /// Whether the message had a `progressDetail` (even an empty one): Compose shows only those.
    pub detailed: bool,
    /// Bytes done so far, when known.
    pub current: i64,
    /// Bytes in all, when known.
    pub total: i64,
}

impl Progress {
    fn new(id: Option<String>, status: String, detail: Option<ProgressDetail>) -> Self {
        let detailed = detail.is_some();
        let detail = detail.unwrap_or_default();
        Self {
            id,
            status,
            detailed,
            current: detail.current.unwrap_or(0),
            total: detail.total.unwrap_or(0),
        }
    }
}

/// A stream that breaks off (the daemon's error message, or the connection lost) as an engine
/// error.
fn stream_error(error: bollard::errors::Error) -> EngineError {
    match error {
        bollard::errors::Error::DockerStreamError { error } => EngineError::Daemon {
            status: 500,
            message: error,
        },
        other => EngineError::from(other),
    }
}

/// Splits `name[:tag][@digest]` into the name and the tag (or digest) the pull API wants; the
/// colon of a registry port is not a tag separator.
#[must_use]
pub fn split_reference(reference: &str) -> (&str, &str) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name, digest);
    }
    let last_slash = reference.rfind('/').map_or(0, |index| index + 1);
    match reference[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (&reference[..at], &reference[at + 1..])
        }
        None => (reference, "latest"),
    }
}

/// The error a progress stream reports in-band, if any.
fn failed(detail: Option<bollard::models::ErrorDetail>) -> Result<()> {
    match detail.and_then(|detail| detail.message) {
        Some(message) => Err(EngineError::Daemon {
            status: 500,
            message,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references_split_at_the_tag_not_the_registry_port() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("busybox:local"), ("busybox", "local"));
        assert_eq!(
            split_reference("127.0.0.1:5000/team/app"),
            ("127.0.0.1:5000/team/app", "latest")
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/team/app:v2"),
            ("127.0.0.1:5000/team/app", "v2")
        );
        assert_eq!(split_reference("app@sha256:abc"), ("app", "sha256:abc"));
    }
}
