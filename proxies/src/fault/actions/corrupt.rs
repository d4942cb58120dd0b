//! `kind: corrupt`: the frame arrives damaged, as after a faulty modem, a buggy middlebox or a
//! host that mixes up replies. Each `how` tests a different part of the receiver: the codec
//! (`flip_byte`, `truncate`, `garbage`), the framing (`bad_length`), or the terminal's check
//! that a reply belongs to its request (`field`, e.g. a STAN or amount that no longer matches).

use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Effect, Fate, FaultAction, Piece};
use crate::fault::engine::FrameView;
use crate::wire::encode;
use crate::wire::mask::masked_value;

/// What kind of damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorruptHow {
    /// Invert one byte of the message (`offset`, or a random one).
    FlipByte,
    /// Keep only the first `keep` bytes of the message (default: half), framed as such.
    Truncate,
    /// Replace the message by random bytes of the same length.
    Garbage,
    /// Send the whole message under a header that counts one byte less, so the receiver
    /// takes a short frame and reads the stray byte as the start of the next header.
    BadLength,
    /// Change one field (`field`) to `value`, or to a different value of the same length.
    Field,
}

/// Damages the matching frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Corrupt {
    /// The kind of damage.
    pub how: CorruptHow,
    /// `flip_byte`: which byte of the message (0-based); default random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// `truncate`: how many bytes to keep; default half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<usize>,
    /// `field`: which field, e.g. 11 (STAN) or 4 (amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<u8>,
    /// `field`: the new value; default the old one with its last character changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Corrupt {
    /// Settings that belong to another `how`, or a `field` change without a field.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let allowed: &[&str] = match self.how {
            CorruptHow::FlipByte => &["offset"],
            CorruptHow::Truncate => &["keep"],
            CorruptHow::Field => &["field", "value"],
            CorruptHow::Garbage | CorruptHow::BadLength => &[],
        };
        let given = [
            ("offset", self.offset.is_some()),
            ("keep", self.keep.is_some()),
            ("field", self.field.is_some()),
            ("value", self.value.is_some()),
        ];
        for (name, set) in given {
            if set && !allowed.contains(&name) {
                out.push((
                    name.into(),
                    format!(
                        "`{name}` does not apply to how: {}; remove it",
                        self.how.name()
                    ),
                ));
            }
        }
        if self.how == CorruptHow::Field && !self.field.is_some_and(|f| (2..=128).contains(&f)) {
            out.push((
                "field".into(),
                "how: field needs the field number to change, 2 to 128 (11 = STAN, 4 = amount)"
                    .into(),
            ));
        }
        out
    }

    fn damage(
        &self,
        frame: &FrameView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<(Vec<u8>, String), String> {
        let raw = frame.raw;
        let framed = |body: &[u8]| frame.framing.frame(body).map_err(|e| e.to_string());
        match self.how {
            CorruptHow::FlipByte => {
                if raw.is_empty() {
                    return Err("empty frame".into());
                }
                let at = self
                    .offset
                    .unwrap_or_else(|| rng.random_range(0..raw.len()))
                    .min(raw.len() - 1);
                let mut body = raw.to_vec();
                body[at] = !body[at];
                Ok((framed(&body)?, format!("flipped byte {at}")))
            }
            CorruptHow::Truncate => {
                let keep = self.keep.unwrap_or(raw.len() / 2).min(raw.len());
                Ok((
                    framed(&raw[..keep])?,
                    format!("truncated to {keep} of {} bytes", raw.len()),
                ))
            }
            CorruptHow::Garbage => {
                let mut body = vec![0u8; raw.len()];
                rng.fill_bytes(&mut body);
                Ok((
                    framed(&body)?,
                    format!("replaced by {} random bytes", raw.len()),
                ))
            }
            CorruptHow::BadLength => {
                if raw.is_empty() {
                    return Err("empty frame".into());
                }
                let mut bytes = framed(&raw[..raw.len() - 1])?;
                bytes.push(raw[raw.len() - 1]);
                Ok((
                    bytes,
                    format!(
                        "length header says {} for {} bytes",
                        raw.len() - 1,
                        raw.len()
                    ),
                ))
            }
            CorruptHow::Field => {
                let n = self.field.unwrap_or(11);
                let mut msg = frame.message.ok_or("the frame did not decode")?.clone();
                let old = msg.field(n).ok_or(format!("no field {n}"))?.to_vec();
                let new = match &self.value {
                    Some(v) => v.as_bytes().to_vec(),
                    None => bumped(&old),
                };
                msg.set(n, &new);
                let body = encode(frame.dialect, &msg).map_err(|e| e.to_string())?;
                let shown = |v: &[u8]| match frame.dialect.field(n) {
                    Some(spec) => masked_value(spec, v),
                    None => "?".into(),
                };
                Ok((
                    framed(&body)?,
                    format!("field {n} {} -> {}", shown(&old), shown(&new)),
                ))
            }
        }
    }
}

/// The same value with its last character changed: digits count up (9 wraps to 0), anything
/// else becomes `X` (or `Y` if it was `X`).
fn bumped(old: &[u8]) -> Vec<u8> {
    let mut v = old.to_vec();
    if let Some(last) = v.last_mut() {
        *last = match *last {
            b'9' => b'0',
            d @ b'0'..=b'8' => d + 1,
            b'X' => b'Y',
            _ => b'X',
        };
    }
    v
}

impl CorruptHow {
    fn name(self) -> &'static str {
        match self {
            CorruptHow::FlipByte => "flip_byte",
            CorruptHow::Truncate => "truncate",
            CorruptHow::Garbage => "garbage",
            CorruptHow::BadLength => "bad_length",
            CorruptHow::Field => "field",
        }
    }
}

impl FaultAction for Corrupt {
    fn apply(&self, frame: &FrameView<'_>, rng: &mut ChaCha8Rng) -> Effect {
        match self.damage(frame, rng) {
            Ok((bytes, detail)) => Effect::deliver(
                Fate::Corrupted,
                Some(detail),
                vec![Piece {
                    after: std::time::Duration::ZERO,
                    bytes,
                }],
            ),
            Err(why) => {
                let mut e = Effect::forward(frame);
                e.detail = Some(format!("could not corrupt ({why}); forwarded"));
                e
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use crate::wire::{ISO87, decode};
    use rand::SeedableRng;

    fn corrupt(yaml: &str) -> Corrupt {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn bytes_of(e: &Effect) -> &[u8] {
        assert_eq!(e.fate, Fate::Corrupted, "{:?}", e.detail);
        &e.forward[0].bytes
    }

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(3)
    }

    #[test]
    fn flip_byte_inverts_exactly_the_given_byte() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let e = corrupt("{how: flip_byte, offset: 0}").apply(&f, &mut rng());
        let out = bytes_of(&e);
        assert_eq!(out[2], !f.raw[0]);
        assert_eq!(&out[3..], &f.raw[1..]);
        assert_eq!(e.detail.as_deref(), Some("flipped byte 0"));
    }

    #[test]
    fn truncate_frames_the_shorter_message_so_it_fails_to_decode() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let e = corrupt("{how: truncate, keep: 20}").apply(&f, &mut rng());
        let out = bytes_of(&e);
        assert_eq!(out[..2], [0, 20]);
        assert!(decode(&ISO87, &out[2..]).is_err());
    }

    #[test]
    fn garbage_keeps_the_length_and_replays_by_seed() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let c = corrupt("how: garbage");
        let (a, b) = (c.apply(&f, &mut rng()), c.apply(&f, &mut rng()));
        assert_eq!(bytes_of(&a).len(), f.raw.len() + 2);
        assert_eq!(a, b);
    }

    #[test]
    fn bad_length_undercounts_by_one_byte() {
        let m = sale("000001");
        let f = view(Direction::ToTerminal, &m);
        let out = bytes_of(&corrupt("how: bad_length").apply(&f, &mut rng())).to_vec();
        assert_eq!(
            u16::from_be_bytes([out[0], out[1]]) as usize,
            f.raw.len() - 1
        );
        assert_eq!(&out[2..], f.raw);
    }

    #[test]
    fn field_changes_the_stan_so_the_reply_no_longer_matches() {
        let m = sale("000009");
        let f = view(Direction::ToTerminal, &m);
        let e = corrupt("{how: field, field: 11}").apply(&f, &mut rng());
        let out = decode(&ISO87, &bytes_of(&e)[2..]).unwrap();
        assert_eq!(out.text(11), Some("000000"));
        assert_eq!(e.detail.as_deref(), Some("field 11 000009 -> 000000"));
    }

    #[test]
    fn changing_the_pan_never_shows_it_in_the_detail() {
        let m = sale("000001");
        let f = view(Direction::ToHost, &m);
        let e = corrupt("{how: field, field: 2}").apply(&f, &mut rng());
        let detail = e.detail.unwrap();
        assert!(!detail.contains("4761739001010010"), "{detail}");
        assert!(detail.contains("476173******0010"), "{detail}");
    }

    #[test]
    fn settings_of_another_how_are_reported() {
        assert_eq!(
            corrupt("{how: garbage, offset: 3}").problems()[0].0,
            "offset"
        );
        assert_eq!(corrupt("how: field").problems()[0].0, "field");
        assert!(
            corrupt("{how: field, field: 4, value: \"000000009999\"}")
                .problems()
                .is_empty()
        );
    }
}
