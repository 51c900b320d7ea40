//! `berth top`: the processes of a project's running containers, as `docker compose top` prints
//! them: one table for all containers, each process a row led by its service and replica number,
//! the daemon's `ps` columns after them and `CMD` last.
//!
//! Like Compose, the service names are not checked: a name without running containers prints
//! nothing.

use clap::Args;
use futures_util::future::try_join_all;

use super::context::block_on;
use super::inspect::project_name;
use super::table::tabulate;
use super::target::{OneOff, daemon_error, list_containers};
use super::{Cli, print_stdout};

// Arguments of `berth top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// Services to show (default: all).
    #[arg(value_name = "SERVICES")]
    pub services: Vec<String>,
}

/// One container's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerProcesses {
    /// Container name (the table's sort key).
    pub name: String,
    /// Service label, or the name when absent.
    pub service: String,
    /// Replica number label, or empty.
    pub replica: String,
    /// The daemon's `ps` answer.
    pub processes: berth_engine::inspect::Processes,
}

/// Runs `berth top`.
///
/// # Errors
/// Loading or daemon errors (a container that stopped meanwhile, in the daemon's words).
pub fn run(cli: &Cli, args: &TopArgs) -> anyhow::Result<i32> {
    let project = project_name(cli)?.to_lowercase();
    let mut containers = block_on(async {
        let engine = berth_engine::Engine::open_default()?;
        let mut containers = engine
            .checked(list_containers(
                &engine,
                &project,
                OneOff::Include,
                false,
                &[],
            ))
            .await?;
        if !args.services.is_empty() {
            containers.retain(|container| args.services.iter().any(|s| s == container.service()));
        }
        try_join_all(containers.iter().map(|container| {
            let engine = engine.clone();
            async move {
                let processes = engine.top(container.id()).await.map_err(daemon_error)?;
                let service = match container.label(berth_engine::labels::SERVICE) {
                    "" => container.name().to_owned(),
                    service => service.to_owned(),
                };
                anyhow::Ok(ContainerProcesses {
                    name: container.name().to_owned(),
                    service,
                    replica: container
                        .label(berth_engine::labels::CONTAINER_NUMBER)
                        .to_owned(),
                    processes,
                })
            }
        }))
        .await
    })?;
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    print_stdout(&render(&containers))?;
    Ok(0)
}

/// Compose's `collectTop` and `topPrint`: `SERVICE`, `#`, then every title in the order first
/// seen, `CMD` moved last; a cell a container's `ps` did not report is `-`. Nothing at all when
/// there is no process.
#[must_use]
pub fn render(containers: &[ContainerProcesses]) -> String {
    let mut header: Vec<String> = vec!["SERVICE".to_owned(), "#".to_owned()];
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    for container in containers {
        for process in &container.processes.rows {
            let mut row = vec![
                ("SERVICE".to_owned(), container.service.clone()),
                ("#".to_owned(), container.replica.clone()),
            ];
            for (index, title) in container.processes.titles.iter().enumerate() {
                if !header.contains(title) {
                    header.push(title.clone());
                }
                row.push((
                    title.clone(),
                    process.get(index).cloned().unwrap_or_default(),
                ));
            }
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    if let Some(position) = header.iter().position(|title| title == "CMD") {
        let command = header.remove(position);
        header.push(command);
    }
    let mut lines = vec![header.join("\t")];
    for row in &rows {
        let cells: Vec<&str> = header
            .iter()
            .map(|title| {
                row.iter()
                    .find(|(key, _)| key == title)
                    .map_or("-", |(_, value)| value.as_str())
            })
            .collect();
        lines.push(cells.join("\t"));
    }
    tabulate(&lines, 4, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn container(name: &str, service: &str, replica: &str, rows: &[&[&str]]) -> ContainerProcesses {
        ContainerProcesses {
            name: name.to_owned(),
            service: service.to_owned(),
            replica: replica.to_owned(),
            processes: berth_engine::inspect::Processes {
                titles: strings(&["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]),
                rows: rows.iter().map(|row| strings(row)).collect(),
            },
        }
    }

    #[test]
    fn one_table_led_by_service_and_replica_as_compose_prints_it() {
        // `docker compose top` 2.40.3 on two services.
        let containers = [
            container(
                "p-db-1",
                "db",
                "1",
                &[&[
                    "root",
                    "30721",
                    "30684",
                    "0",
                    "12:01",
                    "?",
                    "00:00:00",
                    "sleep 3600",
                ]],
            ),
            container(
                "p-web-1",
                "web",
                "1",
                &[
                    &[
                        "root",
                        "31355",
                        "31333",
                        "2",
                        "12:01",
                        "?",
                        "00:00:00",
                        "sh -c trap \"exit 0\" TERM; while true; do sleep 1; done",
                    ],
                    &[
                        "root", "31406", "31355", "0", "12:01", "?", "00:00:00", "sleep 1",
                    ],
                ],
            ),
        ];
        assert_eq!(
            render(&containers),
            "SERVICE  #   UID   PID    PPID   C   STIME  TTY  TIME      CMD\n\
             db       1   root  30721  30684  0   12:01  ?    00:00:00  sleep 3600\n\
             web      1   root  31355  31333  2   12:01  ?    00:00:00  sh -c trap \"exit 0\" TERM; while true; do sleep 1; done\n\
             web      1   root  31406  31355  0   12:01  ?    00:00:00  sleep 1\n"
        );
    }

    #[test]
    fn cmd_goes_last_and_missing_cells_are_dashes() {
        let mut first = container("a", "a", "1", &[]);
        first.processes = berth_engine::inspect::Processes {
            titles: strings(&["PID", "CMD", "USER"]),
            rows: vec![strings(&["1", "sh", "root"])],
        };
        let mut second = container("b", "b", "1", &[]);
        second.processes = berth_engine::inspect::Processes {
            titles: strings(&["PID", "CMD"]),
            rows: vec![strings(&["2", "top"])],
        };
        assert_eq!(
            render(&[first, second]),
            "SERVICE  #   PID  USER  CMD\na        1   1    root  sh\nb        1   2    -     top\n"
        );
        assert_eq!(render(&[container("a", "a", "1", &[])]), "");
    }
}
