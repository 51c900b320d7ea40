//! The `rebuild` action: build only the affected services' images, recreate their containers,
//! and bring the services that depend on them back up (Compose leaves them stopped,
//! docker/compose#12814, #13853, #11189), without rebuilding or recreating their dependencies
//! (#13717).

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;

use crate::cli::context::Session;
use crate::converge::observed::Observed;
use crate::converge::reconcile::{Recreate, UpOptions};
use crate::loader::Loaded;
use crate::model::Project;

/// Builds `services`, recreates their containers and starts them with their dependents.
///
/// # Errors
/// The build failed (the containers are left as they were), or the recreation failed.
pub async fn rebuild(
    session: &Session,
    loaded: &Loaded,
    services: &[String],
    prune: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let project = &loaded.project;
    let previous = image_ids(session, project, services).await;
    let options = crate::cli::build::BuildOptions {
        quiet,
        ..crate::cli::build::BuildOptions::default()
    };
    let builder = session
        .engine
        .checked(session.engine.default_builder())
        .await?;
    let built = crate::cli::build::build_services(session, loaded, services, &options, builder)
        .await
        .map_err(anyhow::Error::new)
        .inspect_err(|error| super::say(&format!("Build failed. Error: {error:#}")));
    session.progress.finish();
    let built = built?;
    super::say(&format!(
        "service(s) {} successfully built",
        super::go_quoted_list(services)
    ));
    let dependents = dependents(project, services);
    let everything: Vec<String> = services.iter().chain(&dependents).cloned().collect();
    let policy = crate::cli::up::ImagePolicy {
        pull: "policy".to_owned(),
        quiet_pull: true,
        build: crate::cli::up::BuildPolicy::Never,
        ..crate::cli::up::ImagePolicy::default()
    };
    let image_ids =
        crate::cli::up::ensure_images(session, loaded, &selection(project, &everything), &policy)
            .await?;
    let (networks, volumes) = crate::cli::up::project_resources(project);
    let base = UpOptions {
        project: project.name.clone(),
        separator: '-',
        recreate_dependencies: Recreate::Never,
        ..UpOptions::default()
    };
    // The rebuilt services, recreated whatever their hash says (Compose's `RecreateForce`);
    // then their dependents, recreated only when they diverged (a `network_mode: service:` or
    // `volumes_from` reference now names a new container) and started when stopped.
    let passes = [
        UpOptions {
            services: services.to_vec(),
            recreate: Recreate::Force,
            ..base.clone()
        },
        UpOptions {
            services: dependents.clone(),
            recreate: Recreate::Diverged,
            ..base
        },
    ];
    for options in passes.iter().filter(|options| !options.services.is_empty()) {
        let observed = Observed::collect(&session.engine, &project.name)
            .await
            .context("listing the project's resources")?;
        let up = crate::cli::up::plan_pass(
            loaded,
            &observed,
            (&networks, &volumes),
            &image_ids,
            options,
            (false, false),
        )?;
        let outcome = crate::cli::up::execute_up(session, &up).await;
        session.progress.finish();
        if let Err(error) = session.report(&up.plan, &outcome) {
            super::say(&format!(
                "Application failed to start after update. Error: {error:#}"
            ));
            return Err(error);
        }
    }
    if prune {
        prune_replaced(session, &previous, &built).await;
    }
    Ok(())
}

/// The services to plan for `services`: themselves and their dependencies.
fn selection(project: &Project, services: &[String]) -> Vec<String> {
    let options = UpOptions {
        services: services.to_vec(),
        ..UpOptions::default()
    };
    crate::converge::reconcile::selection(project, &options)
}

/// Every service that depends on one of `services`, directly or not, in project order.
fn dependents(project: &Project, services: &[String]) -> Vec<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = services.to_vec();
    while let Some(name) = pending.pop() {
        for service in project.services.values() {
            if service.depends_on.contains_key(&name)
                && !services.contains(&service.name)
                && found.insert(service.name.clone())
            {
                pending.push(service.name.clone());
            }
        }
    }
    project
        .services
        .keys()
        .filter(|name| found.contains(*name))
        .cloned()
        .collect()
}

/// The image IDs `services` use now, by service (those whose image is present).
async fn image_ids(
    session: &Session,
    project: &Project,
    services: &[String],
) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for name in services {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let reference = crate::cli::up::image_reference(project, service);
        if let Ok(Some(image)) = session.engine.find_image(&reference).await
            && let Some(id) = image.id
        {
            ids.insert(name.clone(), id);
        }
    }
    ids
}

/// `--prune`: removes the images the rebuild replaced once nothing uses or names them. Compose
/// tries before the old containers are gone, when the daemon still refuses; this runs after the
/// recreation, quietly (an image still in use elsewhere stays).
async fn prune_replaced(
    session: &Session,
    previous: &HashMap<String, String>,
    built: &HashMap<String, String>,
) {
    let kept: Vec<&String> = built.values().collect();
    let mut replaced: Vec<&String> = previous.values().filter(|id| !kept.contains(id)).collect();
    replaced.sort();
    replaced.dedup();
    for id in replaced {
        let dangling = session
            .engine
            .find_image(id)
            .await
            .ok()
            .flatten()
            .is_some_and(|image| image.repo_tags.as_ref().is_none_or(Vec::is_empty));
        if dangling {
            let _ = session.engine.remove_image(id, false).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependents_are_found_transitively_in_project_order() {
        let loaded = crate::loader::testing::load(
            "services:\n  db: {image: x}\n  api: {image: x, depends_on: [db]}\n  web: {image: x, depends_on: [api]}\n  other: {image: x}\n",
            &[],
        );
        assert_eq!(dependents(&loaded.project, &["db".into()]), ["api", "web"]);
        assert!(dependents(&loaded.project, &["web".into()]).is_empty());
    }
}
