//! `kind: reset`: resets the connection both ways (RST), as a firewall or crashed host does. Live,
//! the proxy sets SO_LINGER to 0 before closing; in the simulation turmoil sends an RST only when
//! unread data is pending and a FIN otherwise, and the terminal sees a lost connection either way.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Control, Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Stops the frame, then `Control::Reset`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reset {}

impl FaultAction for Reset {
    fn apply(&self, _frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        Effect::stop(Fate::Reset, Control::Reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    #[test]
    fn stops_the_frame_and_tells_the_link_to_reset_the_connection() {
        let m = sale("000001");
        let effect = Reset {}.apply(
            &view(Direction::ToHost, &m),
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(effect.fate, Fate::Reset);
        assert!(effect.forward.is_empty() && effect.reply.is_empty());
        assert_eq!(effect.then, Control::Reset);
    }
}
