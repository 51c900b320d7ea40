//! `berth port`: the public address a service container's private port is published on
//! (`0.0.0.0:32768`), as `docker compose port` prints it, with Compose's errors: its argument
//! checks, `service "x" is not running`, and `no port 80/tcp for container …` listing what is
//! published.

use anyhow::bail;
use berth_engine::models::PortSummary;
use clap::Args;

use super::context::block_on;
use super::inspect::project_name;
use super::target::specified_container;
use super::{Cli, print_stdout};

// Arguments of `berth port`.
#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp or udp.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if service has multiple replicas.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub index: i64,
    /// SERVICE PRIVATE_PORT (checked as Compose checks them).
    #[arg(value_name = "SERVICE PRIVATE_PORT")]
    pub args: Vec<String>,
}

/// Runs `berth port`.
///
/// # Errors
/// Compose's argument errors, a service without a running container, a port not published.
pub fn run(cli: &Cli, args: &PortArgs) -> anyhow::Result<i32> {
    if args.args.len() < 2 {
        bail!(
            "requires at least 2 arg(s), only received {}",
            args.args.len()
        );
    }
    let port = parse_port(&args.args[1])?;
    let protocol = args.protocol.to_lowercase();
    let service = &args.args[0];
    let project = project_name(cli)?.to_lowercase();
    let index = u32::try_from(args.index.max(0)).unwrap_or(u32::MAX);
    let container = block_on(async {
        let engine = berth_engine::Engine::open_default()?;
        specified_container(&engine, &project, service, index, false).await
    })?;
    let ports = container.summary.ports.clone().unwrap_or_default();
    let (ip, public) = find_binding(&ports, port, &protocol)
        .ok_or_else(|| anyhow::anyhow!(not_found(&ports, port, &protocol, container.name())))?;
    print_stdout(&format!("{ip}:{public}\n"))?;
    Ok(0)
}

/// Go's `strconv.ParseUint(text, 10, 16)`, with its error words.
fn parse_port(text: &str) -> anyhow::Result<u16> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        bail!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            crate::go::quote(text)
        );
    }
    text.parse::<u16>().map_err(|_| {
        anyhow::anyhow!(
            "strconv.ParseUint: parsing {}: value out of range",
            crate::go::quote(text)
        )
    })
}

/// The first listed binding of `port`/`protocol`: host address and public port.
fn find_binding(ports: &[PortSummary], port: u16, protocol: &str) -> Option<(String, u16)> {
    ports
        .iter()
        .find(|summary| summary.private_port == port && protocol_of(summary) == protocol)
        .map(|summary| {
            (
                summary.ip.clone().unwrap_or_default(),
                summary.public_port.unwrap_or(0),
            )
        })
}

fn protocol_of(summary: &PortSummary) -> String {
    summary.typ.map(|typ| typ.to_string()).unwrap_or_default()
}

/// Compose's `portNotFoundError`: what is published is listed by public port and protocol.
fn not_found(ports: &[PortSummary], port: u16, protocol: &str, container: &str) -> String {
    let published: Vec<String> = ports
        .iter()
        .map(|summary| {
            format!(
                "{}/{}",
                summary.public_port.unwrap_or(0),
                protocol_of(summary)
            )
        })
        .collect();
    format!(
        "no port {port}/{protocol} for container {container}: {}",
        published.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use berth_engine::models::PortSummaryTypeEnum;

    use super::*;

    fn binding(ip: &str, private_port: u16, public_port: u16, udp: bool) -> PortSummary {
        PortSummary {
            ip: Some(ip.to_owned()),
            private_port,
            public_port: Some(public_port),
            typ: Some(if udp {
                PortSummaryTypeEnum::UDP
            } else {
                PortSummaryTypeEnum::TCP
            }),
        }
    }

    #[test]
    fn ports_parse_as_go_parses_them() {
        assert_eq!(parse_port("8080").unwrap(), 8080);
        assert_eq!(
            parse_port("abc").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_port("70000").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"70000\": value out of range"
        );
        assert!(parse_port("-1").is_err());
    }

    #[test]
    fn first_binding_wins_and_misses_list_what_is_published() {
        // `docker compose port` 2.40.3 on `ports: ["8080", "127.0.0.1::80/udp"]`.
        let ports = [
            binding("127.0.0.1", 80, 32768, true),
            binding("0.0.0.0", 8080, 32770, false),
            binding("::", 8080, 32770, false),
        ];
        assert_eq!(
            find_binding(&ports, 8080, "tcp"),
            Some(("0.0.0.0".to_owned(), 32770))
        );
        assert_eq!(
            find_binding(&ports, 80, "udp"),
            Some(("127.0.0.1".to_owned(), 32768))
        );
        assert_eq!(find_binding(&ports, 80, "tcp"), None);
        assert_eq!(
            not_found(&ports, 80, "tcp", "p-web-1"),
            "no port 80/tcp for container p-web-1: 32768/udp, 32770/tcp, 32770/tcp"
        );
        assert_eq!(
            not_found(&[], 80, "tcp", "p-db-1"),
            "no port 80/tcp for container p-db-1: "
        );
    }
}
