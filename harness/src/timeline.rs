//! The human-readable timeline and verdict lines printed by `posfault run`.

use std::fmt::Write;

use posfault_proxies::link::{Fate, LinkEvent};

use crate::host::JournalEntry;
use crate::runner::RunReport;
use crate::terminal::TerminalEvent;
use crate::transcript::{EventKind, HostEvent, Transcript};

/// One line per event: time, actor, what happened.
pub fn render(t: &Transcript) -> String {
    let mut out = String::new();
    for e in &t.events {
        let actor = format!("{:?}", e.kind.actor()).to_lowercase();
        let _ = writeln!(
            out,
            "{:>10}  {actor:<8}  {}",
            e.at.to_string(),
            line(&e.kind)
        );
    }
    out
}

/// One event as the timeline writes it, without its time.
pub fn line(kind: &EventKind) -> String {
    match kind {
        EventKind::Link(l) => match l {
            LinkEvent::ConnOpened { conn, route } if route.is_primary() => {
                format!("conn {conn} opened")
            }
            LinkEvent::ConnOpened { conn, route } => {
                format!("conn {conn} opened ({} route)", route.name())
            }
            LinkEvent::UpstreamFailed { conn, error } => {
                format!("conn {conn}: cannot reach host: {error}")
            }
            LinkEvent::ConnFault { conn, rule, what } => {
                format!("conn {conn} {what} by rule \"{rule}\"")
            }
            LinkEvent::Refusing { rule, until } => {
                format!("REFUSING connections until {until} by rule \"{rule}\"")
            }
            LinkEvent::Listening { rule } => format!("listening again after rule \"{rule}\""),
            LinkEvent::Delivered {
                conn,
                dir,
                mti,
                stan,
            } => format!(
                "conn {conn} {} {} STAN {} delivered (late)",
                dir.arrow(),
                mti.as_deref().unwrap_or("frame"),
                stan.as_deref().unwrap_or("-")
            ),
            LinkEvent::ConnClosed { conn, side, how } => {
                format!("conn {conn} closed by {side:?} ({how})").to_lowercase()
            }
            LinkEvent::Frame(f) => {
                let mut s = format!("conn {} {} ", f.conn, f.dir.arrow());
                match &f.mti {
                    Some(mti) => {
                        let _ = write!(s, "{mti} STAN {}", f.field(11).unwrap_or("-"));
                        if let Some(rc) = f.field(39) {
                            let _ = write!(s, " RC {rc}");
                        }
                    }
                    None => {
                        let _ = write!(s, "unreadable frame: {}", f.error.as_deref().unwrap_or(""));
                    }
                }
                if f.fate != Fate::Forwarded {
                    let fate = format!("{:?}", f.fate).to_uppercase();
                    let _ = write!(s, "  {fate}");
                }
                if let Some(detail) = &f.detail {
                    let _ = write!(s, " ({detail})");
                }
                if let Some(rule) = &f.rule {
                    let _ = write!(s, " by rule \"{rule}\"");
                }
                s
            }
        },
        EventKind::Host(HostEvent::Journal { entry: j }) => journal_line(j),
        EventKind::Host(HostEvent::Down) => "HOST DOWN (crashed; the journal survives)".to_string(),
        EventKind::Host(HostEvent::Up) => "host up".to_string(),
        EventKind::Terminal(t) => match t {
            TerminalEvent::Command {
                terminal,
                txn,
                op,
                amount,
                card,
            } => {
                if card.is_empty() {
                    format!("{op} {txn} on {terminal}")
                } else {
                    format!("{op} {txn} on {terminal}: amount {amount}, card {card}")
                }
            }
            TerminalEvent::Unsupported { txn, op } => {
                format!("{op} {txn}: not supported by this terminal")
            }
            TerminalEvent::Skipped { txn, op, after } => {
                format!("{op} {txn} skipped: {after}, which it follows, reported no outcome")
            }
            TerminalEvent::AdviceRefused {
                stan,
                rc,
                kept: true,
            } => {
                format!("advice for STAN {stan} refused with RC {rc}; kept for later")
            }
            TerminalEvent::AdviceRefused {
                stan,
                rc,
                kept: false,
            } => format!(
                "advice for STAN {stan} refused with RC {rc}; dropped from the queue and the batch"
            ),
            TerminalEvent::ManagementFailed { what, stan, why } => {
                format!("{what} (STAN {stan}) failed: {why}")
            }
            TerminalEvent::DialFailed {
                terminal,
                route,
                error,
            } => {
                format!("{terminal} dial {} host failed: {error}", route.name())
            }
            TerminalEvent::ConnectFailed { stan, error } => {
                format!("connect failed (STAN {stan}): {error}")
            }
            TerminalEvent::Timeout { stan, after } => {
                format!("timeout: no reply to STAN {stan} within {after}")
            }
            TerminalEvent::ConnectionLost { stan, error } => {
                format!("connection lost waiting for STAN {stan}: {error}")
            }
            TerminalEvent::NotCompleted { stan, why } => {
                format!("STAN {stan} approved by the host but not completed: {why}")
            }
            TerminalEvent::InvalidReply { stan, why } => {
                format!("invalid reply to STAN {stan}: {why}")
            }
            TerminalEvent::ReversalQueued { stan, reason } => {
                format!("reversal due for STAN {stan}, reason {reason}")
            }
            TerminalEvent::ReversalSent { stan, attempt } => {
                format!("reversal of STAN {stan} sent (attempt {attempt})")
            }
            TerminalEvent::ReversalAcked { stan, rc } => {
                format!("reversal of STAN {stan} acknowledged, RC {rc}")
            }
            TerminalEvent::ReversalUnanswered { stan, attempt, why } => {
                format!("reversal of STAN {stan} attempt {attempt} unanswered: {why}")
            }
            TerminalEvent::ReversalPending { stan, attempts } => {
                format!("reversal of STAN {stan} still pending after {attempts} sends")
            }
            TerminalEvent::LateReply { stan, mti, rc } => {
                format!(
                    "late reply {mti} to STAN {stan} (RC {}) ignored",
                    rc.as_deref().unwrap_or("-")
                )
            }
            TerminalEvent::PowerOff => "POWER OFF".to_string(),
            TerminalEvent::PowerOn => "power on".to_string(),
            TerminalEvent::Outcome(o) => format!("OUTCOME {}: {}", o.txn, o.display),
            TerminalEvent::Note { text } => format!("note: {text}"),
            TerminalEvent::Log { stream, line } => format!("{stream}: {line}"),
        },
    }
}

/// One journal entry as a timeline line (also printed by `posfault host`).
pub fn journal_line(j: &JournalEntry) -> String {
    let mut s = format!(
        "journal #{} {} STAN {} {}",
        j.seq,
        j.mti,
        j.stan,
        j.decision.as_str()
    );
    if !j.rc.is_empty() {
        let _ = write!(s, " RC {}", j.rc);
    }
    if let (Some(acct), Some(delta), Some(bal)) = (&j.account, j.delta, j.balance) {
        let _ = write!(s, ", {acct} {delta:+} = {bal}", delta = DeltaFmt(delta.0));
    }
    if let Some(reason) = &j.reason {
        let _ = write!(s, " ({reason})");
    }
    s
}

struct DeltaFmt(i64);

impl std::fmt::Display for DeltaFmt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        write!(f, "{sign}{}", crate::money::Amount(self.0.abs()))
    }
}

/// The verdict block for one run: a PASS/FAIL line, a count of checks, the findings of every
/// check that did not do what the scenario expects (all findings when `verbose`), and a replay
/// command on failure.
pub fn verdict(r: &RunReport, file: &str, verbose: bool) -> String {
    let mut out = String::new();
    let status = if r.passed { "PASS" } else { "FAIL" };
    let live = if r.mode == crate::runner::RunMode::Live {
        ", live"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{status} {} (seed {}{live}) {file}",
        r.scenario, r.seed
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "  error: {e}");
    }
    let passed = r
        .verdicts
        .iter()
        .filter(|v| v.passed && !v.expected_to_fail)
        .count();
    let not_applicable: Vec<_> = r
        .verdicts
        .iter()
        .filter(|v| v.not_applicable.is_some())
        .map(|v| v.check.name())
        .collect();
    let caught: Vec<_> = r
        .verdicts
        .iter()
        .filter(|v| !v.passed && v.expected_to_fail && v.not_applicable.is_none())
        .map(|v| v.check.name())
        .collect();
    let mut line = format!("  checks: {passed} passed");
    if !caught.is_empty() {
        let _ = write!(
            line,
            ", {} failed as expected ({})",
            caught.len(),
            caught.join(", ")
        );
    }
    if !not_applicable.is_empty() {
        let _ = write!(
            line,
            ", {} not applicable ({})",
            not_applicable.len(),
            not_applicable.join(", ")
        );
    }
    let _ = writeln!(out, "{line}");
    for v in &r.verdicts {
        if let Some(why) = &v.not_applicable {
            if verbose {
                let _ = writeln!(out, "  n/a  {}: not applicable: {why}", v.check);
            }
            continue;
        }
        if v.as_expected() && !verbose {
            continue;
        }
        let (mark, note) = match (v.passed, v.expected_to_fail) {
            (true, false) => ("ok  ", "passed"),
            (false, true) => ("ok  ", "failed, as the scenario expects"),
            (true, true) => (
                "FAIL",
                "passed, but the scenario expects it to fail: the oracle missed the defect",
            ),
            (false, false) => ("FAIL", "failed"),
        };
        if v.passed && !v.expected_to_fail {
            continue;
        }
        let _ = writeln!(out, "  {mark} {}: {note}", v.check);
        for f in &v.findings {
            let _ = writeln!(out, "         {f}");
        }
    }
    for m in &r.mismatches {
        let _ = writeln!(out, "  FAIL {}: {}", m.subject(), m.problem);
    }
    if !r.passed {
        let _ = writeln!(out, "  replay: posfault run --seed {} {file}", r.seed);
    }
    out
}
