//! The vocabulary of a dialect's field table: one [`FieldSpec`] per field, pure data.

/// How a field's length is carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// Exactly this many value units (characters, digits or bytes); no length prefix.
    Fixed(u16),
    /// A 2-digit length prefix, then at most this many units.
    LlVar(u16),
    /// A 3-digit length prefix, then at most this many units.
    LllVar(u16),
}

impl Len {
    /// The largest value length the field accepts.
    pub const fn max(self) -> u16 {
        match self {
            Len::Fixed(n) | Len::LlVar(n) | Len::LllVar(n) => n,
        }
    }

    /// Digits in the length prefix (0 for fixed fields).
    pub const fn prefix_digits(self) -> usize {
        match self {
            Len::Fixed(_) => 0,
            Len::LlVar(_) => 2,
            Len::LllVar(_) => 3,
        }
    }
}

/// How a field's value bytes are carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    /// ASCII text; the value is the text itself.
    Ascii,
    /// Raw bytes; shown as hex wherever a person reads it.
    Binary,
    /// Decimal digits packed two per byte (`n` in BCD dialects). The value is the digit text;
    /// lengths count digits; an odd count is padded with a 0 nibble on the right (left-aligned,
    /// as UnionPay writes field 22 `021` as `0210`).
    Bcd,
    /// Track data packed like [`Enc::Bcd`] (`z`), with the separator `=` carried as nibble `D`.
    Track,
}

impl Enc {
    /// Bytes on the wire for a value of `units` characters or bytes.
    pub const fn wire_len(self, units: usize) -> usize {
        match self {
            Enc::Ascii | Enc::Binary => units,
            Enc::Bcd | Enc::Track => units.div_ceil(2),
        }
    }
}

/// What masking a field needs before anyone may see it (PCI DSS 3.3 / 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Safe to show.
    Clear,
    /// A primary account number: show first 6 and last 4 digits only.
    Pan,
    /// Never shown: track data, PIN block, expiry, chip data.
    Secret,
}

/// One line of a dialect's field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field number, 1 to 128.
    pub number: u8,
    /// Length kind and maximum length.
    pub len: Len,
    /// Encoding of the value bytes.
    pub enc: Enc,
    /// The standard's name for the field.
    pub name: &'static str,
}

impl FieldSpec {
    /// A table line; `const` so dialect tables are compile-time data.
    pub const fn new(number: u8, len: Len, enc: Enc, name: &'static str) -> Self {
        Self {
            number,
            len,
            enc,
            name,
        }
    }

    /// How this field must be masked. The same for every ISO 8583:1987 dialect, so it is
    /// decided by number rather than repeated in each table.
    pub const fn sensitivity(&self) -> Sensitivity {
        match self.number {
            2 => Sensitivity::Pan,
            // 14 expiry, 35/36 track 2/3, 45 track 1, 52 PIN block, 55 chip data.
            14 | 35 | 36 | 45 | 52 | 55 => Sensitivity::Secret,
            _ => Sensitivity::Clear,
        }
    }
}
