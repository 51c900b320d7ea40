//! `expand INPUT [OUTPUT]`: writes the compose file a `load` fuzz input stands for (the input
//! itself for raw inputs, the mutated corpus file for structured ones), so that a crasher can be
//! saved under fuzz/regressions/ and replayed with `berth -f FILE config`.

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let Some(input) = arguments.first() else {
        eprintln!("usage: expand INPUT [OUTPUT]");
        std::process::exit(2);
    };
    let expanded = berth_fuzz::expand(&std::fs::read(input)?);
    if let Some(origin) = expanded.origin {
        eprintln!("mutated tests/corpus/{origin}");
    }
    match arguments.get(1) {
        Some(output) => std::fs::write(output, &expanded.text),
        None => std::io::stdout().write_all(&expanded.text),
    }
}
