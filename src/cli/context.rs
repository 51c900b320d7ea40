//! What every command that talks to the engine shares: one tokio runtime, built here (commands
//! that do not need the engine never pay for it), and the connection to the daemon.

use std::future::Future;

use anyhow::Context as _;
use berth_engine::Engine;

/// Runs `future` to completion on a multi-threaded runtime sized for this machine.
///
/// # Errors
/// The runtime cannot be built (no threads left), or `future`'s own error.
pub fn block_on<F, T>(future: F) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(future);
    // Stray requests (an event stream still open) must not delay the exit.
    runtime.shutdown_background();
    result
}

/// Connects to the daemon (`DOCKER_HOST`, the Docker context, or the default socket).
///
/// # Errors
/// One clear error naming the address when no daemon answers.
pub async fn connect() -> anyhow::Result<Engine> {
    Ok(Engine::connect().await?)
}
