//! Scheduled power cycles of a node (the terminal, or the host): cut at a time, right after a
//! frame passes the proxy, or `wait` after a transaction's outcome; restore after `off_for`. The runner calls
//! [`PowerPlan::between_steps`] after every simulation step; it is the only place that crashes
//! and bounces nodes.

use std::time::Duration;

use posfault_proxies::link::{Fate, FrameEvent, LinkEvent};

use crate::scenario::{FrameTrigger, PowerCycle, Scenario, Step};
use crate::terminal::TerminalEvent;
use crate::transcript::{EventKind, HostEvent, Recorder};

struct Planned {
    cycle: PowerCycle,
    /// Frames seen so far that meet the trigger (for `nth`).
    seen: u32,
    /// When the outcome named by `after_txn` was reported, once it was.
    reported: Option<Duration>,
    /// When power was cut, once it was.
    cut_at: Option<Duration>,
    done: bool,
}

/// The power cycles of one node in one run.
pub struct PowerPlan {
    planned: Vec<Planned>,
    /// Transcript position up to which frames have been matched against triggers.
    scanned: usize,
    /// What is recorded when power goes and comes back.
    events: OffOn,
}

/// Makers of the events recorded when a node goes down and comes back.
type OffOn = (fn() -> EventKind, fn() -> EventKind);

/// What the runner must do to the terminal node now.
#[derive(Debug, PartialEq, Eq)]
pub enum PowerAction {
    /// Nothing.
    None,
    /// Crash the node.
    Cut,
    /// Bounce the node.
    Restore,
}

impl PowerPlan {
    /// The terminal's power cycles from a scenario's schedule.
    pub fn terminal(scenario: &Scenario) -> Self {
        Self::new(
            scenario.schedule.iter().filter_map(|s| match s {
                Step::PowerCycle(p) => Some(p.clone()),
                _ => None,
            }),
            (
                || TerminalEvent::PowerOff.into(),
                || TerminalEvent::PowerOn.into(),
            ),
        )
    }

    /// The host's crashes and restarts from a scenario's schedule.
    pub fn host(scenario: &Scenario) -> Self {
        Self::new(
            scenario.schedule.iter().filter_map(|s| match s {
                Step::HostRestart(p) => Some(p.clone()),
                _ => None,
            }),
            (|| HostEvent::Down.into(), || HostEvent::Up.into()),
        )
    }

    fn new(cycles: impl Iterator<Item = PowerCycle>, events: OffOn) -> Self {
        PowerPlan {
            planned: cycles
                .map(|cycle| Planned {
                    cycle,
                    seen: 0,
                    reported: None,
                    cut_at: None,
                    done: false,
                })
                .collect(),
            scanned: 0,
            events,
        }
    }

    /// True while the terminal is switched off.
    pub fn is_off(&self) -> bool {
        self.planned.iter().any(|p| p.cut_at.is_some() && !p.done)
    }

    /// Decides, after a step ending at `now`, whether to cut or restore power; records it.
    pub fn between_steps(&mut self, now: Duration, rec: &Recorder) -> PowerAction {
        let fresh = rec.since_timed(self.scanned);
        self.scanned += fresh.len();
        for p in self.planned.iter_mut().filter(|p| p.reported.is_none()) {
            if let Some(txn) = &p.cycle.after_txn {
                p.reported = fresh
                    .iter()
                    .filter_map(|(at, k)| outcome_of(k, txn).then_some(at.duration()))
                    .min();
            }
        }
        if let Some(p) = self
            .planned
            .iter_mut()
            .find(|p| p.cut_at.is_some() && !p.done)
        {
            let cut = p.cut_at.unwrap_or_default();
            if now >= cut + p.cycle.off_for.get() {
                p.done = true;
                rec.record_at(now, (self.events.1)());
                return PowerAction::Restore;
            }
            return PowerAction::None;
        }
        for p in self.planned.iter_mut().filter(|p| p.cut_at.is_none()) {
            let due = match (&p.cycle.at, &p.cycle.after, p.reported) {
                (Some(at), _, _) => now >= at.get(),
                (None, Some(trigger), _) => {
                    let hits = fresh
                        .iter()
                        .filter(|(_, k)| frame(k).is_some_and(|f| meets(trigger, f)))
                        .count();
                    p.seen += hits as u32;
                    p.seen >= trigger.nth.unwrap_or(1)
                }
                (None, None, Some(reported)) => {
                    now >= reported + p.cycle.wait.map(|w| w.get()).unwrap_or_default()
                }
                (None, None, None) => false,
            };
            if due {
                p.cut_at = Some(now);
                rec.record_at(now, (self.events.0)());
                return PowerAction::Cut;
            }
        }
        PowerAction::None
    }
}

/// Whether `kind` is the outcome of transaction `txn`, or of a fleet member's copy of it
/// (`txn@TERM0002`).
fn outcome_of(kind: &EventKind, txn: &str) -> bool {
    match kind {
        EventKind::Terminal(TerminalEvent::Outcome(o)) => {
            o.txn == txn
                || o.txn
                    .strip_prefix(txn)
                    .is_some_and(|rest| rest.starts_with('@'))
        }
        _ => false,
    }
}

fn frame(kind: &EventKind) -> Option<&FrameEvent> {
    match kind {
        EventKind::Link(LinkEvent::Frame(f)) => Some(f),
        _ => None,
    }
}

fn meets(t: &FrameTrigger, f: &FrameEvent) -> bool {
    t.direction.is_none_or(|d| d == f.dir)
        && (t.mti.is_empty()
            || f.mti
                .as_deref()
                .is_some_and(|m| t.mti.iter().any(|x| x.as_str() == m)))
        && f.fate == Fate::Forwarded
}
