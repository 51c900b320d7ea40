//! The images a Dockerfile builds from, found before a BuildKit build so that berth can pull them
//! itself. BuildKit asks its client session for registry credentials whenever a registry answers
//! with an auth challenge (Docker Hub always does, even for public images); berth sends the
//! context as a tar, without a session, so BuildKit would fail with "no active sessions". The
//! daemon's own pull (`POST /images/create`) takes the CLI's credentials, and BuildKit then finds
//! the image in the daemon's store.
//!
//! Only what decides the images is read: parser directives (`escape`), line continuations,
//! comments, global `ARG`s (overridden by build arguments) expanded in `FROM`, stage names,
//! `COPY --from` and `RUN --mount=…,from=`, and the stages the target needs.

use std::collections::HashMap;

/// An image the build reads from a registry or the daemon's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// The reference, as written after expansion.
    pub reference: String,
    /// `FROM --platform=…`, when given and fully expanded.
    pub platform: Option<String>,
}

#[derive(Debug, Default)]
struct Stage {
    /// Lowercased `AS` name.
    name: Option<String>,
    base: String,
    platform: Option<String>,
    /// `--from` values of COPY and RUN mounts.
    uses: Vec<String>,
}

/// The external images the stages needed for `target` (the last stage when `None`) build from
/// or copy from, in the order they are first needed, without duplicates. BuildKit's automatic
/// platform arguments (`TARGETPLATFORM`, `TARGETARCH`, `BUILDOS`…) are those of
/// `target_platform` and `build_platform` (`os/arch[/variant]`). References that still hold a `$`
/// after expansion are left out (BuildKit will say what is wrong with them).
#[must_use]
pub fn base_images(
    dockerfile: &str,
    args: &HashMap<String, String>,
    target: Option<&str>,
    target_platform: &str,
    build_platform: &str,
) -> Vec<BaseImage> {
    let (escape, body) = escape_directive(dockerfile);
    let mut globals = platform_args("TARGET", target_platform);
    globals.extend(platform_args("BUILD", build_platform));
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical_lines(body, escape) {
        let (instruction, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line.as_str(), ""), |(word, rest)| (word, rest.trim()));
        let words = shell_words(rest, escape);
        match instruction.to_ascii_uppercase().as_str() {
            "ARG" if stages.is_empty() => {
                for word in words {
                    let (name, default) = match word.split_once('=') {
                        Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                        None => (word.clone(), None),
                    };
                    let value = args
                        .get(&name)
                        .cloned()
                        .or(default)
                        .or_else(|| globals.get(&name).cloned())
                        .unwrap_or_default();
                    globals.insert(name, value);
                }
            }
            "FROM" => {
                let mut stage = Stage::default();
                let mut positional = Vec::new();
                for word in words {
                    if let Some(platform) = word.strip_prefix("--platform=") {
                        stage.platform = Some(expand(platform, &globals));
                    } else if !word.starts_with("--") {
                        positional.push(word);
                    }
                }
                stage.base = positional
                    .first()
                    .map(|base| expand(base, &globals))
                    .unwrap_or_default();
                if let [_, keyword, name] = positional.as_slice()
                    && keyword.eq_ignore_ascii_case("as")
                {
                    stage.name = Some(name.to_ascii_lowercase());
                }
                stages.push(stage);
            }
            "COPY" | "RUN" | "ADD" => {
                let Some(stage) = stages.last_mut() else {
                    continue;
                };
                for word in words.iter().take_while(|word| word.starts_with("--")) {
                    if let Some(from) = word.strip_prefix("--from=") {
                        stage.uses.push(expand(from, &globals));
                    } else if let Some(mount) = word.strip_prefix("--mount=") {
                        stage.uses.extend(
                            mount
                                .split(',')
                                .filter_map(|field| field.strip_prefix("from="))
                                .map(|from| expand(from, &globals)),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    needed_images(&stages, target)
}

/// `<PREFIX>PLATFORM`, `<PREFIX>OS`, `<PREFIX>ARCH` and `<PREFIX>VARIANT` for `platform`.
fn platform_args(prefix: &str, platform: &str) -> HashMap<String, String> {
    let mut parts = platform.splitn(3, '/');
    let os = parts.next().unwrap_or_default();
    let arch = parts.next().unwrap_or_default();
    let variant = parts.next().unwrap_or_default();
    [
        ("PLATFORM", platform),
        ("OS", os),
        ("ARCH", arch),
        ("VARIANT", variant),
    ]
    .into_iter()
    .map(|(name, value)| (format!("{prefix}{name}"), value.to_owned()))
    .collect()
}

/// Walks the stages `target` needs and collects the images that are not stages.
fn needed_images(stages: &[Stage], target: Option<&str>) -> Vec<BaseImage> {
    let stage_named = |name: &str, before: usize| {
        let name = name.to_ascii_lowercase();
        stages[..before]
            .iter()
            .position(|stage| stage.name.as_deref() == Some(name.as_str()))
    };
    let Some(last) = stages.len().checked_sub(1) else {
        return Vec::new();
    };
    let start = target
        .and_then(|target| stage_named(target, stages.len()))
        .unwrap_or(last);
    let mut images: Vec<BaseImage> = Vec::new();
    let mut add = |reference: &str, platform: Option<&String>| {
        if reference.is_empty()
            || reference.contains('$')
            || reference.eq_ignore_ascii_case("scratch")
            || images.iter().any(|image| image.reference == reference)
        {
            return;
        }
        images.push(BaseImage {
            reference: reference.to_owned(),
            platform: platform.filter(|platform| !platform.contains('$')).cloned(),
        });
    };
    let mut visited = vec![false; stages.len()];
    let mut pending = vec![start];
    while let Some(index) = pending.pop() {
        if std::mem::replace(&mut visited[index], true) {
            continue;
        }
        let stage = &stages[index];
        match stage_named(&stage.base, index) {
            Some(parent) => pending.push(parent),
            None => add(&stage.base, stage.platform.as_ref()),
        }
        for used in &stage.uses {
            if let Ok(number) = used.parse::<usize>() {
                if number < index {
                    pending.push(number);
                }
            } else if let Some(other) = stage_named(used, index) {
                pending.push(other);
            } else {
                add(used, None);
            }
        }
    }
    images
}

/// The escape character of a `# escape=` parser directive (`\` by default), and the text after
/// the directives.
fn escape_directive(dockerfile: &str) -> (char, &str) {
    let mut escape = '\\';
    let mut rest = dockerfile.strip_prefix('\u{feff}').unwrap_or(dockerfile);
    while let Some((line, after)) = rest.split_once('\n') {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = directive.split_once('=') else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") && value.trim() == "`" {
            escape = '`';
        }
        rest = after;
    }
    (escape, rest)
}

/// Instructions with their continuation lines joined; comments, blank lines and heredoc bodies
/// left out.
fn logical_lines(text: &str, escape: char) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut heredoc: Option<String> = None;
    for raw in text.lines() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(end) = &heredoc {
            if raw.trim() == end {
                heredoc = None;
            }
            continue;
        }
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        let trimmed_end = raw.trim_end();
        if let Some(continued) = trimmed_end.strip_suffix(escape) {
            current.push_str(continued);
            current.push(' ');
            continue;
        }
        current.push_str(raw);
        let line = std::mem::take(&mut current).trim().to_owned();
        heredoc = heredoc_end(&line);
        if !line.is_empty() {
            lines.push(line);
        }
    }
    if !current.trim().is_empty() {
        lines.push(current.trim().to_owned());
    }
    lines
}

/// The terminator of a heredoc (`<<EOF`, `<<-"EOF"`) a RUN, COPY or ADD line opens.
fn heredoc_end(line: &str) -> Option<String> {
    let instruction = line.split_whitespace().next()?.to_ascii_uppercase();
    if !matches!(instruction.as_str(), "RUN" | "COPY" | "ADD") {
        return None;
    }
    let (_, after) = line.split_once("<<")?;
    let word: String = after
        .trim_start_matches('-')
        .trim_matches(|c| c == '"' || c == '\'')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Words split at unquoted whitespace, quotes removed.
fn shell_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(open), c) if c == open => quote = None,
            (Some('\''), c) => word.push(c),
            (_, c) if c == escape => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}` with the
/// global ARGs; an unknown name expands to nothing, as in BuildKit.
fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let Some(close) = braced.find('}') else {
                out.push_str(&rest[dollar..]);
                return out;
            };
            let inner = &braced[..close];
            let name_end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, operator) = inner.split_at(name_end);
            let value = vars.get(name);
            let set = value.is_some();
            let non_empty = value.is_some_and(|value| !value.is_empty());
            let expanded = if let Some(word) = operator.strip_prefix(":-") {
                if non_empty {
                    value.cloned()
                } else {
                    Some(expand(word, vars))
                }
            } else if let Some(word) = operator.strip_prefix('-') {
                if set {
                    value.cloned()
                } else {
                    Some(expand(word, vars))
                }
            } else if let Some(word) = operator.strip_prefix(":+") {
                Some(if non_empty {
                    expand(word, vars)
                } else {
                    String::new()
                })
            } else if let Some(word) = operator.strip_prefix('+') {
                Some(if set {
                    expand(word, vars)
                } else {
                    String::new()
                })
            } else if operator.is_empty() {
                value.cloned()
            } else {
                // An operator berth does not know: keep the text, so the image is skipped.
                Some(format!("${{{inner}}}"))
            };
            out.push_str(&expanded.unwrap_or_default());
            rest = &braced[close + 1..];
        } else {
            let name_end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_end == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..name_end]).map_or("", String::as_str));
            rest = &after[name_end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(dockerfile: &str, args: &[(&str, &str)], target: Option<&str>) -> Vec<String> {
        let args = args
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        base_images(dockerfile, &args, target, "linux/arm64/v8", "linux/amd64")
            .into_iter()
            .map(|image| match image.platform {
                Some(platform) => format!("{} ({platform})", image.reference),
                None => image.reference,
            })
            .collect()
    }

    #[test]
    fn single_stage() {
        assert_eq!(images("FROM alpine:3\nRUN true\n", &[], None), ["alpine:3"]);
        assert_eq!(
            images("from scratch\nCOPY x /\n", &[], None),
            Vec::<String>::new()
        );
        assert_eq!(images("", &[], None), Vec::<String>::new());
    }

    #[test]
    fn global_args_and_build_args_expand() {
        let dockerfile = "ARG BASE=alpine\nARG TAG\nARG REG=\"r.example:5000\"\nFROM ${REG}/$BASE:${TAG:-3.19}\n";
        assert_eq!(
            images(dockerfile, &[], None),
            ["r.example:5000/alpine:3.19"]
        );
        assert_eq!(
            images(dockerfile, &[("TAG", "edge"), ("BASE", "debian")], None),
            ["r.example:5000/debian:edge"]
        );
        // A build argument that no global ARG declares is not used.
        assert_eq!(images("FROM img:${V:-1}\n", &[("V", "2")], None), ["img:1"]);
        // Unresolvable: left to BuildKit.
        assert_eq!(images("FROM ${X:?no}\n", &[], None), Vec::<String>::new());
    }

    #[test]
    fn platform_arguments_are_automatic() {
        let dockerfile = "ARG TARGETARCH\nFROM --platform=$BUILDPLATFORM golang:1 AS build\nFROM base-${TARGETARCH}${TARGETVARIANT}:1\nCOPY --from=build /x /x\n";
        assert_eq!(
            images(dockerfile, &[], None),
            ["base-arm64v8:1", "golang:1 (linux/amd64)"]
        );
    }

    #[test]
    fn stages_and_copies_from_images() {
        let dockerfile = "\
# syntax comment
FROM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache,from=cache-image:1 go build
COPY --from=tools:2 /bin/tool /bin/

FROM --platform=linux/arm64 debian:12 AS Runtime
COPY --from=build /out /app
COPY --from=0 /x /y

FROM runtime AS test
RUN --mount=from=testdata:3,target=/data true

FROM nginx:1 AS unused
";
        assert_eq!(
            images(dockerfile, &[], Some("test")),
            [
                "testdata:3",
                "debian:12 (linux/arm64)",
                "golang:1.22",
                "cache-image:1",
                "tools:2"
            ]
        );
        assert_eq!(images(dockerfile, &[], Some("build")).len(), 3);
        assert_eq!(images(dockerfile, &[], None), ["nginx:1"]);
    }

    #[test]
    fn continuations_comments_escape_and_heredocs() {
        let dockerfile = "\
# escape=`
FROM `
  # a comment inside
  busybox:1 `
  AS base
RUN <<EOF
FROM not-an-image
EOF
COPY --from=\"quoted:1\" a b
";
        assert_eq!(images(dockerfile, &[], None), ["busybox:1", "quoted:1"]);
        assert_eq!(images("FROM \\\n  busybox:2\n", &[], None), ["busybox:2"]);
    }
}
