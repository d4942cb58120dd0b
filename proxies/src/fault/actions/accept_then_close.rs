//! `kind: accept_then_close`: accepts the connection and closes it at once (FIN) without reaching
//! the host, as an overloaded load balancer does. The terminal connects, sends its request, and
//! reads end-of-stream.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{ConnAction, ConnEffect};

/// See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptThenClose {}

impl ConnAction for AcceptThenClose {
    fn on_accept(&self, _rng: &mut ChaCha8Rng) -> ConnEffect {
        ConnEffect::Close
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Action, Engine, Matcher, Rule};
    use rand::SeedableRng;
    use std::time::Duration;

    #[test]
    fn closes_at_once_on_the_matching_connection_only() {
        let rule = Rule {
            name: "r".into(),
            when: Matcher {
                conn: Some(2),
                ..Matcher::default()
            },
            action: Action::AcceptThenClose(AcceptThenClose {}),
        };
        let mut e = Engine::new(vec![rule], ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.on_accept(1, Duration::ZERO), None);
        let fired = e.on_accept(2, Duration::ZERO).unwrap();
        assert_eq!(
            (fired.rule.as_str(), fired.effect),
            ("r", ConnEffect::Close)
        );
    }
}
