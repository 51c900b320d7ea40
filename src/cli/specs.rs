//! The bridge between the planner and the translation of services into engine specs: it knows the
//! loaded project, the image IDs and what runs, and answers [`Specs`] for one `up`.

use std::collections::HashMap;

use berth_engine::{ContainerSpec, NetworkSpec, VolumeSpec};

use crate::converge::container::{self, ProjectContext, ReplicaContext};
use crate::converge::observed::Observed;
use crate::converge::reconcile::{Replica, Specs};
use crate::loader::Loaded;
use crate::model::ServiceConfig;

/// [`Specs`] for one `up` of a loaded project.
pub struct ProjectSpecs<'a> {
    context: ProjectContext<'a>,
    image_ids: &'a HashMap<String, String>,
    /// Service name → the container `service:` references resolve to (its first replica).
    containers: HashMap<String, String>,
    /// Service name → its containers' names, which `links` point at.
    linked: HashMap<String, Vec<String>>,
    observed: &'a Observed,
    renew_anonymous_volumes: bool,
}

impl<'a> ProjectSpecs<'a> {
    /// Specs for `loaded`, with the services' image IDs and the observed state.
    #[must_use]
    pub fn new(
        loaded: &'a Loaded,
        image_ids: &'a HashMap<String, String>,
        observed: &'a Observed,
        compatibility: bool,
        renew_anonymous_volumes: bool,
    ) -> Self {
        let separator = if compatibility { '_' } else { '-' };
        let project = &loaded.project;
        let containers: HashMap<String, String> = project
            .services
            .values()
            .map(|service| {
                // Compose resolves references to the first container's full ID.
                let first = observed
                    .service_containers(&service.name)
                    .next()
                    .map(|container| container.id().to_owned())
                    .unwrap_or_else(|| {
                        crate::converge::reconcile::container_name(
                            &project.name,
                            service,
                            1,
                            separator,
                        )
                    });
                (service.name.clone(), first)
            })
            .collect();
        let linked = containers
            .keys()
            .map(|service| {
                let mut names: Vec<String> = observed
                    .service_containers(service)
                    .map(|container| container.name().to_owned())
                    .collect();
                if names.is_empty() {
                    names.push(crate::converge::reconcile::container_name(
                        &project.name,
                        &project.services[service.as_str()],
                        1,
                        separator,
                    ));
                }
                (service.clone(), names)
            })
            .collect();
        Self {
            context: ProjectContext {
                project,
                working_dir: &loaded.working_dir,
                config_files: &loaded.config_files,
                env_files: loaded
                    .explicit_env_files
                    .then_some(loaded.env_files.as_slice()),
            },
            image_ids,
            containers,
            linked,
            observed,
            renew_anonymous_volumes,
        }
    }
}

impl ProjectSpecs<'_> {
    /// The spec of a one-off (`run`) container of `service`, named by its `container_name`.
    ///
    /// # Errors
    /// A service attribute that cannot be expressed.
    pub fn one_off(
        &self,
        service: &ServiceConfig,
        hash: &str,
        one_off: container::OneOff,
    ) -> anyhow::Result<ContainerSpec> {
        let image_id = self.image_ids.get(&service.name).map_or("", String::as_str);
        let context = ReplicaContext {
            name: service.container_name.clone(),
            number: 0,
            config_hash: hash,
            image_id,
            replace: None,
            one_off: Some(one_off),
            containers: &self.containers,
            linked: &self.linked,
            inherit_anonymous_volumes_from: None,
        };
        Ok(container::container_spec(&self.context, service, &context)?)
    }
}

impl Specs for ProjectSpecs<'_> {
    fn container(
        &self,
        service: &ServiceConfig,
        replica: &Replica<'_>,
    ) -> anyhow::Result<ContainerSpec> {
        let image_id = self.image_ids.get(&service.name).map_or("", String::as_str);
        let _ = self.observed;
        let inherited = if self.renew_anonymous_volumes {
            None
        } else {
            replica.replaces.map(|container| &container.summary)
        };
        let context = ReplicaContext {
            name: replica.name.clone(),
            number: replica.number,
            config_hash: replica.hash,
            image_id,
            replace: replica
                .replaces
                .map(|container| format!("{}-{}", service.name, container.number())),
            one_off: None,
            containers: &self.containers,
            linked: &self.linked,
            inherit_anonymous_volumes_from: inherited,
        };
        Ok(container::container_spec(&self.context, service, &context)?)
    }

    fn network(&self, key: &str) -> NetworkSpec {
        container::network_spec(&self.context, key, &self.context.project.networks[key])
    }

    fn volume(&self, key: &str) -> VolumeSpec {
        container::volume_spec(&self.context, key, &self.context.project.volumes[key])
    }
}
