//! Deciding what `up` and `down` do: a pure function from the wanted project and the observed
//! state to an engine [`Plan`], each step with its cause. Nothing here talks to the daemon, so every
//! decision is tested by comparing plan text.
//!
//! `up` creates every missing container up front, in parallel, and gates only the *starts* on the
//! dependency graph: a container starts once each dependency's condition holds (started, healthy,
//! completed successfully). Containers that must exist at creation time (`network_mode`, `ipc`,
//! `pid` and `volumes_from` on `service:`, and `links`) order the creations too. What runs unchanged
//! is left alone; exited containers are started again, as Compose does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use berth_engine::events::Condition as WaitCondition;
use berth_engine::plan::Display;
use berth_engine::{ContainerSpec, NetworkSpec, Operation, Plan, StepId, VolumeSpec, labels};

use super::observed::{Observed, ObservedContainer};
use crate::model::{Project, ServiceConfig};

/// When to recreate a container that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recreate {
    /// When its configuration or image changed.
    #[default]
    Diverged,
    /// Always (`--force-recreate`, `-V`, `--always-recreate-deps`).
    Force,
    /// Never (`--no-recreate`).
    Never,
}

/// `up`'s decisions that come from flags.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Services named on the command line (empty: all).
    pub services: Vec<String>,
    /// Services left out of this pass (their `service:` references wait for containers that
    /// an earlier pass creates).
    pub exclude: HashSet<String>,
    /// Policy for the named services.
    pub recreate: Recreate,
    /// Policy for their dependencies.
    pub recreate_dependencies: Recreate,
    /// Do not start dependencies (`--no-deps`).
    pub no_deps: bool,
    /// Create but do not start (`--no-start`).
    pub no_start: bool,
    /// Recreate anonymous volumes instead of inheriting them (`-V`).
    pub renew_anonymous_volumes: bool,
    /// Remove containers of services no longer in the files.
    pub remove_orphans: bool,
    /// Replica counts from `--scale`.
    pub scale: HashMap<String, u32>,
    /// Stop timeout for recreations and scale-downs (`-t`).
    pub timeout: Option<i32>,
    /// Wait for every service to be running or healthy (`--wait`), until the deadline.
    pub wait: Option<Option<Instant>>,
    /// Project name.
    pub project: String,
    /// `-` between project, service and number; `_` with `--compatibility`.
    pub separator: char,
    /// The service a `run` container is for: its dependencies come up and their conditions are
    /// waited for, as its own start would be gated, but it gets no container from this plan.
    pub one_off: Option<String>,
}

/// What the planner needs from the translation of services into engine specs.
pub trait Specs {
    /// The container spec for `service` replica `number`, named `name`; `replace` is set on
    /// recreations (the replaced container), `hash` is the config hash label to write.
    ///
    /// # Errors
    /// A service attribute that cannot be expressed.
    fn container(
        &self,
        service: &ServiceConfig,
        replica: &Replica<'_>,
    ) -> anyhow::Result<ContainerSpec>;
    /// The network to create for key `key`.
    fn network(&self, key: &str) -> NetworkSpec;
    /// The volume to create for key `key`.
    fn volume(&self, key: &str) -> VolumeSpec;
}

/// One replica the planner asks the translation for.
#[derive(Debug, Clone)]
pub struct Replica<'a> {
    /// The name to create it under.
    pub name: String,
    /// Its replica number.
    pub number: u32,
    /// The config hash label.
    pub hash: &'a str,
    /// On recreation: the container it replaces.
    pub replaces: Option<&'a ObservedContainer>,
}

/// What is wanted, beyond the flags: the project, which networks and volumes must exist, the
/// expected config hash and local image ID of each service.
#[derive(Debug, Clone, Copy)]
pub struct Desired<'a> {
    /// The loaded project.
    pub project: &'a Project,
    /// Network keys to create when missing (not external), with their engine names.
    pub networks: &'a [(String, String)],
    /// Volume keys to create when missing (not external), with their engine names.
    pub volumes: &'a [(String, String)],
    /// Expected config hash per service.
    pub hashes: &'a HashMap<String, String>,
    /// Local image ID per service, when known.
    pub image_ids: &'a HashMap<String, String>,
}

/// An `up` plan and what the user should hear besides its progress.
#[derive(Debug, Default)]
pub struct UpPlan {
    /// The steps.
    pub plan: Plan,
    /// Containers left running as they are (reported as `Running`).
    pub unchanged: Vec<String>,
    /// Orphan containers found (and removed when asked).
    pub orphans: Vec<String>,
    /// Containers of the selected services once the plan ran, in service then number order:
    /// (container name, service).
    pub containers: Vec<(String, String)>,
}

/// The replica count a service asks for: `--scale`, then `deploy.replicas`, then `scale`, then 1.
#[must_use]
pub fn replicas(service: &ServiceConfig, scale: &HashMap<String, u32>) -> u32 {
    if let Some(&count) = scale.get(&service.name) {
        return count;
    }
    let declared = service
        .deploy
        .as_ref()
        .and_then(|deploy| deploy.replicas)
        .or(service.scale)
        .unwrap_or(1);
    u32::try_from(declared).unwrap_or(0)
}

/// The name of replica `number` of `service`.
#[must_use]
pub fn container_name(
    project: &str,
    service: &ServiceConfig,
    number: u32,
    separator: char,
) -> String {
    if service.container_name.is_empty() {
        format!("{project}{separator}{}{separator}{number}", service.name)
    } else {
        service.container_name.clone()
    }
}

/// Services that must exist before `service` can be created: `service:` references in
/// `network_mode`, `ipc`, `pid`, `volumes_from`, and `links`.
#[must_use]
pub fn creation_dependencies(service: &ServiceConfig) -> Vec<String> {
    let mut found = Vec::new();
    for mode in [&service.network_mode, &service.ipc, &service.pid] {
        if let Some(name) = mode.strip_prefix("service:") {
            found.push(name.to_owned());
        }
    }
    for source in &service.volumes_from {
        if source.starts_with("container:") {
            continue;
        }
        let name = source.strip_prefix("service:").unwrap_or(source);
        found.push(name.split(':').next().unwrap_or(name).to_owned());
    }
    for link in &service.links {
        found.push(link.split(':').next().unwrap_or(link).to_owned());
    }
    found.sort();
    found.dedup();
    found
}

/// The services `up` acts on: the named ones and, unless `--no-deps`, everything they depend on;
/// in dependency order (dependencies first).
#[must_use]
pub fn selection(project: &Project, options: &UpOptions) -> Vec<String> {
    let order: Vec<String> = dependency_order(project)
        .into_iter()
        .filter(|name| !options.exclude.contains(name))
        .collect();
    if options.services.is_empty() {
        return order;
    }
    let mut wanted: HashSet<String> = options.services.iter().cloned().collect();
    if !options.no_deps {
        let mut pending: Vec<String> = options.services.clone();
        while let Some(name) = pending.pop() {
            if let Some(service) = project.services.get(&name) {
                let dependencies = service
                    .depends_on
                    .keys()
                    .cloned()
                    .chain(creation_dependencies(service));
                for dependency in dependencies {
                    if project.services.contains_key(&dependency)
                        && wanted.insert(dependency.clone())
                    {
                        pending.push(dependency);
                    }
                }
            }
        }
    }
    order
        .into_iter()
        .filter(|name| wanted.contains(name))
        .collect()
}

/// Services whose `service:` references name services without a container yet, and everything
/// that depends on them: they must wait for a pass that creates those containers.
#[must_use]
pub fn deferred(project: &Project, first_containers: &HashMap<String, String>) -> HashSet<String> {
    let mut deferred: HashSet<String> = project
        .services
        .values()
        .filter(|service| {
            super::container::resolve_service_references(service, first_containers).is_err()
        })
        .map(|service| service.name.clone())
        .collect();
    loop {
        let more: Vec<String> = project
            .services
            .values()
            .filter(|service| !deferred.contains(&service.name))
            .filter(|service| {
                service
                    .depends_on
                    .keys()
                    .cloned()
                    .chain(creation_dependencies(service))
                    .any(|dependency| deferred.contains(&dependency))
            })
            .map(|service| service.name.clone())
            .collect();
        if more.is_empty() {
            return deferred;
        }
        deferred.extend(more);
    }
}

/// Services in an order where each comes after what it depends on (name order among equals).
#[must_use]
pub fn dependency_order(project: &Project) -> Vec<String> {
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut order = Vec::with_capacity(names.len());
    let mut remaining = names;
    while !remaining.is_empty() {
        let before = remaining.len();
        let (ready, rest): (Vec<&String>, Vec<&String>) = remaining.into_iter().partition(|name| {
            let service = &project.services[name.as_str()];
            service
                .depends_on
                .keys()
                .cloned()
                .chain(creation_dependencies(service))
                .all(|dependency| {
                    placed.contains(dependency.as_str())
                        || !project.services.contains_key(&dependency)
                        || dependency == **name
                })
        });
        for name in &ready {
            placed.insert(name.as_str());
            order.push((*name).clone());
        }
        remaining = rest;
        if remaining.len() == before {
            // A cycle: the loader rejects these, but never loop forever.
            order.extend(remaining.into_iter().cloned());
            break;
        }
    }
    order
}

/// Adds the stop of `container` (after `after`) and its removal, shown as Compose shows them;
/// returns both steps. `volumes` also removes its anonymous volumes.
fn stop_and_remove(
    plan: &mut Plan,
    container: &ObservedContainer,
    after: &[StepId],
    timeout: Option<i32>,
    volumes: bool,
    cause: &str,
) -> (StepId, StepId) {
    let resource = format!("Container {}", container.name());
    let stop = plan.add(
        Operation::StopContainer {
            name: container.id().to_owned(),
            timeout,
        },
        after,
        cause,
        Some(Display::new(resource.clone(), "Stopping", "Stopped")),
    );
    let remove = plan.add(
        Operation::RemoveContainer {
            name: container.id().to_owned(),
            force: true,
            volumes,
        },
        &[stop],
        cause,
        Some(Display::new(resource, "Removing", "Removed")),
    );
    (stop, remove)
}

/// How a container of the plan comes to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// It runs and stays as it is: nothing to start.
    Unchanged,
    /// It exists but does not run: start it.
    Stopped,
    /// It is created (or recreated) by this step: start it after.
    After(StepId),
}

impl Start {
    fn steps(self) -> Vec<StepId> {
        match self {
            Self::After(step) => vec![step],
            Self::Unchanged | Self::Stopped => Vec::new(),
        }
    }
}

/// Plans `up`.
///
/// # Errors
/// A container spec that cannot be built.
pub fn plan_up(
    desired: &Desired<'_>,
    observed: &Observed,
    options: &UpOptions,
    specs: &dyn Specs,
) -> anyhow::Result<UpPlan> {
    let project = desired.project;
    let mut up = UpPlan::default();
    let mut plan = Plan::new();

    // Networks and volumes: created when missing; containers wait for them.
    let mut resources: Vec<StepId> = Vec::new();
    for (key, name) in desired.networks {
        if !observed.networks.contains_key(key) {
            let step = plan.add(
                Operation::CreateNetwork(specs.network(key)),
                &[],
                "not found",
                Some(Display::new(
                    format!("Network {name}"),
                    "Creating",
                    "Created",
                )),
            );
            resources.push(step);
        }
    }
    for (key, name) in desired.volumes {
        if !observed.volumes.contains_key(key) {
            let step = plan.add(
                Operation::CreateVolume(specs.volume(key)),
                &[],
                "not found",
                Some(Display::new(
                    format!("Volume {name}"),
                    "Creating",
                    "Created",
                )),
            );
            resources.push(step);
        }
    }

    // Orphans.
    for container in &observed.containers {
        if container.is_one_off() || project.services.contains_key(container.service()) {
            continue;
        }
        up.orphans.push(container.name().to_owned());
        if options.remove_orphans {
            stop_and_remove(&mut plan, container, &[], options.timeout, false, "orphan");
        }
    }

    let selected = selection(project, options);
    let named: HashSet<&str> = options.services.iter().map(String::as_str).collect();
    // Per service: the steps after which each replica counts as created, and as started.
    let mut created: HashMap<String, Vec<StepId>> = HashMap::new();
    let mut started: HashMap<String, Vec<(Start, String)>> = HashMap::new();
    // Running containers stopped because a dependency is recreated (`restart: true`).
    let mut restarting: HashSet<String> = HashSet::new();
    // Steps that stop dependents before a recreated dependency goes away (`restart: true`).
    let mut stops_before: HashMap<String, Vec<StepId>> = HashMap::new();
    let mut starts: BTreeMap<String, Vec<(String, Start)>> = BTreeMap::new();

    for service_name in &selected {
        if options.one_off.as_ref() == Some(service_name) {
            continue;
        }
        let service = &project.services[service_name.as_str()];
        let policy = if options.services.is_empty() || named.contains(service_name.as_str()) {
            options.recreate
        } else {
            options.recreate_dependencies
        };
        let hash = desired.hashes.get(service_name).map_or("", String::as_str);
        let image_id = desired.image_ids.get(service_name).map(String::as_str);
        let wanted = replicas(service, &options.scale);
        let existing: Vec<&ObservedContainer> = observed.service_containers(service_name).collect();
        let diverged = |container: &ObservedContainer| {
            container.config_hash() != hash
                || image_id.is_some_and(|id| {
                    let label = container.label(labels::IMAGE);
                    !label.is_empty() && label != id
                })
        };
        let create_after: Vec<StepId> = resources
            .iter()
            .copied()
            .chain(
                creation_dependencies(service)
                    .iter()
                    .flat_map(|dependency| created.get(dependency).cloned().unwrap_or_default()),
            )
            .collect();

        // Scale down: diverged containers first, then the highest numbers.
        let mut keep: Vec<&ObservedContainer> = existing.clone();
        let mut removed: Vec<&ObservedContainer> = Vec::new();
        while keep.len() > wanted as usize {
            let index = keep
                .iter()
                .enumerate()
                .max_by_key(|(_, container)| (diverged(container), container.number()))
                .map_or(0, |(index, _)| index);
            removed.push(keep.remove(index));
        }
        for container in removed {
            stop_and_remove(
                &mut plan,
                container,
                &[],
                options.timeout,
                false,
                "scaled down",
            );
        }
        keep.sort_by_key(|container| container.number());

        let must_recreate = |container: &ObservedContainer| match policy {
            Recreate::Never => false,
            Recreate::Force => true,
            Recreate::Diverged => diverged(container),
        };
        let will_recreate = keep.iter().any(|container| must_recreate(container));
        // Dependents with `restart: true` stop before this service's containers are replaced.
        if will_recreate {
            for (dependent_name, dependent) in &project.services {
                let restarts = dependent
                    .depends_on
                    .get(service_name)
                    .is_some_and(|dependency| dependency.restart);
                if !restarts || !selected.contains(dependent_name) {
                    continue;
                }
                for container in observed.service_containers(dependent_name) {
                    if container.is_running() {
                        let stop = plan.add(
                            Operation::StopContainer {
                                name: container.id().to_owned(),
                                timeout: options.timeout,
                            },
                            &[],
                            format!("dependency {service_name} recreated"),
                            Some(Display::new(
                                format!("Container {}", container.name()),
                                "Stopping",
                                "Stopped",
                            )),
                        );
                        stops_before
                            .entry(service_name.clone())
                            .or_default()
                            .push(stop);
                        restarting.insert(container.name().to_owned());
                    }
                }
            }
        }
        let mut service_created = Vec::new();
        for container in &keep {
            let name = container.name().to_owned();
            if must_recreate(container) {
                let id = container.id();
                let temporary = format!("{}_{name}", &id[..id.len().min(12)]);
                let replica = Replica {
                    name: temporary.clone(),
                    number: container.number(),
                    hash,
                    replaces: Some(container),
                };
                let spec = specs.container(service, &replica)?;
                let cause = if policy == Recreate::Force {
                    "forced"
                } else {
                    "configuration changed"
                };
                let create = plan.add(
                    Operation::CreateContainer(Box::new(spec)),
                    &create_after,
                    cause,
                    None,
                );
                let mut before_stop = vec![create];
                before_stop.extend(stops_before.get(service_name).cloned().unwrap_or_default());
                let stop = plan.add(
                    Operation::StopContainer {
                        name: id.to_owned(),
                        timeout: options.timeout,
                    },
                    &before_stop,
                    cause,
                    None,
                );
                let remove = plan.add(
                    Operation::RemoveContainer {
                        name: id.to_owned(),
                        force: true,
                        volumes: false,
                    },
                    &[stop],
                    cause,
                    None,
                );
                let rename = plan.add(
                    Operation::RenameContainer {
                        from: temporary,
                        to: name.clone(),
                    },
                    &[remove],
                    cause,
                    Some(Display::new(
                        format!("Container {name}"),
                        "Recreate",
                        "Recreated",
                    )),
                );
                service_created.push(rename);
                starts
                    .entry(service_name.clone())
                    .or_default()
                    .push((name.clone(), Start::After(rename)));
            } else if container.is_running() && !restarting.contains(&name) {
                up.unchanged.push(name.clone());
                starts
                    .entry(service_name.clone())
                    .or_default()
                    .push((name.clone(), Start::Unchanged));
            } else {
                starts
                    .entry(service_name.clone())
                    .or_default()
                    .push((name.clone(), Start::Stopped));
            }
            up.containers.push((name, service_name.clone()));
        }

        // New replicas take numbers after the highest existing one; gaps stay.
        let first = existing
            .iter()
            .map(|container| container.number())
            .max()
            .unwrap_or(0)
            + 1;
        let missing = u32::try_from((wanted as usize).saturating_sub(keep.len())).unwrap_or(0);
        for next in first..first + missing {
            let name = container_name(&options.project, service, next, options.separator);
            let replica = Replica {
                name: name.clone(),
                number: next,
                hash,
                replaces: None,
            };
            let spec = specs.container(service, &replica)?;
            let create = plan.add(
                Operation::CreateContainer(Box::new(spec)),
                &create_after,
                "not found",
                Some(Display::new(
                    format!("Container {name}"),
                    "Creating",
                    "Created",
                )),
            );
            service_created.push(create);
            starts
                .entry(service_name.clone())
                .or_default()
                .push((name.clone(), Start::After(create)));
            up.containers.push((name, service_name.clone()));
        }
        created.insert(service_name.clone(), service_created);
    }

    if options.no_start {
        up.plan = plan;
        return Ok(up);
    }

    // Start phase: each container starts after its creation and its dependencies' conditions.
    for service_name in &selected {
        let service = &project.services[service_name.as_str()];
        let mut gate: Vec<StepId> = Vec::new();
        for (dependency, config) in &service.depends_on {
            if !selected.contains(dependency) {
                continue;
            }
            let dependency_service = &project.services[dependency.as_str()];
            if replicas(dependency_service, &options.scale) == 0 {
                continue;
            }
            let condition = match config.condition.as_str() {
                "service_healthy" => Some(WaitCondition::Healthy),
                "service_completed_successfully" => Some(WaitCondition::CompletedSuccessfully {
                    service: dependency.clone(),
                }),
                _ => None,
            };
            let dependency_starts = started.get(dependency).cloned().unwrap_or_default();
            match condition {
                None => gate.extend(
                    dependency_starts
                        .iter()
                        .flat_map(|(start, _)| start.steps()),
                ),
                Some(condition) => {
                    let done = match &condition {
                        WaitCondition::Healthy => "Healthy",
                        _ => "Exited",
                    };
                    for (after, container) in &dependency_starts {
                        let wait = plan.add(
                            Operation::Wait {
                                container: container.clone(),
                                condition: condition.clone(),
                                required: config.required,
                                deadline: options.wait.flatten(),
                            },
                            &after.steps(),
                            format!("{service_name} depends on {dependency}"),
                            Some(Display::new(
                                format!("Container {container}"),
                                "Waiting",
                                done,
                            )),
                        );
                        gate.push(wait);
                    }
                }
            }
        }
        if options.one_off.as_ref() == Some(service_name) {
            continue;
        }
        let mut service_started = Vec::new();
        for (name, start) in starts.get(service_name).cloned().unwrap_or_default() {
            if start == Start::Unchanged {
                // Nothing to start, but dependents may still wait on its condition.
                service_started.push((start, name));
                continue;
            }
            let mut after = gate.clone();
            after.extend(start.steps());
            // A dependent stopped for a recreated dependency starts after that recreation.
            if restarting.contains(&name) {
                for dependency in service.depends_on.keys() {
                    after.extend(created.get(dependency).cloned().unwrap_or_default());
                }
            }
            let start = plan.add(
                Operation::StartContainer { name: name.clone() },
                &after,
                "not running",
                Some(Display::new(
                    format!("Container {name}"),
                    "Starting",
                    "Started",
                )),
            );
            service_started.push((Start::After(start), name));
        }
        started.insert(service_name.clone(), service_started);
    }

    if let Some(deadline) = options.wait {
        let completed: HashSet<&str> = project
            .services
            .values()
            .flat_map(|service| {
                service
                    .depends_on
                    .iter()
                    .filter(|(_, dependency)| {
                        dependency.condition == "service_completed_successfully"
                    })
                    .map(|(name, _)| name.as_str())
            })
            .collect();
        for service_name in &selected {
            let condition = if completed.contains(service_name.as_str()) {
                WaitCondition::CompletedSuccessfully {
                    service: service_name.clone(),
                }
            } else {
                WaitCondition::RunningOrHealthy
            };
            let done = if matches!(condition, WaitCondition::CompletedSuccessfully { .. }) {
                "Exited"
            } else {
                "Healthy"
            };
            for (start, container) in started.get(service_name).cloned().unwrap_or_default() {
                let after = start.steps();
                plan.add(
                    Operation::Wait {
                        container: container.clone(),
                        condition: condition.clone(),
                        required: true,
                        deadline,
                    },
                    &after,
                    "--wait",
                    Some(Display::new(
                        format!("Container {container}"),
                        "Waiting",
                        done,
                    )),
                );
            }
        }
    }

    up.plan = plan;
    Ok(up)
}

/// `--rmi`: which images `down` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveImages {
    /// Images built for services without an `image:` name.
    Local,
    /// Every image a service uses.
    All,
}

/// `down`'s decisions that come from flags.
#[derive(Debug, Clone, Default)]
pub struct DownOptions {
    /// Also remove orphans and one-off containers.
    pub remove_orphans: bool,
    /// Remove named volumes and anonymous ones (`-v`).
    pub volumes: bool,
    /// Stop timeout (`-t`).
    pub timeout: Option<i32>,
}

/// Dependencies of each service as the containers' `depends_on` labels record them
/// (`svc:condition:restart,…`), so that teardown can be ordered without the files.
#[must_use]
pub fn label_dependencies(observed: &Observed) -> HashMap<String, Vec<String>> {
    let mut dependencies: HashMap<String, Vec<String>> = HashMap::new();
    for container in &observed.containers {
        let entry = dependencies
            .entry(container.service().to_owned())
            .or_default();
        for item in container.label(labels::DEPENDS_ON).split(',') {
            let name = item.split(':').next().unwrap_or_default();
            if !name.is_empty() && !entry.iter().any(|known| known == name) {
                entry.push(name.to_owned());
            }
        }
    }
    dependencies
}

/// Plans `down`: containers stop in reverse dependency order (a container stops once everything
/// that depends on it has stopped) and are removed; then networks, volumes (`-v`) and images
/// (`--rmi`) go. `project` is `None` when there are no files (`down -p NAME`): then everything
/// labelled with the project goes, ordered by the containers' own `depends_on` labels.
/// `images` are the references `--rmi` chose.
#[must_use]
pub fn plan_down(
    project: Option<&Project>,
    observed: &Observed,
    options: &DownOptions,
    images: &[String],
) -> Plan {
    let mut plan = Plan::new();
    let mut dependencies = label_dependencies(observed);
    if let Some(project) = project {
        for (name, service) in &project.services {
            let entry = dependencies.entry(name.clone()).or_default();
            for dependency in service
                .depends_on
                .keys()
                .cloned()
                .chain(creation_dependencies(service))
            {
                if !entry.contains(&dependency) {
                    entry.push(dependency);
                }
            }
        }
    }
    let in_scope = |container: &ObservedContainer| {
        if container.is_one_off() {
            return options.remove_orphans;
        }
        match project {
            Some(project) => {
                options.remove_orphans || project.services.contains_key(container.service())
            }
            None => true,
        }
    };
    let containers: Vec<&ObservedContainer> = observed
        .containers
        .iter()
        .filter(|container| in_scope(container))
        .collect();

    // Services in stop order: dependents before their dependencies.
    let services: Vec<String> = {
        let mut names: Vec<String> = containers.iter().map(|c| c.service().to_owned()).collect();
        names.sort();
        names.dedup();
        names
    };
    let mut stops: HashMap<String, Vec<StepId>> = HashMap::new();
    let mut removals: Vec<StepId> = Vec::new();
    let mut placed: HashSet<String> = HashSet::new();
    let mut remaining = services.clone();
    while !remaining.is_empty() {
        let before = remaining.len();
        // A service is ready when no remaining service depends on it.
        let (ready, rest): (Vec<String>, Vec<String>) =
            remaining.iter().cloned().partition(|name| {
                !remaining.iter().any(|other| {
                    other != name
                        && dependencies
                            .get(other)
                            .is_some_and(|deps| deps.iter().any(|dep| dep == name))
                })
            });
        let ready = if ready.is_empty() {
            rest.clone()
        } else {
            ready
        };
        for name in &ready {
            let after: Vec<StepId> = services
                .iter()
                .filter(|other| {
                    dependencies
                        .get(*other)
                        .is_some_and(|deps| deps.iter().any(|dep| dep == name))
                })
                .flat_map(|other| stops.get(other).cloned().unwrap_or_default())
                .collect();
            let mut service_stops = Vec::new();
            for container in containers.iter().filter(|c| c.service() == name) {
                let (stop, remove) = stop_and_remove(
                    &mut plan,
                    container,
                    &after,
                    options.timeout,
                    options.volumes,
                    "down",
                );
                service_stops.push(stop);
                removals.push(remove);
            }
            stops.insert(name.clone(), service_stops);
            placed.insert(name.clone());
        }
        remaining.retain(|name| !placed.contains(name));
        if remaining.len() == before {
            break;
        }
    }

    let mut networks: Vec<(&String, String)> = observed
        .networks
        .iter()
        .filter(|(key, _)| {
            project.is_none_or(|project| {
                project
                    .networks
                    .get(*key)
                    .is_none_or(|network| !network.external)
            })
        })
        .map(|(key, network)| (key, network.name.clone().unwrap_or_default()))
        .collect();
    networks.sort();
    for (_, name) in networks {
        plan.add(
            Operation::RemoveNetwork { name: name.clone() },
            &removals,
            "down",
            Some(Display::new(
                format!("Network {name}"),
                "Removing",
                "Removed",
            )),
        );
    }
    if options.volumes {
        let mut volumes: Vec<(&String, String)> = observed
            .volumes
            .iter()
            .filter(|(key, _)| {
                project.is_none_or(|project| {
                    project
                        .volumes
                        .get(*key)
                        .is_none_or(|volume| !volume.external)
                })
            })
            .map(|(key, volume)| (key, volume.name.clone()))
            .collect();
        volumes.sort();
        for (_, name) in volumes {
            plan.add(
                Operation::RemoveVolume { name: name.clone() },
                &removals,
                "down -v",
                Some(Display::new(
                    format!("Volume {name}"),
                    "Removing",
                    "Removed",
                )),
            );
        }
    }
    for image in images {
        plan.add(
            Operation::RemoveImage {
                reference: image.clone(),
            },
            &removals,
            "down --rmi",
            Some(Display::new(
                format!("Image {image}"),
                "Removing",
                "Removed",
            )),
        );
    }
    plan
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use berth_engine::models::{ContainerSummary, ContainerSummaryStateEnum, Network, Volume};

    use super::*;

    /// Loads `yaml` as project `p` through the real loader.
    fn project(yaml: &str) -> Project {
        crate::loader::testing::load(yaml, &[]).project
    }

    /// Names each spec after its replica; the planner only needs the name.
    struct NameOnly;

    impl Specs for NameOnly {
        fn container(
            &self,
            _service: &ServiceConfig,
            replica: &Replica<'_>,
        ) -> anyhow::Result<ContainerSpec> {
            Ok(ContainerSpec {
                name: replica.name.clone(),
                ..ContainerSpec::default()
            })
        }
        fn network(&self, key: &str) -> NetworkSpec {
            NetworkSpec {
                body: berth_engine::models::NetworkCreateRequest {
                    name: format!("p_{key}"),
                    ..Default::default()
                },
            }
        }
        fn volume(&self, key: &str) -> VolumeSpec {
            VolumeSpec {
                body: berth_engine::models::VolumeCreateRequest {
                    name: Some(format!("p_{key}")),
                    ..Default::default()
                },
            }
        }
    }

    fn running(
        service: &str,
        number: u32,
        hash: &str,
        state: ContainerSummaryStateEnum,
    ) -> ObservedContainer {
        let labels = HashMap::from([
            (labels::PROJECT.to_owned(), "p".to_owned()),
            (labels::SERVICE.to_owned(), service.to_owned()),
            (labels::CONTAINER_NUMBER.to_owned(), number.to_string()),
            (labels::ONEOFF.to_owned(), "False".to_owned()),
            (labels::CONFIG_HASH.to_owned(), hash.to_owned()),
        ]);
        ObservedContainer {
            summary: ContainerSummary {
                id: Some(format!("{service}{number}0123456789abcdef")),
                names: Some(vec![format!("/p-{service}-{number}")]),
                labels: Some(labels),
                state: Some(state),
                ..Default::default()
            },
        }
    }

    const STACK: &str = r"
services:
  db:
    image: busybox
    volumes: [data:/data]
    healthcheck: {test: [CMD, 'true']}
  web:
    image: busybox
    depends_on:
      db: {condition: service_healthy, restart: true}
  job:
    image: busybox
    depends_on: [web]
volumes:
  data: {}
";

    struct Setup {
        project: Project,
        networks: Vec<(String, String)>,
        volumes: Vec<(String, String)>,
        hashes: HashMap<String, String>,
        images: HashMap<String, String>,
    }

    impl Setup {
        fn new(yaml: &str) -> Self {
            let project = project(yaml);
            let networks = project
                .networks
                .iter()
                .map(|(key, network)| (key.clone(), network.name.clone()))
                .collect();
            let volumes = project
                .volumes
                .iter()
                .map(|(key, volume)| (key.clone(), volume.name.clone()))
                .collect();
            let hashes = project
                .services
                .keys()
                .map(|name| (name.clone(), format!("hash-{name}")))
                .collect();
            Self {
                project,
                networks,
                volumes,
                hashes,
                images: HashMap::new(),
            }
        }

        fn plan(&self, observed: &Observed, options: &UpOptions) -> UpPlan {
            let desired = Desired {
                project: &self.project,
                networks: &self.networks,
                volumes: &self.volumes,
                hashes: &self.hashes,
                image_ids: &self.images,
            };
            plan_up(&desired, observed, options, &NameOnly).expect("plans")
        }
    }

    fn options() -> UpOptions {
        UpOptions {
            project: "p".to_owned(),
            separator: '-',
            ..UpOptions::default()
        }
    }

    fn existing(mut containers: Vec<ObservedContainer>) -> Observed {
        Observed::sort(&mut containers);
        let mut observed = Observed {
            containers,
            ..Observed::default()
        };
        observed
            .networks
            .insert("default".to_owned(), Network::default());
        observed
            .volumes
            .insert("data".to_owned(), Volume::default());
        observed
    }

    #[test]
    fn a_fresh_project_creates_everything_up_front_and_gates_only_the_starts() {
        let setup = Setup::new(STACK);
        let up = setup.plan(&Observed::default(), &options());
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] CreateNetwork p_default (not found)
#1 [] CreateVolume p_data (not found)
#2 [#0 #1] CreateContainer p-db-1 (not found)
#3 [#0 #1] CreateContainer p-web-1 (not found)
#4 [#0 #1] CreateContainer p-job-1 (not found)
#5 [#2] StartContainer p-db-1 (not running)
#6 [#5] Wait p-db-1 (web depends on db)
#7 [#3 #6] StartContainer p-web-1 (not running)
#8 [#4 #7] StartContainer p-job-1 (not running)
"
        );
    }

    #[test]
    fn a_run_brings_up_the_dependencies_and_waits_on_their_conditions_only() {
        let setup = Setup::new(STACK);
        let up = setup.plan(
            &Observed::default(),
            &UpOptions {
                services: vec!["web".to_owned()],
                one_off: Some("web".to_owned()),
                ..options()
            },
        );
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] CreateNetwork p_default (not found)
#1 [] CreateVolume p_data (not found)
#2 [#0 #1] CreateContainer p-db-1 (not found)
#3 [#2] StartContainer p-db-1 (not running)
#4 [#3] Wait p-db-1 (web depends on db)
"
        );
    }

    #[test]
    fn an_unchanged_running_project_plans_nothing_but_health_checks() {
        use ContainerSummaryStateEnum::RUNNING;
        let setup = Setup::new(STACK);
        let observed = existing(vec![
            running("db", 1, "hash-db", RUNNING),
            running("job", 1, "hash-job", RUNNING),
            running("web", 1, "hash-web", RUNNING),
        ]);
        let up = setup.plan(&observed, &options());
        assert_eq!(
            up.plan.to_string(),
            "#0 [] Wait p-db-1 (web depends on db)\n"
        );
        assert_eq!(up.unchanged, ["p-db-1", "p-web-1", "p-job-1"]);
    }

    #[test]
    fn a_changed_dependency_is_recreated_and_restart_dependents_stop_first_and_start_after() {
        use ContainerSummaryStateEnum::RUNNING;
        let setup = Setup::new(STACK);
        let observed = existing(vec![
            running("db", 1, "old", RUNNING),
            running("job", 1, "hash-job", RUNNING),
            running("web", 1, "hash-web", RUNNING),
        ]);
        let up = setup.plan(&observed, &options());
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] StopContainer web10123456789abcdef (dependency db recreated)
#1 [] CreateContainer db1012345678_p-db-1 (configuration changed)
#2 [#0 #1] StopContainer db10123456789abcdef (configuration changed)
#3 [#2] RemoveContainer db10123456789abcdef (configuration changed)
#4 [#3] RenameContainer db1012345678_p-db-1 -> p-db-1 (configuration changed)
#5 [#4] StartContainer p-db-1 (not running)
#6 [#5] Wait p-db-1 (web depends on db)
#7 [#4 #6] StartContainer p-web-1 (not running)
"
        );
        assert_eq!(up.unchanged, ["p-job-1"]);
    }

    #[test]
    fn scaling_down_removes_the_highest_numbers_and_scaling_up_continues_after_them() {
        use ContainerSummaryStateEnum::RUNNING;
        let setup = Setup::new("services:\n  app:\n    image: busybox\n");
        let observed = existing(vec![
            running("app", 1, "hash-app", RUNNING),
            running("app", 2, "hash-app", RUNNING),
            running("app", 4, "hash-app", RUNNING),
        ]);
        let mut down = options();
        down.scale.insert("app".to_owned(), 1);
        let up = setup.plan(&observed, &down);
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] StopContainer app40123456789abcdef (scaled down)
#1 [#0] RemoveContainer app40123456789abcdef (scaled down)
#2 [] StopContainer app20123456789abcdef (scaled down)
#3 [#2] RemoveContainer app20123456789abcdef (scaled down)
"
        );
        let mut more = options();
        more.scale.insert("app".to_owned(), 4);
        let up = setup.plan(&observed, &more);
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] CreateContainer p-app-5 (not found)
#1 [#0] StartContainer p-app-5 (not running)
"
        );
    }

    #[test]
    fn a_diverged_replica_goes_first_when_scaling_down() {
        use ContainerSummaryStateEnum::RUNNING;
        let setup = Setup::new("services:\n  app:\n    image: busybox\n");
        let observed = existing(vec![
            running("app", 1, "stale", RUNNING),
            running("app", 2, "hash-app", RUNNING),
        ]);
        let mut one = options();
        one.scale.insert("app".to_owned(), 1);
        let up = setup.plan(&observed, &one);
        assert!(
            up.plan
                .to_string()
                .starts_with("#0 [] StopContainer app10123456789abcdef (scaled down)")
        );
        assert_eq!(up.unchanged, ["p-app-2"]);
    }

    #[test]
    fn exited_containers_start_again_and_orphans_are_removed_on_request() {
        use ContainerSummaryStateEnum::{EXITED, RUNNING};
        let setup = Setup::new("services:\n  app:\n    image: busybox\n");
        let observed = existing(vec![
            running("app", 1, "hash-app", EXITED),
            running("gone", 1, "whatever", RUNNING),
        ]);
        let mut remove = options();
        remove.remove_orphans = true;
        let up = setup.plan(&observed, &remove);
        assert_eq!(up.orphans, ["p-gone-1"]);
        assert_eq!(
            up.plan.to_string(),
            "\
#0 [] StopContainer gone10123456789abcdef (orphan)
#1 [#0] RemoveContainer gone10123456789abcdef (orphan)
#2 [] StartContainer p-app-1 (not running)
"
        );
    }

    #[test]
    fn down_stops_dependents_before_their_dependencies() {
        use ContainerSummaryStateEnum::RUNNING;
        let setup = Setup::new(STACK);
        let observed = existing(vec![
            running("db", 1, "hash-db", RUNNING),
            running("job", 1, "hash-job", RUNNING),
            running("web", 1, "hash-web", RUNNING),
        ]);
        let plan = plan_down(
            Some(&setup.project),
            &observed,
            &DownOptions::default(),
            &[],
        );
        let text = plan.to_string();
        let line = |needle: &str| {
            text.lines()
                .find(|line| line.contains(needle))
                .unwrap_or_else(|| panic!("{needle} in\n{text}"))
                .to_owned()
        };
        assert!(line("StopContainer job1").starts_with("#0 []"), "{text}");
        assert!(line("StopContainer web1").contains("[#0]"), "{text}");
        assert!(line("StopContainer db1").contains("[#2]"), "{text}");
        assert!(line("RemoveNetwork").contains("[#1 #3 #5]"), "{text}");
        assert!(!text.contains("RemoveVolume"), "volumes stay without -v");
    }
}
