//! `kind: close`: closes the connection both ways with a FIN, as a host or load balancer that gives
//! up on a connection does. The frame is not delivered; the terminal sees its connection end with
//! no reply.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Control, Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Stops the frame, then `Control::Close`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Close {}

impl FaultAction for Close {
    fn apply(&self, _frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        Effect::stop(Fate::Closed, Control::Close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    #[test]
    fn stops_the_frame_and_tells_the_link_to_close_the_connection() {
        let m = sale("000001");
        let effect = Close {}.apply(
            &view(Direction::ToHost, &m),
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(effect.fate, Fate::Closed);
        assert!(effect.forward.is_empty() && effect.reply.is_empty());
        assert_eq!(effect.then, Control::Close);
    }
}
