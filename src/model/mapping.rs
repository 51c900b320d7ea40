//! Maps and lists with Compose's conversions: the ones that accept both `KEY=VALUE` lists and
//! mappings (`environment`, `labels`, `sysctls`, `extra_hosts`), string-or-list fields (`dns`,
//! `tmpfs`), and commands split like a shell (`command`, `entrypoint`).
//!
//! Maps keep source order in memory and print with sorted keys, as Go prints its maps.

use indexmap::IndexMap;

use super::codec::{Decode, DecodeProblem, Encode, Errors, FieldPath, Mode, go_sprint, go_type};
use crate::loader::tree::Value;

/// `x-*` extension keys with their raw values, in source order.
pub type Extensions = IndexMap<String, Value>;

/// A map of strings (`Mapping`): `sysctls`, `annotations`, `additional_contexts`, ... . Values of
/// other types are printed with Go's `fmt.Sprint`; `null` becomes `""`; list entries without `=`
/// get `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping(pub IndexMap<String, String>);

/// A map of optional strings (`MappingWithEquals`): `environment` and `build.args`, where a
/// name without a value is kept as `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingWithEquals(pub IndexMap<String, Option<String>>);

/// Labels (`Labels`): like [`Mapping`], with list entries without `=` given `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(pub IndexMap<String, String>);

/// Driver options (`Options`): a mapping only; `null` values become `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options(pub IndexMap<String, String>);

/// Provider options (`MultiOptions`): each value a string or a list of strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MultiOptions(pub IndexMap<String, Vec<String>>);

/// Extra `/etc/hosts` entries (`HostsList`): host name to addresses. Printed as a sorted list of
/// `host=ip`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostsList(pub IndexMap<String, Vec<String>>);

/// A string or a list of strings (`StringList`): `dns`, `tmpfs`, `build.tags`, ...
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

/// A string, number or list of them (`StringOrNumberList`): `expose`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringOrNumberList(pub Vec<String>);

/// A command (`ShellCommand`): a list, or a string split as go-shellwords splits it. `None`
/// (unset) and `Some([])` (explicitly cleared) differ: JSON prints `null` and `[]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellCommand(pub Option<Vec<String>>);

/// A healthcheck test (`HealthCheckTest`): a list, or a string that means `["CMD-SHELL", s]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheckTest(pub Vec<String>);

/// Prints a map of strings with sorted keys.
fn encode_string_map<'a>(entries: impl Iterator<Item = (&'a String, Value)>) -> Value {
    let mut entries: Vec<(&String, Value)> = entries.collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Value::Object(
        entries
            .into_iter()
            .map(|(key, item)| (key.clone(), item))
            .collect(),
    )
}

impl Decode for Mapping {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(key, item)| {
                        let text = if item.is_null() {
                            String::new()
                        } else {
                            go_sprint(item)
                        };
                        (key.clone(), text)
                    })
                    .collect(),
            ),
            Value::Array(items) => Self(
                items
                    .iter()
                    .map(|item| {
                        let entry = go_sprint(item);
                        match entry.split_once('=') {
                            Some((key, text)) => (key.to_owned(), text.to_owned()),
                            None => (entry, String::new()),
                        }
                    })
                    .collect(),
            ),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "mapping",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for Mapping {
    fn encode(&self, _mode: Mode) -> Value {
        encode_string_map(self.0.iter().map(|(k, v)| (k, Value::String(v.clone()))))
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        self.0.write_yaml(out, indent, depth);
    }
}

impl Decode for MappingWithEquals {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(key, item)| {
                        let text = match item {
                            Value::Null => None,
                            other => Some(go_sprint(other)),
                        };
                        (key.clone(), text)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                let mut mapping = IndexMap::with_capacity(items.len());
                for item in items {
                    let entry = go_sprint(item);
                    let (key, text) = match entry.split_once('=') {
                        Some((key, text)) => (key.to_owned(), Some(text.to_owned())),
                        None => (entry, None),
                    };
                    if key.ends_with(char::is_whitespace) {
                        errors.push(path, DecodeProblem::TrailingSpace(key));
                        return Self::default();
                    }
                    mapping.insert(key, text);
                }
                Self(mapping)
            }
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "mapping",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for MappingWithEquals {
    fn encode(&self, _mode: Mode) -> Value {
        encode_string_map(
            self.0
                .iter()
                .map(|(k, v)| (k, v.clone().map_or(Value::Null, Value::String))),
        )
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        self.0.write_yaml(out, indent, depth);
    }
}

impl Decode for Labels {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        let label = |item: &Value| match item {
            Value::Null => String::new(),
            other => go_sprint(other),
        };
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(key, item)| (key.clone(), label(item)))
                    .collect(),
            ),
            Value::Array(items) => Self(
                items
                    .iter()
                    .map(|item| {
                        let entry = go_sprint(item);
                        match entry.split_once('=') {
                            Some((key, text)) => (key.to_owned(), text.to_owned()),
                            None => (entry, String::new()),
                        }
                    })
                    .collect(),
            ),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "labels",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for Labels {
    fn encode(&self, _mode: Mode) -> Value {
        encode_string_map(self.0.iter().map(|(k, v)| (k, Value::String(v.clone()))))
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        self.0.write_yaml(out, indent, depth);
    }
}

impl Decode for Options {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(key, item)| {
                        let text = if item.is_null() {
                            String::new()
                        } else {
                            go_sprint(item)
                        };
                        (key.clone(), text)
                    })
                    .collect(),
            ),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::InvalidType {
                        go_type: go_type(other),
                        target: "options",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for Options {
    fn encode(&self, _mode: Mode) -> Value {
        encode_string_map(self.0.iter().map(|(k, v)| (k, Value::String(v.clone()))))
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

impl Decode for MultiOptions {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .map(|(key, item)| {
                        let values = match item {
                            Value::Array(items) => items.iter().map(go_sprint).collect(),
                            other => vec![go_sprint(other)],
                        };
                        (key.clone(), values)
                    })
                    .collect(),
            ),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::InvalidType {
                        go_type: go_type(other),
                        target: "options",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for MultiOptions {
    fn encode(&self, mode: Mode) -> Value {
        encode_string_map(self.0.iter().map(|(k, v)| (k, v.encode(mode))))
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

impl HostsList {
    /// Checks host names and strips the brackets of `[ipv6]` addresses, as compose-go does.
    fn cleanup(mut self) -> Result<Self, DecodeProblem> {
        for (host, addresses) in &mut self.0 {
            if host.is_empty() || host.contains([':', '=']) {
                return Err(DecodeProblem::BadHostName(host.clone()));
            }
            for address in addresses.iter_mut() {
                if address.len() > 2 && address.starts_with('[') && address.ends_with(']') {
                    *address = address[1..address.len() - 1].to_owned();
                }
            }
        }
        Ok(self)
    }

    /// The entries as `host=ip`, sorted, as Compose prints them.
    #[must_use]
    pub fn to_sorted_list(&self) -> Vec<String> {
        let mut list: Vec<String> = self
            .0
            .iter()
            .flat_map(|(host, addresses)| addresses.iter().map(move |ip| format!("{host}={ip}")))
            .collect();
        list.sort_unstable();
        list
    }
}

impl Decode for HostsList {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        let parsed = match value {
            Value::Object(map) => {
                let mut hosts = IndexMap::with_capacity(map.len());
                for (host, item) in map {
                    let addresses = match item {
                        Value::Null => vec![String::new()],
                        Value::String(text) => vec![text.clone()],
                        Value::Array(items) => items.iter().map(go_sprint).collect(),
                        _ => {
                            errors.push(
                                path,
                                DecodeProblem::UnexpectedValueType {
                                    go_type: go_type(value),
                                    target: "extra_hosts entry",
                                },
                            );
                            return Self::default();
                        }
                    };
                    hosts.insert(host.clone(), addresses);
                }
                Self(hosts).cleanup()
            }
            Value::Array(items) => {
                let mut hosts: IndexMap<String, Vec<String>> = IndexMap::new();
                let mut failure = None;
                for item in items {
                    let entry = go_sprint(item);
                    let split = entry.split_once('=').or_else(|| entry.split_once(':'));
                    let Some((host, addresses)) = split else {
                        failure = Some(DecodeProblem::MissingHostIp(entry.clone()));
                        break;
                    };
                    hosts
                        .entry(host.to_owned())
                        .or_default()
                        .extend(addresses.split(',').map(str::to_owned));
                }
                match failure {
                    Some(problem) => Err(problem),
                    None => Self(hosts).cleanup(),
                }
            }
            Value::Null => Ok(Self::default()),
            other => Err(DecodeProblem::UnexpectedValueType {
                go_type: go_type(other),
                target: "extra_hosts",
            }),
        };
        parsed.unwrap_or_else(|problem| {
            errors.push(path, problem);
            Self::default()
        })
    }
}

impl Encode for HostsList {
    fn encode(&self, _mode: Mode) -> Value {
        Value::Array(
            self.to_sorted_list()
                .into_iter()
                .map(Value::String)
                .collect(),
        )
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

impl Decode for StringList {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        let invalid = |errors: &mut Errors| {
            errors.push(
                path,
                DecodeProblem::InvalidType {
                    go_type: go_type(value),
                    target: "string list",
                },
            );
            Self::default()
        };
        match value {
            Value::String(text) => Self(vec![text.clone()]),
            Value::Array(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(text) => list.push(text.clone()),
                        _ => return invalid(errors),
                    }
                }
                Self(list)
            }
            Value::Null => Self::default(),
            _ => invalid(errors),
        }
    }
}

impl Encode for StringList {
    fn encode(&self, mode: Mode) -> Value {
        self.0.encode(mode)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

impl Decode for StringOrNumberList {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(text) => Self(vec![text.clone()]),
            // The schema allows a bare number; compose-go's decoder would reject it, but the
            // loader has already turned scalars into lists by then.
            Value::Number(_) => Self(vec![go_sprint(value)]),
            Value::Array(items) => Self(items.iter().map(go_sprint).collect()),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::InvalidType {
                        go_type: go_type(other),
                        target: "string list",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for StringOrNumberList {
    fn encode(&self, mode: Mode) -> Value {
        self.0.encode(mode)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

/// Splits a command line as go-shellwords' `Parse` does with its defaults (no environment or
/// backtick expansion): quotes and backslashes are honoured, and parsing stops at the first
/// unquoted `;`, `&`, `|`, `<` or `>`.
///
/// # Errors
/// `DecodeProblem::InvalidCommandLine` for unbalanced quotes or a bare `(`.
pub fn split_command(line: &str) -> Result<Vec<String>, DecodeProblem> {
    let mut args = Vec::new();
    let mut buffer = String::new();
    let (mut escaped, mut double_quoted, mut single_quoted) = (false, false, false);
    let (mut back_quote, mut dollar_quote) = (false, false);
    let mut got_argument = false;
    for character in line.chars() {
        if escaped {
            buffer.push(character);
            escaped = false;
            got_argument = true;
            continue;
        }
        if character == '\\' {
            if single_quoted {
                buffer.push(character);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(character, ' ' | '\t' | '\r' | '\n') {
            if single_quoted || double_quoted || back_quote || dollar_quote {
                buffer.push(character);
            } else if got_argument {
                args.push(std::mem::take(&mut buffer));
                got_argument = false;
            }
            continue;
        }
        match character {
            '`' if !single_quoted && !double_quoted && !dollar_quote => back_quote = !back_quote,
            ')' if !single_quoted && !double_quoted && !back_quote => dollar_quote = !dollar_quote,
            '(' if !single_quoted && !double_quoted && !back_quote => {
                if !dollar_quote && buffer.ends_with('$') {
                    dollar_quote = true;
                    buffer.push('(');
                    continue;
                }
                return Err(DecodeProblem::InvalidCommandLine);
            }
            '"' if !single_quoted && !dollar_quote => {
                if double_quoted {
                    got_argument = true;
                }
                double_quoted = !double_quoted;
                continue;
            }
            '\'' if !double_quoted && !dollar_quote => {
                if single_quoted {
                    got_argument = true;
                }
                single_quoted = !single_quoted;
                continue;
            }
            ';' | '&' | '|' | '<' | '>'
                if !(single_quoted || double_quoted || back_quote || dollar_quote) =>
            {
                if character == '>' && buffer.starts_with(|c: char| c.is_ascii_digit()) {
                    // `2>file`: the descriptor number is not an argument.
                    got_argument = false;
                }
                break;
            }
            _ => {}
        }
        got_argument = true;
        buffer.push(character);
    }
    if got_argument {
        args.push(buffer);
    }
    if escaped || single_quoted || double_quoted || back_quote || dollar_quote {
        return Err(DecodeProblem::InvalidCommandLine);
    }
    Ok(args)
}

impl Decode for ShellCommand {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(line) => split_command(line).map_or_else(
                |problem| {
                    errors.push(path, problem);
                    Self(None)
                },
                |args| Self(Some(args)),
            ),
            Value::Array(items) => Self(Some(items.iter().map(go_sprint).collect())),
            // compose-go's decoder leaves the command unset for anything else.
            _ => Self(None),
        }
    }
}

impl Encode for ShellCommand {
    fn encode(&self, mode: Mode) -> Value {
        self.0.encode(mode)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_none()
    }
}

impl Decode for HealthCheckTest {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(text) => Self(vec!["CMD-SHELL".to_owned(), text.clone()]),
            Value::Array(items) => Self(items.iter().map(go_sprint).collect()),
            Value::Null => Self::default(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "healthcheck.test",
                    },
                );
                Self::default()
            }
        }
    }
}

impl Encode for HealthCheckTest {
    fn encode(&self, mode: Mode) -> Value {
        self.0.encode(mode)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_split_matches_the_oracle() {
        // Each expectation was printed by `docker compose config` (v2.40.3).
        assert_eq!(
            split_command("echo a && echo b; x | y > z"),
            Ok(vec!["echo".to_owned(), "a".to_owned()])
        );
        assert_eq!(
            split_command(r#"sh -c "echo \"q\" \\$$HOME" 'x y' a\ b `uname` $(id)"#),
            Ok([
                "sh",
                "-c",
                r#"echo "q" \$$HOME"#,
                "x y",
                "a b",
                "`uname`",
                "$(id)"
            ]
            .map(str::to_owned)
            .to_vec())
        );
        assert_eq!(
            split_command("a\tb\nc  d  # e"),
            Ok(["a", "b", "c", "d", "#", "e"].map(str::to_owned).to_vec())
        );
        assert_eq!(split_command(""), Ok(vec![]));
        assert_eq!(
            split_command("'open"),
            Err(DecodeProblem::InvalidCommandLine)
        );
    }

    #[test]
    fn extra_hosts_print_sorted_with_brackets_removed() {
        let mut errors = Errors::default();
        let list = serde_json::json!([
            "somehost=162.242.195.82",
            "otherhost:50.31.209.229",
            "ipv6=[::1]"
        ]);
        let hosts = HostsList::decode(&list, &FieldPath::root(), &mut errors);
        assert_eq!(
            hosts.to_sorted_list(),
            [
                "ipv6=::1",
                "otherhost=50.31.209.229",
                "somehost=162.242.195.82"
            ]
        );
        assert!(errors.0.is_empty());
    }
}
