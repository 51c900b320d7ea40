//! Compose's `${VAR}` template engine and the interpolation of a whole document.
//!
//! Compose substitutes variables in every string value of each file before anything else looks at
//! it, then casts the strings at a fixed list of typed paths (`privileged`, `deploy.replicas`, …)
//! so that `replicas: "${N}"` becomes an integer. The grammar is compose-go v2.9.1's
//! `template/template.go`, which is a regular expression plus a few hand-written rules; berth
//! scans instead, in one linear pass, but reproduces the same results, warnings and error texts,
//! including the quirks: an operator's text runs to the *last* `}` of the line, the part after the
//! first balanced `}` is substituted on its own, and defaults are substituted even when unused.

use std::fmt;

use indexmap::IndexMap;
use thiserror::Error;

use super::tree::{Segment, TreePath, Value};

/// Defaults nested deeper than this are refused instead of exhausting the stack. Compose has no
/// such limit; real files nest two or three levels.
const MAX_NESTING: usize = 200;

/// Why a single template could not be substituted.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TemplateError {
    /// A `${` that does not start a valid substitution (`${}`, `${1A}`, an unclosed `${A`).
    /// `template` is the (sub)template Compose reports: the whole string, or the default value or
    /// trailing part of an enclosing substitution in which the bad `${` sits.
    #[error("Invalid template: {}", go_quote(template))]
    InvalidTemplate {
        /// The template text Compose shows with the error.
        template: String,
    },
    /// `${VAR:?message}` or `${VAR?message}` with the variable missing (or empty for `:?`).
    #[error(
        "required variable {variable} is missing a value{}",
        reason_suffix(reason)
    )]
    MissingRequired {
        /// The variable's name.
        variable: String,
        /// The substituted message after the operator, possibly empty.
        reason: String,
    },
    /// Defaults nested deeper than berth follows (Compose itself has no limit).
    #[error("variable substitution nested deeper than {MAX_NESTING} levels")]
    NestingTooDeep,
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

/// Why a value failed the cast at one of Compose's typed paths.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CastError {
    /// Not one of the boolean words Compose accepts.
    #[error("invalid boolean: {value}")]
    InvalidBoolean {
        /// The substituted value.
        value: String,
    },
    /// Not a number in Go's syntax; `function` is the Go parser Compose used (`strconv.Atoi`, …).
    #[error("{function}: parsing {}: invalid syntax", go_quote(value))]
    InvalidSyntax {
        /// The Go function Compose names in the message.
        function: &'static str,
        /// The substituted value.
        value: String,
    },
    /// A number outside the target type's range.
    #[error("{function}: parsing {}: value out of range", go_quote(value))]
    OutOfRange {
        /// The Go function Compose names in the message.
        function: &'static str,
        /// The substituted value.
        value: String,
    },
}

/// Why a document could not be interpolated. Each variant names the node it is about.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum InterpolationError {
    /// A malformed `${` in the value at `path`.
    #[error(
        "invalid interpolation format for {}.\nYou may need to escape any $ with another $.\n{template}",
        compose_path(path)
    )]
    InvalidFormat {
        /// The node holding the value.
        path: TreePath,
        /// The (sub)template Compose shows, see [`TemplateError::InvalidTemplate`].
        template: String,
    },
    /// A required variable is missing, or the substitution nests too deep.
    #[error("error while interpolating {}: {source}", compose_path(path))]
    Template {
        /// The node holding the value.
        path: TreePath,
        /// What went wrong.
        source: TemplateError,
    },
    /// The substituted value does not convert to the type Compose expects at `path`.
    #[error(
        "error while interpolating {}: failed to cast to expected type: {source}",
        compose_path(path)
    )]
    Cast {
        /// The node holding the value.
        path: TreePath,
        /// What went wrong.
        source: CastError,
    },
}

impl InterpolationError {
    /// The node whose value could not be interpolated.
    #[must_use]
    pub fn path(&self) -> &TreePath {
        match self {
            Self::InvalidFormat { path, .. }
            | Self::Template { path, .. }
            | Self::Cast { path, .. } => path,
        }
    }

    fn from_template(path: TreePath, error: TemplateError) -> Self {
        match error {
            TemplateError::InvalidTemplate { template } => Self::InvalidFormat { path, template },
            source => Self::Template { path, source },
        }
    }
}

/// One variable a document uses, as `docker compose config --variables` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The variable's name (empty for a malformed `${`, as in Compose).
    pub name: String,
    /// Whether it is written `${NAME:?…}` or `${NAME?…}`.
    pub required: bool,
    /// The default of `${NAME:-default}` / `${NAME-default}`; `None` when absent or empty.
    pub default_value: Option<String>,
    /// The replacement of `${NAME:+value}` / `${NAME+value}`; `None` when absent or empty.
    pub alternate_value: Option<String>,
}

/// A [`TreePath`] as compose-go prints it in interpolation errors: keys joined by `.`, and every
/// sequence index written `[]` (`services.a.ports.[].target`).
#[must_use]
pub fn compose_path(path: &TreePath) -> String {
    let mut out = String::new();
    for (position, segment) in path.0.iter().enumerate() {
        if position > 0 {
            out.push('.');
        }
        match segment {
            Segment::Key(key) => out.push_str(key),
            Segment::Index(_) => out.push_str("[]"),
        }
    }
    out
}

/// Substitutes one string. Unset plain variables become "" and push a warning
/// `The "X" variable is not set. Defaulting to a blank string.` to `warnings`.
///
/// `$$` is a literal `$`; a `$` not followed by a name, `$` or `{` stays as it is.
pub fn substitute(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<String, TemplateError> {
    let mut engine = Engine { lookup, warnings };
    engine.expand(template, 0)
}

/// The substitution state shared by the recursive calls on default values.
struct Engine<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    warnings: &'a mut Vec<String>,
}

/// What starts at a `$`.
enum Token {
    /// `$$`.
    Escaped,
    /// `$NAME` or `${NAME}`.
    Plain { name_start: usize, name_end: usize },
    /// `${NAME<op>…}`: `end` is one past the last `}` of the line.
    WithOperator {
        name_end: usize,
        operator: Operator,
        operator_end: usize,
    },
    /// A `${` that starts no valid substitution.
    Invalid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    /// `:-`
    DefaultIfEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:+`
    AlternateIfNonEmpty,
    /// `+`
    AlternateIfSet,
    /// `:?`
    RequiredNonEmpty,
    /// `?`
    RequiredSet,
}

/// A scanned `$…` and where it ends.
struct Match {
    token: Token,
    end: usize,
}

/// Remembers, for the line being scanned, where it ends and where its last `}` is, so that each
/// line is searched once however many `${` it holds.
#[derive(Default)]
struct LineInfo {
    end: usize,
    last_brace: Option<usize>,
}

impl LineInfo {
    fn last_brace_after(&mut self, text: &str, from: usize) -> Option<usize> {
        if from >= self.end || self.end == 0 {
            let bytes = text.as_bytes();
            let start = from.min(bytes.len());
            self.end = bytes[start..]
                .iter()
                .position(|&byte| byte == b'\n')
                .map_or(bytes.len(), |offset| start + offset);
            self.last_brace = bytes[start..self.end]
                .iter()
                .rposition(|&byte| byte == b'}')
                .map(|offset| start + offset);
        }
        self.last_brace.filter(|&brace| brace >= from)
    }
}

/// Whether `character` may start a name. Go's case-insensitive `[_a-z]` also matches U+017F (ſ)
/// and U+212A (Kelvin sign), which fold to `s` and `k`.
fn is_name_start(character: char) -> bool {
    character == '_' || character.is_ascii_alphabetic() || character == 'ſ' || character == 'K'
}

fn is_name_char(character: char) -> bool {
    is_name_start(character) || character.is_ascii_digit()
}

/// The end of the name starting at `start` (which must be a name start).
fn name_end(text: &str, start: usize) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, character)| !is_name_char(character))
        .map_or(text.len(), |(offset, _)| start + offset)
}

fn starts_name(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_some_and(is_name_start)
}

/// Scans what the `$` at `dollar` starts, or `None` when it is a literal `$`.
fn scan(text: &str, dollar: usize, line: &mut LineInfo) -> Option<Match> {
    let bytes = text.as_bytes();
    let next = dollar + 1;
    match bytes.get(next) {
        Some(b'$') => Some(Match {
            token: Token::Escaped,
            end: next + 1,
        }),
        Some(b'{') => Some(scan_braced(text, dollar, line)),
        Some(_) if starts_name(text, next) => {
            let end = name_end(text, next);
            Some(Match {
                token: Token::Plain {
                    name_start: next,
                    name_end: end,
                },
                end,
            })
        }
        _ => None,
    }
}

fn scan_braced(text: &str, dollar: usize, line: &mut LineInfo) -> Match {
    let bytes = text.as_bytes();
    let invalid = Match {
        token: Token::Invalid,
        end: dollar + 2,
    };
    let name_start = dollar + 2;
    if !starts_name(text, name_start) {
        return invalid;
    }
    let name_end = name_end(text, name_start);
    let (operator, operator_end) = match (bytes.get(name_end), bytes.get(name_end + 1)) {
        (Some(b'}'), _) => {
            return Match {
                token: Token::Plain {
                    name_start,
                    name_end,
                },
                end: name_end + 1,
            };
        }
        (Some(b':'), Some(b'-')) => (Operator::DefaultIfEmpty, name_end + 2),
        (Some(b':'), Some(b'+')) => (Operator::AlternateIfNonEmpty, name_end + 2),
        (Some(b':'), Some(b'?')) => (Operator::RequiredNonEmpty, name_end + 2),
        (Some(b'-'), _) => (Operator::DefaultIfUnset, name_end + 1),
        (Some(b'+'), _) => (Operator::AlternateIfSet, name_end + 1),
        (Some(b'?'), _) => (Operator::RequiredSet, name_end + 1),
        _ => return invalid,
    };
    // The operand is `(.*)}` in Compose's pattern: greedy, so it runs to the last `}` of the line.
    match line.last_brace_after(text, operator_end) {
        Some(brace) => Match {
            token: Token::WithOperator {
                name_end,
                operator,
                operator_end,
            },
            end: brace + 1,
        },
        None => invalid,
    }
}

/// compose-go's `getFirstBraceClosingIndex`: the index of the `}` that balances the opening `{`.
/// Like Compose, the character after each `{` is skipped, so `{}` does not count as a pair.
fn first_balanced_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open = 0_usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    return Some(index);
                }
            }
            b'{' => {
                open += 1;
                index += 1;
            }
            _ => {}
        }
        index += 1;
    }
    None
}

impl Engine<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    fn plain(&mut self, name: &str) -> String {
        self.lookup(name).unwrap_or_else(|| {
            self.warnings.push(format!(
                "The {} variable is not set. Defaulting to a blank string.",
                go_quote(name)
            ));
            String::new()
        })
    }

    /// Substitutes `text` as a whole template.
    ///
    /// In Compose, the text after the first balanced `}` of `${NAME<op>…}` is substituted as a
    /// template of its own (so errors in it show only that text) and always ends where the
    /// enclosing match ends. berth continues the same scan instead and only tracks where that
    /// "current template" starts, which keeps the work linear.
    fn expand(&mut self, text: &str, depth: usize) -> Result<String, TemplateError> {
        if depth > MAX_NESTING {
            return Err(TemplateError::NestingTooDeep);
        }
        let mut out = String::with_capacity(text.len());
        let mut first_error: Option<TemplateError> = None;
        let mut line = LineInfo::default();
        // The template Compose would report an invalid `${` against: all of `text`, or the
        // trailing part of an operator match that ends at `template.1`.
        let mut template = (0, text.len());
        let mut position = 0;
        let mut copied = 0;
        while let Some(offset) = text[position..].find('$') {
            let dollar = position + offset;
            if dollar >= template.1 {
                template = (0, text.len());
            }
            let Some(found) = scan(text, dollar, &mut line) else {
                position = dollar + 1;
                continue;
            };
            out.push_str(&text[copied..dollar]);
            position = found.end;
            copied = found.end;
            match found.token {
                Token::Escaped => out.push('$'),
                Token::Plain {
                    name_start,
                    name_end,
                } => {
                    let value = self.plain(&text[name_start..name_end]);
                    out.push_str(&value);
                }
                Token::Invalid => {
                    first_error.get_or_insert_with(|| TemplateError::InvalidTemplate {
                        template: text[template.0..template.1].to_owned(),
                    });
                }
                Token::WithOperator {
                    name_end,
                    operator,
                    operator_end,
                } => {
                    let matched = &text[dollar..found.end];
                    let close = first_balanced_brace(matched).map_or(found.end - 1, |i| dollar + i);
                    let name = &text[dollar + 2..name_end];
                    let operand = &text[operator_end..close];
                    match self.apply(name, operator, operand, depth) {
                        Ok(value) => {
                            out.push_str(&value);
                            // The rest is its own template, running to the end of this match.
                            position = close + 1;
                            copied = close + 1;
                            template = (close + 1, found.end);
                        }
                        Err(error) => {
                            // Compose stops this match here: its rest is never substituted.
                            first_error.get_or_insert(error);
                        }
                    }
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => {
                out.push_str(&text[copied..]);
                Ok(out)
            }
        }
    }

    /// Applies `${name<operator>operand}`; the operand is substituted first, used or not.
    fn apply(
        &mut self,
        name: &str,
        operator: Operator,
        operand: &str,
        depth: usize,
    ) -> Result<String, TemplateError> {
        let operand = self.expand(operand, depth + 1)?;
        let value = self.lookup(name);
        Ok(match operator {
            Operator::DefaultIfEmpty => match value {
                Some(value) if !value.is_empty() => value,
                _ => operand,
            },
            Operator::DefaultIfUnset => value.unwrap_or(operand),
            Operator::AlternateIfNonEmpty => match value {
                Some(value) if !value.is_empty() => operand,
                other => other.unwrap_or_default(),
            },
            Operator::AlternateIfSet => value.map(|_| operand).unwrap_or_default(),
            Operator::RequiredNonEmpty | Operator::RequiredSet => match value {
                Some(value) if operator == Operator::RequiredSet || !value.is_empty() => value,
                _ => {
                    return Err(TemplateError::MissingRequired {
                        variable: name.to_owned(),
                        reason: operand,
                    });
                }
            },
        })
    }
}

/// The conversion Compose applies at a typed path.
#[derive(Clone, Copy, Debug)]
enum Cast {
    /// Go `strconv.Atoi`.
    Int,
    /// Go `strconv.ParseInt(s, 10, 64)`.
    Int64,
    /// Go `strconv.ParseFloat(s, 64)`.
    Float,
    /// Go `strconv.ParseFloat(s, 32)`.
    Float32,
    /// compose-go `toBoolean`.
    Boolean,
}

/// compose-go's `interpolateTypeCastMapping`: `*` matches any key, `[]` any sequence item.
const SERVICE_CASTS: &[(&[&str], Cast)] = &[
    (&["cpu_count"], Cast::Int64),
    (&["cpu_percent"], Cast::Float),
    (&["cpu_period"], Cast::Int64),
    (&["cpu_quota"], Cast::Int64),
    (&["cpu_rt_period"], Cast::Int64),
    (&["cpu_rt_runtime"], Cast::Int64),
    (&["cpus"], Cast::Float32),
    (&["cpu_shares"], Cast::Int64),
    (&["init"], Cast::Boolean),
    (&["deploy", "replicas"], Cast::Int),
    (&["deploy", "update_config", "parallelism"], Cast::Int),
    (
        &["deploy", "update_config", "max_failure_ratio"],
        Cast::Float,
    ),
    (&["deploy", "rollback_config", "parallelism"], Cast::Int),
    (
        &["deploy", "rollback_config", "max_failure_ratio"],
        Cast::Float,
    ),
    (&["deploy", "restart_policy", "max_attempts"], Cast::Int),
    (&["deploy", "placement", "max_replicas_per_node"], Cast::Int),
    (&["healthcheck", "retries"], Cast::Int),
    (&["healthcheck", "disable"], Cast::Boolean),
    (&["oom_kill_disable"], Cast::Boolean),
    (&["oom_score_adj"], Cast::Int64),
    (&["pids_limit"], Cast::Int64),
    (&["ports", "[]", "target"], Cast::Int),
    (&["privileged"], Cast::Boolean),
    (&["read_only"], Cast::Boolean),
    (&["scale"], Cast::Int),
    (&["stdin_open"], Cast::Boolean),
    (&["tty"], Cast::Boolean),
    (&["ulimits", "*"], Cast::Int),
    (&["ulimits", "*", "hard"], Cast::Int),
    (&["ulimits", "*", "soft"], Cast::Int),
    (&["volumes", "[]", "read_only"], Cast::Boolean),
    (&["volumes", "[]", "volume", "nocopy"], Cast::Boolean),
];

/// The top-level resource casts, all `<kind>.*.<field>`.
const RESOURCE_CASTS: &[(&str, &str)] = &[
    ("networks", "external"),
    ("networks", "internal"),
    ("networks", "attachable"),
    ("networks", "enable_ipv4"),
    ("networks", "enable_ipv6"),
    ("volumes", "external"),
    ("secrets", "external"),
    ("configs", "external"),
];

/// A path segment as compose-go's `tree.Path` holds it.
/// One step of the walk's path, borrowing the tree's keys.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The walk's path as a [`TreePath`], for errors.
fn tree_path(path: &[Step<'_>]) -> TreePath {
    TreePath(
        path.iter()
            .map(|step| match *step {
                Step::Key(key) => Segment::Key(key.to_owned()),
                Step::Index(index) => Segment::Index(index),
            })
            .collect(),
    )
}

fn segment_text<'a>(step: &Step<'a>) -> &'a str {
    match *step {
        Step::Key(key) => key,
        Step::Index(_) => "[]",
    }
}

fn part_matches(pattern: &str, step: &Step<'_>) -> bool {
    pattern == "*" || pattern == segment_text(step)
}

fn cast_for(path: &[Step<'_>]) -> Option<Cast> {
    let first = path.first().map(segment_text)?;
    if first == "services" && path.len() >= 3 {
        // `services.*.` matches any second part, sequence items included.
        let rest = &path[2..];
        return SERVICE_CASTS.iter().find_map(|(pattern, cast)| {
            (pattern.len() == rest.len()
                && pattern
                    .iter()
                    .zip(rest)
                    .all(|(part, segment)| part_matches(part, segment)))
            .then_some(*cast)
        });
    }
    if path.len() == 3 {
        let field = segment_text(&path[2]);
        if RESOURCE_CASTS
            .iter()
            .any(|(kind, name)| *kind == first && *name == field)
        {
            return Some(Cast::Boolean);
        }
    }
    None
}

/// Interpolates every string value of a loaded document in place (keys are not interpolated), then
/// casts the values at Compose's typed paths (`services.*.ports[].target` → int,
/// `services.*.privileged` → bool with the yes/no/on/off deprecation warning,
/// `services.*.deploy.replicas`, ulimits, `external`, …).
///
/// Only values that were strings are cast, as in Compose, so `replicas: 2` is left alone and
/// `privileged: "yes"` becomes `true` with a warning. Errors name the first failing node in
/// document order (Compose walks maps in random order, so with several errors it may name another).
pub fn interpolate(
    value: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<(), InterpolationError> {
    let mut engine = Engine { lookup, warnings };
    let mut path = Vec::new();
    walk(value, &mut path, &mut engine)
}

fn walk<'a>(
    value: &'a mut Value,
    path: &mut Vec<Step<'a>>,
    engine: &mut Engine<'_>,
) -> Result<(), InterpolationError> {
    if let Value::String(text) = value {
        if text.contains('$') {
            *text = engine
                .expand(text, 0)
                .map_err(|error| InterpolationError::from_template(tree_path(path), error))?;
        }
        if let Some(cast) = cast_for(path)
            && let Some(casted) = apply_cast(cast, text, engine.warnings).map_err(|source| {
                InterpolationError::Cast {
                    path: tree_path(path),
                    source,
                }
            })?
        {
            *value = casted;
        }
        return Ok(());
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                path.push(Step::Key(key));
                walk(child, path, engine)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                path.push(Step::Index(index));
                walk(child, path, engine)?;
                path.pop();
            }
        }
        Value::String(_) | Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// Casts `text`. `Ok(None)` leaves the string in place: a float Go accepts that JSON cannot hold
/// (`NaN`, `Inf`), which Compose would reject later.
fn apply_cast(
    cast: Cast,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Value>, CastError> {
    Ok(match cast {
        Cast::Int => Some(Value::from(parse_go_int(text, "strconv.Atoi")?)),
        Cast::Int64 => Some(Value::from(parse_go_int(text, "strconv.ParseInt")?)),
        Cast::Float => {
            let number = parse_go_float(text)?;
            serde_json::Number::from_f64(number).map(Value::Number)
        }
        Cast::Float32 => {
            let number = parse_go_float32(text)?;
            serde_json::Number::from_f64(f64::from(number)).map(Value::Number)
        }
        Cast::Boolean => Some(Value::Bool(parse_compose_bool(text, warnings)?)),
    })
}

/// compose-go `toBoolean`: YAML 1.1 words are accepted with a deprecation warning.
fn parse_compose_bool(text: &str, warnings: &mut Vec<String>) -> Result<bool, CastError> {
    let (value, word) = match text.to_lowercase().as_str() {
        "true" => return Ok(true),
        "false" => return Ok(false),
        "y" | "yes" | "on" => (true, "true"),
        "n" | "no" | "off" => (false, "false"),
        _ => {
            return Err(CastError::InvalidBoolean {
                value: text.to_owned(),
            });
        }
    };
    warnings.push(format!(
        "{} for boolean is not supported by YAML 1.2, please use `{word}`",
        go_quote(text)
    ));
    Ok(value)
}

/// Go `strconv.ParseInt(s, 10, 64)` (and `Atoi`, the same on 64-bit): an optional sign and ASCII
/// digits, no underscores.
fn parse_go_int(text: &str, function: &'static str) -> Result<i64, CastError> {
    let syntax = || CastError::InvalidSyntax {
        function,
        value: text.to_owned(),
    };
    let range = || CastError::OutOfRange {
        function,
        value: text.to_owned(),
    };
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut magnitude: u64 = 0;
    for byte in digits.bytes() {
        if !byte.is_ascii_digit() {
            return Err(syntax());
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(byte - b'0')))
            .ok_or_else(range)?;
    }
    if negative {
        0_i64.checked_sub_unsigned(magnitude).ok_or_else(range)
    } else {
        i64::try_from(magnitude).map_err(|_| range())
    }
}

/// Checks a Go float literal's syntax and returns it without digit-separating underscores, or
/// `None` if Go's `ParseFloat` would reject it. Hexadecimal floats are not supported.
fn go_float_text(text: &str) -> Option<String> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity") || (lower == "nan" && body.len() == text.len())
    {
        return Some(text.to_owned());
    }
    let mut digits = 0;
    let mut previous = '^';
    for character in body.chars() {
        match character {
            '0'..='9' => digits += 1,
            '_' if previous.is_ascii_digit() => {}
            '.' | 'e' | 'E' | '+' | '-' if previous != '_' => {}
            _ => return None,
        }
        previous = character;
    }
    if digits == 0 || previous == '_' {
        return None;
    }
    Some(text.replace('_', ""))
}

fn parse_go_float(text: &str) -> Result<f64, CastError> {
    let function = "strconv.ParseFloat";
    let number: f64 = go_float_text(text)
        .and_then(|clean| clean.parse().ok())
        .ok_or_else(|| CastError::InvalidSyntax {
            function,
            value: text.to_owned(),
        })?;
    if number.is_infinite() && !text.to_ascii_lowercase().contains("inf") {
        return Err(CastError::OutOfRange {
            function,
            value: text.to_owned(),
        });
    }
    Ok(number)
}

fn parse_go_float32(text: &str) -> Result<f32, CastError> {
    let function = "strconv.ParseFloat";
    let number: f32 = go_float_text(text)
        .and_then(|clean| clean.parse().ok())
        .ok_or_else(|| CastError::InvalidSyntax {
            function,
            value: text.to_owned(),
        })?;
    if number.is_infinite() && !text.to_ascii_lowercase().contains("inf") {
        return Err(CastError::OutOfRange {
            function,
            value: text.to_owned(),
        });
    }
    Ok(number)
}

/// The variables a document uses, for `config --variables` (see docker/compose cmd/compose/config.go
/// and compose-go template.ExtractVariables): name, whether required, default value, alternate value.
///
/// When a name is used several times the last use wins, as in Compose; the result is sorted by
/// name, the order in which `config --variables --format json` prints it.
#[must_use]
pub fn extract_variables(value: &Value) -> IndexMap<String, Variable> {
    let mut found = IndexMap::new();
    collect_variables(value, &mut found);
    found.sort_unstable_keys();
    found
}

fn collect_variables(value: &Value, found: &mut IndexMap<String, Variable>) {
    match value {
        Value::String(text) => {
            let mut variables = Vec::new();
            variables_in(text, &mut variables, 0);
            for variable in variables {
                found.insert(variable.name.clone(), variable);
            }
        }
        Value::Object(map) => map
            .values()
            .for_each(|child| collect_variables(child, found)),
        Value::Array(items) => items
            .iter()
            .for_each(|child| collect_variables(child, found)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// compose-go `extractVariable`: the variables of one string, in Compose's order (the text after a
/// substitution's first balanced `}` comes before the substitution itself, nested defaults after).
fn variables_in(text: &str, out: &mut Vec<Variable>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    let mut line = LineInfo::default();
    let mut position = 0;
    while let Some(offset) = text[position..].find('$') {
        let dollar = position + offset;
        let Some(found) = scan(text, dollar, &mut line) else {
            position = dollar + 1;
            continue;
        };
        position = found.end;
        let body = match found.token {
            Token::Escaped => continue,
            Token::Plain {
                name_start,
                name_end,
            } => &text[name_start..name_end],
            Token::Invalid => "",
            Token::WithOperator { .. } => {
                let matched = &text[dollar..found.end];
                match first_balanced_brace(matched) {
                    Some(close) => {
                        variables_in(&matched[close + 1..], out, depth + 1);
                        &matched[2..close]
                    }
                    None => &matched[2..matched.len() - 1],
                }
            }
        };
        // Compose splits at the first character outside ASCII `[A-Za-z0-9_]`.
        let split = body
            .char_indices()
            .find(|&(_, character)| !(character.is_ascii_alphanumeric() || character == '_'))
            .map(|(index, _)| index)
            .filter(|&index| index > 0);
        let mut variable = Variable {
            name: body.to_owned(),
            required: false,
            default_value: None,
            alternate_value: None,
        };
        if let Some(index) = split {
            variable.name = body[..index].to_owned();
            let rest = &body[index..];
            let non_empty = |text: &str| Some(text.to_owned()).filter(|text| !text.is_empty());
            if rest.starts_with(":?") || rest.starts_with('?') {
                variable.required = true;
            } else if let Some(default) = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-'))
            {
                variable.default_value = non_empty(default);
            } else if let Some(alternate) =
                rest.strip_prefix(":+").or_else(|| rest.strip_prefix('+'))
            {
                variable.alternate_value = non_empty(alternate);
            }
        }
        let nested = [
            variable.default_value.clone(),
            variable.alternate_value.clone(),
        ];
        out.push(variable);
        for operand in nested.iter().flatten() {
            variables_in(operand, out, depth + 1);
        }
    }
}

/// Quotes `text` as Go's `%q` / `strconv.Quote` does, for messages that Compose formats that way.
pub(crate) fn go_quote(text: &str) -> String {
    struct Quoted<'a>(&'a str);
    impl fmt::Display for Quoted<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("\"")?;
            for character in self.0.chars() {
                match character {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\u{7}' => f.write_str("\\a")?,
                    '\u{8}' => f.write_str("\\b")?,
                    '\u{c}' => f.write_str("\\f")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    '\u{b}' => f.write_str("\\v")?,
                    ' ' => f.write_str(" ")?,
                    c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", c as u32)?,
                    c if c.is_control() || c.is_whitespace() || c == '\u{feff}' => {
                        if (c as u32) <= 0xffff {
                            write!(f, "\\u{:04x}", c as u32)?;
                        } else {
                            write!(f, "\\U{:08x}", c as u32)?;
                        }
                    }
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")
        }
    }
    Quoted(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::env::read_dotenv_file;
    use serde_json::json;
    use std::path::Path;

    const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/compose-cases");

    /// The environment the template table was checked with: `SET=val EMPTY=`.
    fn table_env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("val".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(template: &str) -> (Result<String, TemplateError>, Vec<String>) {
        let mut warnings = Vec::new();
        let result = substitute(template, &table_env, &mut warnings);
        (result, warnings)
    }

    fn unset_warning(name: &str) -> String {
        format!("The \"{name}\" variable is not set. Defaulting to a blank string.")
    }

    /// Each row was a label value under `docker compose config` with `SET=val EMPTY=`.
    #[test]
    fn template_grammar_matches_compose() {
        let table = [
            ("$$", "$"),
            ("$$HOME", "$HOME"),
            ("$SET", "val"),
            ("${SET}", "val"),
            ("$SET$SET", "valval"),
            ("$1", "$1"),
            ("$-", "$-"),
            ("a$", "a$"),
            ("${SET:-d}", "val"),
            ("${EMPTY:-d}", "d"),
            ("${UNSET:-d}", "d"),
            ("${SET-d}", "val"),
            ("${EMPTY-d}", ""),
            ("${UNSET-d}", "d"),
            ("${SET:+r}", "r"),
            ("${EMPTY:+r}", ""),
            ("${UNSET:+r}", ""),
            ("${SET+r}", "r"),
            ("${EMPTY+r}", "r"),
            ("${UNSET+r}", ""),
            ("${EMPTY?m}", ""),
            ("${SET:?m}", "val"),
            ("${V:-a:-b}", "a:-b"),
            ("${UNSET-a:-b}", "a:-b"),
            ("${UNSET:-{x}}", "{x}"),
            ("${SET}}", "val}"),
            ("${UNSET:-{}}", "{}"),
            ("${UNSET:-{x}", "{x"),
            ("${UNSET:-}x}", "x}"),
            (
                "${UNSET:-x} and ${SET:-y} and ${UNSET:-z}",
                "x and val and z",
            ),
            ("${UNSET:-${SET}}", "val"),
            ("${UNSET:-${SET:-q}-t}", "val-t"),
            ("${SET}_x", "val_x"),
            ("${UNSET:-$$}", "$"),
            ("${UNSET:-a}b}c", "ab}c"),
            ("${UNSET-}", ""),
            ("${UNSET:+x}${SET:+y}", "y"),
            ("pre${SET:-a}mid${SET}post", "prevalmidvalpost"),
            ("${UNSET:-a${SET}b}", "avalb"),
            ("${UNSET:-${UNSET:-${UNSET:-deep}}}", "deep"),
            ("${UNSET:-\\}", "\\"),
            ("${UNSET:-é}", "é"),
            ("é$SETé", "évalé"),
            ("line1 ${UNSET:-a}\nline2 ${UNSET:-b}}", "line1 a\nline2 b}"),
        ];
        for (template, expected) in table {
            let (result, warnings) = run(template);
            assert_eq!(result.as_deref(), Ok(expected), "{template:?}");
            assert!(warnings.is_empty(), "{template:?}: {warnings:?}");
        }
    }

    #[test]
    fn unset_plain_variables_warn_even_in_unused_defaults() {
        let table = [
            ("${SET:-$UNSET2}", "val", "UNSET2"),
            ("${set}", "", "set"),
            ("$SET_x", "", "SET_x"),
            // Go's case-insensitive `[a-z]` also takes U+017F.
            ("$ſ", "", "ſ"),
        ];
        for (template, expected, unset) in table {
            let (result, warnings) = run(template);
            assert_eq!(result.as_deref(), Ok(expected), "{template:?}");
            assert_eq!(warnings, [unset_warning(unset)], "{template:?}");
        }
    }

    /// The error texts printed by `docker compose config` for a label `l` of service `a`.
    #[test]
    fn template_errors_match_compose() {
        let invalid = |shown: &str| {
            format!(
                "invalid interpolation format for services.a.labels.l.\nYou may need to escape any $ with another $.\n{shown}"
            )
        };
        let required =
            |message: &str| format!("error while interpolating services.a.labels.l: {message}");
        let table = [
            ("${}".to_owned(), invalid("${}")),
            ("${A".to_owned(), invalid("${A")),
            ("${A:-x".to_owned(), invalid("${A:-x")),
            ("${ A}".to_owned(), invalid("${ A}")),
            ("${1A}".to_owned(), invalid("${1A}")),
            ("${A:x}".to_owned(), invalid("${A:x}")),
            ("${A:-x\n}".to_owned(), invalid("${A:-x\n}")),
            ("${A:-x}\n${}".to_owned(), invalid("${A:-x}\n${}")),
            // Compose shows the default, or the part after the first balanced `}`.
            ("${A:-${}}".to_owned(), invalid("${}")),
            ("${A:-x} ${}".to_owned(), invalid(" ${}")),
            (
                "${UNSET:?}".to_owned(),
                required("required variable UNSET is missing a value"),
            ),
            (
                "${EMPTY:?msg $SET}".to_owned(),
                required("required variable EMPTY is missing a value: msg val"),
            ),
            (
                "${SET:-${UNSET:?inner}}".to_owned(),
                required("required variable UNSET is missing a value: inner"),
            ),
            (
                "${UNSET:-a} ${B:?e1} ${}".to_owned(),
                required("required variable B is missing a value: e1"),
            ),
        ];
        for (template, expected) in table {
            let mut document =
                json!({"services": {"a": {"image": "x", "labels": {"l": template}}}});
            let error = interpolate(&mut document, &table_env, &mut Vec::new()).unwrap_err();
            assert_eq!(error.to_string(), expected, "{template:?}");
        }
    }

    #[test]
    fn warnings_after_an_error_are_still_reported() {
        let (result, warnings) = run("$UNSETA ${} $UNSETB");
        assert_eq!(
            result,
            Err(TemplateError::InvalidTemplate {
                template: "$UNSETA ${} $UNSETB".to_owned()
            })
        );
        assert_eq!(warnings, [unset_warning("UNSETA"), unset_warning("UNSETB")]);
    }

    #[test]
    fn errors_carry_the_tree_path() {
        let mut document = json!({"services": {"a": {"image": "x", "command": ["a", "${}"]}}});
        let error = interpolate(&mut document, &table_env, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid interpolation format for services.a.command.[].\nYou may need to escape any $ with another $.\n${}"
        );
        let InterpolationError::InvalidFormat { path, .. } = error else {
            panic!("unexpected {error:?}");
        };
        assert_eq!(path, TreePath::keys(&["services", "a", "command"]).index(1));

        let mut document =
            json!({"services": {"a": {"image": "x", "labels": {"com.example.l": "${A:-${}}"}}}});
        let error = interpolate(&mut document, &table_env, &mut Vec::new()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid interpolation format for services.a.labels.com.example.l.\n"),
            "{error}"
        );
    }

    #[test]
    fn keys_are_not_interpolated() {
        let mut document =
            json!({"services": {"$SET": {"image": "$SET", "labels": {"${SET}": "${SET}"}}}});
        interpolate(&mut document, &table_env, &mut Vec::new()).unwrap();
        assert_eq!(
            document,
            json!({"services": {"$SET": {"image": "val", "labels": {"${SET}": "val"}}}})
        );
    }

    /// Casts as checked with `docker compose config`.
    #[test]
    fn typed_paths_are_cast() {
        let port = |value: &str| json!({"services": {"a": {"ports": [{"target": value}]}}});
        let mut document = json!({
            "services": {"a": {
                "image": "x",
                "cpus": "0.5",
                "privileged": "${SET:+true}",
                "tty": "On",
                "init": false,
                "deploy": {"replicas": "+2", "restart_policy": {"max_attempts": "3"}},
                "ports": [{"target": "080", "published": "${PORT:-8080}"}, "80:80"],
                "ulimits": {"nofile": {"soft": "10", "hard": "20"}, "nproc": "5"},
                "volumes": [{"type": "volume", "read_only": "no", "volume": {"nocopy": "y"}}],
                "cpu_percent": "1_0.5",
                "pids_limit": "-1",
                "environment": {"A": "yes", "B": "1"},
            }},
            "networks": {"n": {"external": "TRUE", "internal": "false"}},
            "volumes": {"v": {"external": "true"}},
            "secrets": {"s": {"external": "false"}},
            "configs": {"c": {"external": "off"}},
        });
        let mut warnings = Vec::new();
        interpolate(&mut document, &table_env, &mut warnings).unwrap();
        let service = &document["services"]["a"];
        assert_eq!(service["cpus"], json!(0.5));
        assert_eq!(service["privileged"], json!(true));
        assert_eq!(service["tty"], json!(true));
        assert_eq!(service["init"], json!(false));
        assert_eq!(
            service["deploy"],
            json!({"replicas": 2, "restart_policy": {"max_attempts": 3}})
        );
        assert_eq!(
            service["ports"],
            json!([{"target": 80, "published": "8080"}, "80:80"])
        );
        assert_eq!(
            service["ulimits"],
            json!({"nofile": {"soft": 10, "hard": 20}, "nproc": 5})
        );
        assert_eq!(
            service["volumes"],
            json!([{"type": "volume", "read_only": false, "volume": {"nocopy": true}}])
        );
        assert_eq!(service["cpu_percent"], json!(10.5));
        assert_eq!(service["pids_limit"], json!(-1));
        // Not a typed path: stays a string.
        assert_eq!(service["environment"], json!({"A": "yes", "B": "1"}));
        assert_eq!(
            document["networks"]["n"],
            json!({"external": true, "internal": false})
        );
        assert_eq!(document["volumes"]["v"]["external"], json!(true));
        assert_eq!(document["secrets"]["s"]["external"], json!(false));
        assert_eq!(document["configs"]["c"]["external"], json!(false));
        assert_eq!(
            warnings,
            [
                "\"On\" for boolean is not supported by YAML 1.2, please use `true`",
                "\"no\" for boolean is not supported by YAML 1.2, please use `false`",
                "\"y\" for boolean is not supported by YAML 1.2, please use `true`",
                "\"off\" for boolean is not supported by YAML 1.2, please use `false`",
            ]
        );
        // A float32 keeps float32 precision, as Compose's `float32(f)` does.
        let mut cpus = json!({"services": {"a": {"cpus": "0.1"}}});
        interpolate(&mut cpus, &table_env, &mut Vec::new()).unwrap();
        assert_eq!(cpus["services"]["a"]["cpus"], json!(f64::from(0.1_f32)));

        let mut document = port("${SET}");
        let error = interpolate(&mut document, &table_env, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "error while interpolating services.a.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing \"val\": invalid syntax"
        );
    }

    /// Messages printed by `docker compose config` for bad values at typed paths.
    #[test]
    fn cast_errors_match_compose() {
        let table = [
            (
                json!({"privileged": "maybe"}),
                "services.a.privileged: failed to cast to expected type: invalid boolean: maybe",
            ),
            (
                json!({"deploy": {"replicas": "abc"}}),
                "services.a.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"abc\": invalid syntax",
            ),
            (
                json!({"deploy": {"replicas": "1_0"}}),
                "services.a.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"1_0\": invalid syntax",
            ),
            (
                json!({"deploy": {"replicas": "99999999999999999999"}}),
                "services.a.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"99999999999999999999\": value out of range",
            ),
            (
                json!({"cpus": "1e39"}),
                "services.a.cpus: failed to cast to expected type: strconv.ParseFloat: parsing \"1e39\": value out of range",
            ),
            (
                json!({"cpu_count": "é"}),
                "services.a.cpu_count: failed to cast to expected type: strconv.ParseInt: parsing \"é\": invalid syntax",
            ),
        ];
        for (service, expected) in table {
            let mut document = json!({"services": {"a": service}});
            let error = interpolate(&mut document, &table_env, &mut Vec::new()).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("error while interpolating {expected}")
            );
        }
    }

    /// A case's environment: its `env` in cases.json, then its `.env` (the shell wins).
    fn case_lookup(case: &str, shell: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let shell: Vec<(String, String)> = shell
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        let dotenv = Path::new(CASES).join(case).join(".env");
        let shell_lookup = |name: &str| {
            shell
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let file = if dotenv.is_file() {
            read_dotenv_file(&dotenv, &shell_lookup, &mut Vec::new()).unwrap()
        } else {
            IndexMap::new()
        };
        move |name: &str| {
            shell
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .or_else(|| file.get(name).cloned())
        }
    }

    // The trees below are the case's compose file, written as JSON (the YAML reader lives
    // elsewhere); expected values are what `docker compose config` prints for the case.

    #[test]
    fn corpus_env_interpolation() {
        for (case, image) in [
            ("e2e-env-interpolation", "default_env:EnvFile"),
            (
                "e2e-env-interpolation-default-value",
                "default_env:EnvFileDefaultValue",
            ),
        ] {
            let mut document = json!({"services": {"env-interpolation": {
                "image": "bash",
                "environment": {"IMAGE": "${IMAGE}"},
                "command": "echo \"$IMAGE\"",
            }}});
            let mut warnings = Vec::new();
            interpolate(&mut document, &case_lookup(case, &[]), &mut warnings).unwrap();
            let service = &document["services"]["env-interpolation"];
            assert_eq!(service["environment"]["IMAGE"], json!(image), "{case}");
            assert_eq!(
                service["command"],
                json!(format!("echo \"{image}\"")),
                "{case}"
            );
            assert!(warnings.is_empty(), "{case}: {warnings:?}");
        }
    }

    #[test]
    fn corpus_env_priority_default_shell() {
        let case = "e2e-env-priority-default-shell";
        let env_file = Path::new(CASES)
            .join(case)
            .join(".env.override.with.default");
        let shell = |name: &str| (name == "WHEREAMI").then(|| "shell".to_owned());
        let file = read_dotenv_file(&env_file, &shell, &mut Vec::new()).unwrap();
        let lookup = |name: &str| shell(name).or_else(|| file.get(name).cloned());
        let mut document = json!({"services": {"env-compose-priority": {
            "image": "env-compose-priority",
            "build": {"context": "."},
            "environment": {"WHEREAMI": "Compose File"},
        }}, "x-where": "${WHEREAMI}"});
        interpolate(&mut document, &lookup, &mut Vec::new()).unwrap();
        assert_eq!(
            document["services"]["env-compose-priority"]["environment"]["WHEREAMI"],
            json!("Compose File")
        );
        assert_eq!(document["x-where"], json!("shell"));
    }

    #[test]
    fn corpus_name_interpolated() {
        let mut document =
            json!({"name": "test-${TEST}-test", "services": {"simple": {"image": "nginx"}}});
        let lookup = case_lookup("cg-cli-name-interpolated", &[("TEST", "Foo_Bar")]);
        interpolate(&mut document, &lookup, &mut Vec::new()).unwrap();
        // Compose then normalises it to `test-foo_bar-test`.
        assert_eq!(document["name"], json!("test-Foo_Bar-test"));
    }

    #[test]
    fn corpus_config_port_default() {
        let case = "e2e-config-port-default";
        for (shell, published) in [(&[("PORT", "9999")][..], "9999:80"), (&[][..], "8080:80")] {
            let mut document =
                json!({"services": {"test": {"image": "test", "ports": ["${PORT:-8080}:80"]}}});
            interpolate(&mut document, &case_lookup(case, shell), &mut Vec::new()).unwrap();
            assert_eq!(document["services"]["test"]["ports"], json!([published]));
        }
    }

    #[test]
    fn corpus_configs_content() {
        let mut document = json!({
            "services": {"target": {"image": "alpine", "configs": [{"source": "inlined", "target": "/target"}], "command": "cat /target"}},
            "configs": {
                "from_env": {"environment": "CONFIG"},
                "from_file": {"file": "config.txt"},
                "inlined": {"content": "This is my $CONFIG"},
            },
        });
        let lookup = case_lookup("e2e-configs", &[("CONFIG", "config")]);
        interpolate(&mut document, &lookup, &mut Vec::new()).unwrap();
        assert_eq!(
            document["configs"]["inlined"]["content"],
            json!("This is my config")
        );
        assert_eq!(
            document["configs"]["from_env"]["environment"],
            json!("CONFIG")
        );
    }

    /// Checked with `docker compose config --variables --format json`.
    #[test]
    fn extract_variables_matches_compose() {
        let document = json!({"services": {"a": {
            "image": "${IMG:-nginx:${TAG:-latest}}",
            "labels": {
                "x": "${REQ:?need it} ${ALT:+on} $PLAIN ${B-} $$ESC ${A:-x} and ${A}",
                "y": "${}",
            },
            "command": ["${C:-a:-b}", "${D:+${E:-e}}"],
        }}});
        let variables = extract_variables(&document);
        let variable =
            |name: &str, required, default: Option<&str>, alternate: Option<&str>| Variable {
                name: name.to_owned(),
                required,
                default_value: default.map(str::to_owned),
                alternate_value: alternate.map(str::to_owned),
            };
        let expected = [
            variable("", false, None, None),
            variable("A", false, Some("x"), None),
            variable("ALT", false, None, Some("on")),
            variable("B", false, None, None),
            variable("C", false, Some("a:-b"), None),
            variable("D", false, None, Some("${E:-e}")),
            variable("E", false, Some("e"), None),
            variable("IMG", false, Some("nginx:${TAG:-latest}"), None),
            variable("PLAIN", false, None, None),
            variable("REQ", true, None, None),
            variable("TAG", false, Some("latest"), None),
        ];
        let got: Vec<Variable> = variables.values().cloned().collect();
        assert_eq!(got, expected);
        assert!(variables.keys().eq(expected.iter().map(|v| &v.name)));
    }

    #[test]
    fn long_lines_stay_linear() {
        let count = 100_000;
        let template = "${UNSET:-x}".repeat(count);
        let (result, _) = run(&template);
        assert_eq!(result.map(|value| value.len()), Ok(count));

        let unclosed = "${UNSET:-".repeat(count);
        let (result, _) = run(&unclosed);
        assert!(matches!(result, Err(TemplateError::InvalidTemplate { .. })));

        let dollars = "$SET $$ $1 ".repeat(count);
        let (result, _) = run(&dollars);
        assert_eq!(
            result.map(|value| value.len()),
            Ok(count * "val $ $1 ".len())
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let depth = 5_000;
        let template = format!("{}x{}", "${UNSET:-".repeat(depth), "}".repeat(depth));
        let (result, _) = run(&template);
        assert_eq!(result, Err(TemplateError::NestingTooDeep));
        let template = format!("{}x{}", "${UNSET:-".repeat(50), "}".repeat(50));
        assert_eq!(run(&template).0.as_deref(), Ok("x"));
    }
}
