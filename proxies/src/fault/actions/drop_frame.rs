//! `kind: drop_frame`: the frame vanishes, the connection stays up. This is how a lost reply
//! looks to a terminal: its request reached the host, nothing comes back, its timer runs out.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Control, Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Drops the matching frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DropFrame {}

impl FaultAction for DropFrame {
    fn apply(&self, _frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        Effect::stop(Fate::Dropped, Control::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    #[test]
    fn drops_the_frame_and_keeps_the_connection() {
        let m = sale("000001");
        let effect = DropFrame {}.apply(
            &view(Direction::ToHost, &m),
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(effect.fate, Fate::Dropped);
        assert!(effect.forward.is_empty() && effect.reply.is_empty());
        assert_eq!(effect.then, Control::Keep);
    }
}
