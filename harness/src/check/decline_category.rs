//! `decline_category`: every decline the terminal reports is reported under the cause,
//! category and advice `declines.yaml` gives for its response code, and every failure seen on
//! the link under its network cause (no-response, connection-failed, invalid-response). The category
//! decides whether the merchant retries, so a wrong one costs sales or charges cardholders
//! twice.
//!
//! The response code is taken from the reply the proxy delivered to the terminal when there is
//! one, so a terminal that misreads the code is caught too.

use posfault_proxies::fault::Direction;
use posfault_proxies::link::Fate;

use crate::check::CheckInput;
use crate::declines;
use crate::terminal::{FailReason, Outcome, TxnResult};

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let mut findings = Vec::new();
    for (at, o) in input.transcript.outcomes() {
        if o.result == TxnResult::Approved {
            continue;
        }
        let wire_rc = delivered_rc(input, o);
        if let (Some(wire), Some(said)) = (wire_rc.as_deref(), o.rc.as_deref())
            && wire != said
        {
            findings.push(format!(
                "{} (STAN {}) at {at}: reported RC {said}, but the host's reply carried RC {wire}",
                o.txn, o.stan
            ));
        }
        let cause = match o.result {
            TxnResult::Declined => {
                let Some(rc) = wire_rc.or_else(|| o.rc.clone()) else {
                    findings.push(format!(
                        "{} (STAN {}) at {at}: reported declined without a response code",
                        o.txn, o.stan
                    ));
                    continue;
                };
                match declines::by_code(&rc) {
                    Some(c) => c,
                    None => {
                        findings.push(format!(
                            "{} (STAN {}) at {at}: RC {rc} is not in declines.yaml; add it to a cause so the terminal can report it",
                            o.txn, o.stan
                        ));
                        continue;
                    }
                }
            }
            _ => {
                let id = o.reason.unwrap_or(FailReason::NoResponse).cause_id();
                match declines::by_id(id) {
                    Some(c) => c,
                    None => continue,
                }
            }
        };
        let what = format!("{} (STAN {}) at {at}", o.txn, o.stan);
        if o.category != Some(cause.category) {
            findings.push(format!(
                "{what}: reported category {}, expected {} ({})",
                o.category.map(|c| c.to_string()).unwrap_or("(none)".into()),
                cause.category,
                cause.id
            ));
        } else if o.cause.as_deref() != Some(cause.id.as_str()) {
            findings.push(format!(
                "{what}: reported cause {}, expected {}",
                o.cause.as_deref().unwrap_or("(none)"),
                cause.id
            ));
        } else if o.advice.as_ref().map(|a| (a.en.as_str(), a.zh_cn.as_str()))
            != Some((cause.en.advice.as_str(), cause.zh.advice.as_str()))
        {
            findings.push(format!(
                "{what}: advice differs from declines.yaml for {}; expected \"{}\"",
                cause.id, cause.en.advice
            ));
        }
    }
    findings
}

/// The RC of the last reply to the outcome's STAN that the proxy delivered to the terminal.
fn delivered_rc(input: &CheckInput<'_>, o: &Outcome) -> Option<String> {
    let terminals = crate::check::Terminals::of(input);
    let terminal = terminals.get(&o.txn);
    input
        .transcript
        .frames()
        .filter(|(_, f)| {
            f.dir == Direction::ToTerminal
                && f.fate == Fate::Forwarded
                && matches!(f.mti.as_deref(), Some("0110" | "0210"))
                && f.field(11) == Some(o.stan.as_str())
                && f.field(41).is_none_or(|t| t == terminal)
        })
        .last()
        .and_then(|(_, f)| f.field(39).map(str::to_string))
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::declines::Category;
    use crate::terminal::TerminalEvent;
    use crate::transcript::{At, Event, EventKind, Transcript};

    fn declined(rc: &str) -> Outcome {
        Outcome {
            txn: "t1".into(),
            stan: "000001".into(),
            result: TxnResult::Declined,
            rc: Some(rc.into()),
            reason: None,
            reversal: None,
            display: format!("declined: {rc}"),
            cause: None,
            category: None,
            advice: None,
        }
    }

    fn run(o: Outcome) -> Vec<String> {
        let t = Transcript {
            events: vec![Event {
                at: At(1000),
                seq: 0,
                kind: EventKind::Terminal(TerminalEvent::Outcome(o)),
            }],
        };
        crate::check::fixtures::run(check, &t, &[])
    }

    #[test]
    fn a_decline_explained_from_declines_yaml_passes() {
        assert!(run(declined("51").explained()).is_empty());
    }

    #[test]
    fn insufficient_funds_reported_as_a_merchant_problem_fails() {
        let mut o = declined("51").explained();
        o.category = Some(Category::Merchant);
        let f = run(o);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("reported category merchant, expected cardholder (insufficient-funds)"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn a_decline_reported_without_category_fails() {
        let f = run(declined("43"));
        assert!(
            f[0].contains("category (none), expected cardholder"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn advice_other_than_the_cause_s_is_a_finding() {
        let mut o = declined("51").explained();
        if let Some(a) = o.advice.as_mut() {
            a.en = "Try again.".into();
        }
        let f = run(o);
        assert!(
            f[0].contains("advice differs from declines.yaml for insufficient-funds"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn a_connect_failure_must_be_reported_as_connection_failed() {
        let mut o = declined("00");
        o.result = TxnResult::Failed;
        o.rc = None;
        o.reason = Some(FailReason::Connect);
        assert!(run(o.clone().explained()).is_empty());
        o.category = Some(Category::System);
        let f = run(o);
        assert!(
            f[0].contains("expected network (connection-failed)"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn a_code_missing_from_declines_yaml_is_a_finding() {
        let f = run(declined("N7"));
        assert!(f[0].contains("RC N7 is not in declines.yaml"), "{}", f[0]);
    }
}
