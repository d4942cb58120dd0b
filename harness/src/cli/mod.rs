//! The `posfault` command line: thin commands over the library.

mod bench;
mod check;
mod host;
mod proxy;
mod run;
mod schema;
pub mod seeds;
mod terminal;
mod wire;
mod words;

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
    /// Validate scenario files without running them; exit 2 if any is invalid.
    Check(check::CheckArgs),
    /// Measure simulated runs per second of one scenario (seeds 1..=N, all cores).
    Bench(bench::BenchArgs),
    /// Relay real TCP between a terminal and a host, injecting fault rules from a YAML file.
    ///
    /// Ctrl-C flushes the transcript and exits 0; a bad faults file exits 2.
    Proxy(proxy::ProxyArgs),
    /// Serve the reference acquirer host over TCP until Ctrl-C.
    ///
    /// Exit status: 0 after Ctrl-C, 2 when the configuration or a flag is invalid.
    Host(host::HostArgs),
    /// The reference terminal over real TCP: `--stdio` speaks the adapter protocol (live
    /// runs), or make one `sale` / `settle` against a host.
    ///
    /// Exit status: 0 approved (or settled, or a clean stdio shutdown), 1 otherwise, 2 for a
    /// bad flag or environment.
    Terminal(terminal::TerminalArgs),
    /// Decode or encode ISO 8583 frames (dialects iso87, iso87-ascii, cup).
    Wire(wire::WireArgs),
    /// Print the JSON Schema of scenario files, for editors.
    Schema,
}

impl Cli {
    /// Whether the command serves sockets until stopped (`proxy`, `host`, `terminal`). Those keep Rust's
    /// ignored SIGPIPE, so a peer that goes away is an I/O error to handle, never a signal.
    pub fn serves(&self) -> bool {
        matches!(
            self.command,
            Command::Proxy(_) | Command::Host(_) | Command::Terminal(_)
        )
    }
}

/// Runs a parsed command line.
pub fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Bench(args) => bench::bench(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Host(args) => host::run(args),
        Command::Terminal(args) => terminal::run(args),
        Command::Wire(args) => wire::run(args),
        Command::Schema => schema::run(),
    }
}
