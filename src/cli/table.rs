//! Text tables as Docker's CLI prints them: Go's `text/tabwriter` with the settings `docker
//! compose ps` (minimum width 10) and `docker compose ls` (minimum width 20) use, plus the small
//! Go renderings these tables need (`units.HumanDuration`, `formatter.Ellipsis`,
//! `stringid.TruncateID`, `time.Time.String`). Kept apart from `output.rs` so the listing commands
//! own their layout.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lays out tab-separated `lines` as Go's `tabwriter.NewWriter(out, min_width, 1, padding, ' ', 0)`
/// does: every tab-terminated cell is padded to its column's width (the widest cell of the column
/// plus `padding`, at least `min_width`); the text after a line's last tab is left as it is.
/// Widths count characters, as tabwriter counts runes.
#[must_use]
pub fn tabulate(lines: &[String], min_width: usize, padding: usize) -> String {
    let rows: Vec<Vec<&str>> = lines
        .iter()
        .map(|line| line.split('\t').collect())
        .collect();
    let mut out = String::new();
    // A column block is a run of consecutive lines that have a terminated cell in that column;
    // tabwriter sizes each block on its own. Lines here have the same shape, but a custom template
    // may not, so compute widths per block, column by column.
    let mut widths: Vec<Vec<usize>> = rows.iter().map(|row| vec![0; row.len()]).collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    for column in 0..columns.saturating_sub(1) {
        let mut start = 0;
        while start < rows.len() {
            if rows[start].len() <= column + 1 {
                start += 1;
                continue;
            }
            let mut end = start;
            while end < rows.len() && rows[end].len() > column + 1 {
                end += 1;
            }
            let width = rows[start..end]
                .iter()
                .map(|row| row[column].chars().count() + padding)
                .max()
                .unwrap_or(0)
                .max(min_width);
            for row in &mut widths[start..end] {
                row[column] = width;
            }
            start = end;
        }
    }
    for (row, widths) in rows.iter().zip(&widths) {
        for (index, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if index + 1 < row.len() {
                let pad = widths[index].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// `units.HumanDuration`: how long ago, in Docker's words (`Less than a second`, `About a
/// minute`, `3 hours`).
#[must_use]
pub fn human_duration(seconds: i64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "durations are far below 2^52 seconds"
    )]
    let hours_float = seconds as f64 / 3600.0;
    let minutes = seconds / 60;
    if seconds < 1 {
        "Less than a second".to_owned()
    } else if seconds == 1 {
        "1 second".to_owned()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".to_owned()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else {
        #[expect(clippy::cast_possible_truncation, reason = "Go's int(d.Hours() + 0.5)")]
        let hours = (hours_float + 0.5) as i64;
        if hours == 1 {
            "About an hour".to_owned()
        } else if hours < 48 {
            format!("{hours} hours")
        } else if hours < 24 * 7 * 2 {
            format!("{} days", hours / 24)
        } else if hours < 24 * 30 * 2 {
            format!("{} weeks", hours / 24 / 7)
        } else if hours < 24 * 365 * 2 {
            format!("{} months", hours / 24 / 30)
        } else {
            format!("{} years", seconds / 3600 / 24 / 365)
        }
    }
}

/// Seconds since the Unix epoch, now.
#[must_use]
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

/// `formatter.Ellipsis`: at most `max` characters, the last one `…` when cut.
#[must_use]
pub fn ellipsis(text: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let count = text.chars().count();
    if max == 1 {
        return text.chars().next().map(String::from).unwrap_or_default();
    }
    if count <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// `stringid.TruncateID`: the first 12 characters of an ID, after any `algorithm:` prefix.
#[must_use]
pub fn truncate_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, hex)| hex);
    id.get(..12).unwrap_or(id)
}

/// Go's `time.Unix(seconds, 0).String()` in UTC: `2026-11-28 09:04:44 +0000 UTC`.
///
/// Docker renders in the local zone; berth renders UTC, which is what containers and CI machines
/// (and this project's oracle) run in.
#[must_use]
pub fn go_time_string(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = berth_engine::logs::civil_from_days(days);
    let mut out = String::new();
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} +0000 UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_table_pads_terminated_cells_to_the_widest_plus_three() {
        // `docker compose ps` on a real project (tests/fixtures/cmds/basic).
        let lines = vec![
            "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS".to_owned(),
            "berthtest-cmds-try-db-1\tbusybox:local\t\"sleep 3600\"\tdb\t53 seconds ago\tUp 52 seconds\t".to_owned(),
            "berthtest-cmds-try-web-1\tbusybox:local\t\"sh -c 'trap 'exit 0…\"\tweb\t53 seconds ago\tUp 52 seconds\t127.0.0.1:18080->80/tcp".to_owned(),
        ];
        assert_eq!(
            tabulate(&lines, 10, 3),
            "NAME                       IMAGE           COMMAND                  SERVICE   CREATED          STATUS          PORTS\n\
             berthtest-cmds-try-db-1    busybox:local   \"sleep 3600\"             db        53 seconds ago   Up 52 seconds   \n\
             berthtest-cmds-try-web-1   busybox:local   \"sh -c 'trap 'exit 0…\"   web       53 seconds ago   Up 52 seconds   127.0.0.1:18080->80/tcp\n"
        );
    }

    #[test]
    fn ls_table_has_a_minimum_width_of_twenty() {
        let lines = vec![
            "NAME\tSTATUS\tCONFIG FILES".to_owned(),
            "berthtest-cmds-try\trunning(4)\t/work/compose.yaml".to_owned(),
        ];
        assert_eq!(
            tabulate(&lines, 20, 3),
            "NAME                 STATUS              CONFIG FILES\n\
             berthtest-cmds-try   running(4)          /work/compose.yaml\n"
        );
    }

    #[test]
    fn durations_read_as_docker_writes_them() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(53), "53 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(59 * 60), "59 minutes");
        assert_eq!(human_duration(3600 + 1700), "About an hour");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(3 * 86_400), "3 days");
        assert_eq!(human_duration(20 * 86_400), "2 weeks");
        assert_eq!(human_duration(100 * 86_400), "3 months");
        assert_eq!(human_duration(800 * 86_400), "2 years");
    }

    #[test]
    fn commands_are_cut_to_twenty_characters_with_an_ellipsis() {
        assert_eq!(
            ellipsis(
                "sh -c 'trap 'exit 0' TERM; while true; do sleep 1; done'",
                20
            ),
            "sh -c 'trap 'exit 0…"
        );
        assert_eq!(ellipsis("sleep 3600", 20), "sleep 3600");
    }

    #[test]
    fn ids_and_times_match_docker() {
        assert_eq!(
            truncate_id("6daf5f0d8a7b54f12cf05b492070ec94ae508f0146e844697ae351d3009a588b"),
            "6daf5f0d8a7b"
        );
        assert_eq!(truncate_id("sha256:3c5894411f7bb325"), "3c5894411f7b");
        assert_eq!(
            go_time_string(1_795_856_684),
            "2026-11-28 09:04:44 +0000 UTC"
        );
    }
}
