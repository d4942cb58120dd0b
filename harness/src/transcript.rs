//! The transcript: every frame, fault, timer, journal entry and outcome of a run, in one order.
//!
//! Events are stamped with simulated time when recorded and ordered by (time, recording order)
//! when the run ends. Nodes of a turmoil simulation run one after another within a tick, so
//! recording order alone is not time order; the stable sort makes it so, deterministically.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use posfault_proxies::fault::Direction;
use posfault_proxies::link::{Clock, EventSink, FrameEvent, LinkEvent};
use serde::{Serialize, Serializer};

use crate::host::JournalEntry;
use crate::terminal::{Outcome, TerminalEvent};

/// Simulated (or live run) time in milliseconds since the run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct At(pub u64);

impl At {
    /// From a duration since the run's start (sub-millisecond parts are dropped).
    pub fn from_duration(d: Duration) -> Self {
        At(d.as_millis() as u64)
    }

    /// As a duration.
    pub fn duration(self) -> Duration {
        Duration::from_millis(self.0)
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

impl Serialize for At {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who recorded an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The terminal under test.
    Terminal,
    /// The fault proxy between terminal and host.
    Proxy,
    /// The acquirer host.
    Host,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventKind {
    /// Seen by the proxy.
    Link(LinkEvent),
    /// Done or decided by the terminal.
    Terminal(TerminalEvent),
    /// A host journal entry.
    Host(HostEvent),
}

/// Host events: every journal entry appears in the transcript too.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HostEvent {
    /// A journal entry was appended. Nested, so its own `seq` and `at` do not collide with the
    /// event's.
    Journal {
        /// The entry (boxed: it is far larger than the other host events).
        entry: Box<JournalEntry>,
    },
    /// The host crashed (a scheduled `host_restart`): its connections are gone, its journal is
    /// not.
    Down,
    /// The host is serving again.
    Up,
}

impl EventKind {
    /// Who records this kind of event.
    pub fn actor(&self) -> Actor {
        match self {
            EventKind::Link(_) => Actor::Proxy,
            EventKind::Terminal(_) => Actor::Terminal,
            EventKind::Host(_) => Actor::Host,
        }
    }
}

/// One transcript entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When it happened.
    pub at: At,
    /// Position in the transcript, 0-based, after ordering.
    pub seq: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The ordered events of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Transcript {
    /// Events ordered by (time, recording order).
    pub events: Vec<Event>,
}

impl Transcript {
    /// Frames seen by the proxy, in order.
    pub fn frames(&self) -> impl Iterator<Item = (At, &FrameEvent)> + '_ {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::Link(LinkEvent::Frame(f)) => Some((e.at, f)),
            _ => None,
        })
    }

    /// Frames seen by the proxy, in order, each with the time it reached its destination: the
    /// time of its `delivered` event when a fault held it back, else the time the proxy saw it.
    pub fn frames_delivered(&self) -> Vec<(At, &FrameEvent)> {
        let mut out: Vec<(At, &FrameEvent)> = Vec::new();
        let mut late: Vec<bool> = Vec::new();
        for e in &self.events {
            match &e.kind {
                EventKind::Link(LinkEvent::Frame(f)) => {
                    out.push((e.at, f));
                    late.push(false);
                }
                // Only replies: a request counts from when the terminal sent it.
                EventKind::Link(LinkEvent::Delivered {
                    conn,
                    dir: Direction::ToTerminal,
                    mti,
                    stan,
                }) => {
                    let slot = out.iter().zip(&late).position(|((_, f), done)| {
                        !done
                            && f.conn == *conn
                            && f.dir == Direction::ToTerminal
                            && f.mti == *mti
                            && f.field(11) == stan.as_deref()
                            && f.fate.delivers()
                    });
                    if let Some(i) = slot {
                        out[i].0 = e.at;
                        late[i] = true;
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Terminal events, in order.
    pub fn terminal_events(&self) -> impl Iterator<Item = (At, &TerminalEvent)> + '_ {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::Terminal(t) => Some((e.at, t)),
            _ => None,
        })
    }

    /// The outcomes the terminal reported, in order.
    pub fn outcomes(&self) -> impl Iterator<Item = (At, &Outcome)> + '_ {
        self.terminal_events().filter_map(|(at, e)| match e {
            TerminalEvent::Outcome(o) => Some((at, o)),
            _ => None,
        })
    }

    /// When the terminal lost power (scheduled power cycles).
    pub fn power_offs(&self) -> Vec<At> {
        self.terminal_events()
            .filter(|(_, e)| matches!(e, TerminalEvent::PowerOff))
            .map(|(at, _)| at)
            .collect()
    }

    /// Time of the last event.
    pub fn end(&self) -> At {
        self.events.last().map(|e| e.at).unwrap_or_default()
    }
}

/// Called with every event as it is recorded.
pub type Tap = Arc<dyn Fn(&EventKind) + Send + Sync>;

/// Collects events from every actor of a run, stamped by the run's clock.
#[derive(Clone)]
pub struct Recorder {
    events: Arc<Mutex<Vec<(At, EventKind)>>>,
    clock: Arc<dyn Clock>,
    tap: Option<Tap>,
}

impl Recorder {
    /// A recorder stamping events with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Recorder {
            events: Arc::default(),
            clock,
            tap: None,
        }
    }

    /// A recorder that also hands every event to `tap` the moment it is recorded: how
    /// `posfault terminal --stdio` turns the reference terminal's outcomes into protocol lines
    /// at once, and how a live run wakes up on a frame that triggers a power cut.
    pub fn with_tap(clock: Arc<dyn Clock>, tap: Tap) -> Self {
        Recorder {
            events: Arc::default(),
            clock,
            tap: Some(tap),
        }
    }

    /// The run's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Records an event now.
    pub fn record(&self, kind: impl Into<EventKind>) {
        self.record_at(self.clock.now(), kind);
    }

    /// Records an event at a given time; for the runner, which acts between simulation steps
    /// where no node clock is current.
    pub fn record_at(&self, at: Duration, kind: impl Into<EventKind>) {
        let kind = kind.into();
        if let Some(tap) = &self.tap {
            tap(&kind);
        }
        self.lock().push((At::from_duration(at), kind));
    }

    /// How many events have been recorded so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kinds of the events recorded from position `from` on, in recording order.
    pub fn since(&self, from: usize) -> Vec<EventKind> {
        self.lock()[from..].iter().map(|(_, k)| k.clone()).collect()
    }

    /// Like [`Recorder::since`], with the time each event was recorded at.
    pub fn since_timed(&self, from: usize) -> Vec<(At, EventKind)> {
        self.lock()[from..].to_vec()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(At, EventKind)>> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Orders what was recorded into a transcript.
    pub fn transcript(&self) -> Transcript {
        let mut raw = self.lock().clone();
        raw.sort_by_key(|(at, _)| *at);
        Transcript {
            events: raw
                .into_iter()
                .enumerate()
                .map(|(i, (at, kind))| Event {
                    at,
                    seq: i as u64,
                    kind,
                })
                .collect(),
        }
    }
}

impl EventSink for Recorder {
    fn emit(&self, event: LinkEvent) {
        self.record(EventKind::Link(event));
    }
}

impl From<TerminalEvent> for EventKind {
    fn from(e: TerminalEvent) -> Self {
        EventKind::Terminal(e)
    }
}

impl From<HostEvent> for EventKind {
    fn from(e: HostEvent) -> Self {
        EventKind::Host(e)
    }
}
