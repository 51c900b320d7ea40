//! Documents found valid, remembered between runs so that an unchanged project skips the schema.
//!
//! Compiling the compose-spec schema is most of what loading a small project costs (about 10
//! million instructions against 9 million for everything else of a 10-service project), and a
//! no-op `up`, `ps` or `down` loads files that the previous command already found valid. Each
//! valid document leaves an empty file named by the SHA-256 of its JSON text, in a directory named
//! for this executable (its path, size, modification time and inode: a rebuilt or upgraded berth,
//! whose schema or rules may differ, starts afresh). A later load of the same document finds the
//! file and skips the check. Only valid answers are kept: an invalid document is always checked,
//! so its error is always Compose's.
//!
//! Losing the directory only costs a check. Directories of other executables are removed once a
//! week has passed without them being written, and a directory holding more than
//! [`MAX_ENTRIES`] documents is emptied.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::loader::tree::Value;

/// More documents than this in one directory empties it: the cost is one check each.
const MAX_ENTRIES: usize = 1024;

/// Directories of other executables unwritten for this long are removed.
const STALE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The file that marks `dict` as valid, under `dir`; `None` when this executable cannot be
/// identified or the document not serialised.
pub(super) fn entry(dir: &Path, dict: &Value) -> Option<PathBuf> {
    let mut digest = HashWriter(Sha256::new());
    serde_json::to_writer(&mut digest, dict).ok()?;
    Some(dir.join(identity()?).join(hex(&digest.0.finalize())))
}

/// Whether `entry` says its document was found valid.
pub(super) fn known_valid(entry: &Path) -> bool {
    entry.is_file()
}

/// Remembers `entry`'s document as valid. Failures are ignored: the next load checks again.
pub(super) fn remember(entry: &Path) {
    let Some(own) = entry.parent() else { return };
    if !own.is_dir() {
        if std::fs::create_dir_all(own).is_err() {
            return;
        }
        if let Some(root) = own.parent() {
            remove_stale_siblings(root, own);
        }
    } else if std::fs::read_dir(own).is_ok_and(|entries| entries.count() >= MAX_ENTRIES) {
        let _ = std::fs::remove_dir_all(own);
        if std::fs::create_dir_all(own).is_err() {
            return;
        }
    }
    let _ = std::fs::File::create(entry);
}

/// Removes the directories of other executables under `root` that nobody wrote for [`STALE`].
fn remove_stale_siblings(root: &Path, own: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() > STALE);
        if path != own && stale {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// This executable's identity: a digest of berth's version and the executable's path, size,
/// modification time and inode.
fn identity() -> Option<&'static str> {
    static IDENTITY: OnceLock<Option<String>> = OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let metadata = std::fs::metadata(&exe).ok()?;
            let modified = metadata
                .modified()
                .ok()?
                .duration_since(SystemTime::UNIX_EPOCH)
                .ok()?;
            let mut digest = Sha256::new();
            digest.update(env!("CARGO_PKG_VERSION").as_bytes());
            digest.update([0]);
            digest.update(exe.as_os_str().as_encoded_bytes());
            digest.update([0]);
            digest.update(metadata.len().to_le_bytes());
            digest.update(modified.as_nanos().to_le_bytes());
            #[cfg(unix)]
            digest.update(std::os::unix::fs::MetadataExt::ino(&metadata).to_le_bytes());
            Some(hex(&digest.finalize()[..8]))
        })
        .as_deref()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// Feeds serialised JSON straight into the digest.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use berth_engine::scratch::Scratch;

    use super::*;

    fn dict(text: &str) -> Value {
        serde_json::from_str(text).expect("JSON")
    }

    #[test]
    fn a_document_is_known_valid_once_remembered_and_only_that_document() {
        let dir = Scratch::new("memory-one");
        let first = dict(r#"{"services":{"web":{"image":"nginx"}}}"#);
        let other = dict(r#"{"services":{"web":{"image":"nginx:2"}}}"#);
        let entry = entry(dir.path(), &first).expect("an entry");
        assert_eq!(entry, super::entry(dir.path(), &first).expect("the same"));
        assert!(!known_valid(&entry));
        remember(&entry);
        assert!(known_valid(&entry));
        let other = super::entry(dir.path(), &other).expect("an entry");
        assert_ne!(entry, other);
        assert!(!known_valid(&other));
    }

    #[test]
    fn only_valid_documents_are_remembered_and_an_invalid_one_keeps_its_error() {
        let dir = Scratch::new("memory-errors");
        let valid = dict(r#"{"services":{"web":{"image":"nginx","restart":"always"}}}"#);
        let invalid = dict(r#"{"services":{"web":{"image":"nginx","restart":true}}}"#);
        super::super::validate_schema_remembered(&valid, Some(dir.path())).expect("valid");
        assert!(known_valid(&entry(dir.path(), &valid).expect("an entry")));
        for _ in 0..2 {
            let error = super::super::validate_schema_remembered(&invalid, Some(dir.path()))
                .expect_err("a boolean restart is invalid");
            assert_eq!(error.to_string(), "services.web.restart must be a string");
            assert!(!known_valid(
                &entry(dir.path(), &invalid).expect("an entry")
            ));
        }
    }

    #[test]
    fn a_full_directory_is_emptied_and_stale_ones_of_other_executables_removed() {
        let dir = Scratch::new("memory-full");
        let first = entry(dir.path(), &dict("{}")).expect("an entry");
        let own = first.parent().expect("own directory").to_owned();
        std::fs::create_dir_all(&own).expect("own directory");
        for i in 0..MAX_ENTRIES {
            std::fs::File::create(own.join(format!("{i}"))).expect("entry");
        }
        remember(&first);
        assert!(known_valid(&first));
        assert_eq!(std::fs::read_dir(&own).expect("listing").count(), 1);

        // A new executable's directory: an old sibling goes, a recent one stays.
        let old = dir.path().join("old");
        let recent = dir.path().join("recent");
        for sibling in [&old, &recent] {
            std::fs::create_dir_all(sibling).expect("sibling");
        }
        let long_ago = SystemTime::now() - STALE - Duration::from_secs(60);
        std::fs::File::open(&old)
            .and_then(|file| file.set_modified(long_ago))
            .expect("old mtime");
        std::fs::remove_dir_all(&own).expect("own directory removed");
        remember(&first);
        assert!(known_valid(&first));
        assert!(!old.exists(), "a stale directory is removed");
        assert!(recent.exists(), "a recent directory is kept");
    }
}
