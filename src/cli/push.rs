//! `berth push`: pushes the selected services' images as `docker compose push` v2.40.3 does:
//! only services with both a `build` section and an `image` are pushed (the others are
//! `Skipped`), each with its `build.tags` too, with the Docker CLI's credentials for the
//! registry. Services push in parallel; a service's tags go one after another, each tag once.
//! Progress lines are Compose's `Pushing <tag>: <layer>` events.

use anyhow::bail;
use berth_engine::EventStatus;
use berth_engine::images::Progress as LayerProgress;
use clap::Args;
use futures_util::future::join_all;

use super::Cli;
use super::context::{Session, block_on};
use super::target::Target;
use crate::progress::Detail;

// Arguments of `berth push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Push what it can and ignores images with push failures.
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push images of services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Push without printing progress information.
    #[arg(short, long)]
    pub quiet: bool,
    /// Services to push (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Runs `berth push`.
///
/// # Errors
/// Loading errors and push failures (unless `--ignore-push-failures`).
pub fn run(cli: &Cli, args: &PushArgs) -> anyhow::Result<i32> {
    let target = Target::load(cli, &args.services)?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    let project = &loaded.project;
    let names = super::pull::selected(project, &args.services, args.include_deps)?;
    block_on(async {
        let session = Session::open_titled("Pushing").await?;
        let pushed = push_services(
            &session,
            project,
            &names,
            args.quiet,
            args.ignore_push_failures,
        )
        .await;
        session.progress.finish();
        pushed.map(|()| 0)
    })
}

/// Pushes the images of `names` that have both `build` and `image` (with their `build.tags`),
/// services in parallel and each service's tags in turn, every tag once; the others are reported
/// `Skipped`. Shared with `build --push`.
///
/// # Errors
/// Every failed push, unless `ignore_failures` (then each is a warning).
pub(crate) async fn push_services(
    session: &Session,
    project: &crate::model::Project,
    names: &[String],
    quiet: bool,
    ignore_failures: bool,
) -> anyhow::Result<()> {
    let progress = &session.progress;
    let mut jobs = Vec::new();
    for (name, tags) in plan(project, names) {
        let Some(tags) = tags else {
            if !quiet {
                progress.detail(&Detail {
                    id: name.to_owned(),
                    parent_id: String::new(),
                    text: "Skipped".to_owned(),
                    status_text: String::new(),
                    status: EventStatus::Done,
                    current: 0,
                    total: 0,
                    percent: 0,
                });
            }
            continue;
        };
        jobs.push(async move {
            let mut results = Vec::with_capacity(tags.len());
            for tag in tags {
                let on_progress = |message: &LayerProgress| {
                    if !quiet {
                        push_event(session, &tag, message);
                    }
                };
                let result = session
                    .engine
                    .checked(session.engine.push_image(&tag, &on_progress))
                    .await;
                results.push((name.to_owned(), tag, result));
            }
            results
        });
    }
    let results = join_all(jobs).await.into_iter().flatten();
    let mut failures = Vec::new();
    for (name, tag, result) in results {
        if let Err(error) = result {
            if ignore_failures {
                session
                    .progress
                    .warning(&format!("Pushing {name}: {error}"));
            } else {
                failures.push(format!("service {name:?}: pushing image {tag:?}: {error}"));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(failures.join("\n")))
    }
}

/// What `push` does per service of `names`: `None` when it is skipped (no `build` or no
/// `image`), else its tags in order, `image` first, then `build.tags`. One service's tags are one
/// image, pushed one after another so that the later ones find every layer already there (pushed
/// at once, the same blobs race in the registry, and the Distribution registry answers 500 to one
/// of them now and then); a tag an earlier service pushes is not pushed again.
fn plan<'a>(
    project: &crate::model::Project,
    names: &'a [String],
) -> Vec<(&'a str, Option<Vec<String>>)> {
    let mut claimed = std::collections::HashSet::new();
    names
        .iter()
        .map(|name| {
            let service = &project.services[name.as_str()];
            let tags = service
                .build
                .as_ref()
                .filter(|_| !service.image.is_empty())
                .map(|build| {
                    std::iter::once(&service.image)
                        .chain(&build.tags.0)
                        .filter(|tag| claimed.insert(tag.as_str().to_owned()))
                        .cloned()
                        .collect()
                });
            (name.as_str(), tags)
        })
        .collect()
}

/// Compose's `toPushProgressEvent`: layer messages as `Pushing <tag>: <layer>` lines.
fn push_event(session: &Session, tag: &str, message: &LayerProgress) {
    // bollard's `PushImageInfo` carries no layer ID: one line per tag.
    let layer = message.id.as_deref().unwrap_or_default();
    if layer.is_empty() && !message.detailed {
        return;
    }
    let done = matches!(
        message.status.to_lowercase().as_str(),
        "pushed" | "layer already exists"
    );
    let (mut current, mut total, mut percent) = (0, 0, if done { 100 } else { 0 });
    let mut text = String::new();
    if message.detailed {
        text = super::pull::progress_bar(message.current, message.total);
        if message.total != 0 {
            current = message.current;
            total = message.total;
            if total > 0 {
                percent = current * 100 / total;
            }
        }
    }
    session.progress.detail(&Detail {
        id: if layer.is_empty() {
            format!("Pushing {tag}")
        } else {
            format!("Pushing {tag}: {layer}")
        },
        parent_id: String::new(),
        text: message.status.clone(),
        status_text: text,
        status: if done {
            EventStatus::Done
        } else {
            EventStatus::Working
        },
        current,
        total,
        percent,
    });
}

#[cfg(test)]
mod tests {
    use super::plan;

    #[test]
    fn a_services_tags_go_in_turn_and_each_tag_once() {
        let project = crate::loader::testing::load(
            "services:\n  app:\n    image: r/app:1\n    build:\n      context: .\n      tags: [r/app:latest, r/shared:1]\n  twin:\n    image: r/app:1\n    build: .\n  other:\n    image: r/other:1\n    build:\n      context: .\n      tags: [r/shared:1]\n  pulled:\n    image: busybox\n",
            &[],
        )
        .project;
        let names: Vec<String> = ["app", "twin", "other", "pulled"]
            .map(str::to_owned)
            .to_vec();
        let tags = |list: &[&str]| Some(list.iter().map(|tag| (*tag).to_owned()).collect());
        assert_eq!(
            plan(&project, &names),
            vec![
                ("app", tags(&["r/app:1", "r/app:latest", "r/shared:1"])),
                ("twin", tags(&[])),
                ("other", tags(&["r/other:1"])),
                ("pulled", None),
            ]
        );
    }
}
