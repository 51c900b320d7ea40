//! `berth images`: the image behind each of a project's containers (stopped and one-off ones
//! too), as `docker compose images` prints it: a table keyed by container, the IDs alone with
//! `-q`, or JSON.
//!
//! Compose keeps the images in a Go map, so its JSON list and `-q` come out in a random order;
//! berth sorts them by container name, as the table is.

use anyhow::bail;
use berth_engine::Engine;
use berth_engine::containers::LabelFilter;
use berth_engine::logs::Timestamp;
use clap::Args;
use futures_util::future::try_join_all;
use serde_json::{Map, Value};

use super::context::block_on;
use super::inspect::{human_size, project_name};
use super::table::{human_duration, now_unix, tabulate, truncate_id};
use super::target::daemon_error;
use super::{Cli, print_stdout};

// Arguments of `berth images`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Format the output. Values: [table | json].
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Only display IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Services whose containers' images to list (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// The image of one container, as Compose's `api.ImageSummary` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    /// The container's name.
    pub container: String,
    /// Image ID (`sha256:…`).
    pub id: String,
    /// Familiar repository name (`busybox`, `example.com/app`), empty for an ID reference.
    pub repository: String,
    /// Tag, empty when the reference has none (a digest).
    pub tag: String,
    /// Operating system.
    pub os: String,
    /// CPU architecture.
    pub architecture: String,
    /// OS version (Windows images).
    pub os_version: String,
    /// CPU variant (`v8`).
    pub variant: String,
    /// Size in bytes.
    pub size: i64,
    /// When the image was built.
    pub created: Timestamp,
    /// When it was last tagged; year 1 when never (a pulled image).
    pub last_tag_time: Timestamp,
}

/// Go's zero `time.Time` (0001-01-01T00:00:00Z), in Unix seconds.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// Runs `berth images`.
///
/// # Errors
/// A bad format, loading or daemon errors (an image removed since its container was created).
pub fn run(cli: &Cli, args: &ImagesArgs) -> anyhow::Result<i32> {
    let project = project_name(cli)?.to_lowercase();
    let mut rows = block_on(async {
        let engine = Engine::open_default()?;
        let filter = LabelFilter::new(berth_engine::labels::PROJECT, &project);
        let mut containers = engine
            .checked(engine.list_containers(&filter, true))
            .await
            .map_err(daemon_error)?;
        if !args.services.is_empty() {
            containers.retain(|container| {
                let service = container
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(berth_engine::labels::SERVICE))
                    .map_or("", String::as_str);
                args.services.iter().any(|s| s == service)
            });
        }
        try_join_all(containers.iter().map(|container| row(&engine, container))).await
    })?;
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    print_stdout(&render(&rows, &args.format, args.quiet, now_unix())?)?;
    Ok(0)
}

/// Inspects the image of `container`.
async fn row(
    engine: &Engine,
    container: &berth_engine::models::ContainerSummary,
) -> anyhow::Result<ImageRow> {
    let reference = container.image.clone().unwrap_or_default();
    let image = engine
        .inspect_image(&reference)
        .await
        .map_err(daemon_error)?;
    let (repository, tag) = familiar_reference(&reference).unwrap_or_default();
    let created = image.created.as_deref().unwrap_or_default();
    let Some(created) = Timestamp::parse(created) else {
        bail!(
            "parsing time {}: cannot parse as RFC3339",
            crate::go::quote(created)
        );
    };
    let last_tag_time = image
        .metadata
        .and_then(|metadata| metadata.last_tag_time)
        .and_then(|time| Timestamp::parse(&time))
        .unwrap_or(Timestamp {
            seconds: GO_ZERO_TIME,
            nanos: 0,
        });
    let name = container
        .names
        .iter()
        .flatten()
        .find(|name| name.rfind('/') == Some(0))
        .or_else(|| container.names.iter().flatten().next())
        .map(|name| name.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| {
            let id = container.id.as_deref().unwrap_or_default();
            id.get(..12).unwrap_or(id).to_owned()
        });
    Ok(ImageRow {
        container: name,
        id: image.id.unwrap_or_default(),
        repository,
        tag,
        os: image.os.unwrap_or_default(),
        architecture: image.architecture.unwrap_or_default(),
        os_version: image.os_version.unwrap_or_default(),
        variant: image.variant.unwrap_or_default(),
        size: image.size.unwrap_or(0),
        created,
        last_tag_time,
    })
}

/// Renders `rows` as `docker compose images` does; `now` in Unix seconds.
///
/// # Errors
/// A format other than a table or JSON, in Compose's words.
pub fn render(rows: &[ImageRow], format: &str, quiet: bool, now: i64) -> anyhow::Result<String> {
    let mut out = String::new();
    if quiet {
        let mut ids: Vec<&str> = Vec::new();
        for row in rows {
            let id = row.id.split_once(':').map_or(row.id.as_str(), |(_, id)| id);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for id in ids {
            out.push_str(id);
            out.push('\n');
        }
        return Ok(out);
    }
    if format == "json" {
        let list: Vec<Value> = rows.iter().map(json_row).collect();
        let list = if list.is_empty() {
            Value::Null
        } else {
            Value::Array(list)
        };
        // Go's encoder ends with a newline, and Compose prints it with another.
        out.push_str(&serde_json::to_string(&list)?);
        out.push_str("\n\n");
        return Ok(out);
    }
    match format.to_lowercase().as_str() {
        "table" | "pretty" | "" => {}
        "json" => {
            // Any other spelling of json prints the map itself, indented.
            let mut map = Map::new();
            for row in rows {
                map.insert(row.container.clone(), summary_json(row));
            }
            out.push_str(&crate::output::json_pretty(&Value::Object(map), "    "));
            out.push_str("\n\n");
            return Ok(out);
        }
        _ => bail!(
            "format value {} could not be parsed: parsing failed",
            crate::go::quote(format)
        ),
    }
    let mut lines =
        vec!["CONTAINER\tREPOSITORY\tTAG\tPLATFORM\tIMAGE ID\tSIZE\tCREATED".to_owned()];
    for row in rows {
        let or_none = |text: &str| {
            if text.is_empty() {
                "<none>".to_owned()
            } else {
                text.to_owned()
            }
        };
        #[expect(clippy::cast_precision_loss, reason = "image sizes are far below 2^52")]
        let size = human_size(row.size as f64, 3);
        // Go's time.Sub saturates at about 292 years (a never-tagged image's zero time).
        let age = (now - row.last_tag_time.seconds).min(i64::MAX / 1_000_000_000);
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{size}\t{} ago",
            row.container,
            or_none(&row.repository),
            or_none(&row.tag),
            platform(row),
            truncate_id(&row.id),
            human_duration(age),
        ));
    }
    Ok(tabulate(&lines, 20, 3))
}

/// `platforms.Format`: `os/architecture[/variant]`, `unknown` without an OS.
fn platform(row: &ImageRow) -> String {
    if row.os.is_empty() {
        return "unknown".to_owned();
    }
    [&row.os, &row.architecture, &row.variant]
        .iter()
        .filter(|part| !part.is_empty())
        .map(|part| part.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// One element of `--format json`, fields in Compose's order.
fn json_row(row: &ImageRow) -> Value {
    let last_tag_time = if row.last_tag_time.seconds == GO_ZERO_TIME {
        row.created
    } else {
        row.last_tag_time
    };
    let mut object = Map::new();
    object.insert("ID".into(), row.id.clone().into());
    object.insert("ContainerName".into(), row.container.clone().into());
    object.insert("Repository".into(), row.repository.clone().into());
    object.insert("Tag".into(), row.tag.clone().into());
    object.insert("Platform".into(), platform(row).into());
    object.insert("Size".into(), row.size.into());
    object.insert("LastTagTime".into(), go_rfc3339_nano(last_tag_time).into());
    Value::Object(object)
}

/// `api.ImageSummary` as Go marshals it (its platform an OCI platform object).
fn summary_json(row: &ImageRow) -> Value {
    let mut platform = Map::new();
    platform.insert("architecture".into(), row.architecture.clone().into());
    platform.insert("os".into(), row.os.clone().into());
    if !row.os_version.is_empty() {
        platform.insert("os.version".into(), row.os_version.clone().into());
    }
    if !row.variant.is_empty() {
        platform.insert("variant".into(), row.variant.clone().into());
    }
    let mut object = Map::new();
    object.insert("ID".into(), row.id.clone().into());
    object.insert("Repository".into(), row.repository.clone().into());
    object.insert("Tag".into(), row.tag.clone().into());
    object.insert("Platform".into(), Value::Object(platform));
    object.insert("Size".into(), row.size.into());
    object.insert("Created".into(), go_rfc3339_nano(row.created).into());
    object.insert(
        "LastTagTime".into(),
        go_rfc3339_nano(row.last_tag_time).into(),
    );
    Value::Object(object)
}

/// Go's `time.RFC3339Nano` in UTC: nanoseconds without trailing zeros.
#[must_use]
pub fn go_rfc3339_nano(time: Timestamp) -> String {
    let fixed = Timestamp { nanos: 0, ..time }.to_string();
    let seconds = fixed.trim_end_matches("Z").trim_end_matches(".000000000");
    if time.nanos == 0 {
        return format!("{seconds}Z");
    }
    let fraction = format!("{:09}", time.nanos);
    format!("{seconds}.{}Z", fraction.trim_end_matches('0'))
}

/// `reference.ParseDockerRef` then `FamiliarName` and the tag: `busybox` → (`busybox`,
/// `latest`), `docker.io/library/redis@sha256:…` → (`redis`, ``). `None` for what is not a
/// reference (an image ID).
fn familiar_reference(reference: &str) -> Option<(String, String)> {
    if reference.len() == 64 && reference.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let last_slash = name.rfind('/').map_or(0, |index| index + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => (
            &name[..last_slash + colon],
            Some(&name[last_slash + colon + 1..]),
        ),
        None => (name, None),
    };
    if name.is_empty() {
        return None;
    }
    let (domain, mut path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => ("docker.io".to_owned(), name.to_owned()),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io".to_owned()
    } else {
        domain
    };
    if path.to_lowercase() != path || path.is_empty() {
        return None;
    }
    if domain == "docker.io" && !path.contains('/') {
        path = format!("library/{path}");
    }
    let familiar = if domain == "docker.io" {
        match path.strip_prefix("library/") {
            Some(official) if !official.contains('/') => official.to_owned(),
            _ => path,
        }
    } else {
        format!("{domain}/{path}")
    };
    // A digested reference keeps its digest alone; an untagged one gets `latest`.
    let tag = match (digest, tag) {
        (Some(_), _) => String::new(),
        (None, Some(tag)) => tag.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    Some((familiar, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_image(container: &str) -> ImageRow {
        // `docker image inspect berth-test/busybox:local` on the oracle's machine.
        ImageRow {
            container: container.to_owned(),
            id: "sha256:10731fe030914b8fa2ab17dbefb4e541db08e29457a301d0e498bddaeb0316a3"
                .to_owned(),
            repository: "berth-test/busybox".to_owned(),
            tag: "local".to_owned(),
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            os_version: String::new(),
            variant: String::new(),
            size: 1_984_172,
            created: Timestamp::parse("2026-11-28T11:37:13.551750327Z").unwrap(),
            last_tag_time: Timestamp::parse("2026-11-28T11:37:13.553468175Z").unwrap(),
        }
    }

    #[test]
    fn table_matches_compose() {
        let now = Timestamp::parse("2026-11-28T12:01:40Z").unwrap().seconds;
        let rows = [test_image("p-db-1"), test_image("p-web-1")];
        assert_eq!(
            render(&rows, "table", false, now).unwrap(),
            "CONTAINER           REPOSITORY           TAG                 PLATFORM            IMAGE ID            SIZE                CREATED\n\
             p-db-1              berth-test/busybox   local               linux/amd64         10731fe03091        1.98MB              24 minutes ago\n\
             p-web-1             berth-test/busybox   local               linux/amd64         10731fe03091        1.98MB              24 minutes ago\n"
        );
        assert_eq!(
            render(&[], "table", false, now).unwrap(),
            "CONTAINER           REPOSITORY          TAG                 PLATFORM            IMAGE ID            SIZE                CREATED\n"
        );
    }

    #[test]
    fn json_ids_and_bad_formats_match_compose() {
        let rows = [test_image("p-db-1"), test_image("p-web-1")];
        assert_eq!(
            render(&rows[..1], "json", false, 0).unwrap(),
            "[{\"ID\":\"sha256:10731fe030914b8fa2ab17dbefb4e541db08e29457a301d0e498bddaeb0316a3\",\"ContainerName\":\"p-db-1\",\"Repository\":\"berth-test/busybox\",\"Tag\":\"local\",\"Platform\":\"linux/amd64\",\"Size\":1984172,\"LastTagTime\":\"2026-11-28T11:37:13.553468175Z\"}]\n\n"
        );
        assert_eq!(render(&[], "json", false, 0).unwrap(), "null\n\n");
        assert_eq!(
            render(&rows, "table", true, 0).unwrap(),
            "10731fe030914b8fa2ab17dbefb4e541db08e29457a301d0e498bddaeb0316a3\n"
        );
        assert_eq!(
            render(&rows, "foo", false, 0).unwrap_err().to_string(),
            "format value \"foo\" could not be parsed: parsing failed"
        );
    }

    #[test]
    fn never_tagged_images_are_292_years_old() {
        let mut row = test_image("p-db-1");
        row.last_tag_time = Timestamp {
            seconds: GO_ZERO_TIME,
            nanos: 0,
        };
        let table = render(&[row.clone()], "table", false, now_unix()).unwrap();
        assert!(table.ends_with("292 years ago\n"), "{table}");
        // JSON falls back on the creation time.
        assert!(
            render(&[row], "json", false, 0)
                .unwrap()
                .contains("\"LastTagTime\":\"2026-11-28T11:37:13.551750327Z\"")
        );
    }

    #[test]
    fn references_read_as_familiar_names() {
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(familiar_reference("busybox"), pair("busybox", "latest"));
        assert_eq!(
            familiar_reference("docker.io/library/redis:7"),
            pair("redis", "7")
        );
        assert_eq!(
            familiar_reference("berth-test/busybox:local"),
            pair("berth-test/busybox", "local")
        );
        assert_eq!(
            familiar_reference("localhost:5000/app/web:1.0"),
            pair("localhost:5000/app/web", "1.0")
        );
        assert_eq!(familiar_reference("redis:7@sha256:0123"), pair("redis", ""));
        assert_eq!(familiar_reference(&"a".repeat(64)), None);
        assert_eq!(
            go_rfc3339_nano(Timestamp::parse("2026-11-28T11:37:13.5Z").unwrap()),
            "2026-11-28T11:37:13.5Z"
        );
        assert_eq!(
            go_rfc3339_nano(Timestamp::parse("2026-11-28T11:37:13Z").unwrap()),
            "2026-11-28T11:37:13Z"
        );
    }
}
