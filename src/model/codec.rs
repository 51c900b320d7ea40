//! How the model is bound to the loader's tree and printed back, the way compose-go does it.
//!
//! Decoding mirrors mapstructure as compose-go configures it: `null` gives the zero value, unknown
//! keys are ignored, keys match the YAML tag (falling back to a case-insensitive match), and every
//! failure is collected with its mapstructure name (`services[a].mem_limit`) so the caller can
//! report them all at once. Encoding mirrors Go's `encoding/json` (and go-yaml for [`Mode::Yaml`]):
//! struct field order, `omitempty`, map keys sorted by bytes.
//!
//! The [`compose_struct!`] macro writes a struct, its decoder and its encoder from one field list,
//! so the field order (which the config hash depends on) is written exactly once.

use indexmap::IndexMap;
use serde_json::Number;

use crate::loader::tree::{Map, Segment, TreePath, Value};

/// Which of Compose's printers an encoding reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `encoding/json`, as `config --format json` and the config hash use it: nested `x-*` keys
    /// are dropped and Go structs are never omitted.
    Json,
    /// go-yaml v3, as `config` prints YAML: nested `x-*` keys are kept inline and `omitempty`
    /// also drops structs whose fields are all empty.
    Yaml,
}

/// When a field is left out of the output (Go's `omitempty` or its absence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Omit {
    /// `omitempty` in both printers.
    Empty,
    /// No `omitempty`: always printed.
    Never,
    /// Printed even when empty in JSON, left out when empty in YAML (`command`, `entrypoint`).
    EmptyInYaml,
    /// Never printed (`json:"-"`), like a service's `name`.
    Always,
}

/// Whether a field with this policy and value is left out.
pub(crate) fn omitted<T: Encode>(policy: Omit, mode: Mode, value: &T) -> bool {
    match policy {
        Omit::Empty => value.is_empty(mode),
        Omit::Never => false,
        Omit::EmptyInYaml => mode == Mode::Yaml && value.is_empty(mode),
        Omit::Always => true,
    }
}

/// One step of a [`FieldPath`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'a> {
    /// The document root.
    Root,
    /// A struct field, printed `.name`.
    Field(&'a str),
    /// A map key, printed `[key]`.
    Key(&'a str),
    /// A list index, printed `[0]`.
    Index(usize),
}

/// The position being decoded, as a stack-allocated chain so that nothing is built unless an
/// error is reported.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    step: Step<'a>,
}

impl<'a> FieldPath<'a> {
    /// The document root.
    pub(crate) fn root() -> FieldPath<'static> {
        FieldPath {
            parent: None,
            step: Step::Root,
        }
    }

    /// A struct field below this position.
    pub(crate) fn field(&'a self, name: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            step: Step::Field(name),
        }
    }

    /// A map entry below this position.
    pub(crate) fn key(&'a self, key: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            step: Step::Key(key),
        }
    }

    /// A list item below this position.
    pub(crate) fn index(&'a self, index: usize) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    fn steps(&self) -> Vec<Step<'a>> {
        let mut steps = vec![self.step];
        let mut current = self.parent;
        while let Some(path) = current {
            steps.push(path.step);
            current = path.parent;
        }
        steps.reverse();
        steps
    }

    /// The name mapstructure gives this position: `services[a].secrets[0].mode`.
    pub(crate) fn mapstructure_name(&self) -> String {
        let mut name = String::new();
        for step in self.steps() {
            match step {
                Step::Root => {}
                Step::Field(field) => {
                    if !name.is_empty() {
                        name.push('.');
                    }
                    name.push_str(field);
                }
                Step::Key(key) => {
                    name.push('[');
                    name.push_str(key);
                    name.push(']');
                }
                Step::Index(index) => {
                    name.push('[');
                    name.push_str(&index.to_string());
                    name.push(']');
                }
            }
        }
        name
    }

    /// The loader's path of this position, to find its location in the source.
    pub(crate) fn tree_path(&self) -> TreePath {
        TreePath(
            self.steps()
                .into_iter()
                .filter_map(|step| match step {
                    Step::Root => None,
                    Step::Field(name) | Step::Key(name) => Some(Segment::Key(name.to_owned())),
                    Step::Index(index) => Some(Segment::Index(index)),
                })
                .collect(),
        )
    }
}

/// Why one attribute could not be decoded. Each message is the Go error Compose prints.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DecodeProblem {
    /// A byte size without digits or negative (`go-units`).
    #[error("invalid size: '{0}'")]
    InvalidSize(String),
    /// A byte size with an unknown unit, lowercased (`go-units`).
    #[error("invalid suffix: '{0}'")]
    InvalidSuffix(String),
    /// A number that `strconv.ParseFloat` rejects.
    #[error("strconv.ParseFloat: parsing \"{0}\": invalid syntax")]
    ParseFloat(String),
    /// An integer that `strconv.ParseInt` rejects.
    #[error("strconv.ParseInt: parsing \"{0}\": invalid syntax")]
    ParseInt(String),
    /// A boolean string that is not one of YAML 1.1's words.
    #[error("invalid boolean: {0}")]
    ParseBool(String),
    /// A duration Go's `time.ParseDuration` (with `d` and `w`) rejects.
    #[error("time: invalid duration \"{0}\"")]
    InvalidDuration(String),
    /// A duration number without a unit.
    #[error("time: missing unit in duration \"{0}\"")]
    MissingDurationUnit(String),
    /// A duration with an unknown unit.
    #[error("time: unknown unit \"{unit}\" in duration \"{duration}\"")]
    UnknownDurationUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration as written.
        duration: String,
    },
    /// A GPU/device `count` that is neither `all` nor a number.
    #[error("invalid value \"{0}\", the only value allowed is 'all' or a number")]
    DeviceCount(String),
    /// A list-form environment entry whose name ends with a space.
    #[error("environment variable {0} is declared with a trailing space")]
    TrailingSpace(String),
    /// An `extra_hosts` entry whose host name is empty or contains `:` or `=`.
    #[error("bad host name '{0}'")]
    BadHostName(String),
    /// A list-form `extra_hosts` entry without a separator.
    #[error("invalid additional host, missing IP: {0}")]
    MissingHostIp(String),
    /// A command string go-shellwords cannot split (unbalanced quotes, bare parenthesis).
    #[error("invalid command line string")]
    InvalidCommandLine,
    /// A value of the wrong kind for a Go type's decoder.
    #[error("unexpected value type {go_type} for {target}")]
    UnexpectedValueType {
        /// The Go type of the value (`string`, `[]interface {}`, ...).
        go_type: &'static str,
        /// What was being decoded (`mode`, `ulimit`, `mapping`, ...).
        target: &'static str,
    },
    /// A value of the wrong kind for a Go type's decoder (the "invalid type" wording).
    #[error("invalid type {go_type} for {target}")]
    InvalidType {
        /// The Go type of the value.
        go_type: &'static str,
        /// What was being decoded (`options`, `string list`, `device count`).
        target: &'static str,
    },
    /// A `build.ssh` value that is not a mapping.
    #[error("invalid ssh config type {0}")]
    SshConfigType(&'static str),
    /// A scalar of the wrong type for a plain field (mapstructure's own message).
    #[error("expected type '{expected}', got unconvertible type '{go_type}', value: '{value}'")]
    Unconvertible {
        /// The Go type of the field.
        expected: &'static str,
        /// The Go type of the value.
        go_type: &'static str,
        /// The value, printed with `%v`.
        value: String,
    },
    /// A struct or map field given something that is not a mapping.
    #[error("expected a map, got '{0}'")]
    ExpectedMap(&'static str),
    /// A list field given something that is not a list.
    #[error("source data must be an array or slice, got {0}")]
    ExpectedSlice(&'static str),
}

/// One attribute that could not be decoded, with where it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("'{name}' {problem}")]
pub struct DecodeError {
    /// The mapstructure name Compose prints: `services[a].mem_limit`.
    pub name: String,
    /// The node in the loader's tree, to find its file, line and column.
    pub path: TreePath,
    /// What is wrong with it.
    pub problem: DecodeProblem,
}

/// Collects decode failures, as mapstructure does before reporting them together.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub(crate) Vec<DecodeError>);

impl Errors {
    /// Records a failure at `path`.
    pub(crate) fn push(&mut self, path: &FieldPath<'_>, problem: DecodeProblem) {
        self.0.push(DecodeError {
            name: path.mapstructure_name(),
            path: path.tree_path(),
            problem,
        });
    }
}

/// Built from a node of the loader's tree; failures are recorded and the zero value returned.
pub(crate) trait Decode: Sized + Default {
    /// Decodes `value` found at `path`.
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self;
}

/// Printed back as Compose prints it.
pub(crate) trait Encode {
    /// The value as `encoding/json` or go-yaml would print it.
    fn encode(&self, mode: Mode) -> Value;
    /// Go's `omitempty` test for this value.
    fn is_empty(&self, mode: Mode) -> bool;
    /// Writes `self.encode(Mode::Yaml)` as YAML, as the value of a mapping entry whose key is
    /// at `depth` (see [`crate::output::write_yaml_child`]). The types `config` prints most
    /// write straight from the model, without building the [`Value`].
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        crate::output::write_yaml_child(out, &self.encode(Mode::Yaml), indent, depth);
    }
}

pub(crate) use crate::go::type_name as go_type;

/// The kind name mapstructure prints for a decoded YAML value.
fn go_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
        other => go_type(other),
    }
}

/// Go's `fmt.Sprint` of a decoded YAML value, used wherever Compose turns scalars into strings.
pub(crate) fn go_sprint(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(integer), _, _) => integer.to_string(),
            (None, Some(integer), _) => integer.to_string(),
            (None, None, Some(float)) => format_go_general(float),
            _ => number.to_string(),
        },
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_sprint).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(key, item)| format!("{key}:{}", go_sprint(item)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses: shortest digits, exponent form
/// when the exponent is below -4 or at least 6 (`1e+06`).
pub(crate) fn format_go_general(float: f64) -> String {
    if float.is_nan() {
        return "NaN".to_owned();
    }
    if float.is_infinite() {
        return if float > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if float == 0.0 {
        return "0".to_owned();
    }
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{float}")
    }
}

/// A JSON number for a Go `float32`: its shortest decimal form, as `encoding/json` prints it.
pub(crate) fn float32_value(float: f32) -> Value {
    if float.fract() == 0.0 && float.abs() < 1e15 {
        // Go prints integral floats without a fraction; keep them integers so they compare equal.
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 1e15")]
        return Value::from(float as i64);
    }
    let shortest: f64 = float.to_string().parse().unwrap_or(f64::from(float));
    Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

/// The object at `path`, or `None` (after recording a failure unless it is `null`).
pub(crate) fn expect_object<'v>(
    value: &'v Value,
    path: &FieldPath<'_>,
    errors: &mut Errors,
) -> Option<&'v Map> {
    match value {
        Value::Object(map) => Some(map),
        Value::Null => None,
        other => {
            errors.push(path, DecodeProblem::ExpectedMap(go_kind(other)));
            None
        }
    }
}

pub(crate) use crate::go::sorted as sorted_value;

impl Decode for String {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            // compose-go's `cast` hook turns integers into strings.
            Value::Number(number) if !number.is_f64() => number.to_string(),
            other => {
                errors.push(
                    path,
                    DecodeProblem::Unconvertible {
                        expected: "string",
                        go_type: go_type(other),
                        value: go_sprint(other),
                    },
                );
                String::new()
            }
        }
    }
}

impl Encode for String {
    fn encode(&self, _mode: Mode) -> Value {
        Value::String(self.clone())
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        str::is_empty(self)
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        crate::output::write_yaml_str_child(out, self, indent, depth);
    }
}

impl Decode for bool {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Bool(flag) => *flag,
            Value::Null => false,
            // compose-go's `cast` hook accepts YAML 1.1 words for strings.
            Value::String(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "y" | "yes" | "on" => true,
                "false" | "n" | "no" | "off" => false,
                _ => {
                    errors.push(path, DecodeProblem::ParseBool(text.clone()));
                    false
                }
            },
            other => {
                errors.push(
                    path,
                    DecodeProblem::Unconvertible {
                        expected: "bool",
                        go_type: go_type(other),
                        value: go_sprint(other),
                    },
                );
                false
            }
        }
    }
}

impl Encode for bool {
    fn encode(&self, _mode: Mode) -> Value {
        Value::Bool(*self)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        !*self
    }
}

/// Decodes an integer field: integers as is, floats truncated (mapstructure), strings parsed
/// (compose-go's `cast` hook).
pub(crate) fn decode_integer(
    value: &Value,
    path: &FieldPath<'_>,
    errors: &mut Errors,
    expected: &'static str,
) -> i64 {
    match value {
        Value::Null => 0,
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                integer
            } else if let Some(integer) = number.as_u64() {
                i64::try_from(integer).unwrap_or(i64::MAX)
            } else {
                #[expect(clippy::cast_possible_truncation, reason = "Go truncates the same way")]
                let truncated = number.as_f64().unwrap_or(0.0) as i64;
                truncated
            }
        }
        Value::String(text) => text.trim().parse().unwrap_or_else(|_| {
            errors.push(path, DecodeProblem::ParseInt(text.clone()));
            0
        }),
        other => {
            errors.push(
                path,
                DecodeProblem::Unconvertible {
                    expected,
                    go_type: go_type(other),
                    value: go_sprint(other),
                },
            );
            0
        }
    }
}

macro_rules! integer_codec {
    ($($ty:ty => $go:literal),*) => {$(
        impl Decode for $ty {
            fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
                let integer = decode_integer(value, path, errors, $go);
                <$ty>::try_from(integer).unwrap_or_default()
            }
        }
        impl Encode for $ty {
            fn encode(&self, _mode: Mode) -> Value {
                Value::from(*self)
            }
            fn is_empty(&self, _mode: Mode) -> bool {
                *self == 0
            }
        }
    )*};
}

integer_codec!(i64 => "int64", i32 => "int", u64 => "uint64", u32 => "uint32", u16 => "uint16");

/// Decodes a float field: numbers as is, strings parsed (compose-go's `cast` hook).
pub(crate) fn decode_float(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Number(number) => number.as_f64().unwrap_or(0.0),
        Value::String(text) => text.parse().unwrap_or_else(|_| {
            errors.push(path, DecodeProblem::ParseFloat(text.clone()));
            0.0
        }),
        other => {
            errors.push(
                path,
                DecodeProblem::Unconvertible {
                    expected: "float32",
                    go_type: go_type(other),
                    value: go_sprint(other),
                },
            );
            0.0
        }
    }
}

impl Decode for f32 {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        #[expect(clippy::cast_possible_truncation, reason = "the Go field is a float32")]
        let float = decode_float(value, path, errors) as f32;
        float
    }
}

impl Encode for f32 {
    fn encode(&self, _mode: Mode) -> Value {
        float32_value(*self)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        *self == 0.0
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Null => None,
            other => Some(T::decode(other, path, errors)),
        }
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, mode: Mode) -> Value {
        self.as_ref()
            .map_or(Value::Null, |inner| inner.encode(mode))
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.is_none()
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        match self {
            Some(inner) => inner.write_yaml(out, indent, depth),
            None => crate::output::write_yaml_child(out, &Value::Null, indent, depth),
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| T::decode(item, &path.index(index), errors))
                .collect(),
            Value::Null => Vec::new(),
            other => {
                errors.push(path, DecodeProblem::ExpectedSlice(go_kind(other)));
                Vec::new()
            }
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, mode: Mode) -> Value {
        Value::Array(self.iter().map(|item| item.encode(mode)).collect())
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        <[T]>::is_empty(self)
    }
}

impl<T: Decode> Decode for IndexMap<String, T> {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        let Some(object) = expect_object(value, path, errors) else {
            return IndexMap::new();
        };
        object
            .iter()
            .map(|(key, item)| (key.clone(), T::decode(item, &path.key(key), errors)))
            .collect()
    }
}

impl<T: Encode> Encode for IndexMap<String, T> {
    fn encode(&self, mode: Mode) -> Value {
        let mut entries: Vec<(&String, &T)> = self.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Value::Object(
            entries
                .into_iter()
                .map(|(key, item)| (key.clone(), item.encode(mode)))
                .collect(),
        )
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        IndexMap::is_empty(self)
    }
    fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
        let mut entries: Vec<(&String, &T)> = self.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        write_yaml_entries(out, entries, indent, depth);
    }
}

/// Writes a mapping of already ordered entries as [`Encode::write_yaml`] does.
pub(crate) fn write_yaml_entries<'a, T: Encode + 'a>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a String, &'a T)>,
    indent: usize,
    depth: usize,
) {
    let mut empty = true;
    for (key, item) in entries {
        if empty {
            crate::output::write_yaml_map_start(out, false);
            empty = false;
        }
        crate::output::write_yaml_key(out, key, depth + indent);
        item.write_yaml(out, indent, depth + indent);
    }
    if empty {
        crate::output::write_yaml_map_start(out, true);
    }
}

/// Defines a Compose struct, its [`Decode`] and its [`Encode`] from one ordered field list.
///
/// Each field is `name: Type = "yaml_key"`, optionally followed by `json "JsonKey"` when Go's
/// JSON name differs and `policy Never|EmptyInYaml|Always` when it is not plain `omitempty`.
/// `pub struct Name [extensions]` adds the `x-*` extension map that Go keeps inline in YAML.
macro_rules! compose_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $([$ext:ident])? {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty = $key:literal $(json $json_key:literal)? $(policy $policy:ident)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )*
            $(
                /// The `x-*` extension keys written here, in source order.
                pub $ext: $crate::model::mapping::Extensions,
            )?
        }

        impl $crate::model::codec::Decode for $name {
            fn decode(
                value: &$crate::loader::tree::Value,
                path: &$crate::model::codec::FieldPath<'_>,
                errors: &mut $crate::model::codec::Errors,
            ) -> Self {
                let mut out = Self::default();
                let Some(object) = $crate::model::codec::expect_object(value, path, errors) else {
                    return out;
                };
                for (key, item) in object {
                    match key.as_str() {
                        $(
                            $key => {
                                out.$field = $crate::model::codec::Decode::decode(
                                    item, &path.field($key), errors,
                                );
                            }
                        )*
                        _ => {
                            $(
                                if key.starts_with("x-") {
                                    out.$ext.insert(key.clone(), item.clone());
                                    continue;
                                }
                            )?
                            // mapstructure falls back to a case-insensitive match of field names.
                            $(
                                if key.eq_ignore_ascii_case($key) {
                                    out.$field = $crate::model::codec::Decode::decode(
                                        item, &path.field($key), errors,
                                    );
                                    continue;
                                }
                            )*
                        }
                    }
                }
                out
            }
        }

        impl $crate::model::codec::Encode for $name {
            fn encode(&self, mode: $crate::model::codec::Mode) -> $crate::loader::tree::Value {
                let mut map = $crate::loader::tree::Map::new();
                $(
                    let policy = compose_struct!(@policy $($policy)?);
                    if !$crate::model::codec::omitted(policy, mode, &self.$field) {
                        let key = compose_struct!(@key mode, $key $(, $json_key)?);
                        map.insert(key.to_owned(), self.$field.encode(mode));
                    }
                )*
                $(
                    if mode == $crate::model::codec::Mode::Yaml {
                        for (key, item) in &self.$ext {
                            map.insert(key.clone(), $crate::model::codec::sorted_value(item));
                        }
                    }
                )?
                $crate::loader::tree::Value::Object(map)
            }

            fn write_yaml(&self, out: &mut String, indent: usize, depth: usize) {
                let mode = $crate::model::codec::Mode::Yaml;
                let mut empty = true;
                $(
                    let policy = compose_struct!(@policy $($policy)?);
                    if !$crate::model::codec::omitted(policy, mode, &self.$field) {
                        if empty {
                            $crate::output::write_yaml_map_start(out, false);
                            empty = false;
                        }
                        $crate::output::write_yaml_key(out, $key, depth + indent);
                        $crate::model::codec::Encode::write_yaml(&self.$field, out, indent, depth + indent);
                    }
                )*
                $(
                    for (key, item) in &self.$ext {
                        if empty {
                            $crate::output::write_yaml_map_start(out, false);
                            empty = false;
                        }
                        $crate::output::write_yaml_key(out, key, depth + indent);
                        $crate::output::write_yaml_child(
                            out, &$crate::model::codec::sorted_value(item), indent, depth + indent,
                        );
                    }
                )?
                if empty {
                    $crate::output::write_yaml_map_start(out, true);
                }
            }

            fn is_empty(&self, mode: $crate::model::codec::Mode) -> bool {
                // encoding/json never omits a struct; go-yaml omits one whose fields are all empty.
                mode == $crate::model::codec::Mode::Yaml
                    $( && $crate::model::codec::Encode::is_empty(&self.$field, mode) )*
                    $( && self.$ext.is_empty() )?
            }
        }
    };
    (@policy) => { $crate::model::codec::Omit::Empty };
    (@policy $policy:ident) => { $crate::model::codec::Omit::$policy };
    (@key $mode:ident, $key:literal) => { $key };
    (@key $mode:ident, $key:literal, $json_key:literal) => {
        if $mode == $crate::model::codec::Mode::Json { $json_key } else { $key }
    };
}
