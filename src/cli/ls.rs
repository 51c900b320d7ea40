//! `berth ls`: the Compose projects the engine runs, from one list call over every container that
//! carries a project and a config-hash label, grouped by project as `docker compose ls` groups
//! them.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use berth_engine::containers::LabelFilter;
use berth_engine::labels;
use clap::Args;
use serde_json::{Map, Value};

use super::context::block_on;
use super::print_stdout;
use super::table::tabulate;
use crate::converge::observed::ObservedContainer;

/// Arguments of `berth ls`.
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
    let containers = block_on(async {
        // The daemon check rides along with the one list call.
        let engine = berth_engine::Engine::open_default()?;
        let filter = LabelFilter::default()
            .with_key(labels::PROJECT)
            .with_key(labels::CONFIG_HASH);
        Ok(engine
            .checked(engine.list_containers(&filter, args.all))
            .await?)
    })?;
    let containers: Vec<ObservedContainer> = containers
        .into_iter()
        .map(|summary| ObservedContainer { summary })
        .collect();
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

/// Groups containers by project (sorted by name), as Compose's `containersToStacks`.
#[must_use]
pub fn stacks(containers: &[ObservedContainer]) -> Vec<Stack> {
    let mut projects: BTreeMap<&str, Vec<&ObservedContainer>> = BTreeMap::new();
    for container in containers {
        projects
            .entry(container.label(labels::PROJECT))
            .or_default()
            .push(container);
    }
    projects
        .into_iter()
        .map(|(name, containers)| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            let mut files: Vec<&str> = Vec::new();
            let mut missing_files = false;
            for container in &containers {
                *counts.entry(container.state()).or_default() += 1;
                match container
                    .summary
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(labels::CONFIG_FILES))
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
    use std::collections::HashMap;

    use berth_engine::models::{ContainerSummary, ContainerSummaryStateEnum};

    use super::*;

    fn container(
        project: &str,
        state: ContainerSummaryStateEnum,
        files: &str,
    ) -> ObservedContainer {
        ObservedContainer {
            summary: ContainerSummary {
                labels: Some(HashMap::from([
                    (labels::PROJECT.to_owned(), project.to_owned()),
                    (labels::CONFIG_FILES.to_owned(), files.to_owned()),
                ])),
                state: Some(state),
                ..Default::default()
            },
        }
    }

    #[test]
    fn projects_count_states_and_join_files() {
        use ContainerSummaryStateEnum::{EXITED, RUNNING};
        let file = "/work/wt/cmds/tests/fixtures/cmds/basic/compose.yaml";
        let containers = vec![
            container("berthtest-cmds-try", RUNNING, file),
            container("berthtest-cmds-try", EXITED, file),
            container("a", RUNNING, "/a/compose.yaml,/a/compose.override.yaml"),
            container("berthtest-cmds-try", RUNNING, file),
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
}
