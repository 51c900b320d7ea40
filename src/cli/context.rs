//! What every command that talks to the engine shares: one tokio runtime, built here (commands
//! that do not need the engine never pay for it), and the connection to the daemon.

use std::future::Future;

use anyhow::Context as _;
use berth_engine::Engine;

/// Runs `future` to completion on a single-threaded runtime.
///
/// # Errors
/// The runtime cannot be built (no threads left), or `future`'s own error.
pub fn block_on<F, T>(future: F) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    // One thread: the work is waiting on the daemon, and every extra thread costs start-up time
    // (its own allocator heap, its own page faults) that a no-op `up` or `ps` would notice.
    let runtime = tokio::runtime::Builder::new_current_thread()
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

/// What an engine command holds while it runs: the engine, the progress display, and the
/// cancellation that Ctrl-C triggers (a second Ctrl-C exits at once with 130).
pub struct Session {
    /// The connected engine.
    pub engine: Engine,
    /// Where progress goes.
    pub progress: crate::progress::Progress,
    /// Cancelled by the first Ctrl-C.
    pub cancel: tokio_util::sync::CancellationToken,
    /// Cancelled by the second Ctrl-C.
    pub force: tokio_util::sync::CancellationToken,
    /// Whether the second Ctrl-C exits at once with 130 (the default); a command that handles
    /// [`Session::force`] itself clears it.
    pub exit_on_force: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Session {
    /// Connects and sets up progress and Ctrl-C handling.
    ///
    /// # Errors
    /// No daemon answers.
    pub async fn open(_cli: &super::Cli) -> anyhow::Result<Self> {
        Self::open_titled("Running").await
    }

    /// [`Session::open`] with a progress title (`Running`, `Stopping`…).
    ///
    /// # Errors
    /// No daemon answers.
    pub async fn open_titled(title: &str) -> anyhow::Result<Self> {
        // The daemon is checked alongside each command's first requests (`Engine::checked`).
        let engine = Engine::open_default()?;
        let progress = crate::progress::Progress::for_command(title);
        let cancel = tokio_util::sync::CancellationToken::new();
        let force = tokio_util::sync::CancellationToken::new();
        let exit_on_force = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (on_interrupt, on_force, exits) =
            (cancel.clone(), force.clone(), exit_on_force.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_force.cancel();
                    if exits.load(std::sync::atomic::Ordering::SeqCst) {
                        std::process::exit(130);
                    }
                }
            }
        });
        Ok(Self {
            engine,
            progress,
            cancel,
            force,
            exit_on_force,
        })
    }

    /// Warns about containers of services the files no longer define, as Compose words it.
    pub fn warn_orphans(
        &self,
        target: &super::target::Target,
        observed: &crate::converge::observed::Observed,
    ) {
        let Some(loaded) = &target.loaded else { return };
        if std::env::var("COMPOSE_IGNORE_ORPHANS").is_ok_and(|value| is_true(&value)) {
            return;
        }
        let orphans: Vec<&str> = observed
            .containers
            .iter()
            .filter(|container| {
                !container.is_one_off()
                    && !loaded.project.services.contains_key(container.service())
                    && !loaded.disabled_services.contains_key(container.service())
            })
            .map(crate::converge::observed::ObservedContainer::name)
            .collect();
        if !orphans.is_empty() {
            self.progress.warning(&format!(
                "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                orphans.join(" ")
            ));
        }
    }

    /// Turns an executed plan's outcome into the command's result: the first failure as the
    /// error (naming its resource), 130 when cancelled, 0 otherwise.
    ///
    /// # Errors
    /// The first failed step.
    pub fn report(
        &self,
        plan: &berth_engine::Plan,
        outcome: &berth_engine::execute::Outcome,
    ) -> anyhow::Result<i32> {
        if let Some((step, error)) = outcome.failed.first() {
            let step = plan.step(*step);
            let message = match error {
                // Compose's words: a dependency's failed condition is "dependency failed to
                // start", except a one-shot job's exit, and `--wait` names the container alone.
                berth_engine::EngineError::Condition(
                    failure @ berth_engine::ConditionFailure::NotCompletedSuccessfully { .. },
                ) => failure.to_string(),
                berth_engine::EngineError::Condition(failure) if step.cause == "--wait" => {
                    failure.to_string()
                }
                berth_engine::EngineError::Condition(failure) => {
                    format!("dependency failed to start: {failure}")
                }
                other => match &step.display {
                    Some(display) => format!("{}: {other}", display.resource),
                    None => other.to_string(),
                },
            };
            return Err(anyhow::anyhow!(message));
        }
        if outcome.cancelled {
            return Ok(130);
        }
        Ok(0)
    }
}

/// Go's `strconv.ParseBool` truth values.
#[must_use]
pub fn is_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}
