//! `berth ls`: the Compose projects the engine runs, from one list call over every container that
//! carries a project and a config-hash label, grouped by project as `docker compose ls` groups
//! them.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use berth_engine::containers::LabelFilter;
use berth_engine::labels;
use clap::Args;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::context::block_on;
use super::print_stdout;
use super::table::tabulate;

// Arguments of `berth ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Show all stopped Compose projects.
    #[arg(short, long)]
    pub all: bool,
    /// Only display project names.
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter output based on conditions provided (`name=REGEX`).
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format the output. Values: [table | json].
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// One project as `ls` shows it (Compose's `stackView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The project name.
    pub name: String,
    /// `running(2), exited(1)`: states counted, sorted by state.
    pub status: String,
    /// The compose files of its containers, comma-joined, first seen first.
    pub config_files: String,
}

/// Runs `berth ls`.
///
/// # Errors
/// An invalid filter or format, or daemon errors.
pub fn run(args: &LsArgs) -> anyhow::Result<i32> {
    let mut names = Vec::new();
    for filter in &args.filter {
        match filter.split_once('=') {
            Some(("name", value)) => names.push(
                regex::Regex::new(value)
                    .with_context(|| format!("invalid filter value {value:?}"))?,
            ),
            Some((key, _)) => bail!("invalid filter '{key}'"),
            None => bail!(
                "invalid argument {filter:?} for \"--filter\" flag: bad format of filter (expected name=value)"
            ),
        }
    }
    let format = args.format.to_lowercase();
    if !matches!(format.as_str(), "table" | "pretty" | "" | "json") {
        bail!(
            "format value {:?} could not be parsed: parsing failed",
            args.format
        );
    }
    let containers: Vec<Listed> = block_on(async {
        // The list call is also the daemon check: it is the only request.
        let engine = berth_engine::Engine::open_default()?;
        let filter = LabelFilter::default()
            .with_key(labels::PROJECT)
            .with_key(labels::CONFIG_HASH);
        Ok(engine.list_containers_as(&filter, args.all).await?)
    })?;
    let stacks: Vec<Stack> = stacks(&containers)
        .into_iter()
        .filter(|stack| {
            names.is_empty()
                || names
                    .iter()
                    .any(|name| name.as_str() == stack.name || name.is_match(&stack.name))
        })
        .collect();
    if args.quiet {
        let out: String = stacks
            .iter()
            .map(|stack| format!("{}\n", stack.name))
            .collect();
        print_stdout(&out)?;
        return Ok(0);
    }
    print_stdout(&render(&format, &stacks))?;
    Ok(0)
}

/// What `ls` reads of a listed container: its state and two labels. Decoding only these (serde
/// skips the rest of each summary) costs a fraction of decoding whole summaries.
#[derive(Debug, Default, Deserialize)]
pub struct Listed {
    /// `running`, `exited`, …
    #[serde(rename = "State", default)]
    pub state: String,
    /// The labels `ls` shows.
    #[serde(rename = "Labels", default)]
    pub labels: Option<ListedLabels>,
}

/// The labels of a [`Listed`] container (names as in [`labels`]; a unit test holds them equal).
#[derive(Debug, Default, Deserialize)]
pub struct ListedLabels {
    /// `com.docker.compose.project`.
    #[serde(rename = "com.docker.compose.project", default)]
    pub project: String,
    /// `com.docker.compose.project.config_files`.
    #[serde(rename = "com.docker.compose.project.config_files")]
    pub config_files: Option<String>,
}

/// Groups containers by project (sorted by name), as Compose's `containersToStacks`.
#[must_use]
pub fn stacks(containers: &[Listed]) -> Vec<Stack> {
    let mut projects: BTreeMap<&str, Vec<&Listed>> = BTreeMap::new();
    for container in containers {
        let project = container
            .labels
            .as_ref()
            .map_or("", |labels| labels.project.as_str());
        projects.entry(project).or_default().push(container);
    }
    projects
        .into_iter()
        .map(|(name, containers)| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            let mut files: Vec<&str> = Vec::new();
            let mut missing_files = false;
            for container in &containers {
                *counts.entry(container.state.clone()).or_default() += 1;
                match container
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.config_files.as_deref())
                {
                    Some(list) => {
                        for file in list.split(',') {
                            if !files.contains(&file) {
                                files.push(file);
                            }
                        }
                    }
                    None => missing_files = true,
                }
            }
            let status = counts
                .iter()
                .map(|(state, count)| format!("{state}({count})"))
                .collect::<Vec<_>>()
                .join(", ");
            Stack {
                name: name.to_owned(),
                status,
                config_files: if missing_files {
                    "N/A".to_owned()
                } else {
                    files.join(",")
                },
            }
        })
        .collect()
}

/// The table (`NAME STATUS CONFIG FILES`, minimum column width 20) or the JSON array.
#[must_use]
pub fn render(format: &str, stacks: &[Stack]) -> String {
    if format == "json" {
        let array = stacks
            .iter()
            .map(|stack| {
                let mut object = Map::new();
                object.insert("Name".into(), Value::String(stack.name.clone()));
                object.insert("Status".into(), Value::String(stack.status.clone()));
                object.insert(
                    "ConfigFiles".into(),
                    Value::String(stack.config_files.clone()),
                );
                Value::Object(object)
            })
            .collect();
        return format!("{}\n", crate::output::json_compact(&Value::Array(array)));
    }
    let mut lines = vec!["NAME\tSTATUS\tCONFIG FILES".to_owned()];
    lines.extend(
        stacks
            .iter()
            .map(|stack| format!("{}\t{}\t{}", stack.name, stack.status, stack.config_files)),
    );
    tabulate(&lines, 20, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container as the daemon lists it (`GET /containers/json`), with Compose's labels.
    fn container(project: &str, state: &str, files: &str) -> Listed {
        let summary = serde_json::json!({
            "Id": "0123",
            "Names": [format!("/{project}-web-1")],
            "Image": "busybox:local",
            "State": state,
            "Status": "Up 2 seconds",
            "Labels": {
                labels::PROJECT: project,
                labels::CONFIG_FILES: files,
                labels::SERVICE: "web",
                labels::CONFIG_HASH: "abc",
            },
            "NetworkSettings": {"Networks": {"x_default": {"IPAddress": "172.18.0.2"}}},
            "Mounts": [],
        });
        serde_json::from_value(summary).expect("a listed container decodes")
    }

    #[test]
    fn projects_count_states_and_join_files() {
        let file = "/work/wt/cmds/tests/fixtures/cmds/basic/compose.yaml";
        let containers = vec![
            container("berthtest-cmds-try", "running", file),
            container("berthtest-cmds-try", "exited", file),
            container("a", "running", "/a/compose.yaml,/a/compose.override.yaml"),
            container("berthtest-cmds-try", "running", file),
        ];
        let stacks = stacks(&containers);
        assert_eq!(
            render("table", &stacks),
            "NAME                 STATUS                  CONFIG FILES\n\
             a                    running(1)              /a/compose.yaml,/a/compose.override.yaml\n\
             berthtest-cmds-try   exited(1), running(2)   /work/wt/cmds/tests/fixtures/cmds/basic/compose.yaml\n"
        );
        assert_eq!(
            render("json", &stacks[1..]),
            format!(
                "[{{\"Name\":\"berthtest-cmds-try\",\"Status\":\"exited(1), running(2)\",\"ConfigFiles\":\"{file}\"}}]\n"
            )
        );
        assert_eq!(render("json", &[]), "[]\n");
    }

    #[test]
    fn a_container_without_labels_or_config_files_is_listed_as_compose_lists_it() {
        let bare: Listed =
            serde_json::from_str(r#"{"State":"created","Labels":null}"#).expect("decodes");
        let unlabelled: Listed = serde_json::from_value(serde_json::json!({
            "State": "running",
            "Labels": {labels::PROJECT: "p"},
        }))
        .expect("decodes");
        let stacks = stacks(&[bare, unlabelled]);
        assert_eq!(
            stacks,
            vec![
                Stack {
                    name: String::new(),
                    status: "created(1)".to_owned(),
                    config_files: "N/A".to_owned(),
                },
                Stack {
                    name: "p".to_owned(),
                    status: "running(1)".to_owned(),
                    config_files: "N/A".to_owned(),
                },
            ]
        );
    }
}
