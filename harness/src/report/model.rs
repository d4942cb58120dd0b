//! The view model every report format renders: plain data, built once from the runs, ordered
//! only by the order of the runs and by requirement ID (a `BTreeMap`), never by hash order.
//!
//! It is also the body of the JSON report, so its field names are part of the documented
//! schema (`docs/report-schema.md`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::CheckId;
use crate::host::JournalEntry;
use crate::report::ScenarioRun;
use crate::runner::OutcomeMismatch;
use crate::terminal::{FailReason, Outcome, TxnResult};
use crate::transcript::Transcript;

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportModel {
    /// Which posfault produced it.
    pub tool: Tool,
    /// Counts over all scenario runs.
    pub totals: Totals,
    /// Verdicts grouped by the requirement IDs scenarios declare, sorted by ID.
    pub requirements: Vec<RequirementView>,
    /// One entry per scenario run, in the order they ran.
    pub scenarios: Vec<ScenarioView>,
}

/// The producing tool.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `posfault`.
    pub name: &'static str,
    /// The crate version, so a report can be matched with the code that judged it.
    pub version: &'static str,
}

/// Counts of scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Runs in the report.
    pub scenarios: usize,
    /// Runs that passed.
    pub passed: usize,
    /// Runs that failed.
    pub failed: usize,
}

/// One requirement and the runs that evidence it.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementView {
    /// The ID, e.g. `REV-01`.
    pub id: String,
    /// True when every run that lists the requirement passed.
    pub met: bool,
    /// The runs that list it, in run order.
    pub evidence: Vec<Evidence>,
}

/// A run that evidences a requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Scenario name.
    pub scenario: String,
    /// The seed it ran with.
    pub seed: u64,
    /// Whether it passed.
    pub passed: bool,
}

/// One scenario run.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioView {
    /// Scenario name.
    pub name: String,
    /// The file as named on the command line.
    pub file: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// The seed the run used.
    pub seed: u64,
    /// `live` for a run over real TCP with a terminal process (wall-clock times, seeded fault
    /// decisions); absent for simulated runs.
    #[serde(skip_serializing_if = "crate::runner::RunMode::is_sim")]
    pub mode: crate::runner::RunMode,
    /// Wire dialect.
    pub dialect: String,
    /// Framing.
    pub framing: String,
    /// What the scenario proves.
    pub description: String,
    /// Requirement IDs it evidences.
    pub requirements: Vec<String>,
    /// True when every verdict was as expected, every pinned outcome matched, and the run ended.
    pub passed: bool,
    /// Why the simulation itself failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// One verdict per check.
    pub verdicts: Vec<VerdictView>,
    /// Pinned outcomes that did not match.
    pub mismatches: Vec<OutcomeMismatch>,
    /// What the terminal reported, with the cause each decline or failure maps to.
    pub outcomes: Vec<OutcomeView>,
    /// The command that replays this run exactly.
    pub replay: String,
    /// The host's final journal.
    pub journal: Vec<JournalEntry>,
    /// Every event of the run (card data already masked at recording).
    pub transcript: Transcript,
}

impl ScenarioView {
    /// Verdicts that are not what the scenario expects: the reasons it failed.
    pub fn unexpected(&self) -> impl Iterator<Item = &VerdictView> {
        self.verdicts.iter().filter(|v| !v.as_expected)
    }
}

/// One check's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictView {
    /// Which check.
    pub check: CheckId,
    /// True when the check found nothing wrong.
    pub passed: bool,
    /// True when the scenario expects the check to fail (a defect scenario).
    pub expected_to_fail: bool,
    /// True when the verdict is what the scenario expects.
    pub as_expected: bool,
    /// What the check found.
    pub findings: Vec<String>,
    /// Why the check could not judge the run (a real host, `host.upstream`), when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

/// One reported outcome.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeView {
    /// What the terminal reported.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The `declines.yaml` cause of a decline or failure, when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl ReportModel {
    /// Builds the model of a run of several scenarios.
    pub fn build(runs: &[ScenarioRun]) -> ReportModel {
        let scenarios: Vec<ScenarioView> = runs.iter().map(scenario_view).collect();
        let passed = scenarios.iter().filter(|s| s.passed).count();
        let mut by_req: BTreeMap<&str, Vec<Evidence>> = BTreeMap::new();
        for s in &scenarios {
            for r in &s.requirements {
                by_req.entry(r).or_default().push(Evidence {
                    scenario: s.name.clone(),
                    seed: s.seed,
                    passed: s.passed,
                });
            }
        }
        ReportModel {
            tool: Tool {
                name: "posfault",
                version: env!("CARGO_PKG_VERSION"),
            },
            totals: Totals {
                scenarios: scenarios.len(),
                passed,
                failed: scenarios.len() - passed,
            },
            requirements: by_req
                .into_iter()
                .map(|(id, evidence)| RequirementView {
                    id: id.to_string(),
                    met: evidence.iter().all(|e| e.passed),
                    evidence,
                })
                .collect(),
            scenarios,
        }
    }
}

fn scenario_view(run: &ScenarioRun) -> ScenarioView {
    let (s, r) = (&run.scenario, &run.report);
    ScenarioView {
        name: r.scenario.clone(),
        file: run.file.clone(),
        sha256: run.sha256.clone(),
        seed: r.seed,
        mode: r.mode,
        dialect: s.dialect.to_string(),
        framing: s.framing.to_string(),
        description: s.description.trim().to_string(),
        requirements: s.requirements.clone(),
        passed: r.passed,
        error: r.error.clone(),
        verdicts: r
            .verdicts
            .iter()
            .map(|v| VerdictView {
                check: v.check,
                passed: v.passed,
                expected_to_fail: v.expected_to_fail,
                as_expected: v.as_expected(),
                findings: v.findings.clone(),
                not_applicable: v.not_applicable.clone(),
            })
            .collect(),
        mismatches: r.mismatches.clone(),
        outcomes: r
            .outcomes
            .iter()
            .map(|o| OutcomeView {
                cause: cause_of(o).map(str::to_string),
                outcome: o.clone(),
            })
            .collect(),
        replay: replay_command(r.seed, &run.file),
        journal: r.journal.clone(),
        transcript: r.transcript.clone(),
    }
}

/// The `declines.yaml` cause id of a decline (by its response code) or a failure (by why it
/// failed: a failure has no response code to look up).
pub fn cause_of(o: &Outcome) -> Option<&'static str> {
    let id = match (o.result, o.reason) {
        (TxnResult::Approved, _) => return None,
        (TxnResult::Declined, _) => {
            return crate::declines::by_code(o.rc.as_deref()?).map(|c| c.id.as_str());
        }
        (TxnResult::Failed, None) => FailReason::NoResponse.cause_id(),
        (TxnResult::Failed, Some(reason)) => reason.cause_id(),
    };
    crate::declines::by_id(id).map(|c| c.id.as_str())
}

/// The command that replays a run: same file, same seed, so the same transcript.
pub fn replay_command(seed: u64, file: &str) -> String {
    let quoted = if file
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        file.to_string()
    } else {
        format!("'{}'", file.replace('\'', r"'\''"))
    };
    format!("posfault run --seed {seed} {quoted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(result: TxnResult, rc: Option<&str>, reason: Option<FailReason>) -> Outcome {
        Outcome {
            txn: "t1".into(),
            stan: "000001".into(),
            result,
            rc: rc.map(str::to_string),
            reason,
            reversal: None,
            display: String::new(),
            cause: None,
            category: None,
            advice: None,
        }
    }

    #[test]
    fn declines_map_by_code_and_failures_by_reason() {
        use FailReason::*;
        use TxnResult::*;
        assert_eq!(cause_of(&outcome(Approved, Some("00"), None)), None);
        assert_eq!(
            cause_of(&outcome(Declined, Some("51"), None)),
            Some("insufficient-funds")
        );
        assert_eq!(
            cause_of(&outcome(Declined, Some("94"), None)),
            Some("duplicate")
        );
        assert_eq!(cause_of(&outcome(Declined, Some("ZZ"), None)), None);
        assert_eq!(
            cause_of(&outcome(Failed, None, Some(NoResponse))),
            Some("no-response")
        );
        assert_eq!(
            cause_of(&outcome(Failed, None, Some(Connect))),
            Some("connection-failed")
        );
        assert_eq!(
            cause_of(&outcome(Failed, None, Some(InvalidReply))),
            Some("invalid-response")
        );
    }

    #[test]
    fn replay_quotes_paths_a_shell_would_split() {
        assert_eq!(
            replay_command(7, "scenarios/reversal/reply-lost.yaml"),
            "posfault run --seed 7 scenarios/reversal/reply-lost.yaml"
        );
        assert_eq!(
            replay_command(1, "my dir/it's.yaml"),
            r"posfault run --seed 1 'my dir/it'\''s.yaml'"
        );
    }
}
