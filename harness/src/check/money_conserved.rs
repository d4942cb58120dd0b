//! `money_conserved`: the money the host took from cardholders equals the approvals the merchant
//! was told about (sales and authorisations taken, refunds paid back). Transactions the terminal
//! reported as "reversal pending" are set aside: their money is honestly in doubt until the
//! reversal lands; so are offline approvals whose advice the host has not posted yet: their
//! money moves when it does.

use std::collections::BTreeMap;

use crate::check::host_view::{HostFate, host_fates, net_movement};
use crate::check::{CheckInput, Terminals};
use crate::money::Amount;
use crate::terminal::{ReversalState, TerminalEvent, TxnResult, is_offline_approval};

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let amounts: BTreeMap<&str, Amount> = input
        .transcript
        .terminal_events()
        .filter_map(|(_, e)| match e {
            TerminalEvent::Command { txn, amount, .. } => Some((txn.as_str(), *amount)),
            _ => None,
        })
        .collect();
    let fates = host_fates(input.journal);
    let terminals = Terminals::of(input);
    let mut reported = 0i64;
    let mut in_doubt = 0i64;
    for (_, o) in input.transcript.outcomes() {
        let amount = amounts.get(o.txn.as_str()).copied().unwrap_or_default().0;
        let amount = if terminals.is_credit(&o.txn) {
            -amount
        } else {
            amount
        };
        match o.result {
            TxnResult::Approved
                if is_offline_approval(o.rc.as_deref())
                    && !matches!(
                        fates.get(&(terminals.get(&o.txn).to_string(), o.stan.clone())),
                        Some(HostFate::Charged { .. })
                    ) => {}
            TxnResult::Approved => reported += amount,
            TxnResult::Failed if o.reversal == Some(ReversalState::Pending) => {
                if let Some(HostFate::Charged { delta, .. }) =
                    fates.get(&(terminals.get(&o.txn).to_string(), o.stan.clone()))
                {
                    in_doubt -= delta.0;
                }
            }
            _ => {}
        }
    }
    let taken = -net_movement(input.journal).0 - in_doubt;
    if taken == reported {
        return Vec::new();
    }
    let charged: Vec<String> = fates
        .iter()
        .filter_map(|((_, stan), f)| match f {
            HostFate::Charged { amount, .. } => Some(format!("STAN {stan} {amount}")),
            _ => None,
        })
        .collect();
    vec![format!(
        "the host took {} from cardholders (charged: {}) but the terminal reported approvals of {}; \
         the difference of {} is money the merchant does not know about",
        Amount(taken),
        if charged.is_empty() {
            "none".to_string()
        } else {
            charged.join(", ")
        },
        Amount(reported),
        Amount(taken - reported),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{run, term, transcript};
    use crate::host::{Decision, JournalEntry};
    use crate::terminal::{FailReason, Outcome};
    use crate::transcript::At;

    fn debit() -> JournalEntry {
        JournalEntry {
            seq: 1,
            at: At(1000),
            mti: "0200".into(),
            terminal: "TERM0001".into(),
            stan: "000001".into(),
            decision: Decision::Approved,
            rc: "00".into(),
            amount: Some(Amount(1234)),
            account: Some("a".into()),
            delta: Some(Amount(-1234)),
            balance: Some(Amount(0)),
            original: None,
            before_run: false,
            reason: None,
            card: None,
        }
    }

    fn started() -> TerminalEvent {
        TerminalEvent::Command {
            terminal: "TERM0001".into(),
            txn: "t1".into(),
            op: "sale".into(),
            amount: Amount(1234),
            card: "476173******0010".into(),
        }
    }

    fn outcome(result: TxnResult, reversal: Option<ReversalState>) -> TerminalEvent {
        TerminalEvent::Outcome(Outcome {
            txn: "t1".into(),
            stan: "000001".into(),
            result,
            rc: None,
            reason: (result == TxnResult::Failed).then_some(FailReason::NoResponse),
            reversal,
            display: "x".into(),
            cause: None,
            category: None,
            advice: None,
        })
    }

    #[test]
    fn reported_approval_matching_the_debit_passes() {
        let t = transcript(vec![
            (0, term(started())),
            (2000, term(outcome(TxnResult::Approved, None))),
        ]);
        assert!(run(check, &t, &[debit()]).is_empty());
    }

    #[test]
    fn debit_without_a_reported_approval_fails_with_the_difference() {
        let t = transcript(vec![
            (0, term(started())),
            (
                61_000,
                term(outcome(TxnResult::Failed, Some(ReversalState::None))),
            ),
        ]);
        let f = run(check, &t, &[debit()]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("took 12.34") && f[0].contains("difference of 12.34"),
            "{}",
            f[0]
        );
    }

    fn refund(op: &str) -> (TerminalEvent, JournalEntry) {
        let cmd = TerminalEvent::Command {
            terminal: "TERM0001".into(),
            txn: "t1".into(),
            op: op.into(),
            amount: Amount(500),
            card: "476173******0010".into(),
        };
        let credit = JournalEntry {
            amount: Some(Amount(500)),
            delta: Some(Amount(500)),
            ..debit()
        };
        (cmd, credit)
    }

    #[test]
    fn reported_refund_matching_the_credit_passes() {
        let (cmd, credit) = refund("refund");
        let t = transcript(vec![
            (0, term(cmd)),
            (2000, term(outcome(TxnResult::Approved, None))),
        ]);
        assert!(run(check, &t, &[credit]).is_empty());
    }

    #[test]
    fn a_credit_counted_as_a_charge_is_caught() {
        // The same journal, but the command was a sale: 5.00 paid out, 5.00 reported taken.
        let (cmd, credit) = refund("sale");
        let t = transcript(vec![
            (0, term(cmd)),
            (2000, term(outcome(TxnResult::Approved, None))),
        ]);
        let f = run(check, &t, &[credit]);
        assert!(f[0].contains("difference of -10.00"), "{}", f[0]);
    }

    #[test]
    fn pending_reversal_of_a_refund_is_set_aside() {
        let (cmd, credit) = refund("refund");
        let t = transcript(vec![
            (0, term(cmd)),
            (
                61_000,
                term(outcome(TxnResult::Failed, Some(ReversalState::Pending))),
            ),
        ]);
        assert!(run(check, &t, &[credit]).is_empty());
    }

    #[test]
    fn pending_reversal_is_set_aside() {
        let t = transcript(vec![
            (0, term(started())),
            (
                61_000,
                term(outcome(TxnResult::Failed, Some(ReversalState::Pending))),
            ),
        ]);
        assert!(run(check, &t, &[debit()]).is_empty());
    }

    #[test]
    fn offline_approval_counts_once_its_advice_is_posted() {
        let t = transcript(vec![
            (0, term(started())),
            (
                1000,
                term(TerminalEvent::Outcome(Outcome::approved_offline(
                    "t1", "000001",
                ))),
            ),
        ]);
        // Not posted yet: nothing taken, nothing counted.
        assert!(run(check, &t, &[]).is_empty());
        let mut posted = debit();
        posted.mti = "0220".into();
        posted.decision = Decision::Posted;
        assert!(run(check, &t, &[posted]).is_empty());
        // A charge the merchant was never told of still shows next to the posted advice.
        let mut again = debit();
        again.seq = 2;
        again.stan = "000009".into();
        let f = run(check, &t, &[debit_as_advice(), again]);
        assert!(f[0].contains("difference of 12.34"), "{}", f[0]);
    }

    fn debit_as_advice() -> JournalEntry {
        let mut e = debit();
        e.mti = "0220".into();
        e.decision = Decision::Posted;
        e
    }
}
