//! Compose's service configuration hash, the `com.docker.compose.config-hash` label.
//!
//! docker/compose (`pkg/compose/hash.go`) hashes the Go `json.Marshal` of the service after
//! clearing what must not cause a recreation: `build`, `pull_policy`, `scale`,
//! `deploy.replicas`, `depends_on` and `profiles`. berth encodes the same fields in the same order
//! with Go's escaping, so the hashes are equal and neither tool recreates the other's containers.

use sha2::{Digest, Sha256};

use crate::model::{Mode, ServiceConfig};

/// The SHA-256 hex of the service's JSON, as Compose computes it.
#[must_use]
pub fn service_hash(service: &ServiceConfig) -> String {
    let mut service = service.clone();
    service.build = None;
    service.pull_policy = String::new();
    service.scale = None;
    if let Some(deploy) = service.deploy.as_mut() {
        deploy.replicas = None;
    }
    service.depends_on = crate::model::DependsOnConfig::default();
    service.profiles = Vec::new();
    let json = crate::output::json_compact(&service.to_json(Mode::Json));
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
