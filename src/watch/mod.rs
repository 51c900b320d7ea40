//! Watch mode: `develop.watch` triggers applied to running services as files change
//! (`berth watch`, `berth up --watch`), as Docker Compose does it (`pkg/compose/watch.go`,
//! `pkg/watch/`) and without what its users complain about (docker/compose#12592, #13057,
//! #11304, #12569, #12814).
//!
//! The pieces:
//! - [`rules`]: which changes a trigger takes (ignore rules, `include`) and where they land;
//! - [`watcher`]: inotify watches on exactly the directories the rules want;
//! - [`sync`]: one archive per batch per container, the container user's ownership, deletions
//!   without `rm`;
//! - this module: the loop. Events are gathered into a batch until the tree has been quiet for
//!   [`QUIET`] (at most [`MAX_BATCH_DELAY`] after the first), then each service's actions run:
//!   rebuild, sync, restart, exec, in Compose's order.
//!
//! **Nothing lost.** Every synced path is kept in a per-service journal. A container that
//! appears later (recreated by `up`, a rebuild, a scale-up) is brought up to date from it as
//! soon as the daemon reports it created or started; stopped containers are synced through the
//! archive endpoint like running ones, so what changed while they were stopped is there when
//! they start. `initial_sync` seeds the journal with the files newer than the service's image
//! (for `sync+exec` triggers too, which Compose 2.40.3 skips).
//!
//! Messages are Compose's (`Watch enabled`, `Syncing service "web" after 2 changes were
//! detected`, `Rebuilding service(s) ["web"] after changes were detected...`), on standard
//! output after `⦿`, beside the services' output.

pub mod rebuild;
pub mod rules;
pub mod sync;
pub mod watcher;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use berth_engine::containers::LabelFilter;
use berth_engine::logs::{ContainerAction, Timestamp};
use berth_engine::{Engine, ExecSpec, labels};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::model::Project;
use rules::{Action, Rule};
use sync::{Item, Owner};
use watcher::{Change, DirWatcher};

/// How long the tree must be quiet before a batch is applied. Compose waits 500 ms; editors'
/// atomic saves and `git checkout` come in bursts with far shorter gaps.
pub const QUIET: Duration = Duration::from_millis(25);
/// The longest a batch waits for quiet, so that a long stream of changes still lands in steps.
pub const MAX_BATCH_DELAY: Duration = Duration::from_millis(1500);

/// Builds and recreates services for the `rebuild` action; the command line provides it.
pub trait Rebuilder {
    /// Builds `services`' images and recreates their containers, starting them and the services
    /// that depend on them.
    fn rebuild<'a>(
        &'a self,
        services: &'a [String],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;
}

/// What a watch needs to know besides the project.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// The services to watch (all with `develop.watch` when empty).
    pub services: Vec<String>,
}

/// The watch state of one project.
pub struct Watch {
    engine: Engine,
    project_name: String,
    rules: Arc<Vec<Rule>>,
    /// Services whose rules copy files, with their journal: container path → latest item.
    journal: HashMap<String, BTreeMap<String, Item>>,
    /// Containers that hold everything their service's journal holds.
    synced: HashSet<String>,
    /// Owners of synced files, per container.
    owners: HashMap<String, Owner>,
    /// Services whose `initial_sync` has not been done (no container seen yet).
    initial_pending: HashSet<String>,
    /// The directories watched.
    watcher: DirWatcher,
    events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("project_name", &self.project_name)
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// Prints a watch message as Compose's log consumer does for its `#watch` logger.
pub fn say(message: &str) {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let _ = writeln!(stdout, "⦿ {message}");
    let _ = stdout.flush();
}

impl Watch {
    /// Reads the triggers of the selected services and sets up the watches.
    ///
    /// # Errors
    /// No selected service has `develop.watch`, a bad trigger, the inotify limits.
    pub fn new(
        engine: Engine,
        project: &Project,
        working_dir: &Path,
        options: &WatchOptions,
    ) -> anyhow::Result<Self> {
        let mut rules = Vec::new();
        for service in project.services.values() {
            if !options.services.is_empty() && !options.services.contains(&service.name) {
                continue;
            }
            let service_rules = Rule::for_service(service, working_dir)?;
            for rule in &service_rules {
                if rule.action == Action::Rebuild && service.build.is_none() {
                    anyhow::bail!(
                        "can't watch service {:?} with action rebuild without a build context",
                        service.name
                    );
                }
            }
            rules.extend(service_rules);
        }
        if rules.is_empty() {
            anyhow::bail!(
                "none of the selected services is configured for watch, consider setting a 'develop' section"
            );
        }
        let (sender, events) = mpsc::unbounded_channel();
        let mut watcher = DirWatcher::start(sender)?;
        let rules = Arc::new(rules);
        let roots: BTreeSet<PathBuf> = rules
            .iter()
            .map(|rule| existing_ancestor(&rule.path))
            .collect();
        for root in &roots {
            let wanted = |dir: &Path| wanted(&rules, dir);
            watcher.add_tree(root, &wanted)?;
        }
        let journal = rules
            .iter()
            .filter(|rule| rule.action.syncs())
            .map(|rule| (rule.service.clone(), BTreeMap::new()))
            .collect();
        let initial_pending = rules
            .iter()
            .filter(|rule| rule.initial_sync && rule.action.syncs())
            .map(|rule| rule.service.clone())
            .collect();
        Ok(Self {
            engine,
            project_name: project.name.clone(),
            rules,
            journal,
            synced: HashSet::new(),
            owners: HashMap::new(),
            initial_pending,
            watcher,
            events,
        })
    }

    /// The services that have triggers.
    #[must_use]
    pub fn services(&self) -> Vec<String> {
        let names: BTreeSet<String> = self.rules.iter().map(|rule| rule.service.clone()).collect();
        names.into_iter().collect()
    }

    /// How many directories are watched.
    #[must_use]
    pub fn watched_directories(&self) -> usize {
        self.watcher.len()
    }

    /// Runs until `cancel` fires: brings existing containers up to date (`initial_sync`), then
    /// applies each batch of changes, and brings new containers up to date as they appear.
    ///
    /// # Errors
    /// The daemon's event stream broke, or the inotify limits were reached.
    pub async fn run(
        mut self,
        cancel: CancellationToken,
        rebuilder: Option<&dyn Rebuilder>,
    ) -> anyhow::Result<()> {
        let mut container_events = self
            .engine
            .container_events(&self.project_name, Timestamp::now());
        for service in self.services() {
            self.catch_up(&service).await;
        }
        say("Watch enabled");
        let mut batch: BTreeMap<PathBuf, bool> = BTreeMap::new();
        let mut quiet_deadline = Instant::now();
        let mut batch_deadline = Instant::now();
        loop {
            let deadline = quiet_deadline.min(batch_deadline);
            tokio::select! {
                () = cancel.cancelled() => break,
                event = self.events.recv() => {
                    let Some(event) = event else { break };
                    let event = match event {
                        Ok(event) => event,
                        Err(error) => {
                            if matches!(error.kind, notify::ErrorKind::MaxFilesWatch) {
                                return Err(anyhow::anyhow!("{error}")).context("watching files");
                            }
                            crate::diagnostic::print_warnings(&[format!("watching files: {error}")]);
                            continue;
                        }
                    };
                    let changes = watcher::interpret(&event);
                    if changes.is_empty() {
                        continue;
                    }
                    if watcher::removes(&event) {
                        for path in &event.paths {
                            self.watcher.forget(path);
                        }
                    }
                    if batch.is_empty() {
                        batch_deadline = Instant::now() + MAX_BATCH_DELAY;
                    }
                    quiet_deadline = Instant::now() + QUIET;
                    for change in changes {
                        match change {
                            Change::Path { path, tree } => {
                                if tree {
                                    let rules = Arc::clone(&self.rules);
                                    let wanted = |dir: &Path| wanted(&rules, dir);
                                    if wanted(&path) {
                                        self.watcher.add_tree(&path, &wanted)?;
                                    }
                                }
                                *batch.entry(path).or_insert(false) |= tree;
                            }
                            Change::Rescan => {
                                for rule in self.rules.iter() {
                                    batch.insert(rule.path.clone(), true);
                                }
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(deadline), if !batch.is_empty() => {
                    let taken = std::mem::take(&mut batch);
                    if let Err(error) = self.apply(taken, rebuilder).await {
                        crate::diagnostic::print_warnings(&[format!("Error handling changed files: {error:#}")]);
                    }
                }
                event = container_events.next() => {
                    match event {
                        Some(Ok(event)) => {
                            if event.is_one_off()
                                || !matches!(event.action, ContainerAction::Create | ContainerAction::Start)
                                || !self.journal.contains_key(event.service())
                                || self.synced.contains(&event.id)
                            {
                                continue;
                            }
                            let service = event.service().to_owned();
                            self.catch_up(&service).await;
                        }
                        Some(Err(error)) => {
                            return Err(anyhow::Error::new(error).context("following the project's events"));
                        }
                        None => return Err(anyhow::anyhow!("the daemon ended the event stream")),
                    }
                }
            }
        }
        say("Watch disabled");
        Ok(())
    }

    /// Applies one batch: Compose's order (rebuild, sync, restart, exec), each service once.
    async fn apply(
        &mut self,
        batch: BTreeMap<PathBuf, bool>,
        rebuilder: Option<&dyn Rebuilder>,
    ) -> anyhow::Result<()> {
        let mut rebuild: BTreeSet<String> = BTreeSet::new();
        let mut restart: BTreeSet<String> = BTreeSet::new();
        let mut syncs: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        let mut execs: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (path, tree) in &batch {
            let is_dir = std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir());
            for (index, rule) in self.rules.iter().enumerate() {
                if !rule.takes(path, is_dir) {
                    continue;
                }
                match rule.action {
                    Action::Rebuild => {
                        rebuild.insert(rule.service.clone());
                    }
                    Action::Restart => {
                        restart.insert(rule.service.clone());
                    }
                    Action::Sync | Action::SyncRestart | Action::SyncExec => {
                        let Some(container) = rule.container_path(path) else {
                            continue;
                        };
                        syncs.entry(rule.service.clone()).or_default().push(Item {
                            host: path.clone(),
                            container,
                            tree: *tree,
                            rule: index,
                        });
                        if rule.action == Action::SyncRestart {
                            restart.insert(rule.service.clone());
                        }
                        if rule.action == Action::SyncExec {
                            execs.entry(rule.service.clone()).or_default().insert(index);
                        }
                    }
                }
            }
        }
        if !rebuild.is_empty() {
            let services: Vec<String> = rebuild.into_iter().collect();
            say(&format!(
                "Rebuilding service(s) {} after changes were detected...",
                go_quoted_list(&services)
            ));
            let Some(rebuilder) = rebuilder else {
                anyhow::bail!("rebuilding needs images to be built, which this command cannot do");
            };
            rebuilder.rebuild(&services).await?;
            // The new images hold every file as it is now.
            for service in &services {
                if let Some(journal) = self.journal.get_mut(service) {
                    journal.clear();
                }
            }
        }
        for (service, items) in syncs {
            say(&format!(
                "Syncing service {service:?} after {} changes were detected",
                items.len()
            ));
            if let Some(journal) = self.journal.get_mut(&service) {
                for item in &items {
                    journal
                        .entry(item.container.clone())
                        .and_modify(|known| {
                            known.tree |= item.tree;
                            known.host.clone_from(&item.host);
                        })
                        .or_insert_with(|| item.clone());
                }
            }
            self.sync_service(&service, &items).await?;
        }
        if !restart.is_empty() {
            let services: Vec<String> = restart.into_iter().collect();
            for service in &services {
                for container in self.containers(service).await? {
                    if container.running {
                        self.engine
                            .restart_container(&container.id, None)
                            .await
                            .with_context(|| format!("restarting service {service:?}"))?;
                    }
                }
            }
            say(&format!(
                "service(s) {} restarted",
                go_quoted_list(&services)
            ));
        }
        for (service, rule_indexes) in execs {
            for index in rule_indexes {
                let Some(hook) = self.rules[index].exec.clone() else {
                    continue;
                };
                let spec = ExecSpec {
                    command: hook.command.0.clone().unwrap_or_default(),
                    env: hook
                        .environment
                        .0
                        .iter()
                        .filter_map(|(key, value)| {
                            value.as_ref().map(|value| format!("{key}={value}"))
                        })
                        .collect(),
                    user: hook.user.clone(),
                    working_dir: hook.working_dir.clone(),
                    privileged: hook.privileged,
                    ..ExecSpec::default()
                };
                let containers = self.containers(&service).await?;
                let runs = containers
                    .iter()
                    .filter(|container| container.running)
                    .map(|container| sync::run_exec(&self.engine, &container.id, &spec, true));
                for result in futures_util::future::join_all(runs).await {
                    match result {
                        Ok(0) => {}
                        Ok(code) => crate::diagnostic::print_warnings(&[format!(
                            "service {service:?}: exec {:?} exited with code {code}",
                            spec.command
                        )]),
                        Err(error) => crate::diagnostic::print_warnings(&[format!(
                            "service {service:?}: exec {:?}: {error:#}",
                            spec.command
                        )]),
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends `items` to every container of `service`, running or not; a container that cannot
    /// take them is brought up to date from the journal once it is created or started again.
    async fn sync_service(&mut self, service: &str, items: &[Item]) -> anyhow::Result<()> {
        let containers = self.containers(service).await?;
        let engine = &self.engine;
        let rules = &self.rules;
        let results =
            futures_util::future::join_all(containers.iter().map(|container| async move {
                (
                    container,
                    sync::sync_container(engine, container, items, rules).await,
                )
            }))
            .await;
        for (container, result) in results {
            match result {
                Ok(outcome) => {
                    self.synced.insert(container.id.clone());
                    for (path, why) in outcome.failed_deletions {
                        crate::diagnostic::print_warnings(&[format!(
                            "service {service:?}: could not delete {path} in the container: {why}"
                        )]);
                    }
                }
                Err(error) => {
                    self.synced.remove(&container.id);
                    crate::diagnostic::print_warnings(&[format!(
                        "service {service:?}: {error:#}; the changes are kept and sent when the container is created or started again"
                    )]);
                }
            }
        }
        Ok(())
    }

    /// Brings every container of `service` that is not up to date in line with the journal (after
    /// seeding it for `initial_sync` the first time a container is seen).
    async fn catch_up(&mut self, service: &str) {
        let containers = match self.containers(service).await {
            Ok(containers) => containers,
            Err(error) => {
                crate::diagnostic::print_warnings(&[format!("service {service:?}: {error:#}")]);
                return;
            }
        };
        if containers.is_empty() {
            return;
        }
        if self.initial_pending.remove(service)
            && let Err(error) = self.seed_initial_sync(service, &containers[0].id).await
        {
            crate::diagnostic::print_warnings(&[format!(
                "service {service:?}: initial sync: {error:#}"
            )]);
        }
        let items: Vec<Item> = self
            .journal
            .get(service)
            .map(|journal| journal.values().cloned().collect())
            .unwrap_or_default();
        for container in containers {
            if self.synced.contains(&container.id) {
                continue;
            }
            if items.is_empty() {
                self.synced.insert(container.id.clone());
                continue;
            }
            match sync::sync_container(&self.engine, &container, &items, &self.rules).await {
                Ok(_) => {
                    self.synced.insert(container.id.clone());
                }
                Err(error) => crate::diagnostic::print_warnings(&[format!(
                    "service {service:?}: bringing {} up to date: {error:#}",
                    container.id.get(..12).unwrap_or(&container.id)
                )]),
            }
        }
    }

    /// Adds to `service`'s journal the files of its `initial_sync` triggers modified after its
    /// image was created, as Compose's `initialSyncFiles` chooses them.
    async fn seed_initial_sync(&mut self, service: &str, container: &str) -> anyhow::Result<()> {
        let inspect = self.engine.inspect_container(container).await?;
        let image = inspect.image.unwrap_or_default();
        let created = self
            .engine
            .inspect_image(&image)
            .await?
            .created
            .as_deref()
            .and_then(Timestamp::parse)
            .unwrap_or(Timestamp {
                seconds: 0,
                nanos: 0,
            });
        let rules = Arc::clone(&self.rules);
        let seeds = tokio::task::spawn_blocking(move || {
            let mut seeds = Vec::new();
            for (index, rule) in rules.iter().enumerate() {
                if rule.initial_sync && rule.action.syncs() {
                    newer_files(rule, index, &rule.path, created, &mut seeds);
                }
            }
            seeds
        })
        .await?;
        let journal = self.journal.entry(service.to_owned()).or_default();
        for item in seeds {
            if self.rules[item.rule].service == service {
                journal.insert(item.container.clone(), item);
            }
        }
        Ok(())
    }

    /// The containers of `service` (not one-offs), running or not, with their owners.
    async fn containers(&mut self, service: &str) -> anyhow::Result<Vec<sync::Target>> {
        let filter = LabelFilter::new(labels::PROJECT, &self.project_name)
            .with(labels::SERVICE, service)
            .with(labels::ONEOFF, "False");
        let listed = self
            .engine
            .list_containers(&filter, true)
            .await
            .with_context(|| format!("listing the containers of service {service:?}"))?;
        let mut targets = Vec::new();
        for summary in listed {
            let Some(id) = summary.id.clone() else {
                continue;
            };
            let running = summary
                .state
                .is_some_and(|state| state.to_string() == "running");
            let owner = match self.owners.get(&id) {
                Some(owner) => *owner,
                None => {
                    let owner = self.owner_of(&id).await.with_context(|| {
                        format!(
                            "finding the user of container {}",
                            id.get(..12).unwrap_or(&id)
                        )
                    })?;
                    self.owners.insert(id.clone(), owner);
                    owner
                }
            };
            targets.push(sync::Target { id, running, owner });
        }
        Ok(targets)
    }

    /// Whom files synced into `container` must belong to: its configured user, names looked up
    /// in its own `/etc/passwd` and `/etc/group`.
    async fn owner_of(&self, container: &str) -> anyhow::Result<Owner> {
        let inspect = self.engine.inspect_container(container).await?;
        let user = inspect
            .config
            .and_then(|config| config.user)
            .unwrap_or_default();
        let (user_part, group_part) = user.split_once(':').unwrap_or((user.as_str(), ""));
        let numeric = |part: &str| part.is_empty() || part.parse::<u32>().is_ok();
        // The passwd file gives a numeric user its group; read it unless both are numbers.
        let passwd = if user.is_empty()
            || (numeric(user_part) && !group_part.is_empty() && numeric(group_part))
        {
            String::new()
        } else {
            sync::read_container_file(&self.engine, container, "/etc/passwd").await?
        };
        let group = if numeric(group_part) {
            String::new()
        } else {
            sync::read_container_file(&self.engine, container, "/etc/group").await?
        };
        sync::resolve_owner(&user, &passwd, &group)
    }
}

/// Files under `path` (taken by `rule`) modified after `created`, as journal items.
fn newer_files(rule: &Rule, index: usize, path: &Path, created: Timestamp, out: &mut Vec<Item>) {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return;
    };
    if metadata.is_dir() {
        if path != rule.path && (!rule.takes(path, true) || rule.skips_dir(path)) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            newer_files(rule, index, &entry.path(), created, out);
        }
        return;
    }
    let modified = metadata.modified().map_or(
        Timestamp {
            seconds: 0,
            nanos: 0,
        },
        Timestamp::from_system_time,
    );
    if modified > created
        && rule.takes(path, false)
        && let Some(container) = rule.container_path(path)
    {
        out.push(Item {
            host: path.to_path_buf(),
            container,
            tree: false,
            rule: index,
        });
    }
}

/// Whether the directory `dir` needs a watch: some rule's path holds it and that rule does not
/// ignore it whole, or it is on the way to a rule's path (to see that path appear).
fn wanted(rules: &[Rule], dir: &Path) -> bool {
    rules.iter().any(|rule| {
        rule.path.starts_with(dir) || (dir.starts_with(&rule.path) && !rule.skips_dir(dir))
    })
}

/// `path`, or its nearest ancestor that exists (Compose's `greatestExistingAncestor`); a file
/// stands for its directory.
fn existing_ancestor(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    loop {
        if std::fs::metadata(&current).is_ok_and(|metadata| metadata.is_dir()) {
            return current;
        }
        match current.parent() {
            Some(parent) => current = parent.to_path_buf(),
            None => return PathBuf::from("/"),
        }
    }
}

/// A list as Go's `%q` prints a `[]string`: `["a" "b"]`.
fn go_quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| crate::go::quote(item)).collect();
    format!("[{}]", quoted.join(" "))
}
