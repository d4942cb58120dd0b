//! The oracle: one invariant per file, each a pure function of the transcript and journal.
//!
//! Checks look at the link as the proxy saw it, never at the terminal's own account of itself,
//! so they judge any terminal the same way.

mod advices_forwarded;
mod connect_retry_policy;
mod decline_category;
pub(crate) mod host_view;
mod late_reply_not_approved;
mod money_conserved;
mod no_stan_reuse;
mod outcome_matches_journal;
mod reversal_after_no_response;
mod reversal_retry_policy;
mod reversal_survives_power_cycle;

use std::fmt;
use std::time::Duration;

use posfault_proxies::fault::Direction;
use posfault_proxies::link::FrameEvent;
use posfault_proxies::wire::Mti;
use serde::{Deserialize, Serialize};

use crate::host::JournalEntry;
use crate::terminal::TerminalConfig;
use crate::transcript::{At, Transcript};

/// What a check may read.
pub struct CheckInput<'a> {
    /// The run's transcript.
    pub transcript: &'a Transcript,
    /// The host's final journal.
    pub journal: &'a [JournalEntry],
    /// The terminal's policy (timeouts, reversal retries): what the terminal promised to do.
    pub policy: &'a TerminalConfig,
    /// The simulation tick: times seen at the proxy are exact to about one tick per hop.
    pub tick: Duration,
}

impl CheckInput<'_> {
    /// The reply timeout: a reply later than this after its request does not count.
    pub fn response_timeout(&self) -> Duration {
        self.policy.response_timeout.get()
    }
}

/// Every built-in check.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// A request left without a valid, in-time reply is followed by a reversal for it before
    /// the next financial request.
    ReversalAfterNoResponse,
    /// Reversals are resent until acknowledged, no more often than the policy allows, never
    /// faster than its interval, and a pending one goes before the next financial request.
    ReversalRetryPolicy,
    /// After a power cycle, a reversal that was due is the first thing the terminal sends.
    ReversalSurvivesPowerCycle,
    /// A financial request is never sent twice with the same STAN.
    NoStanReuse,
    /// A reply that came after the timeout never makes a transaction "approved".
    LateReplyNotApproved,
    /// What the terminal reports matches the host's journal.
    OutcomeMatchesJournal,
    /// The host's net movement equals the sum of the approvals the terminal reported.
    MoneyConserved,
    /// Every reported decline carries the category `declines.yaml` gives for its code; every
    /// link failure is reported as network.
    DeclineCategory,
    /// Failed connects are redialed no sooner than the backoff, and every host the terminal
    /// has (primary, backup) is tried before a transaction fails for want of a connection.
    ConnectRetryPolicy,
    /// Every sale approved offline reaches the host as a 0220 advice before the terminal
    /// settles, and the terminal sends it after the next exchange the host answers.
    AdvicesForwarded,
}

impl CheckId {
    /// All checks, in the order they run.
    pub const ALL: [CheckId; 10] = [
        CheckId::ReversalAfterNoResponse,
        CheckId::ReversalRetryPolicy,
        CheckId::ReversalSurvivesPowerCycle,
        CheckId::NoStanReuse,
        CheckId::LateReplyNotApproved,
        CheckId::OutcomeMatchesJournal,
        CheckId::MoneyConserved,
        CheckId::DeclineCategory,
        CheckId::ConnectRetryPolicy,
        CheckId::AdvicesForwarded,
    ];

    /// The check's name as written in YAML.
    pub fn name(self) -> &'static str {
        match self {
            CheckId::ReversalAfterNoResponse => "reversal_after_no_response",
            CheckId::ReversalRetryPolicy => "reversal_retry_policy",
            CheckId::ReversalSurvivesPowerCycle => "reversal_survives_power_cycle",
            CheckId::NoStanReuse => "no_stan_reuse",
            CheckId::LateReplyNotApproved => "late_reply_not_approved",
            CheckId::OutcomeMatchesJournal => "outcome_matches_journal",
            CheckId::MoneyConserved => "money_conserved",
            CheckId::DeclineCategory => "decline_category",
            CheckId::ConnectRetryPolicy => "connect_retry_policy",
            CheckId::AdvicesForwarded => "advices_forwarded",
        }
    }

    /// Whether the check compares against the reference host's journal, so cannot judge a run
    /// against a real host (`host.upstream`).
    pub fn needs_journal(self) -> bool {
        matches!(
            self,
            CheckId::OutcomeMatchesJournal | CheckId::MoneyConserved | CheckId::AdvicesForwarded
        )
    }

    /// Whether the check judges the dial records the simulation's dialer writes. A terminal
    /// process dials for itself and a refused connect never reaches the proxy, so a live run
    /// has no such records.
    pub fn needs_dial_records(self) -> bool {
        matches!(self, CheckId::ConnectRetryPolicy)
    }

    /// Runs the check; each finding says what happened, where, and what was expected.
    pub fn run(self, input: &CheckInput<'_>) -> Vec<String> {
        match self {
            CheckId::ReversalAfterNoResponse => reversal_after_no_response::check(input),
            CheckId::ReversalRetryPolicy => reversal_retry_policy::check(input),
            CheckId::ReversalSurvivesPowerCycle => reversal_survives_power_cycle::check(input),
            CheckId::NoStanReuse => no_stan_reuse::check(input),
            CheckId::LateReplyNotApproved => late_reply_not_approved::check(input),
            CheckId::OutcomeMatchesJournal => outcome_matches_journal::check(input),
            CheckId::MoneyConserved => money_conserved::check(input),
            CheckId::DeclineCategory => decline_category::check(input),
            CheckId::ConnectRetryPolicy => connect_retry_policy::check(input),
            CheckId::AdvicesForwarded => advices_forwarded::check(input),
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
    /// Why the check could not judge this run (it needs the reference host's journal and the
    /// host was a real one, `host.upstream`): neither a pass nor a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

impl Verdict {
    /// Whether the verdict is what the scenario expects. A check that does not apply is never
    /// held against the run.
    pub fn as_expected(&self) -> bool {
        self.not_applicable.is_some() || self.passed != self.expected_to_fail
    }

    /// Marks the verdict "not applicable" for `why`, dropping what the check said.
    pub fn set_not_applicable(&mut self, why: &str) {
        self.passed = false;
        self.findings.clear();
        self.not_applicable = Some(why.to_string());
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
                not_applicable: None,
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
        && rsp_at.duration() <= req_at.duration() + timeout
        && want_mti.map(|m| m.to_string()) == rsp.mti
        && rsp.field(11) == req.field(11)
        && rsp.field(41) == req.field(41)
        && (rsp.field(4).is_none() || rsp.field(4) == req.field(4))
}

/// The terminal (field 41) each transaction was handed to, from the harness's own command
/// records. Falls back to the scenario's terminal id for transactions it did not hand out.
pub(crate) struct Terminals(std::collections::BTreeMap<String, (String, String)>, String);

impl Terminals {
    pub(crate) fn of(input: &CheckInput<'_>) -> Self {
        let map = input
            .transcript
            .terminal_events()
            .filter_map(|(_, e)| match e {
                crate::terminal::TerminalEvent::Command {
                    terminal, txn, op, ..
                } => Some((txn.clone(), (terminal.clone(), op.clone()))),
                _ => None,
            })
            .collect();
        Terminals(map, input.policy.id.clone())
    }

    /// The terminal id of a transaction.
    pub(crate) fn get(&self, txn: &str) -> &str {
        self.0.get(txn).map_or(self.1.as_str(), |(t, _)| t.as_str())
    }

    /// Whether the transaction moves money (a sale, authorisation or refund), as opposed to
    /// settling a batch. Outcomes the harness did not hand out count as sales.
    pub(crate) fn is_financial(&self, txn: &str) -> bool {
        self.0
            .get(txn)
            .is_none_or(|(_, op)| matches!(op.as_str(), "sale" | "auth" | "refund"))
    }

    /// Whether the transaction pays the cardholder (a refund) rather than charging them.
    pub(crate) fn is_credit(&self, txn: &str) -> bool {
        self.0.get(txn).is_some_and(|(_, op)| op == "refund")
    }
}

/// Whether `mti` is one of `family` or a repeat of one (0401 for 0400, 0221 for 0220): a
/// terminal may mark its resends, and a repeat means what its first send means.
pub(crate) fn is_mti(mti: Option<&str>, family: &[&str]) -> bool {
    mti.and_then(|m| m.parse::<Mti>().ok())
        .is_some_and(|m| family.contains(&m.first_send().as_str()))
}

/// The reversal MTIs: a request (0400) or an advice (0420), and their repeats.
pub(crate) const REVERSALS: &[&str] = &["0400", "0420"];

/// Whether `f` is a reversal of `req`: a 0400 or 0420 towards the host with the same terminal
/// id and either the same STAN or field 90 (or, in UnionPay dialects, field 61) naming it.
pub(crate) fn reverses(f: &FrameEvent, req: &FrameEvent) -> bool {
    let stan = req.field(11);
    f.dir == Direction::ToHost
        && is_mti(f.mti.as_deref(), REVERSALS)
        && f.field(41) == req.field(41)
        && (f.field(11) == stan
            || f.field(90).and_then(|v| v.get(4..10)) == stan
            || (f.field(90).is_none() && f.field(61).and_then(|v| v.get(6..12)) == stan))
}

/// The first valid in-time reply to the request `frames[i]` that the terminal received: one
/// that [`answers`] it and was not delivered after the terminal lost power (a reply that
/// arrives while it is off, or after a reboot, was never read).
pub(crate) fn received_reply<'t>(
    input: &CheckInput<'_>,
    frames: &[(At, &'t FrameEvent)],
    power_offs: &[At],
    i: usize,
) -> Option<&'t FrameEvent> {
    let (at, req) = frames[i];
    frames[i + 1..]
        .iter()
        .find(|&&(rsp_at, rsp)| {
            answers((at, req), (rsp_at, rsp), input.response_timeout())
                && !power_offs.iter().any(|&p| at <= p && p <= rsp_at)
        })
        .map(|&(_, rsp)| rsp)
}

/// Financial requests the terminal sent that got no valid reply in time, in order, with their
/// index in `input.transcript.frames_delivered()`.
pub(crate) fn unanswered<'t>(input: &CheckInput<'t>) -> Vec<(usize, At, &'t FrameEvent)> {
    let frames: Vec<(At, &FrameEvent)> = input.transcript.frames_delivered();
    let power_offs = input.transcript.power_offs();
    frames
        .iter()
        .enumerate()
        .filter(|&(i, (_, req))| {
            req.dir == Direction::ToHost
                && is_reversible(req)
                && received_reply(input, &frames, &power_offs, i).is_none()
        })
        .map(|(i, &(at, req))| (i, at, req))
        .collect()
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Small transcripts for check tests.

    use std::collections::BTreeMap;
    use std::time::Duration;

    use posfault_proxies::fault::Direction;
    use posfault_proxies::link::{Fate, FrameEvent, LinkEvent};

    use crate::check::CheckInput;
    use crate::host::{Decision, JournalEntry};
    use crate::money::Amount;
    use crate::terminal::{TerminalConfig, TerminalEvent};
    use crate::transcript::{At, Event, EventKind, Transcript};

    /// A frame on conn 1 from terminal TERM0001.
    pub fn frame(dir: Direction, mti: &str, stan: &str, fate: Fate) -> EventKind {
        let mut fields = BTreeMap::new();
        fields.insert(4, "000000001234".to_string());
        fields.insert(11, stan.to_string());
        fields.insert(41, "TERM0001".to_string());
        EventKind::Link(LinkEvent::Frame(FrameEvent {
            conn: 1,
            dir,
            mti: Some(mti.into()),
            fields,
            error: None,
            hex: String::new(),
            fate,
            detail: None,
            rule: None,
        }))
    }

    /// A journal entry of TERM0001 for 9.50 at `at` milliseconds (its seq too).
    pub fn entry(at: u64, mti: &str, stan: &str, decision: Decision, rc: &str) -> JournalEntry {
        JournalEntry {
            seq: at,
            at: At(at),
            mti: mti.into(),
            terminal: "TERM0001".into(),
            stan: stan.into(),
            decision,
            rc: rc.into(),
            amount: Some(Amount(950)),
            account: Some("a".into()),
            delta: None,
            balance: None,
            original: None,
            before_run: false,
            reason: None,
            card: None,
        }
    }

    /// A terminal event.
    pub fn term(e: TerminalEvent) -> EventKind {
        EventKind::Terminal(e)
    }

    /// Events at the given milliseconds.
    pub fn transcript(events: Vec<(u64, EventKind)>) -> Transcript {
        Transcript {
            events: events
                .into_iter()
                .enumerate()
                .map(|(i, (ms, kind))| Event {
                    at: At(ms),
                    seq: i as u64,
                    kind,
                })
                .collect(),
        }
    }

    /// Runs `check` with the default policy (60 s timeout, 3 retries, 10 s apart).
    pub fn run(
        check: fn(&CheckInput<'_>) -> Vec<String>,
        t: &Transcript,
        journal: &[JournalEntry],
    ) -> Vec<String> {
        let policy = TerminalConfig::default();
        check(&CheckInput {
            transcript: t,
            journal,
            policy: &policy,
            tick: Duration::from_millis(10),
        })
    }
}
