//! `kind: duplicate`: the frame is delivered twice (or more), as a retransmitting middlebox or a
//! replaying switch does. A host must answer a duplicate request with 94 and must not debit
//! twice; a terminal must ignore a second reply.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dur::Dur;
use crate::fault::actions::{Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Delivers the frame, then `copies` more copies, each `gap` after the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Duplicate {
    /// Extra copies. Default 1.
    #[serde(default = "one")]
    pub copies: u32,
    /// Time between copies. Default `0ms`.
    #[serde(default)]
    pub gap: Dur,
}

fn one() -> u32 {
    1
}

impl Duplicate {
    /// At least one copy, and not a flood.
    pub fn problems(&self) -> Vec<(String, String)> {
        if (1..=100).contains(&self.copies) {
            Vec::new()
        } else {
            vec![(
                "copies".into(),
                format!("expected 1 to 100 extra copies, found {}", self.copies),
            )]
        }
    }
}

impl FaultAction for Duplicate {
    fn apply(&self, frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        let pieces = (0..=self.copies)
            .map(|i| frame.piece(self.gap.get() * i))
            .collect();
        let detail = format!(
            "{} extra cop{}, {} apart",
            self.copies,
            if self.copies == 1 { "y" } else { "ies" },
            self.gap
        );
        Effect::deliver(Fate::Duplicated, Some(detail), pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;
    use std::time::Duration;

    #[test]
    fn delivers_the_original_then_each_copy_a_gap_later() {
        let m = sale("000001");
        let f = view(Direction::ToHost, &m);
        let d = Duplicate {
            copies: 2,
            gap: Dur::from_millis(50),
        };
        let e = d.apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.fate, Fate::Duplicated);
        let times: Vec<_> = e.forward.iter().map(|p| p.after).collect();
        assert_eq!(times, [0, 50, 100].map(Duration::from_millis));
        assert!(
            e.forward
                .iter()
                .all(|p| p.bytes == f.piece(Duration::ZERO).bytes)
        );
    }

    #[test]
    fn zero_copies_is_reported() {
        let d = Duplicate {
            copies: 0,
            gap: Dur::default(),
        };
        assert_eq!(d.problems()[0].0, "copies");
    }
}
