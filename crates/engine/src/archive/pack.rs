//! Archives a file or a directory tree of the local filesystem as `docker cp` does (moby's
//! `TarResource` and `addTarFile`), writing the tar to any [`Write`] as it walks: nothing is held
//! but one read buffer.
//!
//! Each entry carries what Docker's archive carries: the permission bits with setuid, setgid and
//! sticky, the owner's numeric uid and gid (the daemon decides what to do with them), the mtime
//! in whole seconds, symlinks as symlinks, hard links within the tree as links to the first name
//! seen, and devices and FIFOs as such. Sockets are skipped, as Go's tar writer cannot encode
//! them. Directories are walked in byte order of their entries' names, as Go's `WalkDir` walks.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

/// Writes the archive of `source` (not followed if it is a symlink) to `out`, its top entry named
/// `root_name` and everything under it `root_name/…`. A `root_name` of `.` gives the contents of
/// a directory (`dir/.`).
///
/// # Errors
/// The source cannot be read, or `out` fails (the other side went away).
pub fn pack(source: &Path, root_name: &str, out: impl Write) -> io::Result<()> {
    let mut packer = Packer {
        builder: tar::Builder::new(out),
        hard_links: HashMap::new(),
    };
    packer.builder.follow_symlinks(false);
    let metadata =
        fs::symlink_metadata(source).map_err(|error| with_path(error, "lstat", source))?;
    packer.add(source, Path::new(root_name), &metadata)?;
    if metadata.is_dir() {
        packer.walk(source, Path::new(root_name))?;
    }
    packer.builder.into_inner()?.flush()
}

struct Packer<W: Write> {
    builder: tar::Builder<W>,
    /// Names already archived for multiply-linked inodes, keyed by device and inode.
    hard_links: HashMap<(u64, u64), PathBuf>,
}

impl<W: Write> Packer<W> {
    // Names are paths, not strings, so that any file name the filesystem holds is archived as it
    // is, UTF-8 or not.
    fn walk(&mut self, directory: &Path, name: &Path) -> io::Result<()> {
        let mut entries: Vec<_> = fs::read_dir(directory)
            .map_err(|error| with_path(error, "open", directory))?
            .collect::<io::Result<_>>()?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let child = name.join(entry.file_name());
            let metadata =
                fs::symlink_metadata(&path).map_err(|error| with_path(error, "lstat", &path))?;
            self.add(&path, &child, &metadata)?;
            if metadata.is_dir() {
                self.walk(&path, &child)?;
            }
        }
        Ok(())
    }

    fn add(&mut self, path: &Path, name: &Path, metadata: &Metadata) -> io::Result<()> {
        let kind = metadata.file_type();
        if kind.is_socket() {
            return Ok(());
        }
        let mut header = tar::Header::new_gnu();
        header.set_mode(metadata.mode() & 0o7777);
        header.set_uid(u64::from(metadata.uid()));
        header.set_gid(u64::from(metadata.gid()));
        header.set_mtime(u64::try_from(metadata.mtime()).unwrap_or(0));
        header.set_size(0);
        if kind.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            let mut name = name.as_os_str().to_owned();
            if !name.as_encoded_bytes().ends_with(b"/") {
                name.push("/");
            }
            return self.builder.append_data(&mut header, name, io::empty());
        }
        if kind.is_symlink() {
            header.set_entry_type(tar::EntryType::Symlink);
            let target = fs::read_link(path).map_err(|error| with_path(error, "readlink", path))?;
            return self.builder.append_link(&mut header, name, target);
        }
        if metadata.nlink() > 1 {
            let inode = (metadata.dev(), metadata.ino());
            if let Some(first) = self.hard_links.get(&inode) {
                header.set_entry_type(tar::EntryType::Link);
                let first = first.clone();
                return self.builder.append_link(&mut header, name, first);
            }
            self.hard_links.insert(inode, name.to_path_buf());
        }
        if kind.is_file() {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(metadata.len());
            let file = File::open(path).map_err(|error| with_path(error, "open", path))?;
            // A file that grows while it is read is cut at the size the header announced, and
            // one that shrinks is an error, so the archive always stays well formed.
            let mut data = Exact::new(file, metadata.len());
            return self.builder.append_data(&mut header, name, &mut data);
        }
        let device = metadata.rdev();
        header.set_entry_type(if kind.is_fifo() {
            tar::EntryType::Fifo
        } else if kind.is_char_device() {
            tar::EntryType::Char
        } else {
            tar::EntryType::Block
        });
        header.set_device_major(device_major(device))?;
        header.set_device_minor(device_minor(device))?;
        self.builder.append_data(&mut header, name, io::empty())
    }
}

/// The major number of a Linux device number (glibc's `gnu_dev_major`).
fn device_major(device: u64) -> u32 {
    u32::try_from(((device >> 8) & 0xfff) | ((device >> 32) & !0xfff)).unwrap_or(0)
}

/// The minor number of a Linux device number (glibc's `gnu_dev_minor`).
fn device_minor(device: u64) -> u32 {
    u32::try_from((device & 0xff) | ((device >> 12) & !0xff)).unwrap_or(0)
}

/// A file's data cut at the size its header announced, failing if the file ends sooner (so an
/// archive written from a file that changes meanwhile is never malformed).
pub struct Exact<R>(io::Take<R>);

impl<R: io::Read> Exact<R> {
    /// `reader`'s first `length` bytes, exactly.
    pub fn new(reader: R, length: u64) -> Self {
        Self(io::Read::take(reader, length))
    }
}

impl<R: io::Read> io::Read for Exact<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.0.read(buffer)?;
        if read == 0 && !buffer.is_empty() && self.0.limit() > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while it was archived",
            ));
        }
        Ok(read)
    }
}

/// An I/O error worded as Go words `*PathError`: `lstat /x: no such file or directory`.
#[must_use]
pub fn with_path(error: io::Error, operation: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "{operation} {}: {}",
            path.display(),
            super::go_error_text(&error)
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn listing(archive: &[u8]) -> Vec<(String, tar::EntryType, u32, String)> {
        let mut archive = tar::Archive::new(archive);
        archive
            .entries()
            .expect("entries")
            .map(|entry| {
                let entry = entry.expect("entry");
                let header = entry.header();
                (
                    String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                    header.entry_type(),
                    header.mode().expect("mode"),
                    entry
                        .link_name()
                        .expect("link")
                        .map(|link| link.display().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_tree_keeps_modes_links_and_empty_directories() {
        let root = std::env::temp_dir().join(format!("berth-pack-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let tree = root.join("tree");
        fs::create_dir_all(tree.join("empty")).expect("dirs");
        fs::write(tree.join("secret"), b"s").expect("file");
        fs::set_permissions(tree.join("secret"), fs::Permissions::from_mode(0o600)).expect("chmod");
        fs::set_permissions(&tree, fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink("secret", tree.join("relative")).expect("symlink");
        std::os::unix::fs::symlink("/etc/hostname", tree.join("absolute")).expect("symlink");
        fs::hard_link(tree.join("secret"), tree.join("twin")).expect("hard link");

        let mut archive = Vec::new();
        pack(&tree, "new", &mut archive).expect("packed");
        let entries = listing(&archive);
        let names: Vec<&str> = entries.iter().map(|entry| entry.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "new/",
                "new/absolute",
                "new/empty/",
                "new/relative",
                "new/secret",
                "new/twin"
            ]
        );
        assert_eq!(entries[0].2, 0o755);
        assert_eq!(entries[1].1, tar::EntryType::Symlink);
        assert_eq!(entries[1].3, "/etc/hostname");
        assert_eq!(entries[3].3, "secret");
        assert_eq!(entries[4].2, 0o600);
        assert_eq!(entries[5].1, tar::EntryType::Link);
        assert_eq!(entries[5].3, "new/secret");

        let mut contents = Vec::new();
        pack(&tree.join("."), ".", &mut contents).expect("packed");
        let names: Vec<String> = listing(&contents).into_iter().map(|e| e.0).collect();
        assert_eq!(names[0], "./");
        assert!(names.contains(&"empty/".to_owned()), "{names:?}");

        let missing = pack(&root.join("missing"), "x", Vec::new()).expect_err("missing");
        assert_eq!(
            missing.to_string(),
            format!(
                "lstat {}: no such file or directory",
                root.join("missing").display()
            )
        );
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn names_that_are_not_utf8_are_archived_as_they_are() {
        use std::os::unix::ffi::OsStrExt as _;
        let root = std::env::temp_dir().join(format!("berth-pack-bytes-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("dir");
        fs::write(root.join(std::ffi::OsStr::from_bytes(b"caf\xe9")), b"x").expect("file");
        let mut archive = Vec::new();
        pack(&root, "d", &mut archive).expect("packed");
        let mut archive = tar::Archive::new(archive.as_slice());
        let names: Vec<Vec<u8>> = archive
            .entries()
            .expect("entries")
            .map(|entry| entry.expect("entry").path_bytes().into_owned())
            .collect();
        assert_eq!(names, [b"d/".to_vec(), b"d/caf\xe9".to_vec()]);
        let _ = fs::remove_dir_all(&root);
    }
}
