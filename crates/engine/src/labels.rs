//! The `com.docker.compose.*` label keys. They are the engine-side contract shared with Docker
//! Compose: both tools find a project's resources by them, so the spelling is not ours to choose.

/// Project name, on every resource.
pub const PROJECT: &str = "com.docker.compose.project";
/// Service name, on containers and built images.
pub const SERVICE: &str = "com.docker.compose.service";
/// Network key in the compose file.
pub const NETWORK: &str = "com.docker.compose.network";
/// Volume key in the compose file.
pub const VOLUME: &str = "com.docker.compose.volume";
/// Compose version that created the resource.
pub const VERSION: &str = "com.docker.compose.version";
/// Replica number of a service container.
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
/// `True` on one-off (`run`) containers, `False` otherwise.
pub const ONEOFF: &str = "com.docker.compose.oneoff";
/// Slug of a one-off container.
pub const SLUG: &str = "com.docker.compose.slug";
/// Configuration hash; a container without it is not the project's.
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// Local image ID the container was created from.
pub const IMAGE: &str = "com.docker.compose.image";
/// `svc:condition:restart` list, so that `down -p` can order without files.
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// The project's working directory.
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// The project's compose files, comma-joined.
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// The `--env-file` files, comma-joined.
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";
/// `<service>-<n>` of the container a recreated one replaced.
pub const REPLACE: &str = "com.docker.compose.replace";
/// The Compose version berth writes into [`VERSION`], so that Compose treats berth's resources as
/// its own.
pub const COMPOSE_VERSION: &str = "2.40.3";
