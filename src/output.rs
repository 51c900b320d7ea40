//! Rendering data for standard output: JSON as Go's `encoding/json` writes it and YAML as
//! go-yaml writes it, so that `berth config` output reads like `docker compose config` output.
//!
//! Only data goes to standard output; messages go to standard error through
//! [`crate::diagnostic`].

use std::fmt::Write as _;

use serde_json::Value;

/// JSON indented with `indent` per level (Go's `json.MarshalIndent(v, "", indent)`), with Go's
/// escaping of `<`, `>`, `&`, U+2028 and U+2029.
#[must_use]
pub fn json_pretty(value: &Value, indent: &str) -> String {
    let mut out = String::new();
    write_json(&mut out, value, Some(indent), 0);
    out
}

/// Compact JSON with Go's escaping (Go's `json.Marshal`).
#[must_use]
pub fn json_compact(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value, None, 0);
    out
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(indent) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    }
}

fn write_json(out: &mut String, value: &Value, indent: Option<&str>, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&crate::model::go_json_number(number)),
        Value::String(text) => write_json_string(out, text),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_json(out, item, indent, depth + 1);
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_json_string(out, key);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, indent, depth + 1);
            }
            newline(out, indent, depth);
            out.push('}');
        }
    }
}

/// A JSON string literal escaped as Go's `encoding/json` escapes it (HTML-safe).
pub fn write_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// YAML in go-yaml's style: block mappings and sequences, indented `indent` spaces, sequences
/// indented under their key, strings quoted only where a plain scalar would read differently.
#[must_use]
pub fn yaml(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_yaml_map(&mut out, map, indent, 0, false),
        Value::Array(items) if !items.is_empty() => {
            write_yaml_seq(&mut out, items, indent, 0, false);
        }
        other => {
            write_yaml_scalar(&mut out, other);
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, depth: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = depth;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

/// Writes `map` at `depth`; `inline_first` leaves out the first entry's indentation, for a
/// mapping that starts on its sequence dash's line.
fn write_yaml_map(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    indent: usize,
    depth: usize,
    inline_first: bool,
) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 || !inline_first {
            pad(out, depth);
        }
        write_yaml_string(out, key);
        out.push(':');
        write_yaml_child(out, value, indent, depth);
    }
}

/// Writes `items` at `depth`; `inline_first` as for [`write_yaml_map`].
fn write_yaml_seq(
    out: &mut String,
    items: &[Value],
    indent: usize,
    depth: usize,
    inline_first: bool,
) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !inline_first {
            pad(out, depth);
        }
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first entry shares the dash's line, the rest align under it.
                out.push(' ');
                write_yaml_map(out, map, indent, depth + indent, true);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push(' ');
                write_yaml_seq(out, items, indent, depth + indent, true);
            }
            scalar => {
                out.push(' ');
                write_yaml_scalar_inline(out, scalar, depth + indent);
            }
        }
    }
}

/// Writes `value` as the value of a mapping entry whose key is at `depth` and already written
/// with its colon: nested collections on the next lines, `indent` deeper, scalars on the key's
/// line.
pub(crate) fn write_yaml_child(out: &mut String, value: &Value, indent: usize, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_yaml_map(out, map, indent, depth + indent, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_yaml_seq(out, items, indent, depth + indent, false);
        }
        scalar => {
            out.push(' ');
            write_yaml_scalar_inline(out, scalar, depth + indent);
        }
    }
}

/// Writes the key of a block mapping entry at `depth`, with its colon; the value follows with
/// [`write_yaml_child`] (or [`write_yaml_str_child`]) at the same `depth`.
pub(crate) fn write_yaml_key(out: &mut String, key: &str, depth: usize) {
    pad(out, depth);
    write_yaml_string(out, key);
    out.push(':');
}

/// [`write_yaml_child`] for a string, without building a [`Value`] for it.
pub(crate) fn write_yaml_str_child(out: &mut String, text: &str, indent: usize, depth: usize) {
    out.push(' ');
    write_yaml_str_inline(out, text, depth + indent);
}

/// Writes the start of a block mapping below a key at `depth` whose entries follow (`empty`
/// false) or an empty mapping `{}` (`empty` true), as [`write_yaml_child`] writes a mapping.
pub(crate) fn write_yaml_map_start(out: &mut String, empty: bool) {
    out.push_str(if empty { " {}\n" } else { "\n" });
}

fn write_yaml_scalar_inline(out: &mut String, value: &Value, depth: usize) {
    if let Value::String(text) = value {
        write_yaml_str_inline(out, text, depth);
        return;
    }
    write_yaml_scalar(out, value);
    out.push('\n');
}

fn write_yaml_str_inline(out: &mut String, text: &str, depth: usize) {
    if text.contains('\n') && !text.chars().any(|c| c != '\n' && c.is_control()) {
        // Literal block, as go-yaml writes multi-line strings.
        let chomp = if text.ends_with('\n') { "" } else { "-" };
        let lead = if text.starts_with(' ') { "2" } else { "" };
        let _ = writeln!(out, "|{lead}{chomp}");
        let body = text.strip_suffix('\n').unwrap_or(text);
        for line in body.split('\n') {
            if !line.is_empty() {
                pad(out, depth);
                out.push_str(line);
            }
            out.push('\n');
        }
        return;
    }
    write_yaml_string(out, text);
    out.push('\n');
}

fn write_yaml_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&crate::model::go_json_number(number)),
        Value::String(text) => write_yaml_string(out, text),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string, double-quoted
/// otherwise.
fn write_yaml_string(out: &mut String, text: &str) {
    if !needs_quotes(text) {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Words YAML 1.1 or 1.2 readers take for booleans or null, and numbers (compared without
/// regard to ASCII case).
const RESERVED_WORDS: [&str; 14] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf",
    ".nan",
];

fn needs_quotes(text: &str) -> bool {
    if text.is_ascii() {
        return ascii_needs_quotes(text.as_bytes());
    }
    general_needs_quotes(text)
}

/// [`needs_quotes`] for any text.
fn general_needs_quotes(text: &str) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().next_back()) else {
        return true;
    };
    // Leading or trailing white space (`str::trim`'s definition).
    if first.is_whitespace() || last.is_whitespace() {
        return true;
    }
    if text.len() <= 5
        && RESERVED_WORDS
            .iter()
            .any(|word| word.eq_ignore_ascii_case(text))
    {
        return true;
    }
    if looks_numeric(text) {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-` and `?` and `:` are fine when followed by a non-space, except alone.
        let second = text.chars().nth(1);
        let indicator_ok = matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ');
        if !indicator_ok {
            return true;
        }
    }
    let bytes = text.as_bytes();
    // `: ` and ` #` read as a mapping value and a comment.
    let separator = bytes
        .windows(2)
        .any(|pair| matches!(pair, [b':', b' '] | [b' ', b'#']));
    separator
        || last == ':'
        || if text.is_ascii() {
            bytes.iter().any(u8::is_ascii_control)
        } else {
            text.chars().any(|c| c.is_control() || c == '\u{feff}')
        }
}

/// [`needs_quotes`] for ASCII text, in one pass over the bytes: `config` writes tens of
/// thousands of keys and values, nearly all plain ASCII words.
fn ascii_needs_quotes(bytes: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    // Leading or trailing space; other ASCII white space is a control character, quoted below.
    if first == b' ' || last == b' ' || last == b':' {
        return true;
    }
    if bytes.len() <= 5 {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        if RESERVED_WORDS
            .iter()
            .any(|word| word.eq_ignore_ascii_case(text))
        {
            return true;
        }
    }
    // A number can only start with a sign, a digit, `.`, `_` or an exponent mark.
    if matches!(first, b'0'..=b'9' | b'+' | b'-' | b'.' | b'_' | b'e' | b'E')
        && looks_numeric(std::str::from_utf8(bytes).unwrap_or_default())
    {
        return true;
    }
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) {
        // `-` and `?` and `:` are fine when followed by a non-space, except alone.
        let indicator_ok =
            matches!(first, b'-' | b'?' | b':') && bytes.get(1).is_some_and(|&c| c != b' ');
        if !indicator_ok {
            return true;
        }
    }
    // `: ` and ` #` read as a mapping value and a comment.
    let mut previous = 0u8;
    for &byte in bytes {
        if byte.is_ascii_control()
            || (previous == b':' && byte == b' ')
            || (previous == b' ' && byte == b'#')
        {
            return true;
        }
        previous = byte;
    }
    false
}

fn looks_numeric(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if body.is_empty() {
        return false;
    }
    // The text without its `_` separators.
    let mut cleaned = body.chars().filter(|&c| c != '_');
    let mut prefix = cleaned.clone();
    if prefix.next() == Some('0') && matches!(prefix.next(), Some('x' | 'o' | 'b')) {
        return true;
    }
    if cleaned.clone().all(|c| c.is_ascii_digit()) {
        return true;
    }
    // Floats and timestamps.
    let mut digit = false;
    cleaned.all(|c| {
        digit |= c.is_ascii_digit();
        c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')
    }) && digit
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_escapes_html_characters_as_go_does() {
        assert_eq!(
            json_compact(&json!({"c": "echo <a&b>"})),
            r#"{"c":"echo \u003ca\u0026b\u003e"}"#
        );
        assert_eq!(
            json_pretty(&json!({"a": [1, {}], "b": []}), "  "),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}"
        );
    }

    #[test]
    fn numbers_are_written_as_go_writes_float64() {
        let numbers = json!([0.5, 1.1, 1e21, 1e-7, 123_456, 2.5e-3]);
        assert_eq!(json_compact(&numbers), "[0.5,1.1,1e+21,1e-7,123456,0.0025]");
    }

    #[test]
    fn yaml_quotes_only_what_would_read_differently() {
        let value = json!({
            "name": "me",
            "services": {"a": {"command": ["echo", "<a&b>"], "environment": {"X": "1", "Y": "", "Z": "yes"}, "networks": {"default": null}}}
        });
        let text = yaml(&value, 2);
        assert_eq!(
            text,
            "name: me\nservices:\n  a:\n    command:\n      - echo\n      - <a&b>\n    environment:\n      X: \"1\"\n      \"Y\": \"\"\n      Z: \"yes\"\n    networks:\n      default: null\n"
        );
    }

    #[test]
    fn yaml_writes_sequences_of_mappings_compactly() {
        let value = json!({"ports": [{"target": 80, "published": "8080"}]});
        assert_eq!(
            yaml(&value, 2),
            "ports:\n  - target: 80\n    published: \"8080\"\n"
        );
    }

    #[test]
    fn the_ascii_quoting_test_agrees_with_the_general_one() {
        let words = [
            "",
            " ",
            "a",
            "abc",
            "a b",
            " a",
            "a ",
            "a:",
            "a: b",
            "a:b",
            "a #b",
            "a#b",
            "#a",
            "-",
            "-a",
            "- a",
            "?",
            "?a",
            ":",
            ":a",
            ",",
            "[a",
            "{",
            "&a",
            "*a",
            "!a",
            "|",
            ">",
            "'a",
            "\"a",
            "%a",
            "@a",
            "`a",
            "true",
            "True",
            "YES",
            "n",
            "No",
            "off",
            "null",
            "~",
            ".inf",
            "-.Inf",
            "+.inf",
            ".nan",
            "nulls",
            "1",
            "-1",
            "+1",
            "0x1F",
            "0o7",
            "0b1",
            "1_000",
            "1.5",
            "1e5",
            "e5",
            "E",
            ".",
            "_",
            "_1",
            "+",
            "-.",
            "1.2.3",
            "2024-01-01",
            "12:30",
            "a\tb",
            "\ta",
            "a\n",
            "\u{7f}",
            "a\rb",
            "x\u{b}",
            "busybox:local",
            "bench-svc-0001",
            "${VAR}",
            "8080:80",
            "/data",
            "./dir",
            "a=b",
            "echo hello",
        ];
        for word in words {
            assert_eq!(
                ascii_needs_quotes(word.as_bytes()),
                general_needs_quotes(word),
                "{word:?}"
            );
        }
    }
}
