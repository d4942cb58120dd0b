//! `reversal_retry_policy`: an unacknowledged reversal (no 0410, or a 0410 with RC 91/96) is sent again, at most `reversal_retries`
//! more times in a row, each no sooner than `reversal_interval` after the previous attempt gave
//! up (its reply timeout ran out, or its connection closed), and a reversal still unacknowledged
//! goes out again before the next financial request. Field bugs this catches: no retry at all,
//! retries back to back, and deleting the pending reversal when the retries run out.

use posfault_proxies::fault::Direction;
use posfault_proxies::link::{FrameEvent, LinkEvent};

use crate::check::{CheckInput, REVERSALS, answers, is_mti, is_reversible};
use crate::terminal::TerminalEvent;
use crate::transcript::{At, EventKind};

struct Send<'a> {
    at: At,
    frame: &'a FrameEvent,
    acked: bool,
    /// When the attempt gave up waiting: reply timeout, or its connection closing first.
    ended: At,
}

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let frames: Vec<(At, &FrameEvent)> = input.transcript.frames_delivered();
    let timeout = input.response_timeout();
    let policy = input.policy;
    let max_in_a_row = 1 + policy.reversal_retries as usize;
    let slack = input.tick * 4;
    let mut findings = Vec::new();

    let mut originals: Vec<(String, String)> = Vec::new();
    for (_, f) in &frames {
        if let Some(orig) = original_stan(f)
            && !originals.contains(&orig)
        {
            originals.push(orig);
        }
    }
    for (tid, stan) in originals {
        // Rounds of sends: each command handed to the terminal starts a new one, because a
        // pending reversal is retried afresh before the next transaction.
        let mut rounds: Vec<Vec<Send<'_>>> = vec![Vec::new()];
        let command_at = command_times(input, &tid);
        let mut commands = command_at.iter().copied().peekable();
        for (i, &(at, f)) in frames.iter().enumerate() {
            let mut new_round = false;
            while commands.next_if(|c| *c <= at).is_some() {
                new_round = true;
            }
            if new_round && !rounds.last().is_some_and(Vec::is_empty) {
                rounds.push(Vec::new());
            }
            if original_stan(f).is_none_or(|o| o != (tid.clone(), stan.clone())) {
                continue;
            }
            // Acknowledged means the host undid the sale or never had it (00, 25, 12); a 0410
            // saying it is busy or down (91, 96) leaves the reversal due.
            let acked = frames[i + 1..].iter().any(|&rsp| {
                answers((at, f), rsp, timeout)
                    && matches!(rsp.1.field(39), Some("00" | "25" | "12") | None)
            });
            let closed = close_after(input, f.conn, at);
            let gave_up = at.duration() + timeout;
            let ended = At::from_duration(closed.map_or(gave_up, |c| c.duration().min(gave_up)));
            if let Some(round) = rounds.last_mut() {
                round.push(Send {
                    at,
                    frame: f,
                    acked,
                    ended,
                });
            }
        }
        rounds.retain(|r| !r.is_empty());
        for (n, round) in rounds.iter().enumerate() {
            if round.len() > max_in_a_row {
                findings.push(format!(
                    "reversal of STAN {stan} was sent {} times in a row ({} to {}); the policy allows 1 + {} retries",
                    round.len(),
                    round[0].at,
                    round[round.len() - 1].at,
                    policy.reversal_retries
                ));
            }
            for pair in round.windows(2) {
                let (prev, next) = (&pair[0], &pair[1]);
                if prev.acked {
                    continue;
                }
                let earliest = prev.ended.duration() + policy.reversal_interval.get();
                if next.at.duration() + slack < earliest {
                    findings.push(format!(
                        "reversal of STAN {stan} was resent at {} only {:.3}s after the previous attempt \
                         (sent {}) gave up at {}; the policy interval is {}",
                        next.at,
                        next.at.duration().saturating_sub(prev.ended.duration()).as_secs_f64(),
                        prev.at,
                        prev.ended,
                        policy.reversal_interval
                    ));
                }
            }
            let last = &round[round.len() - 1];
            if last.acked {
                continue;
            }
            let next_round = rounds.get(n + 1);
            // Sends that never reached the proxy (the connect failed, or the link lost them) are
            // only known from the terminal's own notes. They can withdraw this finding, never
            // make one: a terminal cannot hide a missing retry by noting nothing.
            let started = command_at
                .iter()
                .copied()
                .rfind(|c| *c <= round[0].at)
                .unwrap_or_default();
            let next_command = command_at.iter().copied().find(|c| *c > last.at);
            let noted = noted_attempts(input, &stan, started, next_command);
            let unseen = noted_attempts(input, &stan, At(last.at.0 + 1), next_command);
            if (round.len() + unseen).max(noted) < max_in_a_row && next_round.is_none() {
                findings.push(format!(
                    "reversal of STAN {stan} stopped after {} unacknowledged send(s), the last at {} (conn {}); \
                     the policy is to retry up to {} times until the host acknowledges",
                    round.len(),
                    last.at,
                    last.frame.conn,
                    policy.reversal_retries
                ));
            }
            // Within the round the terminal may go on once its sends are spent; the promise is
            // about the next command's round.
            // Without command records (a bare transcript), any later request counts.
            let boundary = if command_at.is_empty() {
                Some(At(last.at.0 + 1))
            } else {
                next_command
            };
            if next_round.is_none()
                && unseen == 0
                && let Some(boundary) = boundary
                && let Some((at, f)) = frames.iter().find(|(at, f)| {
                    *at >= boundary
                        && f.dir == Direction::ToHost
                        && is_reversible(f)
                        && f.field(41) == Some(tid.as_str())
                })
            {
                findings.push(format!(
                    "reversal of STAN {stan} was still unacknowledged (last sent {}) when the terminal sent {} \
                     STAN {} at {at} without sending the reversal first; a pending reversal goes before the \
                     next financial request",
                    last.at,
                    f.mti.as_deref().unwrap_or("?"),
                    f.field(11).unwrap_or("?")
                ));
            }
        }
    }
    findings
}

/// The terminal and original STAN a reversal is for: field 90's STAN, else its own field 11.
fn original_stan(f: &FrameEvent) -> Option<(String, String)> {
    if f.dir != Direction::ToHost || !is_mti(f.mti.as_deref(), REVERSALS) {
        return None;
    }
    f.field(90)
        .and_then(|v| v.get(4..10))
        .or(f.field(11))
        .map(|stan| {
            (
                f.field(41).unwrap_or_default().to_string(),
                stan.to_string(),
            )
        })
}

/// How many reversal sends (or failed connects for one) of `stan` the terminal noted after
/// `from` (inclusive) and before `until`. Sends that never reached the proxy (the connect failed, or the
/// proxy could not reach the host and closed) are only known this way. The notes carry no
/// terminal id, so in a fleet another member's STAN can be counted too; that too can only
/// withdraw a finding.
fn noted_attempts(input: &CheckInput<'_>, stan: &str, from: At, until: Option<At>) -> usize {
    input
        .transcript
        .terminal_events()
        .filter(|(at, e)| {
            *at >= from
                && until.is_none_or(|u| *at < u)
                && matches!(e, TerminalEvent::ReversalSent { stan: s, .. }
                    | TerminalEvent::ConnectFailed { stan: s, .. } if s == stan)
        })
        .count()
}

fn command_times(input: &CheckInput<'_>, tid: &str) -> Vec<At> {
    input
        .transcript
        .terminal_events()
        .filter(|(_, e)| matches!(e, TerminalEvent::Command { terminal, .. } if terminal == tid))
        .map(|(at, _)| at)
        .collect()
}

fn close_after(input: &CheckInput<'_>, conn: u32, after: At) -> Option<At> {
    input.transcript.events.iter().find_map(|e| match &e.kind {
        EventKind::Link(LinkEvent::ConnClosed { conn: c, .. }) if *c == conn && e.at >= after => {
            Some(e.at)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{frame, run, transcript};
    use Direction::{ToHost, ToTerminal};
    use posfault_proxies::link::Fate;

    fn command() -> EventKind {
        crate::check::fixtures::term(TerminalEvent::Command {
            terminal: "TERM0001".into(),
            txn: "t".into(),
            op: "sale".into(),
            amount: crate::money::Amount(1),
            card: String::new(),
        })
    }

    fn rev(ms: u64) -> (u64, EventKind) {
        (ms, frame(ToHost, "0400", "000001", Fate::Forwarded))
    }

    #[test]
    fn acknowledged_first_reversal_passes() {
        let t = transcript(vec![
            rev(61_000),
            (61_020, frame(ToTerminal, "0410", "000001", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn four_spaced_unanswered_sends_pass() {
        // Each attempt waits 60 s, then 10 s pause: sends 70 s apart.
        let t = transcript(vec![rev(61_000), rev(131_000), rev(201_000), rev(271_000)]);
        assert!(run(check, &t, &[]).is_empty(), "{:?}", run(check, &t, &[]));
    }

    #[test]
    fn a_reversal_answered_91_must_still_be_retried() {
        let mut busy = frame(ToTerminal, "0410", "000001", Fate::Forwarded);
        if let EventKind::Link(posfault_proxies::link::LinkEvent::Frame(f)) = &mut busy {
            f.fields.insert(39, "91".into());
        }
        let t = transcript(vec![rev(61_000), (61_020, busy)]);
        let f = run(check, &t, &[]);
        assert!(
            f.iter()
                .any(|f| f.contains("stopped after 1 unacknowledged send")),
            "{f:?}"
        );
    }

    #[test]
    fn retries_that_never_reached_the_proxy_count_when_the_terminal_noted_them() {
        let failed = || {
            crate::check::fixtures::term(TerminalEvent::ConnectFailed {
                stan: "000001".into(),
                error: "connection refused".into(),
            })
        };
        let t = transcript(vec![
            rev(61_000),
            (131_000, failed()),
            (141_000, failed()),
            (151_000, failed()),
        ]);
        assert!(run(check, &t, &[]).is_empty(), "{:?}", run(check, &t, &[]));
    }

    #[test]
    fn a_single_unanswered_send_is_caught() {
        let t = transcript(vec![rev(61_000)]);
        let f = run(check, &t, &[]);
        assert!(
            f.iter()
                .any(|f| f.contains("stopped after 1 unacknowledged send")),
            "{f:?}"
        );
    }

    #[test]
    fn back_to_back_retries_are_caught() {
        let t = transcript(vec![rev(61_000), rev(121_000), rev(181_000), rev(241_000)]);
        let f = run(check, &t, &[]);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f[0].contains("only 0.000s after"), "{}", f[0]);
    }

    #[test]
    fn a_fifth_send_in_a_row_is_caught() {
        let t = transcript(vec![
            rev(61_000),
            rev(131_000),
            rev(201_000),
            rev(271_000),
            rev(341_000),
        ]);
        let f = run(check, &t, &[]);
        assert!(
            f.iter().any(|f| f.contains("sent 5 times in a row")),
            "{f:?}"
        );
    }

    #[test]
    fn next_sale_without_resending_the_pending_reversal_is_caught() {
        let t = transcript(vec![
            rev(61_000),
            rev(131_000),
            rev(201_000),
            rev(271_000),
            (400_000, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        let f = run(check, &t, &[]);
        assert!(
            f.iter()
                .any(|f| f.contains("without sending the reversal first")),
            "{f:?}"
        );
    }

    #[test]
    fn pending_reversal_resent_before_the_next_sale_passes() {
        let t = transcript(vec![
            (1000, command()),
            rev(61_000),
            rev(131_000),
            rev(201_000),
            rev(271_000),
            (399_000, command()),
            rev(400_000),
            (
                400_020,
                frame(ToTerminal, "0410", "000001", Fate::Forwarded),
            ),
            (400_100, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty(), "{:?}", run(check, &t, &[]));
    }

    #[test]
    fn sends_lost_before_the_proxy_early_in_a_round_count_too() {
        // The first send of the round never reached the proxy (noted only); three more did,
        // the last unanswered, and the same command's sale then went ahead.
        let sent = |attempt| {
            crate::check::fixtures::term(TerminalEvent::ReversalSent {
                stan: "000001".into(),
                attempt,
            })
        };
        let t = transcript(vec![
            (360_000, command()),
            (360_000, sent(1)),
            (370_020, sent(2)),
            rev(370_040),
            (440_030, sent(3)),
            rev(440_050),
            (510_040, sent(4)),
            rev(510_060),
            (570_070, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty(), "{:?}", run(check, &t, &[]));
        // The next command's sale without a reversal first is still caught.
        let mut later = t.events.clone();
        let n = later.len() as u64;
        later.extend(
            transcript(vec![
                (700_000, command()),
                (700_010, frame(ToHost, "0200", "000003", Fate::Forwarded)),
            ])
            .events
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                e.seq = n + i as u64;
                e
            }),
        );
        let t = crate::transcript::Transcript { events: later };
        let f = run(check, &t, &[]);
        assert!(
            f.iter().any(|f| f.contains("STAN 000003 at 700.010s")),
            "{f:?}"
        );
    }
}
