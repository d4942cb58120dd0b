//! The host's processing delay: how long it takes to answer, drawn per request from the host's
//! own seeded RNG stream, so the same seed gives the same delays.

use posfault_proxies::dur::Dur;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A delay distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Delay {
    /// Always the same delay: `{kind: fixed, delay: 70s}`.
    Fixed {
        /// The delay.
        delay: Dur,
    },
    /// Uniform between two bounds, both included: `{kind: uniform, min: 10ms, max: 2s}`.
    Uniform {
        /// Shortest delay.
        min: Dur,
        /// Longest delay.
        max: Dur,
    },
}

impl Delay {
    /// Draws one delay (whole milliseconds, so transcripts stay readable).
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Duration {
        match *self {
            Delay::Fixed { delay } => delay.get(),
            Delay::Uniform { min, max } => {
                let (lo, hi) = (min.get().as_millis() as u64, max.get().as_millis() as u64);
                Duration::from_millis(rng.random_range(lo..=hi.max(lo)))
            }
        }
    }

    /// What is wrong with the distribution, if anything.
    pub fn problem(&self) -> Option<String> {
        match *self {
            Delay::Uniform { min, max } if min > max => {
                Some(format!("min {min} is above max {max}; expected min <= max"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn uniform_draws_stay_in_bounds_and_repeat_with_the_seed() {
        let d = Delay::Uniform {
            min: Dur::from_millis(10),
            max: Dur::from_millis(20),
        };
        let draws = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..100).map(|_| d.draw(&mut rng)).collect::<Vec<_>>()
        };
        let a = draws(7);
        assert!(a.iter().all(|x| (10..=20).contains(&x.as_millis())));
        assert_eq!(a, draws(7));
        assert_ne!(a, draws(8));
    }

    #[test]
    fn inverted_bounds_are_a_problem() {
        let d = Delay::Uniform {
            min: Dur::from_secs(2),
            max: Dur::from_secs(1),
        };
        assert!(d.problem().unwrap().contains("expected min <= max"));
    }
}
