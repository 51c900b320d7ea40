//! Go's `fmt` rendering of tree values, as compose-go applies it while merging.
//!
//! compose-go builds `k=v` entries with `fmt.Sprintf("%s=%v", …)`, builds unicity keys with `%s`
//! and `%d`, and names types with `%T` in its errors. The text it produces decides which entries
//! count as duplicates and what the user reads, so berth renders values exactly as Go would:
//! floats in `%g` shortest form (`1e+06`), `<nil>` for null, and `%!s(int=1)` for a verb applied
//! to the wrong type.

use std::fmt::Write as _;

use crate::loader::tree::{Segment, TreePath, Value};

/// A `fmt` verb compose-go applies to tree values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verb {
    /// `%v`: the value's natural form.
    Value,
    /// `%s`: strings as they are, anything else as a `%!s(type=value)` complaint.
    Str,
    /// `%d`: integers as they are, anything else as a `%!d(type=value)` complaint.
    Decimal,
}

impl Verb {
    fn letter(self) -> char {
        match self {
            Self::Value => 'v',
            Self::Str => 's',
            Self::Decimal => 'd',
        }
    }
}

pub(super) use crate::go::type_name;

/// Renders `value` as `fmt.Sprintf("%<verb>", value)` would.
pub(super) fn sprint(value: &Value, verb: Verb) -> String {
    let mut out = String::new();
    write_value(&mut out, value, verb);
    out
}

fn write_value(out: &mut String, value: &Value, verb: Verb) {
    match value {
        // Go's fmt formats the elements of slices and maps with the same verb.
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_value(out, item, verb);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // fmt prints map keys sorted.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push_str("map[");
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_value(out, &Value::String(key.clone()), verb);
                out.push(':');
                write_value(out, item, verb);
            }
            out.push(']');
        }
        Value::Null => match verb {
            Verb::Value => out.push_str("<nil>"),
            _ => {
                let _ = write!(out, "%!{}(<nil>)", verb.letter());
            }
        },
        scalar => {
            let fits = matches!(
                (verb, scalar),
                (Verb::Value, _)
                    | (Verb::Str, Value::String(_))
                    | (Verb::Decimal, Value::Number(_))
            ) && !(verb == Verb::Decimal
                && scalar.as_number().is_some_and(|n| n.is_f64()));
            if fits {
                out.push_str(&scalar_text(scalar));
            } else {
                let _ = write!(
                    out,
                    "%!{}({}={})",
                    verb.letter(),
                    type_name(scalar),
                    scalar_text(scalar)
                );
            }
        }
    }
}

/// The `%v` text of a scalar.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(integer), _, _) => integer.to_string(),
            (None, Some(integer), _) => integer.to_string(),
            (None, None, Some(float)) => go_float(float),
            (None, None, None) => number.to_string(),
        },
        Value::Null => "<nil>".to_owned(),
        Value::Array(_) | Value::Object(_) => sprint(value, Verb::Value),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that round-trip, in exponent
/// form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`).
pub(super) fn go_float(float: f64) -> String {
    if float.is_nan() {
        return "NaN".to_owned();
    }
    if float.is_infinite() {
        return if float > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if float == 0.0 {
        return if float.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits, as `1.5e-5`.
    let scientific = format!("{float:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return scientific;
    };
    if (-4..6).contains(&exponent) {
        // Plain decimal form; Rust's Display never adds a trailing `.0`.
        return format!("{float}");
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
}

/// A path as compose-go prints it: keys joined by `.`, list items as `.[index]`.
pub(super) fn go_path(path: &TreePath) -> String {
    let mut out = String::new();
    for (position, segment) in path.0.iter().enumerate() {
        if position > 0 {
            out.push('.');
        }
        match segment {
            Segment::Key(key) => out.push_str(key),
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn floats_print_like_go_percent_v() {
        // Checked against `docker compose config`: environment {C: 1.0, D: 1000000.0, E: 1e21,
        // F: 0.00001} merged into a list prints C=1, D=1e+06, E=1e+21, F=1e-05.
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1_000_000.0), "1e+06");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(123_456.0), "123456");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(1.5e-7), "1.5e-07");
        assert_eq!(go_float(1.234_567e6), "1.234567e+06");
        assert_eq!(go_float(-2.5), "-2.5");
        assert_eq!(go_float(1e100), "1e+100");
    }

    #[test]
    fn wrong_verbs_are_reported_inline_as_go_does() {
        assert_eq!(sprint(&json!(8080), Verb::Str), "%!s(int=8080)");
        assert_eq!(sprint(&json!("80"), Verb::Decimal), "%!d(string=80)");
        assert_eq!(sprint(&json!(null), Verb::Str), "%!s(<nil>)");
        assert_eq!(sprint(&json!(1.5), Verb::Decimal), "%!d(float64=1.5)");
        assert_eq!(sprint(&json!(80), Verb::Decimal), "80");
        assert_eq!(sprint(&json!("a"), Verb::Str), "a");
    }

    #[test]
    fn containers_print_like_go() {
        assert_eq!(sprint(&json!(["a", 1, null]), Verb::Value), "[a 1 <nil>]");
        assert_eq!(
            sprint(&json!({"b": 2, "a": true}), Verb::Value),
            "map[a:true b:2]"
        );
        assert_eq!(type_name(&json!([])), "[]interface {}");
        assert_eq!(type_name(&json!(1)), "int");
        assert_eq!(type_name(&json!(null)), "<nil>");
    }

    #[test]
    fn paths_print_list_items_with_a_dot() {
        let path = TreePath::keys(&["services", "a", "labels"]).index(0);
        assert_eq!(go_path(&path), "services.a.labels.[0]");
    }
}
