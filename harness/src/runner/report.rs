//! The result of one run: transcript, journal, verdicts, and whether the scenario passed.

use serde::Serialize;

use crate::check::Verdict;
use crate::host::JournalEntry;
use crate::scenario::Scenario;
use crate::terminal::Outcome;
use crate::transcript::Transcript;

/// An expected outcome that did not happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeMismatch {
    /// Transaction id.
    pub txn: String,
    /// What was expected and what was reported.
    pub problem: String,
}

/// Everything one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
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
    /// Compares pinned outcomes with reported ones.
    pub(crate) fn mismatches(scenario: &Scenario, outcomes: &[Outcome]) -> Vec<OutcomeMismatch> {
        let mut out = Vec::new();
        for (txn, want) in &scenario.expect.outcomes {
            let Some(got) = outcomes.iter().find(|o| &o.txn == txn) else {
                out.push(OutcomeMismatch {
                    txn: txn.clone(),
                    problem: format!(
                        "expected {:?}, but the terminal reported no outcome",
                        want.result
                    ),
                });
                continue;
            };
            let mut diffs = Vec::new();
            if want.result != got.result {
                diffs.push(format!(
                    "result {:?}, expected {:?}",
                    got.result, want.result
                ));
            }
            if want.rc.is_some() && want.rc != got.rc {
                diffs.push(format!("rc {:?}, expected {:?}", got.rc, want.rc));
            }
            if want.reason.is_some() && want.reason != got.reason {
                diffs.push(format!(
                    "reason {:?}, expected {:?}",
                    got.reason, want.reason
                ));
            }
            if want.reversal.is_some() && want.reversal != got.reversal {
                diffs.push(format!(
                    "reversal {:?}, expected {:?}",
                    got.reversal, want.reversal
                ));
            }
            if want.cause.is_some() && want.cause != got.cause {
                diffs.push(format!("cause {:?}, expected {:?}", got.cause, want.cause));
            }
            if want.category.is_some() && want.category != got.category {
                diffs.push(format!(
                    "category {:?}, expected {:?}",
                    got.category, want.category
                ));
            }
            if !diffs.is_empty() {
                out.push(OutcomeMismatch {
                    txn: txn.clone(),
                    problem: format!("reported \"{}\": {}", got.display, diffs.join("; ")),
                });
            }
        }
        out
    }
}
