//! A plan: the operations that take the engine from what runs to what is wanted, as a DAG. Each
//! step is one Engine API call (or one wait), the steps it must come after, the reason the front
//! end chose it, and how progress should name it. Plans are plain data and print as text, so the
//! decisions that produce them are tested without a daemon.

use std::fmt;
use std::time::Instant;

use crate::events::Condition;
use crate::spec::{ContainerSpec, NetworkSpec, VolumeSpec};

/// Index of a step in its [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(pub usize);

/// One Engine API call, or one wait on a container's state.
#[derive(Debug, Clone)]
pub enum Operation {
    /// Create a network.
    CreateNetwork(NetworkSpec),
    /// Remove a network.
    RemoveNetwork {
        /// Name or ID.
        name: String,
    },
    /// Create a volume.
    CreateVolume(VolumeSpec),
    /// Remove a volume.
    RemoveVolume {
        /// Name.
        name: String,
    },
    /// Create a container (and connect its further networks, write its files).
    CreateContainer(Box<ContainerSpec>),
    /// Start a container.
    StartContainer {
        /// Name or ID.
        name: String,
    },
    /// Stop a container.
    StopContainer {
        /// Name or ID.
        name: String,
        /// Seconds before the daemon kills it; the container's own setting when `None`.
        timeout: Option<i32>,
    },
    /// Restart a container.
    RestartContainer {
        /// Name or ID.
        name: String,
        /// Seconds before the daemon kills it.
        timeout: Option<i32>,
    },
    /// Send a signal.
    KillContainer {
        /// Name or ID.
        name: String,
        /// Signal name or number.
        signal: String,
    },
    /// Pause a container.
    PauseContainer {
        /// Name or ID.
        name: String,
    },
    /// Unpause a container.
    UnpauseContainer {
        /// Name or ID.
        name: String,
    },
    /// Remove a container.
    RemoveContainer {
        /// Name or ID.
        name: String,
        /// Kill it first if it runs.
        force: bool,
        /// Also remove its anonymous volumes.
        volumes: bool,
    },
    /// Rename a container.
    RenameContainer {
        /// Current name or ID.
        from: String,
        /// New name.
        to: String,
    },
    /// Wait for a container to meet a condition.
    Wait {
        /// Name or ID.
        container: String,
        /// What to wait for.
        condition: Condition,
        /// When false, a failed wait is a warning and the steps after it still run.
        required: bool,
        /// Give up at this instant.
        deadline: Option<Instant>,
    },
    /// Remove an image.
    RemoveImage {
        /// Reference or ID.
        reference: String,
    },
}

impl Operation {
    /// Whether the step occupies the daemon (and so counts against the parallelism limit); waits
    /// only listen.
    #[must_use]
    pub fn is_daemon_work(&self) -> bool {
        !matches!(self, Self::Wait { .. })
    }

    /// The object the operation acts on, for plan text.
    #[must_use]
    pub fn target(&self) -> String {
        match self {
            Self::CreateNetwork(spec) => spec.body.name.clone(),
            Self::CreateVolume(spec) => spec.body.name.clone().unwrap_or_default(),
            Self::CreateContainer(spec) => spec.name.clone(),
            Self::RemoveNetwork { name }
            | Self::RemoveVolume { name }
            | Self::StartContainer { name }
            | Self::StopContainer { name, .. }
            | Self::RestartContainer { name, .. }
            | Self::KillContainer { name, .. }
            | Self::PauseContainer { name }
            | Self::UnpauseContainer { name }
            | Self::RemoveContainer { name, .. } => name.clone(),
            Self::RenameContainer { from, to } => format!("{from} -> {to}"),
            Self::Wait { container, .. } => container.clone(),
            Self::RemoveImage { reference } => reference.clone(),
        }
    }

    /// The operation's name, for plan text.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateNetwork(_) => "CreateNetwork",
            Self::RemoveNetwork { .. } => "RemoveNetwork",
            Self::CreateVolume(_) => "CreateVolume",
            Self::RemoveVolume { .. } => "RemoveVolume",
            Self::CreateContainer(_) => "CreateContainer",
            Self::StartContainer { .. } => "StartContainer",
            Self::StopContainer { .. } => "StopContainer",
            Self::RestartContainer { .. } => "RestartContainer",
            Self::KillContainer { .. } => "KillContainer",
            Self::PauseContainer { .. } => "PauseContainer",
            Self::UnpauseContainer { .. } => "UnpauseContainer",
            Self::RemoveContainer { .. } => "RemoveContainer",
            Self::RenameContainer { .. } => "RenameContainer",
            Self::Wait { .. } => "Wait",
            Self::RemoveImage { .. } => "RemoveImage",
        }
    }
}

/// How progress names a step: `resource` (e.g. `Container p-web-1`), the word shown while it runs
/// (`Creating`) and once it is done (`Created`). Steps without one run silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Display {
    /// What the user sees the event about, e.g. `Network p_default`.
    pub resource: String,
    /// Shown when the step starts.
    pub working: String,
    /// Shown when the step succeeds.
    pub done: String,
}

impl Display {
    /// A display for `resource` with the two words.
    #[must_use]
    pub fn new(resource: impl Into<String>, working: &str, done: &str) -> Self {
        Self {
            resource: resource.into(),
            working: working.to_owned(),
            done: done.to_owned(),
        }
    }
}

/// One step of a [`Plan`].
#[derive(Debug, Clone)]
pub struct Step {
    /// What to do.
    pub operation: Operation,
    /// Steps that must succeed first.
    pub after: Vec<StepId>,
    /// Why the front end planned it (`not found`, `config hash changed`…).
    pub cause: String,
    /// How progress shows it.
    pub display: Option<Display>,
}

/// A DAG of steps; steps can only come after steps added before them, so it has no cycles.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    /// An empty plan.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a step after `after` (earlier steps), and returns its ID.
    ///
    /// # Panics
    /// If an entry of `after` is not an earlier step: that would be a bug in the planner.
    pub fn add(
        &mut self,
        operation: Operation,
        after: &[StepId],
        cause: impl Into<String>,
        display: Option<Display>,
    ) -> StepId {
        let id = StepId(self.steps.len());
        assert!(
            after.iter().all(|step| step.0 < id.0),
            "a plan step can only follow earlier steps"
        );
        let mut after = after.to_vec();
        after.sort_unstable();
        after.dedup();
        self.steps.push(Step {
            operation,
            after,
            cause: cause.into(),
            display,
        });
        id
    }

    /// The steps, in the order they were added.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// One step.
    #[must_use]
    pub fn step(&self, id: StepId) -> &Step {
        &self.steps[id.0]
    }

    /// Whether there is nothing to do.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Number of steps.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }
}

/// One line per step: `#2 [#0 #1] StartContainer p-web-1 (cause)`.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, step) in self.steps.iter().enumerate() {
            let after: Vec<String> = step.after.iter().map(|id| format!("#{}", id.0)).collect();
            writeln!(
                f,
                "#{index} [{}] {} {} ({})",
                after.join(" "),
                step.operation.kind(),
                step.operation.target(),
                step.cause
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_text_lists_each_step_with_what_it_waits_for() {
        let mut plan = Plan::new();
        let network = plan.add(
            Operation::CreateNetwork(NetworkSpec {
                body: bollard::models::NetworkCreateRequest {
                    name: "p_default".to_owned(),
                    ..Default::default()
                },
            }),
            &[],
            "not found",
            None,
        );
        let start = plan.add(
            Operation::StartContainer {
                name: "p-web-1".to_owned(),
            },
            &[network, network],
            "created",
            None,
        );
        assert_eq!(start, StepId(1));
        assert_eq!(
            plan.to_string(),
            "#0 [] CreateNetwork p_default (not found)\n#1 [#0] StartContainer p-web-1 (created)\n"
        );
    }

    #[test]
    #[should_panic(expected = "only follow earlier steps")]
    fn a_step_cannot_follow_a_later_one() {
        let mut plan = Plan::new();
        plan.add(
            Operation::RemoveVolume {
                name: "v".to_owned(),
            },
            &[StepId(3)],
            "",
            None,
        );
    }
}
