//! One HTTP/1.1 request on its own connection to the daemon (unix socket or TCP, as
//! [`crate::hijack`] reaches it), with a streamed body and a streamed answer: `POST /build` sends a
//! context of any size chunk by chunk, and its answer is read line by line while the build runs.
//! Also `GET /_ping`, whose headers (`Builder-Version`, `OSType`) bollard does not return.

use std::io;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use http_body_util::{BodyExt, Empty, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;

use crate::connect::Endpoint;
use crate::error::{EngineError, Result};

/// A request body: nothing, or a stream of chunks.
pub type Body = BoxBody<Bytes, io::Error>;

/// An empty body.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// A body streamed from `chunks` (sent with chunked transfer encoding).
pub fn streamed(chunks: impl Stream<Item = io::Result<Bytes>> + Send + Sync + 'static) -> Body {
    BodyExt::boxed(StreamBody::new(chunks.map_ok(Frame::data)))
}

/// An answer whose connection is closed when it is dropped, so that dropping a build (Ctrl-C)
/// closes the socket and the daemon cancels the build.
pub struct Answer {
    /// The answer, its body still to be read.
    pub response: hyper::Response<Incoming>,
    connection: AbortOnDrop,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends one request and returns the answer once its head has arrived.
///
/// # Errors
/// [`EngineError::Unreachable`] when nothing answers at the endpoint; transport errors.
pub async fn send(
    endpoint: &Endpoint,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Result<Answer> {
    let host = endpoint.host.as_str();
    let unreachable = |error: io::Error| EngineError::Unreachable {
        host: host.to_owned(),
        reason: error.to_string(),
    };
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("Host", "docker")
        .header("User-Agent", "berth");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body)
        .map_err(|error| transport(io::Error::new(io::ErrorKind::InvalidInput, error)))?;
    if let Some(path) = host
        .strip_prefix("unix://")
        .or_else(|| host.starts_with('/').then_some(host))
    {
        let stream = tokio::net::UnixStream::connect(path)
            .await
            .map_err(unreachable)?;
        exchange(TokioIo::new(stream), request).await
    } else if let Some(address) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let stream = tokio::net::TcpStream::connect(address.trim_end_matches('/'))
            .await
            .map_err(unreachable)?;
        stream.set_nodelay(true).map_err(unreachable)?;
        exchange(TokioIo::new(stream), request).await
    } else {
        Err(EngineError::Unreachable {
            host: host.to_owned(),
            reason: "unsupported address scheme (berth speaks unix:// and tcp://)".to_owned(),
        })
    }
}

async fn exchange<T>(io: TokioIo<T>, request: hyper::Request<Body>) -> Result<Answer>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(hyper_error)?;
    let connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let response = sender.send_request(request).await.map_err(hyper_error)?;
    Ok(Answer {
        response,
        connection,
    })
}

/// The whole (small) body of an answer.
///
/// # Errors
/// Transport errors.
pub async fn read_all(answer: Answer) -> Result<Bytes> {
    let _connection = answer.connection;
    Ok(answer
        .response
        .into_body()
        .collect()
        .await
        .map_err(hyper_error)?
        .to_bytes())
}

/// The daemon's error for a failed answer: its `message`, sorted by status.
pub async fn error_of(answer: Answer) -> EngineError {
    let status = answer.response.status().as_u16();
    let body = match read_all(answer).await {
        Ok(body) => body,
        Err(error) => return error,
    };
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    match status {
        404 => EngineError::NotFound { message },
        409 => EngineError::Conflict { message },
        status => EngineError::Daemon { status, message },
    }
}

/// The answer's body as lines (without their newline), as they arrive.
pub fn lines(answer: Answer) -> impl Stream<Item = Result<Bytes>> + Send {
    let body = answer.response.into_body().into_data_stream();
    // The connection lives as long as the stream: dropping the stream closes it.
    let state = (body, bytes::BytesMut::new(), false, answer.connection);
    futures_util::stream::unfold(
        state,
        |(mut body, mut pending, mut ended, connection)| async move {
            loop {
                if let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
                    let line = pending.split_to(end + 1).freeze().slice(..end);
                    return Some((Ok(line), (body, pending, ended, connection)));
                }
                if ended {
                    if pending.is_empty() {
                        return None;
                    }
                    let line = pending.split().freeze();
                    return Some((Ok(line), (body, pending, ended, connection)));
                }
                match body.next().await {
                    Some(Ok(chunk)) => pending.extend_from_slice(&chunk),
                    Some(Err(error)) => {
                        pending.clear();
                        let state = (body, pending, true, connection);
                        return Some((Err(hyper_error(error)), state));
                    }
                    None => ended = true,
                }
            }
        },
    )
}

fn hyper_error(error: hyper::Error) -> EngineError {
    transport(io::Error::other(error))
}

fn transport(error: io::Error) -> EngineError {
    EngineError::Transport(bollard::errors::Error::IOError { err: error })
}
