//! A person at a terminal talking to a process in a container (`exec`, `run`, `attach`).
//!
//! With a TTY the local terminal goes into raw mode, so every key (Ctrl-C and Ctrl-D included)
//! reaches the container's terminal, which does the echoing and the signals; the container's
//! terminal follows the local window size at start and on every resize (`SIGWINCH`); the local
//! terminal is restored when the session ends, however it ends (a [`RawMode`] guard restores it on
//! drop, unwinding included). Without a TTY standard input streams in, its end of file closes the
//! process's standard input, and standard output and error stay separate, byte for byte.

use std::future::Future;
use std::io::{IsTerminal, Read};

use berth_engine::{Hijacked, copy_output};
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr};
use tokio::io::AsyncWriteExt;

/// The local terminal in raw mode until dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Puts standard input's terminal into raw mode (as `cfmakeraw`, which is what the Docker CLI
    /// does); `None` when standard input is not a terminal.
    #[must_use]
    pub fn enable() -> Option<Self> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(Self { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
    }
}

/// The local terminal's size as (rows, columns), from standard output or standard input.
#[must_use]
pub fn terminal_size() -> Option<(u16, u16)> {
    let size = tcgetwinsize(std::io::stdout())
        .or_else(|_| tcgetwinsize(std::io::stdin()))
        .ok()?;
    (size.ws_row > 0 && size.ws_col > 0).then_some((size.ws_row, size.ws_col))
}

/// How a session is wired.
#[derive(Debug, Clone, Copy)]
pub struct Wiring {
    /// The process has a TTY: raw output, raw mode locally, resizes followed.
    pub tty: bool,
    /// Standard input is forwarded.
    pub stdin: bool,
}

/// Runs one session until the process closes its output: input forwarded, output copied,
/// the terminal size followed through `resize` when there is a TTY.
///
/// # Errors
/// Writing the output failed (other than a closed pipe) or the stream broke.
pub async fn run_session<F, Fut>(stream: Hijacked, wiring: Wiring, resize: F) -> anyhow::Result<()>
where
    F: Fn(u16, u16) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let raw = if wiring.tty && wiring.stdin {
        RawMode::enable()
    } else {
        None
    };
    let Hijacked { output, input } = stream;
    let resizer = wiring.tty.then(|| tokio::spawn(follow_size(resize)));
    let forwarder = if wiring.stdin {
        Some(tokio::spawn(forward_stdin(input)))
    } else {
        // Kept open: closing it would read as the end of an input nobody attached.
        std::mem::forget(input);
        None
    };
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    let copied = copy_output(output, wiring.tty, &mut stdout, &mut stderr).await;
    let _ = stdout.flush().await;
    let _ = stderr.flush().await;
    if let Some(resizer) = resizer {
        resizer.abort();
    }
    if let Some(forwarder) = forwarder {
        forwarder.abort();
    }
    drop(raw);
    match copied {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Sends the window size now and after every `SIGWINCH`.
async fn follow_size<F, Fut>(resize: F)
where
    F: Fn(u16, u16) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut last = None;
    let mut changes =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    loop {
        let size = terminal_size();
        if size.is_some() && size != last {
            if let Some((rows, columns)) = size {
                resize(rows, columns).await;
            }
            last = size;
        }
        match changes.as_mut() {
            Some(changes) => {
                if changes.recv().await.is_none() {
                    return;
                }
            }
            None => return,
        }
    }
}

/// Copies standard input to the process until its end, then closes the process's input.
///
/// Standard input is read on a thread of its own: a blocking read cannot be cancelled, and it must
/// not hold up the end of the session when the process exits first.
async fn forward_stdin(mut input: berth_engine::hijack::HijackWriter) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(read) => {
                    if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    while let Some(chunk) = receiver.recv().await {
        if input.write_all(&chunk).await.is_err() {
            return;
        }
        if input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
    // The connection stays half-open (output still flowing) until the session ends.
    std::mem::forget(input);
}
