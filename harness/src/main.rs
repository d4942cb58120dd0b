//! The `posfault` command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = posfault::cli::Cli::parse();
    match posfault::cli::main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(posfault::cli::EXIT_USAGE)
        }
    }
}
