//! The `plain` renderer: one line per event, as Compose's `plainWriter` prints it with Go's
//! `fmt.Println(prefix, ID, Text, StatusText)`. berth's events have no separate `Text`, so every
//! line carries Compose's double space: ` Container p-web-1  Created`. This is what scripts and CI
//! logs see, so it must match Compose byte for byte.

use std::io::Write;
use std::sync::Mutex;

use berth_engine::Event;

use super::DRY_RUN_PREFIX;

/// The plain renderer: lines written to one sink under a lock so parallel events never
/// interleave.
pub(crate) struct Plain {
    dry_run: bool,
    out: Mutex<Box<dyn Write + Send>>,
}

impl Plain {
    pub(crate) fn new(dry_run: bool, out: Box<dyn Write + Send>) -> Self {
        Self {
            dry_run,
            out: Mutex::new(out),
        }
    }

    pub(crate) fn event(&self, event: &Event) {
        self.write(&line(event, self.dry_run));
    }

    /// A [`super::Detail`] line as Go's `Println(prefix, ID, Text, StatusText)`.
    pub(crate) fn detail(&self, detail: &super::Detail) {
        let prefix = if self.dry_run { DRY_RUN_PREFIX } else { "" };
        self.write(&format!(
            "{prefix} {} {} {}",
            detail.id, detail.text, detail.status_text
        ));
    }

    /// A free-standing line, printed as given (Compose's warnings carry no dry-run prefix).
    pub(crate) fn write(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

/// One event as Compose's plain writer prints it (without the newline).
///
/// Go's `Println` puts a space between operands, so the empty prefix gives the leading space, the
/// dry-run prefix (which ends with a space) gives two, and the empty `Text` gives the double space
/// before the status.
pub(crate) fn line(event: &Event, dry_run: bool) -> String {
    let prefix = if dry_run { DRY_RUN_PREFIX } else { "" };
    format!("{prefix} {}  {}", event.resource, event.text)
}

#[cfg(test)]
mod tests {
    use berth_engine::EventStatus;

    use super::*;

    fn event(resource: &str, status: EventStatus, text: &str) -> Event {
        Event {
            resource: resource.to_owned(),
            status,
            text: text.to_owned(),
        }
    }

    /// The sequence `docker compose up -d` printed for a two-service project with `--progress
    /// plain` (Compose v2.40.3).
    #[test]
    fn up_sequence_matches_compose() {
        let events = [
            event("Network p_default", EventStatus::Working, "Creating"),
            event("Network p_default", EventStatus::Done, "Created"),
            event("Container p-db-1", EventStatus::Working, "Creating"),
            event("Container p-db-1", EventStatus::Done, "Created"),
            event("Container p-db-1", EventStatus::Working, "Starting"),
            event("Container p-db-1", EventStatus::Done, "Started"),
        ];
        let text: Vec<String> = events.iter().map(|event| line(event, false)).collect();
        assert_eq!(
            text.join("\n"),
            " Network p_default  Creating\n Network p_default  Created\n Container p-db-1  Creating\n Container p-db-1  Created\n Container p-db-1  Starting\n Container p-db-1  Started"
        );
    }

    #[test]
    fn dry_run_prefix_is_followed_by_two_spaces() {
        let created = event("Container p-web-1", EventStatus::Done, "Created");
        assert_eq!(
            line(&created, true),
            " DRY-RUN MODE -  Container p-web-1  Created"
        );
    }

    #[test]
    fn errors_and_warnings_print_their_text() {
        let failed = event(
            "Container p-c-1",
            EventStatus::Error,
            "Error response from daemon: Conflict.",
        );
        let in_use = event(
            "Network p_default",
            EventStatus::Warning,
            "Resource is still in use",
        );
        assert_eq!(
            line(&failed, false),
            " Container p-c-1  Error response from daemon: Conflict."
        );
        assert_eq!(
            line(&in_use, false),
            " Network p_default  Resource is still in use"
        );
    }
}
