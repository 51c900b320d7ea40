//! `berth events`: the project's container events as they happen, printed as `docker compose
//! events` prints them: a text line per event (followed by an empty line, as Compose's `String()`
//! ends in a newline that `Println` doubles), or a JSON object per line with `--json`. One-off
//! containers are left out, and Compose's own labels are dropped from the attributes.
//!
//! It runs until interrupted: Ctrl-C (or SIGTERM) ends it as Compose ends, with status 130.
//! Compose prints the attributes in Go's random map order; berth sorts them.

use std::collections::{BTreeMap, HashMap};

use berth_engine::inspect::EngineEvent;
use berth_engine::logs::Timestamp;
use clap::Args;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::context::block_on;
use super::inspect::project_name;
use super::target::daemon_error;
use super::{Cli, print_stdout};

// Arguments of `berth events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Output events as a stream of json objects.
    #[arg(long)]
    pub json: bool,
    /// Show all events created since timestamp.
    #[arg(long, default_value = "")]
    pub since: String,
    /// Stream events until this timestamp.
    #[arg(long, default_value = "")]
    pub until: String,
    /// Services whose events to show (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// A project event as Compose's `api.Event` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectEvent {
    /// When, by the daemon's clock.
    pub time: Timestamp,
    /// The container's service.
    pub service: String,
    /// Container ID.
    pub container: String,
    /// The action (`start`, `die`…).
    pub status: String,
    /// The actor's attributes without `com.docker.compose.*` labels.
    pub attributes: BTreeMap<String, String>,
}

/// Runs `berth events` until the stream ends or Ctrl-C.
///
/// # Errors
/// Loading, connection or stream errors.
pub fn run(cli: &Cli, args: &EventsArgs) -> anyhow::Result<i32> {
    let project = project_name(cli)?.to_lowercase();
    let now = Timestamp::now();
    let since = to_api_time(&args.since, now)?;
    let until = to_api_time(&args.until, now)?;
    block_on(async {
        let engine = super::context::connect().await?;
        let filters = HashMap::from([
            ("type".to_owned(), vec!["container".to_owned()]),
            (
                "label".to_owned(),
                vec![format!("{}={project}", berth_engine::labels::PROJECT)],
            ),
        ]);
        let mut events = engine.events(filters, since, until);
        let interrupted = interrupted();
        tokio::pin!(interrupted);
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                () = &mut interrupted => {
                    // Compose's empty status error prints an empty line.
                    eprintln!();
                    return Ok(130);
                }
            };
            // The docker client reports the end of the stream (`--until` passed, the daemon
            // went away) as an error, and Compose prints it.
            let Some(event) = event else {
                anyhow::bail!("EOF")
            };
            let event = event.map_err(daemon_error)?;
            if let Some(event) = project_event(event, &args.services) {
                let line = if args.json {
                    format!("{}\n", crate::output::json_compact(&json(&event)))
                } else {
                    format!("{}\n\n", text(&event))
                };
                print_stdout(&line)?;
            }
        }
    })
}

/// Resolves when SIGINT or SIGTERM arrives (Compose cancels on both).
async fn interrupted() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The docker client's `timetypes.GetTimestamp`, for the forms people type: empty (none), Unix
/// seconds as they are, a Go duration (`10m`, `1h30m`) before `now`, or an RFC 3339 time.
///
/// # Errors
/// Anything else, in the client's words.
fn to_api_time(value: &str, now: Timestamp) -> anyhow::Result<Option<String>> {
    if value.is_empty() {
        return Ok(None);
    }
    if value
        .split_once('.')
        .map_or(value, |(seconds, _)| seconds)
        .parse::<i64>()
        .is_ok()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'.')
    {
        return Ok(Some(value.to_owned()));
    }
    if let Some(nanos) = go_duration_nanos(value) {
        let at = i128::from(now.seconds) * 1_000_000_000 + i128::from(now.nanos) - nanos;
        let seconds = at.div_euclid(1_000_000_000);
        let fraction = at.rem_euclid(1_000_000_000);
        return Ok(Some(format!("{seconds}.{fraction:09}")));
    }
    if let Some(time) = Timestamp::parse(value) {
        return Ok(Some(format!("{}.{:09}", time.seconds, time.nanos)));
    }
    anyhow::bail!(
        "failed to parse value as time or duration: {}",
        crate::go::quote(value)
    )
}

/// Go's `time.ParseDuration` for unsigned sums of `h`, `m`, `s`, `ms`, `us`, `ns` terms.
fn go_duration_nanos(text: &str) -> Option<i128> {
    let mut rest = text;
    let mut total: f64 = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_length = rest
            .bytes()
            .take_while(|byte| byte.is_ascii_digit() || *byte == b'.')
            .count();
        if number_length == 0 {
            return None;
        }
        let number: f64 = rest[..number_length].parse().ok()?;
        rest = &rest[number_length..];
        let unit_length = rest
            .bytes()
            .take_while(|byte| !byte.is_ascii_digit() && *byte != b'.')
            .count();
        let scale = match &rest[..unit_length] {
            "h" => 3.6e12,
            "m" => 6e10,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_length..];
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "durations in nanoseconds fit"
    )]
    Some(total as i128)
}

/// Compose's filter and shaping of a daemon event: containers only, no one-off containers, only
/// the named services when some are, without `com.docker.compose.*` attributes.
#[must_use]
pub fn project_event(event: EngineEvent, services: &[String]) -> Option<ProjectEvent> {
    if event.kind != "container" {
        return None;
    }
    if event
        .attributes
        .get(berth_engine::labels::ONEOFF)
        .is_some_and(|one_off| one_off == "True")
    {
        return None;
    }
    let service = event
        .attributes
        .get(berth_engine::labels::SERVICE)
        .cloned()
        .unwrap_or_default();
    if !services.is_empty() && !services.contains(&service) {
        return None;
    }
    let attributes = event
        .attributes
        .into_iter()
        .filter(|(key, _)| !key.starts_with("com.docker.compose."))
        .collect();
    Some(ProjectEvent {
        time: Timestamp::from_nanos(event.time_nano),
        service,
        container: event.id,
        status: event.action,
        attributes,
    })
}

/// Compose's `Event.String()` without its final newline: `2024-01-01 12:00:00.000000 container
/// start <id> (image=…, name=…)`.
#[must_use]
pub fn text(event: &ProjectEvent) -> String {
    let stamp = event.time.to_string();
    // `2024-01-01T12:00:00.123456789Z` → `2024-01-01 12:00:00.123456` (Go truncates).
    let time = format!("{} {}", &stamp[..10], &stamp[11..26]);
    let attributes: Vec<String> = event
        .attributes
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!(
        "{time} container {} {} ({})",
        event.status,
        event.container,
        attributes.join(", ")
    )
}

/// The object `--json` prints, keys sorted as Go sorts a map.
#[must_use]
pub fn json(event: &ProjectEvent) -> Value {
    let attributes: Map<String, Value> = event
        .attributes
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    let mut object = Map::new();
    object.insert("action".into(), event.status.clone().into());
    object.insert("attributes".into(), Value::Object(attributes));
    object.insert("id".into(), event.container.clone().into());
    object.insert("service".into(), event.service.clone().into());
    object.insert(
        "time".into(),
        super::images::go_rfc3339_nano(event.time).into(),
    );
    object.insert("type".into(), "container".into());
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `kill` event of `inspectscratch-web-1` as the daemon sent it to Compose 2.40.3.
    fn kill() -> EngineEvent {
        EngineEvent {
            kind: "container".to_owned(),
            action: "kill".to_owned(),
            id: "2c0adf990279e5d0ccb81adff6192197d28d6da1c7b46945777ccb548d6e6f47".to_owned(),
            attributes: BTreeMap::from([
                ("com.docker.compose.oneoff".to_owned(), "False".to_owned()),
                ("com.docker.compose.service".to_owned(), "web".to_owned()),
                ("image".to_owned(), "berth-test/busybox:local".to_owned()),
                ("name".to_owned(), "inspectscratch-web-1".to_owned()),
                ("signal".to_owned(), "15".to_owned()),
            ]),
            time_nano: 1_795_867_352_712_749_391,
        }
    }

    #[test]
    fn text_and_json_match_compose() {
        let event = project_event(kill(), &[]).unwrap();
        assert_eq!(
            text(&event),
            "2026-11-28 12:02:32.712749 container kill 2c0adf990279e5d0ccb81adff6192197d28d6da1c7b46945777ccb548d6e6f47 (image=berth-test/busybox:local, name=inspectscratch-web-1, signal=15)"
        );
        assert_eq!(
            crate::output::json_compact(&json(&event)),
            r#"{"action":"kill","attributes":{"image":"berth-test/busybox:local","name":"inspectscratch-web-1","signal":"15"},"id":"2c0adf990279e5d0ccb81adff6192197d28d6da1c7b46945777ccb548d6e6f47","service":"web","time":"2026-11-28T12:02:32.712749391Z","type":"container"}"#
        );
    }

    #[test]
    fn one_offs_other_services_and_other_types_are_left_out() {
        assert!(project_event(kill(), &["db".to_owned()]).is_none());
        assert!(project_event(kill(), &["web".to_owned()]).is_some());
        let mut one_off = kill();
        one_off
            .attributes
            .insert("com.docker.compose.oneoff".to_owned(), "True".to_owned());
        assert!(project_event(one_off, &[]).is_none());
        let mut network = kill();
        network.kind = "network".to_owned();
        assert!(project_event(network, &[]).is_none());
    }

    #[test]
    fn since_and_until_take_the_clients_forms() {
        let now = Timestamp {
            seconds: 1000,
            nanos: 0,
        };
        assert_eq!(to_api_time("", now).unwrap(), None);
        assert_eq!(to_api_time("12.5", now).unwrap().unwrap(), "12.5");
        assert_eq!(to_api_time("1m", now).unwrap().unwrap(), "940.000000000");
        assert_eq!(
            to_api_time("1970-01-01T00:01:00Z", now).unwrap().unwrap(),
            "60.000000000"
        );
        assert!(to_api_time("yesterday", now).is_err());
    }
}
