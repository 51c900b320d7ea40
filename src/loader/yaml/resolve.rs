//! go-yaml v3's scalar resolution (`resolve.go`), so that a plain scalar means in berth exactly
//! what it means in Compose: `0440` is 288, `yes` is a string, `2001-12-14` is a timestamp.
//!
//! Only the parts Compose can observe are reproduced: which type a scalar decodes to and its value.

/// The short tags go-yaml knows (`resolve.go`).
pub(super) const NULL_TAG: &str = "!!null";
pub(super) const BOOL_TAG: &str = "!!bool";
pub(super) const STR_TAG: &str = "!!str";
pub(super) const INT_TAG: &str = "!!int";
pub(super) const FLOAT_TAG: &str = "!!float";
pub(super) const TIMESTAMP_TAG: &str = "!!timestamp";
pub(super) const BINARY_TAG: &str = "!!binary";
pub(super) const MERGE_TAG: &str = "!!merge";

/// The long form of the `!!` tag handle.
const LONG_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A scalar as go-yaml decodes it into an `interface{}`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Scalar {
    /// `nil`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64 bits on every platform Compose ships for).
    Int(i64),
    /// `uint64`, for integers above `i64::MAX`.
    Uint(u64),
    /// `float64`, possibly infinite or NaN.
    Float(f64),
    /// `string`.
    Str(String),
    /// `time.Time`, kept as its text.
    Timestamp(Timestamp),
}

/// A scalar whose tag does not allow its text (`!!int x`): go-yaml's
/// ``cannot decode !!str `x` as a !!int``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TagMismatch {
    /// The tag the text resolves to.
    pub(super) resolved_tag: &'static str,
    /// The tag that was asked for.
    pub(super) tag: String,
}

/// go-yaml's `shortTag`: `tag:yaml.org,2002:int` becomes `!!int`.
pub(super) fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(LONG_TAG_PREFIX) {
        Some(suffix) => format!("!!{suffix}"),
        None => tag.to_owned(),
    }
}

/// Resolves the text of a scalar under `tag` ("" for an untagged plain scalar), as go-yaml's
/// `resolve` does, including its failure when an explicit tag does not fit the text.
pub(super) fn resolve(tag: &str, text: &str) -> Result<Scalar, TagMismatch> {
    let resolvable = matches!(
        tag,
        "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG
    );
    if !resolvable {
        // Custom tags (`!override`, `!reset`, `!!binary`, ...) keep the text as a string.
        return Ok(Scalar::Str(text.to_owned()));
    }
    let (resolved_tag, value) = resolve_plain(tag, text);
    if tag.is_empty() || tag == resolved_tag || tag == STR_TAG {
        return Ok(value);
    }
    if tag == FLOAT_TAG
        && let Scalar::Int(int) = value
    {
        // go-yaml turns an int written under `!!float` into a float (an uint64 is refused).
        #[expect(clippy::cast_precision_loss, reason = "Go's float64(int) conversion")]
        return Ok(Scalar::Float(int as f64));
    }
    Err(TagMismatch {
        resolved_tag,
        tag: tag.to_owned(),
    })
}

/// The body of go-yaml's `resolve`: the tag and value a text resolves to.
fn resolve_plain(tag: &str, text: &str) -> (&'static str, Scalar) {
    let string = || (STR_TAG, Scalar::Str(text.to_owned()));
    if tag == STR_TAG {
        return string();
    }
    // go-yaml only looks further when the first byte hints at a non-string.
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return string(),
    };
    match text {
        "true" | "True" | "TRUE" => return (BOOL_TAG, Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return (BOOL_TAG, Scalar::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => return (NULL_TAG, Scalar::Null),
        ".nan" | ".NaN" | ".NAN" => return (FLOAT_TAG, Scalar::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (FLOAT_TAG, Scalar::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return (FLOAT_TAG, Scalar::Float(f64::NEG_INFINITY)),
        "<<" => return (MERGE_TAG, Scalar::Str(text.to_owned())),
        _ => {}
    }
    match hint {
        b'.' => {
            if let Some(float) = parse_go_float(text) {
                return (FLOAT_TAG, Scalar::Float(float));
            }
        }
        b'D' | b'S' => {
            if (tag.is_empty() || tag == TIMESTAMP_TAG)
                && let Some(timestamp) = Timestamp::parse(text)
            {
                return (TIMESTAMP_TAG, Scalar::Timestamp(timestamp));
            }
            let plain = text.replace('_', "");
            if let Some(resolved) = resolve_number(&plain) {
                return resolved;
            }
        }
        _ => {}
    }
    string()
}

/// The numeric branch of go-yaml's `resolve`, on the text with underscores removed.
fn resolve_number(plain: &str) -> Option<(&'static str, Scalar)> {
    if let Ok(int) = parse_go_int(plain, 0) {
        return Some((INT_TAG, Scalar::Int(int)));
    }
    if let Ok(uint) = parse_go_uint(plain, 0) {
        return Some((INT_TAG, Scalar::Uint(uint)));
    }
    if is_yaml_style_float(plain)
        && let Some(float) = parse_go_float(plain)
    {
        return Some((FLOAT_TAG, Scalar::Float(float)));
    }
    // go-yaml's own fallbacks for the binary and YAML 1.2 octal prefixes. Go's ParseInt already
    // handles these prefixes; what is left are oddities such as `0b+101`, which go-yaml accepts.
    for (prefix, base) in [("0b", 2), ("0o", 8)] {
        if let Some(digits) = plain.strip_prefix(prefix) {
            if let Ok(int) = parse_go_int(digits, base) {
                return Some((INT_TAG, Scalar::Int(int)));
            }
            if let Ok(uint) = parse_go_uint(digits, base) {
                return Some((INT_TAG, Scalar::Uint(uint)));
            }
        } else if let Some(digits) = plain.strip_prefix(&format!("-{prefix}"))
            && let Ok(int) = parse_go_int(&format!("-{digits}"), base)
        {
            return Some((INT_TAG, Scalar::Int(int)));
        }
    }
    None
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    let digits_from = |mut index: usize| {
        while bytes.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
        index
    };
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    if bytes.get(index) == Some(&b'.') {
        let end = digits_from(index + 1);
        if end == index + 1 {
            return false;
        }
        index = end;
    } else {
        let end = digits_from(index);
        if end == index {
            return false;
        }
        index = end;
        if bytes.get(index) == Some(&b'.') {
            index = digits_from(index + 1);
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        let end = digits_from(index);
        if end == index {
            return false;
        }
        index = end;
    }
    index == bytes.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: out-of-range values are refused.
fn parse_go_float(text: &str) -> Option<f64> {
    // Rust also reads `inf`, `nan` and `infinity`, which never reach here (they are not in
    // go-yaml's float shapes), and Go refuses underscores in decimal floats as Rust does.
    let float: f64 = text.parse().ok()?;
    float.is_finite().then_some(float)
}

/// Why Go's `strconv.ParseInt`/`ParseUint` refused a text.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum IntError {
    /// `strconv.ErrSyntax`.
    Syntax,
    /// `strconv.ErrRange`.
    Range,
}

/// Go's `strconv.ParseUint(s, base, 64)` without underscores (go-yaml removes them first).
pub(super) fn parse_go_uint(text: &str, base: u32) -> Result<u64, IntError> {
    if text.is_empty() {
        return Err(IntError::Syntax);
    }
    let (base, digits) = if base == 0 {
        let bytes = text.as_bytes();
        if bytes[0] == b'0' {
            match bytes.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if text.len() >= 3 => (2, &text[2..]),
                Some(b'o') if text.len() >= 3 => (8, &text[2..]),
                Some(b'x') if text.len() >= 3 => (16, &text[2..]),
                _ => (8, &text[1..]),
            }
        } else {
            (10, text)
        }
    } else {
        (base, text)
    };
    let mut value: u64 = 0;
    let mut overflow = false;
    for character in digits.chars() {
        let digit = character.to_digit(base).ok_or(IntError::Syntax)?;
        match value
            .checked_mul(u64::from(base))
            .and_then(|shifted| shifted.checked_add(u64::from(digit)))
        {
            Some(next) => value = next,
            None => overflow = true,
        }
    }
    if overflow {
        Err(IntError::Range)
    } else {
        Ok(value)
    }
}

/// Go's `strconv.ParseInt(s, base, 64)` without underscores.
pub(super) fn parse_go_int(text: &str, base: u32) -> Result<i64, IntError> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = parse_go_uint(unsigned, base)?;
    if negative {
        if magnitude > 1 << 63 {
            return Err(IntError::Range);
        }
        Ok(0_i64.wrapping_sub_unsigned(magnitude))
    } else {
        i64::try_from(magnitude).map_err(|_| IntError::Range)
    }
}

/// A `time.Time` go-yaml recognised, with the fields Go prints in its `%#v` form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Timestamp {
    /// The text as written.
    pub(super) text: String,
    pub(super) year: u32,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
    pub(super) nanosecond: u32,
    /// Seconds east of UTC; `None` when the text names no zone (or `Z`): the time is UTC.
    pub(super) offset: Option<i32>,
}

impl Timestamp {
    /// go-yaml's `parseTimestamp`: the four `time.Parse` layouts it tries, in order.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let year_digits = bytes
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if year_digits != 4 || bytes.get(4) != Some(&b'-') {
            return None;
        }
        // "2006-1-2T15:4:5.999999999Z07:00", the same with `t`, "2006-1-2 15:4:5.999999999",
        // then "2006-1-2".
        for separator in [
            Separator::Byte(b'T'),
            Separator::Byte(b't'),
            Separator::Spaces,
        ] {
            if let Some(timestamp) = Self::parse_layout(text, Some(separator)) {
                return Some(timestamp);
            }
        }
        Self::parse_layout(text, None)
    }

    fn parse_layout(text: &str, separator: Option<Separator>) -> Option<Self> {
        let mut cursor = Cursor(text.as_bytes());
        let year = cursor.fixed_number(4)?;
        cursor.literal(b'-')?;
        let month = cursor.short_number()?;
        cursor.literal(b'-')?;
        let day = cursor.short_number()?;
        let mut timestamp = Self {
            text: text.to_owned(),
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanosecond: 0,
            offset: None,
        };
        if let Some(separator) = separator {
            match separator {
                Separator::Byte(byte) => cursor.literal(byte)?,
                Separator::Spaces => {
                    if cursor.0.first() != Some(&b' ') {
                        return None;
                    }
                    while cursor.0.first() == Some(&b' ') {
                        cursor.0 = &cursor.0[1..];
                    }
                }
            }
            timestamp.hour = cursor.short_number()?;
            cursor.literal(b':')?;
            timestamp.minute = cursor.short_number()?;
            cursor.literal(b':')?;
            timestamp.second = cursor.short_number()?;
            if timestamp.hour > 23 || timestamp.minute > 59 || timestamp.second > 59 {
                return None;
            }
            timestamp.nanosecond = cursor.fraction();
            if matches!(separator, Separator::Byte(_)) {
                timestamp.offset = cursor.zone()?;
            }
        }
        if !cursor.0.is_empty() || !(1..=12).contains(&month) {
            return None;
        }
        if day < 1 || day > days_in_month(month, year) {
            return None;
        }
        Some(timestamp)
    }
}

#[derive(Clone, Copy)]
enum Separator {
    Byte(u8),
    Spaces,
}

/// The unread rest of a text being matched against a Go time layout.
struct Cursor<'text>(&'text [u8]);

impl Cursor<'_> {
    fn literal(&mut self, byte: u8) -> Option<()> {
        let (first, rest) = self.0.split_first()?;
        (*first == byte).then(|| self.0 = rest)
    }

    fn fixed_number(&mut self, width: usize) -> Option<u32> {
        let digits = self.0.get(..width)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = &self.0[width..];
        Some(
            digits
                .iter()
                .fold(0, |value, digit| value * 10 + u32::from(digit - b'0')),
        )
    }

    /// Go's `getnum(value, false)`: one or two digits.
    fn short_number(&mut self) -> Option<u32> {
        let width = self
            .0
            .iter()
            .take(2)
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if width == 0 {
            return None;
        }
        self.fixed_number(width)
    }

    /// An optional `.digits` (or `,digits`) fraction, in nanoseconds (Go keeps nine digits).
    fn fraction(&mut self) -> u32 {
        if self.0.len() < 2 || !matches!(self.0[0], b'.' | b',') || !self.0[1].is_ascii_digit() {
            return 0;
        }
        let digits = self.0[1..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let mut nanoseconds = 0;
        for position in 0..9 {
            let digit = if position < digits {
                u32::from(self.0[1 + position] - b'0')
            } else {
                0
            };
            nanoseconds = nanoseconds * 10 + digit;
        }
        self.0 = &self.0[1 + digits..];
        nanoseconds
    }

    /// Go's `Z07:00`: `Z`, or a sign, two digits, `:` and two digits.
    fn zone(&mut self) -> Option<Option<i32>> {
        if self.0.first() == Some(&b'Z') {
            self.0 = &self.0[1..];
            return Some(None);
        }
        let zone = self.0.get(..6)?;
        let digit_pairs = [&zone[1..3], &zone[4..6]];
        if zone[3] != b':'
            || !digit_pairs
                .iter()
                .all(|pair| pair.iter().all(u8::is_ascii_digit))
        {
            return None;
        }
        let [hours, minutes] =
            digit_pairs.map(|pair| i32::from(pair[0] - b'0') * 10 + i32::from(pair[1] - b'0'));
        if hours > 24 || minutes > 60 {
            return None;
        }
        let offset = (hours * 60 + minutes) * 60;
        let offset = match zone[0] {
            b'+' => offset,
            b'-' => -offset,
            _ => return None,
        };
        self.0 = &self.0[6..];
        Some(Some(offset))
    }
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `base64.StdEncoding.DecodeString`, used for `!!binary` scalars (line breaks ignored).
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|byte| !matches!(byte, b'\r' | b'\n'))
        .collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let value_of = |byte: u8| match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut bytes = Vec::with_capacity(symbols.len() / 4 * 3);
    let groups = symbols.len() / 4;
    for (index, group) in symbols.chunks(4).enumerate() {
        let padding = group.iter().rev().take_while(|byte| **byte == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != groups) {
            return None;
        }
        let mut bits: u32 = 0;
        for byte in &group[..4 - padding] {
            bits = bits << 6 | u32::from(value_of(*byte)?);
        }
        bits <<= 6 * padding;
        let [_, first, second, third] = bits.to_be_bytes();
        bytes.extend_from_slice(&[first, second, third][..3 - padding]);
    }
    Some(bytes)
}
