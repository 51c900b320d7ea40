//! JSON-schema validation against the compose-spec schema, reporting the error Compose reports.
//!
//! Compose validates with santhosh-tekuri/jsonschema v6 and then shows a single error: the leaf of
//! the error tree whose instance location is deepest (an `additionalProperties` failure counts one
//! level deeper), the first one on ties (compose-go `schema/schema.go`). Which leaf that is depends
//! on how that validator walks the schema: a failed `type` or `enum` stops the checks on that
//! node, a draft-07 `$ref` hides its siblings, `required` comes before the properties and
//! `additionalProperties` after them, and every failing `oneOf` branch contributes its errors.
//!
//! The `jsonschema` crate answers "is this valid?" quickly, but its error list does not keep that
//! tree. So valid trees take the crate's fast path only, and an invalid tree is walked a second
//! time by [`Explainer`], which follows santhosh-tekuri's order on the (small) set of keywords the
//! compose schema uses: `type`, `enum`, `$ref`, `required`, `properties`, `patternProperties`,
//! `additionalProperties`, `items`, `uniqueItems`, `pattern`, `minimum`, `maximum` and `oneOf`.
//! Where Go iterates a map (object properties), the walk uses the tree's source order.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::dotted;
use crate::loader::tree::{Map, TreePath, Value};

/// The compose-spec schema of compose-go v2.9.1 (draft-07), as Compose v2.40.3 embeds it.
const COMPOSE_SPEC: &str = include_str!("../../../schemas/compose-spec.json");

/// The schema error Compose reports for a tree, without the `validating <file>: ` prefix that the
/// pipeline adds. Every variant carries the path of the failing node.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The node has the wrong JSON type (`services.a.restart must be a string`). `expected` is
    /// already in Compose's words: `mapping` for object, alternatives sorted and joined.
    #[error("{} must be a {expected}", dotted(path))]
    Type {
        /// The failing node.
        path: TreePath,
        /// The allowed types, e.g. `integer or string`.
        expected: String,
    },
    /// The value is not one of the allowed values.
    #[error("{} {}", dotted(path), describe_enum(allowed))]
    Enum {
        /// The failing node.
        path: TreePath,
        /// The schema's `enum` list.
        allowed: Vec<Value>,
    },
    /// A mapping lacks required keys.
    #[error("{} {}", dotted(path), describe_missing(missing))]
    Required {
        /// The mapping.
        path: TreePath,
        /// The missing keys, in the schema's order.
        missing: Vec<String>,
    },
    /// A mapping has keys the schema does not allow. At the top level the path is empty, which
    /// gives Compose's double space after `validating <file>:`.
    #[error(
        "{} additional properties {} not allowed",
        dotted(path),
        join_quoted(properties)
    )]
    AdditionalProperties {
        /// The mapping.
        path: TreePath,
        /// The unexpected keys, in source order.
        properties: Vec<String>,
    },
    /// A string does not match the schema's `pattern`.
    #[error(
        "{} {} does not match pattern {}",
        dotted(path),
        quote(value),
        quote(pattern)
    )]
    Pattern {
        /// The failing string.
        path: TreePath,
        /// The string.
        value: String,
        /// The pattern, as the schema writes it.
        pattern: String,
    },
    /// A list that must hold distinct items holds two equal ones.
    #[error("{} items at {first} and {second} are equal", dotted(path))]
    UniqueItems {
        /// The list.
        path: TreePath,
        /// The index of the earlier item.
        first: usize,
        /// The index of the later item.
        second: usize,
    },
    /// A number is below the schema's `minimum`.
    #[error(
        "{} must be greater than or equal to {}",
        dotted(path),
        DisplayNumber(limit)
    )]
    Minimum {
        /// The number.
        path: TreePath,
        /// The minimum.
        limit: Value,
    },
    /// A number is above the schema's `maximum`.
    #[error(
        "{} must be less than or equal to {}",
        dotted(path),
        DisplayNumber(limit)
    )]
    Maximum {
        /// The number.
        path: TreePath,
        /// The maximum.
        limit: Value,
    },
    /// A value matches more than one branch of a `oneOf`.
    #[error("{} oneOf failed, subschemas {first}, {second} matched", dotted(path))]
    OneOfMultipleMatched {
        /// The value.
        path: TreePath,
        /// The first matching branch.
        first: usize,
        /// The second matching branch.
        second: usize,
    },
    /// The schema allows nothing at this node (a `false` schema).
    #[error("{} false schema", dotted(path))]
    FalseSchema {
        /// The node.
        path: TreePath,
    },
    /// The embedded schema could not be compiled; this is a build defect, not a user error.
    #[error("compose schema cannot be compiled: {reason}")]
    SchemaUnusable {
        /// What the schema compiler said.
        reason: String,
    },
}

impl SchemaError {
    /// The path of the failing node (the root for [`SchemaError::SchemaUnusable`]).
    #[must_use]
    pub fn path(&self) -> TreePath {
        match self {
            Self::Type { path, .. }
            | Self::Enum { path, .. }
            | Self::Required { path, .. }
            | Self::AdditionalProperties { path, .. }
            | Self::Pattern { path, .. }
            | Self::UniqueItems { path, .. }
            | Self::Minimum { path, .. }
            | Self::Maximum { path, .. }
            | Self::OneOfMultipleMatched { path, .. }
            | Self::FalseSchema { path } => path.clone(),
            Self::SchemaUnusable { .. } => TreePath::root(),
        }
    }

    /// How deep the error is, as compose-go's `specificity` counts it.
    fn specificity(&self) -> usize {
        match self {
            Self::AdditionalProperties { path, .. } => path.0.len() + 1,
            other => other.path().0.len(),
        }
    }
}

/// Validates a tree against the compose-spec schema and returns the error Compose would print.
///
/// # Errors
///
/// The deepest schema violation, as [`SchemaError`].
pub fn validate_schema(dict: &Value) -> Result<(), SchemaError> {
    let compiled = compiled()?;
    if compiled.validator.is_valid(dict) {
        return Ok(());
    }
    let explainer = Explainer {
        document: &compiled.document,
        patterns: compiled.patterns()?,
    };
    let mut failures = Vec::new();
    explainer.check(&compiled.document, dict, &TreePath::root(), &mut failures);
    // The first failure with the greatest specificity, as compose-go's getMostSpecificError picks.
    let mut best: Option<SchemaError> = None;
    for failure in failures {
        if best
            .as_ref()
            .is_none_or(|current| failure.specificity() > current.specificity())
        {
            best = Some(failure);
        }
    }
    best.map_or(Ok(()), Err)
}

/// [`validate_schema`], skipping a document that `memory` (a directory) remembers as valid and
/// remembering the ones found valid (one empty file per document digest, per executable).
/// Without a directory, every document is checked.
///
/// # Errors
///
/// As [`validate_schema`].
pub fn validate_schema_remembered(dict: &Value, memory: Option<&Path>) -> Result<(), SchemaError> {
    let Some(entry) = memory.and_then(|dir| memory::entry(dir, dict)) else {
        return validate_schema(dict);
    };
    if memory::known_valid(&entry) {
        return Ok(());
    }
    validate_schema(dict)?;
    memory::remember(&entry);
    Ok(())
}

/// The schema, compiled once per process.
struct CompiledSchema {
    /// The crate's validator, for the fast "is it valid" answer.
    validator: jsonschema::Validator,
    /// The schema document, walked by [`Explainer`] when the tree is invalid.
    document: Value,
    /// Every `pattern` and `patternProperties` key of the schema, compiled on the first invalid
    /// tree: a valid project (the usual case) never needs them, and they cost more to compile
    /// than the validator itself.
    patterns: OnceLock<Result<HashMap<String, Regex>, String>>,
}

impl CompiledSchema {
    /// The schema's regular expressions, compiled on first use.
    fn patterns(&self) -> Result<&HashMap<String, Regex>, SchemaError> {
        self.patterns
            .get_or_init(|| {
                let mut patterns = HashMap::new();
                collect_patterns(&self.document, &mut patterns).map(|()| patterns)
            })
            .as_ref()
            .map_err(|reason| SchemaError::SchemaUnusable {
                reason: reason.clone(),
            })
    }
}

fn compiled() -> Result<&'static CompiledSchema, SchemaError> {
    static COMPILED: OnceLock<Result<CompiledSchema, String>> = OnceLock::new();
    COMPILED
        .get_or_init(compile)
        .as_ref()
        .map_err(|reason| SchemaError::SchemaUnusable {
            reason: reason.clone(),
        })
}

fn compile() -> Result<CompiledSchema, String> {
    let document: Value = serde_json::from_str(COMPOSE_SPEC).map_err(|error| error.to_string())?;
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&document)
        .map_err(|error| error.to_string())?;
    Ok(CompiledSchema {
        validator,
        document,
        patterns: OnceLock::new(),
    })
}

/// Compiles every regular expression the schema uses. Go's RE2 and the `regex` crate agree on
/// the schema's patterns: unanchored search, `$` only at the end of the text.
fn collect_patterns(schema: &Value, patterns: &mut HashMap<String, Regex>) -> Result<(), String> {
    match schema {
        Value::Object(object) => {
            if let Some(Value::String(pattern)) = object.get("pattern") {
                add_pattern(pattern, patterns)?;
            }
            if let Some(Value::Object(pattern_properties)) = object.get("patternProperties") {
                for pattern in pattern_properties.keys() {
                    add_pattern(pattern, patterns)?;
                }
            }
            for value in object.values() {
                collect_patterns(value, patterns)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_patterns(item, patterns)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn add_pattern(pattern: &str, patterns: &mut HashMap<String, Regex>) -> Result<(), String> {
    if !patterns.contains_key(pattern) {
        let regex = Regex::new(pattern).map_err(|error| error.to_string())?;
        patterns.insert(pattern.to_owned(), regex);
    }
    Ok(())
}

/// Walks an invalid tree the way santhosh-tekuri/jsonschema v6 does and lists the leaf errors in
/// the order that validator would produce them.
struct Explainer<'schema> {
    document: &'schema Value,
    patterns: &'schema HashMap<String, Regex>,
}

impl Explainer<'_> {
    /// Checks `instance` against `schema`, appending leaf errors to `failures`.
    fn check(
        &self,
        schema: &Value,
        instance: &Value,
        path: &TreePath,
        failures: &mut Vec<SchemaError>,
    ) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                failures.push(SchemaError::FalseSchema { path: path.clone() });
                return;
            }
            Value::Object(schema) => schema,
            // Not a schema: the compose schema has none of these, and Go would have refused it.
            _ => return,
        };

        if let Some(types) = schema.get("type") {
            let allowed = type_names(types);
            if !allowed.iter().any(|name| has_type(instance, name)) {
                failures.push(SchemaError::Type {
                    path: path.clone(),
                    expected: human_readable_types(&allowed),
                });
                return;
            }
        }

        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.iter().any(|item| json_equal(item, instance))
        {
            failures.push(SchemaError::Enum {
                path: path.clone(),
                allowed: allowed.clone(),
            });
            return;
        }

        // Draft-07: a `$ref` replaces its siblings.
        if let Some(Value::String(reference)) = schema.get("$ref") {
            if let Some(target) = self.resolve(reference) {
                self.check(target, instance, path, failures);
            }
            return;
        }

        match instance {
            Value::Object(object) => self.check_object(schema, object, path, failures),
            Value::Array(items) => self.check_array(schema, items, path, failures),
            Value::String(text) => self.check_string(schema, text, path, failures),
            Value::Number(_) => check_number(schema, instance, path, failures),
            Value::Null | Value::Bool(_) => {}
        }

        if let Some(Value::Array(branches)) = schema.get("oneOf") {
            self.check_one_of(branches, instance, path, failures);
        }
    }

    fn check_object(
        &self,
        schema: &Map,
        object: &Map,
        path: &TreePath,
        failures: &mut Vec<SchemaError>,
    ) {
        if let Some(Value::Array(required)) = schema.get("required") {
            let missing: Vec<String> = required
                .iter()
                .filter_map(Value::as_str)
                .filter(|name| !object.contains_key(*name))
                .map(str::to_owned)
                .collect();
            if !missing.is_empty() {
                failures.push(SchemaError::Required {
                    path: path.clone(),
                    missing,
                });
            }
        }

        let properties = schema.get("properties").and_then(Value::as_object);
        let pattern_properties = schema.get("patternProperties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut unexpected = Vec::new();
        for (name, value) in object {
            let mut evaluated = false;
            let child = path.key(name);
            if let Some(property) = properties.and_then(|properties| properties.get(name)) {
                evaluated = true;
                self.check(property, value, &child, failures);
            }
            for (pattern, property) in pattern_properties.into_iter().flatten() {
                if self
                    .patterns
                    .get(pattern)
                    .is_some_and(|regex| regex.is_match(name))
                {
                    evaluated = true;
                    self.check(property, value, &child, failures);
                }
            }
            if !evaluated {
                match additional {
                    Some(Value::Bool(false)) => unexpected.push(name.clone()),
                    Some(additional @ Value::Object(_)) => {
                        self.check(additional, value, &child, failures);
                    }
                    _ => {}
                }
            }
        }
        if !unexpected.is_empty() {
            failures.push(SchemaError::AdditionalProperties {
                path: path.clone(),
                properties: unexpected,
            });
        }
    }

    fn check_array(
        &self,
        schema: &Map,
        items: &[Value],
        path: &TreePath,
        failures: &mut Vec<SchemaError>,
    ) {
        if schema.get("uniqueItems") == Some(&Value::Bool(true))
            && let Some((first, second)) = first_duplicate(items)
        {
            failures.push(SchemaError::UniqueItems {
                path: path.clone(),
                first,
                second,
            });
        }
        if let Some(item_schema @ (Value::Object(_) | Value::Bool(_))) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check(item_schema, item, &path.index(index), failures);
            }
        }
    }

    fn check_string(
        &self,
        schema: &Map,
        text: &str,
        path: &TreePath,
        failures: &mut Vec<SchemaError>,
    ) {
        if let Some(Value::String(pattern)) = schema.get("pattern")
            && let Some(regex) = self.patterns.get(pattern)
            && !regex.is_match(text)
        {
            failures.push(SchemaError::Pattern {
                path: path.clone(),
                value: text.to_owned(),
                pattern: pattern.clone(),
            });
        }
    }

    /// `oneOf`: when no branch matches, every branch's errors count; when two match, the value
    /// itself fails.
    fn check_one_of(
        &self,
        branches: &[Value],
        instance: &Value,
        path: &TreePath,
        failures: &mut Vec<SchemaError>,
    ) {
        let mut matched: Option<usize> = None;
        let mut branch_failures = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            let mut errors = Vec::new();
            self.check(branch, instance, path, &mut errors);
            if errors.is_empty() {
                if let Some(first) = matched {
                    failures.push(SchemaError::OneOfMultipleMatched {
                        path: path.clone(),
                        first,
                        second: index,
                    });
                    return;
                }
                matched = Some(index);
            } else if matched.is_none() {
                branch_failures.extend(errors);
            }
        }
        if matched.is_none() {
            failures.extend(branch_failures);
        }
    }

    /// Resolves a local reference such as `#/definitions/service`.
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            Some(self.document)
        } else {
            self.document.pointer(pointer)
        }
    }
}

fn check_number(schema: &Map, instance: &Value, path: &TreePath, failures: &mut Vec<SchemaError>) {
    let Some(number) = instance.as_f64() else {
        return;
    };
    if let Some(limit) = schema.get("minimum")
        && limit.as_f64().is_some_and(|limit| number < limit)
    {
        failures.push(SchemaError::Minimum {
            path: path.clone(),
            limit: limit.clone(),
        });
    }
    if let Some(limit) = schema.get("maximum")
        && limit.as_f64().is_some_and(|limit| number > limit)
    {
        failures.push(SchemaError::Maximum {
            path: path.clone(),
            limit: limit.clone(),
        });
    }
}

/// The names in a `type` keyword, which is a string or a list of strings.
fn type_names(types: &Value) -> Vec<&str> {
    match types {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a value has a JSON-schema type. As in santhosh-tekuri, a float without a fractional
/// part is an integer.
fn has_type(instance: &Value, name: &str) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "number" => instance.is_number(),
        "integer" => match instance {
            Value::Number(number) => {
                number.is_i64()
                    || number.is_u64()
                    || number.as_f64().is_some_and(|float| float.fract() == 0.0)
            }
            _ => false,
        },
        _ => false,
    }
}

/// compose-go's `humanReadableType`: `object` reads `mapping`; several types are sorted and read
/// `a, b or c`.
fn human_readable_types(types: &[&str]) -> String {
    let mut names: Vec<&str> = types
        .iter()
        .map(|name| if *name == "object" { "mapping" } else { name })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [single] => (*single).to_owned(),
        _ => {
            names.sort_unstable();
            let (last, rest) = names.split_last().unwrap_or((&"", &[]));
            format!("{} or {last}", rest.join(", "))
        }
    }
}

/// JSON equality as santhosh-tekuri computes it: numbers compare by value (`1` equals `1.0`).
fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            if let (Some(left), Some(right)) = (left.as_i64(), right.as_i64()) {
                left == right
            } else if let (Some(left), Some(right)) = (left.as_u64(), right.as_u64()) {
                left == right
            } else {
                left.as_f64() == right.as_f64()
            }
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|(left, right)| json_equal(left, right))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left.iter().all(|(key, value)| {
                    right.get(key).is_some_and(|other| json_equal(value, other))
                })
        }
        _ => left == right,
    }
}

/// The first pair of equal items: the smallest later index, then the smallest earlier one.
fn first_duplicate(items: &[Value]) -> Option<(usize, usize)> {
    (1..items.len()).find_map(|later| {
        (0..later)
            .find(|earlier| json_equal(&items[*earlier], &items[later]))
            .map(|earlier| (earlier, later))
    })
}

fn describe_enum(allowed: &[Value]) -> String {
    if allowed
        .iter()
        .any(|item| item.is_array() || item.is_object())
    {
        return "enum failed".to_owned();
    }
    let shown: Vec<String> = allowed.iter().map(display_primitive).collect();
    match shown.as_slice() {
        [single] => format!("value must be {single}"),
        _ => format!("value must be one of {}", shown.join(", ")),
    }
}

fn describe_missing(missing: &[String]) -> String {
    match missing {
        [single] => format!("missing property {}", quote(single)),
        _ => format!("missing properties {}", join_quoted(missing)),
    }
}

/// A primitive as santhosh-tekuri's `display` shows it: strings quoted, others as Go's `%v`.
fn display_primitive(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        Value::Null => "<nil>".to_owned(),
        other => other.to_string(),
    }
}

fn join_quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| quote(name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// santhosh-tekuri's `quote`: Go's `%q`, then `\"` unescaped, `'` escaped and single quotes
/// around.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for character in text.chars() {
        match character {
            '\'' => quoted.push_str("\\'"),
            '\\' => quoted.push_str("\\\\"),
            '\u{7}' => quoted.push_str("\\a"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{b}' => quoted.push_str("\\v"),
            control if u32::from(control) < 0x20 || control == '\u{7f}' => {
                quoted.push_str(&format!("\\x{:02x}", u32::from(control)));
            }
            control if control.is_control() => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('\'');
    quoted
}

/// A schema limit as Compose prints it (the schema's limits are integers).
struct DisplayNumber<'value>(&'value Value);

impl fmt::Display for DisplayNumber<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_f64() {
            Some(float) if float.fract() == 0.0 && self.0.is_f64() => write!(f, "{float:.0}"),
            _ => write!(f, "{}", self.0),
        }
    }
}

mod memory;
#[cfg(test)]
mod tests;
