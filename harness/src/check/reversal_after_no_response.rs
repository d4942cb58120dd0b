//! `reversal_after_no_response`: a financial request the terminal sent that got no valid reply
//! in time may have been approved by the host; the terminal must reverse it (0400 with the
//! original STAN, or field 90 naming it) before its next financial request.
//!
//! A reply counts when the proxy delivered it to the terminal within the response timeout of
//! seeing the request, so the check needs no trust in the terminal's own report.

use posfault_proxies::fault::Direction;
use posfault_proxies::link::FrameEvent;

use crate::check::{CheckInput, is_reversible, reverses, unanswered};
use crate::transcript::At;

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let frames: Vec<(At, &FrameEvent)> = input.transcript.frames_delivered();
    let mut findings = Vec::new();
    for (i, at, req) in unanswered(input) {
        let later = &frames[i + 1..];
        let stan = req.field(11).unwrap_or("?");
        let next = later.iter().position(|&(_, f)| {
            f.dir == Direction::ToHost && is_reversible(f) && f.field(41) == req.field(41)
        });
        let window = &later[..next.unwrap_or(later.len())];
        if window.iter().any(|&(_, f)| reverses(f, req)) {
            continue;
        }
        let until = match next {
            Some(n) => format!(
                "before the next {} (STAN {}) at {}",
                later[n].1.mti.as_deref().unwrap_or("?"),
                later[n].1.field(11).unwrap_or("?"),
                later[n].0
            ),
            None => "by the end of the run".to_string(),
        };
        findings.push(format!(
            "STAN {stan} was never reversed: its {} (seen at {at}, conn {}) got no valid reply within {}s, \
             and no 0400 carrying STAN {stan} was sent {until}; expected a reversal, or the cardholder \
             may stay charged",
            req.mti.as_deref().unwrap_or("?"),
            req.conn,
            input.response_timeout().as_secs_f64(),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{frame, run, transcript};
    use Direction::{ToHost, ToTerminal};
    use posfault_proxies::link::Fate;

    #[test]
    fn answered_request_needs_no_reversal() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn dropped_reply_without_reversal_fails_naming_the_stan() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Dropped)),
        ]);
        let findings = run(check, &t, &[]);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].starts_with("STAN 000001 was never reversed"),
            "{}",
            findings[0]
        );
        assert!(
            findings[0].contains("by the end of the run"),
            "{}",
            findings[0]
        );
    }

    #[test]
    fn dropped_reply_followed_by_reversal_passes() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Dropped)),
            (61000, frame(ToHost, "0400", "000001", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn a_repeat_or_an_advice_counts_as_the_reversal() {
        for mti in ["0401", "0420", "0421"] {
            let t = transcript(vec![
                (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
                (1010, frame(ToTerminal, "0210", "000001", Fate::Dropped)),
                (61000, frame(ToHost, mti, "000001", Fate::Forwarded)),
            ]);
            assert!(run(check, &t, &[]).is_empty(), "{mti}");
        }
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Dropped)),
            (61000, frame(ToHost, "0221", "000001", Fate::Forwarded)),
        ]);
        assert_eq!(
            run(check, &t, &[]).len(),
            1,
            "an advice repeat is no reversal"
        );
    }

    #[test]
    fn reversal_after_the_next_sale_is_too_late() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (70000, frame(ToHost, "0200", "000002", Fate::Forwarded)),
            (70010, frame(ToTerminal, "0210", "000002", Fate::Forwarded)),
            (80000, frame(ToHost, "0400", "000001", Fate::Forwarded)),
        ]);
        let findings = run(check, &t, &[]);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].contains("before the next 0200 (STAN 000002)"),
            "{}",
            findings[0]
        );
    }

    #[test]
    fn late_reply_does_not_count_as_an_answer() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (61001, frame(ToTerminal, "0210", "000001", Fate::Forwarded)),
        ]);
        assert_eq!(run(check, &t, &[]).len(), 1);
    }

    #[test]
    fn a_reply_the_proxy_delays_past_the_timeout_is_no_answer() {
        let delivered = |ms| {
            let e = posfault_proxies::link::LinkEvent::Delivered {
                conn: 1,
                dir: ToTerminal,
                mti: Some("0210".into()),
                stan: Some("000001".into()),
            };
            (ms, crate::transcript::EventKind::Link(e))
        };
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Delayed)),
            delivered(61_010),
        ]);
        assert_eq!(run(check, &t, &[]).len(), 1);
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Delayed)),
            delivered(3_010),
        ]);
        assert!(
            run(check, &t, &[]).is_empty(),
            "a short delay is still an answer"
        );
    }

    #[test]
    fn reply_with_another_stan_is_no_answer() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000009", Fate::Forwarded)),
        ]);
        assert_eq!(run(check, &t, &[]).len(), 1);
    }
}
