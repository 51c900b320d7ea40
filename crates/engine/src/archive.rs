//! Copying files between the local filesystem and a container, as `docker cp` does, through the
//! daemon's archive endpoint: `HEAD /containers/{id}/archive` stats a path (the
//! `X-Docker-Container-Path-Stat` header), `GET` streams a tar of it and `PUT` extracts a tar
//! into a directory.
//!
//! Archives are streamed both ways and never held whole: [`Engine::upload_archive`] sends a tar
//! that [`pack()`] builds from the filesystem on a blocking thread while the request is in flight,
//! and [`extract`] unpacks the chunks of [`Engine::download_archive`] as they arrive. Between the
//! blocking side and the request sits a channel of a few 64 KiB chunks, so memory stays bounded
//! whatever the size of the copy. The path rules (`dir/.`, trailing `/`, renames) are pure, in
//! [`paths`].

pub mod pack;
pub mod paths;
pub mod unpack;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::pin::Pin;

use bollard::query_parameters::{
    ContainerArchiveInfoOptions, DownloadFromContainerOptions, UploadToContainerOptions,
};
pub use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use tokio::sync::mpsc;

pub use pack::pack;
pub use unpack::unpack;

use crate::{Engine, EngineError, Result};

/// Bytes per chunk between the filesystem and the request.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the blocking side and the request.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A container path as the daemon stats it (Docker's `container.PathStat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// Base name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Go's `os.FileMode` bits: permissions plus type bits ([`PathStat::is_dir`]…).
    pub mode: u32,
    /// A symlink's target, as written in the link.
    pub link_target: String,
}

/// Go's `os.FileMode` type bits.
mod go_mode {
    pub(super) const DIR: u32 = 1 << 31;
    pub(super) const SYMLINK: u32 = 1 << 27;
    pub(super) const DEVICE: u32 = 1 << 26;
    pub(super) const IRREGULAR: u32 = 1 << 19;
}

impl PathStat {
    /// A directory.
    #[must_use]
    pub fn is_dir(&self) -> bool {
        self.mode & go_mode::DIR != 0
    }

    /// A symbolic link (not followed).
    #[must_use]
    pub fn is_symlink(&self) -> bool {
        self.mode & go_mode::SYMLINK != 0
    }

    /// Why a copy cannot write to this path, in Docker's words (`ValidateOutputPathFileMode`):
    /// devices and irregular files.
    #[must_use]
    pub fn unwritable_reason(&self) -> Option<&'static str> {
        if self.mode & go_mode::DEVICE != 0 {
            Some("got a device")
        } else if self.mode & go_mode::IRREGULAR != 0 {
            Some("got an irregular file")
        } else {
            None
        }
    }
}

/// A tar stream coming from the daemon.
pub type ArchiveStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

impl Engine {
    /// Stats `path` in `container` without following a final symlink.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the path or the container does not exist (a `HEAD` answer
    /// carries no message), transport errors.
    pub async fn stat_container_path(&self, container: &str, path: &str) -> Result<PathStat> {
        let options = ContainerArchiveInfoOptions {
            path: path.to_owned(),
        };
        let stat = self
            .docker
            .get_container_archive_info(container, Some(options))
            .await?;
        Ok(PathStat {
            name: stat.name,
            size: stat.size,
            mode: stat.file_mode,
            link_target: stat.link_target,
        })
    }

    /// Starts streaming the tar of `path` in `container`. The first chunk is awaited here, so
    /// that a missing path fails with the daemon's message (`Could not find the file …`) before
    /// anything is written locally.
    ///
    /// # Errors
    /// The daemon's refusal, transport errors.
    pub async fn download_archive(&self, container: &str, path: &str) -> Result<ArchiveStream> {
        let options = DownloadFromContainerOptions {
            path: path.to_owned(),
        };
        let mut stream = self
            .docker
            .download_from_container(container, Some(options))
            .map(|chunk| chunk.map_err(EngineError::from))
            .boxed();
        let first = match stream.next().await {
            Some(chunk) => Some(chunk?),
            None => None,
        };
        Ok(futures_util::stream::iter(first.map(Ok))
            .chain(stream)
            .boxed())
    }

    /// Sends the tar `archive` to be extracted into the directory `path` of `container`, never
    /// replacing a directory by a file or the reverse (`noOverwriteDirNonDir`, as `docker cp`
    /// asks). With `copy_uid_gid`, the daemon applies the archive's ownership as `docker cp -a`
    /// asks.
    ///
    /// # Errors
    /// The daemon's refusal, or the archive stream's own error as a transport error.
    pub async fn upload_archive(
        &self,
        container: &str,
        path: &str,
        copy_uid_gid: bool,
        archive: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    ) -> Result<()> {
        let options = UploadToContainerOptions {
            path: path.to_owned(),
            no_overwrite_dir_non_dir: Some("true".to_owned()),
            copy_uidgid: copy_uid_gid.then(|| "true".to_owned()),
        };
        Ok(self
            .docker
            .upload_to_container(container, Some(options), bollard::body_try_stream(archive))
            .await?)
    }
    /// Sends the tar `archive` to be extracted at `/` of `container`, each entry replacing
    /// whatever is at its path, a directory by a file or the reverse (what a mirror of a local
    /// tree needs, where [`Engine::upload_archive`] refuses as `docker cp` does). The entries'
    /// owners are applied as they are written in the archive (the daemon's default without
    /// `copyUIDGID`, which would look the container's user up on the host instead).
    ///
    /// # Errors
    /// The daemon's refusal, or the archive stream's own error as a transport error.
    pub async fn mirror_archive(
        &self,
        container: &str,
        archive: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    ) -> Result<()> {
        let options = UploadToContainerOptions {
            path: "/".to_owned(),
            no_overwrite_dir_non_dir: None,
            copy_uidgid: None,
        };
        Ok(self
            .docker
            .upload_to_container(container, Some(options), bollard::body_try_stream(archive))
            .await?)
    }
}

/// A tar of `source` (its top entry named `root_name`) built on a blocking thread as the
/// returned stream is read. The task's result says whether the archive is complete: when it
/// failed, the stream ends early and the request that carried it fails too, but the task's
/// error is the one to report.
pub fn pack_stream(
    source: PathBuf,
    root_name: String,
) -> (
    impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    tokio::task::JoinHandle<io::Result<()>>,
) {
    writer_stream(move |out| pack(&source, &root_name, out))
}

/// What `write` writes, on a blocking thread, as a stream of bounded chunks read by a request:
/// the writer waits while the request has not taken the previous chunks, so memory stays at a
/// few chunks whatever is written. The task's result is `write`'s: when it failed, the stream
/// ends with the error (failing the request that carried it), and the task's error is the one
/// to report. Every request body written from files (`cp`, builds, `watch`) comes from here.
pub fn writer_stream(
    write: impl FnOnce(&mut ChunkWriter) -> io::Result<()> + Send + 'static,
) -> (
    impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    tokio::task::JoinHandle<io::Result<()>>,
) {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let task = tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            sender: sender.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let result = write(&mut writer).and_then(|()| writer.send());
        if let Err(error) = &result {
            let _ = sender.blocking_send(Err(io::Error::new(error.kind(), error.to_string())));
        }
        result
    });
    (receiver_stream(receiver), task)
}

/// Extracts `archive` into the directory `destination` (renaming entries with `rebases`) on a
/// blocking thread, chunk by chunk as the stream yields them.
///
/// # Errors
/// The stream's error, or the extraction's.
pub async fn extract(
    mut archive: ArchiveStream,
    destination: String,
    rebases: Vec<paths::Rebase>,
) -> std::result::Result<(), ExtractError> {
    let (sender, receiver) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
    let task = tokio::task::spawn_blocking(move || {
        let reader = ChunkReader {
            receiver,
            current: Bytes::new(),
        };
        let mut reader = io::BufReader::with_capacity(CHUNK, reader);
        let result = unpack(&mut reader, &destination, &rebases);
        // After a complete archive, read the padding that follows its end so that the download
        // ends normally; after a failure, stop reading so that the download is dropped at once.
        if result.is_ok() {
            let _ = io::copy(&mut reader, &mut io::sink());
        }
        result
    });
    let mut stream_error = None;
    while let Some(chunk) = archive.next().await {
        match chunk {
            Ok(chunk) => {
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                stream_error = Some(error);
                break;
            }
        }
    }
    drop(sender);
    let result = task
        .await
        .map_err(|error| ExtractError::Local(io::Error::other(error)))?;
    if let Some(error) = stream_error {
        return Err(ExtractError::Engine(error));
    }
    result.map_err(ExtractError::Local)
}

/// Why [`extract`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The daemon's stream broke.
    #[error(transparent)]
    Engine(EngineError),
    /// Writing locally failed (or the archive was malformed).
    #[error(transparent)]
    Local(io::Error),
}

/// Go's text for an OS error: `no such file or directory`, `permission denied`, without Rust's
/// `(os error 2)`; other errors as they are.
#[must_use]
pub fn go_error_text(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            let text = text
                .split_once(" (os error")
                .map_or(text.as_str(), |(text, _)| text);
            let mut characters = text.chars();
            characters.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(characters).collect()
            })
        }
        None => error.to_string(),
    }
}

/// Writes into a channel in chunks, blocking while the request has not taken the previous ones
/// ([`writer_stream`]). A closed request is `BrokenPipe`.
pub struct ChunkWriter {
    sender: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the request ended"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(data.len());
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == CHUNK {
            self.send()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Reads what a channel delivers, blocking until the next chunk arrives.
struct ChunkReader {
    receiver: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let taken = self.current.len().min(buffer.len());
        buffer[..taken].copy_from_slice(&self.current.split_to(taken));
        Ok(taken)
    }
}

/// The receiving end of a channel as a stream.
fn receiver_stream<T: Send + 'static>(
    receiver: mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// A stream of what a channel delivers, for callers that feed one request from another source
/// (standard input).
pub fn channel_stream(
    receiver: mpsc::Receiver<io::Result<Bytes>>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    receiver_stream(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_as_go_prints_them() {
        assert_eq!(
            go_error_text(&io::Error::from_raw_os_error(2)),
            "no such file or directory"
        );
        assert_eq!(
            go_error_text(&io::Error::from_raw_os_error(20)),
            "not a directory"
        );
        assert_eq!(go_error_text(&io::Error::other("plain")), "plain");
    }

    #[test]
    fn stat_modes() {
        let stat = |mode| PathStat {
            name: "x".into(),
            size: 0,
            mode,
            link_target: String::new(),
        };
        assert!(stat(go_mode::DIR | 0o755).is_dir());
        assert!(stat(go_mode::SYMLINK | 0o777).is_symlink());
        assert_eq!(
            stat(go_mode::DEVICE | 0o600).unwritable_reason(),
            Some("got a device")
        );
        assert_eq!(stat(0o644).unwritable_reason(), None);
    }
}
