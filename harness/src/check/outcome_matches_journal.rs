//! `outcome_matches_journal`: what the terminal told the merchant agrees with what the host
//! did. Approved means the host approved and did not reverse; declined means the host declined
//! with that code; a failure whose reversal was acknowledged (or that never reached the host)
//! means the host holds no charge. A failure reported as "reversal pending" is honest about an
//! open question and is not judged here, nor is an offline approval whose advice the host has
//! not received yet (`advices_forwarded` judges that) or refused.

use crate::check::host_view::{HostFate, host_fates};
use crate::check::{CheckInput, Terminals};
use crate::terminal::{ReversalState, TxnResult, is_offline_approval};

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let fates = host_fates(input.journal);
    let terminals = Terminals::of(input);
    let mut findings = Vec::new();
    for (at, o) in input.transcript.outcomes() {
        if !terminals.is_financial(&o.txn) {
            continue;
        }
        let fate = fates.get(&(terminals.get(&o.txn).to_string(), o.stan.clone()));
        let said = format!(
            "{} (STAN {}) reported \"{}\" at {at}",
            o.txn, o.stan, o.display
        );
        let problem = match (o.result, fate) {
            (TxnResult::Approved, Some(HostFate::Charged { .. })) => None,
            (TxnResult::Approved, Some(HostFate::Reversed { at })) => Some(format!(
                "but the host reversed it at {at}: the merchant hands over goods that are not paid"
            )),
            // Approved offline, advice refused: the terminal kept the EMV rules when it said
            // yes alone and cannot take it back. `advices_forwarded` accepts the refusal; the
            // transcript shows it. A 94 is no refusal: the host holds another sale under this
            // STAN, and this one is lost. An online decline is no advice refusal either: a
            // terminal that says "approved offline" after the issuer said no is wrong.
            (TxnResult::Approved, Some(HostFate::Declined { rc, advice: true }))
                if is_offline_approval(o.rc.as_deref()) && rc != "94" =>
            {
                None
            }
            (TxnResult::Approved, Some(HostFate::Declined { rc, .. })) => {
                Some(format!("but the host declined it with RC {rc}"))
            }
            // Approved offline, advice not posted yet: `advices_forwarded` judges whether it
            // should have been by now.
            (TxnResult::Approved, None) if is_offline_approval(o.rc.as_deref()) => None,
            (TxnResult::Approved, None) => Some("but the host has no approval for it".to_string()),
            (TxnResult::Declined, Some(HostFate::Declined { rc, .. }))
                if o.rc.as_deref() == Some(rc) =>
            {
                None
            }
            (TxnResult::Declined, Some(HostFate::Declined { rc, .. })) => {
                Some(format!("but the host declined it with RC {rc}"))
            }
            (TxnResult::Declined, Some(HostFate::Charged { at, amount, .. })) => Some(format!(
                "but the host approved it at {at} and holds {amount} of the cardholder's money"
            )),
            (TxnResult::Declined, _) => None,
            (TxnResult::Failed, _) if o.reversal == Some(ReversalState::Pending) => None,
            (TxnResult::Failed, Some(HostFate::Charged { at, amount, .. })) => Some(format!(
                "but the host approved it at {at} and it was never reversed: the cardholder is charged \
                 {amount} for a sale the merchant thinks failed"
            )),
            (TxnResult::Failed, _) => None,
        };
        if let Some(p) = problem {
            findings.push(format!("{said}, {p}"));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{run, term, transcript};
    use crate::host::{Decision, JournalEntry};
    use crate::money::Amount;
    use crate::terminal::{FailReason, Outcome, TerminalEvent};
    use crate::transcript::{At, Transcript};

    fn entry(seq: u64, mti: &str, decision: Decision, original: Option<u64>) -> JournalEntry {
        JournalEntry {
            seq,
            at: At(seq * 1000),
            mti: mti.into(),
            terminal: "TERM0001".into(),
            stan: "000001".into(),
            decision,
            rc: "00".into(),
            amount: Some(Amount(1234)),
            account: Some("a".into()),
            delta: None,
            balance: None,
            original,
            before_run: false,
            reason: None,
            card: None,
        }
    }

    fn outcome(result: TxnResult, reversal: Option<ReversalState>) -> TerminalEvent {
        TerminalEvent::Outcome(Outcome {
            txn: "t1".into(),
            stan: "000001".into(),
            result,
            rc: (result == TxnResult::Approved).then(|| "00".into()),
            reason: (result == TxnResult::Failed).then_some(FailReason::NoResponse),
            reversal,
            display: "x".into(),
            cause: None,
            category: None,
            advice: None,
        })
    }

    #[test]
    fn failed_and_reversed_at_the_host_agrees() {
        let j = [
            entry(1, "0200", Decision::Approved, None),
            entry(2, "0400", Decision::Reversed, Some(1)),
        ];
        let t = transcript(vec![(
            70_000,
            term(outcome(
                TxnResult::Failed,
                Some(ReversalState::Acknowledged),
            )),
        )]);
        assert!(run(check, &t, &j).is_empty());
    }

    #[test]
    fn failed_but_charged_at_the_host_is_caught() {
        let j = [entry(1, "0200", Decision::Approved, None)];
        let t = transcript(vec![(
            70_000,
            term(outcome(TxnResult::Failed, Some(ReversalState::None))),
        )]);
        let f = run(check, &t, &j);
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("never reversed"), "{}", f[0]);
    }

    #[test]
    fn approved_but_reversed_at_the_host_is_caught() {
        let j = [
            entry(1, "0200", Decision::Approved, None),
            entry(2, "0400", Decision::Reversed, Some(1)),
        ];
        let t = transcript(vec![(70_000, term(outcome(TxnResult::Approved, None)))]);
        let f = run(check, &t, &j);
        assert!(
            f[0].contains("but the host reversed it at 2.000s"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn pending_reversal_is_not_judged() {
        let j = [entry(1, "0200", Decision::Approved, None)];
        let t = transcript(vec![(
            70_000,
            term(outcome(TxnResult::Failed, Some(ReversalState::Pending))),
        )]);
        assert!(run(check, &t, &j).is_empty());
    }

    /// t1, STAN 000001, reported approved offline (Y1) at 1s.
    fn approved_offline_at_1s() -> Transcript {
        transcript(vec![(
            1_000,
            term(TerminalEvent::Outcome(Outcome::approved_offline(
                "t1", "000001",
            ))),
        )])
    }

    #[test]
    fn offline_approval_waits_for_its_advice_but_an_online_one_does_not() {
        let offline = approved_offline_at_1s();
        assert!(run(check, &offline, &[]).is_empty());
        let online = transcript(vec![(1_000, term(outcome(TxnResult::Approved, None)))]);
        let f = run(check, &online, &[]);
        assert!(f[0].contains("the host has no approval for it"), "{}", f[0]);
    }

    #[test]
    fn posted_advice_counts_as_the_approval() {
        let j = [entry(1, "0220", Decision::Posted, None)];
        let t = approved_offline_at_1s();
        assert!(run(check, &t, &j).is_empty());
    }

    #[test]
    fn a_refused_advice_is_no_broken_promise_but_a_94_is_a_lost_sale() {
        let t = approved_offline_at_1s();
        let mut refused = entry(1, "0220", Decision::Declined, None);
        refused.rc = "14".into();
        assert!(run(check, &t, &[refused.clone()]).is_empty());
        refused.rc = "94".into();
        let f = run(check, &t, &[refused]);
        assert!(f[0].contains("the host declined it with RC 94"), "{f:?}");
    }

    #[test]
    fn approved_offline_after_the_issuer_declined_online_is_caught() {
        let t = approved_offline_at_1s();
        let mut declined = entry(1, "0200", Decision::Declined, None);
        declined.rc = "51".into();
        let f = run(check, &t, &[declined]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("the host declined it with RC 51"), "{f:?}");
    }
}
