//! `posfault run FILE-OR-DIR... [--seed N | --seeds A..B] [--shard I/N] [--jobs J] [--quiet]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::seeds::{Seeds, Shard};
use crate::cli::{EXIT_FAIL, EXIT_PASS, EXIT_USAGE};
use crate::live::{LiveOptions, is_live};

/// Ctrl-C stopped a live run: 128 + SIGINT, as shells report it.
const EXIT_INTERRUPTED: u8 = 130;
use crate::report::{self, Format, Lang, ScenarioRun};
use crate::runner::RunReport;
use crate::scenario::{Scenario, load_file};
use crate::timeline;

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario files, or directories searched for `*.yaml`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run with this seed instead of each scenario's own.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Sweep seeds: `1..1000` (both ends included), or `1,5,9`. Runs in parallel and prints
    /// only failing seeds, each with a command that replays it.
    #[arg(long)]
    seeds: Option<Seeds>,
    /// Run only shard I of N (`--shard 2/4`) of the (scenario, seed) runs, for splitting a run
    /// across CI jobs; every shard's split is fixed by the file and seed order.
    #[arg(long)]
    shard: Option<Shard>,
    /// Simulations run at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
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
    /// Live scenarios: run this terminal instead of each one's `terminal.command`; one string
    /// split like a shell does (quotes, backslashes; no variables or globs), e.g.
    /// ".venv/bin/python examples/python-terminal/terminal.py". How a team certifies its own
    /// terminal.
    #[arg(long, value_name = "COMMAND", value_parser = crate::cli::words::parse_command)]
    terminal_cmd: Option<crate::cli::words::Argv>,
    /// Live scenarios: multiply every timing (schedule, terminal timeouts, fault windows and
    /// delays, maintenance, time limit) by F > 0; 0.5 runs twice as fast.
    #[arg(long, value_name = "F", default_value_t = 1.0, value_parser = crate::cli::words::parse_scale)]
    time_scale: f64,
    /// Live scenarios: keep each run's terminal state directory and print where it is.
    #[arg(long)]
    keep_state: bool,
}

/// One (scenario, seed) run to make.
struct Item {
    scenario: usize,
    seed: u64,
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let files = scenario_files(&args.paths)?;
    let mut invalid = 0;
    let mut scenarios: Vec<(PathBuf, Scenario)> = Vec::new();
    for file in files {
        match load_file(&file) {
            Ok(s) => scenarios.push((file, s)),
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                println!("INVALID {}", file.display());
                invalid += 1;
            }
        }
    }
    let sweep = args.seeds.is_some();
    let mut items = Vec::new();
    for (i, (_, s)) in scenarios.iter().enumerate() {
        let seeds = match (&args.seeds, args.seed) {
            (Some(seeds), _) => seeds.0.clone(),
            (None, Some(seed)) => vec![seed],
            (None, None) => vec![s.seed],
        };
        items.extend(seeds.into_iter().map(|seed| Item { scenario: i, seed }));
    }
    let items: Vec<Item> = items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| args.shard.is_none_or(|s| s.owns(*k)))
        .map(|(_, item)| item)
        .collect();

    let live = LiveOptions {
        command: args.terminal_cmd.clone().map(|a| a.0),
        time_scale: args.time_scale,
        keep_state: args.keep_state,
    };
    if items.iter().any(|i| is_live(&scenarios[i.scenario].1)) {
        crate::live::interrupt::install();
    }
    let reports = run_parallel(&scenarios, &items, args.jobs, sweep, &live);
    let (mut passed, mut failed) = (0, 0);
    if sweep {
        for (i, (file, s)) in scenarios.iter().enumerate() {
            let mine: Vec<&RunReport> = items
                .iter()
                .zip(&reports)
                .filter(|(item, _)| item.scenario == i)
                .map(|(_, r)| r)
                .collect();
            let bad: Vec<&&RunReport> = mine.iter().filter(|r| !r.passed).collect();
            passed += mine.len() - bad.len();
            failed += bad.len();
            let status = if bad.is_empty() { "PASS" } else { "FAIL" };
            println!(
                "{status} {} {file}: {} of {} seeds passed",
                s.name,
                mine.len() - bad.len(),
                mine.len(),
                file = file.display()
            );
            for r in bad {
                let first = first_problem(r);
                println!("  seed {}: {first}", r.seed);
                println!(
                    "    replay: posfault run --seed {} {}",
                    r.seed,
                    file.display()
                );
            }
        }
    } else {
        for (item, report) in items.iter().zip(&reports) {
            let file = scenarios[item.scenario].0.display().to_string();
            if !args.quiet {
                print!("{}", timeline::render(&report.transcript));
            }
            print!("{}", timeline::verdict(report, &file, !args.quiet));
            if report.passed {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    if let Some(dir) = &args.report {
        // Sources are read once per file (hashes), runs in the order they were made; a sweep's
        // passing seeds carry verdicts and outcomes but no transcript.
        let mut runs = Vec::with_capacity(items.len());
        for (item, run) in items.iter().zip(reports) {
            let (file, scenario) = &scenarios[item.scenario];
            runs.push(ScenarioRun::from_file(file, scenario.clone(), run)?);
        }
        for path in report::write_all(dir, &args.format, args.lang, &runs)? {
            eprintln!("report: {}", path.display());
        }
    }
    println!("{passed} passed, {failed} failed, {invalid} invalid");
    if crate::live::interrupt::interrupted() {
        println!("interrupted");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(ExitCode::from(if invalid > 0 {
        EXIT_USAGE
    } else if failed > 0 {
        EXIT_FAIL
    } else {
        EXIT_PASS
    }))
}

/// The first thing that went wrong in a failed run, on one line.
fn first_problem(r: &RunReport) -> String {
    if let Some(e) = &r.error {
        return e.clone();
    }
    if let Some(v) = r.verdicts.iter().find(|v| !v.as_expected()) {
        return match v.findings.first() {
            Some(f) => format!("{}: {f}", v.check),
            None => format!("{} passed, but the scenario expects it to fail", v.check),
        };
    }
    match r.mismatches.first() {
        Some(m) => format!("{}: {}", m.subject(), m.problem),
        None => "failed".into(),
    }
}

/// Runs every item, one simulation per thread at a time, and returns reports in item order.
/// Sweeps keep only what a failing seed needs; a transcript per passing seed would cost memory
/// for nothing. Live runs go one at a time after the simulations: they take wall-clock time
/// and their timing checks are fairest on a machine that is not busy simulating.
fn run_parallel(
    scenarios: &[(PathBuf, Scenario)],
    items: &[Item],
    jobs: Option<usize>,
    sweep: bool,
    live: &LiveOptions,
) -> Vec<RunReport> {
    let jobs = jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, items.len().max(1));
    let bar = ProgressBar::new(items.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if items.len() < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let is_live_item = |item: &Item| is_live(&scenarios[item.scenario].1);
    let simulated: Vec<usize> = (0..items.len())
        .filter(|&k| !is_live_item(&items[k]))
        .collect();
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<RunReport>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let keep = |k: usize, mut report: RunReport| {
        if sweep && report.passed {
            report.transcript.events.clear();
            report.journal.clear();
        }
        slots.lock().unwrap_or_else(|p| p.into_inner())[k] = Some(report);
        bar.inc(1);
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    if crate::live::interrupt::interrupted() {
                        // Ctrl-C while simulating: no live terminal is running yet (live runs
                        // come last), so nothing needs stopping.
                        eprintln!("interrupted");
                        std::process::exit(i32::from(EXIT_INTERRUPTED));
                    }
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&k) = simulated.get(n) else { break };
                    let item = &items[k];
                    keep(
                        k,
                        crate::runner::run(&scenarios[item.scenario].1, item.seed),
                    );
                }
            });
        }
    });
    for (k, item) in items.iter().enumerate().filter(|(_, i)| is_live_item(i)) {
        keep(
            k,
            crate::live::run_live(&scenarios[item.scenario].1, item.seed, live),
        );
    }
    bar.finish_and_clear();
    slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Files as given, plus every `*.yaml` under given directories, each list sorted.
pub(crate) fn scenario_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
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
