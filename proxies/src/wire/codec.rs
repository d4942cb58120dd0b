//! Encoding and decoding messages in a dialect. Decoding never panics: every length is checked
//! before it is used, and every failure is a [`DecodeError`] naming field and offset.

use crate::wire::dialect::{BitmapEnc, Dialect};
use crate::wire::error::{DecodeError, EncodeError, Part};
use crate::wire::message::{Message, Mti};
use crate::wire::spec::{Enc, FieldSpec, Len};

/// Appends the encoding of `msg` to `out`. On error `out` may hold a partial message.
pub fn encode_into(dialect: &Dialect, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut bitmap = 0u128;
    for n in msg.numbers() {
        bitmap |= 1u128 << (128 - u32::from(n));
    }
    let secondary = bitmap & ((1u128 << 64) - 1) != 0;
    if secondary {
        bitmap |= 1u128 << 127;
    }
    out.extend_from_slice(&msg.mti().digits());
    match dialect.bitmap {
        BitmapEnc::Binary => {
            let bytes = bitmap.to_be_bytes();
            out.extend_from_slice(if secondary { &bytes[..] } else { &bytes[..8] });
        }
    }
    for (n, value) in msg.fields() {
        let Some(spec) = dialect.field(n) else {
            continue;
        };
        encode_field(spec, value, out)?;
    }
    Ok(())
}

/// The encoding of `msg` as a new buffer.
pub fn encode(dialect: &Dialect, msg: &Message) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(128);
    encode_into(dialect, msg, &mut out)?;
    Ok(out)
}

fn encode_field(spec: &FieldSpec, value: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if spec.enc == Enc::Ascii
        && let Some(&byte) = value.iter().find(|b| !b.is_ascii())
    {
        return Err(EncodeError::NotAscii {
            field: spec.number,
            name: spec.name,
            byte,
        });
    }
    let len = value.len();
    match spec.len {
        Len::Fixed(n) if len != usize::from(n) => {
            return Err(EncodeError::FixedLength {
                field: spec.number,
                name: spec.name,
                expected: n,
                found: len,
            });
        }
        Len::Fixed(_) => {}
        Len::LlVar(max) | Len::LllVar(max) => {
            if len > usize::from(max) {
                return Err(EncodeError::TooLong {
                    field: spec.number,
                    name: spec.name,
                    max,
                    found: len,
                });
            }
            push_decimal(out, len, spec.len.prefix_digits());
        }
    }
    out.extend_from_slice(value);
    Ok(())
}

/// Writes `value` as exactly `digits` ASCII digits (the caller has checked it fits).
fn push_decimal(out: &mut Vec<u8>, value: usize, digits: usize) {
    let mut buf = [b'0'; 3];
    let mut v = value;
    for slot in buf[..digits].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..digits]);
}

/// Decodes one message (without its frame header).
pub fn decode(dialect: &Dialect, bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    let mti_bytes = r.take(Part::Mti, 4, "a 4-digit MTI")?;
    let mti = Mti::new([mti_bytes[0], mti_bytes[1], mti_bytes[2], mti_bytes[3]]).map_err(|e| {
        DecodeError {
            part: Part::Mti,
            offset: 0,
            problem: e,
        }
    })?;
    let bitmap = match dialect.bitmap {
        BitmapEnc::Binary => {
            let primary = r.take(Part::Bitmap(1), 8, "an 8-byte primary bitmap")?;
            let mut bm = u128::from(u64::from_be_bytes(primary.try_into().unwrap_or([0; 8]))) << 64;
            if bm & (1u128 << 127) != 0 {
                let secondary = r.take(Part::Bitmap(2), 8, "an 8-byte secondary bitmap")?;
                bm |= u128::from(u64::from_be_bytes(secondary.try_into().unwrap_or([0; 8])));
            }
            bm
        }
    };
    let count = bitmap.count_ones() as usize;
    let mut msg = Message::with_capacity(mti, count, bytes.len());
    for n in 2..=128u8 {
        if bitmap & (1u128 << (128 - u32::from(n))) == 0 {
            continue;
        }
        let Some(spec) = dialect.field(n) else {
            continue;
        };
        let value = decode_field(spec, &mut r)?;
        msg.push_sorted(n, value);
    }
    if r.pos != bytes.len() {
        return Err(DecodeError {
            part: Part::Trailer,
            offset: r.pos,
            problem: format!(
                "{} bytes left over after the last field in the bitmap",
                bytes.len() - r.pos
            ),
        });
    }
    Ok(msg)
}

fn decode_field<'a>(spec: &FieldSpec, r: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    let part = Part::Field(spec.number);
    let start = r.pos;
    let len = match spec.len {
        Len::Fixed(n) => usize::from(n),
        Len::LlVar(max) | Len::LllVar(max) => {
            let digits = spec.len.prefix_digits();
            let prefix = r.take(part, digits, "a length prefix")?;
            let mut len = 0usize;
            for &d in prefix {
                if !d.is_ascii_digit() {
                    return Err(DecodeError {
                        part,
                        offset: start,
                        problem: format!(
                            "expected a {digits}-digit length prefix, found {:?}",
                            String::from_utf8_lossy(prefix)
                        ),
                    });
                }
                len = len * 10 + usize::from(d - b'0');
            }
            if len > usize::from(max) {
                return Err(DecodeError {
                    part,
                    offset: start,
                    problem: format!("length {len} is over the maximum {max}"),
                });
            }
            len
        }
    };
    let value_at = r.pos;
    let value = r.take(part, len, "the field value")?;
    if spec.enc == Enc::Ascii
        && let Some(i) = value.iter().position(|b| !b.is_ascii())
    {
        return Err(DecodeError {
            part,
            offset: value_at + i,
            problem: format!("expected ASCII text, found byte 0x{:02X}", value[i]),
        });
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, part: Part, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(DecodeError {
                part,
                offset: self.pos,
                problem: format!("expected {what} of {n} bytes, only {left} left"),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dialect::ISO87;

    fn sale() -> Message {
        let mut m = Message::new("0200".parse().unwrap());
        m.set(2, "4761739001010010")
            .set(3, "000000")
            .set(4, "000000001234")
            .set(11, "000001")
            .set(41, "TERM0001")
            .set(42, "MERCHANT0000001");
        m
    }

    #[test]
    fn sale_round_trips_and_matches_pyiso8583_layout() {
        let bytes = encode(&ISO87, &sale()).unwrap();
        // MTI, bitmap 7020000000C00000 (fields 2,3,4,11,41,42), then fields in order.
        let want = [
            &b"0200"[..],
            &[0x70, 0x20, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00],
            b"164761739001010010000000000000001234000001TERM0001MERCHANT0000001",
        ]
        .concat();
        assert_eq!(bytes, want);
        assert_eq!(decode(&ISO87, &bytes).unwrap(), sale());
    }

    #[test]
    fn secondary_bitmap_appears_only_for_fields_above_64() {
        let mut m = sale();
        m.set(90, "0".repeat(42));
        let bytes = encode(&ISO87, &m).unwrap();
        assert_eq!(bytes[4] & 0x80, 0x80);
        assert_eq!(bytes.len(), 4 + 16 + 65 + 42);
        assert_eq!(decode(&ISO87, &bytes).unwrap(), m);
    }

    #[test]
    fn every_truncation_is_an_error_naming_a_part_never_a_panic() {
        let bytes = encode(&ISO87, &sale()).unwrap();
        for cut in 0..bytes.len() {
            let err = decode(&ISO87, &bytes[..cut]).unwrap_err();
            assert!(err.offset <= cut, "{err}");
        }
        let err = decode(&ISO87, &bytes[..30]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 3 at byte 30: expected the field value of 6 bytes, only 0 left"
        );
    }

    #[test]
    fn bad_length_prefix_names_field_and_offset() {
        let mut bytes = encode(&ISO87, &sale()).unwrap();
        bytes[12] = b'x';
        let err = decode(&ISO87, &bytes).unwrap_err();
        assert_eq!((err.part, err.offset), (Part::Field(2), 12));
    }

    #[test]
    fn fixed_fields_must_have_their_length() {
        let mut m = sale();
        m.set(11, "1");
        let err = encode(&ISO87, &m).unwrap_err();
        assert!(err.to_string().contains("field 11"), "{err}");
    }

    #[test]
    fn trailing_bytes_are_reported() {
        let mut bytes = encode(&ISO87, &sale()).unwrap();
        bytes.push(b'9');
        let err = decode(&ISO87, &bytes).unwrap_err();
        assert_eq!(err.part, Part::Trailer);
    }
}
