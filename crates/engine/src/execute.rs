//! Running a [`Plan`]: every step starts as soon as the steps it comes after have succeeded, with
//! at most `parallelism` steps occupying the daemon at once (waits do not count). The executor makes
//! no decisions of its own; it reports each step's start and end to a [`Reporter`] and, on the first
//! failure, stops starting new steps (unless told to keep going), lets running ones finish, and
//! returns what failed and what never ran. Cancellation behaves like a failure that names no step.

use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::plan::{Operation, Plan, StepId};

/// The state a progress event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// The step started.
    Working,
    /// The step succeeded.
    Done,
    /// The step failed but the plan goes on (an optional dependency).
    Warning,
    /// The step failed.
    Error,
}

/// One progress event: `resource` (e.g. `Container p-web-1`), its status, and the text to show
/// (`Creating`, `Created`, or an error message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What the event is about.
    pub resource: String,
    /// Working, done, warning or error.
    pub status: EventStatus,
    /// The word or message.
    pub text: String,
}

/// Receives progress events; the front end renders them.
pub trait Reporter: Send + Sync {
    /// Called for every event, from any task.
    fn event(&self, event: Event);
}

/// A reporter that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _event: Event) {}
}

/// How to run a plan.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Most daemon operations at once; unbounded when `None`.
    pub parallelism: Option<usize>,
    /// Keep starting independent steps after a failure (teardown wants that; `up` does not).
    pub keep_going: bool,
    /// Stops the run like a failure when cancelled (Ctrl-C).
    pub cancel: CancellationToken,
}

/// What happened to a plan.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Steps that failed, with their errors, in the order they failed.
    pub failed: Vec<(StepId, EngineError)>,
    /// Optional waits that failed (reported as warnings; the plan went on).
    pub warned: Vec<(StepId, EngineError)>,
    /// Steps that never ran, because something they come after failed or the run stopped.
    pub not_run: Vec<StepId>,
    /// Whether the run was cancelled.
    pub cancelled: bool,
}

impl Outcome {
    /// Whether every step ran and succeeded.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_run.is_empty() && !self.cancelled
    }
}

/// Runs `plan` against `engine`.
pub async fn execute(
    engine: &Engine,
    plan: &Plan,
    reporter: &dyn Reporter,
    options: &ExecuteOptions,
) -> Outcome {
    let steps = plan.steps();
    let mut waiting_on: Vec<usize> = steps.iter().map(|step| step.after.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (index, step) in steps.iter().enumerate() {
        for before in &step.after {
            dependents[before.0].push(index);
        }
    }
    let permits = Arc::new(Semaphore::new(
        options.parallelism.unwrap_or(Semaphore::MAX_PERMITS).max(1),
    ));
    let mut ready: Vec<usize> = (0..steps.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut finished = vec![false; steps.len()];
    let mut outcome = Outcome::default();
    let mut stopped = false;
    let mut running = FuturesUnordered::new();

    loop {
        if !stopped {
            for index in ready.drain(..) {
                let permits = Arc::clone(&permits);
                let step = &steps[index];
                running.push(async move {
                    let _permit = if step.operation.is_daemon_work() {
                        permits.acquire_owned().await.ok()
                    } else {
                        None
                    };
                    if let Some(display) = &step.display {
                        reporter.event(Event {
                            resource: display.resource.clone(),
                            status: EventStatus::Working,
                            text: display.working.clone(),
                        });
                    }
                    (index, run(engine, &step.operation).await)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        let next = tokio::select! {
            next = running.next() => next,
            () = options.cancel.cancelled(), if !outcome.cancelled => {
                outcome.cancelled = true;
                stopped = true;
                continue;
            }
        };
        let Some((index, result)) = next else { break };
        finished[index] = true;
        let step = &steps[index];
        match result {
            Ok(()) => {
                if let Some(display) = &step.display {
                    reporter.event(Event {
                        resource: display.resource.clone(),
                        status: EventStatus::Done,
                        text: display.done.clone(),
                    });
                }
                release(index, &dependents, &mut waiting_on, &mut ready);
            }
            Err(error) => {
                let optional = matches!(
                    step.operation,
                    Operation::Wait {
                        required: false,
                        ..
                    }
                );
                if let Some(display) = &step.display {
                    reporter.event(Event {
                        resource: display.resource.clone(),
                        status: if optional {
                            EventStatus::Warning
                        } else {
                            EventStatus::Error
                        },
                        text: error.to_string(),
                    });
                }
                if optional {
                    outcome.warned.push((StepId(index), error));
                    release(index, &dependents, &mut waiting_on, &mut ready);
                } else {
                    outcome.failed.push((StepId(index), error));
                    if !options.keep_going {
                        stopped = true;
                    }
                }
            }
        }
    }
    outcome.not_run = (0..steps.len())
        .filter(|&index| !finished[index])
        .map(StepId)
        .collect();
    outcome
}

fn release(
    index: usize,
    dependents: &[Vec<usize>],
    waiting_on: &mut [usize],
    ready: &mut Vec<usize>,
) {
    for &dependent in &dependents[index] {
        waiting_on[dependent] -= 1;
        if waiting_on[dependent] == 0 {
            ready.push(dependent);
        }
    }
}

async fn run(engine: &Engine, operation: &Operation) -> Result<()> {
    match operation {
        Operation::CreateNetwork(spec) => engine.create_network(spec).await.map(drop),
        Operation::RemoveNetwork { name } => engine.remove_network(name).await,
        Operation::CreateVolume(spec) => engine.create_volume(spec).await.map(drop),
        Operation::RemoveVolume { name } => engine.remove_volume(name).await,
        Operation::CreateContainer(spec) => engine.create_container(spec).await.map(drop),
        Operation::StartContainer { name } => engine.start_container(name).await,
        Operation::StopContainer { name, timeout } => engine.stop_container(name, *timeout).await,
        Operation::RestartContainer { name, timeout } => {
            engine.restart_container(name, *timeout).await
        }
        Operation::KillContainer { name, signal } => engine.kill_container(name, signal).await,
        Operation::PauseContainer { name } => engine.pause_container(name).await,
        Operation::UnpauseContainer { name } => engine.unpause_container(name).await,
        Operation::RemoveContainer {
            name,
            force,
            volumes,
        } => engine.remove_container(name, *force, *volumes).await,
        Operation::RenameContainer { from, to } => engine.rename_container(from, to).await,
        Operation::Wait {
            container,
            condition,
            deadline,
            ..
        } => engine.wait_for(container, condition, *deadline).await,
        Operation::RemoveImage { reference } => engine.remove_image(reference, false).await,
    }
}
