//! The build context as a tar stream, written by a blocking thread while the daemon reads it and
//! handed over in bounded chunks (`archive::writer_stream`), so that a context of any size costs a few hundred KiB of memory.
//! Files are walked in name order and filtered with Docker's ignore rules ([`super::ignore`]);
//! owners are set to root, as the docker CLI does.

use super::Builder;
use super::ignore::{self, IgnoreFiles, ParentMatches, PatternMatcher};
use bytes::Bytes;
use futures_util::Stream;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why writing a context stopped, when it did: set by the writer thread.
#[derive(Debug, Clone, Default)]
pub struct WriteError(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl WriteError {
    /// The writer's error, if it failed.
    #[must_use]
    pub fn get(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What goes into a build context.
#[derive(Debug, Clone)]
pub struct ContextSpec {
    /// The context directory.
    pub dir: PathBuf,
    /// The Dockerfile's path relative to `dir` (`Dockerfile` by default); ignored with `inline`.
    pub dockerfile: String,
    /// Dockerfile text given in the compose file (`dockerfile_inline`), or read from a Dockerfile
    /// outside the context: added to the stream under a generated name.
    pub inline: Option<String>,
    /// Which ignore file is read.
    pub ignore_files: IgnoreFiles,
}

/// A context ready to stream: the Dockerfile name to send with the request, and the compiled rules.
#[derive(Debug)]
pub struct Context {
    spec: ContextSpec,
    /// The Dockerfile's name inside the stream (the `dockerfile` build parameter).
    pub dockerfile: String,
    matcher: PatternMatcher,
    inline_name: Option<String>,
    builder: Builder,
}

impl Context {
    /// Reads the ignore rules of `spec.dir`, for the classic builder.
    ///
    /// # Errors
    /// A missing context directory, an unreadable ignore file, or a bad pattern.
    pub fn prepare(spec: ContextSpec) -> io::Result<Self> {
        Self::prepare_for(spec, Builder::Classic)
    }

    /// Reads the ignore rules of `spec.dir`, for `builder`. The classic builder is sent the
    /// Dockerfile and the ignore file whatever the rules say, and drops them itself when the rules
    /// exclude them; BuildKit, sent a tar, applies no rules, so only the Dockerfile (which it must
    /// read) is kept against them.
    ///
    /// # Errors
    /// A missing context directory, an unreadable ignore file, or a bad pattern.
    pub fn prepare_for(spec: ContextSpec, builder: Builder) -> io::Result<Self> {
        if !spec.dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("unable to prepare context: path {:?} not found", spec.dir),
            ));
        }
        let (excludes, source) =
            ignore::read_ignore_rules(&spec.dir, Path::new(&spec.dockerfile), spec.ignore_files)?;
        let ignore_file = source.unwrap_or_else(|| ".dockerignore".to_owned());
        let (dockerfile, inline_name) = match &spec.inline {
            Some(_) => {
                let name = format!(".dockerfile.{}", random_hex());
                (name.clone(), Some(name))
            }
            None => (spec.dockerfile.replace('\\', "/"), None),
        };
        let excludes = match builder {
            Builder::Classic => ignore::keep_build_files(excludes, &ignore_file, &dockerfile),
            // Passing the Dockerfile as both names keeps it alone.
            Builder::BuildKit => ignore::keep_build_files(excludes, &dockerfile, &dockerfile),
        };
        let matcher = PatternMatcher::new(&excludes)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error.to_string()))?;
        Ok(Self {
            spec,
            dockerfile,
            matcher,
            inline_name,
            builder,
        })
    }

    /// Starts writing the tar on a blocking thread and returns its bytes as a stream; dropping the
    /// stream stops the writer.
    pub fn stream(self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        self.stream_reporting().0
    }

    /// [`Context::stream`], with the writer's error kept aside too: an error item aborts the
    /// request, and the HTTP client then reports only that it could not send, so the caller
    /// reads what went wrong (an unreadable file, named) from the slot.
    pub fn stream_reporting(
        self,
    ) -> (
        impl Stream<Item = io::Result<Bytes>> + Send + 'static,
        WriteError,
    ) {
        let slot = WriteError::default();
        let kept = slot.clone();
        let (stream, _task) = crate::archive::writer_stream(move |out| {
            let result = self.write(out);
            // A closed receiver is the request ending first, not the context's fault.
            if let Err(error) = &result
                && error.kind() != io::ErrorKind::BrokenPipe
            {
                *kept
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error.to_string());
            }
            result
        });
        (stream, slot)
    }

    /// Writes the whole tar to `out` (the stream's body, or a file in tests).
    ///
    /// # Errors
    /// Unreadable files, or a closed receiver.
    pub fn write<W: Write>(&self, out: W) -> io::Result<()> {
        let mut tar = tar::Builder::new(out);
        tar.follow_symlinks(false);
        // The classic builder is given an ignore file that also names the generated Dockerfile.
        let skip_root_ignore = self.inline_name.is_some() && self.builder == Builder::Classic;
        self.walk(
            &mut tar,
            &self.spec.dir,
            "",
            &ParentMatches::default(),
            skip_root_ignore,
        )?;
        if let (Some(name), Some(text)) = (&self.inline_name, &self.spec.inline) {
            append_bytes(&mut tar, name, text.as_bytes())?;
            if self.builder == Builder::BuildKit {
                return tar.into_inner()?.flush();
            }
            // As the docker CLI does: the generated Dockerfile is listed in .dockerignore so that
            // the daemon drops it from what the build sees; a .dockerignore made up for this lists
            // itself too.
            let mut rules = match std::fs::read(self.spec.dir.join(".dockerignore")) {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::NotFound => b".dockerignore".to_vec(),
                Err(error) => return Err(error),
            };
            rules.extend_from_slice(format!("\n{name}\n").as_bytes());
            append_bytes(&mut tar, ".dockerignore", &rules)?;
        }
        tar.into_inner()?.flush()
    }

    /// Calls `visit` for every entry the ignore rules keep, in name order, each directory before
    /// what it holds, with its context-relative path.
    fn visit(
        &self,
        dir: &Path,
        rel_dir: &str,
        parent: &ParentMatches,
        skip_root_ignore: bool,
        visit: &mut dyn FnMut(&str, &Path, &std::fs::Metadata) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<io::Result<_>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = if rel_dir.is_empty() {
                name.to_string()
            } else {
                format!("{rel_dir}/{name}")
            };
            if skip_root_ignore && rel == ".dockerignore" {
                continue;
            }
            let (skip, info) = self.matcher.matches_using_parent(&rel, parent);
            let file_type = entry.file_type()?;
            let path = entry.path();
            if skip {
                if file_type.is_dir() && !self.matcher.can_skip_dir(&rel) {
                    self.visit(&path, &rel, &info, false, visit)?;
                }
                continue;
            }
            let metadata = std::fs::symlink_metadata(&path)?;
            visit(&rel, &path, &metadata)?;
            if file_type.is_dir() {
                self.visit(&path, &rel, &info, false, visit)?;
            }
        }
        Ok(())
    }

    fn walk<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        dir: &Path,
        rel_dir: &str,
        parent: &ParentMatches,
        skip_root_ignore: bool,
    ) -> io::Result<()> {
        self.visit(
            dir,
            rel_dir,
            parent,
            skip_root_ignore,
            &mut |rel, path, metadata| {
                let file_type = metadata.file_type();
                let mut header = tar::Header::new_gnu();
                header.set_metadata_in_mode(metadata, tar::HeaderMode::Complete);
                header.set_uid(0);
                header.set_gid(0);
                let _ = header.set_username("");
                let _ = header.set_groupname("");
                if file_type.is_dir() {
                    header.set_size(0);
                    tar.append_data(&mut header, format!("{rel}/"), io::empty())?;
                } else if file_type.is_symlink() {
                    header.set_size(0);
                    let target = std::fs::read_link(path)?;
                    tar.append_link(&mut header, rel, target)?;
                } else if file_type.is_file() {
                    let file = std::fs::File::open(path).map_err(|error| {
                        io::Error::new(
                            error.kind(),
                            format!("can't add file {}: {error}", path.display()),
                        )
                    })?;
                    tar.append_data(&mut header, rel, file)?;
                }
                // Sockets, fifos and devices are left out, as a build cannot use them.
                Ok(())
            },
        )
    }

    /// A digest of what the context holds as the file system describes it (paths, kinds, modes,
    /// sizes, modification times to the nanosecond, link targets, the inline Dockerfile), without
    /// reading any file: equal digests mean an unchanged context as surely as `make` or git's
    /// index can tell, at the cost of a directory walk.
    ///
    /// # Errors
    /// An unreadable directory.
    pub fn stat_digest(&self) -> io::Result<String> {
        use sha2::{Digest, Sha256};
        use std::os::unix::fs::MetadataExt;
        let mut hasher = Sha256::new();
        self.visit(
            &self.spec.dir,
            "",
            &ParentMatches::default(),
            false,
            &mut |rel, path, metadata| {
                hasher.update(rel.as_bytes());
                hasher.update([0]);
                hasher.update(metadata.mode().to_le_bytes());
                hasher.update(metadata.size().to_le_bytes());
                hasher.update(metadata.mtime().to_le_bytes());
                hasher.update(metadata.mtime_nsec().to_le_bytes());
                if metadata.file_type().is_symlink() {
                    hasher.update(std::fs::read_link(path)?.as_os_str().as_encoded_bytes());
                }
                hasher.update([0]);
                Ok(())
            },
        )?;
        if let Some(text) = &self.spec.inline {
            hasher.update(b"inline\0");
            hasher.update(text.as_bytes());
        }
        Ok(hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect())
    }
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o600);
    header.set_size(data.len() as u64);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
}

fn random_hex() -> String {
    use sha2::{Digest, Sha256};
    let seed = format!(
        "{:?}{}{:?}",
        std::time::SystemTime::now(),
        std::process::id(),
        std::thread::current().id()
    );
    let digest = Sha256::digest(seed.as_bytes());
    digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path, ignore: &str) -> Vec<String> {
        std::fs::write(dir.join(".dockerignore"), ignore).unwrap();
        let context = Context::prepare(ContextSpec {
            dir: dir.to_owned(),
            dockerfile: "Dockerfile".into(),
            inline: None,
            ignore_files: IgnoreFiles::Classic,
        })
        .unwrap();
        let mut bytes = Vec::new();
        context.write(&mut bytes).unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn the_stream_carries_the_same_tar_in_bounded_chunks() {
        use futures_util::StreamExt;
        let dir = std::env::temp_dir().join(format!("berth-ctx-stream-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(dir.join("big"), vec![7u8; 1 << 20]).unwrap();
        let spec = ContextSpec {
            dir: dir.clone(),
            dockerfile: "Dockerfile".into(),
            inline: None,
            ignore_files: IgnoreFiles::Classic,
        };
        let mut whole = Vec::new();
        Context::prepare(spec.clone())
            .unwrap()
            .write(&mut whole)
            .unwrap();
        let mut streamed = Vec::new();
        let mut chunks = Context::prepare(spec).unwrap().stream().boxed();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.unwrap();
            assert!(chunk.len() <= 64 * 1024);
            streamed.extend_from_slice(&chunk);
        }
        assert_eq!(streamed, whole);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn excluded_directories_are_entered_only_for_re_inclusions() {
        let dir = std::env::temp_dir().join(format!("berth-ctx-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("d/sub")).unwrap();
        for file in ["Dockerfile", "a.txt", "d/keep", "d/drop", "d/sub/x"] {
            std::fs::write(dir.join(file), file).unwrap();
        }
        assert_eq!(
            names(&dir, "d\n!d/keep\n*.txt\n"),
            vec![".dockerignore", "Dockerfile", "d/keep"]
        );
        assert_eq!(names(&dir, "*\n"), vec![".dockerignore", "Dockerfile"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
