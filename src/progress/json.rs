//! The `json` renderer: one JSON object per line, as Compose's `jsonWriter` marshals its
//! `jsonMessage` (fields in struct order, empty ones omitted, strings escaped as Go's
//! `encoding/json` escapes them). Warnings print as logrus's JSON formatter prints them in this
//! mode, so that every line on standard error stays machine-readable.

use std::io::Write;
use std::sync::Mutex;
use std::time::SystemTime;

use berth_engine::Event;

use crate::output::write_json_string;

/// The json renderer: lines written to one sink under a lock.
pub(crate) struct Json {
    dry_run: bool,
    out: Mutex<Box<dyn Write + Send>>,
}

impl Json {
    pub(crate) fn new(dry_run: bool, out: Box<dyn Write + Send>) -> Self {
        Self {
            dry_run,
            out: Mutex::new(out),
        }
    }

    pub(crate) fn event(&self, event: &Event) {
        self.write(&line(event, self.dry_run));
    }

    /// A [`super::Detail`] as Compose's `jsonMessage`, empty fields omitted.
    pub(crate) fn detail(&self, detail: &super::Detail) {
        let mut out = String::from("{");
        let mut fields: Vec<String> = Vec::new();
        if self.dry_run {
            fields.push("\"dry-run\":true".to_owned());
        }
        for (name, value) in [
            ("id", &detail.id),
            ("parent_id", &detail.parent_id),
            ("text", &detail.text),
            ("status", &detail.status_text),
        ] {
            if !value.is_empty() {
                let mut field = format!("\"{name}\":");
                write_json_string(&mut field, value);
                fields.push(field);
            }
        }
        for (name, value) in [
            ("current", detail.current),
            ("total", detail.total),
            ("percent", detail.percent),
        ] {
            if value != 0 {
                fields.push(format!("\"{name}\":{value}"));
            }
        }
        out.push_str(&fields.join(","));
        out.push('}');
        self.write(&out);
    }

    pub(crate) fn warning(&self, text: &str) {
        self.write(&warning(text, SystemTime::now()));
    }

    fn write(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

/// One event as Compose marshals it: `{"dry-run":true,"id":…,"status":…}`. berth's event text
/// is Compose's `StatusText`; `text`, `parent_id`, `current`, `total`, `percent` and `tail` are
/// zero for every event berth reports, so `omitempty` leaves them out.
pub(crate) fn line(event: &Event, dry_run: bool) -> String {
    let mut out = String::from("{");
    let mut first = true;
    let mut field = |out: &mut String, name: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
    };
    if dry_run {
        field(&mut out, "dry-run");
        out.push_str("true");
    }
    if !event.resource.is_empty() {
        field(&mut out, "id");
        write_json_string(&mut out, &event.resource);
    }
    if !event.text.is_empty() {
        field(&mut out, "status");
        write_json_string(&mut out, &event.text);
    }
    out.push('}');
    out
}

/// A warning as logrus's `JSONFormatter` writes it (keys sorted, time in RFC 3339).
pub(crate) fn warning(text: &str, at: SystemTime) -> String {
    let mut out = String::from("{\"level\":\"warning\",\"msg\":");
    write_json_string(&mut out, text);
    out.push_str(",\"time\":");
    write_json_string(&mut out, &rfc3339_utc(at));
    out.push('}');
    out
}

/// `2026-11-28T09:58:02Z`: Go's `time.RFC3339` for a UTC time.
fn rfc3339_utc(at: SystemTime) -> String {
    let seconds = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let (year, month, day) = berth_engine::logs::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use berth_engine::EventStatus;

    use super::*;

    fn event(resource: &str, status: EventStatus, text: &str) -> Event {
        Event {
            resource: resource.to_owned(),
            status,
            text: text.to_owned(),
        }
    }

    /// `docker compose --progress json down` on a one-service project (Compose v2.40.3).
    #[test]
    fn down_sequence_matches_compose() {
        let events = [
            event("Container p-web-1", EventStatus::Working, "Stopping"),
            event("Container p-web-1", EventStatus::Done, "Stopped"),
            event("Container p-web-1", EventStatus::Working, "Removing"),
            event("Container p-web-1", EventStatus::Done, "Removed"),
            event("Network p_default", EventStatus::Working, "Removing"),
            event("Network p_default", EventStatus::Done, "Removed"),
        ];
        let text: Vec<String> = events.iter().map(|event| line(event, false)).collect();
        assert_eq!(
            text.join("\n"),
            r#"{"id":"Container p-web-1","status":"Stopping"}
{"id":"Container p-web-1","status":"Stopped"}
{"id":"Container p-web-1","status":"Removing"}
{"id":"Container p-web-1","status":"Removed"}
{"id":"Network p_default","status":"Removing"}
{"id":"Network p_default","status":"Removed"}"#
        );
    }

    #[test]
    fn dry_run_comes_first_and_strings_are_escaped_as_go_does() {
        let failed = event(
            "Container p-a-1",
            EventStatus::Error,
            "port <80> \"in use\" & more",
        );
        assert_eq!(
            line(&failed, true),
            r#"{"dry-run":true,"id":"Container p-a-1","status":"port \u003c80\u003e \"in use\" \u0026 more"}"#
        );
    }

    #[test]
    fn empty_fields_are_omitted() {
        assert_eq!(line(&event("", EventStatus::Working, ""), false), "{}");
    }

    #[test]
    fn warnings_print_as_logrus_json() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_859_882);
        assert_eq!(
            warning(
                "Warning: No resource found to remove for project \"p\".",
                at
            ),
            r#"{"level":"warning","msg":"Warning: No resource found to remove for project \"p\".","time":"2026-11-28T09:58:02Z"}"#
        );
    }

    #[test]
    fn rfc3339_handles_leap_years_and_the_epoch() {
        assert_eq!(rfc3339_utc(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap_day = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap_day), "2000-02-29T00:00:00Z");
    }
}
