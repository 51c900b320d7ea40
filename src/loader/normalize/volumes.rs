//! The short volume syntax (`./data:/data:ro`), parsed as compose-go's `format.ParseVolume` does.
//!
//! The parser splits on `:` without knowing the platform, so it has to guess which colons belong
//! to a Windows drive. Its guess is "a one-letter section followed by `:`", which produces the
//! quirks Compose users see: `v:/v` is an anonymous volume whose target is `v:/v`, and `a:b:c:d`
//! mounts `a:b` on `c:d`. Colons inside `${...}` never split. The source decides the type: a path
//! (`.`, `/`, `~`, `\\` or a drive) is a bind, anything else a named volume.

use thiserror::Error;

use crate::loader::tree::{Map, Value};

use super::paths::clean_slash_path;

/// Why a short volume string was rejected. The texts are compose-go's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VolumeError {
    /// The string is empty.
    #[error("invalid empty volume spec")]
    Empty,
    /// Two colons with nothing between them (or a colon at either end).
    #[error("invalid spec: {0}: empty section between colons")]
    EmptySection(String),
    /// More than `source:target:options`.
    #[error("invalid spec: {0}: too many colons")]
    TooManyColons(String),
}

/// The fields of a short-syntax volume, in compose-go's `ServiceVolumeConfig` terms.
#[derive(Debug, Default)]
struct ParsedVolume {
    source: String,
    target: String,
    read_only: bool,
    selinux: Option<String>,
    propagation: Option<String>,
    nocopy: bool,
}

/// Parses a short-syntax volume into its long-syntax mapping: `type`, `source` (when set),
/// `target` (cleaned like Go's `path.Clean`), `read_only` when set, and the `bind` or `volume`
/// options block.
pub fn parse_volume(spec: &str) -> Result<Value, VolumeError> {
    let volume = match spec.len() {
        0 => return Err(VolumeError::Empty),
        // Too short to hold a colon-separated pair: an anonymous volume without options block.
        1 | 2 => {
            let mut map = Map::new();
            map.insert("type".to_owned(), Value::from("volume"));
            map.insert("target".to_owned(), Value::from(clean_target(spec)));
            return Ok(Value::Object(map));
        }
        _ => split_sections(spec)?,
    };
    Ok(volume_to_value(volume))
}

/// The target of a short volume spec as written, not cleaned (`./src:/app:ro` → `/app`): the
/// merge's unicity compares raw targets, before the short syntax is expanded.
///
/// # Errors
/// The spec is empty or has empty sections or too many colons.
pub fn volume_target(spec: &str) -> Result<String, VolumeError> {
    match spec.len() {
        0 => Err(VolumeError::Empty),
        1 | 2 => Ok(spec.to_owned()),
        _ => Ok(split_sections(spec)?.target),
    }
}

fn split_sections(spec: &str) -> Result<ParsedVolume, VolumeError> {
    let mut volume = ParsedVolume::default();
    let mut buffer = String::new();
    let mut substitution_depth = 0usize;
    let bytes = spec.as_bytes();
    let mut chars = spec.char_indices().peekable();
    loop {
        let next = chars.next();
        let at_end = next.is_none();
        let (index, character) = next.unwrap_or((spec.len(), '\0'));
        if !at_end {
            if character == '$' && bytes.get(index + 1) == Some(&b'{') {
                substitution_depth += 1;
                buffer.push(character);
                continue;
            }
            if character == '}' && substitution_depth > 0 {
                substitution_depth -= 1;
                buffer.push(character);
                continue;
            }
            if character == ':' && is_drive_letter(&buffer) {
                buffer.push(character);
                continue;
            }
        }
        if at_end || (character == ':' && substitution_depth == 0) {
            populate_field(spec, &buffer, at_end, &mut volume)?;
            buffer.clear();
            if at_end {
                return Ok(volume);
            }
        } else {
            buffer.push(character);
        }
    }
}

/// A buffer holding exactly one letter is taken for a Windows drive (`C` in `C:\x`).
fn is_drive_letter(buffer: &str) -> bool {
    let mut chars = buffer.chars();
    matches!((chars.next(), chars.next()), (Some(letter), None) if letter.is_alphabetic())
}

fn populate_field(
    spec: &str,
    section: &str,
    at_end: bool,
    volume: &mut ParsedVolume,
) -> Result<(), VolumeError> {
    if section.is_empty() {
        return Err(VolumeError::EmptySection(spec.to_owned()));
    }
    if volume.source.is_empty() && at_end {
        // A single section is an anonymous volume's target.
        volume.target = section.to_owned();
    } else if volume.source.is_empty() {
        volume.source = section.to_owned();
    } else if volume.target.is_empty() {
        volume.target = section.to_owned();
    } else if !at_end {
        return Err(VolumeError::TooManyColons(spec.to_owned()));
    } else {
        for option in section.split(',') {
            match option {
                "ro" => volume.read_only = true,
                "rw" => volume.read_only = false,
                "nocopy" => volume.nocopy = true,
                "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                    volume.propagation = Some(option.to_owned());
                }
                "z" | "Z" => volume.selinux = Some(option.to_owned()),
                // compose-go ignores unknown options.
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether a volume source names a host path rather than a volume.
fn is_file_path(source: &str) -> bool {
    match source.as_bytes().first() {
        None => false,
        Some(b'.' | b'/' | b'~') => true,
        Some(_) if source.starts_with("\\\\") => true,
        Some(_) => {
            let mut chars = source.chars();
            let first = chars.next();
            let second = chars.as_str().as_bytes().first();
            matches!((first, second), (Some(letter), Some(b':')) if letter.is_alphabetic())
        }
    }
}

fn volume_to_value(volume: ParsedVolume) -> Value {
    let is_bind = is_file_path(&volume.source);
    let mut map = Map::new();
    map.insert(
        "type".to_owned(),
        Value::from(if is_bind { "bind" } else { "volume" }),
    );
    if !volume.source.is_empty() {
        map.insert("source".to_owned(), Value::from(volume.source));
    }
    map.insert(
        "target".to_owned(),
        Value::from(clean_target(&volume.target)),
    );
    if volume.read_only {
        map.insert("read_only".to_owned(), Value::Bool(true));
    }
    let has_bind_options = volume.selinux.is_some() || volume.propagation.is_some();
    if is_bind || has_bind_options {
        let mut bind = Map::new();
        if let Some(selinux) = volume.selinux {
            bind.insert("selinux".to_owned(), Value::from(selinux));
        }
        if let Some(propagation) = volume.propagation {
            bind.insert("propagation".to_owned(), Value::from(propagation));
        }
        if is_bind {
            // Short-syntax binds create a missing host path, as docker-compose v1 did.
            bind.insert("create_host_path".to_owned(), Value::Bool(true));
        }
        map.insert("bind".to_owned(), Value::Object(bind));
    }
    if !is_bind || volume.nocopy {
        let mut options = Map::new();
        if volume.nocopy {
            options.insert("nocopy".to_owned(), Value::Bool(true));
        }
        map.insert("volume".to_owned(), Value::Object(options));
    }
    Value::Object(map)
}

/// `path.Clean` for a non-empty target; an empty one stays empty.
fn clean_target(target: &str) -> String {
    if target.is_empty() {
        String::new()
    } else {
        clean_slash_path(target)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parsed(spec: &str) -> Value {
        parse_volume(spec).expect("valid volume")
    }

    #[test]
    fn relative_bind_read_only() {
        assert_eq!(
            parsed("./data:/data:ro"),
            json!({"type": "bind", "source": "./data", "target": "/data", "read_only": true, "bind": {"create_host_path": true}})
        );
    }

    #[test]
    fn named_volume_nocopy() {
        assert_eq!(
            parsed("data:/data2:nocopy"),
            json!({"type": "volume", "source": "data", "target": "/data2", "volume": {"nocopy": true}})
        );
    }

    #[test]
    fn selinux_and_propagation_go_under_bind() {
        assert_eq!(
            parsed("/host:/c:z"),
            json!({"type": "bind", "source": "/host", "target": "/c", "bind": {"selinux": "z", "create_host_path": true}})
        );
        assert_eq!(
            parsed("/h:/p:rslave,Z,rw"),
            json!({"type": "bind", "source": "/h", "target": "/p", "bind": {"selinux": "Z", "propagation": "rslave", "create_host_path": true}})
        );
    }

    #[test]
    fn home_source_is_a_bind() {
        assert_eq!(
            parsed("~/x:/y"),
            json!({"type": "bind", "source": "~/x", "target": "/y", "bind": {"create_host_path": true}})
        );
    }

    #[test]
    fn one_letter_source_is_taken_for_a_drive() {
        assert_eq!(
            parsed("v:/v"),
            json!({"type": "volume", "target": "v:/v", "volume": {}})
        );
        assert_eq!(
            parsed("a:b:c:d"),
            json!({"type": "bind", "source": "a:b", "target": "c:d", "bind": {"create_host_path": true}})
        );
    }

    #[test]
    fn windows_sources_are_binds() {
        assert_eq!(
            parsed("C:\\x:/y2"),
            json!({"type": "bind", "source": "C:\\x", "target": "/y2", "bind": {"create_host_path": true}})
        );
        assert_eq!(
            parsed("\\\\.\\pipe\\x:/pipe"),
            json!({"type": "bind", "source": "\\\\.\\pipe\\x", "target": "/pipe", "bind": {"create_host_path": true}})
        );
    }

    #[test]
    fn anonymous_volumes() {
        assert_eq!(
            parsed("anon"),
            json!({"type": "volume", "target": "anon", "volume": {}})
        );
        // Two characters or fewer skip the parser and get no options block.
        assert_eq!(parsed("ab"), json!({"type": "volume", "target": "ab"}));
    }

    #[test]
    fn target_is_cleaned() {
        assert_eq!(parsed("/h2:/p2/../p3/")["target"], json!("/p3"));
    }

    #[test]
    fn colons_inside_substitutions_do_not_split() {
        assert_eq!(
            parsed("${A:-x}:/x"),
            json!({"type": "volume", "source": "${A:-x}", "target": "/x", "volume": {}})
        );
    }

    #[test]
    fn errors_use_compose_text() {
        let message = |spec: &str| parse_volume(spec).expect_err(spec).to_string();
        assert_eq!(
            message(":/media/"),
            "invalid spec: :/media/: empty section between colons"
        );
        assert_eq!(
            message("/a:/b:ro:x"),
            "invalid spec: /a:/b:ro:x: too many colons"
        );
        assert_eq!(message(""), "invalid empty volume spec");
    }
}

#[cfg(test)]
mod target_tests {
    use super::*;

    #[test]
    fn targets_of_common_specs() {
        assert_eq!(volume_target("./src:/app:ro").as_deref(), Ok("/app"));
        assert_eq!(volume_target("/data").as_deref(), Ok("/data"));
        assert_eq!(
            volume_target("db:/var/lib/db").as_deref(),
            Ok("/var/lib/db")
        );
        assert_eq!(volume_target(r"C:\data:/data").as_deref(), Ok("/data"));
        assert_eq!(volume_target("${SRC:-./x}:/app").as_deref(), Ok("/app"));
        assert_eq!(volume_target("/a").as_deref(), Ok("/a"));
        // The quirk LOADER-NOTES §10 records: a one-letter source counts as a drive.
        assert_eq!(volume_target("v:/v").as_deref(), Ok("v:/v"));
        assert_eq!(volume_target("a:b:c:d").as_deref(), Ok("c:d"));
    }

    #[test]
    fn malformed_specs_fail_with_compose_text() {
        assert_eq!(
            volume_target(":/media/").map_err(|e| e.to_string()),
            Err("invalid spec: :/media/: empty section between colons".to_owned())
        );
        assert_eq!(
            volume_target("/a:/b:ro:x").map_err(|e| e.to_string()),
            Err("invalid spec: /a:/b:ro:x: too many colons".to_owned())
        );
        assert_eq!(
            volume_target("").map_err(|e| e.to_string()),
            Err("invalid empty volume spec".to_owned())
        );
    }
}
