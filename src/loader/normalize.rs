//! Every rewrite Compose applies to the project tree between merging and binding to types.
//!
//! The stages run in compose-go v2.9.1's order, each on the whole tree (the [`Value`] at the root
//! of a compose document):
//!
//! 1. per file, after schema validation: [`canonical`] (short syntax → long syntax) and
//!    [`omit_empty`] (empty `dns` entries);
//! 2. after all files are merged: [`set_default_values`], [`resolve_relative_paths`] and
//!    [`resolve_environment`];
//! 3. once the project name is known: [`normalize`] (default network, implied `depends_on`,
//!    resource names).
//!
//! The result has the shape `docker compose config --format json` prints, except for scalars the
//! typed model formats later (durations, byte sizes). Errors carry the [`TreePath`] of the node so
//! the caller can point into the file; their text is Compose's.

mod canonical;
mod defaults;
mod environment;
mod paths;
mod ports;
mod project;
mod volumes;

use std::fmt;
use std::path::Path;

use thiserror::Error;

use crate::loader::tree::{Segment, TreePath, Value};

pub use canonical::{canonical, omit_empty};
pub use defaults::set_default_values;
pub use environment::{SECRET_CONTENT_KEY, resolve_environment};
pub use paths::{clean_slash_path, is_windows_abs, join_path};
pub use ports::{PortError, parse_port_config};
pub use project::normalize;
pub use volumes::{VolumeError, parse_volume, volume_target};

/// Resolves the model's relative paths against `working_dir` (the project directory), as
/// compose-go's `paths.ResolveRelativePaths` does: build contexts and `additional_contexts`
/// (remote ones untouched), `build.ssh` keys, `env_file` and `label_file` paths, a local
/// `extends.file`, `develop.watch` paths (first symbolic link resolved), bind sources, secret and
/// config files, and the `device` of local bind-mounted volumes. `~` expands to `home`; without a
/// home, Compose's warning is appended to `warnings` and the path is kept.
pub fn resolve_relative_paths(
    dict: &mut Value,
    working_dir: &Path,
    home: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<(), NormalizeError> {
    paths::Resolver::new(working_dir, home, warnings).resolve_project(dict)
}

/// Why a rewrite of the project tree failed. Each message is Compose's own.
#[derive(Debug, Error)]
pub enum NormalizeError {
    /// A field holds a type its rewrite does not accept (`build: 1`, `ports: 80.5`).
    #[error("{}: invalid type {found} for {expected}", GoPath(path))]
    InvalidType {
        /// The offending node.
        path: TreePath,
        /// Go's name for the type found (`float64`, `bool`, …).
        found: &'static str,
        /// What compose-go calls the field in its message.
        expected: &'static str,
    },
    /// `additional_contexts` is neither a list nor a mapping.
    #[error("{}: invalid type {found}", GoPath(path))]
    KeyValueType {
        /// The offending node.
        path: TreePath,
        /// Go's name for the type found.
        found: &'static str,
    },
    /// A secret or config mount is neither a name nor a mapping.
    #[error("{}: unsupported type {found}", GoPath(path))]
    UnsupportedType {
        /// The offending node.
        path: TreePath,
        /// Go's name for the type found.
        found: &'static str,
    },
    /// A `depends_on` entry in a mapping that is not itself a mapping.
    #[error("{}: unsupported value {value}", GoPath(path))]
    DependsOnValue {
        /// The entry (`services.web.depends_on.db`).
        path: TreePath,
        /// The value as Go prints it.
        value: String,
    },
    /// A short-syntax port that does not parse.
    #[error("{source}")]
    Port {
        /// The port entry.
        path: TreePath,
        /// What is wrong with it.
        source: PortError,
    },
    /// A short-syntax volume that does not parse.
    #[error("{source}")]
    Volume {
        /// The volume entry.
        path: TreePath,
        /// What is wrong with it.
        source: VolumeError,
    },
    /// A device mapping with more than three `:`-separated parts.
    #[error("confusing device mapping, please use long syntax: {spec}")]
    ConfusingDevice {
        /// The device entry.
        path: TreePath,
        /// The mapping as written.
        spec: String,
    },
    /// An `additional_contexts` list entry without `=`.
    #[error("{}: invalid value {entry}, expected key=value", GoPath(path))]
    KeyValue {
        /// The `additional_contexts` node.
        path: TreePath,
        /// The entry as written.
        entry: String,
    },
    /// A `build.ssh` list entry that is not a string.
    #[error("invalid ssh key type {found}")]
    SshKeyType {
        /// The `build.ssh` node.
        path: TreePath,
        /// Go's name for the type found.
        found: &'static str,
    },
    /// A `build.ssh` list entry without `=` other than `default`.
    #[error("invalid ssh key {key:?}")]
    SshKey {
        /// The `build.ssh` node.
        path: TreePath,
        /// The entry as written.
        key: String,
    },
    /// `external.name` and `name` both set, to different values.
    #[error("{}: name and external.name conflict; only use name", GoPath(path))]
    ExternalNameConflict {
        /// The resource (`volumes.data`).
        path: TreePath,
    },
    /// A device request (`gpus`, `deploy.resources.reservations.devices`) that is not a mapping.
    #[error("{}: invalid type {found} for device request", GoPath(path))]
    DeviceRequestType {
        /// The device request.
        path: TreePath,
        /// Go's name for the type found.
        found: &'static str,
    },
    /// A long-syntax bind mount without `source`.
    #[error("invalid mount config for type \"bind\": field Source must not be empty")]
    BindWithoutSource {
        /// The volume entry.
        path: TreePath,
    },
    /// A path field that holds neither a string nor a list.
    #[error("unexpected type {found}")]
    UnexpectedPathType {
        /// The path field.
        path: TreePath,
        /// Go's name for the type found.
        found: &'static str,
    },
    /// A `develop.watch` path through a symbolic link that cannot be resolved.
    #[error("lstat {link}: {reason}")]
    Symlink {
        /// The watch path.
        path: TreePath,
        /// The link that failed to resolve.
        link: String,
        /// The operating system's reason, in Go's words.
        reason: String,
    },
}

impl NormalizeError {
    /// The node of the tree the error is about.
    #[must_use]
    pub fn path(&self) -> &TreePath {
        match self {
            Self::InvalidType { path, .. }
            | Self::KeyValueType { path, .. }
            | Self::UnsupportedType { path, .. }
            | Self::DependsOnValue { path, .. }
            | Self::Port { path, .. }
            | Self::Volume { path, .. }
            | Self::ConfusingDevice { path, .. }
            | Self::KeyValue { path, .. }
            | Self::SshKeyType { path, .. }
            | Self::SshKey { path, .. }
            | Self::ExternalNameConflict { path }
            | Self::DeviceRequestType { path, .. }
            | Self::BindWithoutSource { path }
            | Self::UnexpectedPathType { path, .. }
            | Self::Symlink { path, .. } => path,
        }
    }
}

/// A path as compose-go's `tree.Path` prints it in messages: sequence items are `[]`
/// (`services.web.devices.[]`).
struct GoPath<'a>(&'a TreePath);

impl fmt::Display for GoPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, segment) in self.0.0.iter().enumerate() {
            if index > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Key(key) => f.write_str(key)?,
                Segment::Index(_) => f.write_str("[]")?,
            }
        }
        Ok(())
    }
}

use crate::go::type_name as go_type_name;

/// A scalar printed as Go's `fmt.Sprint` prints it.
fn go_display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "<nil>".to_owned(),
        other => other.to_string(),
    }
}

/// The items of a sequence or the values of a mapping (compose-go's `*` matches both).
fn children_mut(value: &mut Value) -> Box<dyn Iterator<Item = &mut Value> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter_mut()),
        Value::Object(map) => Box::new(map.values_mut()),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod chain_tests;
