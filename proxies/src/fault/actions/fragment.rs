//! `kind: fragment`: one frame arrives in several TCP segments with gaps between them, as over
//! a congested GPRS link. A reader that assumes one `read` returns one whole message breaks.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dur::Dur;
use crate::fault::actions::{Effect, Fate, FaultAction, Piece};
use crate::fault::engine::FrameView;

/// Splits the frame (header included) into `pieces` nearly equal parts, `gap` apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    /// Number of parts, at least 2. The first part is the framing header alone when the
    /// frame is too short to split further.
    pub pieces: u32,
    /// Time between parts. Default `100ms`.
    #[serde(default = "default_gap")]
    pub gap: Dur,
}

fn default_gap() -> Dur {
    Dur::from_millis(100)
}

impl Fragment {
    /// At least two pieces.
    pub fn problems(&self) -> Vec<(String, String)> {
        if (2..=1000).contains(&self.pieces) {
            Vec::new()
        } else {
            vec![(
                "pieces".into(),
                format!("expected 2 to 1000 pieces, found {}", self.pieces),
            )]
        }
    }
}

/// Splits `bytes` into `n` parts spread `gap` apart; sizes differ by at most one byte.
pub(crate) fn split(bytes: &[u8], n: usize, gap: std::time::Duration) -> Vec<Piece> {
    let n = n.clamp(1, bytes.len().max(1));
    let (base, extra) = (bytes.len() / n, bytes.len() % n);
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        out.push(Piece {
            after: gap * i as u32,
            bytes: bytes[at..at + len].to_vec(),
        });
        at += len;
    }
    out
}

impl FaultAction for Fragment {
    fn apply(&self, frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        let whole = frame.on_wire();
        let pieces = split(&whole, self.pieces as usize, self.gap.get());
        let detail = format!("{} pieces, {} apart", pieces.len(), self.gap);
        Effect::deliver(Fate::Fragmented, Some(detail), pieces)
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
    fn the_pieces_put_back_together_are_the_frame() {
        let m = sale("000001");
        let f = view(Direction::ToHost, &m);
        let e = Fragment {
            pieces: 3,
            gap: Dur::from_millis(200),
        }
        .apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.forward.len(), 3);
        let joined: Vec<u8> = e.forward.iter().flat_map(|p| p.bytes.clone()).collect();
        assert_eq!(joined, f.piece(Duration::ZERO).bytes);
        let times: Vec<_> = e.forward.iter().map(|p| p.after).collect();
        assert_eq!(times, [0, 200, 400].map(Duration::from_millis));
    }

    #[test]
    fn never_makes_empty_pieces() {
        let parts = split(b"abc", 10, Duration::from_millis(1));
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.bytes.len() == 1));
    }
}
