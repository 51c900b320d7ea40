//! `berth version`: berth's version, and the Compose version it follows.

use clap::Args;

/// The Docker Compose release whose behaviour berth reproduces.
pub const COMPOSE_VERSION: &str = "2.40.3";

// Arguments of `berth version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Format the output: `pretty` or `json`.
    #[arg(short, long, default_value = "pretty")]
    pub format: String,
    /// Show only the version number.
    #[arg(long)]
    pub short: bool,
    /// Compose files. `-f` after `version` means `--format`, as in Compose (cobra lets a command's
    /// flag shadow the root's); this long-only copy of the global `--file` takes its place here.
    #[arg(long = "file", id = "files", value_name = "FILE", hide = true)]
    pub files: Vec<String>,
}

/// Prints the version.
///
/// # Errors
/// An unknown format.
pub fn run(args: &VersionArgs) -> anyhow::Result<i32> {
    let version = env!("CARGO_PKG_VERSION");
    let text = if args.short {
        version.to_owned()
    } else {
        match args.format.as_str() {
            "pretty" | "" => {
                format!("berth version v{version} (Docker Compose v{COMPOSE_VERSION} compatible)")
            }
            "json" => format!("{{\"version\":\"v{version}\",\"compose\":\"v{COMPOSE_VERSION}\"}}"),
            other => {
                anyhow::bail!("format value {other:?} could not be parsed: use `pretty` or `json`")
            }
        }
    };
    crate::cli::print_stdout(&format!("{text}\n"))?;
    Ok(0)
}
