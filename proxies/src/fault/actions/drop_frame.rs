//! `kind: drop_frame`: the frame vanishes, the connection stays up. This is how a lost reply
//! looks to a terminal: its request reached the host, nothing comes back, its timer runs out.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Effect, FaultAction};
use crate::fault::engine::FrameView;

/// Drops the matching frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropFrame {}

impl FaultAction for DropFrame {
    fn apply(&self, _frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        Effect::Drop
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use rand::SeedableRng;
    use std::time::Duration;

    #[test]
    fn drops_whatever_it_is_given() {
        let f = FrameView {
            direction: Direction::ToHost,
            conn: 1,
            message: None,
            raw: b"x",
            now: Duration::ZERO,
        };
        let effect = DropFrame {}.apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(effect, Effect::Drop);
    }
}
