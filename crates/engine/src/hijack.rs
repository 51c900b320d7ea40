//! Interactive streams: the Engine API's "hijacked" connections, where an HTTP request turns
//! into a raw two-way byte stream (`exec` start, container attach).
//!
//! bollard offers these too, but it decodes the output with a heuristic that mistakes TTY bytes
//! 0–2 at the start of a read for a multiplexing header, and its write half cannot be closed on its
//! own. An interactive session needs the exact bytes and a real half-close (standard input's end
//! of file must reach the container while its output is still read), so this module speaks the
//! upgrade itself, over the same unix or TCP address, as the Docker CLI does.
//!
//! Output framing is Docker's: with a TTY the stream is the terminal's raw bytes; without one each
//! chunk carries an 8-byte header (stream 1 = stdout, 2 = stderr, then a big-endian length).

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::connect::Endpoint;
use crate::error::{EngineError, Result};

/// The container side's output of a hijacked connection.
pub type HijackReader = Box<dyn AsyncRead + Send + Unpin>;
/// The container side's input of a hijacked connection; shutting it down closes the container's
/// standard input while its output keeps flowing.
pub type HijackWriter = Box<dyn AsyncWrite + Send + Unpin>;

/// A raw two-way stream to a process in a container.
pub struct Hijacked {
    /// What the process writes (framed as [`copy_output`] expects).
    pub output: HijackReader,
    /// What the process reads.
    pub input: HijackWriter,
}

impl std::fmt::Debug for Hijacked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hijacked")
    }
}

/// Largest response head accepted before the stream starts.
const MAX_HEAD: usize = 64 * 1024;
/// Largest error or wait body read.
const MAX_BODY: usize = 1024 * 1024;

/// A response whose body is still to be read from the connection.
struct Response {
    status: u16,
    head: String,
    /// Bytes read past the head.
    rest: Vec<u8>,
    reader: HijackReader,
    writer: HijackWriter,
}

/// Sends `POST path` with a JSON `body` and `headers` on a new connection and reads the response
/// head; with `upgrade` the connection asks to switch to that protocol (`tcp` for a raw stream,
/// `h2c` for a BuildKit session).
async fn post(
    endpoint: &Endpoint,
    path: &str,
    body: &str,
    upgrade: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Response> {
    let host = endpoint.host.as_str();
    let unreachable = |error: io::Error| EngineError::Unreachable {
        host: host.to_owned(),
        reason: error.to_string(),
    };
    let (mut reader, mut writer): (HijackReader, HijackWriter) = if let Some(path) = host
        .strip_prefix("unix://")
        .or_else(|| host.starts_with('/').then_some(host))
    {
        let stream = tokio::net::UnixStream::connect(path)
            .await
            .map_err(unreachable)?;
        let (read, write) = stream.into_split();
        (Box::new(read), Box::new(write))
    } else if let Some(address) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let address = address.trim_end_matches('/');
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(unreachable)?;
        stream.set_nodelay(true).map_err(unreachable)?;
        let (read, write) = stream.into_split();
        (Box::new(read), Box::new(write))
    } else {
        return Err(EngineError::Unreachable {
            host: host.to_owned(),
            reason: "unsupported address scheme (berth speaks unix:// and tcp://)".to_owned(),
        });
    };
    let connection = match upgrade {
        Some(protocol) => format!("Connection: Upgrade\r\nUpgrade: {protocol}"),
        None => "Connection: close".to_owned(),
    };
    let mut extra = String::new();
    for (name, value) in headers {
        extra.push_str(&format!("{name}: {value}\r\n"));
    }
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: berth\r\nContent-Type: application/json\r\n{extra}{connection}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    writer
        .write_all(request.as_bytes())
        .await
        .map_err(unreachable)?;
    writer.flush().await.map_err(unreachable)?;

    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0_u8; 4096];
    let end = loop {
        let read = reader.read(&mut buffer).await.map_err(transport)?;
        if read == 0 {
            return Err(transport(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection before answering",
            )));
        }
        head.extend_from_slice(&buffer[..read]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > MAX_HEAD {
            return Err(transport(io::Error::other("response head too large")));
        }
    };
    let rest = head.split_off(end);
    let head = String::from_utf8_lossy(&head).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok(Response {
        status,
        head,
        rest,
        reader,
        writer,
    })
}

/// The daemon's error for a failed response.
async fn error_of(mut response: Response) -> EngineError {
    let body = read_body(&response.head, response.rest, &mut response.reader).await;
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    match response.status {
        404 => EngineError::NotFound { message },
        409 => EngineError::Conflict { message },
        status => EngineError::Daemon { status, message },
    }
}

/// Sends `POST path` with a JSON `body` and turns the connection into a raw stream.
pub(crate) async fn hijack(endpoint: &Endpoint, path: &str, body: &str) -> Result<Hijacked> {
    upgrade(endpoint, path, body, "tcp", &[]).await
}

/// Sends `POST path` with a JSON `body` and `headers`, asking the connection to switch to
/// `protocol`, and returns the switched connection's two halves.
pub(crate) async fn upgrade(
    endpoint: &Endpoint,
    path: &str,
    body: &str,
    protocol: &str,
    headers: &[(&str, &str)],
) -> Result<Hijacked> {
    let response = post(endpoint, path, body, Some(protocol), headers).await?;
    if response.status == 101 || response.status == 200 {
        let output: HijackReader = if response.rest.is_empty() {
            response.reader
        } else {
            Box::new(io::Cursor::new(response.rest).chain(response.reader))
        };
        return Ok(Hijacked {
            output,
            input: response.writer,
        });
    }
    Err(error_of(response).await)
}

/// A request whose answer comes later: the daemon has accepted it once this returns.
pub(crate) struct Pending(Response);

impl Pending {
    /// The JSON the daemon answers with, once it does.
    pub(crate) async fn json(self) -> Result<serde_json::Value> {
        let mut response = self.0;
        let body = read_body(&response.head, response.rest, &mut response.reader).await;
        serde_json::from_slice(&body).map_err(|error| {
            transport(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{error}: {}", String::from_utf8_lossy(&body)),
            ))
        })
    }
}

/// Sends `POST path` and returns once the daemon has answered the head, before its body: for
/// waits that must be registered before something else happens.
pub(crate) async fn post_pending(endpoint: &Endpoint, path: &str) -> Result<Pending> {
    let response = post(endpoint, path, "", None, &[]).await?;
    if response.status == 200 {
        return Ok(Pending(response));
    }
    Err(error_of(response).await)
}

fn transport(error: io::Error) -> EngineError {
    EngineError::Transport(bollard::errors::Error::IOError { err: error })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A response body: by `Content-Length`, chunked, or up to the end of the stream.
async fn read_body(head: &str, mut body: Vec<u8>, reader: &mut HijackReader) -> Vec<u8> {
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length = header("content-length").and_then(|value| value.parse::<usize>().ok());
    let chunked = header("transfer-encoding").is_some_and(|value| value.contains("chunked"));
    let mut buffer = [0_u8; 4096];
    loop {
        let complete = match length {
            Some(length) => body.len() >= length,
            None if chunked => find(&body, b"\r\n0\r\n").is_some() || body.starts_with(b"0\r\n"),
            None => false,
        };
        if complete || body.len() > MAX_BODY {
            break;
        }
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => body.extend_from_slice(&buffer[..read]),
        }
    }
    if let Some(length) = length {
        body.truncate(length);
        return body;
    }
    if chunked {
        return dechunk(&body);
    }
    body
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(body, b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|text| usize::from_str_radix(text.trim(), 16).ok())
            .unwrap_or(0);
        body = &body[line_end + 2..];
        if size == 0 || body.len() < size {
            break;
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
    out
}

/// Copies a hijacked stream's output to `stdout` and `stderr` until the process closes it:
/// raw with a TTY, demultiplexed without. Each write is flushed, so interactive output appears
/// at once; large outputs still move in big chunks.
///
/// # Errors
/// Reading the stream or writing either destination failed, or the framing is corrupt.
pub async fn copy_output<R, O, E>(
    mut reader: R,
    tty: bool,
    stdout: &mut O,
    stderr: &mut E,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + ?Sized,
    E: AsyncWrite + Unpin + ?Sized,
{
    let mut buffer = vec![0_u8; 64 * 1024];
    if tty {
        loop {
            let read = reader.read(&mut buffer).await?;
            if read == 0 {
                return Ok(());
            }
            stdout.write_all(&buffer[..read]).await?;
            stdout.flush().await?;
        }
    }
    let mut demux = Demux::default();
    loop {
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return if demux.is_idle() {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the output stream ended inside a frame",
                ))
            };
        }
        let mut wrote_out = false;
        let mut wrote_err = false;
        for (stream, bytes) in demux.push(&buffer[..read])? {
            if stream == Stream::Stderr {
                stderr.write_all(bytes).await?;
                wrote_err = true;
            } else {
                stdout.write_all(bytes).await?;
                wrote_out = true;
            }
        }
        if wrote_out {
            stdout.flush().await?;
        }
        if wrote_err {
            stderr.flush().await?;
        }
    }
}

/// Which stream a payload belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// Docker's stream multiplexing, decoded incrementally without copying payloads.
#[derive(Debug, Default)]
struct Demux {
    /// A partial header carried over from the previous read.
    header: Vec<u8>,
    /// The current frame's stream and the bytes of it still to come.
    remaining: Option<(Stream, usize)>,
}

impl Demux {
    fn is_idle(&self) -> bool {
        self.header.is_empty() && self.remaining.is_none()
    }

    /// Splits `input` into payload slices with their streams.
    fn push<'a>(&mut self, mut input: &'a [u8]) -> io::Result<Vec<(Stream, &'a [u8])>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            if let Some((stream, remaining)) = self.remaining {
                let take = remaining.min(input.len());
                out.push((stream, &input[..take]));
                input = &input[take..];
                self.remaining = (remaining > take).then_some((stream, remaining - take));
                continue;
            }
            let need = 8 - self.header.len();
            let take = need.min(input.len());
            self.header.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.header.len() < 8 {
                break;
            }
            let stream = match self.header[0] {
                0 | 1 => Stream::Stdout,
                2 => Stream::Stderr,
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown stream {other} in the container's output"),
                    ));
                }
            };
            let length = u32::from_be_bytes([
                self.header[4],
                self.header[5],
                self.header[6],
                self.header[7],
            ]) as usize;
            self.header.clear();
            if length > 0 {
                self.remaining = Some((stream, length));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![stream, 0, 0, 0];
        out.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn demux_splits_frames_across_any_read_boundary() {
        let mut wire = frame(1, b"hello ");
        wire.extend(frame(2, b"oops"));
        wire.extend(frame(1, &[0, 1, 2, 255]));
        for cut in 0..wire.len() {
            let mut demux = Demux::default();
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            for part in [&wire[..cut], &wire[cut..]] {
                for (stream, bytes) in demux.push(part).unwrap() {
                    match stream {
                        Stream::Stdout => stdout.extend_from_slice(bytes),
                        Stream::Stderr => stderr.extend_from_slice(bytes),
                    }
                }
            }
            assert!(demux.is_idle());
            assert_eq!(stdout, b"hello \x00\x01\x02\xff", "cut at {cut}");
            assert_eq!(stderr, b"oops", "cut at {cut}");
        }
    }

    #[test]
    fn demux_rejects_an_unknown_stream() {
        let mut demux = Demux::default();
        assert!(demux.push(&frame(7, b"x")).is_err());
    }

    #[test]
    fn tty_output_is_copied_byte_for_byte() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let input: Vec<u8> = (0..=255).collect();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        runtime
            .block_on(copy_output(&input[..], true, &mut stdout, &mut stderr))
            .unwrap();
        assert_eq!(stdout, input);
        assert!(stderr.is_empty());
    }

    #[test]
    fn chunked_error_bodies_are_decoded() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
    }
}
