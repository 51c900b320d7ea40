//! Values taken from the environment once the model is merged (compose-go's
//! `loader/environment.go`).
//!
//! A bare `environment: [KEY]` entry passes the variable through from the shell, and a secret or
//! config declared with `environment: VAR` takes its content from it. Compose resolves both against
//! the interpolation environment (OS plus `.env`), not the container's.

use crate::loader::tree::Value;

/// Where compose-go parks a secret's content read from the environment until it is bound.
pub const SECRET_CONTENT_KEY: &str = "x-#value";

/// Resolves bare `KEY` entries of list-form service `environment` to `KEY=value` when the
/// environment has `KEY` (other entries are kept; non-string entries are dropped), and fills
/// secrets' [`SECRET_CONTENT_KEY`] and configs' `content` from their `environment` variable.
pub fn resolve_environment(dict: &mut Value, environment: &dyn Fn(&str) -> Option<String>) {
    if let Some(Value::Object(services)) = dict.get_mut("services") {
        for service in services.values_mut() {
            let Some(Value::Array(entries)) = service.get_mut("environment") else {
                continue;
            };
            let resolved = std::mem::take(entries)
                .into_iter()
                .filter_map(|entry| match entry {
                    Value::String(name) => Some(Value::String(match environment(&name) {
                        Some(value) => format!("{name}={value}"),
                        None => name,
                    })),
                    _ => None,
                })
                .collect();
            *entries = resolved;
        }
    }
    for (kind, field) in [("secrets", SECRET_CONTENT_KEY), ("configs", "content")] {
        let Some(Value::Object(resources)) = dict.get_mut(kind) else {
            continue;
        };
        for resource in resources.values_mut() {
            let Value::Object(resource) = resource else {
                continue;
            };
            let value = resource
                .get("environment")
                .and_then(Value::as_str)
                .and_then(environment);
            if let Some(value) = value {
                resource.insert(field.to_owned(), Value::String(value));
            }
        }
    }
}
