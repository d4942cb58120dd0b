//! `advices_forwarded`: a sale approved offline exists only in the terminal until its 0220
//! advice reaches the host. Two things go wrong in the field: the terminal settles with the sale
//! in its totals while the host has never seen it (the totals cannot agree and the merchant is
//! not paid for it), or it never sends the advice at all although the host is answering it
//! again. So: every offline approval is posted at the host before that terminal's next
//! settlement request reaches the host, and the terminal tries to send its advice after the next exchange the host
//! answered.
//!
//! Offline approvals are recognised by their response code (EMV's `Y1`, "offline approved",
//! or `Y3`, "unable to go online, approved offline"), the one thing a black-box terminal
//! reports that says "I did not ask the host".

use std::collections::BTreeMap;

use posfault_proxies::fault::Direction;

use crate::check::host_view::{HostFate, host_fates};
use crate::check::{CheckInput, Terminals, is_mti, received_reply};
use crate::declines;
use crate::host::Decision;
use crate::terminal::{TxnResult, is_offline_approval};
use crate::transcript::At;

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let fates = host_fates(input.journal);
    let terminals = Terminals::of(input);
    let frames = input.transcript.frames_delivered();
    let mut findings = Vec::new();
    for (approved_at, o) in input.transcript.outcomes() {
        if o.result != TxnResult::Approved || !is_offline_approval(o.rc.as_deref()) {
            continue;
        }
        let terminal = terminals.get(&o.txn);
        let said = format!(
            "{} (STAN {}) was approved offline at {approved_at}",
            o.txn, o.stan
        );
        if refused_for_good(input, &fates, terminal, &o.stan) {
            // The host (or a switch on the way) said no to the advice for good: the terminal
            // can do nothing more with it, and settles without it. The refusal shows in the
            // transcript; whether it was right is not the terminal's business.
            continue;
        }
        let posted_at = posted_at(input, terminal, &o.stan);
        // Totals sent at all are the mistake, whatever the host made of them (00, or 95 and an
        // upload that closes the batch anyway).
        let settled = input.journal.iter().find(|e| {
            !e.before_run && e.mti == "0500" && e.terminal == terminal && e.at > approved_at
        });
        if let Some(s) = settled
            && posted_at.is_none_or(|p| p > s.at)
        {
            findings.push(format!(
                "{said}, but its advice had not reached the host when the terminal settled at {} \
                 (0500 STAN {}): the terminal's totals include a sale the host never saw; expected \
                 every queued 0220 to be posted (00 or 94) before the settlement request",
                s.at, s.stan
            ));
        }
        if posted_at.is_some() {
            continue;
        }
        // The first online transaction of this terminal the host decided and the terminal
        // finished (approved or declined) after the offline approval: the link worked and the
        // terminal was done with it. One it could not finish (reversed, failed) is no chance.
        let Some((answered_at, _)) = input.transcript.outcomes().find(|(at, later)| {
            *at > approved_at
                && terminals.get(&later.txn) == terminal
                && terminals.is_financial(&later.txn)
                && (later.result == TxnResult::Declined
                    || (later.result == TxnResult::Approved
                        && !is_offline_approval(later.rc.as_deref())))
        }) else {
            continue;
        };
        let tried = frames.iter().any(|(at, f)| {
            *at >= answered_at
                && f.dir == Direction::ToHost
                && is_mti(f.mti.as_deref(), &["0220"])
                && f.field(41) == Some(terminal)
                && f.field(11) == Some(o.stan.as_str())
        });
        if !tried {
            findings.push(format!(
                "{said}, and the terminal finished an online transaction with the host at \
                 {answered_at}, but no 0220 advice for STAN {} was sent by the end of the run; \
                 expected the queued advice after the next online transaction",
                o.stan
            ));
        }
    }
    findings
}

/// Whether the advice for (terminal, STAN) got a final refusal: the host journalled one, or
/// the first valid in-time 0230 the terminal received for a send of it carries a code other
/// than 00, 94 or a "try later" (91, 96). A corrupted, late or mismatched 0230, or one that
/// came while the terminal was off, refuses nothing: the advice must be kept and sent again.
fn refused_for_good(
    input: &CheckInput<'_>,
    fates: &BTreeMap<(String, String), HostFate>,
    terminal: &str,
    stan: &str,
) -> bool {
    let final_no = |rc: &str| !matches!(rc, "00" | "94") && !declines::try_later(rc);
    let by_host = matches!(
        fates.get(&(terminal.to_string(), stan.to_string())),
        Some(HostFate::Declined { rc, advice: true }) if final_no(rc)
    );
    if by_host {
        return true;
    }
    let frames = input.transcript.frames_delivered();
    let power_offs = input.transcript.power_offs();
    frames.iter().enumerate().any(|(i, (_, advice))| {
        advice.dir == Direction::ToHost
            && is_mti(advice.mti.as_deref(), &["0220"])
            && advice.field(41) == Some(terminal)
            && advice.field(11) == Some(stan)
            && received_reply(input, &frames, &power_offs, i)
                .and_then(|rsp| rsp.field(39))
                .is_some_and(final_no)
    })
}

/// When the host posted the advice for (terminal, STAN). A 94 alone proves nothing: the host
/// may hold another transaction under that STAN, and the offline sale is then lost.
fn posted_at(input: &CheckInput<'_>, terminal: &str, stan: &str) -> Option<At> {
    input
        .journal
        .iter()
        .find(|e| {
            !e.before_run
                && is_mti(Some(&e.mti), &["0220"])
                && e.terminal == terminal
                && e.stan == stan
                && e.decision == Decision::Posted
        })
        .map(|e| e.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{entry, frame, run, term, transcript};
    use crate::terminal::{Outcome, TerminalEvent};
    use crate::transcript::EventKind;
    use Direction::{ToHost, ToTerminal};
    use posfault_proxies::link::Fate;

    fn offline(txn: &str, stan: &str) -> TerminalEvent {
        TerminalEvent::Outcome(Outcome::approved_offline(txn, stan))
    }

    fn online(stan: &str) -> EventKind {
        term(TerminalEvent::Outcome(Outcome::answered("t2", stan, "00")))
    }

    #[test]
    fn advice_posted_before_settlement_passes() {
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Forwarded)),
        ]);
        let journal = [
            entry(5030, "0220", "000001", Decision::Posted, "00"),
            entry(60_000, "0500", "000003", Decision::Accepted, "00"),
        ];
        assert!(run(check, &t, &journal).is_empty());
    }

    #[test]
    fn settling_before_the_advice_is_posted_fails() {
        let t = transcript(vec![(1000, term(offline("t1", "000001")))]);
        let journal = [entry(60_000, "0500", "000002", Decision::Accepted, "00")];
        let f = run(check, &t, &journal);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].starts_with("t1 (STAN 000001) was approved offline at 1.000s")
                && f[0].contains("settled at 60.000s (0500 STAN 000002)"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn a_y3_offline_approval_is_judged_like_y1() {
        let mut o = Outcome::approved_offline("t1", "000001");
        o.rc = Some("Y3".into());
        let t = transcript(vec![(1000, term(TerminalEvent::Outcome(o)))]);
        let journal = [entry(60_000, "0500", "000002", Decision::Accepted, "00")];
        let f = run(check, &t, &journal);
        assert!(f[0].contains("had not reached the host"), "{f:?}");
    }

    #[test]
    fn settling_with_a_mismatch_still_counts_as_settling() {
        let t = transcript(vec![(1000, term(offline("t1", "000001")))]);
        let journal = [entry(60_000, "0500", "000002", Decision::Declined, "95")];
        let f = run(check, &t, &journal);
        assert!(f[0].contains("settled at 60.000s"), "{}", f[0]);
    }

    #[test]
    fn a_94_counts_only_after_the_advice_was_posted() {
        let t = transcript(vec![(1000, term(offline("t1", "000001")))]);
        let resent = [
            entry(5030, "0220", "000001", Decision::Posted, "00"),
            entry(50_000, "0220", "000001", Decision::Declined, "94"),
            entry(60_000, "0500", "000002", Decision::Accepted, "00"),
        ];
        assert!(run(check, &t, &resent).is_empty());
        // A 94 for a STAN the host holds for another transaction: the offline sale is lost.
        let collided = [
            entry(5030, "0220", "000001", Decision::Declined, "94"),
            entry(60_000, "0500", "000002", Decision::Accepted, "00"),
        ];
        let f = run(check, &t, &collided);
        assert!(f[0].contains("had not reached the host"), "{}", f[0]);
    }

    #[test]
    fn no_advice_after_the_next_online_sale_fails() {
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
        ]);
        let f = run(check, &t, &[]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("finished an online transaction with the host at 5.010s")
                && f[0].contains("no 0220 advice for STAN 000001"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn an_advice_lost_on_the_way_still_counts_as_tried() {
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Dropped)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn an_online_sale_the_terminal_could_not_finish_is_no_chance_to_forward() {
        let failed = Outcome::failed(
            "t2",
            "000002",
            crate::terminal::FailReason::NotCompleted,
            crate::terminal::ReversalState::Acknowledged,
        );
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5000, frame(ToHost, "0200", "000002", Fate::Forwarded)),
            (5010, frame(ToTerminal, "0210", "000002", Fate::Forwarded)),
            (5100, term(TerminalEvent::Outcome(failed))),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    /// A 0230 reaching the terminal with `rc`.
    fn advice_answer(stan: &str, rc: &str) -> EventKind {
        let mut k = frame(ToTerminal, "0230", stan, Fate::Forwarded);
        if let EventKind::Link(posfault_proxies::link::LinkEvent::Frame(f)) = &mut k {
            f.fields.insert(39, rc.into());
        }
        k
    }

    #[test]
    fn an_advice_refused_for_good_may_be_left_out_of_settlement() {
        let settled = [entry(60_000, "0500", "000003", Decision::Accepted, "00")];
        // Refused on the way (the host journal has no trace of it).
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Forwarded)),
            (5030, advice_answer("000001", "30")),
        ]);
        assert!(run(check, &t, &settled).is_empty());
        // A refusal that answers no advice the terminal sent (another STAN's 0230 with this
        // STAN corrupted in, or one past the timeout) excuses nothing.
        let late = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Forwarded)),
            (90_000, advice_answer("000001", "30")),
        ]);
        let f = run(check, &late, &settled);
        assert!(f[0].contains("had not reached the host"), "{f:?}");
        let unasked = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5030, advice_answer("000001", "30")),
        ]);
        assert!(!run(check, &unasked, &settled).is_empty());
        // A refusal that came while the terminal was off was never read.
        let unread = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Forwarded)),
            (5025, term(TerminalEvent::PowerOff)),
            (5030, advice_answer("000001", "30")),
        ]);
        let f = run(check, &unread, &settled);
        assert!(f[0].contains("had not reached the host"), "{f:?}");
        // Refused by the host.
        let t = transcript(vec![(1000, term(offline("t1", "000001")))]);
        let mut journal = vec![entry(5030, "0220", "000001", Decision::Declined, "14")];
        journal.extend(settled.clone());
        assert!(run(check, &t, &journal).is_empty());
    }

    #[test]
    fn a_try_later_refusal_is_no_excuse_to_settle_without_the_advice() {
        let t = transcript(vec![
            (1000, term(offline("t1", "000001"))),
            (5010, online("000002")),
            (5020, frame(ToHost, "0220", "000001", Fate::Forwarded)),
            (5030, advice_answer("000001", "91")),
        ]);
        let journal = [
            entry(5025, "0220", "000001", Decision::Declined, "91"),
            entry(60_000, "0500", "000003", Decision::Accepted, "00"),
        ];
        let f = run(check, &t, &journal);
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("had not reached the host"), "{}", f[0]);
        // Posted on a later send: fine.
        let mut posted = journal.to_vec();
        posted.insert(1, entry(40_000, "0221", "000001", Decision::Posted, "00"));
        assert!(run(check, &t, &posted).is_empty());
    }
}
