//! The Compose loader: everything Compose does to a project before it talks to an engine.
//!
//! Stages, in the order Docker Compose v2.40.3 (compose-go v2.9.1) runs them:
//! 1. [`discover`]: files, environment (`.env`), project directory, profiles, imperative name;
//! 2. per file and per YAML document ([`yaml`]): interpolation ([`interpolate`]), `extends`
//!    ([`extends`]), `!reset`/`!override`, `include` (`include`), merge and unicity ([`merge`]),
//!    schema validation ([`validate`]), canonical long syntax ([`normalize`]);
//! 3. defaults, semantic checks, relative paths, environment of bare `environment` entries;
//! 4. normalisation (names, default network, implied dependencies);
//! 5. profiles, consistency checks and the dependency graph ([`crate::graph`]), service env files,
//!    service selection ([`select`]), and binding to the typed [`crate::model::Project`].
//!
//! Every stage works on the untyped tree of [`tree`], as Compose does, so that each rule applies
//! where Compose applies it. Errors keep Compose's wording and add where the problem was written.

pub mod discover;
pub mod env;
pub mod error;
pub mod extends;
pub mod include;
pub mod interpolate;
pub mod merge;
pub mod normalize;
pub mod select;
pub mod tree;
pub mod validate;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use discover::{ConfigDetails, Environment, ProjectOptions};
pub use error::LoadError;
use tree::{Map, SourceMap, TreePath, Value};

use crate::model::Project;

/// How much of the pipeline runs (the `config --no-*` flags).
#[derive(Clone, Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is an independent --no-* switch of `config`"
)]
pub struct LoadOptions {
    /// Substitute `${VAR}` (off with `--no-interpolate`).
    pub interpolate: bool,
    /// Normalise names, default network and dependencies (off with `--no-normalize`).
    pub normalize: bool,
    /// Make relative paths absolute (off with `--no-path-resolution`).
    pub resolve_paths: bool,
    /// Check references and dependencies (off with `--no-consistency`).
    pub consistency: bool,
    /// Merge service `env_file`s into `environment` and drop them (off with `--no-env-resolution`
    /// and for commands that hash services, as Compose does).
    pub resolve_environment: bool,
    /// Keep networks, volumes, secrets and configs no selected service uses (`--all-resources`).
    pub all_resources: bool,
    /// The services named on the command line (empty: all enabled services).
    pub services: Vec<String>,
    /// A directory remembering the documents found valid, whose next loads skip the schema
    /// check (`None`: every document is checked).
    pub validated: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            interpolate: true,
            normalize: true,
            resolve_paths: true,
            consistency: true,
            resolve_environment: true,
            all_resources: false,
            services: Vec::new(),
            validated: None,
        }
    }
}

/// A loaded project and what was learnt while loading it.
#[derive(Debug)]
pub struct Loaded {
    /// The typed project.
    pub project: Project,
    /// The project as a tree, in the shape `config --format json` prints (before typing).
    pub tree: Value,
    /// Services that profiles disabled, as trees.
    pub disabled_services: Map,
    /// The project directory.
    pub working_dir: PathBuf,
    /// The compose files, absolute (or `-`).
    pub config_files: Vec<String>,
    /// The interpolation environment.
    pub environment: Environment,
    /// The environment files used.
    pub env_files: Vec<PathBuf>,
    /// Whether the environment files were named explicitly.
    pub explicit_env_files: bool,
    /// Active profiles, including those enabled by naming a service.
    pub profiles: Vec<String>,
    /// Warnings to show the user, in the order they arose.
    pub warnings: Vec<String>,
}

/// Loads a project as `docker compose` does for its commands.
///
/// # Errors
/// Any problem Compose reports while loading, with the location where it was written when known.
pub fn load(project_options: &ProjectOptions, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let details = discover::discover(project_options)?;
    load_details(details, options)
}

/// Loads a project whose files and environment are already discovered.
///
/// # Errors
/// As [`load`].
pub fn load_details(details: ConfigDetails, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let (dict, environment, mut context) = load_merged(&details, options)?;
    let mut state = select::ProjectState::new(dict, details.profiles.clone())?;
    if options.consistency {
        state.check_consistency()?;
    }
    if options.resolve_environment {
        state.resolve_service_environment(&environment, &mut context.warnings)?;
    }
    state.resolve_label_files(&mut context.warnings)?;
    state.enable_services(&options.services)?;
    state.select_services(&options.services)?;
    if !options.all_resources {
        state.drop_unused_resources();
    }
    if options.consistency {
        state.check_container_name_unicity()?;
    }
    let project = Project::from_tree(&state.tree).map_err(LoadError::Model)?;
    let tree = state.tree;
    Ok(Loaded {
        project,
        tree,
        disabled_services: state.disabled,
        working_dir: details.working_dir,
        config_files: details
            .config_files
            .iter()
            .map(|file| file.filename.clone())
            .collect(),
        environment,
        env_files: details.env_files,
        explicit_env_files: details.explicit_env_files,
        profiles: state.profiles,
        warnings: context.warnings,
    })
}

/// Loads the project tree up to normalisation, without profiles or binding: what
/// `config --no-interpolate` and `config --variables` print from.
///
/// # Errors
/// As [`load`].
pub fn load_tree(
    project_options: &ProjectOptions,
    options: &LoadOptions,
) -> Result<(Value, Vec<String>), LoadError> {
    let details = discover::discover(project_options)?;
    let (dict, _, context) = load_merged(&details, options)?;
    Ok((dict, context.warnings))
}

/// The files parsed, named, merged and normalised: the part every load shares, with the
/// interpolation environment (`COMPOSE_PROJECT_NAME` included) and the load's context.
fn load_merged(
    details: &ConfigDetails,
    options: &LoadOptions,
) -> Result<(Value, Environment, Context), LoadError> {
    let mut context = Context {
        options: options.clone(),
        warnings: details.warnings.clone(),
        sources: SourceMap::default(),
    };
    let parsed = parse_files(&details.config_files)?;
    let project_name = project_name(details, &parsed, &mut context)?;
    let mut environment = details.environment.clone();
    environment.insert("COMPOSE_PROJECT_NAME".to_owned(), project_name.clone());
    let dict = load_model(
        &details.working_dir,
        &environment,
        parsed,
        &project_name,
        &mut context,
        &[],
    )?;
    Ok((dict, environment, context))
}

/// State shared by the stages of one load.
pub(crate) struct Context {
    pub(crate) options: LoadOptions,
    pub(crate) warnings: Vec<String>,
    pub(crate) sources: SourceMap,
}

/// A compose file and its parsed documents.
pub(crate) struct ParsedFile {
    pub(crate) filename: String,
    pub(crate) documents: Vec<yaml::Document>,
}

fn parse_files(files: &[discover::ConfigFile]) -> Result<Vec<ParsedFile>, LoadError> {
    files
        .iter()
        .map(|file| {
            Ok(ParsedFile {
                filename: file.filename.clone(),
                documents: yaml::parse_documents(&file.content, &file.filename)?,
            })
        })
        .collect()
}

/// The project name: `-p`, `COMPOSE_PROJECT_NAME`, the last `name:` of the files (interpolated,
/// normalised), or the project directory's name (normalised).
fn project_name(
    details: &ConfigDetails,
    parsed: &[ParsedFile],
    context: &mut Context,
) -> Result<String, LoadError> {
    if let Some(name) = &details.imperative_name {
        return Ok(name.clone());
    }
    // Compose looks at the first document of each file to decide whether the files name the
    // project, and at every document for the name itself.
    let mut named_in_yaml = false;
    let mut from_files = String::new();
    for file in parsed {
        for (index, document) in file.documents.iter().enumerate() {
            if let Some(Value::String(name)) = document.value.get("name")
                && !name.is_empty()
            {
                if index == 0 {
                    named_in_yaml = true;
                }
                from_files.clone_from(name);
            }
        }
    }
    let mut name = String::new();
    if !named_in_yaml {
        let dirname = details
            .working_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name = discover::normalize_project_name(&dirname);
    }
    if !from_files.is_empty() {
        if context.options.interpolate {
            let lookup = |key: &str| details.environment.get(key).cloned();
            from_files = interpolate::substitute(&from_files, &lookup, &mut context.warnings)
                .map_err(LoadError::Template)?;
        }
        if context.options.normalize {
            from_files = discover::normalize_project_name(&from_files);
        }
        if !from_files.is_empty() {
            name = from_files;
        }
    }
    Ok(name)
}

/// `loader.load`: all files merged, defaults, validation, paths, then normalisation.
pub(crate) fn load_model(
    working_dir: &Path,
    environment: &Environment,
    files: Vec<ParsedFile>,
    project_name: &str,
    context: &mut Context,
    included: &[String],
) -> Result<Value, LoadError> {
    if let Some(main) = files.first()
        && included.contains(&main.filename)
    {
        return Err(include::cycle_error(included, &main.filename));
    }
    let stages = Stages::main(&context.options);
    let mut dict = load_yaml_model(working_dir, environment, files, context, included, &stages)?;
    if dict.as_object().is_none_or(Map::is_empty) {
        return Err(LoadError::EmptyFile);
    }
    if project_name.is_empty() {
        return Err(LoadError::EmptyProjectName);
    }
    if context.options.normalize {
        if let Some(map) = dict.as_object_mut() {
            map.insert("name".to_owned(), Value::String(project_name.to_owned()));
        }
        let lookup = |key: &str| environment.get(key).cloned();
        dict = normalize::normalize(dict, &lookup)?;
    }
    Ok(dict)
}

/// Which stages a (possibly nested) load runs: the main project runs them all, a file loaded for
/// `extends` or `include` skips some, as compose-go's option clones do.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stages {
    pub(crate) extends: bool,
    pub(crate) include: bool,
    pub(crate) validation: bool,
    pub(crate) defaults: bool,
    pub(crate) resolve_paths: bool,
}

impl Stages {
    /// The stages of the main project: all of them, paths as the options say.
    pub(crate) fn main(options: &LoadOptions) -> Stages {
        Stages {
            extends: true,
            include: true,
            validation: true,
            defaults: true,
            resolve_paths: options.resolve_paths,
        }
    }
}

/// `loader.loadYamlModel`: the files merged in order, then defaults, semantic validation,
/// relative paths and bare environment entries.
pub(crate) fn load_yaml_model(
    working_dir: &Path,
    environment: &Environment,
    files: Vec<ParsedFile>,
    context: &mut Context,
    included: &[String],
    stages: &Stages,
) -> Result<Value, LoadError> {
    let mut dict = Value::Object(Map::new());
    for file in files {
        dict = load_yaml_file(
            working_dir,
            environment,
            file,
            dict,
            context,
            included,
            stages,
        )?;
    }
    if stages.defaults {
        dict = normalize::set_default_values(dict)?;
    }
    if stages.validation {
        validate::validate_semantics(&dict)
            .map_err(|error| LoadError::located(error.into(), &context.sources))?;
    }
    if stages.resolve_paths {
        let home = environment.get("HOME").map(String::as_str);
        normalize::resolve_relative_paths(&mut dict, working_dir, home, &mut context.warnings)?;
    }
    let lookup = |key: &str| environment.get(key).cloned();
    normalize::resolve_environment(&mut dict, &lookup);
    Ok(dict)
}

/// `loader.loadYamlFile`: every document of one file, each interpolated, extended, included,
/// merged onto `dict`, validated and put in canonical form.
pub(crate) fn load_yaml_file(
    working_dir: &Path,
    environment: &Environment,
    file: ParsedFile,
    mut dict: Value,
    context: &mut Context,
    included: &[String],
    stages: &Stages,
) -> Result<Value, LoadError> {
    let filename = file.filename;
    for document in file.documents {
        let yaml::Document {
            value,
            resets,
            overrides,
            timestamps,
            locations,
        } = document;
        let mut config = match value {
            Value::Object(_) => value,
            _ => return Err(LoadError::TopLevelNotMapping),
        };
        if context.options.interpolate {
            let lookup = |key: &str| environment.get(key).cloned();
            interpolate::interpolate(&mut config, &lookup, &mut context.warnings)
                .map_err(|error| LoadError::located(LoadError::Interpolation(error), &locations))?;
        }
        let mut reset_paths = resets;
        reset_paths.extend(overrides);
        if stages.extends {
            extends::apply_extends(
                &mut config,
                &filename,
                working_dir,
                environment,
                &reset_paths,
                context,
            )?;
        }
        merge::remove_paths(&mut dict, &reset_paths);
        if stages.include {
            let mut now_included = included.to_vec();
            now_included.push(filename.clone());
            include::apply_include(
                &mut config,
                working_dir,
                environment,
                context,
                &now_included,
            )?;
        }
        dict = merge::merge(dict, config)?;
        dict = merge::enforce_unicity(dict)?;
        if stages.validation {
            if let Some(path) = surviving_timestamp(&dict, &timestamps) {
                return Err(LoadError::located(
                    LoadError::Timestamp {
                        file: filename.clone(),
                        path,
                    },
                    &locations,
                ));
            }
            validate::validate_schema_remembered(&dict, context.options.validated.as_deref())
                .map_err(|error| {
                    LoadError::located(
                        LoadError::Schema {
                            file: filename.clone(),
                            error: Box::new(error),
                        },
                        &locations,
                    )
                })?;
            if let Some(map) = dict.as_object_mut()
                && map.shift_remove("version").is_some()
            {
                context.warnings.push(format!(
                        "{filename}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion"
                    ));
            }
        }
        dict = normalize::canonical(dict, !context.options.interpolate, &mut context.warnings)
            .map_err(|error| LoadError::located(error.into(), &locations))?;
        dict = normalize::omit_empty(dict);
        dict = merge::enforce_unicity(dict)?;
        context.sources.extend(locations);
    }
    Ok(dict)
}

/// go-yaml decodes unquoted dates as `time.Time`, which the schema rejects wherever it survives,
/// except under `x-` extensions whose content the schema does not type.
fn surviving_timestamp(dict: &Value, timestamps: &[TreePath]) -> Option<TreePath> {
    timestamps
        .iter()
        .find(|path| {
            let extension = path
                .0
                .iter()
                .any(|segment| matches!(segment, tree::Segment::Key(key) if key.starts_with("x-")));
            !extension && lookup(dict, path).is_some_and(Value::is_string)
        })
        .cloned()
}

/// The node at `path`, if any.
#[must_use]
pub fn lookup<'a>(value: &'a Value, path: &TreePath) -> Option<&'a Value> {
    let mut current = value;
    for segment in &path.0 {
        current = match segment {
            tree::Segment::Key(key) => current.as_object()?.get(key)?,
            tree::Segment::Index(index) => current.as_array()?.get(*index)?,
        };
    }
    Some(current)
}

/// What unit tests elsewhere in the crate share: a project loaded through the real loader.
#[cfg(test)]
pub(crate) mod testing {
    use super::{LoadOptions, Loaded, ProjectOptions, load as load_project};

    /// Loads `yaml` as project `p` through the real loader, with `files` beside it.
    pub(crate) fn load(yaml: &str, files: &[(&str, &str)]) -> Loaded {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("berth-unit-{}-{count}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("compose.yaml"), yaml).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let options = ProjectOptions {
            files: vec![dir.join("compose.yaml").display().to_string()],
            project_name: Some("p".to_owned()),
            project_directory: None,
            env_files: Vec::new(),
            profiles: Vec::new(),
            os_environment: super::Environment::new(),
            current_dir: dir.clone(),
        };
        let loaded = load_project(&options, &LoadOptions::default()).expect("loads");
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }
}
