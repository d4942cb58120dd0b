//! The `posfault` command line: thin commands over the library.

mod run;
mod wire;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Every scenario ran and passed.
pub const EXIT_PASS: u8 = 0;
/// A check or expectation failed.
pub const EXIT_FAIL: u8 = 1;
/// A scenario file is invalid, or the command line is.
pub const EXIT_USAGE: u8 = 2;

/// Chaos and network-fault testing for card-payment (ISO 8583) links.
#[derive(Debug, Parser)]
#[command(name = "posfault", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios in the deterministic simulation and judge them.
    ///
    /// Exit status: 0 when all pass, 1 when a check or expectation fails, 2 when a scenario is
    /// invalid.
    Run(run::RunArgs),
    /// Decode or encode ISO 8583 frames (dialects iso87, iso87-ascii, cup).
    Wire(wire::WireArgs),
}

/// Runs a parsed command line.
pub fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Wire(args) => wire::run(args),
    }
}
