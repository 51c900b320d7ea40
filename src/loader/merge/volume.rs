//! The mount target of a short-syntax volume, as compose-go's `format.ParseVolume` finds it.
//!
//! Unicity compares service volumes by target, and it runs before the short syntax is expanded,
//! so it has to split `source:target:options` itself, with Compose's quirks: a one-letter first
//! section is a Windows drive (`C:\data:/data`), colons inside `${…}` do not split, and specs of one
//! or two characters are anonymous volumes.

use thiserror::Error;

/// Why a short volume spec cannot be parsed. The texts are compose-go's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VolumeSpecError {
    /// The spec is the empty string.
    #[error("invalid empty volume spec")]
    Empty,
    /// Two colons with nothing between them, or a leading or trailing colon.
    #[error("invalid spec: {spec}: empty section between colons")]
    EmptySection {
        /// The whole spec.
        spec: String,
    },
    /// More than `source:target:options`.
    #[error("invalid spec: {spec}: too many colons")]
    TooManyColons {
        /// The whole spec.
        spec: String,
    },
}

/// The target of a short volume spec (`./src:/app:ro` → `/app`, `/data` → `/data`).
pub(super) fn volume_target(spec: &str) -> Result<String, VolumeSpecError> {
    match spec.len() {
        0 => return Err(VolumeSpecError::Empty),
        1 | 2 => return Ok(spec.to_owned()),
        _ => {}
    }
    let bytes = spec.as_bytes();
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut buffer = String::new();
    let mut substitution_depth = 0_usize;
    // The end of the spec acts as a final separator, as Go's appended NUL rune does.
    let characters = spec.char_indices().map(Some).chain(std::iter::once(None));
    for item in characters {
        let at_end = item.is_none();
        let (offset, character) = item.unwrap_or((spec.len(), '\0'));
        if !at_end {
            if character == '$' && bytes.get(offset + 1) == Some(&b'{') {
                substitution_depth += 1;
                buffer.push(character);
                continue;
            }
            if character == '}' && substitution_depth > 0 {
                substitution_depth -= 1;
                buffer.push(character);
                continue;
            }
        }
        let is_separator = at_end || character == ':';
        let is_drive = character == ':' && {
            let mut chars = buffer.chars();
            matches!((chars.next(), chars.next()), (Some(letter), None) if letter.is_alphabetic())
        };
        if is_drive {
            buffer.push(character);
        } else if is_separator && substitution_depth == 0 {
            if buffer.is_empty() {
                return Err(VolumeSpecError::EmptySection {
                    spec: spec.to_owned(),
                });
            }
            let section = std::mem::take(&mut buffer);
            // An anonymous volume: a single section is the target.
            let source_is_empty = source.as_deref().is_none_or(str::is_empty);
            if source_is_empty && at_end {
                target = Some(section);
            } else if source_is_empty {
                source = Some(section);
            } else if target.as_deref().is_none_or(str::is_empty) {
                target = Some(section);
            } else if !at_end {
                return Err(VolumeSpecError::TooManyColons {
                    spec: spec.to_owned(),
                });
            }
            // A third section holds options, which do not change the target.
        } else {
            buffer.push(character);
        }
    }
    Ok(target.unwrap_or_default())
}

#[cfg(test)]
mod tests {
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
