//! `kind: delay_accept`: a new connection waits before the proxy reads from it or reaches the
//! host, as a host that is slow to take connections after a restart. In turmoil the
//! terminal's `connect` completes when the proxy accepts, and live the kernel completes it
//! before the proxy sees the connection; either way the terminal's first request sits unread
//! for `by`, so its connect and response timers are what is tested.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{ConnAction, ConnEffect, Delay};

/// Holds a new connection for a delay drawn like [`Delay`]'s (`by`, `min`/`max`,
/// `mean`/`deviation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DelayAccept {
    /// How long.
    #[serde(flatten)]
    pub delay: Delay,
}

impl DelayAccept {
    /// As for [`Delay`].
    pub fn problems(&self) -> Vec<(String, String)> {
        self.delay.problems()
    }
}

impl ConnAction for DelayAccept {
    fn on_accept(&self, rng: &mut ChaCha8Rng) -> ConnEffect {
        ConnEffect::Delay(self.delay.draw(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::time::Duration;

    #[test]
    fn holds_the_connection_for_the_drawn_delay() {
        let d: DelayAccept = serde_yaml::from_str("by: 3s").unwrap();
        assert_eq!(
            d.on_accept(&mut ChaCha8Rng::seed_from_u64(0)),
            ConnEffect::Delay(Duration::from_secs(3))
        );
    }
}
