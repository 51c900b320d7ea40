//! Bringing a container's files in line with local changes: one archive per batch per container,
//! with the container user's ownership, and deletions that need nothing inside the image.
//!
//! **Copies** travel as one tar through the archive endpoint (`PUT /containers/{id}/archive`),
//! built on a blocking thread while the request streams it. Every entry carries the uid and gid of
//! the container's user ([`Owner`]), so a non-root `USER` can write what was synced; Compose asks
//! for `copyUIDGID`, which makes the daemon look the user up on the *host* and fails for
//! `USER 1000:1000` (docker/compose#11304, #12569).
//!
//! **Deletions** cannot be said in a tar, but the daemon's extraction removes whatever is at an
//! entry's path before it writes the entry, and stops at an entry type it does not know: an
//! entry of an unknown type therefore deletes its path (file or directory) and ends the
//! extraction with `unhandled tar header type`, after everything before it was applied. This
//! works in images without a shell or `rm` and in stopped containers, where Compose's
//! `exec rm -rf` fails (docker/compose#13057). One such entry rides at the end of the batch's
//! archive; more deletions run `rm -rf` in a running container as root (one exec for all), and
//! fall back to one small archive per path when there is no `rm` or the container is not
//! running.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use berth_engine::archive::Bytes;
use berth_engine::{Engine, ExecSpec};
use futures_util::StreamExt as _;

use super::rules::Rule;

/// The error text of the daemon's extraction at an entry type it does not know.
const UNHANDLED_TYPE: &str = "unhandled tar header type";
/// The entry type that deletes its path: one no tar reader gives a meaning to.
const DELETE_TYPE: u8 = b'Z';
/// Deletions above which an `rm -rf` is tried before one archive per path.
const EXEC_THRESHOLD: usize = 4;
/// Deletion archives in flight at once per container.
const PARALLEL_DELETES: usize = 8;

/// One changed path of a batch, as a rule maps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The local path.
    pub host: PathBuf,
    /// Where it lands in the container (absolute).
    pub container: String,
    /// Whether a directory is sent with everything beneath it (a new or moved-in directory),
    /// rather than as its own entry alone.
    pub tree: bool,
    /// The index of the rule that took it, whose ignore rules filter a tree's walk.
    pub rule: usize,
}

/// Whom synced files belong to inside a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
}

/// A container to sync to.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its ID.
    pub id: String,
    /// Whether it runs (exec is possible).
    pub running: bool,
    /// Whom files belong to.
    pub owner: Owner,
}

/// What one container's sync did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Deletions that could not be made, with why.
    pub failed_deletions: Vec<(String, String)>,
}

/// Applies `items` (current local state of each path) to `target`.
///
/// # Errors
/// The archive was refused or could not be built.
pub async fn sync_container(
    engine: &Engine,
    target: &Target,
    items: &[Item],
    rules: &std::sync::Arc<Vec<Rule>>,
) -> anyhow::Result<Outcome> {
    let (copies, deletions) = split(items);
    let mut outcome = Outcome::default();
    let ride_along = (deletions.len() == 1).then(|| deletions[0].clone());
    if !copies.is_empty() || ride_along.is_some() {
        let (stream, task) = archive_stream(copies, ride_along.clone(), target.owner, rules);
        let sent = engine.mirror_archive(&target.id, stream).await;
        let built = task.await.map_err(io::Error::other)?;
        match sent {
            Ok(()) => {}
            Err(error) if ride_along.is_some() && error.to_string().contains(UNHANDLED_TYPE) => {}
            Err(error) => {
                built.map_err(|local| anyhow::anyhow!("archiving the changes: {local}"))?;
                return Err(anyhow::Error::new(error)
                    .context(format!("copying files to {}", short_id(&target.id))));
            }
        }
        built.map_err(|local| anyhow::anyhow!("archiving the changes: {local}"))?;
    }
    if deletions.len() > 1 {
        let removed_by_rm = target.running
            && deletions.len() > EXEC_THRESHOLD
            && remove_with_rm(engine, &target.id, &deletions).await;
        if !removed_by_rm {
            let results =
                futures_util::stream::iter(deletions.iter().map(|path| async move {
                    (path, delete_path(engine, &target.id, path).await)
                }))
                .buffer_unordered(PARALLEL_DELETES)
                .collect::<Vec<_>>()
                .await;
            for (path, result) in results {
                if let Err(error) = result {
                    outcome
                        .failed_deletions
                        .push((path.clone(), error.to_string()));
                }
            }
        }
    }
    Ok(outcome)
}

/// Splits `items` into what exists locally (to copy, without anything a copied tree already
/// holds) and the container paths of what no longer exists (without paths under another
/// deletion), each in path order.
fn split(items: &[Item]) -> (Vec<Item>, Vec<String>) {
    let mut by_path: BTreeMap<&str, &Item> = BTreeMap::new();
    for item in items {
        by_path
            .entry(item.container.as_str())
            .and_modify(|known| {
                if item.tree {
                    *known = item;
                }
            })
            .or_insert(item);
    }
    let mut copies: Vec<Item> = Vec::new();
    let mut deletions: Vec<String> = Vec::new();
    let mut tree_roots: Vec<&str> = Vec::new();
    for (path, item) in by_path {
        let under = |roots: &[&str]| {
            roots
                .iter()
                .any(|root| path.len() > root.len() && is_under(path, root))
        };
        match std::fs::symlink_metadata(&item.host) {
            Ok(metadata) => {
                if under(&tree_roots) {
                    continue;
                }
                if item.tree && metadata.is_dir() {
                    tree_roots.push(path);
                }
                copies.push(item.clone());
            }
            Err(_) => {
                let deleted: Vec<&str> = deletions.iter().map(String::as_str).collect();
                if !under(&deleted) {
                    deletions.push(path.to_owned());
                }
            }
        }
    }
    (copies, deletions)
}

/// Whether `path` lies under the directory `root` (both clean and absolute).
fn is_under(path: &str, root: &str) -> bool {
    root == "/"
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The tar of `copies` (each entry owned by `owner`), with `deletion` as its last entry, written
/// on a blocking thread as the returned stream is read.
fn archive_stream(
    copies: Vec<Item>,
    deletion: Option<String>,
    owner: Owner,
    rules: &std::sync::Arc<Vec<Rule>>,
) -> (
    impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static,
    tokio::task::JoinHandle<io::Result<()>>,
) {
    let rules = std::sync::Arc::clone(rules);
    berth_engine::archive::writer_stream(move |out| {
        write_archive(out, &copies, deletion.as_deref(), owner, &rules)
    })
}

/// Writes the batch's archive to `out`.
///
/// # Errors
/// Writing failed (the request went away), or a local file could not be read.
pub fn write_archive(
    out: impl Write,
    copies: &[Item],
    deletion: Option<&str>,
    owner: Owner,
    rules: &[Rule],
) -> io::Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    for item in copies {
        let Ok(metadata) = std::fs::symlink_metadata(&item.host) else {
            // Gone since the batch was judged: the next batch deletes it.
            continue;
        };
        let name = item.container.trim_start_matches('/');
        if name.is_empty() {
            continue;
        }
        append(&mut builder, &item.host, name, &metadata, owner)?;
        if item.tree && metadata.is_dir() {
            let rule = &rules[item.rule];
            walk(&mut builder, &item.host, name, owner, rule)?;
        }
    }
    if let Some(path) = deletion {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::new(DELETE_TYPE));
        header.set_size(0);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_data(&mut header, path.trim_start_matches('/'), io::empty())?;
    }
    builder.into_inner()?.flush()
}

/// Appends the entries beneath `directory` that `rule` takes, parents before children.
fn walk<W: Write>(
    builder: &mut tar::Builder<W>,
    directory: &Path,
    name: &str,
    owner: Owner,
    rule: &Rule,
) -> io::Result<()> {
    let mut entries: Vec<_> = match std::fs::read_dir(directory) {
        Ok(entries) => entries.filter_map(Result::ok).collect(),
        // Removed while the batch was built: the next batch deletes it.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let is_dir = metadata.is_dir();
        if !rule.takes(&path, is_dir) || (is_dir && rule.skips_dir(&path)) {
            continue;
        }
        let child = format!("{name}/{}", entry.file_name().to_string_lossy());
        append(builder, &path, &child, &metadata, owner)?;
        if is_dir {
            walk(builder, &path, &child, owner, rule)?;
        }
    }
    Ok(())
}

/// Appends one local file, directory or symlink as `name`, owned by `owner`. Other kinds
/// (sockets, devices, FIFOs) are skipped, as a sync has no use for them.
fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
    metadata: &std::fs::Metadata,
    owner: Owner,
) -> io::Result<()> {
    let kind = metadata.file_type();
    let mut header = tar::Header::new_gnu();
    header.set_mode(metadata.mode() & 0o7777);
    header.set_uid(u64::from(owner.uid));
    header.set_gid(u64::from(owner.gid));
    header.set_mtime(u64::try_from(metadata.mtime()).unwrap_or(0));
    header.set_size(0);
    if kind.is_dir() {
        header.set_entry_type(tar::EntryType::Directory);
        return builder.append_data(&mut header, format!("{name}/"), io::empty());
    }
    if kind.is_symlink() {
        header.set_entry_type(tar::EntryType::Symlink);
        let target = std::fs::read_link(path)?;
        return builder.append_link(&mut header, name, target);
    }
    if !kind.is_file() {
        return Ok(());
    }
    header.set_entry_type(tar::EntryType::Regular);
    // Small files are read whole first, so that one rewritten while it is archived cannot break
    // the archive (its next change event sends it again); large ones are streamed at the size
    // their metadata gave, and one that shrinks meanwhile fails this batch (the next sends it).
    if metadata.len() <= WHOLE_FILE {
        let data = match std::fs::read(path) {
            Ok(data) => data,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        header.set_size(data.len() as u64);
        return builder.append_data(&mut header, name, data.as_slice());
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    header.set_size(metadata.len());
    builder.append_data(
        &mut header,
        name,
        berth_engine::archive::pack::Exact::new(file, metadata.len()),
    )
}

/// Files up to this size are read whole before they are archived.
const WHOLE_FILE: u64 = 8 * 1024 * 1024;

/// Deletes `path` in `container` with one archive holding only a deleting entry.
async fn delete_path(engine: &Engine, container: &str, path: &str) -> anyhow::Result<()> {
    let mut archive = Vec::new();
    write_archive(&mut archive, &[], Some(path), Owner { uid: 0, gid: 0 }, &[])?;
    let stream = futures_util::stream::iter([Ok::<_, io::Error>(Bytes::from(archive))]);
    match engine.mirror_archive(container, stream).await {
        Ok(()) => Ok(()),
        Err(error) if error.to_string().contains(UNHANDLED_TYPE) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Runs `rm -rf -- paths…` as root in a running container; whether it succeeded.
async fn remove_with_rm(engine: &Engine, container: &str, paths: &[String]) -> bool {
    let mut command = vec!["rm".to_owned(), "-rf".to_owned(), "--".to_owned()];
    command.extend(paths.iter().cloned());
    let spec = ExecSpec {
        command,
        user: "0".to_owned(),
        ..ExecSpec::default()
    };
    matches!(run_exec(engine, container, &spec, false).await, Ok(0))
}

/// Runs an exec to its end; returns its exit code. With `show`, its output goes to this
/// process's standard output and error.
///
/// # Errors
/// The exec could not be created or started.
pub async fn run_exec(
    engine: &Engine,
    container: &str,
    spec: &ExecSpec,
    show: bool,
) -> anyhow::Result<i64> {
    let id = engine.create_exec(container, spec).await?;
    let hijacked = engine.start_exec(&id, false).await?;
    if show {
        let mut stdout = tokio::io::stdout();
        let mut stderr = tokio::io::stderr();
        let _ = berth_engine::copy_output(hijacked.output, false, &mut stdout, &mut stderr).await;
    } else {
        let mut sink = tokio::io::sink();
        let mut sink_err = tokio::io::sink();
        let _ = berth_engine::copy_output(hijacked.output, false, &mut sink, &mut sink_err).await;
    }
    // The output ends a moment before the daemon records the exit code.
    for _ in 0..50 {
        if let Some(code) = engine.exec_exit_code(&id).await? {
            return Ok(code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(-1)
}

/// The first 12 characters of a container ID.
fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The owner of files synced into a container whose `Config.User` is `user`: root when empty,
/// numbers as they are, names looked up in the container's own `/etc/passwd` and `/etc/group`
/// (`passwd` and `group` give their text), as runc resolves them. A user ID without a passwd
/// entry gets group 0, as runc gives it.
///
/// # Errors
/// A name that the container's files do not know.
pub fn resolve_owner(user: &str, passwd: &str, group: &str) -> anyhow::Result<Owner> {
    if user.is_empty() {
        return Ok(Owner { uid: 0, gid: 0 });
    }
    let (user_part, group_part) = match user.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (user, None),
    };
    let passwd_entries: Vec<Vec<&str>> = passwd
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split(':').collect::<Vec<_>>())
        .filter(|fields| fields.len() >= 4)
        .collect();
    let entry = passwd_entries.iter().find(|fields| {
        fields[0] == user_part || (user_part.parse::<u32>().is_ok() && fields[2] == user_part)
    });
    let uid = match (user_part.parse::<u32>(), entry) {
        (Ok(uid), _) => uid,
        (Err(_), Some(fields)) => fields[2].parse().unwrap_or(0),
        (Err(_), None) => {
            anyhow::bail!("unable to find user {user_part}: no matching entries in passwd file")
        }
    };
    let mut gid = entry.and_then(|fields| fields[3].parse().ok()).unwrap_or(0);
    if let Some(group_part) = group_part.filter(|part| !part.is_empty()) {
        gid = match group_part.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => group
                .lines()
                .map(|line| line.split(':').collect::<Vec<_>>())
                .find(|fields| fields.len() >= 3 && fields[0] == group_part)
                .and_then(|fields| fields[2].parse().ok())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "unable to find group {group_part}: no matching entries in group file"
                    )
                })?,
        };
    }
    Ok(Owner { uid, gid })
}

/// The text of a file inside a container (`""` when it has none), read through the archive
/// endpoint, so that it works in stopped containers and images without a shell.
///
/// # Errors
/// Transport errors.
pub async fn read_container_file(
    engine: &Engine,
    container: &str,
    path: &str,
) -> anyhow::Result<String> {
    let mut stream = match engine.download_archive(container, path).await {
        Ok(stream) => stream,
        Err(error) if error.is_not_found() => return Ok(String::new()),
        Err(error) => return Err(error.into()),
    };
    let mut archive = Vec::new();
    while let Some(chunk) = stream.next().await {
        archive.extend_from_slice(&chunk?);
        if archive.len() > 16 * 1024 * 1024 {
            anyhow::bail!("{path} in the container is too large to read");
        }
    }
    let mut reader = tar::Archive::new(archive.as_slice());
    for entry in reader.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type().is_file() {
            let mut text = String::new();
            io::Read::read_to_string(&mut entry, &mut text)?;
            return Ok(text);
        }
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1001::/home/node:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nstaff:x:50:\n";

    #[test]
    fn owners_resolve_as_runc_resolves_them() {
        let owner = |user| resolve_owner(user, PASSWD, GROUP).expect("resolved");
        assert_eq!(owner(""), Owner { uid: 0, gid: 0 });
        assert_eq!(
            owner("node"),
            Owner {
                uid: 1000,
                gid: 1001
            }
        );
        assert_eq!(
            owner("1000"),
            Owner {
                uid: 1000,
                gid: 1001
            }
        );
        assert_eq!(owner("1234"), Owner { uid: 1234, gid: 0 });
        assert_eq!(
            owner("1000:1000"),
            Owner {
                uid: 1000,
                gid: 1000
            }
        );
        assert_eq!(owner("node:staff"), Owner { uid: 1000, gid: 50 });
        assert!(resolve_owner("nobody", PASSWD, GROUP).is_err());
        assert!(resolve_owner("node:wheel", PASSWD, GROUP).is_err());
    }

    #[test]
    fn a_batch_splits_into_copies_and_deletions_without_redundant_paths() {
        let root = std::env::temp_dir().join(format!("berth-watch-split-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("new/sub")).expect("dirs");
        std::fs::write(root.join("new/sub/a"), "a").expect("file");
        std::fs::write(root.join("kept"), "k").expect("file");
        let item = |host: &str, container: &str, tree| Item {
            host: root.join(host),
            container: container.to_owned(),
            tree,
            rule: 0,
        };
        let items = [
            item("new/sub/a", "/app/new/sub/a", false),
            item("new", "/app/new", true),
            item("kept", "/app/kept", false),
            item("gone", "/app/gone", false),
            item("gone/deeper", "/app/gone/deeper", false),
            item("other", "/app/other", false),
        ];
        let (copies, deletions) = split(&items);
        let copied: Vec<&str> = copies.iter().map(|item| item.container.as_str()).collect();
        assert_eq!(copied, ["/app/kept", "/app/new"]);
        assert_eq!(deletions, ["/app/gone", "/app/other"]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_archive_carries_the_owner_and_ends_with_the_deleting_entry() {
        let root = std::env::temp_dir().join(format!("berth-watch-tar-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("dir");
        std::fs::write(root.join("f"), "hello").expect("file");
        let copies = [Item {
            host: root.join("f"),
            container: "/app/f".into(),
            tree: false,
            rule: 0,
        }];
        let mut archive = Vec::new();
        write_archive(
            &mut archive,
            &copies,
            Some("/app/old"),
            Owner {
                uid: 1000,
                gid: 1000,
            },
            &[],
        )
        .expect("written");
        let mut reader = tar::Archive::new(archive.as_slice());
        let entries: Vec<(String, u8, u64)> = reader
            .entries()
            .expect("entries")
            .map(|entry| {
                let entry = entry.expect("entry");
                let header = entry.header();
                (
                    entry.path().expect("path").display().to_string(),
                    header.entry_type().as_byte(),
                    header.uid().expect("uid"),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("app/f".into(), b'0', 1000),
                ("app/old".into(), DELETE_TYPE, 0)
            ]
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
