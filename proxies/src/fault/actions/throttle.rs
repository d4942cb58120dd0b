//! `kind: throttle`: the frame trickles through at a fixed byte rate, as over a weak dial-up or
//! GPRS link. Bytes go out in 10 ms slices; later frames of the same direction queue behind.

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::fragment::split;
use crate::fault::actions::{Effect, Fate, FaultAction};
use crate::fault::engine::FrameView;

/// Delivers the frame at `bytes_per_second`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    /// The rate, at least 1.
    pub bytes_per_second: u32,
}

/// Slices per second: bytes go out at most every 10 ms.
const SLICE_PER_SECOND: u64 = 100;

impl Throttle {
    /// A positive rate.
    pub fn problems(&self) -> Vec<(String, String)> {
        if self.bytes_per_second == 0 {
            vec![(
                "bytes_per_second".into(),
                "expected at least 1 byte per second (use `hang` to stop a connection)".into(),
            )]
        } else {
            Vec::new()
        }
    }
}

impl FaultAction for Throttle {
    fn apply(&self, frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        let whole = frame.on_wire();
        let rate = u64::from(self.bytes_per_second.max(1));
        // Whole bytes per slice, rounded up so a slice is never shorter than 10 ms; the gap is
        // then exactly what the rate allows for that many bytes.
        let per_slice = rate.div_ceil(SLICE_PER_SECOND) as usize;
        let gap = Duration::from_nanos(per_slice as u64 * 1_000_000_000 / rate);
        let pieces = split(&whole, whole.len().div_ceil(per_slice), gap);
        let took = gap * (pieces.len() as u32).saturating_sub(1);
        let detail = format!(
            "{} B/s, {} bytes over {}",
            rate,
            whole.len(),
            crate::dur::Dur(took)
        );
        Effect::deliver(Fate::Throttled, Some(detail), pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use rand::SeedableRng;

    #[test]
    fn a_frame_takes_its_length_divided_by_the_rate() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let len = f.piece(Duration::ZERO).bytes.len();
        let e = Throttle {
            bytes_per_second: 1000,
        }
        .apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.fate, Fate::Throttled);
        // 10 bytes every 10 ms.
        assert!(e.forward.iter().all(|p| p.bytes.len() <= 10));
        let last = e.forward.last().unwrap().after;
        assert_eq!(
            last,
            Duration::from_millis(10 * (len.div_ceil(10) as u64 - 1))
        );
        let joined: Vec<u8> = e.forward.iter().flat_map(|p| p.bytes.clone()).collect();
        assert_eq!(joined, f.piece(Duration::ZERO).bytes);
    }

    #[test]
    fn a_rate_that_is_not_a_multiple_of_100_is_kept_exactly() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let e = Throttle {
            bytes_per_second: 150,
        }
        .apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        // 2 bytes every 13.333 ms is 150 B/s.
        assert_eq!(e.forward[0].bytes.len(), 2);
        assert_eq!(e.forward[1].after, Duration::from_nanos(13_333_333));
    }

    #[test]
    fn a_zero_rate_is_reported() {
        assert_eq!(
            Throttle {
                bytes_per_second: 0
            }
            .problems()
            .len(),
            1
        );
    }
}
