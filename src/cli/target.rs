//! Which project, and which of its services, a lifecycle command acts on.
//!
//! Compose (`projectOrName`) loads the compose files only when `-f` is given or no `-p` is: with
//! `-p NAME` alone it works from the engine's labels, so `berth -p NAME ps` runs anywhere, without
//! files and without paying for loading them (docker/compose#11881). Without a model, the services
//! and their order come from the containers' labels (`com.docker.compose.service`,
//! `com.docker.compose.depends_on`).
//!
//! This module also holds what the lifecycle commands share: the one label-filtered list call
//! (Compose's `getContainers`), plans walked in dependency order on the engine's executor, and a
//! small plain progress reporter (` Container p-web-1  Stopped` on stderr) that stands in until
//! `src/progress` renders events.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, bail};
use berth_engine::containers::LabelFilter;
use berth_engine::execute::ExecuteOptions;
use berth_engine::plan::Display;
use berth_engine::{Engine, Operation, Plan, StepId, labels};

use super::Cli;
use crate::converge::observed::ObservedContainer;
use crate::graph::{Condition, Dependency, DependencyGraph, ServiceNode};
use crate::loader::{self, LoadOptions, Loaded};

/// The project a command acts on: its name, and its model when compose files were loaded.
#[derive(Debug)]
pub struct Target {
    /// The project name, lowercased as Compose's backend does.
    pub name: String,
    /// The loaded project, when the command line asked for files (or gave no name).
    pub loaded: Option<Loaded>,
}

/// Where loads remember the documents they found valid (`$XDG_CACHE_HOME/berth/valid`): an
/// unchanged project skips its schema check, most of a small project's load.
#[must_use]
pub fn validation_memory() -> Option<std::path::PathBuf> {
    Some(berth_engine::cache_dir()?.join("valid"))
}

impl Target {
    /// Resolves the project as Compose's `projectOrName` does: files are loaded when `-f` is given
    /// or no `-p` is; a failed load still yields a name when `COMPOSE_PROJECT_NAME` is set.
    /// `services` enable their profiles, as naming a service does in Compose.
    ///
    /// # Errors
    /// Loading fails and no project name is known.
    pub fn resolve(cli: &Cli, services: &[String]) -> anyhow::Result<Self> {
        if !cli.files.is_empty() || cli.project_name.is_none() {
            let project_options = cli.project_options()?;
            let options = LoadOptions {
                resolve_environment: false,
                services: services.to_vec(),
                validated: validation_memory(),
                ..LoadOptions::default()
            };
            match loader::load(&project_options, &options) {
                Ok(loaded) => {
                    crate::diagnostic::print_warnings(&loaded.warnings);
                    return Ok(Self {
                        name: loaded.project.name.to_lowercase(),
                        loaded: Some(loaded),
                    });
                }
                Err(error) => match std::env::var("COMPOSE_PROJECT_NAME") {
                    Ok(name) if !name.is_empty() => {
                        return Ok(Self {
                            name: name.to_lowercase(),
                            loaded: None,
                        });
                    }
                    _ => return Err(error.into()),
                },
            }
        }
        Ok(Self {
            name: cli.project_name.clone().unwrap_or_default().to_lowercase(),
            loaded: None,
        })
    }

    /// Loads the project from its files, always (as `up`, `create` and `run` do), with service
    /// environment files resolved. When a named service is disabled by a profile, the project is
    /// loaded again with it selected, which enables its profiles, as Compose does.
    ///
    /// # Errors
    /// Loading errors, including no compose file.
    pub fn load(cli: &Cli, services: &[String]) -> anyhow::Result<Self> {
        let project_options = cli.project_options()?;
        let options = LoadOptions {
            all_resources: cli.all_resources,
            validated: validation_memory(),
            ..LoadOptions::default()
        };
        let mut loaded = loader::load(&project_options, &options)?;
        if services
            .iter()
            .any(|service| !loaded.project.services.contains_key(service))
        {
            let options = LoadOptions {
                services: services.to_vec(),
                ..options
            };
            loaded = loader::load(&project_options, &options)?;
        }
        crate::diagnostic::print_warnings(&loaded.warnings);
        Ok(Self {
            name: loaded.project.name.clone(),
            loaded: Some(loaded),
        })
    }

    /// The model's enabled service names, when there is a model.
    #[must_use]
    pub fn model_services(&self) -> Option<Vec<String>> {
        self.loaded
            .as_ref()
            .map(|loaded| loaded.project.services.keys().cloned().collect())
    }

    /// The services and their dependencies: from the model when loaded, else from `containers`'
    /// labels. Label dependencies are never required (the dependency may have no container left).
    ///
    /// # Errors
    /// A dependency cycle.
    pub fn services(&self, containers: &[ObservedContainer]) -> anyhow::Result<Services> {
        Services::new(self.nodes(containers))
    }

    /// The services as graph nodes, from the model or from `containers`' labels.
    #[must_use]
    pub fn nodes(&self, containers: &[ObservedContainer]) -> Vec<ServiceNode> {
        match &self.loaded {
            Some(loaded) => loaded
                .project
                .services
                .iter()
                .map(|(name, service)| ServiceNode {
                    name: name.clone(),
                    depends_on: service
                        .depends_on
                        .iter()
                        .filter(|(dependency, _)| loaded.project.services.contains_key(*dependency))
                        .map(|(dependency, config)| Dependency {
                            service: dependency.clone(),
                            condition: condition(&config.condition),
                            required: config.required,
                            restart: config.restart,
                        })
                        .collect(),
                    networks: Vec::new(),
                    volumes: Vec::new(),
                    secrets: Vec::new(),
                    configs: Vec::new(),
                })
                .collect(),
            None => nodes_from_labels(containers),
        }
    }
}

/// Compose's condition names; anything else orders only.
fn condition(name: &str) -> Condition {
    match name {
        "service_healthy" => Condition::Healthy,
        "service_completed_successfully" => Condition::CompletedSuccessfully,
        _ => Condition::Started,
    }
}

/// Services as Compose's `projectFromName` rebuilds them: one per service label (service
/// containers only), dependencies from the `depends_on` label (`svc:condition:restart`, comma-joined;
/// restart defaults to true when the label predates it).
#[must_use]
pub fn nodes_from_labels(containers: &[ObservedContainer]) -> Vec<ServiceNode> {
    let mut nodes: Vec<ServiceNode> = Vec::new();
    let mut seen = HashSet::new();
    for container in containers
        .iter()
        .filter(|container| !container.is_one_off())
    {
        let service = container.service();
        if !seen.insert(service.to_owned()) {
            continue;
        }
        let depends_on = container
            .label(labels::DEPENDS_ON)
            .split(',')
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let mut parts = entry.split(':');
                let service = parts.next().unwrap_or_default().to_owned();
                let condition = condition(parts.next().unwrap_or_default());
                let restart = parts
                    .next()
                    .and_then(crate::loader::discover::parse_go_bool)
                    .unwrap_or(true);
                Dependency {
                    service,
                    condition,
                    required: false,
                    restart,
                }
            })
            .collect();
        nodes.push(ServiceNode {
            name: service.to_owned(),
            depends_on,
            networks: Vec::new(),
            volumes: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
        });
    }
    nodes
}

/// A project's services and the order between them.
#[derive(Debug, Clone)]
pub struct Services {
    /// The dependency graph.
    pub graph: DependencyGraph,
}

/// Which way a plan walks the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Dependencies first (start, restart).
    Start,
    /// Dependents first (stop).
    Stop,
}

impl Services {
    /// The graph over `nodes`.
    ///
    /// # Errors
    /// A dependency cycle, or a required dependency on an unknown service.
    pub fn new(nodes: Vec<ServiceNode>) -> anyhow::Result<Self> {
        Ok(Self {
            graph: DependencyGraph::new(nodes)?,
        })
    }

    /// Every service name, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.graph.start_order().into_iter().flatten().collect();
        names.sort();
        names
    }

    /// Builds a plan that visits every service in `direction`'s order: `add` is called once per
    /// service with the steps that must finish first (those of its dependencies, or dependents when
    /// stopping, passing through services that add nothing), and returns the service's own steps.
    /// Independent services run in parallel.
    pub fn plan(
        &self,
        direction: Direction,
        mut add: impl FnMut(&mut Plan, &str, &[StepId]) -> Vec<StepId>,
    ) -> Plan {
        let mut plan = Plan::new();
        let mut gates: HashMap<String, Vec<StepId>> = HashMap::new();
        let layers = match direction {
            Direction::Start => self.graph.start_order(),
            Direction::Stop => self.graph.stop_order(),
        };
        for service in layers.iter().flatten() {
            let before: Vec<String> = match direction {
                Direction::Start => self
                    .graph
                    .dependencies(service)
                    .iter()
                    .map(|dependency| dependency.service.clone())
                    .collect(),
                Direction::Stop => self
                    .graph
                    .dependents(service)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            };
            let mut after: Vec<StepId> = before
                .iter()
                .filter_map(|name| gates.get(name))
                .flatten()
                .copied()
                .collect();
            after.sort_unstable();
            after.dedup();
            let own = add(&mut plan, service, &after);
            gates.insert(service.clone(), if own.is_empty() { after } else { own });
        }
        plan
    }
}

/// Which containers a list includes, as Compose's `oneOff` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneOff {
    /// Service and one-off containers.
    Include,
    /// Service containers only.
    Exclude,
}

/// Compose's `getContainers`: one list call on the project label and the config-hash label
/// (plus the service label when exactly one service is named, and `oneoff=False` when excluding
/// one-offs), stopped containers too when `all`. The daemon's order (newest first) is kept.
///
/// # Errors
/// Transport or daemon errors.
pub async fn list_containers(
    engine: &Engine,
    project: &str,
    one_off: OneOff,
    all: bool,
    services: &[String],
) -> anyhow::Result<Vec<ObservedContainer>> {
    let mut filter = LabelFilter::new(labels::PROJECT, project);
    if let [service] = services {
        filter = filter.with(labels::SERVICE, service);
    }
    filter = filter.with_key(labels::CONFIG_HASH);
    if one_off == OneOff::Exclude {
        filter = filter.with(labels::ONEOFF, "False");
    }
    let containers = engine
        .list_containers(&filter, all)
        .await
        .context("listing the project's containers")?;
    Ok(containers
        .into_iter()
        .map(|summary| ObservedContainer { summary })
        .filter(|container| {
            services.len() <= 1 || services.iter().any(|s| s == container.service())
        })
        .collect())
}

/// Compose's `getSpecifiedContainer`: the container of `service` that commands such as `exec`,
/// `attach` and `port` act on: replica `index` when given (> 0), else the lowest-numbered
/// replica, one-off containers last; stopped containers too when `all`.
///
/// # Errors
/// `service "x" is not running` (with ` container #N` for an index), as Compose words it, or
/// transport errors.
pub async fn specified_container(
    engine: &Engine,
    project: &str,
    service: &str,
    index: u32,
    all: bool,
) -> anyhow::Result<ObservedContainer> {
    let mut filter = LabelFilter::new(labels::PROJECT, project)
        .with(labels::SERVICE, service)
        .with_key(labels::CONFIG_HASH);
    if index > 0 {
        filter = filter.with(labels::CONTAINER_NUMBER, &index.to_string());
    }
    let containers = engine
        .checked(engine.list_containers(&filter, all))
        .await
        .map_err(daemon_error)?;
    let mut containers: Vec<ObservedContainer> = containers
        .into_iter()
        .map(|summary| ObservedContainer { summary })
        .collect();
    containers.sort_by_key(|container| (container.is_one_off(), container.number()));
    containers.into_iter().next().ok_or_else(|| {
        if index > 0 {
            anyhow::anyhow!("service {service:?} is not running container #{index}")
        } else {
            anyhow::anyhow!("service {service:?} is not running")
        }
    })
}

/// How progress names a container: `Container <name>`.
#[must_use]
pub fn progress_name(container: &ObservedContainer) -> String {
    format!("Container {}", container.name())
}

/// Adds one step per container, all after `after`, and returns them.
pub fn add_each<'a>(
    plan: &mut Plan,
    containers: impl IntoIterator<Item = &'a ObservedContainer>,
    after: &[StepId],
    cause: &str,
    working: &str,
    done: &str,
    operation: impl Fn(&ObservedContainer) -> Operation,
) -> Vec<StepId> {
    containers
        .into_iter()
        .map(|container| {
            plan.add(
                operation(container),
                after,
                cause,
                Some(Display::new(progress_name(container), working, done)),
            )
        })
        .collect()
}

/// Runs `plan`, reporting progress as the global flags ask, and fails with the first failure's
/// message.
///
/// # Errors
/// A step failed, or the run was interrupted.
pub async fn execute(engine: &Engine, plan: &Plan) -> anyhow::Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let reporter = crate::progress::Progress::for_command("Running");
    let cancel = tokio_util::sync::CancellationToken::new();
    let options = ExecuteOptions {
        parallelism: None,
        keep_going: false,
        cancel: cancel.clone(),
    };
    let interrupt = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let outcome = berth_engine::execute(engine, plan, &reporter, &options).await;
    reporter.finish();
    interrupt.abort();
    if let Some((_, error)) = outcome.failed.into_iter().next() {
        return Err(daemon_error(error));
    }
    if outcome.cancelled {
        bail!("canceled");
    }
    Ok(())
}

/// The daemon's words as Docker's client shows them (`Error response from daemon: …`).
#[must_use]
pub fn daemon_error(error: berth_engine::EngineError) -> anyhow::Error {
    match error {
        berth_engine::EngineError::NotFound { message }
        | berth_engine::EngineError::Conflict { message }
        | berth_engine::EngineError::Daemon { message, .. } => {
            anyhow::anyhow!("Error response from daemon: {message}")
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use berth_engine::models::ContainerSummary;

    use super::*;

    fn container(service: &str, number: u32, depends_on: &str) -> ObservedContainer {
        let labels = HashMap::from([
            (labels::PROJECT.to_owned(), "p".to_owned()),
            (labels::SERVICE.to_owned(), service.to_owned()),
            (labels::CONTAINER_NUMBER.to_owned(), number.to_string()),
            (labels::ONEOFF.to_owned(), "False".to_owned()),
            (labels::DEPENDS_ON.to_owned(), depends_on.to_owned()),
        ]);
        ObservedContainer {
            summary: ContainerSummary {
                names: Some(vec![format!("/p-{service}-{number}")]),
                labels: Some(labels),
                ..Default::default()
            },
        }
    }

    /// The labels Compose 2.40.3 wrote for tests/fixtures/cmds/basic.
    fn basic() -> Vec<ObservedContainer> {
        vec![
            container("worker", 2, "db:service_started:true"),
            container("worker", 1, "db:service_started:true"),
            container("web", 1, "db:service_started:false"),
            container("once", 1, ""),
            container("db", 1, ""),
        ]
    }

    #[test]
    fn labels_give_services_and_their_dependencies() {
        let nodes = nodes_from_labels(&basic());
        let names: Vec<&str> = nodes.iter().map(|node| node.name.as_str()).collect();
        assert_eq!(names, ["worker", "web", "once", "db"]);
        assert_eq!(nodes[0].depends_on[0].service, "db");
        assert!(nodes[0].depends_on[0].restart);
        assert!(!nodes[1].depends_on[0].restart);
    }

    #[test]
    fn stop_plan_stops_dependents_before_their_dependency() {
        let containers = basic();
        let services = Services::new(nodes_from_labels(&containers)).unwrap();
        let plan = services.plan(Direction::Stop, |plan, service, after| {
            let mine: Vec<&ObservedContainer> = containers
                .iter()
                .filter(|container| container.service() == service)
                .collect();
            add_each(plan, mine, after, "stop", "Stopping", "Stopped", |c| {
                Operation::StopContainer {
                    name: c.name().to_owned(),
                    timeout: None,
                }
            })
        });
        assert_eq!(
            plan.to_string(),
            "#0 [] StopContainer p-once-1 (stop)\n\
             #1 [] StopContainer p-web-1 (stop)\n\
             #2 [] StopContainer p-worker-2 (stop)\n\
             #3 [] StopContainer p-worker-1 (stop)\n\
             #4 [#1 #2 #3] StopContainer p-db-1 (stop)\n"
        );
    }

    #[test]
    fn start_plan_passes_order_through_services_without_steps() {
        let containers = basic();
        let services = Services::new(nodes_from_labels(&containers)).unwrap();
        let plan = services.plan(Direction::Start, |plan, service, after| {
            if service == "db" {
                // A running dependency adds nothing; its dependents start at once.
                return Vec::new();
            }
            let mine: Vec<&ObservedContainer> = containers
                .iter()
                .filter(|container| container.service() == service)
                .collect();
            add_each(plan, mine, after, "start", "Starting", "Started", |c| {
                Operation::StartContainer {
                    name: c.name().to_owned(),
                }
            })
        });
        assert_eq!(
            plan.to_string(),
            "#0 [] StartContainer p-once-1 (start)\n\
             #1 [] StartContainer p-web-1 (start)\n\
             #2 [] StartContainer p-worker-2 (start)\n\
             #3 [] StartContainer p-worker-1 (start)\n"
        );
    }
}
