//! The oracle: one invariant per file, each a pure function of the transcript and journal.
//!
//! Checks look at the link as the proxy saw it, never at the terminal's own account of itself,
//! so they judge any terminal the same way.

mod reversal_after_no_response;

use std::fmt;
use std::time::Duration;

use posfault_proxies::fault::Direction;
use posfault_proxies::link::FrameEvent;
use serde::{Deserialize, Serialize};

use crate::host::JournalEntry;
use crate::transcript::{At, Transcript};

/// What a check may read.
pub struct CheckInput<'a> {
    /// The run's transcript.
    pub transcript: &'a Transcript,
    /// The host's final journal.
    pub journal: &'a [JournalEntry],
    /// The terminal's reply timeout: a reply later than this after its request does not count.
    pub response_timeout: Duration,
}

/// Every built-in check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// A request left without a valid, in-time reply is followed by a reversal for it before
    /// the next financial request.
    ReversalAfterNoResponse,
}

impl CheckId {
    /// All checks, in the order they run.
    pub const ALL: [CheckId; 1] = [CheckId::ReversalAfterNoResponse];

    /// The check's name as written in YAML.
    pub fn name(self) -> &'static str {
        match self {
            CheckId::ReversalAfterNoResponse => "reversal_after_no_response",
        }
    }

    /// Runs the check; each finding says what happened, where, and what was expected.
    pub fn run(self, input: &CheckInput<'_>) -> Vec<String> {
        match self {
            CheckId::ReversalAfterNoResponse => reversal_after_no_response::check(input),
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A check's result on one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Which check.
    pub check: CheckId,
    /// True when the check found nothing wrong.
    pub passed: bool,
    /// True when the scenario expects this check to fail (a defect scenario).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expected_to_fail: bool,
    /// What the check found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

impl Verdict {
    /// Whether the verdict is what the scenario expects.
    pub fn as_expected(&self) -> bool {
        self.passed != self.expected_to_fail
    }
}

/// Runs every check.
pub fn run_all(input: &CheckInput<'_>, expected_to_fail: &[CheckId]) -> Vec<Verdict> {
    CheckId::ALL
        .iter()
        .map(|&check| {
            let findings = check.run(input);
            Verdict {
                check,
                passed: findings.is_empty(),
                expected_to_fail: expected_to_fail.contains(&check),
                findings,
            }
        })
        .collect()
}

/// Requests whose outcome is unknown when unanswered, and so must be reversed.
pub(crate) fn is_reversible(frame: &FrameEvent) -> bool {
    matches!(frame.mti.as_deref(), Some("0200" | "0100"))
}

/// Whether `rsp`, seen at `rsp_at`, is a valid in-time reply to `req`, seen at `req_at`:
/// delivered to the terminal (counting any delay the proxy added) on the same connection within
/// the timeout, MTI + 10, and the same STAN, terminal id and amount.
pub(crate) fn answers(
    (req_at, req): (At, &FrameEvent),
    (rsp_at, rsp): (At, &FrameEvent),
    timeout: Duration,
) -> bool {
    let want_mti = req
        .mti
        .as_deref()
        .and_then(|m| m.parse::<posfault_proxies::wire::Mti>().ok())
        .and_then(|m| m.response());
    rsp.dir == Direction::ToTerminal
        && rsp.fate.delivers()
        && rsp.conn == req.conn
        && rsp_at >= req_at
        && rsp_at.duration() + Duration::from_millis(rsp.delivered_after_ms.unwrap_or(0))
            <= req_at.duration() + timeout
        && want_mti.map(|m| m.to_string()) == rsp.mti
        && rsp.field(11) == req.field(11)
        && rsp.field(41) == req.field(41)
        && (rsp.field(4).is_none() || rsp.field(4) == req.field(4))
}
