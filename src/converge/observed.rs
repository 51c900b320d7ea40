//! What runs: one snapshot of a project's containers, networks and volumes, found by Compose's
//! labels in three list calls (no per-container inspection), and read through typed accessors.
//! Every command that looks at a running project starts here.

use std::collections::HashMap;

use berth_engine::containers::LabelFilter;
use berth_engine::labels;
use berth_engine::models::{ContainerSummary, Network, Volume};
use berth_engine::{Engine, Result};

/// One container of the project, as listed.
#[derive(Debug, Clone)]
pub struct ObservedContainer {
    /// The list entry, labels and state included.
    pub summary: ContainerSummary,
}

impl ObservedContainer {
    /// A label's value, empty when absent.
    #[must_use]
    pub fn label(&self, key: &str) -> &str {
        self.summary
            .labels
            .as_ref()
            .and_then(|labels| labels.get(key))
            .map_or("", String::as_str)
    }

    /// The container ID.
    #[must_use]
    pub fn id(&self) -> &str {
        self.summary.id.as_deref().unwrap_or_default()
    }

    /// The container name, without the leading `/`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.summary
            .names
            .as_ref()
            .and_then(|names| names.first())
            .map_or("", |name| name.trim_start_matches('/'))
    }

    /// The service label.
    #[must_use]
    pub fn service(&self) -> &str {
        self.label(labels::SERVICE)
    }

    /// The replica number label (0 when absent or malformed).
    #[must_use]
    pub fn number(&self) -> u32 {
        self.label(labels::CONTAINER_NUMBER).parse().unwrap_or(0)
    }

    /// Whether this is a one-off (`run`) container.
    #[must_use]
    pub fn is_one_off(&self) -> bool {
        self.label(labels::ONEOFF) == "True"
    }

    /// The daemon's state word: `created`, `running`, `paused`, `restarting`, `removing`,
    /// `exited`, `dead`.
    #[must_use]
    pub fn state(&self) -> String {
        self.summary
            .state
            .map(|state| state.to_string())
            .unwrap_or_default()
    }

    /// Whether the container runs (or restarts, or is paused: it has a live process).
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(self.state().as_str(), "running" | "restarting" | "paused")
    }

    /// The config hash label.
    #[must_use]
    pub fn config_hash(&self) -> &str {
        self.label(labels::CONFIG_HASH)
    }

    /// The human status (`Up 3 minutes (healthy)`), as `docker ps` shows it.
    #[must_use]
    pub fn status(&self) -> &str {
        self.summary.status.as_deref().unwrap_or_default()
    }
}

/// A project's resources as the daemon has them.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The project's containers (service and one-off), sorted by service, then number, then name.
    pub containers: Vec<ObservedContainer>,
    /// The project's networks, by their compose key (the `network` label).
    pub networks: HashMap<String, Network>,
    /// The project's volumes, by their compose key (the `volume` label).
    pub volumes: HashMap<String, Volume>,
}

impl Observed {
    /// Starts collecting `project`'s snapshot on a thread of its own, with its own connection,
    /// so that the daemon's answer (most of a no-op `up`'s time) overlaps the loading of the
    /// files. Worth it only when the project's name is known before loading (`-p`).
    #[must_use]
    pub fn prefetch(project: &str) -> Prefetch {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let name = project.to_owned();
        let project = project.to_owned();
        let spawned = std::thread::Builder::new()
            .name("prefetch".to_owned())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let observed = runtime.block_on(async {
                    let engine = Engine::open_default().ok()?;
                    Self::collect(&engine, &project).await.ok()
                });
                let _ = sender.send(observed);
            });
        Prefetch {
            project: name,
            receiver: spawned.ok().map(|_| receiver),
        }
    }

    /// Takes the snapshot: every container of `project` (stopped ones too) that carries a config
    /// hash, and the project's labelled networks and volumes, in three concurrent list calls.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn collect(engine: &Engine, project: &str) -> Result<Self> {
        let containers = Self::containers_of(engine, project);
        let filter = LabelFilter::new(labels::PROJECT, project);
        let networks = engine.list_networks(&filter);
        let volumes = engine.list_volumes(&filter);
        let (containers, networks, volumes) = tokio::try_join!(containers, networks, volumes)?;
        let networks = networks
            .into_iter()
            .filter_map(|network| {
                let key = network.labels.as_ref()?.get(labels::NETWORK)?.clone();
                Some((key, network))
            })
            .collect();
        let volumes = volumes
            .into_iter()
            .filter_map(|volume| {
                let key = volume.labels.get(labels::VOLUME)?.clone();
                Some((key, volume))
            })
            .collect();
        Ok(Self {
            containers,
            networks,
            volumes,
        })
    }

    /// Only the containers of `project` (one list call), sorted.
    ///
    /// # Errors
    /// Transport or daemon errors.
    pub async fn containers_of(engine: &Engine, project: &str) -> Result<Vec<ObservedContainer>> {
        let filter = LabelFilter::new(labels::PROJECT, project).with_key(labels::CONFIG_HASH);
        let mut containers: Vec<ObservedContainer> = engine
            .list_containers(&filter, true)
            .await?
            .into_iter()
            .map(|summary| ObservedContainer { summary })
            .collect();
        Self::sort(&mut containers);
        Ok(containers)
    }

    /// Puts containers in [`Observed::containers`]' order: by service, then number, then name.
    pub fn sort(containers: &mut [ObservedContainer]) {
        containers.sort_by(|a, b| {
            (a.service(), a.number(), a.name()).cmp(&(b.service(), b.number(), b.name()))
        });
    }

    /// The service (not one-off) containers of `service`.
    pub fn service_containers<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a ObservedContainer> + 'a {
        // Sorted by service: the service's run is found by bisection, not by a label lookup
        // per container (which made planning a 50-service project quadratic).
        let start = self
            .containers
            .partition_point(|container| container.service() < service);
        self.containers[start..]
            .iter()
            .take_while(move |container| container.service() == service)
            .filter(|container| !container.is_one_off())
    }
}

/// A snapshot being collected ahead of time ([`Observed::prefetch`]).
#[derive(Debug)]
pub struct Prefetch {
    project: String,
    receiver: Option<tokio::sync::oneshot::Receiver<Option<Observed>>>,
}

impl Prefetch {
    /// The snapshot, when it was of `project` and succeeded; `None` tells the caller to collect
    /// it itself (and meet any error there).
    pub async fn take(self, project: &str) -> Option<Observed> {
        if self.project != project {
            return None;
        }
        self.receiver?.await.ok().flatten()
    }
}
