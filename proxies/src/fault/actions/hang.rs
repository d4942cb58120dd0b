//! `kind: hang`: from this frame on the connection stays open and nothing more is forwarded either
//! way, as a wedged host or a half-dead NAT looks. The terminal can only find out through its own
//! timer.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Control, Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Stops the frame, then `Control::Hang`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hang {}

impl FaultAction for Hang {
    fn apply(&self, _frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        Effect::stop(Fate::Hung, Control::Hang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    #[test]
    fn stops_the_frame_and_tells_the_link_to_hang_the_connection() {
        let m = sale("000001");
        let effect = Hang {}.apply(
            &view(Direction::ToHost, &m),
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(effect.fate, Fate::Hung);
        assert!(effect.forward.is_empty() && effect.reply.is_empty());
        assert_eq!(effect.then, Control::Hang);
    }
}
