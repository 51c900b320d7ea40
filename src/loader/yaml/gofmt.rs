//! Go's `fmt` renderings that appear in Compose's YAML error messages (`%#v` of a map key,
//! `strconv.Quote`), so berth's messages are byte-for-byte Compose's.

use std::fmt::Write as _;

use super::resolve::{Scalar, Timestamp};
use crate::loader::tree::Value;

pub(super) use crate::go::quote;

/// Go's `%v` of a `float64` (`strconv.FormatFloat(f, 'g', -1, 64)`): `1`, `1000`, `1e+06`,
/// `1.5e-07`, `+Inf`, `NaN`.
#[must_use]
pub fn format_float(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, as Go's shortest formatting does.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut formatted = String::from(sign);
    // Go switches to the exponent form below 1e-4 and from 1e+06 (its shortest `%g` precision).
    if !(-4..6).contains(&exponent) {
        formatted.push_str(&digits[..1]);
        if digits.len() > 1 {
            formatted.push('.');
            formatted.push_str(&digits[1..]);
        }
        let _ = write!(
            formatted,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    } else if exponent < 0 {
        formatted.push_str("0.");
        for _ in 0..(-exponent - 1) {
            formatted.push('0');
        }
        formatted.push_str(&digits);
    } else {
        let integer_digits = usize::try_from(exponent).unwrap_or(0) + 1;
        if digits.len() <= integer_digits {
            formatted.push_str(&digits);
            for _ in digits.len()..integer_digits {
                formatted.push('0');
            }
        } else {
            formatted.push_str(&digits[..integer_digits]);
            formatted.push('.');
            formatted.push_str(&digits[integer_digits..]);
        }
    }
    formatted
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Go's `time.Time.GoString`, as `%#v` prints a timestamp key.
fn timestamp_go_string(timestamp: &Timestamp) -> String {
    let month = usize::try_from(timestamp.month)
        .ok()
        .and_then(|month| MONTHS.get(month.wrapping_sub(1)))
        .copied()
        .unwrap_or("January");
    // go-yaml parses with `time.Parse`: no zone or `Z` gives UTC; an offset equal to the local
    // zone's (UTC where Compose runs in a container) gives Local, any other a nameless zone.
    let location = match timestamp.offset {
        None => "time.UTC",
        Some(0) => "time.Local",
        Some(_) => "time.Location(\"\")",
    };
    format!(
        "time.Date({}, time.{month}, {}, {}, {}, {}, {}, {location})",
        timestamp.year,
        timestamp.day,
        timestamp.hour,
        timestamp.minute,
        timestamp.second,
        timestamp.nanosecond
    )
}

/// Go's `%#v` of a decoded scalar held in an `interface{}`.
pub(super) fn scalar_go_syntax(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Null => "<nil>".to_owned(),
        Scalar::Bool(boolean) => boolean.to_string(),
        Scalar::Int(int) => int.to_string(),
        Scalar::Uint(uint) => format!("{uint:#x}"),
        Scalar::Float(float) => format_float(*float),
        Scalar::Str(text) => quote(text),
        Scalar::Timestamp(timestamp) => timestamp_go_string(timestamp),
    }
}

/// Go's `%#v` of a decoded sequence or mapping used as a key (`[]interface {}{"a", "b"}`,
/// `map[string]interface {}{"a":1}`), inside go-yaml's `invalid map key` message.
pub(super) fn value_go_syntax(value: &Value) -> String {
    fn element(value: &Value, out: &mut String) {
        match value {
            Value::Null => out.push_str("interface {}(nil)"),
            Value::Bool(boolean) => {
                let _ = write!(out, "{boolean}");
            }
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    let _ = write!(out, "{int}");
                } else if let Some(uint) = number.as_u64() {
                    let _ = write!(out, "{uint:#x}");
                } else {
                    out.push_str(&format_float(number.as_f64().unwrap_or(f64::NAN)));
                }
            }
            Value::String(text) => out.push_str(&quote(text)),
            Value::Array(items) => {
                out.push_str("[]interface {}{");
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    element(item, out);
                }
                out.push('}');
            }
            Value::Object(map) => {
                out.push_str("map[string]interface {}{");
                // Go prints map entries sorted by key.
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|left, right| left.0.cmp(right.0));
                for (index, (key, item)) in entries.into_iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&quote(key));
                    out.push(':');
                    element(item, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    element(value, &mut out);
    out
}
