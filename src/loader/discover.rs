//! Which files make the project, which environment interpolates them, and what the project is called.
//!
//! This is the part of loading that happens before any compose file is parsed, in the order Docker
//! Compose v2.40.3 runs it (compose-go `cli/options.go`, driven by docker/compose `toProjectOptions`):
//! the OS environment, a first `.env` pass, `COMPOSE_FILE`, the upward search for `compose.yaml`,
//! a second `.env` pass in the directory found, profiles, and the name given on the command line
//! or in `COMPOSE_PROJECT_NAME`. The name written in the files (`name:`) is resolved later, once
//! the files are parsed (see `super::project_name`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::env;

/// The variables interpolation sees, sorted by name (Compose prints them sorted).
pub type Environment = BTreeMap<String, String>;

/// The compose file names searched for, in order of preference.
pub const DEFAULT_FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override file names searched for beside the file found, in order of preference.
pub const DEFAULT_OVERRIDE_FILE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// What the user asked for on the command line, before anything is resolved.
#[derive(Clone, Debug, Default)]
pub struct ProjectOptions {
    /// `-f` values, in order (`-` is standard input).
    pub files: Vec<String>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`.
    pub project_directory: Option<PathBuf>,
    /// `--env-file` values (the CLI fills them from `COMPOSE_ENV_FILES` when the flag is absent).
    pub env_files: Vec<String>,
    /// `--profile` values.
    pub profiles: Vec<String>,
    /// The process environment.
    pub os_environment: Environment,
    /// The current directory.
    pub current_dir: PathBuf,
}

/// One compose file and its text.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// Absolute path, or `-` for standard input.
    pub filename: String,
    /// The file's text.
    pub content: String,
}

/// Everything discovery decided: the files, the project directory and the environment.
#[derive(Clone, Debug)]
pub struct ConfigDetails {
    /// The project directory: `--project-directory`, else the first file's directory.
    pub working_dir: PathBuf,
    /// The compose files, read.
    pub config_files: Vec<ConfigFile>,
    /// The interpolation environment: OS environment, then `.env` files for unset keys.
    pub environment: Environment,
    /// The environment files used for the project environment (absolute).
    pub env_files: Vec<PathBuf>,
    /// Whether `--env-file` (or `COMPOSE_ENV_FILES`) named them explicitly.
    pub explicit_env_files: bool,
    /// Active profiles: `--profile`, else `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// The name set by `-p` or `COMPOSE_PROJECT_NAME`, validated but not normalised.
    pub imperative_name: Option<String>,
    /// Warnings to show the user.
    pub warnings: Vec<String>,
}

/// Why the project's files or environment could not be determined.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// No compose file was named or found.
    #[error("no configuration file provided: not found")]
    NoConfigurationFile,
    /// A file named by `COMPOSE_FILE` does not exist.
    #[error("stat {path}: no such file or directory")]
    ComposeFileMissing {
        /// The absolute path.
        path: String,
    },
    /// A compose file could not be read.
    #[error("open {path}: {reason}")]
    Read {
        /// The absolute path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Standard input could not be read for `-f -`.
    #[error("reading compose file from standard input: {0}")]
    Stdin(String),
    /// An environment file named on the command line does not exist.
    #[error("couldn't find env file: {path}")]
    EnvFileMissing {
        /// The absolute path.
        path: String,
    },
    /// An environment file is a directory.
    #[error("{path} is a directory")]
    EnvFileIsDirectory {
        /// The absolute path.
        path: String,
    },
    /// An environment file is malformed.
    #[error(transparent)]
    Dotenv(#[from] env::DotenvError),
    /// `COMPOSE_DISABLE_ENV_FILE` is not a boolean.
    #[error("strconv.ParseBool: parsing {value:?}: invalid syntax")]
    InvalidBoolean {
        /// The value found.
        value: String,
    },
    /// `-p` or `COMPOSE_PROJECT_NAME` is not a valid project name.
    #[error(
        "invalid project name {0:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
    )]
    InvalidProjectName(String),
}

/// Lowercases a name and keeps only `[a-z0-9_-]`, without leading `_` or `-`, as Compose does for
/// names taken from `name:` and from the project directory.
#[must_use]
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_owned()
}

/// Resolves the options into files, environment and project directory.
///
/// # Errors
/// A missing or unreadable compose or environment file, a malformed `.env`, an invalid `-p`.
pub fn discover(options: &ProjectOptions) -> Result<ConfigDetails, DiscoverError> {
    let cwd = &options.current_dir;
    let mut warnings = Vec::new();

    if let Some(name) = &options.project_name
        && normalize_project_name(name) != *name
    {
        return Err(DiscoverError::InvalidProjectName(name.clone()));
    }

    let project_directory = options
        .project_directory
        .as_ref()
        .map(|dir| absolute(cwd, dir));

    // The OS environment always wins; PWD is added when missing.
    let mut environment = options.os_environment.clone();
    environment
        .entry("PWD".to_owned())
        .or_insert_with(|| cwd.display().to_string());

    let mut config_paths: Vec<String> = options
        .files
        .iter()
        .map(|file| {
            if file == "-" {
                file.clone()
            } else {
                absolute(cwd, Path::new(file)).display().to_string()
            }
        })
        .collect();

    // First environment-file pass, in the directory known before discovery.
    let first_dir = working_dir(project_directory.as_deref(), &config_paths, cwd);
    let first_env_files = env_files(options, &first_dir)?;
    merge_env_files(&mut environment, &first_env_files, &mut warnings)?;

    // COMPOSE_FILE, which the .env file may have set.
    if config_paths.is_empty()
        && let Some(value) = environment.get("COMPOSE_FILE")
    {
        let separator = environment
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .map_or(":", String::as_str);
        for entry in value.split(separator) {
            if entry == "-" {
                config_paths.push(entry.to_owned());
                continue;
            }
            let path = absolute(cwd, Path::new(entry));
            if !path.exists() {
                return Err(DiscoverError::ComposeFileMissing {
                    path: path.display().to_string(),
                });
            }
            config_paths.push(path.display().to_string());
        }
    }

    // The upward search for compose.yaml and its override.
    if config_paths.is_empty() {
        let start = project_directory.clone().unwrap_or_else(|| cwd.clone());
        config_paths = search_default_files(&start, &mut warnings);
    }
    if config_paths.is_empty() {
        return Err(DiscoverError::NoConfigurationFile);
    }

    // Second environment-file pass, in the directory now known.
    let working_dir = working_dir(project_directory.as_deref(), &config_paths, cwd);
    let project_env_files = env_files(options, &working_dir)?;
    merge_env_files(&mut environment, &project_env_files, &mut warnings)?;

    let profiles = if options.profiles.is_empty() {
        environment
            .get("COMPOSE_PROFILES")
            .map(|value| value.split(',').map(|p| p.trim().to_owned()).collect())
            .unwrap_or_default()
    } else {
        options.profiles.clone()
    };

    let imperative_name = match &options.project_name {
        Some(name) if !name.is_empty() => Some(name.clone()),
        _ => environment
            .get("COMPOSE_PROJECT_NAME")
            .filter(|name| !name.is_empty())
            .cloned(),
    };
    if let Some(name) = &imperative_name
        && normalize_project_name(name) != *name
    {
        return Err(DiscoverError::InvalidProjectName(name.clone()));
    }

    let config_files = read_config_files(&config_paths)?;
    Ok(ConfigDetails {
        working_dir,
        config_files,
        environment,
        env_files: project_env_files,
        explicit_env_files: !options.env_files.is_empty(),
        profiles,
        imperative_name,
        warnings,
    })
}

/// `path` made absolute against `base`, cleaned lexically as Go's `filepath.Abs` does.
#[must_use]
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    clean(&joined)
}

/// Lexical path cleaning (Go's `filepath.Clean`): removes `.`, resolves `..`, drops trailing `/`.
#[must_use]
pub fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

fn working_dir(project_directory: Option<&Path>, config_paths: &[String], cwd: &Path) -> PathBuf {
    if let Some(dir) = project_directory {
        return dir.to_path_buf();
    }
    config_paths
        .iter()
        .find(|path| *path != "-")
        .and_then(|path| Path::new(path).parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.to_path_buf())
}

/// The environment files of one pass: the explicit ones, else `<dir>/.env` when it is a file.
fn env_files(options: &ProjectOptions, dir: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    if !options.env_files.is_empty() {
        return Ok(options
            .env_files
            .iter()
            .map(|file| absolute(&options.current_dir, Path::new(file)))
            .collect());
    }
    if let Some(value) = options.os_environment.get("COMPOSE_DISABLE_ENV_FILE")
        && parse_go_bool(value).ok_or_else(|| DiscoverError::InvalidBoolean {
            value: value.clone(),
        })?
    {
        return Ok(Vec::new());
    }
    let default = dir.join(".env");
    if default.is_file() {
        Ok(vec![default])
    } else {
        Ok(Vec::new())
    }
}

/// Go's `strconv.ParseBool`.
#[must_use]
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Reads environment files in order (later ones override earlier ones) and adds their variables
/// to `environment` only where it has none: the OS environment wins.
///
/// # Errors
/// A missing file, a directory, or a malformed file.
pub fn merge_env_files(
    environment: &mut Environment,
    files: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<(), DiscoverError> {
    let from_files = read_env_files(environment, files, warnings)?;
    for (key, value) in from_files {
        environment.entry(key).or_insert(value);
    }
    Ok(())
}

/// Reads environment files in order into one map; `current` answers lookups first, then the
/// variables of earlier files and lines (compose-go's `GetEnvFromFile`).
///
/// # Errors
/// A missing file, a directory, or a malformed file.
pub fn read_env_files(
    current: &Environment,
    files: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Environment, DiscoverError> {
    let mut from_files = indexmap::IndexMap::new();
    for file in files {
        let metadata = std::fs::metadata(file).map_err(|_| DiscoverError::EnvFileMissing {
            path: file.display().to_string(),
        })?;
        if metadata.is_dir() {
            return Err(DiscoverError::EnvFileIsDirectory {
                path: file.display().to_string(),
            });
        }
        let lookup = |key: &str| current.get(key).cloned();
        env::read_dotenv_file_into(file, &lookup, &mut from_files, warnings)?;
    }
    Ok(from_files.into_iter().collect())
}

fn search_default_files(start: &Path, warnings: &mut Vec<String>) -> Vec<String> {
    let mut dir = start.to_path_buf();
    loop {
        let found = find_files(&DEFAULT_FILE_NAMES, &dir);
        if let Some(winner) = found.first() {
            if found.len() > 1 {
                warnings.push(format!(
                    "Found multiple config files with supported names: {}",
                    found.join(", ")
                ));
                warnings.push(format!("Using {winner}"));
            }
            let mut paths = vec![winner.clone()];
            let overrides = find_files(&DEFAULT_OVERRIDE_FILE_NAMES, &dir);
            if let Some(first) = overrides.first() {
                if overrides.len() > 1 {
                    warnings.push(format!(
                        "Found multiple override files with supported names: {}",
                        overrides.join(", ")
                    ));
                    warnings.push(format!("Using {first}"));
                }
                paths.push(first.clone());
            }
            return paths;
        }
        match dir.parent() {
            Some(parent) if parent != dir => dir = parent.to_path_buf(),
            _ => return Vec::new(),
        }
    }
}

fn find_files(names: &[&str], dir: &Path) -> Vec<String> {
    names
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect()
}

fn read_config_files(paths: &[String]) -> Result<Vec<ConfigFile>, DiscoverError> {
    let mut stdin: Option<String> = None;
    paths
        .iter()
        .map(|path| {
            let content = if path == "-" {
                if stdin.is_none() {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|error| DiscoverError::Stdin(error.to_string()))?;
                    stdin = Some(text);
                }
                stdin.clone().unwrap_or_default()
            } else {
                std::fs::read_to_string(path).map_err(|error| DiscoverError::Read {
                    path: path.clone(),
                    reason: io_reason(&error),
                })?
            };
            Ok(ConfigFile {
                filename: path.clone(),
                content,
            })
        })
        .collect()
}

/// The operating system's reason for an I/O error, worded as Go words it.
#[must_use]
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(case: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/compose-cases")
            .join(case)
    }

    #[test]
    fn project_names_are_normalised_as_compose_does() {
        assert_eq!(normalize_project_name("My_Proj.Dir"), "my_projdir");
        assert_eq!(normalize_project_name("-_9Dir"), "9dir");
        assert_eq!(normalize_project_name("My.App"), "myapp");
        assert_eq!(normalize_project_name("Foo Bar!"), "foobar");
    }

    #[test]
    fn upward_search_finds_the_parent_file_and_prefers_the_nearest_env_file() {
        let dir = corpus("e2e-parent-dir-search");
        let options = ProjectOptions {
            current_dir: dir.join("sub"),
            ..ProjectOptions::default()
        };
        let details = discover(&options).expect("the parent's compose file is found");
        assert_eq!(details.config_files.len(), 1);
        assert!(
            details.config_files[0]
                .filename
                .ends_with("e2e-parent-dir-search/compose.yaml")
        );
        assert_eq!(details.working_dir, dir);
        // sub/.env was read first and wins over the parent's .env for the keys both set.
        assert_eq!(details.env_files, vec![dir.join(".env")]);
        assert!(!details.environment.is_empty());
    }

    #[test]
    fn compose_file_comes_from_the_dotenv_file() {
        let dir = corpus("cg-cli-compose-file-from-dotenv");
        let options = ProjectOptions {
            current_dir: dir.clone(),
            ..ProjectOptions::default()
        };
        let details = discover(&options).expect("COMPOSE_FILE from .env is used");
        assert!(!details.config_files.is_empty());
        assert!(details.imperative_name.is_some());
    }

    #[test]
    fn missing_files_are_reported_as_compose_reports_them() {
        let options = ProjectOptions {
            current_dir: PathBuf::from("/"),
            files: vec!["nope.yaml".to_owned()],
            ..ProjectOptions::default()
        };
        let error = discover(&options).expect_err("a missing -f file is an error");
        assert_eq!(
            error.to_string(),
            "open /nope.yaml: no such file or directory"
        );

        let options = ProjectOptions {
            current_dir: PathBuf::from("/"),
            ..ProjectOptions::default()
        };
        let error = discover(&options).expect_err("nothing to find from /");
        assert_eq!(
            error.to_string(),
            "no configuration file provided: not found"
        );
    }

    #[test]
    fn invalid_imperative_names_are_rejected() {
        let options = ProjectOptions {
            current_dir: corpus("e2e-links"),
            project_name: Some("Bad".to_owned()),
            ..ProjectOptions::default()
        };
        let error = discover(&options).expect_err("-p Bad is invalid");
        assert!(
            error
                .to_string()
                .starts_with("invalid project name \"Bad\"")
        );
    }

    #[test]
    fn clean_matches_go() {
        assert_eq!(clean(Path::new("/a/b/../c/./d/")), PathBuf::from("/a/c/d"));
        assert_eq!(clean(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(clean(Path::new("a/..")), PathBuf::from("."));
    }
}
