//! `berth ps`: a project's containers, printed as `docker compose ps` prints them (table, JSON
//! lines, IDs, service names or a Go-style template).
//!
//! Compose lists the containers and then inspects each one for its health and exit code (52
//! requests for 50 services). berth makes the one list call and reads both from the list's status
//! text (`Up 3 seconds (healthy)`, `Exited (3) 2 seconds ago`), which the daemon derives from the
//! same state.

use std::fmt::Write as _;

use anyhow::bail;
use clap::{ArgAction, Args};
use serde_json::{Map, Value};

use super::context::block_on;
use super::table::{ellipsis, go_time_string, human_duration, now_unix, tabulate, truncate_id};
use super::target::{OneOff, Target, list_containers};
use super::{Cli, print_stdout};
use crate::converge::observed::ObservedContainer;

// Arguments of `berth ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all stopped containers (including those created by the run command).
    #[arg(short, long)]
    pub all: bool,
    /// Only display IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Display services.
    #[arg(long)]
    pub services: bool,
    /// Filter services by status. Values: [paused | restarting | removing | running | dead |
    /// created | exited].
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,
    /// Filter services by a property (supported filters: status).
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,
    /// Format the output: `table`, `json`, or a Go template (`table {{.Name}}\t{{.State}}`).
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Include orphaned services (not declared by project).
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_value_t = true,
          default_missing_value = "true", value_name = "BOOL")]
    pub orphans: bool,
    /// Services to list.
    #[arg(value_name = "SERVICE")]
    pub service_names: Vec<String>,
}

/// Runs `berth ps`.
///
/// # Errors
/// A bad filter, an unknown service, loading or daemon errors.
pub fn run(cli: &Cli, args: &PsArgs) -> anyhow::Result<i32> {
    let mut statuses = args.status.clone();
    if let Some(filter) = &args.filter {
        match filter.split_once('=') {
            None => bail!("arguments to --filter should be in form KEY=VAL"),
            Some(("status", value)) => statuses.push(value.to_owned()),
            Some(("source", _)) => bail!("not implemented"),
            Some((key, _)) => bail!("unknown filter {key}"),
        }
    }
    let target = Target::resolve(cli, &args.service_names)?;
    let mut services = args.service_names.clone();
    if let Some(names) = target.model_services() {
        if let Some(unknown) = services.iter().find(|service| !names.contains(service)) {
            bail!("no such service: {unknown}");
        }
        if services.is_empty() && !args.orphans {
            services = names;
        }
    }
    let all = args.all || !statuses.is_empty();
    let one_off = if args.all {
        OneOff::Include
    } else {
        OneOff::Exclude
    };
    let mut containers = block_on(async {
        // The daemon check rides along with the one list call.
        let engine = berth_engine::Engine::open_default()?;
        engine
            .checked(list_containers(
                &engine,
                &target.name,
                one_off,
                all,
                &services,
            ))
            .await
    })?;
    if !services.is_empty() {
        containers.retain(|container| services.iter().any(|s| s == container.service()));
    }
    if !statuses.is_empty() {
        containers.retain(|container| statuses.contains(&container.state()));
    }
    containers.sort_by(|a, b| a.name().cmp(b.name()));
    let now = now_unix();
    let entries: Vec<Entry> = containers
        .iter()
        .map(|container| Entry::new(container, !args.no_trunc, now))
        .collect();

    if args.quiet {
        let mut out = String::new();
        for container in &containers {
            out.push_str(container.id());
            out.push('\n');
        }
        print_stdout(&out)?;
        return Ok(0);
    }
    if args.services {
        let mut names: Vec<&str> = Vec::new();
        for container in &containers {
            if !names.contains(&container.service()) {
                names.push(container.service());
            }
        }
        print_stdout(&format!("{}\n", names.join("\n")))?;
        return Ok(0);
    }
    print_stdout(&render(&args.format, &entries)?)?;
    Ok(0)
}

/// The default table: `docker compose ps`'s columns.
const DEFAULT_TABLE: &str = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";

/// Renders `entries` in `format`: `table` (or empty), `json` (one object per line), or a
/// template, which is a table with headers when it starts with `table`.
///
/// # Errors
/// The template names a field a container does not have, or does not parse.
pub fn render(format: &str, entries: &[Entry]) -> anyhow::Result<String> {
    let format = if format.is_empty() || format == "table" {
        DEFAULT_TABLE
    } else {
        format
    };
    if format == "json" {
        let mut out = String::new();
        for entry in entries {
            out.push_str(&crate::output::json_compact(&entry.json()));
            out.push('\n');
        }
        return Ok(out);
    }
    let (is_table, body) = match format.strip_prefix("table") {
        Some(rest) => (true, rest),
        None => (false, format),
    };
    let body = body
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n");
    let template = Template::parse(&body)?;
    if !is_table {
        let mut out = String::new();
        for entry in entries {
            out.push_str(&template.execute(&|field| entry.field(field))?);
            out.push('\n');
        }
        return Ok(out);
    }
    let mut text = template.execute(&|field| Ok(header(field)))?;
    text.push('\n');
    for entry in entries {
        text.push_str(&template.execute(&|field| entry.field(field))?);
        text.push('\n');
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    Ok(tabulate(&lines, 10, 3))
}

/// A column header, as Compose's `NewContainerContext` names it; fields without one render as Go
/// renders a missing map key.
fn header(field: &Field) -> String {
    let name = match field {
        Field::Whole => return "{}".to_owned(),
        Field::Label(_) => return String::new(),
        Field::Named(name) => name.as_str(),
    };
    match name {
        "ID" => "CONTAINER ID",
        "Name" => "NAME",
        "Project" => "PROJECT",
        "Service" => "SERVICE",
        "Image" => "IMAGE",
        "Command" => "COMMAND",
        "CreatedAt" => "CREATED AT",
        "RunningFor" => "CREATED",
        "Ports" => "PORTS",
        "State" => "STATE",
        "Status" => "STATUS",
        "Size" => "SIZE",
        "Labels" => "LABELS",
        "Mounts" => "MOUNTS",
        "LocalVolumes" => "LOCAL VOLUMES",
        "Networks" => "NETWORKS",
        _ => "<no value>",
    }
    .to_owned()
}

/// One published or exposed port (Compose's `PortPublisher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// Host address, empty when only exposed.
    pub url: String,
    /// Container port.
    pub target: u16,
    /// Host port, 0 when only exposed.
    pub published: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// One container as `ps` shows it (Compose's `ContainerSummary` through `ContainerContext`).
#[derive(Debug, Clone)]
pub struct Entry {
    trunc: bool,
    id: String,
    name: String,
    names: Vec<String>,
    image: String,
    project: String,
    service: String,
    command: String,
    created: i64,
    now: i64,
    state: String,
    status: String,
    labels: Vec<(String, String)>,
    mounts: Vec<String>,
    local_volumes: usize,
    networks: Vec<String>,
    health: String,
    exit_code: i64,
    publishers: Vec<Publisher>,
}

impl Entry {
    /// The entry of a listed container; `trunc` unless `--no-trunc`; `now` in Unix seconds.
    #[must_use]
    pub fn new(container: &ObservedContainer, trunc: bool, now: i64) -> Self {
        let summary = &container.summary;
        let state = container.state();
        let status = container.status().to_owned();
        let mut labels: Vec<(String, String)> = summary
            .labels
            .iter()
            .flatten()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        labels.sort();
        let mut publishers: Vec<Publisher> = summary
            .ports
            .iter()
            .flatten()
            .map(|port| Publisher {
                url: port.ip.clone().unwrap_or_default(),
                target: port.private_port,
                published: port.public_port.unwrap_or(0),
                protocol: port.typ.map(|typ| typ.to_string()).unwrap_or_default(),
            })
            .collect();
        publishers.sort_by_key(|publisher| publisher.target);
        let mut mounts = Vec::new();
        let mut local_volumes = 0;
        for mount in summary.mounts.iter().flatten() {
            let name = mount
                .name
                .clone()
                .filter(|name| !name.is_empty())
                .or_else(|| mount.source.clone())
                .unwrap_or_default();
            if mount.driver.as_deref() == Some("local") {
                local_volumes += 1;
            }
            mounts.push(name);
        }
        let mut networks: Vec<String> = summary
            .network_settings
            .as_ref()
            .and_then(|settings| settings.networks.as_ref())
            .map(|networks| networks.keys().cloned().collect())
            .unwrap_or_default();
        networks.sort();
        Self {
            trunc,
            id: container.id().to_owned(),
            name: container.name().to_owned(),
            names: summary.names.clone().unwrap_or_default(),
            image: summary.image.clone().unwrap_or_default(),
            project: container.label(berth_engine::labels::PROJECT).to_owned(),
            service: container.service().to_owned(),
            command: summary.command.clone().unwrap_or_default(),
            created: summary.created.unwrap_or(0),
            now,
            health: health_of(&state, &status).to_owned(),
            exit_code: exit_code_of(&state, &status),
            state,
            status,
            labels,
            mounts,
            local_volumes,
            networks,
            publishers,
        }
    }

    fn id(&self) -> String {
        if self.trunc {
            truncate_id(&self.id).to_owned()
        } else {
            self.id.clone()
        }
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self
            .names
            .iter()
            .map(|name| name.strip_prefix('/').unwrap_or(name))
            .collect();
        if self.trunc
            && let Some(name) = names.iter().find(|name| !name.contains('/'))
        {
            return (*name).to_owned();
        }
        names.join(",")
    }

    fn command(&self) -> String {
        if self.trunc {
            crate::go::quote(&ellipsis(&self.command, 20))
        } else {
            crate::go::quote(&self.command)
        }
    }

    fn mounts(&self) -> String {
        self.mounts
            .iter()
            .map(|name| {
                if self.trunc {
                    ellipsis(name, 15)
                } else {
                    name.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn labels(&self) -> String {
        self.labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn running_for(&self) -> String {
        format!("{} ago", human_duration(self.now - self.created))
    }

    /// The value of one field as a template prints it.
    fn field(&self, field: &Field) -> anyhow::Result<String> {
        let name = match field {
            Field::Whole => return Ok(crate::output::json_compact(&self.json())),
            Field::Label(key) => {
                return Ok(self
                    .labels
                    .iter()
                    .find(|(label, _)| label == key)
                    .map(|(_, value)| value.clone())
                    .unwrap_or_default());
            }
            Field::Named(name) => name.as_str(),
        };
        Ok(match name {
            "ID" => self.id(),
            "Name" => self.name.clone(),
            "Names" => self.names(),
            "Project" => self.project.clone(),
            "Service" => self.service.clone(),
            "Image" => self.image.clone(),
            "Command" => self.command(),
            "CreatedAt" => go_time_string(self.created),
            "RunningFor" => self.running_for(),
            "ExitCode" => self.exit_code.to_string(),
            "State" => self.state.clone(),
            "Status" => self.status.clone(),
            "Health" => self.health.clone(),
            "Publishers" => go_publishers(&self.publishers),
            "Ports" => displayable_ports(&self.publishers),
            "Labels" => self.labels(),
            "Mounts" => self.mounts(),
            "LocalVolumes" => self.local_volumes.to_string(),
            "Networks" => self.networks.join(","),
            "Size" => "0B".to_owned(),
            other => bail!(
                "template parsing error: template: :1: executing \"\" at <.{other}>: can't evaluate field {other} in type *formatter.ContainerContext"
            ),
        })
    }

    /// The JSON object `--format json` prints: every field, keys sorted as Go sorts a map.
    #[must_use]
    pub fn json(&self) -> Value {
        let mut object = Map::new();
        let text = |value: String| Value::String(value);
        object.insert("Command".into(), text(self.command()));
        object.insert("CreatedAt".into(), text(go_time_string(self.created)));
        object.insert("ExitCode".into(), Value::from(self.exit_code));
        object.insert("Health".into(), text(self.health.clone()));
        object.insert("ID".into(), text(self.id()));
        object.insert("Image".into(), text(self.image.clone()));
        object.insert("Labels".into(), text(self.labels()));
        object.insert("LocalVolumes".into(), text(self.local_volumes.to_string()));
        object.insert("Mounts".into(), text(self.mounts()));
        object.insert("Name".into(), text(self.name.clone()));
        object.insert("Names".into(), text(self.names()));
        object.insert("Networks".into(), text(self.networks.join(",")));
        object.insert("Ports".into(), text(displayable_ports(&self.publishers)));
        object.insert("Project".into(), text(self.project.clone()));
        let publishers = self
            .publishers
            .iter()
            .map(|publisher| {
                let mut entry = Map::new();
                entry.insert("URL".into(), text(publisher.url.clone()));
                entry.insert("TargetPort".into(), Value::from(publisher.target));
                entry.insert("PublishedPort".into(), Value::from(publisher.published));
                entry.insert("Protocol".into(), text(publisher.protocol.clone()));
                Value::Object(entry)
            })
            .collect();
        object.insert("Publishers".into(), Value::Array(publishers));
        object.insert("RunningFor".into(), text(self.running_for()));
        object.insert("Service".into(), text(self.service.clone()));
        object.insert("Size".into(), text("0B".to_owned()));
        object.insert("State".into(), text(self.state.clone()));
        object.insert("Status".into(), text(self.status.clone()));
        Value::Object(object)
    }
}

/// Health as Compose reports it (only for running containers), read from the status text the
/// daemon builds from the same health state.
fn health_of<'a>(state: &str, status: &'a str) -> &'a str {
    if state != "running" {
        return "";
    }
    if status.ends_with("(healthy)") {
        "healthy"
    } else if status.ends_with("(unhealthy)") {
        "unhealthy"
    } else if status.ends_with("(health: starting)") {
        "starting"
    } else {
        ""
    }
}

/// Exit code as Compose reports it (only for exited and dead containers), from `Exited (N) …`.
fn exit_code_of(state: &str, status: &str) -> i64 {
    if state != "exited" && state != "dead" {
        return 0;
    }
    status
        .strip_prefix("Exited (")
        .and_then(|rest| rest.split_once(')'))
        .and_then(|(code, _)| code.parse().ok())
        .unwrap_or(0)
}

/// Go's `%v` of the publishers slice: `[{127.0.0.1 80 18080 tcp}]`.
fn go_publishers(publishers: &[Publisher]) -> String {
    let items: Vec<String> = publishers
        .iter()
        .map(|p| format!("{{{} {} {} {}}}", p.url, p.target, p.published, p.protocol))
        .collect();
    format!("[{}]", items.join(" "))
}

/// `net.JoinHostPort`: brackets around IPv6 hosts.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Docker CLI's `DisplayablePorts`: ranges of exposed ports grouped per address and protocol,
/// then host mappings, joined with `, `.
#[must_use]
pub fn displayable_ports(publishers: &[Publisher]) -> String {
    let mut ports = publishers.to_vec();
    ports.sort_by(|a, b| {
        (a.target, &a.url, a.published, &a.protocol).cmp(&(
            b.target,
            &b.url,
            b.published,
            &b.protocol,
        ))
    });
    let mut groups: Vec<(String, u16, u16)> = Vec::new();
    let mut result = Vec::new();
    let mut host_mappings = Vec::new();
    for port in &ports {
        let current = port.target;
        let mut key = port.protocol.clone();
        if !port.url.is_empty() {
            if port.published != current {
                host_mappings.push(format!(
                    "{}->{}/{}",
                    join_host_port(&port.url, &port.published.to_string()),
                    port.target,
                    port.protocol
                ));
                continue;
            }
            key = format!("{}/{}", port.url, port.protocol);
        }
        match groups
            .iter_mut()
            .find(|(group_key, _, _)| *group_key == key)
        {
            None => groups.push((key, current, current)),
            Some(group) => {
                if u32::from(current) == u32::from(group.2) + 1 {
                    group.2 = current;
                } else {
                    result.push(form_group(&group.0, group.1, group.2));
                    group.1 = current;
                    group.2 = current;
                }
            }
        }
    }
    for (key, first, last) in &groups {
        result.push(form_group(key, *first, *last));
    }
    result.extend(host_mappings);
    result.join(", ")
}

fn form_group(key: &str, first: u16, last: u16) -> String {
    let (ip, protocol) = match key.rsplit_once('/') {
        Some((ip, protocol)) => (ip, protocol),
        None => ("", key),
    };
    let mut group = first.to_string();
    if first != last {
        let _ = write!(group, "-{last}");
    }
    if !ip.is_empty() {
        group = format!("{}->{group}", join_host_port(ip, &group));
    }
    format!("{group}/{protocol}")
}

/// What a template action prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `.` (only inside `json`).
    Whole,
    /// `.Name` and the other fields.
    Named(String),
    /// `.Label "key"`.
    Label(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Field(Field),
    Json(Field),
    Upper(Field),
    Lower(Field),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Action(Action),
}

/// The part of Go's `text/template` that `ps` formats use: `{{.Field}}`, `{{.Label "key"}}`,
/// `{{json .}}`, `{{json .Field}}`, `{{upper .Field}}`, `{{lower .Field}}`.
#[derive(Debug, Clone)]
struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    fn parse(source: &str) -> anyhow::Result<Self> {
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            let mut text = &rest[..start];
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("template parsing error: template: :1: unclosed action");
            };
            let mut inner = &after[..end];
            if let Some(trimmed) = inner.strip_prefix('-') {
                text = text.trim_end();
                inner = trimmed;
            }
            let mut trim_next = false;
            if let Some(trimmed) = inner.strip_suffix('-') {
                inner = trimmed;
                trim_next = true;
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(text.to_owned()));
            }
            pieces.push(Piece::Action(parse_action(inner.trim())?));
            rest = &after[end + 2..];
            if trim_next {
                rest = rest.trim_start();
            }
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Self { pieces })
    }

    fn execute(&self, value: &dyn Fn(&Field) -> anyhow::Result<String>) -> anyhow::Result<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Action(Action::Field(field)) => out.push_str(&value(field)?),
                Piece::Action(Action::Upper(field)) => out.push_str(&value(field)?.to_uppercase()),
                Piece::Action(Action::Lower(field)) => out.push_str(&value(field)?.to_lowercase()),
                Piece::Action(Action::Json(field)) => {
                    let text = value(field)?;
                    if *field == Field::Whole {
                        out.push_str(&text);
                    } else {
                        let mut quoted = String::new();
                        crate::output::write_json_string(&mut quoted, &text);
                        out.push_str(&quoted);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn parse_action(inner: &str) -> anyhow::Result<Action> {
    let words: Vec<&str> = inner.split_whitespace().collect();
    let field = |word: &str, argument: Option<&str>| -> anyhow::Result<Field> {
        if word == "." {
            return Ok(Field::Whole);
        }
        let Some(name) = word.strip_prefix('.') else {
            bail!("template parsing error: template: :1: function \"{word}\" not defined");
        };
        if name == "Label" {
            let key = argument.unwrap_or_default().trim_matches('"');
            return Ok(Field::Label(key.to_owned()));
        }
        Ok(Field::Named(name.to_owned()))
    };
    match words.as_slice() {
        [word] => Ok(Action::Field(field(word, None)?)),
        [".Label", key] => Ok(Action::Field(field(".Label", Some(key))?)),
        ["json", word] => Ok(Action::Json(field(word, None)?)),
        ["json", ".Label", key] => Ok(Action::Json(field(".Label", Some(key))?)),
        ["upper", word] => Ok(Action::Upper(field(word, None)?)),
        ["lower", word] => Ok(Action::Lower(field(word, None)?)),
        _ => bail!("template parsing error: template: :1: unexpected \"{inner}\" in command"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use berth_engine::models::{
        ContainerSummary, ContainerSummaryStateEnum, PortSummary, PortSummaryTypeEnum,
    };

    use super::*;

    /// `berthtest-cmds-try-web-1` as the daemon listed it under Compose 2.40.3.
    fn web() -> ObservedContainer {
        let port = |ip: &str, private_port, public_port| PortSummary {
            ip: Some(ip.to_owned()),
            private_port,
            public_port: Some(public_port),
            typ: Some(PortSummaryTypeEnum::TCP),
        };
        ObservedContainer {
            summary: ContainerSummary {
                id: Some(
                    "27d821c347ab19068feb764266b06e84b847c95b580d9cd4c603e0770e5eb4b6".to_owned(),
                ),
                names: Some(vec!["/berthtest-cmds-try-web-1".to_owned()]),
                image: Some("busybox:local".to_owned()),
                command: Some(
                    "sh -c 'trap 'exit 0' TERM; while true; do sleep 1; done'".to_owned(),
                ),
                created: Some(1_795_856_684),
                ports: Some(vec![
                    port("0.0.0.0", 9999, 32768),
                    port("127.0.0.1", 80, 18080),
                    port("::", 9999, 32768),
                ]),
                labels: Some(HashMap::from([
                    (
                        "com.docker.compose.project".to_owned(),
                        "berthtest-cmds-try".to_owned(),
                    ),
                    ("com.docker.compose.service".to_owned(), "web".to_owned()),
                ])),
                state: Some(ContainerSummaryStateEnum::RUNNING),
                status: Some("Up 52 seconds".to_owned()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn default_table_matches_compose() {
        let entry = Entry::new(&web(), true, 1_795_856_684 + 53);
        assert_eq!(
            render("table", &[entry]).unwrap(),
            "NAME                       IMAGE           COMMAND                  SERVICE   CREATED          STATUS          PORTS\n\
             berthtest-cmds-try-web-1   busybox:local   \"sh -c 'trap 'exit 0…\"   web       53 seconds ago   Up 52 seconds   127.0.0.1:18080->80/tcp, 0.0.0.0:32768->9999/tcp, [::]:32768->9999/tcp\n"
        );
    }

    #[test]
    fn json_line_matches_compose_but_for_label_order() {
        let entry = Entry::new(&web(), true, 1_795_856_684 + 2);
        assert_eq!(
            render("json", &[entry]).unwrap(),
            concat!(
                r#"{"Command":"\"sh -c 'trap 'exit 0…\"","CreatedAt":"2026-11-28 09:04:44 +0000 UTC","ExitCode":0,"Health":"","ID":"27d821c347ab","Image":"busybox:local","#,
                r#""Labels":"com.docker.compose.project=berthtest-cmds-try,com.docker.compose.service=web","LocalVolumes":"0","Mounts":"","Name":"berthtest-cmds-try-web-1","Names":"berthtest-cmds-try-web-1","Networks":"","#,
                r#""Ports":"127.0.0.1:18080-\u003e80/tcp, 0.0.0.0:32768-\u003e9999/tcp, [::]:32768-\u003e9999/tcp","Project":"berthtest-cmds-try","#,
                r#""Publishers":[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":18080,"Protocol":"tcp"},{"URL":"0.0.0.0","TargetPort":9999,"PublishedPort":32768,"Protocol":"tcp"},{"URL":"::","TargetPort":9999,"PublishedPort":32768,"Protocol":"tcp"}],"#,
                r#""RunningFor":"2 seconds ago","Service":"web","Size":"0B","State":"running","Status":"Up 52 seconds"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn custom_templates_and_tables() {
        let entry = Entry::new(&web(), true, 1_795_856_684);
        assert_eq!(
            render("{{.Name}} {{.State}}", std::slice::from_ref(&entry)).unwrap(),
            "berthtest-cmds-try-web-1 running\n"
        );
        assert_eq!(
            render(r"table {{.Name}}\t{{.State}}", std::slice::from_ref(&entry)).unwrap(),
            "NAME                       STATE\nberthtest-cmds-try-web-1   running\n"
        );
        assert_eq!(
            render(
                r#"{{.Label "com.docker.compose.service"}}"#,
                std::slice::from_ref(&entry)
            )
            .unwrap(),
            "web\n"
        );
        assert!(render("{{.Nope}}", &[entry]).is_err());
    }

    #[test]
    fn exposed_ports_group_into_ranges() {
        let exposed = |target| Publisher {
            url: String::new(),
            target,
            published: 0,
            protocol: "tcp".to_owned(),
        };
        let ports = [exposed(8000), exposed(8001), exposed(8002), exposed(9000)];
        assert_eq!(displayable_ports(&ports), "8000-8002/tcp, 9000/tcp");
        let same = Publisher {
            url: "0.0.0.0".to_owned(),
            target: 80,
            published: 80,
            protocol: "tcp".to_owned(),
        };
        assert_eq!(displayable_ports(&[same]), "0.0.0.0:80->80/tcp");
    }

    #[test]
    fn health_and_exit_code_come_from_the_status_text() {
        assert_eq!(health_of("running", "Up 3 seconds (healthy)"), "healthy");
        assert_eq!(
            health_of("running", "Up 1 second (health: starting)"),
            "starting"
        );
        assert_eq!(health_of("exited", "Exited (1) 2 seconds ago"), "");
        assert_eq!(exit_code_of("exited", "Exited (3) 1 second ago"), 3);
        assert_eq!(exit_code_of("running", "Up 1 second"), 0);
    }
}
