//! Extracts a tar stream into a local directory as `docker cp` does when copying out of a
//! container (moby's `Untar` with `NoLchown` and `NoOverwriteDirNonDir`): entry by entry as the
//! stream arrives, so only one read buffer is held.
//!
//! Modes (with setuid, setgid, sticky) and mtimes are applied, ownership is not (files belong to
//! whoever runs the copy), symlinks are created as they are, device nodes and FIFOs are skipped,
//! and parents the archive does not list
//! are created `0755`. An existing directory is never replaced by a file, nor a file by a
//! directory; any other existing entry is replaced. Entries that would land outside the
//! destination (`../`, a symlink or hard link pointing out of it) stop the copy. Directory mtimes
//! are set last, so that creating their contents does not change them.

use filetime::FileTime;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

use super::paths::{Rebase, clean, dir, join};

/// Extracts `archive` into the directory `destination`, renaming entries with `rebases` (in
/// order) first.
///
/// # Errors
/// A malformed archive, an entry that escapes `destination` or would replace a directory by a
/// file (or the reverse), or a filesystem error, worded as Docker words them.
pub fn unpack(archive: impl Read, destination: &str, rebases: &[Rebase]) -> io::Result<()> {
    let destination = clean(destination);
    let mut archive = tar::Archive::new(archive);
    let mut directories: Vec<(String, FileTime)> = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let header = entry.header().clone();
        let kind = header.entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let mut name = utf8(&entry.path_bytes())?;
        let mut link = match entry.link_name_bytes() {
            Some(bytes) => Some(utf8(&bytes)?),
            None => None,
        };
        for rebase in rebases {
            name = rebase.apply(&name);
            if kind.is_hard_link() {
                link = link.map(|link| rebase.apply(&link));
            }
        }
        let name = clean(&name);

        // Parents the archive does not list (tar allows that) are made with Docker's 0755.
        if !name.ends_with('/') {
            let parent = join(&destination, &dir(&name));
            if fs::symlink_metadata(&parent)
                .is_err_and(|error| error.kind() == io::ErrorKind::NotFound)
            {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(&parent)?;
            }
        }

        let path = join(&destination, &name);
        if !is_within(&destination, &path) {
            return Err(breakout(format!("{name:?} is outside of {destination:?}")));
        }

        if let Ok(existing) = fs::symlink_metadata(&path) {
            if existing.is_dir() && !kind.is_dir() {
                return Err(io::Error::other(format!(
                    "cannot overwrite directory {path:?} with non-directory {destination:?}"
                )));
            }
            if !existing.is_dir() && kind.is_dir() {
                return Err(io::Error::other(format!(
                    "cannot overwrite non-directory {path:?} with directory {destination:?}"
                )));
            }
            if existing.is_dir() && name == "." {
                continue;
            }
            if !existing.is_dir() {
                fs::remove_file(&path)?;
            }
        }

        let mode = header.mode()? & 0o7777;
        let mtime = FileTime::from_unix_time(i64::try_from(header.mtime()?).unwrap_or(0), 0);
        match kind {
            tar::EntryType::Directory => {
                if !fs::symlink_metadata(&path).is_ok_and(|existing| existing.is_dir()) {
                    fs::DirBuilder::new().mode(mode).create(&path)?;
                }
                fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
                directories.push((path, mtime));
            }
            tar::EntryType::Symlink => {
                let target = link.unwrap_or_default();
                let resolved = join(&dir(&path), &target);
                if !is_within(&destination, &resolved) {
                    return Err(breakout(format!("invalid symlink {path:?} -> {target:?}")));
                }
                std::os::unix::fs::symlink(&target, &path)?;
                filetime::set_symlink_file_times(&path, mtime, mtime)?;
            }
            tar::EntryType::Link => {
                let target = link.unwrap_or_default();
                let resolved = join(&destination, &target);
                if !is_within(&destination, &resolved) {
                    return Err(breakout(format!(
                        "invalid hardlink {resolved:?} -> {target:?}"
                    )));
                }
                fs::hard_link(&resolved, &path)?;
            }
            // Making device nodes and FIFOs takes `mknod`, which std does not offer and berth's
            // lints keep `unsafe` out: they are skipped (Docker, running as root, makes them).
            tar::EntryType::Fifo | tar::EntryType::Char | tar::EntryType::Block => {}
            _ => {
                // Anything else is a regular file, as POSIX asks of unknown types.
                let mut file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(mode)
                    .open(&path)?;
                io::copy(&mut entry, &mut file)?;
                file.set_permissions(fs::Permissions::from_mode(mode))?;
                filetime::set_file_handle_times(&file, Some(mtime), Some(mtime))?;
            }
        }
    }
    for (path, mtime) in directories {
        filetime::set_file_times(&path, mtime, mtime)?;
    }
    Ok(())
}

/// Whether `path` (cleaned) is `root` or under it (Docker checks a bare prefix, which lets
/// `/dest` reach `/destination`; berth checks whole components).
fn is_within(root: &str, path: &str) -> bool {
    root == "/" || path == root || path.starts_with(&format!("{root}/"))
}

/// An entry name as text: berth's path rules work on UTF-8, so a name that is not is refused
/// rather than extracted under a mangled name.
fn utf8(bytes: &[u8]) -> io::Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{:?} is not UTF-8: berth cannot extract it",
                String::from_utf8_lossy(bytes)
            ),
        )
    })
}

fn breakout(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;
    use std::path::Path;

    use super::*;

    fn archive(entries: &[(&str, tar::EntryType, u32, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, mode, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(*mode);
            header.set_mtime(1_000_000_000);
            header.set_uid(4242);
            if kind.is_symlink() || kind.is_hard_link() {
                header.set_size(0);
                builder.append_link(&mut header, name, data).expect("link");
            } else {
                header.set_size(data.len() as u64);
                builder
                    .append_data(&mut header, name, data.as_bytes())
                    .expect("entry");
            }
        }
        builder.into_inner().expect("archive")
    }

    fn scratch(name: &str) -> String {
        let root = std::env::temp_dir().join(format!("berth-unpack-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("scratch");
        root.display().to_string()
    }

    #[test]
    fn modes_links_and_mtimes_are_kept_ownership_is_not() {
        let root = scratch("keep");
        let data = archive(&[
            ("c/", tar::EntryType::Directory, 0o750, ""),
            ("c/f", tar::EntryType::Regular, 0o600, "hello"),
            ("c/l", tar::EntryType::Symlink, 0o777, "f"),
            ("c/abs", tar::EntryType::Symlink, 0o777, "/etc/passwd"),
            ("c/h", tar::EntryType::Link, 0o600, "c/f"),
            ("c/deep/x", tar::EntryType::Regular, 0o644, "x"),
        ]);
        let rename = Rebase {
            from: "c".into(),
            to: "copy".into(),
        };
        unpack(data.as_slice(), &root, &[rename]).expect("unpacked");
        let copy = Path::new(&root).join("copy");
        let meta = fs::metadata(&copy).expect("dir");
        assert_eq!(meta.mode() & 0o7777, 0o750);
        assert_eq!(meta.mtime(), 1_000_000_000);
        let file = fs::metadata(copy.join("f")).expect("file");
        assert_eq!(file.mode() & 0o7777, 0o600);
        assert_eq!(file.mtime(), 1_000_000_000);
        assert_ne!(file.uid(), 4242);
        assert_eq!(
            fs::read_link(copy.join("l")).expect("link").to_str(),
            Some("f")
        );
        assert_eq!(
            fs::read_link(copy.join("abs")).expect("link").to_str(),
            Some("/etc/passwd")
        );
        assert_eq!(
            fs::metadata(copy.join("h")).expect("hard").ino(),
            file.ino()
        );
        assert_eq!(
            fs::metadata(copy.join("deep")).expect("implied").mode() & 0o777,
            0o755
        );
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn escapes_and_type_changes_are_refused() {
        let root = scratch("refuse");
        let link = archive(&[("l", tar::EntryType::Symlink, 0o777, "../../../etc")]);
        let error = unpack(link.as_slice(), &root, &[]).expect_err("escape");
        assert!(error.to_string().starts_with("invalid symlink"), "{error}");

        fs::create_dir(Path::new(&root).join("d")).expect("dir");
        let file_onto_dir = archive(&[("d", tar::EntryType::Regular, 0o644, "x")]);
        let error = unpack(file_onto_dir.as_slice(), &root, &[]).expect_err("dir kept");
        assert_eq!(
            error.to_string(),
            format!("cannot overwrite directory \"{root}/d\" with non-directory \"{root}\"")
        );
        fs::write(Path::new(&root).join("f"), "x").expect("file");
        let dir_onto_file = archive(&[("f/", tar::EntryType::Directory, 0o755, "")]);
        let error = unpack(dir_onto_file.as_slice(), &root, &[]).expect_err("file kept");
        assert!(
            error
                .to_string()
                .starts_with("cannot overwrite non-directory"),
            "{error}"
        );
        let _ = fs::remove_dir_all(&root);
    }
}
