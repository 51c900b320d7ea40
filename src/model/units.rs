//! Scalars with units: durations, byte sizes, file modes, CPU counts and device counts.
//!
//! Each type parses what Compose accepts (`"1m30s"`, `"2d"`, `"1.5g"`, `"0440"`, `"all"`) with the
//! same rules and error messages as compose-go's `DecodeMapstructure` methods, and prints what
//! Compose prints (`Duration.String()` like `"1h0m0s"`, bytes as a decimal string, modes as octal).

use super::codec::{
    Decode, DecodeProblem, Encode, Errors, FieldPath, Mode, decode_float, float32_value, go_sprint,
    go_type,
};
use crate::loader::tree::Value;

/// A duration in nanoseconds (Go's `time.Duration`), written `"1m30s"`, `"2d"`, `"100us"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub i64);

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000 * NANOSECOND;
const MILLISECOND: u64 = 1_000 * MICROSECOND;
const SECOND: u64 = 1_000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

impl Duration {
    /// Parses a duration as `str2duration.ParseDuration` does: Go's `time.ParseDuration` plus the
    /// `d` (day) and `w` (week) units.
    ///
    /// # Errors
    /// The `DecodeProblem` Go reports (`time: unknown unit "x" in duration "10x"`, ...).
    pub fn parse(text: &str) -> Result<Self, DecodeProblem> {
        let invalid = || DecodeProblem::InvalidDuration(text.to_owned());
        let mut rest = text;
        let mut negative = false;
        if let Some(stripped) = rest.strip_prefix('-') {
            negative = true;
            rest = stripped;
        } else if let Some(stripped) = rest.strip_prefix('+') {
            rest = stripped;
        }
        if rest == "0" {
            return Ok(Self(0));
        }
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let first = rest.as_bytes()[0];
            if !(first == b'.' || first.is_ascii_digit()) {
                return Err(invalid());
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut whole: u64 = 0;
            for digit in rest[..digits].bytes() {
                whole = whole
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                    .filter(|v| *v <= 1 << 63)
                    .ok_or_else(invalid)?;
            }
            rest = &rest[digits..];
            let mut fraction: u64 = 0;
            let mut scale = 1.0_f64;
            let mut fraction_digits = 0;
            if let Some(stripped) = rest.strip_prefix('.') {
                rest = stripped;
                fraction_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let mut overflow = false;
                for digit in rest[..fraction_digits].bytes() {
                    if overflow {
                        continue;
                    }
                    match fraction
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                        .filter(|v| *v <= 1 << 63)
                    {
                        Some(value) => {
                            fraction = value;
                            scale *= 10.0;
                        }
                        None => overflow = true,
                    }
                }
                rest = &rest[fraction_digits..];
            }
            if digits == 0 && fraction_digits == 0 {
                return Err(invalid());
            }
            let unit_length = rest
                .find(|c: char| c == '.' || c.is_ascii_digit())
                .unwrap_or(rest.len());
            if unit_length == 0 {
                return Err(DecodeProblem::MissingDurationUnit(text.to_owned()));
            }
            let unit_text = &rest[..unit_length];
            rest = &rest[unit_length..];
            let unit = match unit_text {
                "ns" => NANOSECOND,
                "us" | "\u{b5}s" | "\u{3bc}s" => MICROSECOND,
                "ms" => MILLISECOND,
                "s" => SECOND,
                "m" => MINUTE,
                "h" => HOUR,
                "d" => 24 * HOUR,
                "w" => 7 * 24 * HOUR,
                _ => {
                    return Err(DecodeProblem::UnknownDurationUnit {
                        unit: unit_text.to_owned(),
                        duration: text.to_owned(),
                    });
                }
            };
            if whole > (1 << 63) / unit {
                return Err(invalid());
            }
            let mut value = whole * unit;
            if fraction > 0 {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss,
                    reason = "Go computes the fractional part in float64 the same way"
                )]
                let extra = (fraction as f64 * (unit as f64 / scale)) as u64;
                value = value.checked_add(extra).ok_or_else(invalid)?;
                if value > 1 << 63 {
                    return Err(invalid());
                }
            }
            total = total
                .checked_add(value)
                .filter(|v| *v <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        if negative {
            return Ok(Self(0_i64.wrapping_sub_unsigned(total)));
        }
        i64::try_from(total).map(Self).map_err(|_| invalid())
    }

    /// The duration as Go's `Duration.String()` prints it: `"1m30s"`, `"1h0m0s"`, `"1.5s"`,
    /// `"100µs"`, `"0s"`.
    #[must_use]
    pub fn go_string(self) -> String {
        let mut nanos = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        if nanos < SECOND {
            let (unit, precision) = match nanos {
                0 => return "0s".to_owned(),
                n if n < MICROSECOND => ("ns", 0),
                n if n < MILLISECOND => ("\u{b5}s", 3),
                _ => ("ms", 6),
            };
            let (whole, fraction) = split_fraction(nanos, precision);
            return format!("{sign}{whole}{fraction}{unit}");
        }
        let (seconds_total, fraction) = split_fraction(nanos, 9);
        nanos = seconds_total;
        let seconds = nanos % 60;
        let minutes_total = nanos / 60;
        if minutes_total == 0 {
            return format!("{sign}{seconds}{fraction}s");
        }
        let minutes = minutes_total % 60;
        let hours = minutes_total / 60;
        if hours == 0 {
            return format!("{sign}{minutes}m{seconds}{fraction}s");
        }
        format!("{sign}{hours}h{minutes}m{seconds}{fraction}s")
    }
}

/// Splits `value` into its integer part and `.fraction` (trailing zeros dropped, no dot when the
/// fraction is zero) at `precision` decimal digits, as Go's `fmtFrac` does.
fn split_fraction(value: u64, precision: u32) -> (u64, String) {
    if precision == 0 {
        return (value, String::new());
    }
    let divisor = 10_u64.pow(precision);
    let fraction = value % divisor;
    if fraction == 0 {
        return (value / divisor, String::new());
    }
    let digits = format!("{fraction:0width$}", width = precision as usize);
    (
        value / divisor,
        format!(".{}", digits.trim_end_matches('0')),
    )
}

impl Decode for Duration {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        if value.is_null() {
            return Self(0);
        }
        Self::parse(&go_sprint(value)).unwrap_or_else(|problem| {
            errors.push(path, problem);
            Self(0)
        })
    }
}

impl Encode for Duration {
    fn encode(&self, _mode: Mode) -> Value {
        Value::String(self.go_string())
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0 == 0
    }
}

/// A size in bytes (`UnitBytes`), written `512m`, `1.5g`, `64M` or a number; printed as a decimal
/// string of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitBytes(pub i64);

impl UnitBytes {
    /// Parses a size with binary units, as go-units' `RAMInBytes` does.
    ///
    /// # Errors
    /// `invalid size: '...'`, `invalid suffix: '...'` or a `strconv.ParseFloat` error.
    pub fn parse(text: &str) -> Result<Self, DecodeProblem> {
        let Some(separator) = text.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
        else {
            return Err(DecodeProblem::InvalidSize(text.to_owned()));
        };
        let (number, suffix) = if text.as_bytes()[separator] == b' ' {
            (&text[..separator], &text[separator + 1..])
        } else {
            (&text[..=separator], &text[separator + 1..])
        };
        let mut size: f64 = number
            .parse()
            .map_err(|_| DecodeProblem::ParseFloat(number.to_owned()))?;
        if size < 0.0 {
            return Err(DecodeProblem::InvalidSize(text.to_owned()));
        }
        if !suffix.is_empty() {
            let lower = suffix.to_lowercase();
            let bad = || DecodeProblem::InvalidSuffix(lower.clone());
            if lower.len() > 3 {
                return Err(bad());
            }
            let bytes = lower.as_bytes();
            if bytes[0] == b'b' {
                if bytes.len() > 1 {
                    return Err(bad());
                }
            } else {
                let multiplier: f64 = match bytes[0] {
                    b'k' => 1024.0,
                    b'm' => 1024.0 * 1024.0,
                    b'g' => 1024.0 * 1024.0 * 1024.0,
                    b't' => 1024.0 * 1024.0 * 1024.0 * 1024.0,
                    b'p' => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
                    _ => return Err(bad()),
                };
                size *= multiplier;
                if (bytes.len() == 2 && bytes[1] != b'b')
                    || (bytes.len() == 3 && &bytes[1..] != b"ib")
                {
                    return Err(bad());
                }
            }
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "Go truncates with int64(size)"
        )]
        let bytes = size as i64;
        Ok(Self(bytes))
    }
}

impl Decode for UnitBytes {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Number(number) if !number.is_f64() => Self(number.as_i64().unwrap_or(i64::MAX)),
            Value::String(text) => Self::parse(text).unwrap_or_else(|problem| {
                errors.push(path, problem);
                Self(0)
            }),
            // Compose's decoder ignores any other kind of value.
            _ => Self(0),
        }
    }
}

impl Encode for UnitBytes {
    fn encode(&self, _mode: Mode) -> Value {
        Value::String(self.0.to_string())
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0 == 0
    }
}

/// A file permission mode (`mode: 0440`); strings are octal, numbers are taken as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileMode(pub i64);

impl FileMode {
    /// The mode as Go prints it: `0` followed by its octal digits (`"0440"`).
    #[must_use]
    pub fn octal(self) -> String {
        if self.0 < 0 {
            format!("0-{:o}", self.0.unsigned_abs())
        } else {
            format!("0{:o}", self.0)
        }
    }
}

impl Decode for FileMode {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::String(text) => i64::from_str_radix(text, 8).map_or_else(
                |_| {
                    errors.push(path, DecodeProblem::ParseInt(text.clone()));
                    Self(0)
                },
                Self,
            ),
            Value::Number(number) if number.is_i64() => Self(number.as_i64().unwrap_or(0)),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "mode",
                    },
                );
                Self(0)
            }
        }
    }
}

impl Encode for FileMode {
    fn encode(&self, _mode: Mode) -> Value {
        Value::String(self.octal())
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        false
    }
}

/// A number of CPUs (`deploy.resources.*.cpus`), a Go `float32`; strings are parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NanoCpus(pub f32);

impl Decode for NanoCpus {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Number(_) | Value::String(_) => {
                #[expect(clippy::cast_possible_truncation, reason = "the Go type is a float32")]
                let cpus = decode_float(value, path, errors) as f32;
                Self(cpus)
            }
            Value::Null => Self(0.0),
            other => {
                errors.push(
                    path,
                    DecodeProblem::UnexpectedValueType {
                        go_type: go_type(other),
                        target: "cpus",
                    },
                );
                Self(0.0)
            }
        }
    }
}

impl Encode for NanoCpus {
    fn encode(&self, _mode: Mode) -> Value {
        float32_value(self.0)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0 == 0.0
    }
}

/// How many devices a request wants; `all` is `-1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeviceCount(pub i64);

impl Decode for DeviceCount {
    fn decode(value: &Value, path: &FieldPath<'_>, errors: &mut Errors) -> Self {
        match value {
            Value::Number(number) if number.is_i64() => Self(number.as_i64().unwrap_or(0)),
            Value::String(text) if text.eq_ignore_ascii_case("all") => Self(-1),
            Value::String(text) => text.parse().map_or_else(
                |_| {
                    errors.push(path, DecodeProblem::DeviceCount(text.clone()));
                    Self(0)
                },
                Self,
            ),
            Value::Null => Self(0),
            other => {
                errors.push(
                    path,
                    DecodeProblem::InvalidType {
                        go_type: go_type(other),
                        target: "device count",
                    },
                );
                Self(0)
            }
        }
    }
}

impl Encode for DeviceCount {
    fn encode(&self, _mode: Mode) -> Value {
        Value::from(self.0)
    }
    fn is_empty(&self, _mode: Mode) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_prints_like_go() {
        let cases = [
            ("90s", "1m30s"),
            ("1h", "1h0m0s"),
            ("1.5s", "1.5s"),
            ("100us", "100\u{b5}s"),
            ("2d", "48h0m0s"),
            ("1w", "168h0m0s"),
            ("1500ms", "1.5s"),
            ("0s", "0s"),
            ("0", "0s"),
            ("1h2m3.004005006s", "1h2m3.004005006s"),
            ("-1m", "-1m0s"),
            ("12ns", "12ns"),
            ("1.2ms", "1.2ms"),
        ];
        for (input, printed) in cases {
            assert_eq!(
                Duration::parse(input).map(Duration::go_string),
                Ok(printed.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn duration_errors_match_go() {
        assert_eq!(
            Duration::parse("10x").map_err(|e| e.to_string()),
            Err("time: unknown unit \"x\" in duration \"10x\"".to_owned())
        );
        assert_eq!(
            Duration::parse("10").map_err(|e| e.to_string()),
            Err("time: missing unit in duration \"10\"".to_owned())
        );
        assert_eq!(
            Duration::parse("abc").map_err(|e| e.to_string()),
            Err("time: invalid duration \"abc\"".to_owned())
        );
    }

    #[test]
    fn byte_sizes_use_binary_units() {
        assert_eq!(UnitBytes::parse("512m"), Ok(UnitBytes(536_870_912)));
        assert_eq!(UnitBytes::parse("1.5g"), Ok(UnitBytes(1_610_612_736)));
        assert_eq!(UnitBytes::parse("0.5g"), Ok(UnitBytes(536_870_912)));
        assert_eq!(UnitBytes::parse("64M"), Ok(UnitBytes(67_108_864)));
        assert_eq!(UnitBytes::parse("12mb"), Ok(UnitBytes(12_582_912)));
        assert_eq!(UnitBytes::parse("1KiB"), Ok(UnitBytes(1024)));
        assert_eq!(UnitBytes::parse("100 b"), Ok(UnitBytes(100)));
        assert_eq!(
            UnitBytes::parse("12zb").map_err(|e| e.to_string()),
            Err("invalid suffix: 'zb'".to_owned())
        );
        assert_eq!(
            UnitBytes::parse("m").map_err(|e| e.to_string()),
            Err("invalid size: 'm'".to_owned())
        );
    }

    #[test]
    fn file_mode_prints_octal() {
        assert_eq!(FileMode(288).octal(), "0440");
        assert_eq!(FileMode(0o755).octal(), "0755");
        assert_eq!(FileMode(0).octal(), "00");
    }
}
