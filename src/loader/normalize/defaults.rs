//! Default values Compose fills in once all files are merged (compose-go's
//! `transform.SetDefaultValues`).
//!
//! They are applied after merging rather than per file, so that an override file can still set
//! the field: the default only fills what no file wrote.

use crate::loader::tree::{TreePath, Value};

use super::{NormalizeError, children_mut, go_type_name};

/// Fills in Compose's defaults: `build.context: "."`, secret mounts' `target:
/// /run/secrets/<source>`, ports' `protocol: tcp` and `mode: ingress`, and `count: all` on device
/// requests (`deploy.resources.reservations.devices` and `gpus`) that name neither a count nor
/// device ids.
pub fn set_default_values(mut dict: Value) -> Result<Value, NormalizeError> {
    let Some(Value::Object(services)) = dict.get_mut("services") else {
        return Ok(dict);
    };
    for (name, service) in services.iter_mut() {
        let Value::Object(service) = service else {
            continue;
        };
        let here = |key: &str| TreePath::keys(&["services", name, key]);
        if let Some(Value::Object(build)) = service.get_mut("build") {
            build.entry("context").or_insert_with(|| Value::from("."));
        }
        if let Some(secrets) = service.get_mut("secrets") {
            for (index, secret) in children_mut(secrets).enumerate() {
                let Value::Object(secret) = secret else {
                    return Err(NormalizeError::UnsupportedType {
                        path: here("secrets").index(index),
                        found: go_type_name(secret),
                    });
                };
                if !secret.contains_key("target") {
                    let source = secret
                        .get("source")
                        .map_or_else(|| "%!s(<nil>)".to_owned(), go_text);
                    secret.insert(
                        "target".to_owned(),
                        Value::String(format!("/run/secrets/{source}")),
                    );
                }
            }
        }
        if let Some(ports) = service.get_mut("ports") {
            for port in children_mut(ports) {
                if let Value::Object(port) = port {
                    port.entry("protocol").or_insert_with(|| Value::from("tcp"));
                    port.entry("mode").or_insert_with(|| Value::from("ingress"));
                }
            }
        }
        if let Some(gpus) = service.get_mut("gpus") {
            for (index, request) in children_mut(gpus).enumerate() {
                device_request_defaults(request, || here("gpus").index(index))?;
            }
        }
        let reservations = service
            .get_mut("deploy")
            .and_then(|deploy| deploy.get_mut("resources"))
            .and_then(|resources| resources.get_mut("reservations"))
            .and_then(|reservations| reservations.get_mut("devices"));
        if let Some(devices) = reservations {
            for (index, request) in children_mut(devices).enumerate() {
                device_request_defaults(request, || {
                    TreePath::keys(&[
                        "services",
                        name,
                        "deploy",
                        "resources",
                        "reservations",
                        "devices",
                    ])
                    .index(index)
                })?;
            }
        }
    }
    Ok(dict)
}

fn device_request_defaults(
    request: &mut Value,
    path: impl Fn() -> TreePath,
) -> Result<(), NormalizeError> {
    let Value::Object(request) = request else {
        return Err(NormalizeError::DeviceRequestType {
            path: path(),
            found: go_type_name(request),
        });
    };
    if !request.contains_key("count") && !request.contains_key("device_ids") {
        request.insert("count".to_owned(), Value::from("all"));
    }
    Ok(())
}

/// A value printed with Go's `%s` verb, as the default secret target does.
fn go_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "%!s(<nil>)".to_owned(),
        other => other.to_string(),
    }
}
