//! Fault actions, one per file. Each is a small config struct whose `apply` turns a matching
//! frame into an [`Effect`] for the link to carry out.

mod drop_frame;

pub use drop_frame::DropFrame;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::engine::FrameView;

/// What the link does with a frame a rule fired on. This is the link's whole vocabulary:
/// actions compose these, the link never special-cases an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Do not deliver the frame; the connection stays up.
    Drop,
}

/// One fault action.
pub trait FaultAction {
    /// The effect on this frame. Randomness must come from `rng`, the run's seeded generator.
    fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Effect;
}

/// Every action a rule can take, tagged by `kind` in YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// See [`DropFrame`].
    DropFrame(DropFrame),
}

impl Action {
    pub(crate) fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Effect {
        match self {
            Action::DropFrame(a) => a.apply(frame, rng),
        }
    }
}
