//! The short port syntax (`"127.0.0.1:8080:80/udp"`), parsed as Compose parses it.
//!
//! Compose hands each string to docker's `nat.ParsePortSpecs` (go-connections v0.6.0, the version
//! linked into Compose v2.40.3) and turns every resulting binding into a long-syntax mapping. The
//! quirks that show in `config` output are kept: a container range gives one entry per port, the
//! entries are ordered by the *text* of `<port>/<proto>` (so `10000` sorts before `9998`), and a
//! host range in front of a single container port stays a range in `published`.

use std::net::IpAddr;

use thiserror::Error;

use crate::loader::tree::{Map, Value};

/// Why a short port string was rejected. The texts are go-connections' own.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    /// The protocol after `/` is not `tcp`, `udp` or `sctp` (an empty protocol included).
    #[error("invalid proto: {0}")]
    Protocol(String),
    /// A bracketed IPv6 host address without its closing bracket.
    #[error("invalid IP address {ip}: address {ip}:: missing ']' in address")]
    UnclosedBracket {
        /// The host address as written, opening bracket included.
        ip: String,
    },
    /// The host address is not an IP address.
    #[error("invalid IP address: {0}")]
    Address(String),
    /// The container port is missing.
    #[error("no port specified: {0}<empty>")]
    NoPort(String),
    /// The container port or range is not a valid port number or range.
    #[error("invalid containerPort: {0}")]
    ContainerPort(String),
    /// The host port or range is not a valid port number or range.
    #[error("invalid hostPort: {0}")]
    HostPort(String),
    /// A container range and a host range of different lengths.
    #[error("invalid ranges specified for container and host Ports: {container} and {host}")]
    RangeMismatch {
        /// The container range as written.
        container: String,
        /// The host range as written.
        host: String,
    },
}

/// One binding produced by the short syntax, before it becomes a tree mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PortBinding {
    host_ip: String,
    target: u16,
    published: String,
    protocol: String,
}

/// Parses a short-syntax port into its long-syntax mappings, in the order Compose prints them.
///
/// Each mapping has `mode: ingress`, the `host_ip` and `published` fields when they are set, a
/// numeric `target` (left out when it is 0, as Compose's `omitempty` does) and `protocol`.
pub fn parse_port_config(spec: &str) -> Result<Vec<Value>, PortError> {
    let mut bindings = parse_port_spec(spec)?;
    // ParsePortConfig sorts the `<port>/<proto>` keys as strings; all entries share one protocol,
    // so sorting the decimal text of the target reproduces that order.
    bindings.sort_by_cached_key(|binding| binding.target.to_string());
    Ok(bindings.into_iter().map(binding_to_value).collect())
}

fn binding_to_value(binding: PortBinding) -> Value {
    let mut map = Map::new();
    map.insert("mode".to_owned(), Value::from("ingress"));
    if !binding.host_ip.is_empty() {
        map.insert("host_ip".to_owned(), Value::from(binding.host_ip));
    }
    if binding.target != 0 {
        map.insert("target".to_owned(), Value::from(binding.target));
    }
    if !binding.published.is_empty() {
        map.insert("published".to_owned(), Value::from(binding.published));
    }
    map.insert("protocol".to_owned(), Value::from(binding.protocol));
    Value::Object(map)
}

/// Splits `ip:host:container`; extra colons belong to the (IPv6) address.
fn split_parts(spec: &str) -> (&str, &str, &str) {
    let mut from_end = spec.rsplitn(3, ':');
    let container = from_end.next().unwrap_or_default();
    match (from_end.next(), from_end.next()) {
        (None, _) => ("", "", container),
        (Some(host), None) => ("", host, container),
        (Some(host), Some(ip)) => (ip, host, container),
    }
}

fn parse_port_spec(spec: &str) -> Result<Vec<PortBinding>, PortError> {
    let (ip, host_port, container_port) = split_parts(spec);
    let (container_port, protocol) = match container_port.split_once('/') {
        Some((port, protocol)) => (port, protocol),
        None => (container_port, ""),
    };
    // An empty port yields an empty protocol, which go-connections rejects before noticing the
    // missing port: `"80:"` fails with `invalid proto: `.
    let protocol = if container_port.is_empty() {
        String::new()
    } else if protocol.is_empty() {
        "tcp".to_owned()
    } else {
        protocol.to_lowercase()
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(PortError::Protocol(protocol));
    }

    let host_ip = parse_host_ip(ip)?;
    if container_port.is_empty() {
        return Err(PortError::NoPort(spec.to_owned()));
    }
    let (start, end) = parse_port_range(container_port)
        .ok_or_else(|| PortError::ContainerPort(container_port.to_owned()))?;
    let mut host_range = None;
    if !host_port.is_empty() {
        let (host_start, host_end) =
            parse_port_range(host_port).ok_or_else(|| PortError::HostPort(host_port.to_owned()))?;
        // A host range is allowed in front of a single container port: it is the pool the
        // engine picks from. Otherwise both ranges must have the same length.
        if end - start != host_end - host_start && end != start {
            return Err(PortError::RangeMismatch {
                container: container_port.to_owned(),
                host: host_port.to_owned(),
            });
        }
        host_range = Some((host_start, host_end));
    }

    let count = end - start + 1;
    let bindings = (0..count)
        .map(|offset| {
            let published = match host_range {
                None => String::new(),
                Some((host_start, host_end)) if count == 1 && host_start != host_end => {
                    format!("{host_start}-{host_end}")
                }
                Some((host_start, _)) => (host_start + offset).to_string(),
            };
            PortBinding {
                host_ip: host_ip.clone(),
                // Cannot exceed u16: `end` was parsed as one.
                target: u16::try_from(start + offset).unwrap_or(u16::MAX),
                published,
                protocol: protocol.clone(),
            }
        })
        .collect();
    Ok(bindings)
}

/// Validates the host address, stripping the brackets of an IPv6 address.
fn parse_host_ip(ip: &str) -> Result<String, PortError> {
    if ip.is_empty() {
        return Ok(String::new());
    }
    let bare = if let Some(rest) = ip.strip_prefix('[') {
        // Go's net.SplitHostPort(ip + ":") accepts `[addr]` followed by nothing else.
        match rest.strip_suffix(']') {
            Some(inner) if !inner.contains(['[', ']']) => inner,
            _ => return Err(PortError::UnclosedBracket { ip: ip.to_owned() }),
        }
    } else {
        ip
    };
    if bare.parse::<IpAddr>().is_err() {
        return Err(PortError::Address(bare.to_owned()));
    }
    Ok(bare.to_owned())
}

/// go-connections' `ParsePortRange`: `80` or `8000-9000` (text after a second `-` is ignored).
fn parse_port_range(text: &str) -> Option<(u32, u32)> {
    let parse = |part: &str| -> Option<u32> {
        // strconv.ParseUint(s, 10, 16): decimal digits only, no sign.
        if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        part.parse::<u16>().ok().map(u32::from)
    };
    let mut parts = text.split('-');
    let start = parse(parts.next().unwrap_or_default())?;
    let Some(end) = parts.next() else {
        return Some((start, start));
    };
    let end = parse(end)?;
    (end >= start).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parsed(spec: &str) -> Value {
        Value::Array(parse_port_config(spec).expect("valid port"))
    }

    #[test]
    fn host_and_container_port() {
        assert_eq!(
            parsed("8080:80"),
            json!([{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}])
        );
    }

    #[test]
    fn host_ip_and_protocol() {
        assert_eq!(
            parsed("127.0.0.1:8081:80/udp"),
            json!([{"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8081", "protocol": "udp"}])
        );
    }

    #[test]
    fn container_range_gives_one_entry_per_port() {
        assert_eq!(
            parsed("3000-3002"),
            json!([
                {"mode": "ingress", "target": 3000, "protocol": "tcp"},
                {"mode": "ingress", "target": 3001, "protocol": "tcp"},
                {"mode": "ingress", "target": 3002, "protocol": "tcp"}
            ])
        );
    }

    #[test]
    fn host_and_container_ranges_pair_up() {
        assert_eq!(
            parsed("9090-9091:8080-8081"),
            json!([
                {"mode": "ingress", "target": 8080, "published": "9090", "protocol": "tcp"},
                {"mode": "ingress", "target": 8081, "published": "9091", "protocol": "tcp"}
            ])
        );
    }

    #[test]
    fn range_entries_are_sorted_as_text() {
        let targets: Vec<Value> = parse_port_config("9998-10001:9998-10001")
            .expect("valid port")
            .into_iter()
            .map(|entry| entry["target"].clone())
            .collect();
        assert_eq!(
            targets,
            vec![json!(10000), json!(10001), json!(9998), json!(9999)]
        );
    }

    #[test]
    fn host_range_before_single_container_port_stays_a_range() {
        assert_eq!(
            parsed("8000-8010:84"),
            json!([{"mode": "ingress", "target": 84, "published": "8000-8010", "protocol": "tcp"}])
        );
    }

    #[test]
    fn bracketed_and_bare_ipv6_addresses() {
        let expected = json!([{"mode": "ingress", "host_ip": "::1", "target": 80, "published": "82", "protocol": "tcp"}]);
        assert_eq!(parsed("[::1]:82:80"), expected);
        assert_eq!(parsed("::1:82:80"), expected);
    }

    #[test]
    fn empty_host_port_publishes_nothing() {
        assert_eq!(
            parsed(":80"),
            json!([{"mode": "ingress", "target": 80, "protocol": "tcp"}])
        );
    }

    #[test]
    fn zero_target_is_left_out() {
        assert_eq!(parsed("0"), json!([{"mode": "ingress", "protocol": "tcp"}]));
    }

    #[test]
    fn errors_use_go_connections_text() {
        let message = |spec: &str| parse_port_config(spec).expect_err(spec).to_string();
        assert_eq!(message("80/xyz"), "invalid proto: xyz");
        assert_eq!(message("80:"), "invalid proto: ");
        assert_eq!(message("1.2.3:80:80"), "invalid IP address: 1.2.3");
        assert_eq!(message("1:2:3:4:80"), "invalid IP address: 1:2:3");
        assert_eq!(message("80-70"), "invalid containerPort: 80-70");
        assert_eq!(message("abc"), "invalid containerPort: abc");
        assert_eq!(message("70000"), "invalid containerPort: 70000");
        assert_eq!(message("x:80"), "invalid hostPort: x");
        assert_eq!(
            message("8080-8081:80-82"),
            "invalid ranges specified for container and host Ports: 80-82 and 8080-8081"
        );
        assert_eq!(
            message("[::1:80:80"),
            "invalid IP address [::1: address [::1:: missing ']' in address"
        );
    }
}
