//! Sales approved before the run.

use super::messages::settle;
use super::*;

#[test]
fn history_is_journalled_first_and_makes_a_reused_stan_a_duplicate() {
    let mut h = host_with(
        "history:\n  - {terminal: TERM0001, stan: \"000001\", card: credit, amount: \"3.00\"}\n",
    );
    let first = &h.journal()[0];
    assert_eq!((first.seq, first.decision), (1, Decision::Approved));
    assert_eq!(balance(&h, "B"), 200);
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000001", 100)), "94");
    assert_eq!(balance(&h, "B"), 200, "no second debit");
    assert_eq!(
        rc(&mut h, &settle("000002", 0, 0)),
        "95",
        "the host's batch has it"
    );
    assert_eq!(rc(&mut h, &settle("000003", 1, 300)), "00");
}

#[test]
fn history_naming_an_unknown_card_is_a_located_error() {
    let text = format!(
        "{BASE}history:\n  - {{terminal: TERM0001, stan: \"000001\", card: nope, amount: \"3.00\"}}\n"
    );
    let err = load_host_str(&text, "h.yaml").unwrap_err()[0].to_string();
    assert!(err.contains("history[0].card: no card \"nope\""), "{err}");
}
