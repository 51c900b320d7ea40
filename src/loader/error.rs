//! Every way loading a project can fail.
//!
//! Each variant's text is Docker Compose's own message, so that users and scripts see what they
//! know; [`LoadError::Located`] adds where in which file the problem was written, which Compose
//! does not say.

use super::tree::{Location, SourceMap, TreePath};
use super::{discover, env, interpolate, merge, normalize, validate, yaml};

/// Why a project could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Files, environment files or the project name could not be determined.
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    /// A compose file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] yaml::YamlError),
    /// A `${…}` expression is malformed or a required variable is missing.
    #[error(transparent)]
    Interpolation(#[from] interpolate::InterpolationError),
    /// The `name:` of a file could not be interpolated.
    #[error(transparent)]
    Template(#[from] interpolate::TemplateError),
    /// Two files could not be merged.
    #[error(transparent)]
    Merge(#[from] merge::MergeError),
    /// The merged model does not match the Compose Specification schema.
    #[error("validating {file}: {error}")]
    Schema {
        /// The file whose merge produced the invalid model.
        file: String,
        /// What the schema rejected.
        error: Box<validate::SchemaError>,
    },
    /// An unquoted date, which Compose reads as a timestamp the schema rejects.
    #[error("validating {file}: {path} invalid jsonType time.Time")]
    Timestamp {
        /// The file.
        file: String,
        /// Where the date was written.
        path: TreePath,
    },
    /// A semantic rule of the specification is broken.
    #[error(transparent)]
    Validation(#[from] validate::ValidationError),
    /// The project refers to something it does not define, or sets conflicting values.
    #[error(transparent)]
    Consistency(#[from] validate::ConsistencyError),
    /// The service dependencies are undefined or cyclic.
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// A short syntax could not be read, or normalisation failed.
    #[error(transparent)]
    Normalize(#[from] normalize::NormalizeError),
    /// A value has the wrong type for the model.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// An environment file is malformed.
    #[error(transparent)]
    Dotenv(#[from] env::DotenvError),
    /// No document defines anything.
    #[error("empty compose file")]
    EmptyFile,
    /// The name resolved to nothing.
    #[error("project name must not be empty")]
    EmptyProjectName,
    /// A document is not a mapping.
    #[error("top-level object must be a mapping")]
    TopLevelNotMapping,
    /// `services` is not a mapping.
    #[error("services must be a mapping")]
    ServicesNotMapping,
    /// A service is not a mapping.
    #[error("services.{0} must be a mapping")]
    ServiceNotMapping(String),
    /// `extends` names no service.
    #[error("extends.{0}.service is required")]
    ExtendsServiceRequired(String),
    /// `extends` names a service the file does not define.
    #[error("cannot extend service {service:?} in {file}: service {base:?} not found")]
    ExtendsNotFound {
        /// The extending service.
        service: String,
        /// The file being loaded.
        file: String,
        /// The missing base service.
        base: String,
    },
    /// `extends` names a service another file does not define.
    #[error(
        "cannot extend service {service:?} in {file}: service {base:?} not found in {base_file}"
    )]
    ExtendsNotFoundInFile {
        /// The extending service.
        service: String,
        /// The file being loaded.
        file: String,
        /// The missing base service.
        base: String,
        /// The file `extends.file` names.
        base_file: String,
    },
    /// The file `extends.file` names has no services.
    #[error("cannot extend service {service:?} in {file}: no services section")]
    ExtendsNoServices {
        /// The extending service.
        service: String,
        /// The base file.
        file: String,
    },
    /// The `services` of the file `extends.file` names is not a mapping.
    #[error("cannot extend service {service:?} in {file}: services must be a mapping")]
    ExtendsServicesNotMapping {
        /// The extending service.
        service: String,
        /// The base file.
        file: String,
    },
    /// A file named by `extends` or `include` could not be read.
    #[error("open {path}: {reason}")]
    ReadFile {
        /// The absolute path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// `extends` chains back to a service already being extended.
    #[error("{0}")]
    CircularReference(String),
    /// `include` is not a list.
    #[error("`include` must be a list, got {0}")]
    IncludeNotList(String),
    /// An `include` entry is malformed.
    #[error("include[{index}]: {reason}")]
    IncludeEntry {
        /// The entry's position.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// `include` chains back to a file already being loaded.
    #[error("{0}")]
    IncludeCycle(String),
    /// An included resource clashes with one already defined.
    #[error("{kind}.{name} conflicts with imported resource")]
    ImportConflict {
        /// `services`, `volumes`, `networks`, `secrets`, `configs` or `models`.
        kind: String,
        /// The resource.
        name: String,
    },
    /// An environment file of `include` is missing or a directory.
    #[error("{0}")]
    IncludeEnvFile(String),
    /// A service named on the command line does not exist.
    #[error("no such service: {0}")]
    NoSuchService(String),
    /// A service's required `env_file` does not exist.
    #[error("env file {path} not found: stat {path}: no such file or directory")]
    EnvFileNotFound {
        /// The absolute path.
        path: String,
    },
    /// A service's `label_file` does not exist.
    #[error("label file {path} not found: stat {path}: no such file or directory")]
    LabelFileNotFound {
        /// The absolute path.
        path: String,
    },
    /// An `env_file` names an unknown format.
    #[error("unsupported env_file format {0:?}")]
    EnvFileFormat(String),
    /// Two services set the same `container_name`.
    #[error("services.{service}: container name {name:?} is already in use by service {other}\"")]
    ContainerNameInUse {
        /// The second service.
        service: String,
        /// The name.
        name: String,
        /// The first service.
        other: String,
    },
    /// An error and where it was written.
    #[error("{error}")]
    Located {
        /// The error.
        error: Box<LoadError>,
        /// Where.
        location: Location,
    },
}

impl LoadError {
    /// Attaches the location of the error's node, if the error names one and `sources` has it.
    #[must_use]
    pub fn located(error: LoadError, sources: &SourceMap) -> LoadError {
        let location = error
            .tree_path()
            .and_then(|path| sources.find(&path).cloned());
        match location {
            Some(location) => LoadError::Located {
                error: Box::new(error),
                location,
            },
            None => error,
        }
    }

    /// Where the problem was written, when known.
    #[must_use]
    pub fn location(&self) -> Option<&Location> {
        match self {
            LoadError::Located { location, .. } => Some(location),
            _ => None,
        }
    }

    /// The tree path of the node the error is about, when it names one.
    #[must_use]
    pub fn tree_path(&self) -> Option<TreePath> {
        match self {
            LoadError::Timestamp { path, .. } => Some(path.clone()),
            LoadError::Interpolation(error) => Some(error.path().clone()),
            LoadError::Schema { error, .. } => match error.as_ref() {
                // Point at the first key the schema does not allow rather than at its parent.
                validate::SchemaError::AdditionalProperties { path, properties } => Some(
                    properties
                        .first()
                        .map_or_else(|| path.clone(), |key| path.key(key)),
                ),
                other => Some(other.path()),
            },
            LoadError::Normalize(error) => Some(error.path().clone()),
            LoadError::Validation(error) => Some(error.path().clone()),
            LoadError::ServiceNotMapping(service) => Some(TreePath::keys(&["services", service])),
            LoadError::ExtendsNotFound { service, .. }
            | LoadError::ExtendsNotFoundInFile { service, .. }
            | LoadError::ExtendsServiceRequired(service) => {
                Some(TreePath::keys(&["services", service, "extends"]))
            }
            _ => None,
        }
    }
}
