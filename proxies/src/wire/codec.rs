//! Encoding and decoding messages in a dialect. Decoding never panics: every length is checked
//! before it is used, and every failure is a [`DecodeError`] naming field and offset.

use crate::wire::dialect::{BitmapEnc, Dialect, MtiEnc, PrefixEnc};
use crate::wire::envelope::{Envelope, Tpdu};
use crate::wire::error::{DecodeError, EncodeError, Part};
use crate::wire::message::{Message, Mti};
use crate::wire::spec::{Enc, FieldSpec, Len};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The bitmap bit of field `n` (1 to 128), field 1 being the most significant bit.
const fn bit(n: u8) -> u128 {
    1u128 << (128 - n as u32)
}

/// Appends the encoding of `msg` to `out`. On error `out` may hold a partial message.
pub fn encode_into(dialect: &Dialect, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if dialect.tpdu {
        let env = msg.envelope().ok_or(EncodeError::MissingEnvelope {
            dialect: dialect.name,
        })?;
        out.extend_from_slice(&env.tpdu.to_bytes());
        if let Some(h) = &env.header {
            out.extend_from_slice(h);
        }
    }
    let mut bitmap = 0u128;
    for n in msg.numbers() {
        if dialect.data_field(n).is_none() {
            return Err(EncodeError::NoSuchField {
                field: n,
                dialect: dialect.name,
                valid: dialect.data_fields,
            });
        }
        bitmap |= bit(n);
    }
    let secondary = bitmap & u128::from(u64::MAX) != 0;
    if secondary {
        bitmap |= bit(1);
    }
    let digits = msg.mti().digits();
    match dialect.mti {
        MtiEnc::Ascii => out.extend_from_slice(&digits),
        MtiEnc::Bcd => {
            let d = digits.map(|c| c - b'0');
            out.extend_from_slice(&[d[0] << 4 | d[1], d[2] << 4 | d[3]]);
        }
    }
    let bytes = bitmap.to_be_bytes();
    let bitmap_bytes = if secondary { &bytes[..] } else { &bytes[..8] };
    match dialect.bitmap {
        BitmapEnc::Binary => out.extend_from_slice(bitmap_bytes),
        BitmapEnc::Hex => {
            for &b in bitmap_bytes {
                out.extend_from_slice(&[
                    HEX_UPPER[usize::from(b >> 4)],
                    HEX_UPPER[usize::from(b & 15)],
                ]);
            }
        }
    }
    for (n, value) in msg.fields() {
        // Every number was checked against the table above.
        if let Some(spec) = dialect.data_field(n) {
            encode_field(dialect.prefix, spec, value, out)?;
        }
    }
    Ok(())
}

/// The encoding of `msg` as a new buffer.
pub fn encode(dialect: &Dialect, msg: &Message) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(128);
    encode_into(dialect, msg, &mut out)?;
    Ok(out)
}

fn encode_field(
    prefix: PrefixEnc,
    spec: &FieldSpec,
    value: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    check_value(spec, value)?;
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
            match prefix {
                PrefixEnc::Ascii => push_decimal(out, len, spec.len.prefix_digits()),
                PrefixEnc::Bcd => push_bcd_len(out, len, spec.len.prefix_digits()),
            }
        }
    }
    match spec.enc {
        Enc::Ascii | Enc::Binary => out.extend_from_slice(value),
        Enc::Bcd | Enc::Track => pack_bcd(value, out),
    }
    Ok(())
}

/// Rejects values the field's encoding cannot carry.
fn check_value(spec: &FieldSpec, value: &[u8]) -> Result<(), EncodeError> {
    let (ok, expected): (fn(&u8) -> bool, _) = match spec.enc {
        Enc::Binary => return Ok(()),
        Enc::Ascii => {
            return match value.iter().find(|b| !b.is_ascii()) {
                Some(&byte) => Err(EncodeError::NotAscii {
                    field: spec.number,
                    name: spec.name,
                    byte,
                }),
                None => Ok(()),
            };
        }
        Enc::Bcd => (u8::is_ascii_digit, "expected decimal digits"),
        Enc::Track => (
            |b: &u8| b.is_ascii_digit() || *b == b'=',
            "expected digits and '='",
        ),
    };
    match value.iter().find(|b| !ok(b)) {
        Some(&b) => Err(EncodeError::NotPackable {
            field: spec.number,
            name: spec.name,
            expected,
            found: char::from(b),
        }),
        None => Ok(()),
    }
}

/// Packs checked digits (and `=` as `D`) two per byte, left-aligned, padding with a 0 nibble.
fn pack_bcd(value: &[u8], out: &mut Vec<u8>) {
    let nibble = |c: u8| if c == b'=' { 0xD } else { c - b'0' };
    let mut pairs = value.chunks_exact(2);
    for p in pairs.by_ref() {
        out.push(nibble(p[0]) << 4 | nibble(p[1]));
    }
    if let [last] = pairs.remainder() {
        out.push(nibble(*last) << 4);
    }
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

/// Writes a length as 1 BCD byte (2 digits) or 2 BCD bytes (3 digits, leading 0 nibble).
fn push_bcd_len(out: &mut Vec<u8>, value: usize, digits: usize) {
    let d = |div: usize| ((value / div) % 10) as u8;
    if digits == 2 {
        out.push(d(10) << 4 | d(1));
    } else {
        out.extend_from_slice(&[d(100), d(10) << 4 | d(1)]);
    }
}

/// Decodes one message (without its frame header).
///
/// ```
/// use posfault_proxies::wire::{ISO87, Message, decode, encode};
/// let mut echo = Message::new("0800".parse()?);
/// echo.set(11, "000001"); // STAN
/// let bytes = encode(&ISO87, &echo)?;
/// assert_eq!(&bytes[..4], b"0800");
/// assert_eq!(decode(&ISO87, &bytes)?, echo);
/// let err = decode(&ISO87, &bytes[..14]).unwrap_err();
/// assert_eq!(err.to_string(), "field 11 at byte 12: expected the field value of 6 bytes, only 2 left");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode(dialect: &Dialect, bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    let envelope = if dialect.tpdu {
        Some(decode_envelope(&mut r)?)
    } else {
        None
    };
    let mti = decode_mti(dialect.mti, &mut r)?;
    let bitmap = decode_bitmap(dialect, &mut r)?;
    let mut msg = Message::with_capacity(mti, bitmap.count_ones() as usize, bytes.len());
    msg.set_envelope(envelope);
    // Field 1 is the secondary bitmap, already read.
    let mut rest = bitmap & !bit(1);
    while rest != 0 {
        let n = rest.leading_zeros() as u8 + 1;
        rest &= !bit(n);
        let spec = dialect.data_field(n).ok_or_else(|| DecodeError {
            part: Part::Bitmap(if n > 64 { 2 } else { 1 }),
            offset: r.pos,
            problem: format!(
                "bit {n} is set, but {} carries data in {} only",
                dialect.name, dialect.data_fields
            ),
        })?;
        decode_field(dialect.prefix, spec, &mut r, &mut msg)?;
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

/// Reads the TPDU and, when the next byte cannot start an MTI, the 6-byte header. A BCD MTI
/// starts with its ISO version digit (0, 1 or 2), so its first byte is below 0x30, while a
/// UnionPay header starts with an application type such as 0x60.
fn decode_envelope(r: &mut Reader<'_>) -> Result<Envelope, DecodeError> {
    let start = r.pos;
    let tpdu = r.take(Part::Envelope, 5, "a 5-byte TPDU")?;
    if tpdu[0] != Tpdu::ID {
        return Err(DecodeError {
            part: Part::Envelope,
            offset: start,
            problem: format!("expected TPDU ID 0x60, found 0x{:02X}", tpdu[0]),
        });
    }
    let mut env = Envelope {
        tpdu: Tpdu {
            destination: [tpdu[1], tpdu[2]],
            source: [tpdu[3], tpdu[4]],
        },
        header: None,
    };
    if r.bytes.get(r.pos).is_some_and(|&b| b >= 0x30) {
        let h = r.take(Part::Envelope, 6, "a 6-byte header after the TPDU")?;
        env.header = Some([h[0], h[1], h[2], h[3], h[4], h[5]]);
    }
    Ok(env)
}

fn decode_mti(enc: MtiEnc, r: &mut Reader<'_>) -> Result<Mti, DecodeError> {
    let start = r.pos;
    let digits = match enc {
        MtiEnc::Ascii => {
            let b = r.take(Part::Mti, 4, "a 4-digit MTI")?;
            [b[0], b[1], b[2], b[3]]
        }
        MtiEnc::Bcd => {
            let b = r.take(Part::Mti, 2, "a 2-byte BCD MTI")?;
            // Non-digit nibbles become non-digit characters, which Mti::new rejects.
            let c = |n: u8| if n < 10 { b'0' + n } else { b'A' + n - 10 };
            [c(b[0] >> 4), c(b[0] & 15), c(b[1] >> 4), c(b[1] & 15)]
        }
    };
    Mti::new(digits).map_err(|problem| DecodeError {
        part: Part::Mti,
        offset: start,
        problem,
    })
}

fn decode_bitmap(dialect: &Dialect, r: &mut Reader<'_>) -> Result<u128, DecodeError> {
    let primary = read_bitmap(dialect.bitmap, 1, r)?;
    let mut bitmap = u128::from(primary) << 64;
    if bitmap & bit(1) != 0 {
        if dialect.max_field() <= 64 {
            return Err(DecodeError {
                part: Part::Bitmap(1),
                offset: r.pos - dialect_bitmap_len(dialect.bitmap),
                problem: format!(
                    "bit 1 (secondary bitmap) is set, but {} has fields 1 to 64 only",
                    dialect.name
                ),
            });
        }
        bitmap |= u128::from(read_bitmap(dialect.bitmap, 2, r)?);
    }
    Ok(bitmap)
}

fn dialect_bitmap_len(enc: BitmapEnc) -> usize {
    match enc {
        BitmapEnc::Binary => 8,
        BitmapEnc::Hex => 16,
    }
}

fn read_bitmap(enc: BitmapEnc, which: u8, r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    let part = Part::Bitmap(which);
    let start = r.pos;
    match enc {
        BitmapEnc::Binary => {
            let b = r.take(part, 8, "an 8-byte bitmap")?;
            Ok(u64::from_be_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]))
        }
        BitmapEnc::Hex => {
            let b = r.take(part, 16, "a bitmap of 16 hex characters")?;
            let mut v = 0u64;
            for (i, &c) in b.iter().enumerate() {
                let d = char::from(c).to_digit(16).ok_or_else(|| DecodeError {
                    part,
                    offset: start + i,
                    problem: format!("expected a hex character (0-9, A-F), found byte 0x{c:02X}"),
                })?;
                v = v << 4 | u64::from(d);
            }
            Ok(v)
        }
    }
}

fn decode_field(
    prefix: PrefixEnc,
    spec: &FieldSpec,
    r: &mut Reader<'_>,
    msg: &mut Message,
) -> Result<(), DecodeError> {
    let part = Part::Field(spec.number);
    let start = r.pos;
    let len = match spec.len {
        Len::Fixed(n) => usize::from(n),
        Len::LlVar(max) | Len::LllVar(max) => {
            let digits = spec.len.prefix_digits();
            let len = match prefix {
                PrefixEnc::Ascii => ascii_len(r.take(part, digits, "a length prefix")?),
                PrefixEnc::Bcd => {
                    bcd_len(r.take(part, digits.div_ceil(2), "a BCD length prefix")?)
                }
            }
            .ok_or_else(|| DecodeError {
                part,
                offset: start,
                problem: format!(
                    "expected a {digits}-digit length prefix, found {}",
                    show_bytes(&r.bytes[start..r.pos])
                ),
            })?;
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
    let value = r.take(part, spec.enc.wire_len(len), "the field value")?;
    let bad = |i: usize, problem: String| DecodeError {
        part,
        offset: value_at + i,
        problem,
    };
    match spec.enc {
        Enc::Binary => msg.push_sorted_with(spec.number, |d| {
            d.extend_from_slice(value);
            Ok(())
        }),
        Enc::Ascii => match value.iter().position(|b| !b.is_ascii()) {
            Some(i) => Err(bad(
                i,
                format!("expected ASCII text, found byte 0x{:02X}", value[i]),
            )),
            None => msg.push_sorted_with(spec.number, |d| {
                d.extend_from_slice(value);
                Ok(())
            }),
        },
        Enc::Bcd | Enc::Track => msg.push_sorted_with(spec.number, |d| {
            let track = spec.enc == Enc::Track;
            for i in 0..len {
                let byte = value[i / 2];
                let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 15 };
                match nibble {
                    0..=9 => d.push(b'0' + nibble),
                    0xD if track => d.push(b'='),
                    _ => {
                        let want = if track {
                            "digits or D (=)"
                        } else {
                            "BCD digits"
                        };
                        return Err(bad(
                            i / 2,
                            format!(
                                "expected {want}, found nibble {nibble:X} in byte 0x{byte:02X}"
                            ),
                        ));
                    }
                }
            }
            if len % 2 == 1 && value[len / 2] & 15 != 0 {
                return Err(bad(
                    len / 2,
                    format!(
                        "expected a 0 pad nibble after {len} digits, found byte 0x{:02X}",
                        value[len / 2]
                    ),
                ));
            }
            Ok(())
        }),
    }
}

fn ascii_len(prefix: &[u8]) -> Option<usize> {
    prefix.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + usize::from(d - b'0'))
    })
}

fn bcd_len(prefix: &[u8]) -> Option<usize> {
    prefix.iter().try_fold(0usize, |n, &b| {
        let (hi, lo) = (b >> 4, b & 15);
        (hi < 10 && lo < 10).then(|| n * 100 + usize::from(hi) * 10 + usize::from(lo))
    })
}

/// Bytes as a person should read them in an error: text when printable, hex otherwise.
fn show_bytes(b: &[u8]) -> String {
    if b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        format!("{:?}", String::from_utf8_lossy(b))
    } else {
        let hex: String = b.iter().map(|c| format!("{c:02X}")).collect();
        format!("bytes {hex}")
    }
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
    use crate::wire::dialect::{CUP, ISO87, ISO87_ASCII};

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

    #[test]
    fn iso87_ascii_writes_the_bitmap_as_hex_text() {
        let bytes = encode(&ISO87_ASCII, &sale()).unwrap();
        assert_eq!(&bytes[..20], b"02007020000000C00000");
        assert_eq!(decode(&ISO87_ASCII, &bytes).unwrap(), sale());
        let mut m = sale();
        m.set(70, "301");
        let bytes = encode(&ISO87_ASCII, &m).unwrap();
        assert_eq!(&bytes[4..36], b"F020000000C000000400000000000000");
    }

    #[test]
    fn iso87_ascii_accepts_lower_case_hex_and_names_a_bad_hex_character() {
        let mut bytes = encode(&ISO87_ASCII, &sale()).unwrap();
        bytes[14] = b'c';
        assert_eq!(decode(&ISO87_ASCII, &bytes).unwrap(), sale());
        bytes[5] = b'G';
        let err = decode(&ISO87_ASCII, &bytes).unwrap_err();
        assert_eq!((err.part, err.offset), (Part::Bitmap(1), 5));
        assert!(err.problem.contains("hex character"), "{err}");
    }

    fn cup_sale() -> Message {
        let mut m = sale();
        m.set(22, "021").set(35, "4761739001010010=2512101");
        m.set_envelope(Some(
            Envelope::from_bytes(&[0x60, 0x00, 0x03, 0x00, 0x00]).unwrap(),
        ));
        m
    }

    #[test]
    fn cup_packs_mti_numbers_and_lengths_as_bcd_behind_the_tpdu() {
        let bytes = encode(&CUP, &cup_sale()).unwrap();
        let want = [
            &[0x60, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00][..],
            &[0x70, 0x20, 0x04, 0x00, 0x20, 0xC0, 0x00, 0x00],
            &[0x16, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10], // 2 PAN
            &[0x00, 0x00, 0x00],                                     // 3
            &[0x00, 0x00, 0x00, 0x00, 0x12, 0x34],                   // 4
            &[0x00, 0x00, 0x01],                                     // 11
            &[0x02, 0x10],                                           // 22: 021 left-aligned
            &[
                0x24, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10, 0xD2, 0x51, 0x21, 0x01,
            ],
            b"TERM0001MERCHANT0000001",
        ]
        .concat();
        assert_eq!(hex(&bytes), hex(&want));
        assert_eq!(decode(&CUP, &bytes).unwrap(), cup_sale());
    }

    fn hex(b: &[u8]) -> String {
        crate::wire::mask::hex(b)
    }

    #[test]
    fn cup_reads_the_optional_header_and_keeps_it() {
        let mut m = cup_sale();
        let env = Envelope::from_bytes(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0, 0, 0]).unwrap();
        m.set_envelope(Some(env));
        let bytes = encode(&CUP, &m).unwrap();
        assert_eq!(bytes[5..13], [0x60, 0x31, 0, 0, 0, 0, 0x02, 0x00]);
        assert_eq!(decode(&CUP, &bytes).unwrap().envelope(), Some(&env));
    }

    #[test]
    fn cup_refuses_what_it_cannot_carry() {
        let mut m = cup_sale();
        m.set_envelope(None);
        let err = encode(&CUP, &m).unwrap_err();
        assert!(err.to_string().contains("needs a TPDU"), "{err}");
        let mut m = cup_sale();
        m.set(90, "0".repeat(42));
        let err = encode(&CUP, &m).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 90: not a data field in the cup dialect (fields 2 to 64)"
        );
        let mut m = cup_sale();
        m.set(11, "00000A");
        let err = encode(&CUP, &m).unwrap_err();
        assert!(
            err.to_string().contains(
                "field 11 (System Trace Audit Number): expected decimal digits, found 'A'"
            ),
            "{err}"
        );
    }

    #[test]
    fn cup_decoding_names_bad_nibbles_pads_and_a_secondary_bitmap() {
        let good = encode(&CUP, &cup_sale()).unwrap();
        let mut bad = good.clone();
        bad[17] = 0x4A; // inside the PAN
        let err = decode(&CUP, &bad).unwrap_err();
        assert_eq!((err.part, err.offset), (Part::Field(2), 17));
        assert!(err.problem.contains("nibble A"), "{err}");
        let mut bad = good.clone();
        bad[37] = 0x11; // pad nibble of field 22
        let err = decode(&CUP, &bad).unwrap_err();
        assert_eq!((err.part, err.offset), (Part::Field(22), 37));
        let mut bad = good.clone();
        bad[7] |= 0x80;
        let err = decode(&CUP, &bad).unwrap_err();
        assert!(err.problem.contains("fields 1 to 64 only"), "{err}");
        let mut bad = good;
        bad[0] = 0x68;
        let err = decode(&CUP, &bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "TPDU at byte 0: expected TPDU ID 0x60, found 0x68"
        );
    }

    #[test]
    fn every_truncation_in_every_dialect_is_an_error_never_a_panic() {
        for (d, m) in [(&ISO87, sale()), (&ISO87_ASCII, sale()), (&CUP, cup_sale())] {
            let bytes = encode(d, &m).unwrap();
            for cut in 0..bytes.len() {
                let err = decode(d, &bytes[..cut]).unwrap_err();
                assert!(err.offset <= cut, "{} {err}", d.name);
            }
        }
    }

    #[test]
    fn field_65_is_a_tertiary_bitmap_flag_as_in_pyiso8583_not_data() {
        let mut m = sale();
        m.set(65, [0u8; 8]);
        let err = encode(&ISO87, &m).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("field 65: not a data field in the iso87 dialect"),
            "{err}"
        );
        let mut bytes = encode(&ISO87, &sale()).unwrap();
        bytes[4] |= 0x80;
        bytes.splice(12..12, [0x80, 0, 0, 0, 0, 0, 0, 0]);
        let err = decode(&ISO87, &bytes).unwrap_err();
        assert_eq!(err.part, Part::Bitmap(2));
        assert!(err.problem.contains("bit 65 is set"), "{err}");
    }
}
