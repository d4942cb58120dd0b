//! `late_reply_not_approved`: once the terminal's timeout has run out, the outcome is unknown and
//! the sale must be reversed; a reply that arrives later must not turn it into "approved" (the
//! host will undo the sale when the reversal arrives, so the merchant would hand over goods for
//! nothing). Judged from the proxy's view: no valid reply delivered within the timeout.

use crate::check::{CheckInput, Terminals, unanswered};
use crate::terminal::TxnResult;

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let mut findings = Vec::new();
    let terminals = Terminals::of(input);
    for (_, at, req) in unanswered(input) {
        let stan = req.field(11).unwrap_or("?");
        for (reported, o) in input.transcript.outcomes() {
            if o.stan == stan
                && Some(terminals.get(&o.txn)) == req.field(41)
                && reported >= at
                && o.result == TxnResult::Approved
            {
                findings.push(format!(
                    "{} (STAN {stan}) reported \"{}\" at {reported}, but no valid reply reached the \
                     terminal within {}s of its {} at {at}; expected a failure with a reversal",
                    o.txn,
                    o.display,
                    input.response_timeout().as_secs_f64(),
                    req.mti.as_deref().unwrap_or("?"),
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{frame, run, term, transcript};
    use crate::terminal::{Outcome, TerminalEvent};
    use posfault_proxies::fault::Direction::{ToHost, ToTerminal};
    use posfault_proxies::link::Fate;

    fn outcome(result: TxnResult) -> TerminalEvent {
        TerminalEvent::Outcome(Outcome {
            txn: "t1".into(),
            stan: "000001".into(),
            result,
            rc: None,
            reason: None,
            reversal: None,
            display: format!("{result:?}").to_lowercase(),
            cause: None,
            category: None,
            advice: None,
        })
    }

    #[test]
    fn approval_on_a_late_reply_fails() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (75000, frame(ToTerminal, "0210", "000001", Fate::Forwarded)),
            (75010, term(outcome(TxnResult::Approved))),
        ]);
        let f = run(check, &t, &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("t1 (STAN 000001) reported \"approved\""),
            "{}",
            f[0]
        );
    }

    #[test]
    fn a_reply_the_proxy_saw_in_time_but_delivered_late_is_late() {
        let delivered =
            crate::transcript::EventKind::Link(posfault_proxies::link::LinkEvent::Delivered {
                conn: 1,
                dir: ToTerminal,
                mti: Some("0210".into()),
                stan: Some("000001".into()),
            });
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1020, frame(ToTerminal, "0210", "000001", Fate::Delayed)),
            (71_020, delivered),
            (71_030, term(outcome(TxnResult::Approved))),
        ]);
        assert_eq!(run(check, &t, &[]).len(), 1);
    }

    #[test]
    fn failure_after_a_late_reply_passes() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (75000, frame(ToTerminal, "0210", "000001", Fate::Forwarded)),
            (75010, term(outcome(TxnResult::Failed))),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn approval_on_an_in_time_reply_passes() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1020, frame(ToTerminal, "0210", "000001", Fate::Forwarded)),
            (1030, term(outcome(TxnResult::Approved))),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }
}
