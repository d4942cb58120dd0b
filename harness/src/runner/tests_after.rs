//! Steps scheduled `after` others, run end to end in the simulation: when they start, what a
//! power cycle timed that way cuts, what happens when the outcome they follow never comes, and
//! whose outcome a fleet member follows.

use std::time::Duration;

use crate::runner::run;
use crate::scenario::load_str;
use crate::terminal::TerminalEvent;
use crate::transcript::Transcript;

/// A scenario with one card and `terminal` / `schedule` as given (YAML, indented two spaces).
fn scenario(terminal: &str, schedule: &str) -> crate::scenario::Scenario {
    let text = format!(
        "name: t\n\
         description: d\n\
         tick: 10ms\n\
         terminal: {terminal}\n\
         host:\n  \
           accounts: [{{id: a, balance: \"100.00\"}}]\n  \
           cards: [{{id: visa, pan: \"4761739001010010\", account: a}}]\n\
         schedule:\n{schedule}"
    );
    load_str(&text, "t.yaml").unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// When the command `txn` was handed out.
fn command_at(t: &Transcript, txn: &str) -> Option<Duration> {
    t.terminal_events().find_map(|(at, e)| match e {
        TerminalEvent::Command { txn: id, .. } if id == txn => Some(at.duration()),
        _ => None,
    })
}

/// When the outcome of `txn` was reported.
fn outcome_at(t: &Transcript, txn: &str) -> Option<Duration> {
    t.outcomes()
        .find_map(|(at, o)| (o.txn == txn).then(|| at.duration()))
}

#[test]
fn a_step_after_another_starts_wait_after_its_outcome() {
    let s = scenario(
        "{}",
        "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n  \
           - refund: {id: r1, after: t1, wait: 2500ms, amount: \"1.00\", card: visa}\n  \
           - settle: {id: s1, after: r1}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?}", r.verdicts);
    let t = &r.transcript;
    let t1 = outcome_at(t, "t1").expect("t1 reported");
    assert_eq!(command_at(t, "r1"), Some(t1 + Duration::from_millis(2500)));
    // Without `wait`, the very moment the outcome is reported.
    assert_eq!(command_at(t, "s1"), outcome_at(t, "r1"));
}

#[test]
fn a_power_cycle_after_a_transaction_cuts_wait_after_its_outcome() {
    let s = scenario(
        "{}",
        "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n  \
           - power_cycle: {after_txn: t1, wait: 2s, off_for: 3s}\n  \
           - sale: {id: t2, at: 20s, amount: \"1.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?}", r.verdicts);
    let t1 = outcome_at(&r.transcript, "t1").expect("t1 reported");
    // The plan acts between simulation steps: the cut lands on the first tick at or after
    // the due time, which at a 10ms tick with outcomes on tick boundaries is the time itself.
    assert_eq!(
        r.transcript.power_offs().first().map(|a| a.duration()),
        Some(t1 + Duration::from_secs(2))
    );
}

#[test]
fn a_step_after_a_transaction_that_never_reported_is_skipped_and_the_rest_runs() {
    // Power goes right after t1's 0200 leaves: t1's command was taken and has no outcome, so
    // t2 (after t1) can never be due. It is skipped, noted, and t3 still runs at its time.
    let s = scenario(
        "{response_timeout: 60s}",
        "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n  \
           - power_cycle: {after: {direction: to_host, mti: [\"0200\"]}, off_for: 5s}\n  \
           - sale: {id: t2, after: t1, amount: \"1.00\", card: visa}\n  \
           - sale: {id: t3, at: 30s, amount: \"1.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.error.is_none(), "{:?}", r.error);
    let skipped: Vec<_> = r
        .transcript
        .terminal_events()
        .filter_map(|(_, e)| match e {
            TerminalEvent::Skipped { txn, op, after } => {
                Some((txn.as_str(), op.as_str(), after.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(skipped, [("t2", "sale", "t1")]);
    assert_eq!(command_at(&r.transcript, "t2"), None);
    assert_eq!(
        command_at(&r.transcript, "t3"),
        Some(Duration::from_secs(30))
    );
}

#[test]
fn a_fleet_member_follows_its_own_transaction() {
    let s = scenario(
        "{fleet: {count: 2, stagger: 5s}}",
        "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n  \
           - sale: {id: t2, after: t1, wait: 1s, amount: \"1.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?}", r.verdicts);
    let t = &r.transcript;
    for member in ["TERM0001", "TERM0002"] {
        let first = outcome_at(t, &format!("t1@{member}")).expect("its t1 reported");
        assert_eq!(
            command_at(t, &format!("t2@{member}")),
            Some(first + Duration::from_secs(1)),
            "{member}"
        );
    }
    // The second member's t1 is staggered 5s: its t2 did not follow the first member's t1.
    assert!(
        command_at(t, "t2@TERM0002") > Some(Duration::from_secs(6)),
        "{:?}",
        command_at(t, "t2@TERM0002")
    );
}
