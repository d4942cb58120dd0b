//! The `posfault` command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = posfault::cli::Cli::parse();
    if !cli.serves() {
        restore_sigpipe();
    }
    match posfault::cli::main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(posfault::cli::EXIT_USAGE)
        }
    }
}

/// Rust ignores SIGPIPE, so `posfault run ... | head` would panic on the first write after
/// `head` exits. A command-line tool should stop quietly instead, as `cat` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; restoring the
    // default disposition of one signal has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
