//! Embeds every YAML file of `tests/corpus` in the fuzz crate, so that the `load` target can pick
//! one by number and mutate it: real compose files reach far deeper into the loader than bytes
//! a fuzzer starts from nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(directory: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml")
        {
            files.push(path);
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let corpus = manifest.join("../tests/corpus").canonicalize()?;
    println!("cargo::rerun-if-changed={}", corpus.display());
    let mut files = Vec::new();
    collect(&corpus, &mut files)?;
    // Sorted so that an input selects the same file on every machine.
    files.sort();
    let mut code =
        String::from("/// The YAML files of tests/corpus: path relative to it, and content.\n");
    code.push_str("pub const CORPUS: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let relative = file.strip_prefix(&corpus).unwrap_or(file);
        let _ = writeln!(
            code,
            "    ({:?}, include_bytes!({:?})),",
            relative.display().to_string(),
            file.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("corpus.rs"), code)
}
