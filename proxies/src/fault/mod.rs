//! The fault engine: ordered rules, each a matcher plus an action; the first rule that matches a
//! frame fires and its action decides the frame's fate.
//!
//! Every random decision draws from the one seeded RNG the caller hands to [`Engine::new`], so a
//! seed replays the same faults. The engine knows nothing about sockets: the link asks it about
//! each frame and carries out the returned [`Effect`].
//!
//! # Adding a fault
//! 1. Add `actions/<kind>.rs` with a small config struct (serde, `deny_unknown_fields`, typed
//!    durations as [`crate::dur::Dur`]) and an `impl FaultAction` whose `apply` returns an
//!    [`Effect`]: which [`Piece`]s of bytes go forward and back, when, and what happens to the
//!    connection afterwards ([`Control`]). A fault on whole connections implements
//!    [`ConnAction`] instead and returns a [`ConnEffect`].
//! 2. Add the variant to [`Action`] (the YAML `kind` is the file name: `kind: drop_frame` is
//!    `DropFrame` in `drop_frame.rs`) and one arm to each `match` in `actions/mod.rs`
//!    (`kind`, `scope`, `apply` or `on_accept`, and `problems` if settings can be wrong).
//! 3. If no existing effect says what the link must do, extend [`Effect`] and teach the link to
//!    carry it out; effects are the link's whole vocabulary, so no action gets a special case
//!    there.
//! 4. Unit-test `apply` in the action's file, and add a catalogue scenario under
//!    `scenarios/faults/` that shows the fault end to end.

pub mod actions;
mod engine;
mod rule;

pub use actions::{
    Action, ConnAction, ConnEffect, Control, Effect, Fate, FaultAction, Piece, Scope,
};
pub use engine::{ConnFired, Engine, Fired, FrameView, Refusal};
pub use rule::{Direction, Matcher, Route, Rule};

#[cfg(test)]
pub(crate) mod testing {
    //! Frames for action and engine tests.

    use std::time::Duration;

    use crate::fault::{Direction, FrameView};
    use crate::wire::{Framing, ISO87, Message, encode};

    /// A 0200 sale with a Luhn-valid test PAN and the given STAN.
    pub fn sale(stan: &str) -> Message {
        let mut m = Message::new("0200".parse().unwrap());
        m.set(2, "4761739001010010") // PAN
            .set(3, "000000") // processing code
            .set(4, "000000001234") // amount
            .set(11, stan) // STAN
            .set(12, "080001") // local time
            .set(13, "0115") // local date
            .set(41, "TERM0001") // terminal id
            .set(42, "MERCHANT0000001"); // merchant id
        m
    }

    /// A view of `m` as if it had just arrived on connection 1 at time zero.
    pub fn view(direction: Direction, m: &Message) -> FrameView<'_> {
        let raw = encode(&ISO87, m).unwrap_or_default();
        FrameView {
            direction,
            conn: 1,
            message: Some(m),
            raw: Box::leak(raw.into_boxed_slice()),
            now: Duration::ZERO,
            dialect: &ISO87,
            framing: Framing::U16Be,
        }
    }
}
