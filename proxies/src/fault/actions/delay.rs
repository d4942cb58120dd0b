//! `kind: delay`: the frame arrives late. Later frames of the same direction wait behind it
//! (TCP keeps order), and time a frame already spent queued counts towards its delay.
//!
//! One of three forms: `by: 2s` (fixed); `min: 100ms, max: 3s` (uniform); `mean: 1s,
//! deviation: 300ms` (normal, clipped at 0).

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::dur::Dur;
use crate::fault::actions::{Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Delays the matching frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    /// A fixed delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Dur>,
    /// Lower bound of a uniform delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dur>,
    /// Upper bound of a uniform delay (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dur>,
    /// Mean of a normal delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Dur>,
    /// Standard deviation of a normal delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<Dur>,
}

impl Delay {
    /// Draws one delay; whole milliseconds, so transcripts stay readable.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Duration {
        let ms = |d: Dur| d.get().as_millis() as u64;
        match (self.by, self.min, self.max, self.mean, self.deviation) {
            (Some(by), ..) => by.get(),
            (_, Some(lo), Some(hi), ..) if lo <= hi => {
                Duration::from_millis(rng.random_range(ms(lo)..=ms(hi)))
            }
            (.., Some(mean), Some(dev)) => {
                let sample = Normal::new(ms(mean) as f64, ms(dev) as f64)
                    .map(|n| n.sample(rng))
                    .unwrap_or(ms(mean) as f64);
                Duration::from_millis(sample.max(0.0).round() as u64)
            }
            _ => Duration::ZERO,
        }
    }

    /// Exactly one of the three forms must be given, completely.
    pub fn problems(&self) -> Vec<(String, String)> {
        let forms = [
            self.by.is_some(),
            self.min.is_some() || self.max.is_some(),
            self.mean.is_some() || self.deviation.is_some(),
        ];
        let form_help =
            "give one of `by: 2s`, `min: 100ms, max: 3s` or `mean: 1s, deviation: 300ms`";
        let mut out = Vec::new();
        if forms.iter().filter(|f| **f).count() != 1 {
            out.push((String::new(), form_help.to_string()));
        } else if forms[1] {
            match (self.min, self.max) {
                (Some(lo), Some(hi)) if hi < lo => out.push((
                    "max".into(),
                    format!("max ({hi}) is below min ({lo}); expected min <= max"),
                )),
                (Some(_), Some(_)) => {}
                _ => out.push((
                    String::new(),
                    format!("a uniform delay needs both min and max; {form_help}"),
                )),
            }
        } else if forms[2] && (self.mean.is_none() || self.deviation.is_none()) {
            out.push((
                String::new(),
                format!("a normal delay needs both mean and deviation; {form_help}"),
            ));
        }
        out
    }
}

impl FaultAction for Delay {
    fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Effect {
        let by = self.draw(rng);
        Effect::deliver(
            Fate::Delayed,
            Some(format!("by {}", Dur(by))),
            vec![frame.piece(by)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    fn delay(yaml: &str) -> Delay {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_fixed_delay_delivers_the_whole_frame_that_much_later() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let e = delay("by: 2s").apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.fate, Fate::Delayed);
        assert_eq!(e.detail.as_deref(), Some("by 2s"));
        assert_eq!(e.forward, vec![f.piece(Duration::from_secs(2))]);
    }

    #[test]
    fn a_uniform_delay_stays_within_its_bounds_and_replays_by_seed() {
        let d = delay("{min: 100ms, max: 300ms}");
        for seed in 0..50 {
            let a = d.draw(&mut ChaCha8Rng::seed_from_u64(seed));
            let b = d.draw(&mut ChaCha8Rng::seed_from_u64(seed));
            assert_eq!(a, b, "seed {seed}");
            assert!(
                a >= Duration::from_millis(100) && a <= Duration::from_millis(300),
                "seed {seed}: {a:?}"
            );
        }
    }

    #[test]
    fn a_normal_delay_is_never_negative() {
        let d = delay("{mean: 10ms, deviation: 1s}");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let draws: Vec<_> = (0..200).map(|_| d.draw(&mut rng)).collect();
        assert!(
            draws.contains(&Duration::ZERO),
            "clipping at 0 never happened"
        );
        assert!(draws.iter().any(|d| *d > Duration::from_millis(500)));
    }

    #[test]
    fn mixed_or_incomplete_forms_are_reported() {
        assert!(delay("by: 1s").problems().is_empty());
        assert!(!delay("{by: 1s, min: 1ms, max: 2ms}").problems().is_empty());
        assert!(!delay("{min: 1s}").problems().is_empty());
        assert!(
            delay("{min: 2s, max: 1s}").problems()[0]
                .1
                .contains("below min")
        );
        assert!(!delay("{mean: 1s}").problems().is_empty());
        assert!(!delay("{}").problems().is_empty());
    }
}
