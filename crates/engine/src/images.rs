//! Images: inspect (to learn whether an image is present, and its ID) and remove.

use bollard::models::ImageInspect;
use bollard::query_parameters::RemoveImageOptions;

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
