//! What the link reports. Frames are recorded decoded and as (masked) hex, so a corrupt frame
//! can still be shown and no card data is ever recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

pub use crate::fault::Fate;
use crate::fault::{Direction, Route};
use crate::wire::mask::{hex, masked_copy, masked_fields, scrub_raw};
use crate::wire::{DecodeError, Dialect, Message, encode};

/// Which end of a relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The terminal's connection to the proxy.
    Terminal,
    /// The proxy's connection to the host.
    Host,
    /// The proxy itself, carrying out a fault (both sides end at once).
    Proxy,
}

/// One frame seen by the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameEvent {
    /// Connection number, 1-based.
    pub conn: u32,
    /// Which way it travelled.
    pub dir: Direction,
    /// The MTI, when the frame decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mti: Option<String>,
    /// Masked field values by number, when the frame decoded.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<u8, String>,
    /// Why the frame did not decode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The message bytes (no framing header) as upper hex, with card data masked.
    pub hex: String,
    /// What the proxy did with it.
    pub fate: Fate,
    /// Specifics of the fate (`by 2s`, `flipped byte 17`); never card data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fault rule that fired on it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl FrameEvent {
    /// Builds the record of a frame, masking at the point of recording.
    pub fn new(
        conn: u32,
        dir: Direction,
        dialect: &Dialect,
        raw: &[u8],
        decoded: &Result<Message, DecodeError>,
    ) -> Self {
        let (mti, fields, error, hex_dump) = match decoded {
            Ok(m) => {
                let masked = encode(dialect, &masked_copy(dialect, m))
                    .unwrap_or_else(|_| scrub_raw(dialect, raw));
                (
                    Some(m.mti().to_string()),
                    masked_fields(dialect, m),
                    None,
                    hex(&masked),
                )
            }
            Err(e) => (
                None,
                BTreeMap::new(),
                Some(e.to_string()),
                hex(&scrub_raw(dialect, raw)),
            ),
        };
        FrameEvent {
            conn,
            dir,
            mti,
            fields,
            error,
            hex: hex_dump,
            fate: Fate::Forwarded,
            detail: None,
            rule: None,
        }
    }

    /// A field's masked value.
    pub fn field(&self, n: u8) -> Option<&str> {
        self.fields.get(&n).map(String::as_str)
    }
}

/// Everything the link reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LinkEvent {
    /// A terminal connected to the proxy and the proxy reached the host.
    ConnOpened {
        /// Connection number.
        conn: u32,
        /// The route the terminal took, named only when it is the backup.
        #[serde(skip_serializing_if = "Route::is_primary")]
        route: Route,
    },
    /// A terminal connected but the proxy could not reach the host.
    UpstreamFailed {
        /// Connection number.
        conn: u32,
        /// The connect error.
        error: String,
    },
    /// A frame passed through (or was stopped by) the proxy.
    Frame(FrameEvent),
    /// A connection-level fault rule fired on a new connection.
    ConnFault {
        /// Connection number.
        conn: u32,
        /// The rule's name.
        rule: String,
        /// What the proxy does with the connection.
        what: String,
    },
    /// A refusal window opened: the proxy closed its listening socket.
    Refusing {
        /// The rule's name.
        rule: String,
        /// When the window closes, as time since the run started.
        until: String,
    },
    /// A refusal window closed: the proxy listens again.
    Listening {
        /// The rule whose window ended.
        rule: String,
    },
    /// A frame reached its destination later than it reached the proxy (a delay, throttle or
    /// fragment fault, or queued behind one). Frames without this event were delivered as they
    /// arrived. Checks use it: a reply the proxy saw in time may reach the terminal too late.
    Delivered {
        /// Connection number.
        conn: u32,
        /// Which way it travelled.
        dir: Direction,
        /// Its MTI, when it decoded.
        #[serde(skip_serializing_if = "Option::is_none")]
        mti: Option<String>,
        /// Its STAN (field 11), when it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        stan: Option<String>,
    },
    /// One side of a connection ended.
    ConnClosed {
        /// Connection number.
        conn: u32,
        /// Which side ended it.
        side: Side,
        /// How: `eof`, or the I/O or framing error.
        how: String,
    },
}

/// Receives link events. Implementations stamp them with their own clock.
pub trait EventSink: Send + Sync {
    /// Records one event.
    fn emit(&self, event: LinkEvent);

    /// Whether frames no rule touched are wanted. Building a frame's record (masking, hex)
    /// costs more than relaying it, so a live proxy without a transcript says no; frames a
    /// rule fired on are always reported.
    fn records_every_frame(&self) -> bool {
        true
    }
}

/// Time since the run started: simulated time in the simulation, monotonic time live.
pub trait Clock: Send + Sync {
    /// Now, relative to the run's start.
    fn now(&self) -> Duration;
}

/// The live proxy's clock: monotonic time since it started. Never used inside the simulation.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    start: std::time::Instant,
}

impl MonotonicClock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        MonotonicClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}
