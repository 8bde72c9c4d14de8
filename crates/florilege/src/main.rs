//! The `florilege` command: parses the command line, starts logging and hands over to the library.

use clap::Parser;

/// mimalloc rather than the system allocator: indexing and crawling allocate
/// a great many small, short-lived values (glibc's malloc and free took a
/// tenth of a rebuild's CPU; see BENCHMARKS.md). Its `override` feature
/// makes it the C `malloc` too, so SQLite allocates through it as well.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = florilege::cli::Cli::parse();
    florilege::telemetry::init(cli.verbose);
    florilege::cli::main(cli)
}
