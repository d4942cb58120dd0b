//! Masking, built into every path that shows a message (PCI DSS 3.3 / 3.4).
//!
//! A PAN is shown as its first 6 and last 4 digits; track data, PIN blocks, expiry and chip data
//! are never shown. Only [`reveal_fields`] shows clear values, and only callers that were asked
//! to (`--reveal`) use it.

use std::collections::BTreeMap;

use crate::wire::dialect::Dialect;
use crate::wire::message::Message;
use crate::wire::spec::{Enc, FieldSpec, Sensitivity};

/// Masks a PAN to first 6 + last 4 digits, keeping its length. PANs too short to keep 10
/// digits visible safely are masked entirely.
pub fn mask_pan(pan: &str) -> String {
    let n = pan.chars().count();
    if n < 13 {
        return "*".repeat(n);
    }
    pan.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { c } else { '*' })
        .collect()
}

/// The text a person may see for one field value.
pub fn masked_value(spec: &FieldSpec, value: &[u8]) -> String {
    match spec.sensitivity() {
        Sensitivity::Pan => mask_pan(&String::from_utf8_lossy(value)),
        Sensitivity::Secret => format!("[redacted, {} bytes]", value.len()),
        Sensitivity::Clear => clear_value(spec, value),
    }
}

/// The clear text of a value: text (non-printables escaped), binary as upper hex. BCD values
/// are already digit text in a [`Message`].
fn clear_value(spec: &FieldSpec, value: &[u8]) -> String {
    match spec.enc {
        Enc::Binary => hex(value),
        Enc::Ascii | Enc::Bcd | Enc::Track => value
            .iter()
            .flat_map(|&b| std::ascii::escape_default(b))
            .map(char::from)
            .collect(),
    }
}

/// Every present field, masked, keyed by number.
pub fn masked_fields(dialect: &Dialect, msg: &Message) -> BTreeMap<u8, String> {
    msg.fields()
        .filter_map(|(n, v)| Some((n, masked_value(dialect.field(n)?, v))))
        .collect()
}

/// Every present field in clear. The one deliberate way to see card data: callers must have
/// been asked to reveal it.
pub fn reveal_fields(dialect: &Dialect, msg: &Message) -> BTreeMap<u8, String> {
    msg.fields()
        .filter_map(|(n, v)| Some((n, clear_value(dialect.field(n)?, v))))
        .collect()
}

/// A copy of `msg` whose sensitive values are replaced by same-length placeholders, so that
/// encoding it gives a hex dump with the original layout and no card data. Placeholders are
/// ones the field's encoding can carry: `*` in text, `0` digits in BCD (a masked BCD PAN reads
/// `476173000000 0010`), zero bytes in binary. Fields the dialect lacks are copied as they are,
/// so the copy fails to encode exactly when the original does.
pub fn masked_copy(dialect: &Dialect, msg: &Message) -> Message {
    let mut out = Message::with_capacity(msg.mti(), msg.numbers().count(), 64);
    out.set_envelope(msg.envelope().copied());
    for (n, v) in msg.fields() {
        let Some(spec) = dialect.field(n) else {
            out.set(n, v);
            continue;
        };
        let fill = match spec.enc {
            Enc::Binary => 0u8,
            Enc::Bcd | Enc::Track => b'0',
            Enc::Ascii => b'*',
        };
        match spec.sensitivity() {
            Sensitivity::Clear => out.set(n, v),
            Sensitivity::Pan => {
                let masked = mask_pan(&String::from_utf8_lossy(v))
                    .replace('*', &char::from(fill).to_string());
                out.set(n, masked.as_bytes())
            }
            Sensitivity::Secret => out.set(n, vec![fill; v.len()]),
        };
    }
    out
}

/// Scrubs bytes that could not be decoded: any run of 13 or more ASCII digits (a possible PAN
/// or track) keeps only its first 6 and last 4 digits. In dialects with packed BCD fields, any
/// run of 7 or more bytes that read as BCD digits (13+ digits, `D` allowed as track separator)
/// also keeps only its first 3 and last 2 bytes; the middle becomes `FF`. Used for hex dumps of
/// corrupt frames, where field boundaries are unknown, so it errs towards masking too much.
pub fn scrub_raw(dialect: &Dialect, bytes: &[u8]) -> Vec<u8> {
    let mut out = scrub_ascii_digits(bytes);
    if dialect
        .fields()
        .iter()
        .any(|f| matches!(f.enc, Enc::Bcd | Enc::Track))
    {
        scrub_bcd_digits(&mut out);
    }
    out
}

fn scrub_bcd_digits(out: &mut [u8]) {
    let is_bcd = |b: u8| matches!(b >> 4, 0..=9 | 0xD) && matches!(b & 15, 0..=9 | 0xD);
    let mut i = 0;
    while i < out.len() {
        let start = i;
        while i < out.len() && is_bcd(out[i]) {
            i += 1;
        }
        if i - start >= 7 {
            out[start + 3..i - 2].fill(0xFF);
        }
        i = i.max(start + 1);
    }
}

fn scrub_ascii_digits(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < out.len() {
        if !out[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < out.len() && out[i].is_ascii_digit() {
            i += 1;
        }
        if i - start >= 13 {
            for b in &mut out[start + 6..i - 4] {
                *b = b'*';
            }
        }
    }
    out
}

/// Upper-case hex, the form support engineers compare against host logs.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dialect::ISO87;

    #[test]
    fn pan_keeps_first_six_and_last_four() {
        assert_eq!(mask_pan("4761739001010010"), "476173******0010");
        assert_eq!(mask_pan("6200000000000000005"), "620000*********0005");
        assert_eq!(mask_pan("123456789"), "*********");
    }

    #[test]
    fn secrets_never_show_and_binary_shows_as_hex() {
        let f = |n| ISO87.field(n).unwrap();
        assert_eq!(
            masked_value(f(35), b"4761739001010010=25121"),
            "[redacted, 22 bytes]"
        );
        assert_eq!(
            masked_value(f(52), &[1, 2, 3, 4, 5, 6, 7, 8]),
            "[redacted, 8 bytes]"
        );
        assert_eq!(masked_value(f(64), &[0xAB, 0x01]), "AB01");
        assert_eq!(masked_value(f(11), b"000001"), "000001");
    }

    #[test]
    fn masked_copy_keeps_lengths() {
        let mut m = Message::new("0200".parse().unwrap());
        m.set(2, "4761739001010010")
            .set(52, [9u8; 8])
            .set(11, "000001");
        let c = masked_copy(&ISO87, &m);
        assert_eq!(c.text(2), Some("476173******0010"));
        assert_eq!(c.field(52), Some(&[0u8; 8][..]));
        assert_eq!(c.text(11), Some("000001"));
    }

    #[test]
    fn scrub_masks_long_digit_runs_only() {
        let raw = b"0200xx164761739001010010yy000001";
        let s = scrub_raw(&ISO87, raw);
        assert_eq!(&s, b"0200xx164761********0010yy000001");
    }

    #[test]
    fn scrub_in_bcd_dialects_masks_packed_digit_runs_too() {
        let raw = [
            0xAA, 0x16, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10, 0xAA,
        ];
        let s = scrub_raw(&crate::wire::CUP, &raw);
        assert_eq!(
            s,
            [
                0xAA, 0x16, 0x47, 0x61, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x10, 0xAA
            ]
        );
        assert_eq!(scrub_raw(&ISO87, &raw), raw);
    }

    #[test]
    fn masked_copy_of_a_cup_message_still_encodes_without_the_pan() {
        use crate::wire::{CUP, Envelope, encode};
        let mut m = Message::new("0200".parse().unwrap());
        m.set_envelope(Some(Envelope::from_bytes(&[0x60, 0, 3, 0, 0]).unwrap()));
        m.set(2, "4761739001010010")
            .set(14, "2512")
            .set(35, "4761739001010010=2512");
        let bytes = encode(&CUP, &masked_copy(&CUP, &m)).unwrap();
        let dump = hex(&bytes);
        assert!(dump.contains("164761730000000010"), "{dump}");
        assert!(!dump.contains("9001"), "{dump}");
    }
}
