//! The `berth` command line: parse, run, map the outcome to an exit code. Nothing else.

use clap::Parser;

fn main() {
    let cli = berth::cli::Cli::parse();
    let code = match berth::cli::run(&cli) {
        Ok(code) => code,
        Err(error) => {
            berth::diagnostic::print_error(&error);
            1
        }
    };
    std::process::exit(code);
}
