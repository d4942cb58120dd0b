//! `connect_retry_policy`: a terminal that cannot reach its host redials with a pause, and
//! tries every host it has before giving up. Two field bugs this catches: redialing back to
//! back (a fleet hammering a host that is coming back up), and a terminal with a backup host
//! that never uses it, failing sales the backup would have taken.
//!
//! Evidence is the harness's own dial records (`dial_failed`, written by the dialer it hands
//! the terminal), not the terminal's account: a refused connect never reaches the proxy.
//!
//! - After a failed dial, the next dial to the same host by the same terminal comes no sooner
//!   than `connect_backoff` later, unless a new command or a power cycle came in between (a new
//!   transaction starts a new round of dials).
//! - A transaction reported as failed for want of a connection was preceded, since its command,
//!   by `1 + connect_retries` failed dials to the primary host and, when the terminal has a
//!   backup, as many to the backup. So was one approved offline as "unable to go online"
//!   (`Y3`) with no request of that terminal on the wire since its command: approving without
//!   the issuer takes a risk the backup host, or one more dial, would have spared.
//!
//! Not checked: an upper bound on dials. Where one round of redials ends and the next begins
//! (say, the resend of a pending reversal) is only known inside the terminal.

use std::collections::BTreeMap;

use posfault_proxies::fault::Route;

use crate::check::{CheckInput, Terminals, is_reversible};
use crate::terminal::{FailReason, TerminalEvent, TxnResult, UNABLE_ONLINE_APPROVED};
use crate::transcript::{At, EventKind};

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let mut findings = backoff(input);
    findings.extend(gave_up_early(input));
    findings
}

fn backoff(input: &CheckInput<'_>) -> Vec<String> {
    let policy = input.policy;
    let least = policy.connect_backoff.get();
    let slack = input.tick * 2;
    let mut last_failure: BTreeMap<(String, Route), At> = BTreeMap::new();
    let mut findings = Vec::new();
    for e in &input.transcript.events {
        let EventKind::Terminal(t) = &e.kind else {
            continue;
        };
        match t {
            TerminalEvent::Command { terminal, .. } => {
                last_failure.retain(|(id, _), _| id != terminal);
            }
            TerminalEvent::PowerOn => last_failure.clear(),
            TerminalEvent::DialFailed {
                terminal,
                route,
                error,
            } => {
                let key = (terminal.clone(), *route);
                if let Some(prev) = last_failure.get(&key) {
                    let gap = e.at.duration().saturating_sub(prev.duration());
                    if gap + slack < least {
                        findings.push(format!(
                            "{terminal} redialed the {} host at {} only {}ms after the dial that failed at {} ({error}); the policy pauses at least connect_backoff {} between redials",
                            route.name(),
                            e.at,
                            gap.as_millis(),
                            prev,
                            policy.connect_backoff
                        ));
                    }
                }
                last_failure.insert(key, e.at);
            }
            _ => {}
        }
    }
    findings
}

fn gave_up_early(input: &CheckInput<'_>) -> Vec<String> {
    let policy = input.policy;
    let owed = 1 + policy.connect_retries as usize;
    let terminals = Terminals::of(input);
    let mut handed: BTreeMap<&str, At> = BTreeMap::new();
    let mut findings = Vec::new();
    let events = &input.transcript.events;
    for e in events {
        let EventKind::Terminal(t) = &e.kind else {
            continue;
        };
        match t {
            TerminalEvent::Command { txn, .. } => {
                handed.insert(txn.as_str(), e.at);
            }
            TerminalEvent::Outcome(o) => {
                let terminal = terminals.get(&o.txn);
                let since = handed.get(o.txn.as_str()).copied().unwrap_or(At(0));
                let what = if o.result == TxnResult::Failed && o.reason == Some(FailReason::Connect)
                {
                    "reported failed (no connection)"
                } else if o.result == TxnResult::Approved
                    && o.rc.as_deref() == Some(UNABLE_ONLINE_APPROVED)
                    && !went_out(input, terminal, since, e.at)
                {
                    "approved offline as unable to go online (Y3)"
                } else {
                    continue;
                };
                let count = |route: Route| {
                    events
                        .iter()
                        .filter(|d| since <= d.at && d.at <= e.at)
                        .filter(|d| {
                            matches!(&d.kind, EventKind::Terminal(TerminalEvent::DialFailed { terminal: id, route: r, .. })
                                if id == terminal && *r == route)
                        })
                        .count()
                };
                let mut routes = vec![Route::Primary];
                if policy.backup_host {
                    routes.push(Route::Backup);
                }
                for route in routes {
                    let n = count(route);
                    if n < owed {
                        findings.push(format!(
                            "{} was {what} at {} after {n} failed dial(s) to the {} host since {}; the policy dials each host 1 + {} times{}",
                            o.txn,
                            e.at,
                            route.name(),
                            since,
                            policy.connect_retries,
                            if route == Route::Backup {
                                " and has a backup host"
                            } else {
                                ""
                            }
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    findings
}

/// Whether `terminal` put a financial request on the wire between `from` and `to`: then it
/// went online, and a Y3 after it follows an unanswered request, not a failed connect.
fn went_out(input: &CheckInput<'_>, terminal: &str, from: At, to: At) -> bool {
    input.transcript.frames().any(|(at, f)| {
        from <= at
            && at <= to
            && f.dir == posfault_proxies::fault::Direction::ToHost
            && is_reversible(f)
            && f.field(41) == Some(terminal)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{term, transcript};
    use crate::terminal::{Outcome, ReversalState, TerminalConfig};
    use std::time::Duration;

    fn dial_failed(route: Route) -> EventKind {
        term(TerminalEvent::DialFailed {
            terminal: "TERM0001".into(),
            route,
            error: "connection refused".into(),
        })
    }

    fn command() -> EventKind {
        term(TerminalEvent::Command {
            terminal: "TERM0001".into(),
            txn: "t1".into(),
            op: "sale".into(),
            amount: crate::money::Amount(500),
            card: "476173******0010".into(),
        })
    }

    fn gave_up() -> EventKind {
        term(TerminalEvent::Outcome(Outcome::failed(
            "t1",
            "000001",
            FailReason::Connect,
            ReversalState::None,
        )))
    }

    fn run(events: Vec<(u64, EventKind)>, backup: bool) -> Vec<String> {
        let policy = TerminalConfig {
            backup_host: backup,
            ..TerminalConfig::default()
        };
        check(&CheckInput {
            transcript: &transcript(events),
            journal: &[],
            policy: &policy,
            tick: Duration::from_millis(10),
        })
    }

    fn four_dials(route: Route, from: u64, gaps: [u64; 3]) -> Vec<(u64, EventKind)> {
        let mut at = from;
        let mut out = vec![(at, dial_failed(route))];
        for g in gaps {
            at += g;
            out.push((at, dial_failed(route)));
        }
        out
    }

    #[test]
    fn redials_that_back_off_and_exhaust_every_host_pass() {
        let mut events = vec![(1000, command())];
        events.extend(four_dials(Route::Primary, 1010, [2010, 4010, 8010]));
        events.extend(four_dials(Route::Backup, 15050, [2010, 4010, 8010]));
        events.push((29100, gave_up()));
        assert_eq!(run(events, true), Vec::<String>::new());
    }

    #[test]
    fn back_to_back_redials_fail() {
        let mut events = vec![(1000, command())];
        events.extend(four_dials(Route::Primary, 1010, [10, 10, 10]));
        events.push((1050, gave_up()));
        let findings = run(events, false);
        assert_eq!(findings.len(), 3, "{findings:?}");
        assert!(
            findings[0].contains("redialed the primary host at 1.020s only 10ms after"),
            "{}",
            findings[0]
        );
    }

    #[test]
    fn giving_up_without_trying_the_backup_fails() {
        let mut events = vec![(1000, command())];
        events.extend(four_dials(Route::Primary, 1010, [2010, 4010, 8010]));
        events.push((15100, gave_up()));
        let findings = run(events, true);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].contains("after 0 failed dial(s) to the backup host"),
            "{}",
            findings[0]
        );
    }

    #[test]
    fn a_new_command_starts_a_new_round_of_dials() {
        let mut events = vec![(1000, command())];
        events.extend(four_dials(Route::Primary, 1010, [2010, 4010, 8010]));
        events.push((15100, gave_up()));
        events.push((15200, command()));
        events.push((15210, dial_failed(Route::Primary)));
        assert_eq!(run(events, false), Vec::<String>::new());
    }

    fn approved_y3() -> EventKind {
        term(TerminalEvent::Outcome(Outcome::approved_unable_online(
            "t1", "000001",
        )))
    }

    #[test]
    fn approving_unable_to_go_online_is_judged_like_giving_up() {
        // Every dial made: fine.
        let mut events = vec![(1000, command())];
        events.extend(four_dials(Route::Primary, 1010, [2010, 4010, 8010]));
        events.push((15100, approved_y3()));
        assert_eq!(run(events, false), Vec::<String>::new());
        // One dial, then Y3: the issuer was never given its chance.
        let events = vec![
            (1000, command()),
            (1010, dial_failed(Route::Primary)),
            (1100, approved_y3()),
        ];
        let findings = run(events, false);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].contains(
                "t1 was approved offline as unable to go online (Y3) at 1.100s after 1 failed dial(s) to the primary host"
            ),
            "{}",
            findings[0]
        );
    }

    #[test]
    fn a_y3_after_a_request_went_out_is_no_connect_failure() {
        use crate::check::fixtures::frame;
        use posfault_proxies::fault::Direction::ToHost;
        use posfault_proxies::link::Fate;
        let events = vec![
            (1000, command()),
            (1010, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (70_000, approved_y3()),
        ];
        assert_eq!(run(events, false), Vec::<String>::new());
    }
}
