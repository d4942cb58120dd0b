//! `posfault check FILE-OR-DIR...`: validate scenarios without running them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::run::scenario_files;
use crate::cli::{EXIT_PASS, EXIT_USAGE};
use crate::scenario::load_file;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Scenario files, or directories searched for `*.yaml`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub(crate) fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let files = scenario_files(&args.paths)?;
    let mut invalid = 0;
    for file in &files {
        if let Err(errors) = load_file(file) {
            invalid += 1;
            for e in errors {
                eprintln!("{e}");
            }
        }
    }
    println!("{} valid, {invalid} invalid", files.len() - invalid);
    Ok(ExitCode::from(if invalid > 0 {
        EXIT_USAGE
    } else {
        EXIT_PASS
    }))
}
