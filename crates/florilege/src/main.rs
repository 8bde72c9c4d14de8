//! The `florilege` command: parses the command line, starts logging and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = florilege::cli::Cli::parse();
    florilege::telemetry::init(cli.verbose);
    florilege::cli::main(cli)
}
