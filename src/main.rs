//! The `berth` command line: parse, run, map the outcome to an exit code. Nothing else.

fn main() {
    let cli = berth::cli::Cli::parse_args(std::env::args_os());
    let code = match berth::cli::run(&cli) {
        Ok(code) => code,
        Err(error) => {
            berth::diagnostic::print_error(&error);
            // A failed build ends with its step's exit code, as Compose's does (`build`, `up`,
            // `run`).
            error
                .downcast_ref::<berth::cli::build::BuildFailed>()
                .map_or(1, berth::cli::build::BuildFailed::exit_code)
        }
    };
    std::process::exit(code);
}

// Loading allocates many small strings and maps; mimalloc halves the allocator's share of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
