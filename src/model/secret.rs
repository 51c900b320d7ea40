//! Top-level secrets and configs (`FileObjectConfig`) and models (`ModelConfig`).
//!
//! Secrets and configs share one struct but print differently: a secret's content is never
//! printed, and a config's content is dropped when it came from an environment variable.

use indexmap::IndexMap;

use super::codec::{Decode, Encode, Errors, FieldPath, Mode};
use super::mapping::Labels;
use crate::loader::tree::Value;

/// The extension key under which compose-go's loader passes a secret's inline content.
const SECRET_CONTENT_KEY: &str = "x-#value";

compose_struct! {
    /// A file-like object: the common shape of secrets and configs (`FileObjectConfig`).
    pub struct FileObjectConfig [extensions] {
        /// Engine name.
        name: String = "name",
        /// Source file.
        file: String = "file",
        /// Source environment variable.
        environment: String = "environment",
        /// Inline content.
        content: String = "content",
        /// Managed outside the project.
        external: bool = "external",
        /// Labels.
        labels: Labels = "labels",
        /// Driver.
        driver: String = "driver",
        /// Driver options.
        driver_opts: IndexMap<String, String> = "driver_opts",
        /// Template driver.
        template_driver: String = "template_driver",
    }
}

/// A top-level secret (`SecretConfig`); its content is never printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecretConfig(pub FileObjectConfig);

/// A top-level config (`ConfigObjConfig`); content read from `environment` is not printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigObjConfig(pub FileObjectConfig);

impl Decode for SecretConfig {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        let mut secret = FileObjectConfig::decode(value, path, errors);
        if let Some(Value::String(content)) = secret.extensions.shift_remove(SECRET_CONTENT_KEY) {
            secret.content = content;
        }
        Self(secret)
    }
}

impl Encode for SecretConfig {
    fn encode(&self, mode: Mode) -> Value {
        let mut secret = self.0.clone();
        secret.content.clear();
        secret.encode(mode)
    }
    fn is_empty(&self, mode: Mode) -> bool {
        self.0.is_empty(mode)
    }
}

impl Decode for ConfigObjConfig {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        Self(FileObjectConfig::decode(value, path, errors))
    }
}

impl Encode for ConfigObjConfig {
    fn encode(&self, mode: Mode) -> Value {
        if self.0.environment.is_empty() {
            return self.0.encode(mode);
        }
        let mut config = self.0.clone();
        config.content.clear();
        config.encode(mode)
    }
    fn is_empty(&self, mode: Mode) -> bool {
        self.0.is_empty(mode)
    }
}

compose_struct! {
    /// A top-level model (`ModelConfig`).
    pub struct ModelConfig [extensions] {
        /// Name.
        name: String = "name",
        /// Model reference.
        model: String = "model",
        /// Context size.
        context_size: i32 = "context_size",
        /// Runtime flags.
        runtime_flags: Vec<String> = "runtime_flags",
    }
}
