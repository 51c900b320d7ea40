//! Waiting for a container to reach a state (running, healthy, completed) by following the
//! daemon's event stream instead of polling: each event on the container wakes the waiter, which
//! then judges the container's inspected state. Judging the state rather than the event makes the
//! wait immune to lost, duplicated or replayed events; subscribing a little in the past closes the
//! window between subscribing and the first inspection.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;

use crate::Engine;
use crate::error::{ConditionFailure, EngineError, Result};

/// What a waiter waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The container is running (and has not exited).
    Running,
    /// The container's healthcheck reports healthy.
    Healthy,
    /// The container exited with code 0. `service` names it in the error.
    CompletedSuccessfully {
        /// The service name used in the failure message.
        service: String,
    },
    /// The container is running and healthy when it has a healthcheck, running otherwise.
    RunningOrHealthy,
}

/// The verdict on one inspected state.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Met,
    Pending,
    Failed(ConditionFailure),
}

/// When nothing happens for this long, the state is inspected anyway (an event stream can break
/// without an error on some daemons).
const RECHECK: Duration = Duration::from_secs(5);

impl Engine {
    /// Waits until `container` meets `condition`, or fails as Compose words it (unhealthy, exited,
    /// no healthcheck, did not complete successfully), or until `deadline`.
    ///
    /// # Errors
    /// [`EngineError::Condition`] for a failed or timed-out wait; daemon errors.
    pub async fn wait_for(
        &self,
        container: &str,
        condition: &Condition,
        deadline: Option<Instant>,
    ) -> Result<()> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs().saturating_sub(2));
        let options = EventsOptions {
            since: Some(since.to_string()),
            until: None,
            filters: Some(HashMap::from([
                ("type".to_owned(), vec!["container".to_owned()]),
                ("container".to_owned(), vec![container.to_owned()]),
            ])),
        };
        let mut events = Some(Box::pin(self.docker.events(Some(options))));
        loop {
            let inspected = self.inspect_container(container).await?;
            let name = display_name(&inspected, container);
            match judge(&inspected, condition, &name) {
                Verdict::Met => return Ok(()),
                Verdict::Failed(failure) => return Err(EngineError::Condition(failure)),
                Verdict::Pending => {}
            }
            let wake = tokio::time::sleep(RECHECK);
            tokio::select! {
                () = wake => {}
                event = next_event(&mut events) => {
                    if event.is_none() {
                        // The stream ended; the periodic recheck carries on alone.
                        events = None;
                    }
                }
                () = sleep_until(deadline) => {
                    return Err(EngineError::Condition(ConditionFailure::Timeout { container: name }));
                }
            }
        }
    }
}

/// The next event, or never when the stream is gone.
async fn next_event<S>(events: &mut Option<S>) -> Option<()>
where
    S: futures_util::Stream + Unpin,
{
    match events {
        Some(stream) => stream.next().await.map(drop),
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

fn display_name(inspected: &ContainerInspectResponse, fallback: &str) -> String {
    inspected
        .name
        .as_deref()
        .map(|name| name.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| fallback.to_owned())
}

fn judge(inspected: &ContainerInspectResponse, condition: &Condition, name: &str) -> Verdict {
    let state = inspected.state.clone().unwrap_or_default();
    let status = state.status.unwrap_or(ContainerStateStatusEnum::EMPTY);
    let exit_code = state.exit_code.unwrap_or(0);
    let exited = matches!(
        status,
        ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD
    );
    let health = state.health.as_ref().and_then(|health| health.status);
    let has_healthcheck = matches!(
        health,
        Some(HealthStatusEnum::STARTING | HealthStatusEnum::HEALTHY | HealthStatusEnum::UNHEALTHY)
    ) || inspected
        .config
        .as_ref()
        .and_then(|config| config.healthcheck.as_ref())
        .and_then(|check| check.test.as_ref())
        .is_some_and(|test| test.first().is_some_and(|first| first != "NONE"));
    let exited_failure = || {
        Verdict::Failed(ConditionFailure::Exited {
            container: name.to_owned(),
            code: exit_code,
        })
    };
    let healthy = || match health {
        Some(HealthStatusEnum::HEALTHY) => Verdict::Met,
        Some(HealthStatusEnum::UNHEALTHY) => Verdict::Failed(ConditionFailure::Unhealthy {
            container: name.to_owned(),
        }),
        _ => Verdict::Pending,
    };
    match condition {
        Condition::Running => match status {
            ContainerStateStatusEnum::RUNNING => Verdict::Met,
            _ if exited => exited_failure(),
            _ => Verdict::Pending,
        },
        Condition::Healthy => {
            if !has_healthcheck {
                return Verdict::Failed(ConditionFailure::NoHealthcheck {
                    container: name.to_owned(),
                });
            }
            if exited {
                return exited_failure();
            }
            healthy()
        }
        Condition::RunningOrHealthy => {
            if exited {
                return exited_failure();
            }
            if has_healthcheck {
                healthy()
            } else if status == ContainerStateStatusEnum::RUNNING {
                Verdict::Met
            } else {
                Verdict::Pending
            }
        }
        Condition::CompletedSuccessfully { service } => {
            if !exited {
                return Verdict::Pending;
            }
            if exit_code == 0 {
                Verdict::Met
            } else {
                Verdict::Failed(ConditionFailure::NotCompletedSuccessfully {
                    service: service.clone(),
                    code: exit_code,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerConfig, ContainerState, Health, HealthConfig};

    fn container(
        status: ContainerStateStatusEnum,
        code: i64,
        health: Option<HealthStatusEnum>,
    ) -> ContainerInspectResponse {
        ContainerInspectResponse {
            name: Some("/p-db-1".to_owned()),
            state: Some(ContainerState {
                status: Some(status),
                exit_code: Some(code),
                health: health.map(|status| Health {
                    status: Some(status),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            config: Some(ContainerConfig {
                healthcheck: health.map(|_| HealthConfig {
                    test: Some(vec!["CMD".to_owned(), "true".to_owned()]),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn healthy_waits_then_meets_or_fails_in_composes_words() {
        use ContainerStateStatusEnum::{EXITED, RUNNING};
        let starting = container(RUNNING, 0, Some(HealthStatusEnum::STARTING));
        assert_eq!(
            judge(&starting, &Condition::Healthy, "p-db-1"),
            Verdict::Pending
        );
        let healthy = container(RUNNING, 0, Some(HealthStatusEnum::HEALTHY));
        assert_eq!(judge(&healthy, &Condition::Healthy, "p-db-1"), Verdict::Met);
        let unhealthy = container(RUNNING, 0, Some(HealthStatusEnum::UNHEALTHY));
        let Verdict::Failed(failure) = judge(&unhealthy, &Condition::Healthy, "p-db-1") else {
            panic!("unhealthy must fail");
        };
        assert_eq!(failure.to_string(), "container p-db-1 is unhealthy");
        let none = container(RUNNING, 0, None);
        let Verdict::Failed(failure) = judge(&none, &Condition::Healthy, "p-db-1") else {
            panic!("no healthcheck must fail");
        };
        assert_eq!(
            failure.to_string(),
            "container p-db-1 has no healthcheck configured"
        );
        let exited = container(EXITED, 3, Some(HealthStatusEnum::STARTING));
        let Verdict::Failed(failure) = judge(&exited, &Condition::Healthy, "p-db-1") else {
            panic!("exited must fail");
        };
        assert_eq!(failure.to_string(), "container p-db-1 exited (3)");
    }

    #[test]
    fn completed_successfully_needs_exit_zero() {
        use ContainerStateStatusEnum::{EXITED, RUNNING};
        let condition = Condition::CompletedSuccessfully {
            service: "init".to_owned(),
        };
        assert_eq!(
            judge(&container(RUNNING, 0, None), &condition, "p-init-1"),
            Verdict::Pending
        );
        assert_eq!(
            judge(&container(EXITED, 0, None), &condition, "p-init-1"),
            Verdict::Met
        );
        let Verdict::Failed(failure) = judge(&container(EXITED, 2, None), &condition, "p-init-1")
        else {
            panic!("exit 2 must fail");
        };
        assert_eq!(
            failure.to_string(),
            "service \"init\" didn't complete successfully: exit 2"
        );
    }

    #[test]
    fn running_or_healthy_follows_the_healthcheck_when_there_is_one() {
        use ContainerStateStatusEnum::{CREATED, RUNNING};
        let condition = Condition::RunningOrHealthy;
        assert_eq!(
            judge(&container(RUNNING, 0, None), &condition, "c"),
            Verdict::Met
        );
        assert_eq!(
            judge(&container(CREATED, 0, None), &condition, "c"),
            Verdict::Pending
        );
        assert_eq!(
            judge(
                &container(RUNNING, 0, Some(HealthStatusEnum::STARTING)),
                &condition,
                "c"
            ),
            Verdict::Pending
        );
    }
}
