//! Fault actions, one per file. Each is a small config struct whose `apply` turns a matching
//! frame into an [`Effect`] (or, for connection-level actions, a new connection into a
//! [`ConnEffect`]) for the link to carry out.

mod accept_then_close;
mod close;
mod corrupt;
mod delay;
mod delay_accept;
mod drop_frame;
mod duplicate;
mod fragment;
mod hang;
mod maintenance;
mod never_answer;
mod refuse;
mod reply_as_host;
mod reset;
mod throttle;

pub use accept_then_close::AcceptThenClose;
pub use close::Close;
pub use corrupt::{Corrupt, CorruptHow};
pub use delay::Delay;
pub use delay_accept::DelayAccept;
pub use drop_frame::DropFrame;
pub use duplicate::Duplicate;
pub use fragment::Fragment;
pub use hang::Hang;
pub use maintenance::{Maintenance, MaintenanceMode};
pub use never_answer::NeverAnswer;
pub use refuse::Refuse;
pub use reply_as_host::{ReplyAsHost, response_to};
pub use reset::Reset;
pub use throttle::Throttle;

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::engine::FrameView;

/// What became of a frame, as recorded in the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Passed on unchanged.
    Forwarded,
    /// Not delivered; the connection stays up.
    Dropped,
    /// Delivered late.
    Delayed,
    /// Delivered more than once.
    Duplicated,
    /// Delivered with damage.
    Corrupted,
    /// Not forwarded; the proxy answered in the host's place.
    Answered,
    /// A reply the proxy made up (see `Answered`).
    Injected,
    /// Not forwarded; the connection was closed (FIN both ways).
    Closed,
    /// Not forwarded; the connection was reset (RST).
    Reset,
    /// Not forwarded; from here on the connection stays open and carries nothing.
    Hung,
    /// Not forwarded because the connection hangs or is never answered.
    Swallowed,
    /// Delivered slowly, a few bytes at a time.
    Throttled,
    /// Delivered in pieces with gaps.
    Fragmented,
}

impl Fate {
    /// Whether the frame (or a copy of it) reaches its destination intact, possibly late.
    pub fn delivers(self) -> bool {
        matches!(
            self,
            Fate::Forwarded
                | Fate::Delayed
                | Fate::Duplicated
                | Fate::Injected
                | Fate::Throttled
                | Fate::Fragmented
        )
    }
}

/// Bytes to write on a stream, `after` the frame that caused them arrived. The link writes
/// pieces of one direction in order, each no earlier than its time, so a late piece holds back
/// everything behind it and time already spent waiting counts towards a delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// When, counted from the arrival of the frame that caused it.
    pub after: Duration,
    /// Bytes as they go on the wire, framing header included.
    pub bytes: Vec<u8>,
}

/// What happens to the connection after a frame's pieces are queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Control {
    /// Carry on.
    #[default]
    Keep,
    /// Close both sides at once with a FIN; queued pieces are discarded.
    Close,
    /// Reset both sides at once (RST); queued pieces are discarded.
    Reset,
    /// Stop forwarding in both directions and leave the connection open until a peer closes.
    Hang,
}

/// What the link does with a frame a rule fired on. This is the link's whole vocabulary:
/// actions compose these, the link never special-cases an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// How the transcript names what happened.
    pub fate: Fate,
    /// Specifics for the transcript (`by 250ms`, `flipped byte 17`); never card data.
    pub detail: Option<String>,
    /// Pieces towards the frame's destination.
    pub forward: Vec<Piece>,
    /// Pieces back towards the frame's sender (a made-up reply).
    pub reply: Vec<Piece>,
    /// What happens to the connection afterwards.
    pub then: Control,
}

impl Effect {
    /// The frame goes on unchanged, at once.
    pub fn forward(frame: &FrameView<'_>) -> Self {
        Effect::deliver(Fate::Forwarded, None, vec![frame.piece(Duration::ZERO)])
    }

    /// The frame is delivered as these pieces.
    pub fn deliver(fate: Fate, detail: Option<String>, forward: Vec<Piece>) -> Self {
        Effect {
            fate,
            detail,
            forward,
            reply: Vec::new(),
            then: Control::Keep,
        }
    }

    /// Nothing is delivered, and then `then`.
    pub fn stop(fate: Fate, then: Control) -> Self {
        Effect {
            fate,
            detail: None,
            forward: Vec::new(),
            reply: Vec::new(),
            then,
        }
    }
}

/// What happens to a new connection a connection-level rule fired on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnEffect {
    /// Accept, then close at once (FIN) without reaching the host.
    Close,
    /// Accept and read whatever comes, never reach the host, never answer.
    Ignore,
    /// Wait this long before reading or reaching the host, then relay normally.
    Delay(Duration),
}

/// Where an action acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// On one frame at a time.
    Frame,
    /// On a new connection, before any frame.
    Connection,
    /// On the listening socket, for a time window: connections are refused by the network.
    Listener,
}

/// One frame-level fault action.
pub trait FaultAction {
    /// The effect on this frame. Randomness must come from `rng`, the run's seeded generator.
    fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Effect;
}

/// One connection-level fault action.
pub trait ConnAction {
    /// The effect on a new connection. Randomness must come from `rng`.
    fn on_accept(&self, rng: &mut ChaCha8Rng) -> ConnEffect;
}

/// Every action a rule can take, tagged by `kind` in YAML. Each variant's doc is what an editor
/// shows for its `kind` (`posfault schema`), so it says what the fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// The frame arrives late: `by`, `min`/`max` or `mean`/`deviation` ([`Delay`]).
    Delay(Delay),
    /// The frame vanishes; the connection stays up ([`DropFrame`]).
    DropFrame(DropFrame),
    /// The frame is delivered, then `copies` more copies `gap` apart ([`Duplicate`]).
    Duplicate(Duplicate),
    /// The frame arrives damaged, `how`: flip_byte, truncate, garbage, bad_length or field
    /// ([`Corrupt`]).
    Corrupt(Corrupt),
    /// The proxy answers a request with `rc` in the host's place ([`ReplyAsHost`]).
    ReplyAsHost(ReplyAsHost),
    /// The connection is closed both ways with a FIN ([`Close`]).
    Close(Close),
    /// The connection is reset both ways, RST ([`Reset`]).
    Reset(Reset),
    /// From this frame on the connection stays open and carries nothing ([`Hang`]).
    Hang(Hang),
    /// The frame trickles through at `bytes_per_second` ([`Throttle`]).
    Throttle(Throttle),
    /// The frame arrives in `pieces` parts, `gap` apart ([`Fragment`]).
    Fragment(Fragment),
    /// New connections are refused while the rule's window is open ([`Refuse`]).
    Refuse(Refuse),
    /// A new connection is accepted and closed at once ([`AcceptThenClose`]).
    AcceptThenClose(AcceptThenClose),
    /// A new connection is accepted and read, never answered ([`NeverAnswer`]).
    NeverAnswer(NeverAnswer),
    /// A new connection waits `by` (or a drawn delay) before it is served ([`DelayAccept`]).
    DelayAccept(DelayAccept),
    /// The host is in maintenance: `mode` refuse, accept_then_close or answer `rc`
    /// ([`Maintenance`]).
    Maintenance(Maintenance),
}

impl Action {
    /// The YAML `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Delay(_) => "delay",
            Action::DropFrame(_) => "drop_frame",
            Action::Duplicate(_) => "duplicate",
            Action::Corrupt(_) => "corrupt",
            Action::ReplyAsHost(_) => "reply_as_host",
            Action::Close(_) => "close",
            Action::Reset(_) => "reset",
            Action::Hang(_) => "hang",
            Action::Throttle(_) => "throttle",
            Action::Fragment(_) => "fragment",
            Action::Refuse(_) => "refuse",
            Action::AcceptThenClose(_) => "accept_then_close",
            Action::NeverAnswer(_) => "never_answer",
            Action::DelayAccept(_) => "delay_accept",
            Action::Maintenance(_) => "maintenance",
        }
    }

    /// Where the action acts.
    pub fn scope(&self) -> Scope {
        match self {
            Action::Refuse(_) => Scope::Listener,
            Action::AcceptThenClose(_) | Action::NeverAnswer(_) | Action::DelayAccept(_) => {
                Scope::Connection
            }
            Action::Maintenance(m) => m.scope(),
            _ => Scope::Frame,
        }
    }

    /// Problems a parser cannot see, as (path below the action, what is wrong).
    pub fn problems(&self) -> Vec<(String, String)> {
        match self {
            Action::Delay(a) => a.problems(),
            Action::Corrupt(a) => a.problems(),
            Action::ReplyAsHost(a) => a.problems(),
            Action::Throttle(a) => a.problems(),
            Action::Fragment(a) => a.problems(),
            Action::Duplicate(a) => a.problems(),
            Action::Maintenance(a) => a.problems(),
            _ => Vec::new(),
        }
    }

    /// The effect on a frame, for frame-level actions.
    pub(crate) fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Option<Effect> {
        Some(match self {
            Action::Delay(a) => a.apply(frame, rng),
            Action::DropFrame(a) => a.apply(frame, rng),
            Action::Duplicate(a) => a.apply(frame, rng),
            Action::Corrupt(a) => a.apply(frame, rng),
            Action::ReplyAsHost(a) => a.apply(frame, rng),
            Action::Close(a) => a.apply(frame, rng),
            Action::Reset(a) => a.apply(frame, rng),
            Action::Hang(a) => a.apply(frame, rng),
            Action::Throttle(a) => a.apply(frame, rng),
            Action::Fragment(a) => a.apply(frame, rng),
            Action::Maintenance(a) if a.scope() == Scope::Frame => a.apply(frame, rng),
            _ => return None,
        })
    }

    /// The effect on a new connection, for connection-level actions.
    pub(crate) fn on_accept(&self, rng: &mut ChaCha8Rng) -> Option<ConnEffect> {
        Some(match self {
            Action::AcceptThenClose(a) => a.on_accept(rng),
            Action::NeverAnswer(a) => a.on_accept(rng),
            Action::DelayAccept(a) => a.on_accept(rng),
            Action::Maintenance(a) if a.scope() == Scope::Connection => a.on_accept(rng),
            _ => return None,
        })
    }
}
