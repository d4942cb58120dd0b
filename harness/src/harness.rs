//! The library entry point for testing a terminal from its own `cargo test`: load a scenario,
//! plug in a terminal, run one seed or a sweep, and assert on the result.
//!
//! ```no_run
//! use posfault::{Harness, ReferenceTerminal};
//!
//! let harness = Harness::load("scenarios/reversal/reply-lost.yaml")
//!     .expect("valid scenario")
//!     .with_terminal(ReferenceTerminal::new);
//! let report = harness.run();
//! report.assert_passed();
//! // insta::assert_yaml_snapshot!(report.transcript);
//! ```

use std::fmt;
use std::path::Path;

use crate::runner::{RunReport, run_with};
use crate::scenario::{Scenario, ScenarioError, load_file, load_str};
use crate::terminal::{ReferenceTerminal, Terminal};
use crate::timeline;

/// Why a scenario could not be loaded: every problem, each with file, line and column.
#[derive(Debug, Clone)]
pub struct LoadError(pub Vec<ScenarioError>);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A scenario plus the terminal to run it against.
pub struct Harness {
    scenario: Scenario,
    file: String,
    boot: Box<dyn Fn() -> Box<dyn Terminal>>,
}

impl Harness {
    /// A harness for `scenario`, with the reference terminal until [`Harness::with_terminal`].
    pub fn new(scenario: Scenario) -> Self {
        Harness {
            file: scenario.name.clone(),
            scenario,
            boot: Box::new(|| Box::new(ReferenceTerminal::new())),
        }
    }

    /// Loads and validates a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let scenario = load_file(path).map_err(LoadError)?;
        Ok(Harness {
            file: path.display().to_string(),
            ..Harness::new(scenario)
        })
    }

    /// Parses and validates scenario YAML; `name` stands for the file in error messages.
    pub fn from_yaml(yaml: &str, name: &str) -> Result<Self, LoadError> {
        let scenario = load_str(yaml, name).map_err(LoadError)?;
        Ok(Harness {
            file: name.to_string(),
            ..Harness::new(scenario)
        })
    }

    /// Runs the scenario against terminals made by `boot`: called once per boot, so a power
    /// cycle gets a fresh value (its volatile memory is lost; `TerminalIo::store` survives).
    pub fn with_terminal<T: Terminal + 'static>(mut self, boot: impl Fn() -> T + 'static) -> Self {
        self.boot = Box::new(move || Box::new(boot()));
        self
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Runs with the scenario's own seed.
    pub fn run(&self) -> Report {
        self.run_seed(self.scenario.seed)
    }

    /// Runs with `seed`. Same seed, same transcript, byte for byte.
    pub fn run_seed(&self, seed: u64) -> Report {
        Report {
            run: run_with(&self.scenario, seed, &*self.boot),
            file: self.file.clone(),
        }
    }

    /// Runs every seed in `seeds`, one after another.
    pub fn sweep(&self, seeds: impl IntoIterator<Item = u64>) -> Vec<Report> {
        seeds.into_iter().map(|s| self.run_seed(s)).collect()
    }
}

/// One run's result, with assertions that explain themselves.
#[derive(Debug, Clone)]
pub struct Report {
    /// Transcript, journal, verdicts and outcomes.
    pub run: RunReport,
    file: String,
}

impl std::ops::Deref for Report {
    type Target = RunReport;

    fn deref(&self) -> &RunReport {
        &self.run
    }
}

impl Report {
    /// Whether every check and pinned outcome is as the scenario expects.
    pub fn passed(&self) -> bool {
        self.run.passed
    }

    /// The verdict block with every finding, and the timeline, as `posfault run` prints them.
    pub fn explain(&self) -> String {
        format!(
            "{}{}",
            timeline::render(&self.run.transcript),
            timeline::verdict(&self.run, &self.file, true)
        )
    }

    /// Panics with the timeline and the oracle's findings unless the run passed.
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.run.passed {
            panic!(
                "scenario {} failed with seed {}:\n{}",
                self.run.scenario,
                self.run.seed,
                self.explain()
            );
        }
    }

    /// Panics unless the run failed; returns every finding, for asserting on the oracle's words.
    #[track_caller]
    pub fn assert_failed(&self) -> Vec<String> {
        if self.run.passed {
            panic!(
                "scenario {} passed with seed {}, expected it to fail:\n{}",
                self.run.scenario,
                self.run.seed,
                self.explain()
            );
        }
        let mut out: Vec<String> = self
            .run
            .verdicts
            .iter()
            .filter(|v| !v.as_expected())
            .flat_map(|v| v.findings.clone())
            .collect();
        out.extend(
            self.run
                .mismatches
                .iter()
                .map(|m| format!("{}: {}", m.txn, m.problem)),
        );
        out.extend(self.run.error.clone());
        out
    }
}
