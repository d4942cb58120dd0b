//! The fault engine: ordered rules, each a matcher plus an action; the first rule that matches a
//! frame fires and its action decides the frame's fate.
//!
//! Every random decision draws from the one seeded RNG the caller hands to [`Engine::new`], so a
//! seed replays the same faults. The engine knows nothing about sockets: the link asks it about
//! each frame and carries out the returned [`Effect`].
//!
//! # Adding a fault
//! 1. Add `actions/<kind>.rs` with a small config struct (serde, `deny_unknown_fields`, typed
//!    durations) and an `impl FaultAction` whose `apply` returns an [`Effect`].
//! 2. Add the variant to [`Action`] (the YAML `kind` is the file name: `kind: drop_frame` is
//!    `DropFrame` in `drop_frame.rs`) and one arm to `Action::apply`.
//! 3. If no existing [`Effect`] says what the link must do, add one and teach the link to carry
//!    it out; effects are the link's whole vocabulary, so no action gets a special case there.
//! 4. Unit-test `apply`, and add a catalogue scenario that shows the fault end to end.

pub mod actions;
mod engine;
mod rule;

pub use actions::{Action, Effect, FaultAction};
pub use engine::{Engine, Fired, FrameView};
pub use rule::{Direction, Matcher, Rule};
