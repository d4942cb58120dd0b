//! PIN blocks in ISO 9564 format 0, in clear: the simulation has no keys, so the block is what
//! would be encrypted. It is still a secret: field 52 is masked in every output, and PINs are
//! never journalled.
//!
//! ```text
//! PIN field  0 | n | P P P P (P..) | F F ..      (16 nibbles, n = PIN length)
//! PAN field  0 0 0 0 | 12 rightmost PAN digits without the check digit
//! block      PIN field XOR PAN field             (8 bytes, field 52)
//! ```

/// The format 0 block of `pin` (4 to 12 digits) for `pan`; `None` if either is malformed.
pub fn encode(pin: &str, pan: &str) -> Option<[u8; 8]> {
    if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut pin_field = [0xFu8; 16];
    pin_field[0] = 0;
    pin_field[1] = pin.len() as u8;
    for (i, b) in pin.bytes().enumerate() {
        pin_field[2 + i] = b - b'0';
    }
    let pan_field = pan_field(pan)?;
    let mut block = [0u8; 8];
    for (i, byte) in block.iter_mut().enumerate() {
        let hi = pin_field[2 * i] ^ pan_field[2 * i];
        let lo = pin_field[2 * i + 1] ^ pan_field[2 * i + 1];
        *byte = (hi << 4) | lo;
    }
    Some(block)
}

/// The PIN in a format 0 `block` for `pan`; `None` if the block is not a valid format 0 block.
pub fn decode(block: &[u8], pan: &str) -> Option<String> {
    if block.len() != 8 {
        return None;
    }
    let pan_field = pan_field(pan)?;
    let mut nibbles = [0u8; 16];
    for (i, &byte) in block.iter().enumerate() {
        nibbles[2 * i] = (byte >> 4) ^ pan_field[2 * i];
        nibbles[2 * i + 1] = (byte & 0xF) ^ pan_field[2 * i + 1];
    }
    let len = usize::from(nibbles[1]);
    if nibbles[0] != 0 || !(4..=12).contains(&len) {
        return None;
    }
    let digits = &nibbles[2..2 + len];
    let padding = &nibbles[2 + len..];
    if digits.iter().any(|&d| d > 9) || padding.iter().any(|&d| d != 0xF) {
        return None;
    }
    Some(digits.iter().map(|d| char::from(b'0' + d)).collect())
}

fn pan_field(pan: &str) -> Option<[u8; 16]> {
    if pan.len() < 13 || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let body = &pan[pan.len() - 13..pan.len() - 1];
    let mut field = [0u8; 16];
    for (i, b) in body.bytes().enumerate() {
        field[4 + i] = b - b'0';
    }
    Some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAN: &str = "4761739001010010";

    #[test]
    fn known_vector_from_the_standard_layout() {
        // PIN 1234 -> 041234FFFFFFFFFF; PAN field 0000173900101001 (12 digits before the check).
        let block = encode("1234", PAN).unwrap();
        let expected: [u8; 8] = [0x04, 0x12, 0x23, 0xC6, 0xFF, 0xEF, 0xEF, 0xFE];
        assert_eq!(block, expected);
    }

    #[test]
    fn a_block_decodes_to_its_pin_only_with_the_same_pan() {
        let block = encode("987654", PAN).unwrap();
        assert_eq!(decode(&block, PAN).as_deref(), Some("987654"));
        assert_ne!(
            decode(&block, "4111111111111111").as_deref(),
            Some("987654")
        );
    }

    #[test]
    fn malformed_pins_and_blocks_are_refused() {
        assert_eq!(encode("12", PAN), None);
        assert_eq!(encode("12a4", PAN), None);
        assert_eq!(decode(&[0xFF; 8], PAN), None);
        assert_eq!(decode(&[0; 7], PAN), None);
    }
}
