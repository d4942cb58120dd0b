//! `posfault run FILE-OR-DIR...`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::{EXIT_FAIL, EXIT_PASS, EXIT_USAGE};
use crate::report::{self, Format, Lang, ScenarioRun};
use crate::scenario::load_file;
use crate::timeline;

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario files, or directories searched for `*.yaml`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run with this seed instead of each scenario's own.
    #[arg(long)]
    seed: Option<u64>,
    /// Print only verdict lines, not timelines.
    #[arg(long, short)]
    quiet: bool,
    /// Write reports of the run into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Report formats, comma-separated (with --report).
    #[arg(long, value_delimiter = ',', default_values = ["json", "junit", "md", "html"], requires = "report")]
    format: Vec<Format>,
    /// Language of the Markdown and HTML reports (with --report).
    #[arg(long, default_value = "en", requires = "report")]
    lang: Lang,
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let files = scenario_files(&args.paths)?;
    let (mut passed, mut failed, mut invalid) = (0, 0, 0);
    let mut runs = Vec::new();
    for file in &files {
        let scenario = match load_file(file) {
            Ok(s) => s,
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                println!("INVALID {}", file.display());
                invalid += 1;
                continue;
            }
        };
        let seed = args.seed.unwrap_or(scenario.seed);
        let report = crate::runner::run(&scenario, seed);
        if !args.quiet {
            print!("{}", timeline::render(&report.transcript));
        }
        print!(
            "{}",
            timeline::verdict(&report, &file.display().to_string(), !args.quiet)
        );
        if report.passed {
            passed += 1;
        } else {
            failed += 1;
        }
        if args.report.is_some() {
            runs.push(ScenarioRun::from_file(file, scenario, report)?);
        }
    }
    if let Some(dir) = &args.report {
        for path in report::write_all(dir, &args.format, args.lang, &runs)? {
            eprintln!("report: {}", path.display());
        }
    }
    println!("{passed} passed, {failed} failed, {invalid} invalid");
    Ok(ExitCode::from(if invalid > 0 {
        EXIT_USAGE
    } else if failed > 0 {
        EXIT_FAIL
    } else {
        EXIT_PASS
    }))
}

/// Files as given, plus every `*.yaml` under given directories, each list sorted.
fn scenario_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)
                .with_context(|| format!("cannot read directory {}", p.display()))?;
            found.sort();
            if found.is_empty() {
                anyhow::bail!(
                    "{}: no *.yaml scenario files in this directory",
                    p.display()
                );
            }
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            anyhow::bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}
