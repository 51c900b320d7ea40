//! The dependency graph of a project: which services need which services (`depends_on`) and
//! which networks, volumes, secrets and configs, in what order services start and stop, and which
//! services a selection pulls in.
//!
//! It takes neutral input ([`ServiceNode`]) so that it does not depend on the typed model. It
//! reports what Compose reports, with Compose's texts: a required dependency on an unknown service
//! (`loader/validate.go`) and the dependency cycle compose-go's `graph/cycle.go` finds. compose-go
//! finds that cycle with a search that has no visited set and is exponential in depth; berth runs
//! one colour-marking depth-first search, iterative, in the same order (service names sorted,
//! dependencies sorted), which reports the same cycle in time linear in services and edges.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use thiserror::Error;

/// A service as the graph sees it: its name and what it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNode {
    /// The service name.
    pub name: String,
    /// `depends_on` entries.
    pub depends_on: Vec<Dependency>,
    /// Networks the service joins.
    pub networks: Vec<String>,
    /// Named volumes the service mounts.
    pub volumes: Vec<String>,
    /// Secrets the service uses.
    pub secrets: Vec<String>,
    /// Configs the service uses.
    pub configs: Vec<String>,
}

/// One `depends_on` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The service depended on.
    pub service: String,
    /// What the dependency must reach before the dependent starts.
    pub condition: Condition,
    /// Whether a missing dependency is an error (`required: false` tolerates it).
    pub required: bool,
    /// Whether the dependent restarts when the dependency is updated.
    pub restart: bool,
}

/// `depends_on.*.condition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `service_started`.
    Started,
    /// `service_healthy`.
    Healthy,
    /// `service_completed_successfully`.
    CompletedSuccessfully,
}

/// A node of the graph: a service or a resource a service needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// A service.
    Service(String),
    /// A network.
    Network(String),
    /// A volume.
    Volume(String),
    /// A secret.
    Secret(String),
    /// A config.
    Config(String),
}

/// Why a project's dependencies are not usable. The texts are Compose's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphError {
    /// A required `depends_on` names a service the project does not have (or has disabled).
    #[error(
        "service \"{service}\" depends on undefined service \"{dependency}\": invalid compose project"
    )]
    UndefinedDependency {
        /// The dependent service.
        service: String,
        /// The missing service.
        dependency: String,
    },
    /// Services depend on each other in a loop.
    #[error("dependency cycle detected: {}", .cycle.join(" -> "))]
    Cycle {
        /// The services of the loop, the first repeated at the end (`[a, b, a]`; `[a, a]` for a
        /// service depending on itself).
        cycle: Vec<String>,
    },
}

/// The dependency graph: nodes are services, networks, volumes, secrets and configs; edges go
/// from a service to what it needs.
#[derive(Clone, Debug)]
pub struct DependencyGraph {
    /// Every node and edge, for whoever needs the whole picture.
    graph: DiGraph<Resource, ()>,
    /// Services sorted by name; a service's index here is its identity below.
    services: Vec<ServiceNode>,
    /// Service name → index in `services`.
    index: HashMap<String, usize>,
    /// Each service's `depends_on` entries that name a known service, as written.
    dependencies: Vec<Vec<Dependency>>,
    /// Each service's distinct dependency indices, ascending (so sorted by name).
    children: Vec<Vec<usize>>,
    /// Each service's distinct dependent indices, ascending.
    parents: Vec<Vec<usize>>,
    /// Start layer of each service: 0 without dependencies, else one past its deepest dependency.
    start_layer: Vec<usize>,
    /// Stop layer of each service: 0 without dependents, else one past its deepest dependent.
    stop_layer: Vec<usize>,
    /// Graph node of each service.
    service_nodes: Vec<NodeIndex>,
}

impl DependencyGraph {
    /// Builds the graph and checks it as Compose does.
    ///
    /// The input lists the project's enabled services. A `required` dependency on any other name
    /// is an error; a dependency with `required: false` on one is left out of the graph (Compose
    /// tolerates it for profile-disabled services; rejecting a non-required dependency on a
    /// service that does not exist at all is the caller's check, as it needs the disabled list).
    /// Services are checked in name order, so the first undefined dependency reported is stable.
    /// Names are expected to be unique; a repeated name keeps its first entry.
    pub fn new(services: Vec<ServiceNode>) -> Result<Self, GraphError> {
        let mut services = services;
        services.sort_by(|a, b| a.name.cmp(&b.name));
        services.dedup_by(|later, earlier| later.name == earlier.name);
        let index: HashMap<String, usize> = services
            .iter()
            .enumerate()
            .map(|(position, service)| (service.name.clone(), position))
            .collect();

        let mut dependencies = Vec::with_capacity(services.len());
        let mut children = Vec::with_capacity(services.len());
        for service in &services {
            let mut known = Vec::with_capacity(service.depends_on.len());
            let mut targets = Vec::with_capacity(service.depends_on.len());
            for dependency in &service.depends_on {
                match index.get(&dependency.service) {
                    Some(&target) => {
                        known.push(dependency.clone());
                        targets.push(target);
                    }
                    None if dependency.required => {
                        return Err(GraphError::UndefinedDependency {
                            service: service.name.clone(),
                            dependency: dependency.service.clone(),
                        });
                    }
                    None => {}
                }
            }
            targets.sort_unstable();
            targets.dedup();
            dependencies.push(known);
            children.push(targets);
        }

        let mut parents = vec![Vec::new(); services.len()];
        for (dependent, targets) in children.iter().enumerate() {
            for &target in targets {
                // Dependents are visited in ascending order, so each list stays sorted.
                parents[target].push(dependent);
            }
        }

        let order = depth_first_order(&services, &children)?;
        let mut start_layer = vec![0; services.len()];
        for &service in &order {
            start_layer[service] = children[service]
                .iter()
                .map(|&child| start_layer[child] + 1)
                .max()
                .unwrap_or(0);
        }
        let mut stop_layer = vec![0; services.len()];
        for &service in order.iter().rev() {
            stop_layer[service] = parents[service]
                .iter()
                .map(|&parent| stop_layer[parent] + 1)
                .max()
                .unwrap_or(0);
        }

        let (graph, service_nodes) = build_graph(&services, &children);
        Ok(Self {
            graph,
            services,
            index,
            dependencies,
            children,
            parents,
            start_layer,
            stop_layer,
            service_nodes,
        })
    }

    /// Service layers in start order: each layer's services depend only on earlier layers, and
    /// names are sorted within a layer.
    #[must_use]
    pub fn start_order(&self) -> Vec<Vec<String>> {
        self.layers(&self.start_layer)
    }

    /// Service layers in stop order: each layer's services are needed only by services in earlier
    /// layers, so a service stops as soon as everything depending on it has stopped.
    #[must_use]
    pub fn stop_order(&self) -> Vec<Vec<String>> {
        self.layers(&self.stop_layer)
    }

    /// The `depends_on` entries of `service` that name a service of the graph, as written; empty
    /// for an unknown service.
    #[must_use]
    pub fn dependencies(&self, service: &str) -> &[Dependency] {
        self.index
            .get(service)
            .map_or(&[], |&position| self.dependencies[position].as_slice())
    }

    /// The services that depend on `service` directly, sorted by name.
    #[must_use]
    pub fn dependents(&self, service: &str) -> Vec<&str> {
        self.index.get(service).map_or_else(Vec::new, |&position| {
            self.parents[position]
                .iter()
                .map(|&parent| self.services[parent].name.as_str())
                .collect()
        })
    }

    /// The networks, volumes, secrets and configs `service` needs, sorted.
    #[must_use]
    pub fn resources(&self, service: &str) -> Vec<&Resource> {
        let Some(&position) = self.index.get(service) else {
            return Vec::new();
        };
        let mut resources: Vec<&Resource> = self
            .graph
            .neighbors(self.service_nodes[position])
            .map(|node| &self.graph[node])
            .filter(|resource| !matches!(resource, Resource::Service(_)))
            .collect();
        resources.sort();
        resources
    }

    /// The named services plus everything they need, transitively, in start order (layer by layer,
    /// names sorted within a layer). Unknown names are ignored.
    #[must_use]
    pub fn with_dependencies(&self, services: &[String]) -> Vec<String> {
        let mut selected = vec![false; self.services.len()];
        let mut pending: Vec<usize> = services
            .iter()
            .filter_map(|name| self.index.get(name).copied())
            .collect();
        while let Some(service) = pending.pop() {
            if std::mem::replace(&mut selected[service], true) {
                continue;
            }
            pending.extend(
                self.children[service]
                    .iter()
                    .copied()
                    .filter(|&child| !selected[child]),
            );
        }
        let mut chosen: Vec<usize> = (0..self.services.len())
            .filter(|&service| selected[service])
            .collect();
        // Indices follow name order, so a stable sort by layer keeps names sorted within a layer.
        chosen.sort_by_key(|&service| self.start_layer[service]);
        chosen
            .into_iter()
            .map(|service| self.services[service].name.clone())
            .collect()
    }

    /// The whole graph: services and resources as nodes, an edge from a service to each thing it
    /// needs.
    #[must_use]
    pub fn graph(&self) -> &DiGraph<Resource, ()> {
        &self.graph
    }

    fn layers(&self, layer_of: &[usize]) -> Vec<Vec<String>> {
        let depth = layer_of.iter().max().map_or(0, |deepest| deepest + 1);
        let mut layers = vec![Vec::new(); depth];
        // Services are in name order, so each layer comes out sorted.
        for (service, &layer) in layer_of.iter().enumerate() {
            layers[layer].push(self.services[service].name.clone());
        }
        layers
    }
}

/// Visits services in name order and their dependencies in name order, depth first, and returns
/// them in post-order (each after all its dependencies). The first edge back to a service on the
/// current path is the cycle compose-go reports: compose-go re-explores finished services, but a
/// finished service reaches no cycle, so skipping it changes nothing but the cost.
fn depth_first_order(
    services: &[ServiceNode],
    children: &[Vec<usize>],
) -> Result<Vec<usize>, GraphError> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        Unvisited,
        OnPath(usize),
        Done,
    }
    let mut marks = vec![Mark::Unvisited; services.len()];
    let mut order = Vec::with_capacity(services.len());
    // The current path, each service with the position of the next dependency to look at.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..services.len() {
        if marks[root] != Mark::Unvisited {
            continue;
        }
        marks[root] = Mark::OnPath(0);
        path.push((root, 0));
        while let Some((service, next)) = path.last_mut() {
            let service = *service;
            match children[service].get(*next) {
                Some(&child) => {
                    *next += 1;
                    match marks[child] {
                        Mark::Unvisited => {
                            marks[child] = Mark::OnPath(path.len());
                            path.push((child, 0));
                        }
                        Mark::OnPath(depth) => {
                            let mut cycle: Vec<String> = path[depth..]
                                .iter()
                                .map(|&(member, _)| services[member].name.clone())
                                .collect();
                            cycle.push(services[child].name.clone());
                            return Err(GraphError::Cycle { cycle });
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    marks[service] = Mark::Done;
                    order.push(service);
                    path.pop();
                }
            }
        }
    }
    Ok(order)
}

/// The petgraph view: one node per service and per resource, an edge per need.
fn build_graph(
    services: &[ServiceNode],
    children: &[Vec<usize>],
) -> (DiGraph<Resource, ()>, Vec<NodeIndex>) {
    let mut graph = DiGraph::new();
    let service_nodes: Vec<NodeIndex> = services
        .iter()
        .map(|service| graph.add_node(Resource::Service(service.name.clone())))
        .collect();
    let mut resource_nodes: HashMap<Resource, NodeIndex> = HashMap::new();
    for (position, service) in services.iter().enumerate() {
        let from = service_nodes[position];
        for &child in &children[position] {
            graph.add_edge(from, service_nodes[child], ());
        }
        let needs = service
            .networks
            .iter()
            .map(|name| Resource::Network(name.clone()))
            .chain(
                service
                    .volumes
                    .iter()
                    .map(|name| Resource::Volume(name.clone())),
            )
            .chain(
                service
                    .secrets
                    .iter()
                    .map(|name| Resource::Secret(name.clone())),
            )
            .chain(
                service
                    .configs
                    .iter()
                    .map(|name| Resource::Config(name.clone())),
            );
        let mut seen = HashSet::new();
        for resource in needs {
            let node = *resource_nodes
                .entry(resource.clone())
                .or_insert_with(|| graph.add_node(resource.clone()));
            if seen.insert(node) {
                graph.add_edge(from, node, ());
            }
        }
    }
    (graph, service_nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, depends_on: &[&str]) -> ServiceNode {
        ServiceNode {
            name: name.to_owned(),
            depends_on: depends_on
                .iter()
                .map(|dependency| Dependency {
                    service: (*dependency).to_owned(),
                    condition: Condition::Started,
                    required: true,
                    restart: false,
                })
                .collect(),
            networks: Vec::new(),
            volumes: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
        }
    }

    /// `name:dep,dep name:` → services, as in the oracle runs below.
    fn project(spec: &str) -> Vec<ServiceNode> {
        spec.split_whitespace()
            .map(|entry| {
                let (name, dependencies) = entry.split_once(':').expect("name:deps");
                let dependencies: Vec<&str> =
                    dependencies.split(',').filter(|d| !d.is_empty()).collect();
                service(name, &dependencies)
            })
            .collect()
    }

    fn cycle_text(spec: &str) -> String {
        DependencyGraph::new(project(spec))
            .expect_err("cycle")
            .to_string()
    }

    #[test]
    fn corpus_cycle_is_reported_as_compose_does() {
        // tests/corpus/compose-cases/cg-depends-on-cycle: service1 → service2 → service3 → service1.
        assert_eq!(
            cycle_text("service1:service2 service2:service3 service3:service1"),
            "dependency cycle detected: service1 -> service2 -> service3 -> service1"
        );
    }

    #[test]
    fn corpus_self_dependency_is_a_cycle() {
        // tests/corpus/compose-cases/cg-depends-on-self.
        assert_eq!(
            cycle_text("service1:service1"),
            "dependency cycle detected: service1 -> service1"
        );
    }

    #[test]
    fn cycles_match_the_oracle_on_hand_made_graphs() {
        // Each expectation is what `docker compose config` v2.40.3 printed for the same graph.
        let cases = [
            ("d:a a:b b:c c:a", "a -> b -> c -> a"),
            ("z:y y:z a:b b:c c:b", "b -> c -> b"),
            ("a:c,b b:a c:d d:c", "a -> b -> a"),
            ("a:b,c b:d c:d,e d: e:c", "c -> e -> c"),
            ("web:db,cache cache:web db:", "cache -> web -> cache"),
            ("a:b b:c c:d d:e e:b", "b -> c -> d -> e -> b"),
        ];
        for (spec, cycle) in cases {
            assert_eq!(
                cycle_text(spec),
                format!("dependency cycle detected: {cycle}"),
                "{spec}"
            );
        }
    }

    #[test]
    fn undefined_required_dependency_is_an_error() {
        let error = DependencyGraph::new(project("web:db")).expect_err("undefined");
        assert_eq!(
            error.to_string(),
            "service \"web\" depends on undefined service \"db\": invalid compose project"
        );
    }

    #[test]
    fn undefined_optional_dependency_is_left_out() {
        let mut services = project("web: cache:");
        services[0].depends_on.push(Dependency {
            service: "db".to_owned(),
            condition: Condition::Healthy,
            required: false,
            restart: false,
        });
        let graph = DependencyGraph::new(services).expect("graph");
        assert!(graph.dependencies("web").is_empty());
        assert_eq!(
            graph.start_order(),
            vec![vec!["cache".to_owned(), "web".to_owned()]]
        );
    }

    #[test]
    fn orders_layers_by_depth() {
        let graph = DependencyGraph::new(project("web:api,cache api:db,cache db: cache: admin:db"))
            .expect("graph");
        assert_eq!(
            graph.start_order(),
            vec![vec!["cache", "db"], vec!["admin", "api"], vec!["web"]]
        );
        // A service stops once everything depending on it has stopped.
        assert_eq!(
            graph.stop_order(),
            vec![vec!["admin", "web"], vec!["api"], vec!["cache", "db"]]
        );
        assert_eq!(graph.dependents("db"), vec!["admin", "api"]);
        assert_eq!(
            graph
                .dependencies("web")
                .iter()
                .map(|d| d.service.as_str())
                .collect::<Vec<_>>(),
            ["api", "cache"]
        );
        assert_eq!(
            graph.with_dependencies(&["api".to_owned()]),
            vec!["cache", "db", "api"]
        );
        assert_eq!(
            graph.with_dependencies(&["admin".to_owned(), "nope".to_owned()]),
            vec!["db", "admin"]
        );
    }

    #[test]
    fn resources_are_nodes_shared_between_services() {
        let mut services = project("web:db db:");
        services[0].networks = vec!["front".to_owned(), "back".to_owned(), "front".to_owned()];
        services[0].secrets = vec!["token".to_owned()];
        services[1].networks = vec!["back".to_owned()];
        services[1].volumes = vec!["data".to_owned()];
        services[1].configs = vec!["conf".to_owned()];
        let graph = DependencyGraph::new(services).expect("graph");
        assert_eq!(
            graph.resources("web"),
            vec![
                &Resource::Network("back".to_owned()),
                &Resource::Network("front".to_owned()),
                &Resource::Secret("token".to_owned())
            ]
        );
        assert_eq!(graph.resources("db").len(), 3);
        // 2 services + front, back, token, data, conf; web→db plus 3 + 3 resource edges.
        assert_eq!(graph.graph().node_count(), 7);
        assert_eq!(graph.graph().edge_count(), 7);
    }

    #[test]
    fn a_thousand_services_a_hundred_layers_deep_order_correctly() {
        // Layer L holds s{L}_{0..10}, each depending on all ten services of layer L-1: 10^99 paths
        // for a search without a visited set (compose-go's), 9,900 edges for this one.
        let name = |layer: usize, slot: usize| format!("s{layer:03}_{slot}");
        let mut services = Vec::new();
        for layer in 0..100 {
            for slot in 0..10 {
                let dependencies: Vec<String> = if layer == 0 {
                    Vec::new()
                } else {
                    (0..10).map(|other| name(layer - 1, other)).collect()
                };
                let dependencies: Vec<&str> = dependencies.iter().map(String::as_str).collect();
                services.push(service(&name(layer, slot), &dependencies));
            }
        }
        services.reverse();
        let graph = DependencyGraph::new(services).expect("graph");
        let start = graph.start_order();
        assert_eq!(start.len(), 100);
        for (layer, names) in start.iter().enumerate() {
            assert_eq!(
                names,
                &(0..10).map(|slot| name(layer, slot)).collect::<Vec<_>>()
            );
        }
        let mut stop = graph.stop_order();
        stop.reverse();
        assert_eq!(stop, start);
        let all = graph.with_dependencies(&[name(99, 3)]);
        assert_eq!(all.len(), 991);
        assert_eq!(all.last(), Some(&name(99, 3)));
    }

    #[test]
    fn a_long_cycle_is_found_without_recursion() {
        // 100,000 services in one chain closing on itself: an iterative search copes.
        let count = 100_000;
        let name = |index: usize| format!("s{index:06}");
        let services: Vec<ServiceNode> = (0..count)
            .map(|index| service(&name(index), &[&name((index + 1) % count)]))
            .collect();
        match DependencyGraph::new(services) {
            Err(GraphError::Cycle { cycle }) => {
                assert_eq!(cycle.len(), count + 1);
                assert_eq!(cycle.first(), cycle.last());
            }
            other => panic!("expected a cycle, got {other:?}"),
        }
    }
}
