//! `berth pull`: pulls the selected services' images as `docker compose pull` v2.40.3 does:
//! services without an image, with pull policy `never`/`build`, or (policy `missing`) whose image
//! is present are skipped with Compose's words; each image is pulled once, in parallel, with the
//! Docker CLI's credentials for its registry. Progress: one line per service, and per layer in
//! plain and json modes (Compose's `Text` and progress bar), aggregated bytes on a terminal.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use anyhow::bail;
use berth_engine::EventStatus;
use berth_engine::images::Progress as LayerProgress;
use clap::Args;
use futures_util::future::join_all;

use super::Cli;
use super::context::{Session, block_on};
use super::target::Target;
use crate::model::{Project, ServiceConfig};
use crate::progress::{Detail, Progress};

// Arguments of `berth pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Pull without printing progress information.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also pull services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Pull what it can and ignores images with pull failures.
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Ignore images that can be built.
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Apply pull policy ("missing"|"always").
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<String>,
    /// DEPRECATED disable parallel pulling.
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub no_parallel: Option<String>,
    /// Services to pull (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// The services a pull or push acts on: the named ones (all when none), with their dependencies
/// when `include_deps`, in the files' order.
///
/// # Errors
/// A named service the project does not have.
pub fn selected(
    project: &Project,
    services: &[String],
    include_deps: bool,
) -> anyhow::Result<Vec<String>> {
    for service in services {
        if !project.services.contains_key(service) {
            bail!("no such service: {service}");
        }
    }
    if services.is_empty() {
        return Ok(project.services.keys().cloned().collect());
    }
    let mut wanted: HashSet<String> = services.iter().cloned().collect();
    if include_deps {
        let mut pending = services.to_vec();
        while let Some(name) = pending.pop() {
            for dependency in project.services[name.as_str()].depends_on.keys() {
                if project.services.contains_key(dependency) && wanted.insert(dependency.clone()) {
                    pending.push(dependency.clone());
                }
            }
        }
    }
    Ok(project
        .services
        .keys()
        .filter(|name| wanted.contains(*name))
        .cloned()
        .collect())
}

/// Runs `berth pull`.
///
/// # Errors
/// Loading errors, a bad policy, and pull failures (unless `--ignore-pull-failures`).
pub fn run(cli: &Cli, args: &PullArgs) -> anyhow::Result<i32> {
    // Compose's deprecated `--parallel` of `pull` is shadowed by berth's global `--parallel`.
    if args.no_parallel.is_some() {
        eprint!("\x1b[31moption '--no-parallel' is DEPRECATED and will be ignored.\n\x1b[0m");
    }
    let target = Target::load(cli, &args.services)?;
    let Some(loaded) = &target.loaded else {
        bail!("no configuration file provided: not found");
    };
    let project = &loaded.project;
    let names = selected(project, &args.services, args.include_deps)?;
    // Like Compose, any `--policy` other than `missing` (or `never`/`build`) pulls.
    block_on(async {
        let session = Session::open_titled("Pulling").await?;
        let references: Vec<String> = names
            .iter()
            .map(|name| &project.services[name.as_str()].image)
            .filter(|image| !image.is_empty())
            .cloned()
            .collect();
        let present = session
            .engine
            .checked(session.engine.image_ids_by_tag(&references))
            .await?;
        // Compose fails fast: the first image that can be neither pulled nor built interrupts
        // the others (unless failures are ignored).
        let stop = session.cancel.child_token();
        let mut jobs = Vec::new();
        let mut being_pulled: HashMap<&str, &str> = HashMap::new();
        for name in &names {
            let service = &project.services[name.as_str()];
            let skipped = |text: String| {
                session.progress.detail(&Detail {
                    id: name.clone(),
                    parent_id: String::new(),
                    text,
                    status_text: String::new(),
                    status: EventStatus::Done,
                    current: 0,
                    total: 0,
                    percent: 0,
                });
            };
            if service.image.is_empty() {
                skipped("Skipped - No image to be pulled".to_owned());
                continue;
            }
            let policy = args.policy.as_deref().unwrap_or(&service.pull_policy);
            match policy {
                "never" | "build" => {
                    skipped("Skipped".to_owned());
                    continue;
                }
                "missing" | "if_not_present" if already_present(&service.image, &present) => {
                    skipped("Skipped - Image is already present locally".to_owned());
                    continue;
                }
                _ => {}
            }
            if service.build.is_some() && args.ignore_buildable {
                skipped("Skipped - Image can be built".to_owned());
                continue;
            }
            if let Some(other) = being_pulled.get(service.image.as_str()) {
                skipped(format!(
                    "Skipped - Image is already being pulled by {other}"
                ));
                continue;
            }
            being_pulled.insert(&service.image, name);
            jobs.push(pull_service(
                &session,
                service,
                args.quiet,
                (&stop, !args.ignore_pull_failures),
            ));
        }
        let results = join_all(jobs).await;
        let mut must_build = Vec::new();
        let mut failures = Vec::new();
        for (service, result) in results {
            if let Err(error) = result {
                if service.build.is_some() {
                    must_build.push(service.name.clone());
                } else {
                    failures.push(error);
                }
            }
        }
        session.progress.finish();
        if session.cancel.is_cancelled() {
            return Ok(130);
        }
        if !must_build.is_empty() {
            session.progress.warning(&format!(
                "WARNING: Some service image(s) must be built from source by running:\n    docker compose build {}",
                must_build.join(" ")
            ));
        }
        if args.ignore_pull_failures || failures.is_empty() {
            return Ok(0);
        }
        Err(anyhow::anyhow!(failures.join("\n")))
    })
}

/// Compose's `imageAlreadyPresent`: present by its name, and `latest` always pulled again.
fn already_present(image: &str, present: &HashMap<String, String>) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return present.contains_key(image);
    }
    match last.split_once(':') {
        Some((_, tag)) => tag != "latest" && present.contains_key(image),
        // An untagged name is `latest`, pulled again.
        None => false,
    }
}

/// Pulls one service's image, reporting it as Compose's `pullServiceImage` does; `stop`
/// interrupts it, and a failure of an image that cannot be built triggers `stop` when
/// `fail_fast`.
pub(crate) async fn pull_service<'a>(
    session: &Session,
    service: &'a ServiceConfig,
    quiet: bool,
    (stop, fail_fast): (&tokio_util::sync::CancellationToken, bool),
) -> (&'a ServiceConfig, Result<(), String>) {
    let progress = &session.progress;
    let parent = |status: EventStatus, text: &str, status_text: &str| {
        progress.detail(&Detail {
            id: service.name.clone(),
            parent_id: String::new(),
            text: text.to_owned(),
            status_text: status_text.to_owned(),
            status,
            current: 0,
            total: 0,
            percent: 0,
        });
    };
    parent(EventStatus::Working, "Pulling", "");
    let layers = Mutex::new(Layers::default());
    let on_progress = |message: &LayerProgress| {
        if quiet {
            return;
        }
        layer_event(progress, &service.name, message, &layers);
    };
    let platform = if service.platform.is_empty() {
        std::env::var("DOCKER_DEFAULT_PLATFORM").unwrap_or_default()
    } else {
        service.platform.clone()
    };
    let pulled = tokio::select! {
        pulled = session.engine.pull_image(&service.image, &platform, &on_progress) => pulled,
        () = stop.cancelled() => {
            progress.detail(&Detail {
                id: service.name.clone(),
                parent_id: String::new(),
                text: String::new(),
                status_text: "Interrupted".to_owned(),
                status: EventStatus::Warning,
                current: 0,
                total: 0,
                percent: 0,
            });
            return (service, Ok(()));
        }
    };
    match pulled {
        Ok(()) => {
            parent(EventStatus::Done, "Pulled", "");
            (service, Ok(()))
        }
        Err(error) => {
            let message = error.to_string();
            let status = if service.build.is_some() {
                EventStatus::Warning
            } else {
                EventStatus::Error
            };
            let word = if service.build.is_some() {
                "Warning"
            } else {
                "Error"
            };
            parent(status, word, &message);
            if fail_fast && service.build.is_none() {
                stop.cancel();
            }
            (
                service,
                Err(format!(
                    "service {:?}: pulling image {:?}: {message}",
                    service.name, service.image
                )),
            )
        }
    }
}

/// Each layer's latest bytes, for the aggregated line on a terminal.
#[derive(Default)]
struct Layers {
    order: Vec<String>,
    state: HashMap<String, (EventStatus, i64, i64, i64)>,
}

/// Compose's `percentChars`: one character per layer, filling as it completes.
const PERCENT_CHARS: [&str; 9] = ["⠀", "⡀", "⣀", "⣄", "⣤", "⣦", "⣶", "⣷", "⣿"];

/// Compose's `toPullProgressEvent`: one event per layer message that has an ID and a progress
/// detail; on a terminal, the service's line shows every layer's completion and the bytes.
fn layer_event(progress: &Progress, parent: &str, message: &LayerProgress, layers: &Mutex<Layers>) {
    let Some(id) = &message.id else { return };
    if !message.detailed {
        return;
    }
    let (mut status, mut current, mut total, mut percent) = (EventStatus::Working, 0, 0, 0);
    match message.status.as_str() {
        "Downloading" | "Extracting" | "Verifying Checksum" => {
            current = message.current;
            total = message.total;
            if total > 0 {
                percent = current * 100 / total;
            }
        }
        "Download complete" | "Already exists" | "Pull complete" => {
            status = EventStatus::Done;
            percent = 100;
        }
        _ => {}
    }
    if message.status.contains("Image is up to date")
        || message.status.contains("Downloaded newer image")
    {
        status = EventStatus::Done;
        percent = 100;
    }
    if !progress.is_live() {
        progress.detail(&Detail {
            id: id.clone(),
            parent_id: parent.to_owned(),
            text: message.status.clone(),
            status_text: progress_bar(message.current, message.total),
            status,
            current,
            total,
            percent,
        });
        return;
    }
    let text = {
        let mut layers = layers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !layers.state.contains_key(id) {
            layers.order.push(id.clone());
        }
        let entry = layers.state.entry(id.clone()).or_insert((status, 0, 0, 0));
        // Progress only goes up, as Compose's display merges it.
        entry.0 = status;
        entry.1 = entry.1.max(current);
        entry.2 = entry.2.max(total);
        entry.3 = entry.3.max(percent);
        aggregate(&layers)
    };
    progress.detail(&Detail {
        id: parent.to_owned(),
        parent_id: String::new(),
        text,
        status_text: String::new(),
        status: EventStatus::Working,
        current: 0,
        total: 0,
        percent: 0,
    });
}

/// The service's line while it pulls, as Compose's `lineText` aggregates its children:
/// `[⣿⣿⣄] 1.2MB / 3.4MB Pulling`, the bytes only once every unfinished layer has a total.
fn aggregate(layers: &Layers) -> String {
    let mut completion = String::new();
    let (mut current, mut total, mut hide) = (0, 0, false);
    for id in &layers.order {
        let (status, layer_current, layer_total, percent) = layers.state[id];
        if status == EventStatus::Working && layer_total == 0 {
            hide = true;
        }
        current += layer_current;
        total += layer_total;
        let index = usize::try_from(percent.clamp(0, 100) * 8 / 100).unwrap_or(0);
        completion.push_str(PERCENT_CHARS[index]);
    }
    if total == 0 || hide {
        return format!("[{completion}] Pulling");
    }
    #[expect(clippy::cast_precision_loss, reason = "sizes are shown to 4 digits")]
    let (current, total) = (current as f64, total as f64);
    format!(
        "[{completion}] {:>7} / {:<7} Pulling",
        super::inspect::human_size(current, 4),
        super::inspect::human_size(total, 4)
    )
}

/// The Docker CLI's `JSONProgress.String` at Compose's width (200 columns: a bar, then
/// `current/total`).
#[must_use]
pub fn progress_bar(current: i64, total: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "sizes are shown to 4 digits")]
    let size = |bytes: i64| super::inspect::human_size(bytes as f64, 4);
    if current <= 0 && total <= 0 {
        return String::new();
    }
    if total <= 0 {
        return format!("{:>8}", size(current));
    }
    let percentage = usize::try_from((current * 100 / total / 2).clamp(0, 50)).unwrap_or(0);
    let bar = format!(
        "[{}>{}] ",
        "=".repeat(percentage),
        " ".repeat(50 - percentage)
    );
    let numbers = if current > total {
        String::new()
    } else {
        format!("{:>8}/{}", size(current), size(total))
    };
    format!("{bar}{numbers}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bars_read_as_the_docker_cli_prints_them() {
        assert_eq!(progress_bar(0, 0), "");
        assert_eq!(progress_bar(1500, 0), "   1.5kB");
        assert_eq!(
            progress_bar(1_000_000, 4_000_000),
            format!("[{}>{}]      1MB/4MB", "=".repeat(12), " ".repeat(38))
        );
    }

    #[test]
    fn latest_is_never_already_present() {
        let present = HashMap::from([
            ("a:1".to_owned(), "id".to_owned()),
            ("a:latest".to_owned(), "id".to_owned()),
        ]);
        assert!(already_present("a:1", &present));
        assert!(!already_present("a:latest", &present));
        assert!(!already_present("a", &present));
        assert!(!already_present("a:2", &present));
    }

    #[test]
    fn the_terminal_line_aggregates_layers() {
        let mut layers = Layers::default();
        for (id, state) in [
            ("l1", (EventStatus::Done, 0, 0, 100)),
            ("l2", (EventStatus::Working, 500_000, 1_000_000, 50)),
        ] {
            layers.order.push(id.to_owned());
            layers.state.insert(id.to_owned(), state);
        }
        assert_eq!(aggregate(&layers), "[⣿⣤]   500kB / 1MB     Pulling");
    }
}
