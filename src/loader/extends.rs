//! `extends`: a service built on another service, of the same file or of another file.
//!
//! As in compose-go (`loader/extends.go`), extends is resolved per document, right after
//! interpolation and before the document is merged with later `-f` files, so overrides of the base
//! service in later files are not inherited. The base is resolved recursively, deep-copied, the
//! `!reset`/`!override` paths of the extending document are removed from it, and the extending
//! service is merged onto it with Compose's merge rules. A base taken from another file keeps that
//! file's relative paths relative to that file's directory.

use std::path::{Path, PathBuf};

use super::discover::{self, Environment};
use super::tree::{Map, TreePath, Value};
use super::{Context, LoadError, ParsedFile, Stages, merge, normalize, yaml};

/// One step of an `extends` chain: the file and the service.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ServiceRef {
    file: String,
    service: String,
}

/// The chain of services being extended, to detect cycles.
#[derive(Clone, Debug, Default)]
struct CycleTracker {
    loaded: Vec<ServiceRef>,
}

impl CycleTracker {
    fn add(&self, file: &str, service: &str) -> Result<CycleTracker, LoadError> {
        let next = ServiceRef {
            file: file.to_owned(),
            service: service.to_owned(),
        };
        if self.loaded.contains(&next) {
            let mut lines = vec!["Circular reference:".to_owned()];
            if let Some(first) = self.loaded.first() {
                lines.push(format!("  {} in {}", first.service, first.file));
            }
            for step in self.loaded.iter().skip(1).chain(std::iter::once(&next)) {
                lines.push(format!("  extends {} in {}", step.service, step.file));
            }
            return Err(LoadError::CircularReference(lines.join("\n")));
        }
        let mut loaded = self.loaded.clone();
        loaded.push(next);
        Ok(CycleTracker { loaded })
    }
}

/// Resolves every `extends` of a document's services in place.
///
/// `file` is the document's file, `working_dir` the directory relative `extends.file` paths are
/// resolved against, `resets` the `!reset`/`!override` paths the document recorded.
///
/// # Errors
/// A missing base service or file, a cycle, or a merge failure.
pub(crate) fn apply_extends(
    dict: &mut Value,
    file: &str,
    working_dir: &Path,
    environment: &Environment,
    resets: &[TreePath],
    context: &mut Context,
) -> Result<(), LoadError> {
    let Some(services) = dict.get_mut("services") else {
        return Ok(());
    };
    let Value::Object(services) = services else {
        return Err(LoadError::ServicesNotMapping);
    };
    let names: Vec<String> = services.keys().cloned().collect();
    let mut extender = Extender {
        working_dir,
        environment,
        context,
    };
    for name in names {
        let merged = extender.resolve(&name, services, file, &CycleTracker::default(), resets)?;
        if let Some(merged) = merged {
            services.insert(name, merged);
        }
    }
    Ok(())
}

struct Extender<'a> {
    working_dir: &'a Path,
    environment: &'a Environment,
    context: &'a mut Context,
}

impl Extender<'_> {
    /// `applyServiceExtends`: the service `name` of `services` with its extends chain applied.
    /// `None` for a null service.
    fn resolve(
        &mut self,
        name: &str,
        services: &mut Map,
        file: &str,
        tracker: &CycleTracker,
        resets: &[TreePath],
    ) -> Result<Option<Value>, LoadError> {
        let Some(service) = services.get(name) else {
            return Ok(None);
        };
        if service.is_null() {
            return Ok(None);
        }
        let Value::Object(service_map) = service else {
            return Err(LoadError::ServiceNotMapping(name.to_owned()));
        };
        let Some(extends) = service_map.get("extends") else {
            return Ok(Some(service.clone()));
        };
        let (base_name, base_file) = match extends {
            Value::Object(map) => {
                let Some(Value::String(base)) = map.get("service") else {
                    return Err(LoadError::ExtendsServiceRequired(name.to_owned()));
                };
                let base_file = match map.get("file") {
                    Some(Value::String(path)) => Some(path.clone()),
                    _ => None,
                };
                (base.clone(), base_file)
            }
            Value::String(base) => (base.clone(), None),
            _ => return Ok(Some(service.clone())),
        };
        let service = service.clone();

        let (base, tracker) = if let Some(base_file) = base_file {
            let (mut base_services, base_resets) =
                self.load_base_file(name, &base_name, file, &base_file)?;
            let tracker = tracker.add(&base_file, name)?;
            let base = self.resolve(
                &base_name,
                &mut base_services,
                &base_file,
                &tracker,
                &base_resets,
            )?;
            (base, tracker)
        } else {
            if !services.contains_key(&base_name) {
                return Err(LoadError::ExtendsNotFound {
                    service: name.to_owned(),
                    file: file.to_owned(),
                    base: base_name,
                });
            }
            let tracker = tracker.add(file, name)?;
            let base = self.resolve(&base_name, services, file, &tracker, &[])?;
            (base, tracker)
        };
        drop(tracker);
        let Some(base) = base else {
            return Ok(Some(service));
        };
        // The extending document's !reset/!override paths apply to the inherited copy.
        let mut wrapped = Value::Object(Map::from_iter([(
            "services".to_owned(),
            Value::Object(Map::from_iter([(name.to_owned(), base)])),
        )]));
        merge::remove_paths(&mut wrapped, resets);
        let source = wrapped
            .get_mut("services")
            .and_then(|services| services.get_mut(name))
            .map(Value::take)
            .unwrap_or(Value::Object(Map::new()));
        let mut merged = merge::extend_service(source, service)?;
        if let Some(map) = merged.as_object_mut() {
            map.shift_remove("extends");
        }
        services.insert(name.to_owned(), merged.clone());
        Ok(Some(merged))
    }

    /// `getExtendsBaseFromFile`: the services of the file `extends.file` names, interpolated,
    /// with relative paths made relative to the directory of that file.
    fn load_base_file(
        &mut self,
        service: &str,
        base: &str,
        file: &str,
        base_file: &str,
    ) -> Result<(Map, Vec<TreePath>), LoadError> {
        let local = discover::absolute(self.working_dir, Path::new(base_file));
        let local_name = local.display().to_string();
        let text = std::fs::read_to_string(&local).map_err(|error| LoadError::ReadFile {
            path: local_name.clone(),
            reason: discover::io_reason(&error),
        })?;
        let documents = yaml::parse_documents(&text, &local_name)?;
        let resets: Vec<TreePath> = documents
            .last()
            .map(|document| {
                let mut paths = document.resets.clone();
                paths.extend(document.overrides.iter().cloned());
                paths
            })
            .unwrap_or_default();
        let parsed = ParsedFile {
            filename: local_name.clone(),
            documents,
        };
        let base_dir = relative_dir(self.working_dir, &local);
        let stages = Stages {
            extends: false,
            include: false,
            validation: false,
            defaults: false,
            resolve_paths: false,
        };
        let mut source = super::load_yaml_file(
            &base_dir,
            self.environment,
            parsed,
            Value::Object(Map::new()),
            self.context,
            &[],
            &stages,
        )?;
        let Some(services) = source.get("services") else {
            return Err(LoadError::ExtendsNoServices {
                service: service.to_owned(),
                file: local_name,
            });
        };
        let Value::Object(services) = services else {
            return Err(LoadError::ExtendsServicesNotMapping {
                service: service.to_owned(),
                file: local_name,
            });
        };
        if !services.contains_key(base) {
            return Err(LoadError::ExtendsNotFoundInFile {
                service: service.to_owned(),
                file: file.to_owned(),
                base: base.to_owned(),
                base_file: base_file.to_owned(),
            });
        }
        // Compose resolves the base file's paths even with --no-path-resolution.
        let home = self.environment.get("HOME").map(String::as_str);
        normalize::resolve_relative_paths(
            &mut source,
            &base_dir,
            home,
            &mut self.context.warnings,
        )?;
        let services = match source.get_mut("services").map(Value::take) {
            Some(Value::Object(services)) => services,
            _ => Map::new(),
        };
        Ok((services, resets))
    }
}

/// The directory of `file`, relative to `working_dir` when it lies below it (compose-go's
/// `localResourceLoader.Dir`), so that paths stay relative until the project's own resolution.
fn relative_dir(working_dir: &Path, file: &Path) -> PathBuf {
    let dir = if file.is_dir() {
        file.to_path_buf()
    } else {
        file.parent().map_or_else(PathBuf::new, Path::to_path_buf)
    };
    match dir.strip_prefix(working_dir) {
        Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
        Ok(relative) => relative.to_path_buf(),
        Err(_) => dir,
    }
}
