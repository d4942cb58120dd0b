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

fn line(kind: &EventKind) -> String {
    match kind {
        EventKind::Link(l) => match l {
            LinkEvent::ConnOpened { conn } => format!("conn {conn} opened"),
            LinkEvent::UpstreamFailed { conn, error } => {
                format!("conn {conn}: cannot reach host: {error}")
            }
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
                    let _ = write!(s, "  {:?}", f.fate);
                    s = s.replace("Dropped", "DROPPED");
                }
                if let Some(rule) = &f.rule {
                    let _ = write!(s, " by rule \"{rule}\"");
                }
                s
            }
        },
        EventKind::Host(HostEvent::Journal { entry: j }) => journal_line(j),
        EventKind::Terminal(t) => match t {
            TerminalEvent::TxnStarted {
                txn,
                op,
                stan,
                amount,
                card,
            } => {
                format!("{op} {txn}: STAN {stan}, amount {amount}, card {card}")
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
            TerminalEvent::Outcome(o) => format!("OUTCOME {}: {}", o.txn, o.display),
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

/// The verdict block for one run: a PASS/FAIL line, then one line per check and problem.
pub fn verdict(r: &RunReport, file: &str) -> String {
    let mut out = String::new();
    let status = if r.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "{status} {} (seed {}) {file}", r.scenario, r.seed);
    if let Some(e) = &r.error {
        let _ = writeln!(out, "  error: {e}");
    }
    for v in &r.verdicts {
        let mark = if v.as_expected() { "ok  " } else { "FAIL" };
        let note = match (v.passed, v.expected_to_fail) {
            (true, false) => "passed".to_string(),
            (false, true) => "failed, as the scenario expects".to_string(),
            (true, true) => {
                "passed, but the scenario expects it to fail: the oracle missed the defect"
                    .to_string()
            }
            (false, false) => "failed".to_string(),
        };
        let _ = writeln!(out, "  {mark} {}: {note}", v.check);
        for f in &v.findings {
            let _ = writeln!(out, "         {f}");
        }
    }
    for m in &r.mismatches {
        let _ = writeln!(out, "  FAIL outcome {}: {}", m.txn, m.problem);
    }
    if !r.passed {
        let _ = writeln!(out, "  replay: posfault run --seed {} {file}", r.seed);
    }
    out
}
