//! Which file changes a `develop.watch` trigger takes, and where they land in the container.
//!
//! A change is taken by a [`Rule`] when it lies under the trigger's `path` and none of these
//! ignore it, as in Compose (`pkg/compose/watch.go getWatchRules`, `pkg/watch/ephemeral.go`):
//! the build context's `.dockerignore` (`<Dockerfile>.dockerignore` first), editors' temporary
//! files, anything under a `.git` directory, and the trigger's `ignore` list (relative to `path`).
//! When `include` is set, only what it matches (or lies under what it matches) is taken.
//!
//! Patterns are matched as `docker build` walks a context (a directory's verdict is handed down to
//! its entries, a `!` rule re-includes). One difference from Compose: `.git` is ignored at any
//! depth, where Compose's pattern is anchored at the filesystem root and so never matches.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use berth_engine::build::ignore::{ParentMatches, PatternMatcher};

use crate::model::{ServiceConfig, ServiceHook, Trigger};

/// What a trigger does with the changes it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Copy the changed files into the service's containers.
    Sync,
    /// Build the service's image again and recreate its containers.
    Rebuild,
    /// Restart the service's containers.
    Restart,
    /// Sync, then restart.
    SyncRestart,
    /// Sync, then run the trigger's `exec` command in each container.
    SyncExec,
}

impl Action {
    /// Reads Compose's name of an action.
    ///
    /// # Errors
    /// A name Compose does not know.
    pub fn parse(name: &str) -> anyhow::Result<Self> {
        Ok(match name {
            "sync" => Self::Sync,
            "rebuild" => Self::Rebuild,
            "restart" => Self::Restart,
            "sync+restart" => Self::SyncRestart,
            "sync+exec" => Self::SyncExec,
            other => anyhow::bail!("unknown watch action {other:?}"),
        })
    }

    /// Whether the action copies files.
    #[must_use]
    pub fn syncs(self) -> bool {
        matches!(self, Self::Sync | Self::SyncRestart | Self::SyncExec)
    }
}

/// One trigger of one service, ready to judge paths.
#[derive(Debug)]
pub struct Rule {
    /// The service the trigger belongs to.
    pub service: String,
    /// What it does.
    pub action: Action,
    /// The watched host path, absolute.
    pub path: PathBuf,
    /// Where `path` lands in the container (`""` when the trigger has no target).
    pub target: String,
    /// The command of `sync+exec`.
    pub exec: Option<ServiceHook>,
    /// `initial_sync`.
    pub initial_sync: bool,
    /// The trigger's `ignore`, relative to `path`.
    ignore: PatternMatcher,
    /// The trigger's `include`, relative to `path`.
    include: Option<PatternMatcher>,
    /// The build context and its `.dockerignore` rules.
    dockerignore: Option<(PathBuf, PatternMatcher)>,
    /// Bind mount sources of the service: a sync under one is pointless.
    bind_sources: Vec<PathBuf>,
}

impl Rule {
    /// The rules of `service`'s `develop.watch`, relative paths resolved against
    /// `working_dir`.
    ///
    /// # Errors
    /// An unknown action, a `rebuild` without `build`, a `sync+exec` without a command, a pattern
    /// that does not compile, an unreadable `.dockerignore`.
    pub fn for_service(service: &ServiceConfig, working_dir: &Path) -> anyhow::Result<Vec<Self>> {
        let Some(develop) = &service.develop else {
            return Ok(Vec::new());
        };
        let dockerignore = match &service.build {
            Some(build) if !build.context.contains("://") => {
                let context = working_dir.join(&build.context);
                let dockerfile = if build.dockerfile.is_empty() {
                    "Dockerfile"
                } else {
                    build.dockerfile.as_str()
                };
                let (patterns, _) = berth_engine::build::ignore::read_ignore_rules(
                    &context,
                    Path::new(dockerfile),
                    berth_engine::build::ignore::IgnoreFiles::DockerfileFirst,
                )
                .with_context(|| format!("reading the .dockerignore of {}", context.display()))?;
                let matcher = PatternMatcher::new(&patterns).map_err(|error| {
                    anyhow::anyhow!("{}/.dockerignore: {error}", context.display())
                })?;
                Some((clean_path(&context), matcher))
            }
            _ => None,
        };
        let bind_sources: Vec<PathBuf> = service
            .volumes
            .iter()
            .filter(|volume| volume.volume_type == "bind" && !volume.source.is_empty())
            .map(|volume| clean_path(&working_dir.join(&volume.source)))
            .collect();
        develop
            .watch
            .iter()
            .map(|trigger| {
                Self::new(
                    &service.name,
                    trigger,
                    working_dir,
                    dockerignore.clone(),
                    &bind_sources,
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|rules| {
                rules
                    .into_iter()
                    .filter(|rule| {
                        if rule.action.syncs() && rule.under_bind_mount() {
                            crate::diagnostic::print_warnings(&[format!(
                                "path '{}' also declared by a bind mount volume, this path won't be monitored!",
                                rule.path.display()
                            )]);
                            return false;
                        }
                        true
                    })
                    .collect()
            })
    }

    fn new(
        service: &str,
        trigger: &Trigger,
        working_dir: &Path,
        dockerignore: Option<(PathBuf, PatternMatcher)>,
        bind_sources: &[PathBuf],
    ) -> anyhow::Result<Self> {
        if trigger.path.is_empty() {
            anyhow::bail!("watch rules MUST define a path");
        }
        let action = Action::parse(&trigger.action)?;
        let exec = Some(trigger.exec.clone()).filter(|hook| {
            hook.command
                .0
                .as_ref()
                .is_some_and(|command| !command.is_empty())
        });
        if action == Action::SyncExec && exec.is_none() {
            anyhow::bail!(
                "can't watch with action \"sync+exec\" on service {service} without a command"
            );
        }
        let compile = |patterns: &[String]| {
            PatternMatcher::new(patterns)
                .map_err(|error| anyhow::anyhow!("service {service:?} watch patterns: {error}"))
        };
        Ok(Self {
            service: service.to_owned(),
            action,
            path: clean_path(&working_dir.join(&trigger.path)),
            target: trigger.target.clone(),
            exec,
            initial_sync: trigger.initial_sync,
            ignore: compile(&trigger.ignore)?,
            include: if trigger.include.is_empty() {
                None
            } else {
                Some(compile(&trigger.include)?)
            },
            dockerignore,
            bind_sources: bind_sources.to_vec(),
        })
    }

    fn under_bind_mount(&self) -> bool {
        self.bind_sources
            .iter()
            .any(|source| self.path.starts_with(source))
    }

    /// Whether `host` (absolute) is this rule's: under its path and not ignored. Directories are
    /// not held to `include` (their files are, one by one); `is_dir` says which `host` is, when it
    /// is known.
    #[must_use]
    pub fn takes(&self, host: &Path, is_dir: bool) -> bool {
        let Some(relative) = relative(&self.path, host) else {
            return false;
        };
        if self.ignores(host, &relative) {
            return false;
        }
        match &self.include {
            Some(include) if !is_dir && !relative.is_empty() => matched(include, &relative),
            _ => true,
        }
    }

    /// Whether the directory `dir` (absolute, under this rule's path) and all beneath it are
    /// ignored, so that it needs no watch and no walk.
    #[must_use]
    pub fn skips_dir(&self, dir: &Path) -> bool {
        let Some(relative) = relative(&self.path, dir) else {
            return true;
        };
        if relative.is_empty() {
            return false;
        }
        if relative.split('/').any(|part| part == ".git") || is_ephemeral_dir(&relative) {
            return true;
        }
        if matched(&self.ignore, &relative) && self.ignore.can_skip_dir(&relative) {
            return true;
        }
        if let Some((context, rules)) = &self.dockerignore
            && let Some(in_context) = relative_to(context, dir)
            && !in_context.is_empty()
            && matched(rules, &in_context)
            && rules.can_skip_dir(&in_context)
        {
            return true;
        }
        false
    }

    fn ignores(&self, host: &Path, relative: &str) -> bool {
        if !relative.is_empty() {
            if relative.split('/').any(|part| part == ".git") || is_ephemeral(relative) {
                return true;
            }
            if matched(&self.ignore, relative) {
                return true;
            }
        }
        if let Some((context, rules)) = &self.dockerignore
            && let Some(in_context) = relative_to(context, host)
            && !in_context.is_empty()
            && matched(rules, &in_context)
        {
            return true;
        }
        false
    }

    /// Where `host` (taken by this rule) lands in the container: `target` joined with its path
    /// relative to the rule's path. `None` when the trigger has no target.
    #[must_use]
    pub fn container_path(&self, host: &Path) -> Option<String> {
        if self.target.is_empty() {
            return None;
        }
        let relative = relative(&self.path, host)?;
        let joined = if relative.is_empty() {
            self.target.clone()
        } else {
            format!("{}/{relative}", self.target.trim_end_matches('/'))
        };
        Some(berth_engine::archive::paths::clean(&joined))
    }
}

/// `host` relative to `root` with `/` separators (`""` for `root` itself); `None` when it is not
/// under `root`.
fn relative(root: &Path, host: &Path) -> Option<String> {
    relative_to(root, host)
}

fn relative_to(root: &Path, host: &Path) -> Option<String> {
    let rest = host.strip_prefix(root).ok()?;
    Some(rest.to_string_lossy().into_owned())
}

/// Whether `relative` is matched by `rules`, walking down from its first component as Docker's
/// context walk does (a directory's verdict is handed to its entries).
fn matched(rules: &PatternMatcher, relative: &str) -> bool {
    if rules.patterns().is_empty() {
        return false;
    }
    let mut parent = ParentMatches::default();
    let mut prefix = String::new();
    let mut result = false;
    for part in relative.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        let (hit, next) = rules.matches_using_parent(&prefix, &parent);
        result = hit;
        parent = next;
    }
    result
}

/// Editors' and tools' temporary files, as Compose's `EphemeralPathMatcher` lists them:
/// JetBrains `*___jb_old___`, `*___jb_tmp___` and `.idea/`, emacs `.#*` and `#*#`, vim `4913`,
/// `*~` and `.*.sw[pxon]`, kate `.*.kate-swp`, Go's `*-go-tmp-umask`.
#[must_use]
pub fn is_ephemeral(relative: &str) -> bool {
    if is_ephemeral_dir(relative) {
        return true;
    }
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name.ends_with("___jb_old___")
        || name.ends_with("___jb_tmp___")
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name.ends_with('~')
        || (name.starts_with('.')
            && [".swp", ".swx", ".swo", ".swn", ".kate-swp"]
                .iter()
                .any(|suffix| name.ends_with(suffix)))
        || name.ends_with("-go-tmp-umask")
}

/// Whether `relative` is or lies under an `.idea` directory.
fn is_ephemeral_dir(relative: &str) -> bool {
    relative.split('/').any(|part| part == ".idea")
}

/// `path` without `.` and `..` components (resolved lexically) and trailing separators.
#[must_use]
pub fn clean_path(path: &Path) -> PathBuf {
    PathBuf::from(berth_engine::archive::paths::clean(&path.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_engine::build::ignore::parse_ignore_file;

    fn rule(ignore: &[&str], include: &[&str], dockerignore: &[&str]) -> Rule {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Rule {
            service: "web".into(),
            action: Action::Sync,
            path: PathBuf::from("/p/src"),
            target: "/app/".into(),
            exec: None,
            initial_sync: false,
            ignore: PatternMatcher::new(&strings(ignore)).expect("ignore"),
            include: (!include.is_empty())
                .then(|| PatternMatcher::new(&strings(include)).expect("include")),
            dockerignore: Some((
                PathBuf::from("/p"),
                PatternMatcher::new(&parse_ignore_file(&dockerignore.join("\n")))
                    .expect("dockerignore"),
            )),
            bind_sources: Vec::new(),
        }
    }

    #[test]
    fn paths_map_under_the_target() {
        let rule = rule(&[], &[], &[]);
        assert_eq!(
            rule.container_path(Path::new("/p/src/a/b.js")).as_deref(),
            Some("/app/a/b.js")
        );
        assert_eq!(
            rule.container_path(Path::new("/p/src")).as_deref(),
            Some("/app")
        );
        assert!(!rule.takes(Path::new("/p/srcx/a"), false));
        assert!(!rule.takes(Path::new("/p/other"), false));
    }

    #[test]
    fn ignore_rules_editor_files_git_and_dockerignore() {
        let rule = rule(
            &["node_modules", "*.tmp"],
            &[],
            &["src/build", "!src/build/keep"],
        );
        assert!(rule.takes(Path::new("/p/src/a.js"), false));
        assert!(!rule.takes(Path::new("/p/src/x.tmp"), false));
        assert!(!rule.takes(Path::new("/p/src/node_modules/a/b.js"), false));
        assert!(!rule.takes(Path::new("/p/src/.git/index"), false));
        assert!(!rule.takes(Path::new("/p/src/.a.js.swp"), false));
        assert!(!rule.takes(Path::new("/p/src/a.js~"), false));
        assert!(!rule.takes(Path::new("/p/src/4913"), false));
        assert!(!rule.takes(Path::new("/p/src/.#a.js"), false));
        assert!(!rule.takes(Path::new("/p/src/build/out.js"), false));
        assert!(rule.takes(Path::new("/p/src/build/keep"), false));
        assert!(rule.skips_dir(Path::new("/p/src/node_modules")));
        assert!(rule.skips_dir(Path::new("/p/src/.git")));
        // A `!` rule beneath it keeps the directory watched.
        assert!(!rule.skips_dir(Path::new("/p/src/build")));
        assert!(!rule.skips_dir(Path::new("/p/src/lib")));
    }

    #[test]
    fn include_is_an_allow_list_for_files() {
        let rule = rule(&[], &["*.js", "lib"], &[]);
        assert!(rule.takes(Path::new("/p/src/a.js"), false));
        assert!(!rule.takes(Path::new("/p/src/a.css"), false));
        assert!(rule.takes(Path::new("/p/src/lib/a.css"), false));
        assert!(rule.takes(Path::new("/p/src/other"), true));
    }
}
