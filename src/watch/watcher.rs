//! File system events for the watched trees, with a watch on each directory the rules want and
//! none on the others.
//!
//! notify's recursive mode would put an inotify watch on every directory under a path, ignored or
//! not (a `node_modules` of 50,000 directories is enough to reach `fs.inotify.max_user_watches`
//! on older kernels), so directories are walked here and each wanted one gets its own
//! non-recursive watch. New and moved-in directories are walked and watched as their events
//! arrive; notify drops the watches of deleted and moved-out directories itself. One inotify
//! instance serves every rule (instances are limited too: `max_user_instances`, 128 by default).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

/// What the event loop learns from one file system event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `path` changed (created, written, removed, renamed, its metadata changed). `tree` when it
    /// is a directory that appeared whole (created or moved in), so everything beneath it is new.
    Path {
        /// The changed path.
        path: PathBuf,
        /// Whether everything beneath it is new.
        tree: bool,
    },
    /// Events were lost (the kernel's queue overflowed): everything must be looked at again.
    Rescan,
}

/// The watches, and the directories they are on.
pub struct DirWatcher {
    watcher: notify::INotifyWatcher,
    watched: BTreeSet<PathBuf>,
}

impl std::fmt::Debug for DirWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirWatcher")
            .field("watched", &self.watched.len())
            .finish_non_exhaustive()
    }
}

impl DirWatcher {
    /// Starts the inotify instance; its events go to `sender` as they are read.
    ///
    /// # Errors
    /// No inotify instance can be had (the `max_user_instances` limit), with the fix.
    pub fn start(
        sender: mpsc::UnboundedSender<notify::Result<notify::Event>>,
    ) -> anyhow::Result<Self> {
        let watcher = notify::INotifyWatcher::new(
            move |event: notify::Result<notify::Event>| {
                let _ = sender.send(event);
            },
            notify::Config::default(),
        )
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot start watching files: {error}\n\nhint: the system may have reached its limit of inotify instances (fs.inotify.max_user_instances = {}); raise it with `sudo sysctl fs.inotify.max_user_instances=1024` (add it to /etc/sysctl.conf to keep it)",
                read_limit("max_user_instances")
            )
        })?;
        Ok(Self {
            watcher,
            watched: BTreeSet::new(),
        })
    }

    /// Watches `root` and every directory beneath it that `wanted` accepts (a directory
    /// `wanted` refuses is neither watched nor walked). Returns how many watches were added.
    ///
    /// # Errors
    /// The system's limit of inotify watches was reached, with the fix.
    pub fn add_tree(
        &mut self,
        root: &Path,
        wanted: &dyn Fn(&Path) -> bool,
    ) -> anyhow::Result<usize> {
        let mut added = 0;
        let mut stack = vec![root.to_path_buf()];
        while let Some(directory) = stack.pop() {
            if !self.watched.contains(&directory) {
                match self.watcher.watch(&directory, RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        self.watched.insert(directory.clone());
                        added += 1;
                    }
                    Err(error) => match error.kind {
                        notify::ErrorKind::MaxFilesWatch => {
                            return Err(limit_error(&directory));
                        }
                        // Gone already: its removal is an event of its own.
                        notify::ErrorKind::PathNotFound => continue,
                        notify::ErrorKind::Io(ref io) if io.raw_os_error() == Some(28) => {
                            return Err(limit_error(&directory));
                        }
                        _ => continue,
                    },
                }
            }
            let Ok(entries) = std::fs::read_dir(&directory) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    let path = entry.path();
                    if wanted(&path) {
                        stack.push(path);
                    }
                }
            }
        }
        Ok(added)
    }

    /// Forgets `path` and everything beneath it (deleted or moved away; notify has dropped the
    /// watches already).
    pub fn forget(&mut self, path: &Path) {
        let beneath: Vec<PathBuf> = self
            .watched
            .range(path.to_path_buf()..)
            .take_while(|watched| watched.starts_with(path))
            .cloned()
            .collect();
        for watched in beneath {
            self.watched.remove(&watched);
        }
    }

    /// How many directories are watched.
    #[must_use]
    pub fn len(&self) -> usize {
        self.watched.len()
    }

    /// Whether nothing is watched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }
}

/// What an inotify event means for the sync, or `None` when it means nothing (opens, reads, the
/// paired form of a rename whose halves came on their own).
#[must_use]
pub fn interpret(event: &notify::Event) -> Vec<Change> {
    if event.need_rescan() {
        return vec![Change::Rescan];
    }
    let tree = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write))
        | EventKind::Remove(_)
        | EventKind::Modify(
            ModifyKind::Data(_)
            | ModifyKind::Metadata(_)
            | ModifyKind::Any
            | ModifyKind::Other
            | ModifyKind::Name(RenameMode::From),
        ) => false,
        EventKind::Create(CreateKind::Folder) => true,
        EventKind::Create(_)
        | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Any)) => {
            // A directory that appears (created or moved in) comes whole.
            event.paths.first().is_some_and(|path| {
                std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir())
            })
        }
        _ => return Vec::new(),
    };
    event
        .paths
        .iter()
        .map(|path| Change::Path {
            path: path.clone(),
            tree,
        })
        .collect()
}

/// Whether the event takes a path away (so that its watches, if it was a directory, are gone).
#[must_use]
pub fn removes(event: &notify::Event) -> bool {
    matches!(
        event.kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
    )
}

/// The error for a reached `max_user_watches`, with the fix.
fn limit_error(directory: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot watch {}: the system's limit of inotify watches was reached (fs.inotify.max_user_watches = {})\n\nhint: raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add `fs.inotify.max_user_watches=524288` to /etc/sysctl.conf to keep it), or ignore large directories (`node_modules`, build output) in the trigger's `ignore` or the build context's .dockerignore: ignored directories are not watched",
        directory.display(),
        read_limit("max_user_watches")
    )
}

/// A limit of `/proc/sys/fs/inotify`, as text.
fn read_limit(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/fs/inotify/{name}"))
        .map_or_else(|_| "unknown".to_owned(), |text| text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_directories_get_no_watch_and_new_ones_are_followed() {
        let root = std::env::temp_dir().join(format!("berth-watcher-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("src/lib")).expect("dirs");
        std::fs::create_dir_all(root.join("node_modules/a/b")).expect("dirs");
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let mut watcher = DirWatcher::start(sender).expect("watcher");
        let wanted = |path: &Path| !path.ends_with("node_modules");
        assert_eq!(watcher.add_tree(&root, &wanted).expect("watched"), 3);
        std::fs::write(root.join("src/lib/a.js"), "x").expect("write");
        std::fs::write(root.join("node_modules/a/b/c.js"), "x").expect("write");
        let mut changed = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            match receiver.try_recv() {
                Ok(event) => {
                    for change in interpret(&event.expect("event")) {
                        if let Change::Path { path, .. } = change {
                            changed.push(path);
                        }
                    }
                }
                Err(_) if !changed.is_empty() => break,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        while let Ok(event) = receiver.try_recv() {
            for change in interpret(&event.expect("event")) {
                if let Change::Path { path, .. } = change {
                    changed.push(path);
                }
            }
        }
        assert!(changed.contains(&root.join("src/lib/a.js")), "{changed:?}");
        assert!(
            !changed
                .iter()
                .any(|path| path.starts_with(root.join("node_modules"))),
            "{changed:?}"
        );
        watcher.forget(&root.join("src"));
        assert_eq!(watcher.len(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }
}
