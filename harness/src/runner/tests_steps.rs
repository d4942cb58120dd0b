//! The `auth` and `refund` steps and steps scheduled `after` others, run end to end in the
//! simulation: what goes on the wire for an authorisation's reversal and a refund's settlement,
//! when a follower starts, what a power cycle timed that way cuts, what happens when the
//! outcome a step follows never comes, and whose outcome a fleet member follows.

use std::time::Duration;

use crate::runner::run;
use crate::scenario::load_str;
use crate::terminal::TerminalEvent;
use crate::transcript::Transcript;
use posfault_proxies::fault::Direction;

/// A scenario with one card and `terminal` / `schedule` as given (YAML, indented two spaces).
fn scenario(terminal: &str, schedule: &str) -> crate::scenario::Scenario {
    scenario_with("", terminal, schedule)
}

/// Like [`scenario`], with top-level settings (`dialect`, `faults`...) in `extra`.
fn scenario_with(extra: &str, terminal: &str, schedule: &str) -> crate::scenario::Scenario {
    let text = format!(
        "name: t\n\
         description: d\n\
         tick: 10ms\n\
         {extra}\
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

/// The fields of every frame with MTI `mti` the terminal sent.
fn sent(t: &Transcript, mti: &str) -> Vec<std::collections::BTreeMap<u8, String>> {
    t.frames()
        .filter(|(_, f)| f.dir == Direction::ToHost && f.mti.as_deref() == Some(mti))
        .map(|(_, f)| f.fields.clone())
        .collect()
}

const LOSE_0110: &str = "faults:\n  \
    - {name: lose, when: {direction: to_terminal, mti: [\"0110\"]}, action: {kind: drop_frame}}\n";

#[test]
fn an_unanswered_authorisation_is_reversed_naming_the_0100_in_field_90() {
    let s = scenario_with(
        LOSE_0110,
        "{response_timeout: 30s}",
        "  - auth: {id: a1, at: 1s, amount: \"50.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?} {:?}", r.verdicts, r.mismatches);
    let auths = sent(&r.transcript, "0100");
    let reversals = sent(&r.transcript, "0400");
    assert_eq!((auths.len(), reversals.len()), (1, 1));
    let stan = &auths[0][&11];
    let f90 = &reversals[0][&90];
    assert!(f90.starts_with(&format!("0100{stan}")), "{f90}");
    assert_eq!(&reversals[0][&11], stan);
    // Held, then released: the cardholder ends where they started.
    assert_eq!(
        r.journal.last().and_then(|e| e.balance),
        Some(crate::money::Amount(10_000))
    );
}

#[test]
fn in_a_dialect_without_field_90_the_auth_reversal_names_it_in_field_61() {
    let s = scenario_with(
        &format!("dialect: cup\nframing: bcd2\nenvelope: \"6000030000\"\n{LOSE_0110}"),
        "{response_timeout: 30s}",
        "  - auth: {id: a1, at: 1s, amount: \"50.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?} {:?}", r.verdicts, r.mismatches);
    let reversals = sent(&r.transcript, "0400");
    assert_eq!(reversals.len(), 1);
    assert!(!reversals[0].contains_key(&90));
    let stan = &sent(&r.transcript, "0100")[0][&11];
    assert!(
        reversals[0][&61].contains(stan.as_str()),
        "{:?}",
        reversals[0]
    );
}

#[test]
fn refunds_settle_as_credits_and_authorisations_not_at_all() {
    let s = scenario(
        "{}",
        "  - sale: {id: t1, at: 1s, amount: \"12.34\", card: visa}\n  \
           - auth: {id: a1, at: 2s, amount: \"40.00\", card: visa}\n  \
           - refund: {id: r1, at: 3s, amount: \"2.50\", card: visa}\n  \
           - refund: {id: r2, at: 4s, amount: \"1.00\", card: visa}\n  \
           - settle: {id: s1, at: 10s}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?} {:?}", r.verdicts, r.mismatches);
    let refunds: Vec<_> = sent(&r.transcript, "0200")
        .into_iter()
        .map(|f| f[&3].clone())
        .collect();
    assert_eq!(refunds, ["000000", "200000", "200000"]);
    let totals = &sent(&r.transcript, "0500")[0];
    let field = |n: u8| totals[&n].as_str();
    assert_eq!(
        (field(74), field(86), field(76), field(88)),
        (
            "0000000002",
            "0000000000000350",
            "0000000001",
            "0000000000001234"
        )
    );
    let s1 = r.outcomes.iter().find(|o| o.txn == "s1").expect("s1");
    assert_eq!(s1.rc.as_deref(), Some("00"), "the host's totals agree");
}

#[test]
fn the_offline_floor_limit_approves_small_purchases_only_never_auths_or_refunds() {
    let s = scenario(
        "{offline_floor_limit: \"10.00\"}",
        "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n  \
           - auth: {id: a1, at: 2s, amount: \"1.00\", card: visa}\n  \
           - refund: {id: r1, at: 3s, amount: \"1.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?} {:?}", r.verdicts, r.mismatches);
    // The sale is approved offline and forwarded as an advice; the others go online.
    assert_eq!(sent(&r.transcript, "0100").len(), 1);
    let online: Vec<_> = sent(&r.transcript, "0200")
        .into_iter()
        .map(|f| f[&3].clone())
        .collect();
    assert_eq!(online, ["200000"]);
    assert_eq!(sent(&r.transcript, "0220").len(), 1);
}

#[test]
fn a_sale_that_went_out_unanswered_is_reversed_never_approved_as_unable_to_go_online() {
    // The reply is lost: the 0200 may be at the host, so the terminal must reverse it, not
    // approve it offline. Only a sale no dial could carry is approved with Y3.
    let s = scenario_with(
        "faults:\n  \
           - {name: lose-reply, when: {direction: to_terminal, mti: [\"0210\"]}, action: {kind: drop_frame}}\n",
        "{unable_to_go_online_limit: \"30.00\", response_timeout: 5s}",
        "  - sale: {id: t1, at: 1s, amount: \"12.00\", card: visa}\n",
    );
    let r = run(&s, 1);
    assert!(r.passed, "{:?} {:?}", r.verdicts, r.mismatches);
    let t1 = r.outcomes.iter().find(|o| o.txn == "t1").expect("t1");
    assert_eq!(
        (t1.result, t1.rc.as_deref()),
        (crate::terminal::TxnResult::Failed, None),
        "{t1:?}"
    );
    assert_eq!(sent(&r.transcript, "0400").len(), 1, "reversed");
    assert!(sent(&r.transcript, "0220").is_empty(), "no advice");
}
