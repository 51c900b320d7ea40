//! Environment files: the dotenv grammar of `.env`, `--env-file` and `env_file`, and the `raw`
//! format.
//!
//! Compose reads these files with compose-go v2.9.1's own dotenv parser (`dotenv/parser.go`), whose
//! values go through the same template engine as the compose file ([`super::interpolate`]). A
//! service `env_file` with `format: raw` is instead read by docker/cli's `kvfile` reader (v28.5.1),
//! which keeps every value verbatim. Both are reproduced here with Compose's exact messages,
//! including the quirks users run into: `a#b` keeps its `#`, a bare key at the very end of a file
//! becomes the value of an empty key, and line numbers in errors count the lines a quoted value
//! scanned past.

use std::io;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use thiserror::Error;

use super::interpolate::{TemplateError, go_quote, substitute};

/// Why an environment file could not be read.
#[derive(Debug, Error)]
pub enum DotenvError {
    /// A key holds a character other than letters, digits and `_ . - [ ]`.
    #[error(
        "line {line}: unexpected character {} in variable name {}",
        go_quote(character),
        go_quote(text)
    )]
    UnexpectedCharacter {
        /// The 1-based line, counted as Compose counts it.
        line: usize,
        /// The offending character.
        character: String,
        /// The rest of the line, from the key on.
        text: String,
    },
    /// A key with a space inside (`A B=1`).
    #[error("line {line}: key cannot contain a space")]
    KeyWithSpace {
        /// The 1-based line, counted as Compose counts it.
        line: usize,
    },
    /// A quoted value without its closing quote.
    #[error("line {line}: unterminated quoted value {text}")]
    UnterminatedQuote {
        /// The line Compose reports: the one where the file ended.
        line: usize,
        /// The value from its opening quote to the end of that line.
        text: String,
    },
    /// An `export` with nothing after it at the end of the file.
    #[error("zero length string")]
    ZeroLengthString,
    /// A value's `${…}` failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `format: raw`: a line starting with `=`.
    #[error("no variable name on line '{line}'")]
    RawNoVariableName {
        /// The line, leading whitespace removed.
        line: String,
    },
    /// `format: raw`: a key with a space or tab.
    #[error("variable '{key}' contains whitespaces")]
    RawKeyWithWhitespace {
        /// The key as written.
        key: String,
    },
    /// `format: raw`: a line that is not UTF-8.
    #[error("invalid utf8 bytes at line {line}: {}", go_bytes(bytes))]
    RawInvalidUtf8 {
        /// The 1-based line.
        line: usize,
        /// The line's bytes.
        bytes: Vec<u8>,
    },
    /// `format: raw`: a line longer than Go's scanner accepts (64 KiB).
    #[error("bufio.Scanner: token too long")]
    RawLineTooLong,
    /// A dotenv file failed to parse; Compose names the file.
    #[error("failed to read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong in it.
        source: Box<DotenvError>,
    },
    /// A `format: raw` file failed to parse; Compose names the file.
    #[error("failed to parse env_file {}: {source}", path.display())]
    RawFile {
        /// The file.
        path: PathBuf,
        /// What went wrong in it.
        source: Box<DotenvError>,
    },
    /// The file could not be opened or read.
    #[error("open {}: {}", path.display(), go_io_message(source))]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Go prints a byte slice as `[88 61 255]`.
fn go_bytes(bytes: &[u8]) -> String {
    let items: Vec<String> = bytes.iter().map(u8::to_string).collect();
    format!("[{}]", items.join(" "))
}

/// The text Go's `os.Open` error uses for common failures.
fn go_io_message(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    }
}

/// Parses dotenv text. `lookup` answers for variables not defined earlier in the text (the OS env and
/// earlier env files); a bare `KEY` line inherits from earlier keys or `lookup` and is omitted if unset.
///
/// As in Compose, `lookup` is asked first and the keys already parsed second, both for `${…}` in
/// values and for bare keys. Warnings for unset variables go to `warnings`.
pub fn parse_dotenv(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = IndexMap::new();
    parse_dotenv_into(text, lookup, &mut out, warnings)?;
    Ok(out)
}

/// Parses dotenv text into `out`, which may already hold entries, exactly as compose-go shares one
/// map between the files it reads: values of `${…}` come from `lookup` first, then from `out`
/// (entries from earlier files and earlier lines alike); later entries replace earlier ones.
///
/// Use this with `out` holding the earlier files' entries and `lookup` only the OS environment to
/// reproduce `.env`/`--env-file` loading exactly.
pub fn parse_dotenv_into(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut IndexMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<(), DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Parser { line: 1 }.parse(text, lookup, out, warnings)
}

/// Reads and parses a dotenv file; errors name the file.
pub fn read_dotenv_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = IndexMap::new();
    read_dotenv_file_into(path, lookup, &mut out, warnings)?;
    Ok(out)
}

/// Reads and parses a dotenv file into `out`, see [`parse_dotenv_into`]; errors name the file.
pub fn read_dotenv_file_into(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut IndexMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<(), DotenvError> {
    let bytes = read_file(path)?;
    // Go keeps invalid UTF-8 in strings and JSON output turns each bad byte into U+FFFD.
    let text = String::from_utf8_lossy(&bytes);
    parse_dotenv_into(&text, lookup, out, warnings).map_err(|source| DotenvError::File {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// `env_file` with `format: raw`: values verbatim, quotes included.
///
/// A bare `KEY` line takes its value from `lookup` and is omitted if unset.
pub fn parse_raw_env_file(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    parse_raw_bytes(text.as_bytes(), lookup)
}

/// Reads an `env_file` with `format: raw`, see [`parse_raw_env_file`]; errors name the file.
pub fn read_raw_env_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let bytes = read_file(path)?;
    parse_raw_bytes(&bytes, lookup).map_err(|source| DotenvError::RawFile {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, DotenvError> {
    std::fs::read(path).map_err(|source| DotenvError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Go's `bufio.MaxScanTokenSize`: the kvfile reader cannot hold a longer line.
const MAX_RAW_LINE: usize = 64 * 1024;

/// docker/cli `kvfile.parseKeyValueFile` as vendored by Compose v2.40.3.
fn parse_raw_bytes(
    bytes: &[u8],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = IndexMap::new();
    let mut lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    // Like Go's line scanner: a final newline does not start another line.
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    for (index, raw) in lines.into_iter().enumerate() {
        let number = index + 1;
        if raw.len() >= MAX_RAW_LINE {
            return Err(DotenvError::RawLineTooLong);
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            return Err(DotenvError::RawInvalidUtf8 {
                line: number,
                bytes: raw.to_vec(),
            });
        };
        let line = if number == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (line, None),
        };
        if key.is_empty() {
            return Err(DotenvError::RawNoVariableName {
                line: line.to_owned(),
            });
        }
        if key.contains([' ', '\t']) {
            return Err(DotenvError::RawKeyWithWhitespace {
                key: key.to_owned(),
            });
        }
        match value {
            Some(value) => {
                out.insert(key.to_owned(), value.to_owned());
            }
            None => {
                if let Some(value) = lookup(key) {
                    out.insert(key.to_owned(), value);
                }
            }
        }
    }
    Ok(out)
}

/// compose-go's space test for keys and values: blanks, but not a line break.
fn is_blank(character: char) -> bool {
    matches!(
        character,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// The statement-by-statement dotenv parser. Its line counter advances exactly where compose-go's
/// does, so error messages carry the same (sometimes surprising) line numbers.
struct Parser {
    line: usize,
}

impl Parser {
    fn parse(
        &mut self,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
        out: &mut IndexMap<String, String>,
        warnings: &mut Vec<String>,
    ) -> Result<(), DotenvError> {
        let mut rest = text;
        loop {
            rest = self.statement_start(rest);
            if rest.is_empty() {
                return Ok(());
            }
            let (key, after_key, inherited) = self.key_name(rest)?;
            if key.contains(' ') {
                return Err(DotenvError::KeyWithSpace { line: self.line });
            }
            if inherited {
                if let Some(value) = lookup(key) {
                    out.insert(key.to_owned(), value);
                }
                rest = after_key;
                continue;
            }
            let (value, after_value) = self.value(after_key, lookup, out, warnings)?;
            out.insert(key.to_owned(), value);
            rest = after_value;
        }
    }

    /// Skips blank space and comment lines, counting line breaks.
    fn statement_start<'t>(&mut self, mut text: &'t str) -> &'t str {
        loop {
            let Some(start) = text.char_indices().find_map(|(index, character)| {
                if character == '\n' {
                    self.line += 1;
                }
                (!character.is_whitespace()).then_some(index)
            }) else {
                return "";
            };
            text = &text[start..];
            if !text.starts_with('#') {
                return text;
            }
            // The line break itself is counted by the next round.
            match text.find('\n') {
                Some(end) => text = &text[end..],
                None => return "",
            }
        }
    }

    /// Reads a key up to `=`, `:` or a line break (a bare key). Returns the key, the text after
    /// the separator with leading blanks removed, and whether the key is bare.
    fn key_name<'t>(&mut self, text: &'t str) -> Result<(&'t str, &'t str, bool), DotenvError> {
        let text = strip_export(text);
        let mut key = "";
        let mut offset = 0;
        let mut inherited = false;
        for (index, character) in text.char_indices() {
            if is_blank(character) {
                continue;
            }
            match character {
                '=' | ':' | '\n' => {
                    key = &text[..index];
                    offset = index + 1;
                    inherited = character == '\n';
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphabetic() || c.is_numeric() => {}
                c => {
                    return Err(DotenvError::UnexpectedCharacter {
                        line: self.line,
                        character: c.to_string(),
                        text: text.split('\n').next().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
        if text.is_empty() {
            return Err(DotenvError::ZeroLengthString);
        }
        // compose-go skips this count when the untrimmed key holds a space (`KEY \n`).
        if inherited && !key.contains(' ') {
            self.line += 1;
        }
        // Without a separator (a bare key on the file's last line) the key is empty and the whole
        // line becomes its value, as in Compose.
        let key = key.trim_end();
        let rest = text[offset..].trim_start_matches(is_blank);
        Ok((key, rest, inherited))
    }

    /// Reads a value: unquoted to the end of the line, or quoted (possibly over several lines).
    fn value<'t>(
        &mut self,
        text: &'t str,
        lookup: &dyn Fn(&str) -> Option<String>,
        out: &IndexMap<String, String>,
        warnings: &mut Vec<String>,
    ) -> Result<(String, &'t str), DotenvError> {
        let quote = match text.as_bytes().first() {
            Some(&quote @ (b'"' | b'\'')) => quote,
            _ => {
                let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
                self.line += 1;
                // ` #` starts a comment, so `a#b` keeps its `#`.
                let value = line.split(" #").next().unwrap_or_default().trim_end();
                return Ok((expand(value, lookup, out, warnings)?, rest));
            }
        };
        let bytes = text.as_bytes();
        let mut value = Vec::new();
        let mut escaped = false;
        for (index, &byte) in bytes.iter().enumerate().skip(1) {
            if byte == b'\n' {
                self.line += 1;
            }
            if byte != quote {
                if !escaped && byte == b'\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    value.push(b'\\');
                }
                value.push(byte);
                continue;
            }
            if escaped {
                // `\"` in double quotes, `\'` in single quotes: the quote itself.
                escaped = false;
                value.push(byte);
                continue;
            }
            // Only ASCII bytes were dropped, so the value is still UTF-8.
            let value = String::from_utf8_lossy(&value).into_owned();
            let value = if quote == b'"' {
                expand(&expand_escapes(&value), lookup, out, warnings)?
            } else {
                value
            };
            return Ok((value, &text[index + 1..]));
        }
        let shown = text.split('\n').next().unwrap_or_default();
        Err(DotenvError::UnterminatedQuote {
            line: self.line,
            text: shown.to_owned(),
        })
    }
}

/// Removes a leading `export` followed by whitespace (Go's `^export\s+`), then the blanks after it.
fn strip_export(text: &str) -> &str {
    match text.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t', '\n', '\r', '\u{c}']) => {
            rest.trim_start_matches(is_blank)
        }
        _ => text,
    }
}

/// Substitutes `${…}` in a value: `lookup` first, then the entries parsed so far.
fn expand(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &IndexMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<String, DotenvError> {
    if !value.contains('$') {
        return Ok(value.to_owned());
    }
    let resolve = |name: &str| lookup(name).or_else(|| out.get(name).cloned());
    Ok(substitute(value, &resolve, warnings)?)
}

/// Expands the escapes of a double-quoted value: `\a \b \f \n \r \t \v \" \\`, octal `\0nnn`, and
/// `\$`, which becomes `$$` so that interpolation leaves a literal `$`. Anything else is kept.
fn expand_escapes(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(position) = rest.find('\\') {
        out.push_str(&rest[..position]);
        let after = &rest[position + 1..];
        let Some(next) = after.chars().next() else {
            out.push('\\');
            rest = after;
            break;
        };
        let simple = match next {
            'a' => Some("\u{7}"),
            'b' => Some("\u{8}"),
            'f' => Some("\u{c}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{b}"),
            '"' => Some("\""),
            '\\' => Some("\\"),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(replacement) = simple {
            out.push_str(replacement);
            rest = &after[1..];
            continue;
        }
        if next == '0' {
            let digits_len = after[1..]
                .bytes()
                .take(3)
                .take_while(u8::is_ascii_digit)
                .count();
            let digits = &after[1..1 + digits_len];
            out.push_str(&octal_escape(digits));
            rest = &after[1 + digits_len..];
            continue;
        }
        // Unknown escapes (and `\c`, which Go's unquoting rejects) stay as written.
        out.push('\\');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `\0` plus up to three digits. compose-go rewrites it to `\ddd` and unquotes that as Go would
/// (exactly three octal digits, at most 0o377, giving that code point); when Go refuses, the
/// rewritten text (without the `0`) is what stays.
fn octal_escape(digits: &str) -> String {
    let octal = digits.len() == 3 && digits.bytes().all(|digit| (b'0'..=b'7').contains(&digit));
    if octal
        && let Some(character) = u32::from_str_radix(digits, 8)
            .ok()
            .filter(|&code| code <= 0o377)
            .and_then(char::from_u32)
    {
        return character.to_string();
    }
    format!("\\{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/compose-cases");

    /// The environment the grammar table was checked with: `OS=osv`.
    fn os_env(name: &str) -> Option<String> {
        (name == "OS").then(|| "osv".to_owned())
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
        let mut warnings = Vec::new();
        parse_dotenv(text, &os_env, &mut warnings)
            .map(|map| map.into_iter().collect())
            .map_err(|error| error.to_string())
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// Each row was run through `docker compose config` as a service `env_file` with `OS=osv`.
    #[test]
    fn grammar_matches_compose() {
        let table: &[(&str, &[(&str, &str)])] = &[
            // The environment wins over earlier keys when interpolating.
            ("OS=file\nY=$OS", &[("OS", "file"), ("Y", "osv")]),
            (
                "A=1\nB=${A}2\nA=3\nC=$A",
                &[("A", "3"), ("B", "12"), ("C", "3")],
            ),
            // Single quotes are literal.
            ("X='a\\nb $OS'", &[("X", "a\\nb $OS")]),
            ("X=' a '", &[("X", " a ")]),
            ("X='${OS}'", &[("X", "${OS}")]),
            ("X='q\\'q'", &[("X", "q'q")]),
            // Unquoted values are trimmed, escapes are not expanded.
            ("X=  a b  ", &[("X", "a b")]),
            ("X=a\\nb", &[("X", "a\\nb")]),
            ("X=$$OS", &[("X", "$OS")]),
            // Double quotes: several lines, escapes, then interpolation.
            (
                "X=\"multi\nline $OS\"\nY=after",
                &[("X", "multi\nline osv"), ("Y", "after")],
            ),
            ("X=\"\\$OS and $$OS\"", &[("X", "$OS and $OS")]),
            ("X=\"tab\\there\"", &[("X", "tab\there")]),
            ("X=\"q\\\"q\"", &[("X", "q\"q")]),
            ("X=\"a\\\\\\\"b\"", &[("X", "a\\\"b")]),
            ("X=\"${OS}\"", &[("X", "osv")]),
            (
                "X=\"\\0123|\\0377|\\01|\\0|\\c|\\x41\"",
                &[("X", "S|\u{ff}|\\1|\\|\\c|\\x41")],
            ),
            // `export`, `:` separators, key characters.
            ("  export   X=1", &[("X", "1")]),
            ("exportX=1", &[("exportX", "1")]),
            ("export\nFOO=1", &[("FOO", "1")]),
            ("X:1\nY: 2", &[("X", "1"), ("Y", "2")]),
            ("X:=1", &[("X", "=1")]),
            ("X==1", &[("X", "=1")]),
            ("a.b-c[1]=v", &[("a.b-c[1]", "v")]),
            ("9X=1", &[("9X", "1")]),
            // Comments: ` #` starts one, `#` alone does not.
            (
                "# c1\n\n  # c2\nX=1 # c\nY=\"2\"   # c\nZ='3'#c",
                &[("X", "1"), ("Y", "2"), ("Z", "3")],
            ),
            ("COMMENT=1234#5", &[("COMMENT", "1234#5")]),
            ("X=#", &[("X", "#")]),
            ("X= #c", &[("X", "#c")]),
            ("X=a #b #c", &[("X", "a")]),
            ("X=\"\"", &[("X", "")]),
            ("X=''", &[("X", "")]),
            ("X=", &[("X", "")]),
            // Operators in values.
            ("X=${UNSET:-dflt}", &[("X", "dflt")]),
            ("X=${OS:+alt}", &[("X", "alt")]),
            // BOM, CRLF, non-ASCII.
            ("\u{feff}X=bom", &[("X", "bom")]),
            ("X=1\r\nY=2\r\n", &[("X", "1"), ("Y", "2")]),
            ("X=é$OS", &[("X", "éosv")]),
            // Bare keys inherit, or vanish; at the very end of the file the key is empty.
            ("OS\n", &[("OS", "osv")]),
            ("MISSING\nX=1", &[("X", "1")]),
            ("X=1\nX\nY=$X", &[("X", "1"), ("Y", "1")]),
            ("OS", &[("", "OS")]),
            ("X=\"a\"b", &[("X", "a"), ("", "b")]),
            ("X=\"a\" junk\nY=1", &[("X", "a"), ("Y", "1")]),
            ("X Y", &[("", "X Y")]),
        ];
        for (text, expected) in table {
            let mut got = parse(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
            let mut expected = pairs(expected);
            got.sort();
            expected.sort();
            assert_eq!(got, expected, "{text:?}");
        }
    }

    /// Messages as `docker compose config` prints them after `failed to read <file>: `.
    #[test]
    fn grammar_errors_match_compose() {
        let table = [
            ("X Y=1", "line 1: key cannot contain a space"),
            ("X Y\n", "line 1: key cannot contain a space"),
            (
                "X;=1",
                "line 1: unexpected character \";\" in variable name \"X;=1\"",
            ),
            (
                "A=1\n\nB c;=2\nD=3",
                "line 3: unexpected character \";\" in variable name \"B c;=2\"",
            ),
            ("X=\"abc", "line 1: unterminated quoted value \"abc"),
            // The line count includes the lines the quote scanned past.
            ("X='abc\nY=1", "line 2: unterminated quoted value 'abc"),
            // …and skips a bare key written with a trailing space.
            ("KEY \nX=\"bad", "line 1: unterminated quoted value \"bad"),
            ("export   ", "zero length string"),
            ("X=${}", "Invalid template: \"${}\""),
            (
                "X=${Y:?boom}",
                "required variable Y is missing a value: boom",
            ),
        ];
        for (text, expected) in table {
            assert_eq!(parse(text), Err(expected.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn unset_variables_warn() {
        let mut warnings = Vec::new();
        let map = parse_dotenv("X=${X}\nY=$UNSET", &no_env, &mut warnings).unwrap();
        assert_eq!(map["X"], "");
        assert_eq!(
            warnings,
            [
                "The \"X\" variable is not set. Defaulting to a blank string.",
                "The \"UNSET\" variable is not set. Defaulting to a blank string."
            ]
        );
    }

    #[test]
    fn into_reads_earlier_files_after_the_lookup() {
        let mut out = IndexMap::new();
        let mut warnings = Vec::new();
        parse_dotenv_into("A=first\nB=1", &os_env, &mut out, &mut warnings).unwrap();
        parse_dotenv_into("A=second\nC=$A-$B-$OS", &os_env, &mut out, &mut warnings).unwrap();
        assert_eq!(out["C"], "second-1-osv");
        assert_eq!(out["A"], "second");
    }

    #[test]
    fn corpus_env_file_comments() {
        let path = Path::new(CASES).join("e2e-env-file-comments/.env");
        let map = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap();
        assert_eq!(map["COMMENT"], "1234#5");
        assert_eq!(map["NO_COMMENT"], "1234#5");
    }

    #[test]
    fn corpus_env_files_interpolate_with_shell_first() {
        let path = Path::new(CASES).join("e2e-env-interpolation/.env");
        let map = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap();
        assert_eq!(map["IMAGE"], "default_env:EnvFile");

        let path = Path::new(CASES).join("e2e-env-interpolation-default-value/.env");
        let map = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap();
        assert_eq!(map["IMAGE"], "default_env:EnvFileDefaultValue");

        let path =
            Path::new(CASES).join("e2e-env-priority-default-shell/.env.override.with.default");
        let shell = |name: &str| (name == "WHEREAMI").then(|| "shell".to_owned());
        let map = read_dotenv_file(&path, &shell, &mut Vec::new()).unwrap();
        assert_eq!(map["WHEREAMI"], "shell");
        let map = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap();
        assert_eq!(map["WHEREAMI"], "EnvFileDefaultValue");
    }

    #[test]
    fn every_corpus_env_file_parses() {
        let mut count = 0;
        let mut pending = vec![PathBuf::from(CASES)];
        while let Some(directory) = pending.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    pending.push(path);
                } else if name.starts_with(".env") || name.ends_with(".env") {
                    read_dotenv_file(&path, &no_env, &mut Vec::new())
                        .unwrap_or_else(|error| panic!("{error}"));
                    count += 1;
                }
            }
        }
        assert!(count >= 10, "only {count} env files found");
    }

    #[test]
    fn file_errors_name_the_file() {
        let directory = std::env::temp_dir().join(format!("berth-env-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("bad.env");
        std::fs::write(&path, "X=\"abc").unwrap();
        let error = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to read {}: line 1: unterminated quoted value \"abc",
                path.display()
            )
        );
        std::fs::write(&path, "X Y=1").unwrap();
        let error = read_raw_env_file(&path, &no_env).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to parse env_file {}: variable 'X Y' contains whitespaces",
                path.display()
            )
        );
        std::fs::write(&path, b"X=\xff").unwrap();
        let error = read_raw_env_file(&path, &no_env).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to parse env_file {}: invalid utf8 bytes at line 1: [88 61 255]",
                path.display()
            )
        );
        let map = read_dotenv_file(&path, &no_env, &mut Vec::new()).unwrap();
        assert_eq!(map["X"], "\u{fffd}");
        let missing = directory.join("missing.env");
        let error = read_dotenv_file(&missing, &no_env, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("open {}: no such file or directory", missing.display())
        );
        std::fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn raw_format_keeps_values_verbatim() {
        let path = Path::new(CASES).join("e2e-dotenv-raw-format/.env.raw");
        let map = read_raw_env_file(&path, &no_env).unwrap();
        assert_eq!(map["TEST_VAR"], "'{\"key\": \"value\"}'");

        // Checked with `format: raw`, `OS=osv` and `environment: {SVC: s}` in the lookup.
        let lookup = |name: &str| match name {
            "OS" => Some("osv".to_owned()),
            "SVC" => Some("s".to_owned()),
            _ => None,
        };
        let map = parse_raw_env_file(
            " X=\"q\" \r\nOS\nSVC\nNOPE\n#c\n\n Y=$OS=2\n\u{feff}C=2",
            &lookup,
        )
        .unwrap();
        let got: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("X", "\"q\" "),
                ("OS", "osv"),
                ("SVC", "s"),
                ("Y", "$OS=2"),
                ("\u{feff}C", "2")
            ]
        );
        let map = parse_raw_env_file("\u{feff}B=1", &no_env).unwrap();
        assert_eq!(map["B"], "1");
    }

    #[test]
    fn raw_format_errors_match_compose() {
        let table = [
            ("X Y=1", "variable 'X Y' contains whitespaces"),
            ("X\t=1", "variable 'X\t' contains whitespaces"),
            ("=1", "no variable name on line '=1'"),
        ];
        for (text, expected) in table {
            let error = parse_raw_env_file(text, &no_env).unwrap_err();
            assert_eq!(error.to_string(), expected, "{text:?}");
        }
        // Go's scanner holds 65,535 bytes of line plus its newline (checked with the oracle).
        let longest = format!("X={}\n", "a".repeat(MAX_RAW_LINE - 3));
        assert!(parse_raw_env_file(&longest, &no_env).is_ok());
        let too_long = format!("X={}\n", "a".repeat(MAX_RAW_LINE - 2));
        let error = parse_raw_env_file(&too_long, &no_env).unwrap_err();
        assert_eq!(error.to_string(), "bufio.Scanner: token too long");
    }
}
