//! Compose's service config hash, the `com.docker.compose.config-hash` label that decides
//! whether a container is recreated.
//!
//! docker/compose (`pkg/compose/hash.go`) hashes Go's `json.Marshal` of the service after zeroing
//! `build`, `pull_policy`, `scale`, `deploy.replicas`, `depends_on` and `profiles`. To match it
//! byte for byte we print the model's JSON ([`crate::model`] keeps Go's field order and
//! `omitempty`) the way `encoding/json` does: compact, `<`, `>` and `&` escaped as `\u003c`,
//! `\u003e`, `\u0026`, and floats in Go's format.

use sha2::{Digest, Sha256};

use crate::loader::tree::Value;
use crate::model::{Mode, ServiceConfig};

/// Keys the hash leaves out: Compose zeroes them first, and they are all `omitempty`.
const IGNORED_KEYS: [&str; 5] = ["build", "pull_policy", "scale", "depends_on", "profiles"];

/// The SHA-256 hex digest Compose uses as a service's config hash.
#[must_use]
pub fn service_hash(service: &ServiceConfig) -> String {
    let mut value = service.to_value(Mode::Json);
    if let Value::Object(map) = &mut value {
        for key in IGNORED_KEYS {
            map.shift_remove(key);
        }
        if let Some(Value::Object(deploy)) = map.get_mut("deploy") {
            deploy.shift_remove("replicas");
        }
    }
    let json = crate::output::json_compact(&value);
    let digest = Sha256::digest(json.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Project;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model");

    /// Services with an `env_file`: `config --hash` hashes them before env files are resolved
    /// (env_file kept, environment not merged), a form `config --format json` cannot print, so
    /// their oracle hash cannot be rebuilt from the fixture (checked by hand for the first).
    const HASHED_WITH_ENV_FILES: [(&str, &str); 9] = [
        ("e2e-dotenv-raw-format", "test"),
        ("e2e-env-priority-env-file", "env-compose-priority"),
        ("cg-cli-env-file-flag", "simple"),
        ("cg-include-subdir", "imported"),
        ("cg-include-project-directory", "service"),
        ("cg-extends-file-subdir", "importer"),
        ("cg-cli-compose-file-from-dotenv", "simple"),
        ("develop", "a"),
        ("full-example", "foo"),
    ];

    #[test]
    fn service_hash_matches_compose_on_every_oracle_fixture() {
        let mut checked = 0;
        let mut failures = Vec::new();
        for group in [
            "compose-cases",
            "awesome-compose",
            "scalars",
            "full-example",
        ] {
            for entry in std::fs::read_dir(format!("{FIXTURES}/{group}")).unwrap() {
                let file = entry.unwrap().path();
                if file.extension().is_none_or(|ext| ext != "json") {
                    continue;
                }
                // `config` doubles every `$` in its output; `--hash` hashes the real values.
                let text = std::fs::read_to_string(&file).unwrap().replace("$$", "$");
                let fixture: Value = serde_json::from_str(&text).unwrap();
                let project = Project::from_value(fixture["config"].clone()).unwrap();
                let case = file.file_stem().unwrap().to_string_lossy().into_owned();
                for (name, expected) in fixture["hashes"].as_object().unwrap() {
                    if HASHED_WITH_ENV_FILES.contains(&(case.as_str(), name.as_str())) {
                        continue;
                    }
                    let actual = service_hash(&project.services[name]);
                    checked += 1;
                    if actual != expected.as_str().unwrap() {
                        failures.push(format!("{}: {name}", file.display()));
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} hashes checked");
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
