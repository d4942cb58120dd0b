//! `reversal_survives_power_cycle`: a reversal that was due when the terminal lost power (its
//! request went out, no valid reply came, no acknowledged reversal yet) is the first thing the
//! terminal sends after it boots. A terminal that kept the record in RAM forgets it, and the
//! cardholder stays charged.

use posfault_proxies::fault::Direction;
use posfault_proxies::link::FrameEvent;

use crate::check::{CheckInput, answers, reverses, unanswered};
use crate::terminal::TerminalEvent;
use crate::transcript::At;

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let frames: Vec<(At, &FrameEvent)> = input.transcript.frames_delivered();
    let due_requests = unanswered(input);
    let timeout = input.response_timeout();
    let mut findings = Vec::new();
    let cycles: Vec<(At, Option<At>)> = {
        let mut v = Vec::new();
        for (at, e) in input.transcript.terminal_events() {
            match e {
                TerminalEvent::PowerOff => v.push((at, None)),
                TerminalEvent::PowerOn => {
                    if let Some(last) = v.last_mut() {
                        last.1 = Some(at);
                    }
                }
                _ => {}
            }
        }
        v
    };
    for (off, on) in cycles {
        let Some(on) = on else { continue };
        for &(_, req_at, req) in due_requests.iter().filter(|(_, at, _)| *at <= off) {
            let acked_before_off = frames.iter().any(|&(at, f)| {
                at <= off
                    && reverses(f, req)
                    && frames
                        .iter()
                        .any(|&rsp| rsp.0 <= off && answers((at, f), rsp, timeout))
            });
            if acked_before_off {
                continue;
            }
            let stan = req.field(11).unwrap_or("?");
            let first_after = frames.iter().find(|(at, f)| {
                *at >= on && f.dir == Direction::ToHost && f.field(41) == req.field(41)
            });
            match first_after {
                Some((_, f)) if reverses(f, req) => {}
                Some((at, f)) => findings.push(format!(
                    "power was cut at {off} while the reversal of STAN {stan} (its {} seen at {req_at}) was \
                     due; after power came back at {on} the terminal sent {} STAN {} at {at} first; expected \
                     the stored reversal first",
                    req.mti.as_deref().unwrap_or("?"),
                    f.mti.as_deref().unwrap_or("?"),
                    f.field(11).unwrap_or("?"),
                )),
                None => {}
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{frame, run, term, transcript};
    use Direction::ToHost;
    use posfault_proxies::link::Fate;

    #[test]
    fn stored_reversal_sent_first_after_boot_passes() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1000, term(TerminalEvent::PowerOff)),
            (6000, term(TerminalEvent::PowerOn)),
            (30_000, frame(ToHost, "0400", "000001", Fate::Forwarded)),
            (30_100, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn forgotten_reversal_after_boot_is_caught() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1000, term(TerminalEvent::PowerOff)),
            (6000, term(TerminalEvent::PowerOn)),
            (30_100, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        let f = run(check, &t, &[]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("sent 0200 STAN 000002 at 30.100s first"),
            "{}",
            f[0]
        );
    }
}
