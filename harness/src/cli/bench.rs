//! `posfault bench FILE [--runs N] [--jobs J]`: how many runs of one scenario per second the
//! simulation sustains. The figure the README quotes comes from here (release build).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::anyhow;
use clap::Args;

use crate::cli::{EXIT_FAIL, EXIT_PASS};
use crate::scenario::load_file;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The scenario to run repeatedly.
    file: PathBuf,
    /// Runs to make, with seeds 1..=N.
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// Simulations at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
}

pub(crate) fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let scenario = load_file(&args.file).map_err(|errors| {
        anyhow!(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let next = AtomicU64::new(1);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed > args.runs {
                        break;
                    }
                    if !crate::runner::run(&scenario, seed).passed {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let wall = started.elapsed();
    let failed = failed.into_inner();
    println!(
        "{}: {} runs in {:.3}s on {jobs} threads = {:.0} runs/s ({:.3} ms wall per run per thread); {} failed",
        scenario.name,
        args.runs,
        wall.as_secs_f64(),
        args.runs as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 * jobs as f64 / args.runs as f64,
        failed
    );
    Ok(ExitCode::from(if failed == 0 {
        EXIT_PASS
    } else {
        EXIT_FAIL
    }))
}
