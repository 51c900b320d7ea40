//! What the fuzz targets share: the embedded corpus, the structured mutator of the `load` target
//! and a scratch copy of `tests/corpus` where mutated files are loaded, so that their `include`,
//! `extends` and `env_file` references still find their neighbours.
//!
//! A `load` input is either a compose file as it is (any input not starting with byte 0xFF: UTF-8
//! text never contains that byte), or, after a leading 0xFF, a structured input:
//! two bytes selecting a file of `tests/corpus` (big-endian, modulo the number of files), then
//! mutations of four bytes each: operation, position (two bytes, big-endian, modulo the length)
//! and a value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use berth::loader::{LoadOptions, ProjectOptions};

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// The first byte of a structured `load` input.
pub const STRUCTURED: u8 = 0xFF;

/// The largest text a structured input may grow to: line duplication could otherwise make inputs
/// whose cost is only their size.
const MAX_TEXT: usize = 64 * 1024;

/// Fragments that mean something to YAML or to Compose, inserted whole by mutations: a fuzzer
/// rarely spells `<<: *` or `${X:?` byte by byte.
const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: *a\n",
    "!reset ",
    "!override ",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!!map ",
    "!!seq ",
    "${",
    "${X:-",
    "${X:?err}",
    "${X:+",
    "$$",
    "'",
    "\"",
    "|\n",
    ">-\n",
    "? ",
    "---\n",
    "...\n",
    "#",
    "\t",
    "null",
    "~",
    "",
    "0x1F",
    "0o17",
    "1e309",
    "-1",
    "9223372036854775808",
    "true",
    "yes",
    ".inf",
    "1_000",
    "%YAML 1.2\n",
    "%TAG ! tag:x:\n",
    "extends: ",
    "service: ",
    "file: ",
    "include:\n  - ",
    "depends_on:\n",
    "profiles: [",
    "services:\n",
    "networks:\n",
    "volumes:\n",
    "x-a: &a\n",
    "name: ",
    "image: ",
    "ports:\n  - ",
    "env_file: ",
    "build: ",
    "\\u0000",
    "\u{feff}",
    "\r\n",
];

/// Where a `load` input came from and the compose text it stands for.
pub struct Expanded {
    /// The corpus file mutated (relative to `tests/corpus`), or `None` for a raw input.
    pub origin: Option<&'static str>,
    /// The compose file's bytes.
    pub text: Vec<u8>,
}

/// The compose text a `load` input stands for.
#[must_use]
pub fn expand(data: &[u8]) -> Expanded {
    let Some((&STRUCTURED, rest)) = data.split_first() else {
        return Expanded {
            origin: None,
            text: data.to_vec(),
        };
    };
    let (selector, mutations) = rest.split_at(rest.len().min(2));
    let number = selector
        .iter()
        .fold(0usize, |number, byte| number * 256 + usize::from(*byte));
    let (origin, original) = CORPUS[number % CORPUS.len()];
    let mut text = original.to_vec();
    for mutation in mutations.chunks_exact(4) {
        let position =
            (usize::from(mutation[1]) * 256 + usize::from(mutation[2])) % (text.len() + 1);
        let value = mutation[3];
        match mutation[0] % 6 {
            0 => {
                if let Some(byte) = text.get_mut(position) {
                    *byte ^= 1 << (value % 8);
                }
            }
            1 => text.insert(position, value),
            2 => {
                if position < text.len() {
                    text.remove(position);
                }
            }
            3 => {
                let token = TOKENS[usize::from(value) % TOKENS.len()];
                text.splice(position..position, token.bytes());
            }
            4 => {
                // Repeat the line holding the position: keys, list items and whole blocks come
                // back at the same indentation, which is how duplicates and conflicts arise.
                let start = text[..position]
                    .iter()
                    .rposition(|byte| *byte == b'\n')
                    .map_or(0, |newline| newline + 1);
                let end = text[position..]
                    .iter()
                    .position(|byte| *byte == b'\n')
                    .map_or(text.len(), |newline| position + newline + 1);
                let line = text[start..end].to_vec();
                text.splice(end..end, line);
            }
            _ => text.truncate(position),
        }
        if text.len() > MAX_TEXT {
            text.truncate(MAX_TEXT);
        }
    }
    Expanded {
        origin: Some(origin),
        text,
    }
}

/// A private copy of `tests/corpus` (for mutated files) with a `raw/` directory (for raw inputs),
/// made once per process.
fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("berth-fuzz-{}", std::process::id()));
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
        copy_tree(&source, &root.join("corpus"))
            .expect("copy tests/corpus to the scratch directory");
        std::fs::create_dir_all(root.join("raw")).expect("create the scratch directory");
        root
    })
}

fn copy_tree(source: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(target)?;
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        let destination = target.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &destination)?;
        } else {
            std::fs::copy(entry.path(), destination)?;
        }
    }
    Ok(())
}

/// Writes the input's compose file and loads it as `berth -f FILE config` would, in an empty
/// environment. Errors are expected; panics, hangs and crashes are what the fuzzer looks for.
pub fn load(data: &[u8]) {
    let expanded = expand(data);
    let directory = match expanded.origin {
        Some(origin) => scratch()
            .join("corpus")
            .join(Path::new(origin).parent().unwrap_or(Path::new(""))),
        None => scratch().join("raw"),
    };
    // A name of its own, so that mutated files never replace the files they include or extend.
    let file = directory.join("fuzz-compose.yaml");
    std::fs::write(&file, &expanded.text).expect("write the compose file");
    let options = ProjectOptions {
        files: vec![file.display().to_string()],
        os_environment: BTreeMap::new(),
        current_dir: directory,
        ..ProjectOptions::default()
    };
    let _ = berth::loader::load(&options, &LoadOptions::default());
}
