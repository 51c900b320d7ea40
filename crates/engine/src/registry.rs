//! Registry credentials as the Docker CLI finds them: the registry host of a reference as Docker
//! normalises it, then the CLI's config file (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`): a `credHelpers` entry for that host, else the `credsStore`, else the
//! `auths` entry (base64 `auth`, or `username`/`password`, or an identity token). Helpers are run
//! as the CLI runs them: `docker-credential-<helper> get` with the host on standard input.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use bollard::auth::DockerCredentials;
use serde_json::Value;

use crate::error::{EngineError, Result};

/// The Docker Hub's key in the CLI's config file (`registry.IndexServer`).
pub const INDEX_SERVER: &str = "https://index.docker.io/v1/";

/// The registry host of an image reference, as Docker's `reference.ParseNormalizedNamed` finds
/// it: the first path component when it looks like a host (has a `.` or a `:`, or is
/// `localhost`), else `docker.io`.
#[must_use]
pub fn registry_host(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            if first == "index.docker.io" {
                "docker.io"
            } else {
                first
            }
        }
        _ => "docker.io",
    }
}

/// The config file key for a registry host (`registry.GetAuthConfigKey`): the Docker Hub's is its
/// v1 URL.
#[must_use]
pub fn auth_config_key(host: &str) -> &str {
    if host == "docker.io" {
        INDEX_SERVER
    } else {
        host
    }
}

/// The credentials for the registry of `reference`, from the Docker CLI's config; `None` when the
/// config has none for it (the request then goes out anonymous, as the CLI's does).
///
/// # Errors
/// An unreadable or malformed config file, an undecodable `auth`, or a credential helper that
/// fails otherwise than "credentials not found".
pub fn credentials_for(reference: &str) -> Result<Option<DockerCredentials>> {
    credentials_in(&crate::connect::docker_config_dir(), reference)
}

/// [`credentials_for`] with the config directory given.
///
/// # Errors
/// As [`credentials_for`].
pub fn credentials_in(dir: &Path, reference: &str) -> Result<Option<DockerCredentials>> {
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(EngineError::Config(format!(
                "reading {}: {error}",
                path.display()
            )));
        }
    };
    let config: Value = serde_json::from_str(&text).map_err(|error| {
        EngineError::Config(format!("loading config file {}: {error}", path.display()))
    })?;
    let host = registry_host(reference);
    let key = auth_config_key(host);
    let text_at = |value: &Value, name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    if let Some(helper) = config
        .get("credHelpers")
        .and_then(|helpers| text_at(helpers, host))
    {
        return from_helper(&helper, key);
    }
    if let Some(store) = text_at(&config, "credsStore") {
        return from_helper(&store, key);
    }
    let Some(auths) = config.get("auths").and_then(Value::as_object) else {
        return Ok(None);
    };
    let entry = auths.get(key).or_else(|| {
        auths
            .iter()
            .find(|(name, _)| convert_to_hostname(name) == convert_to_hostname(key))
            .map(|(_, entry)| entry)
    });
    let Some(entry) = entry else { return Ok(None) };
    let invalid = || {
        EngineError::Config(format!(
            "loading config file {}: invalid auth configuration file",
            path.display()
        ))
    };
    let (mut username, mut password) = (text_at(entry, "username"), text_at(entry, "password"));
    if let Some(auth) = text_at(entry, "auth") {
        let decoded = decode_base64(auth.trim())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(invalid)?;
        let (user, secret) = decoded.split_once(':').ok_or_else(invalid)?;
        username = Some(user.to_owned());
        password = Some(secret.trim_matches('\0').to_owned());
    }
    Ok(Some(DockerCredentials {
        username,
        password,
        serveraddress: Some(key.to_owned()),
        identitytoken: text_at(entry, "identitytoken"),
        registrytoken: text_at(entry, "registrytoken"),
        ..DockerCredentials::default()
    }))
}

/// Standard base64 (padding optional), as the config file's `auth` is written.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// `http://host/v1/` → `host`, as the CLI's `ConvertToHostname`.
fn convert_to_hostname(url: &str) -> &str {
    let stripped = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    stripped.split('/').next().unwrap_or(stripped)
}

/// Asks `docker-credential-<helper> get` for `server`'s credentials.
fn from_helper(helper: &str, server: &str) -> Result<Option<DockerCredentials>> {
    ask_helper(&format!("docker-credential-{helper}"), server)
}

/// Runs the credential helper `program` (`get`, `server` on standard input).
fn ask_helper(program: &str, server: &str) -> Result<Option<DockerCredentials>> {
    let failed = |detail: String| {
        EngineError::Config(format!(
            "error getting credentials - err: {detail}, out: `{program}`"
        ))
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| failed(format!("exec: \"{program}\": {error}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|error| failed(error.to_string()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let message = stdout.trim();
        if message.contains("credentials not found") {
            return Ok(None);
        }
        return Err(failed(format!("{}: {message}", output.status)));
    }
    let answer: Value =
        serde_json::from_str(stdout.trim()).map_err(|error| failed(error.to_string()))?;
    let field = |name: &str| {
        answer
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (username, secret) = (field("Username"), field("Secret"));
    let mut credentials = DockerCredentials {
        serveraddress: Some(server.to_owned()),
        ..DockerCredentials::default()
    };
    if username == "<token>" {
        credentials.identitytoken = Some(secret);
    } else {
        credentials.username = Some(username);
        credentials.password = Some(secret);
    }
    Ok(Some(credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    #[test]
    fn hosts_are_normalised_as_docker_does() {
        assert_eq!(registry_host("busybox"), "docker.io");
        assert_eq!(registry_host("library/busybox:1"), "docker.io");
        assert_eq!(registry_host("team/app"), "docker.io");
        assert_eq!(registry_host("docker.io/team/app"), "docker.io");
        assert_eq!(registry_host("index.docker.io/team/app"), "docker.io");
        assert_eq!(registry_host("localhost/x"), "localhost");
        assert_eq!(registry_host("localhost:5000/x"), "localhost:5000");
        assert_eq!(registry_host("127.0.0.1:5000/x:1"), "127.0.0.1:5000");
        assert_eq!(registry_host("ghcr.io/o/x@sha256:ab"), "ghcr.io");
        assert_eq!(auth_config_key("docker.io"), INDEX_SERVER);
        assert_eq!(auth_config_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    fn config(tag: &str, text: &str) -> Scratch {
        let dir = Scratch::new(&format!("registry-{tag}"));
        std::fs::write(dir.path().join("config.json"), text).unwrap();
        dir
    }

    #[test]
    fn auths_entries_give_username_and_password() {
        // "alice:s3cret" in base64.
        let dir = config(
            "auths",
            r#"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6czNjcmV0"},
                "https://index.docker.io/v1/":{"username":"bob","password":"pw"},
                "http://other.example:8080/v2/":{"auth":"YWxpY2U6czNjcmV0"}}}"#,
        );
        let found = credentials_in(dir.path(), "127.0.0.1:5000/x:1")
            .unwrap()
            .unwrap();
        assert_eq!(found.username.as_deref(), Some("alice"));
        assert_eq!(found.password.as_deref(), Some("s3cret"));
        assert_eq!(found.serveraddress.as_deref(), Some("127.0.0.1:5000"));
        let hub = credentials_in(dir.path(), "busybox").unwrap().unwrap();
        assert_eq!(hub.username.as_deref(), Some("bob"));
        let other = credentials_in(dir.path(), "other.example:8080/x")
            .unwrap()
            .unwrap();
        assert_eq!(other.username.as_deref(), Some("alice"));
        assert!(
            credentials_in(dir.path(), "localhost:5000/x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn no_config_file_means_anonymous() {
        let dir = Scratch::new("registry-none");
        assert!(credentials_in(dir.path(), "busybox").unwrap().is_none());
    }

    #[test]
    fn a_missing_helper_is_an_error_naming_it() {
        let dir = config(
            "missing",
            r#"{"credHelpers":{"127.0.0.1:5000":"berth-no-such-helper"}}"#,
        );
        let error = credentials_in(dir.path(), "127.0.0.1:5000/x")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("docker-credential-berth-no-such-helper"),
            "{error}"
        );
    }

    #[test]
    fn helpers_are_asked_with_the_host_on_stdin() {
        let bin = Scratch::new("registry-helper");
        let script = bin.path().join("docker-credential-berthtest");
        std::fs::write(
            &script,
            "#!/bin/sh\nread host\n[ \"$1\" = get ] || exit 3\nif [ \"$host\" = nobody ]; then echo 'credentials not found in native keychain'; exit 1; fi\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"u-%s\",\"Secret\":\"p\"}' \"$host\" \"$host\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let program = script.display().to_string();
        let found = ask_helper(&program, "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(found.username.as_deref(), Some("u-127.0.0.1:5000"));
        assert_eq!(found.password.as_deref(), Some("p"));
        assert!(ask_helper(&program, "nobody").unwrap().is_none());
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("YWxpY2U6czNjcmV0").unwrap(), b"alice:s3cret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI").unwrap(), b"ab");
        assert!(decode_base64("a*b").is_none());
    }
}
