//! The `/build` request as the docker CLI sends it: every build attribute in the query (repeated
//! `t` and `extrahosts`, JSON `buildargs`, `labels`, `cachefrom` and `ulimits`), and the registry
//! credentials of the CLI's config in `X-Registry-Config`, so that base images on authenticated
//! registries can be pulled. bollard's build options cannot repeat a parameter, hence this module.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::{BuildRequest, Builder};
use crate::error::Result;

/// The query string (without `?`) for `request`, whose context carries its Dockerfile as
/// `dockerfile`.
#[must_use]
pub fn query(request: &BuildRequest, dockerfile: &str) -> String {
    let mut query = Query::default();
    for tag in &request.tags {
        query.push("t", tag);
    }
    query.push("dockerfile", dockerfile);
    if let Some(remote) = &request.remote {
        query.push("remote", remote);
    }
    query.push("buildargs", &sorted_json(&request.args));
    query.push("labels", &sorted_json(&request.labels));
    if !request.cache_from.is_empty() {
        query.push("cachefrom", &json!(request.cache_from).to_string());
    }
    if let Some(target) = &request.target {
        query.push("target", target);
    }
    if let Some(network) = &request.network {
        query.push("networkmode", network);
    }
    for host in &request.extra_hosts {
        query.push("extrahosts", host);
    }
    if let Some(size) = request.shm_size {
        query.push("shmsize", &size.to_string());
    }
    if !request.ulimits.is_empty() {
        let ulimits: Vec<Value> = request
            .ulimits
            .iter()
            .map(|limit| json!({"Name": limit.name, "Soft": limit.soft, "Hard": limit.hard}))
            .collect();
        query.push("ulimits", &Value::Array(ulimits).to_string());
    }
    if let Some(isolation) = &request.isolation {
        query.push("isolation", isolation);
    }
    if let Some(platform) = &request.platform {
        query.push("platform", platform);
    }
    if request.pull {
        query.push("pull", "1");
    }
    if request.no_cache {
        query.push("nocache", "1");
    }
    query.push("rm", "1");
    // A failed step's container is removed too (Compose leaves it behind with the classic
    // builder), so a failed build leaves no stopped container.
    query.push("forcerm", "1");
    query.push(
        "version",
        match request.builder {
            Builder::Classic => "1",
            Builder::BuildKit => "2",
        },
    );
    query.0
}

/// A map as a JSON object with sorted keys, so that the same request is always the same query.
fn sorted_json(map: &HashMap<String, String>) -> String {
    json!(map.iter().collect::<BTreeMap<_, _>>()).to_string()
}

/// `name=value` pairs, percent-encoded as Go's `url.Values.Encode` does.
#[derive(Default)]
pub(crate) struct Query(String);

impl Query {
    /// The query so far, without `?`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends `name=value`, both percent-encoded.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        encode_into(&mut self.0, name);
        self.0.push('=');
        encode_into(&mut self.0, value);
    }
}

fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// The `X-Registry-Config` header value: the credentials of every registry the CLI's config knows
/// (`auths` and `credHelpers` entries; with a `credsStore`, `docker login` leaves an empty `auths`
/// entry per registry), keyed by registry, as JSON in URL-safe base64, as the docker CLI's
/// `GetAllCredentials` sends them. `e30=` (`{}`) when there are none.
///
/// # Errors
/// An unreadable config, or a credential helper that fails.
pub fn registry_config(config_dir: &Path) -> Result<String> {
    use base64::Engine as _;
    let mut all = BTreeMap::new();
    let text = match std::fs::read_to_string(config_dir.join("config.json")) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(crate::EngineError::Config(format!(
                "reading {}: {error}",
                config_dir.join("config.json").display()
            )));
        }
    };
    // A malformed config is reported by `credentials_in` below, naming the file.
    let config: Value = text
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    let mut keys: Vec<String> = Vec::new();
    for section in ["auths", "credHelpers"] {
        if let Some(entries) = config.get(section).and_then(Value::as_object) {
            keys.extend(entries.keys().cloned());
        }
    }
    if text.is_some() && config.is_null() {
        // Let the shared reader produce its error.
        crate::registry::credentials_in(config_dir, "docker.io/library/x")?;
    }
    for key in keys {
        let host = host_of(&key);
        let reference = format!("{host}/x");
        if let Some(credentials) = crate::registry::credentials_in(config_dir, &reference)? {
            all.insert(key, credentials);
        }
    }
    let json = serde_json::to_vec(&all).unwrap_or_else(|_| b"{}".to_vec());
    Ok(base64::engine::general_purpose::URL_SAFE.encode(json))
}

/// The registry host of a config key (`https://index.docker.io/v1/` → `docker.io`).
fn host_of(key: &str) -> String {
    let stripped = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    let host = stripped.split('/').next().unwrap_or(stripped);
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Ulimit;
    use crate::build::context::ContextSpec;
    use crate::build::ignore::IgnoreFiles;

    fn request() -> BuildRequest {
        BuildRequest::new(ContextSpec {
            dir: "/nowhere".into(),
            dockerfile: "Dockerfile".into(),
            inline: None,
            ignore_files: IgnoreFiles::Classic,
        })
    }

    #[test]
    fn a_bare_request_sends_only_the_defaults() {
        assert_eq!(
            query(&request(), "Dockerfile"),
            "dockerfile=Dockerfile&buildargs=%7B%7D&labels=%7B%7D&rm=1&forcerm=1&version=1"
        );
    }

    #[test]
    fn every_attribute_is_carried_and_lists_repeat() {
        let mut request = request();
        request.builder = Builder::BuildKit;
        request.tags = vec!["app:1".into(), "registry:5000/app:latest".into()];
        request.args = HashMap::from([
            ("B".into(), "two words".into()),
            ("A".into(), "x&y=z".into()),
        ]);
        request.labels = HashMap::from([("com.example".into(), "1".into())]);
        request.cache_from = vec!["app:cache".into()];
        request.target = Some("final".into());
        request.network = Some("host".into());
        request.extra_hosts = vec!["one:10.0.0.1".into(), "two:10.0.0.2".into()];
        request.shm_size = Some(67_108_864);
        request.ulimits = vec![Ulimit {
            name: "nofile".into(),
            soft: 1024,
            hard: 2048,
        }];
        request.isolation = Some("process".into());
        request.platform = Some("linux/amd64".into());
        request.pull = true;
        request.no_cache = true;
        let query = query(&request, ".dockerfile.abc");
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_owned(), decode(value))
            })
            .collect();
        let expected: Vec<(&str, &str)> = vec![
            ("t", "app:1"),
            ("t", "registry:5000/app:latest"),
            ("dockerfile", ".dockerfile.abc"),
            ("buildargs", r#"{"A":"x&y=z","B":"two words"}"#),
            ("labels", r#"{"com.example":"1"}"#),
            ("cachefrom", r#"["app:cache"]"#),
            ("target", "final"),
            ("networkmode", "host"),
            ("extrahosts", "one:10.0.0.1"),
            ("extrahosts", "two:10.0.0.2"),
            ("shmsize", "67108864"),
            ("ulimits", r#"[{"Hard":2048,"Name":"nofile","Soft":1024}]"#),
            ("isolation", "process"),
            ("platform", "linux/amd64"),
            ("pull", "1"),
            ("nocache", "1"),
            ("rm", "1"),
            ("forcerm", "1"),
            ("version", "2"),
        ];
        // JSON values compare as JSON: their key order follows serde_json's `preserve_order`,
        // which the workspace's other crate turns on.
        let canonical = |(name, value): (&str, &str)| -> (String, String) {
            match serde_json::from_str::<serde_json::Value>(value) {
                Ok(json) if value.starts_with(['{', '[']) => {
                    let mut text = String::new();
                    canonical_json(&json, &mut text);
                    (name.to_owned(), text)
                }
                _ => (name.to_owned(), value.to_owned()),
            }
        };
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| canonical((name.as_str(), value.as_str())))
            .collect();
        let expected: Vec<(String, String)> = expected.into_iter().map(canonical).collect();
        assert_eq!(pairs, expected);
        assert!(
            query.contains("buildargs=%7B%22A%22%3A%22x%26y%3Dz%22%2C%22B%22%3A%22two+words%22%7D")
        );
    }

    /// JSON with object keys sorted, whatever order the value holds them in.
    fn canonical_json(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(key.clone()).to_string());
                    out.push(':');
                    canonical_json(&map[key], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical_json(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    /// Undoes [`encode_into`].
    fn decode(text: &str) -> String {
        let mut out = Vec::new();
        let mut bytes = text.bytes();
        while let Some(byte) = bytes.next() {
            match byte {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                        .iter()
                        .map(|&b| char::from(b))
                        .collect();
                    out.push(u8::from_str_radix(&hex, 16).unwrap());
                }
                _ => out.push(byte),
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn decoded_config(dir: &Path) -> Value {
        use base64::Engine as _;
        let header = registry_config(dir).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE
            .decode(header)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    #[test]
    fn the_registry_header_carries_every_configured_registry() {
        let dir = std::env::temp_dir().join(format!("berth-build-auth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(decoded_config(&dir), json!({}));
        // "alice:s3cret" in base64.
        std::fs::write(
            dir.join("config.json"),
            r#"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6czNjcmV0"},
                "https://index.docker.io/v1/":{"username":"bob","password":"pw"}}}"#,
        )
        .unwrap();
        let config = decoded_config(&dir);
        assert_eq!(config["127.0.0.1:5000"]["username"], "alice");
        assert_eq!(config["127.0.0.1:5000"]["password"], "s3cret");
        assert_eq!(config["127.0.0.1:5000"]["serveraddress"], "127.0.0.1:5000");
        assert_eq!(config["https://index.docker.io/v1/"]["username"], "bob");
        std::fs::write(dir.join("config.json"), "{not json").unwrap();
        assert!(registry_config(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
