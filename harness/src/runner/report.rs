//! The result of one run: transcript, journal, verdicts, and whether the scenario passed.

use serde::Serialize;

use crate::check::Verdict;
use crate::host::JournalEntry;
use crate::scenario::Scenario;
use crate::terminal::Outcome;
use crate::transcript::Transcript;

/// An expected outcome that did not happen, or pinned journal totals that do not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeMismatch {
    /// Transaction id; empty for a journal mismatch.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub txn: String,
    /// What was expected and what was reported.
    pub problem: String,
    /// True when `expect.journal` does not hold (the host's books, not an outcome).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub journal: bool,
}

impl OutcomeMismatch {
    /// What did not match, for text output: `outcome t1` or `journal`.
    pub fn subject(&self) -> String {
        if self.journal {
            "journal".into()
        } else {
            format!("outcome {}", self.txn)
        }
    }
}

/// How a run was made. Shown in reports only when live, so simulated reports are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// In the turmoil simulation: times simulated, every decision seeded, replayable.
    #[default]
    Sim,
    /// Over real loopback TCP with a terminal process: times are wall-clock and differ between
    /// runs; fault decisions are still seeded.
    Live,
}

impl RunMode {
    /// True for simulated runs (used to leave the field out of their reports).
    pub fn is_sim(&self) -> bool {
        *self == RunMode::Sim
    }
}

/// Everything one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// Simulated or live.
    #[serde(skip_serializing_if = "RunMode::is_sim")]
    pub mode: RunMode,
    /// True when every verdict is as expected, every pinned outcome matched, and the run ended.
    pub passed: bool,
    /// Why the simulation itself failed (time limit, node error), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// One verdict per check.
    pub verdicts: Vec<Verdict>,
    /// Pinned outcomes that did not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<OutcomeMismatch>,
    /// What the terminal reported, per transaction.
    pub outcomes: Vec<Outcome>,
    /// The host's final journal.
    pub journal: Vec<JournalEntry>,
    /// Every event of the run.
    pub transcript: Transcript,
}

impl RunReport {
    /// Compares pinned outcomes with reported ones, and pinned journal totals with the host's
    /// journal.
    pub(crate) fn mismatches(
        scenario: &Scenario,
        outcomes: &[Outcome],
        journal: &[JournalEntry],
    ) -> Vec<OutcomeMismatch> {
        let mut out = Vec::new();
        for (txn, want) in &scenario.expect.outcomes {
            // A fleet's members report `t1@TERM0003`: an expectation for t1 holds for each.
            let fleet_prefix = format!("{txn}@");
            let got: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| &o.txn == txn || o.txn.starts_with(&fleet_prefix))
                .collect();
            if got.is_empty() {
                out.push(OutcomeMismatch {
                    journal: false,
                    txn: txn.clone(),
                    problem: format!(
                        "expected {:?}, but the terminal reported no outcome",
                        want.result
                    ),
                });
                continue;
            }
            for got in got {
                let diffs = want.differences(got);
                if !diffs.is_empty() {
                    out.push(OutcomeMismatch {
                        journal: false,
                        txn: got.txn.clone(),
                        problem: format!("reported \"{}\": {}", got.display, diffs.join("; ")),
                    });
                }
            }
        }
        if let Some(want) = &scenario.expect.journal {
            out.extend(
                want.differences(&scenario.host, journal)
                    .into_iter()
                    .map(|problem| OutcomeMismatch {
                        txn: String::new(),
                        problem,
                        journal: true,
                    }),
            );
        }
        out
    }
}
