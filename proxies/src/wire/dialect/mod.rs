//! Dialects: how a message's MTI, bitmap and fields are laid out in bytes. A dialect is data:
//! a few layout choices plus one field table, one line per field.
//!
//! ```text
//! iso87 (pyiso8583 `default`):
//!   +-------+-----------------+-------------------+---------------------------------------+
//!   | MTI   | primary bitmap  | secondary bitmap  | fields in number order                |
//!   | 4 ch  | 8 bytes binary  | 8 bytes, only if  | fixed: value; LLVAR: "nn" value;      |
//!   | ASCII | bit 1 = field 1 | bit 1 set         | LLLVAR: "nnn" value (ASCII lengths)   |
//!   +-------+-----------------+-------------------+---------------------------------------+
//!
//! iso87-ascii (pyiso8583 `default_ascii`): as iso87, but each bitmap is 16 hex characters
//!   +-------+--------------------+--------------------+--------+
//!   | "0200"| "7020000000C00000" | (16 more if bit 1) | fields |
//!   +-------+--------------------+--------------------+--------+
//!
//! cup (UnionPay POS): TPDU, optional header, BCD MTI, binary bitmap (fields 1-64 only)
//!   +------+------+------+-----------+---------+---------+-------------------------------+
//!   | 0x60 | dest | src  | [header]  | MTI     | bitmap  | fields: n/z packed BCD, LL as |
//!   | 1 B  | 2 B  | 2 B  | 6 B, opt. | 2 B BCD | 8 bytes | 1 BCD byte, LLL as 2 BCD bytes|
//!   +------+------+------+-----------+---------+---------+-------------------------------+
//! ```
//! Bit 1 of the primary bitmap says a secondary bitmap (fields 65-128) follows; the codec sets
//! and clears it itself, so callers never set field 1. In `cup` the 6-byte header is present
//! when the byte after the TPDU is not a plausible first MTI byte (see [`crate::wire::Envelope`]).

mod cup_fields;
mod iso87_ascii_fields;
mod iso87_fields;

use std::fmt;
use std::str::FromStr;

use crate::wire::spec::FieldSpec;

/// How the MTI is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtiEnc {
    /// Four ASCII digits.
    Ascii,
    /// Four digits packed into 2 BCD bytes.
    Bcd,
}

/// How each bitmap is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitmapEnc {
    /// 8 raw bytes per bitmap.
    Binary,
    /// 16 upper-case hex characters per bitmap (lower case is accepted when decoding).
    Hex,
}

/// How LLVAR/LLLVAR length prefixes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixEnc {
    /// 2 or 3 ASCII digits.
    Ascii,
    /// 1 BCD byte (LL) or 2 BCD bytes (LLL, first nibble 0).
    Bcd,
}

/// A dialect: a field table plus the encoding of envelope, MTI, bitmap and length prefixes.
#[derive(Debug)]
pub struct Dialect {
    /// The name used in YAML and on the command line.
    pub name: &'static str,
    /// Whether messages carry a TPDU (and maybe a header) in front of the MTI.
    pub tpdu: bool,
    /// MTI encoding.
    pub mti: MtiEnc,
    /// Bitmap encoding.
    pub bitmap: BitmapEnc,
    /// Length-prefix encoding.
    pub prefix: PrefixEnc,
    /// Which field numbers carry data, in words, for error messages.
    pub data_fields: &'static str,
    /// Field 1 first; a dialect without a secondary bitmap has 64 lines.
    fields: &'static [FieldSpec],
}

/// pyiso8583 4.x treats field 65 as the flag of a tertiary bitmap (fields 129-192), never as
/// data; posfault does the same and stops at 128.
const PYISO8583_DATA_FIELDS: &str =
    "fields 2 to 128 except 65, which flags a tertiary bitmap (fields 129-192, not supported)";

/// ASCII fields with a binary bitmap, byte-identical to pyiso8583's `default` spec.
pub static ISO87: Dialect = Dialect {
    name: "iso87",
    tpdu: false,
    mti: MtiEnc::Ascii,
    bitmap: BitmapEnc::Binary,
    prefix: PrefixEnc::Ascii,
    data_fields: PYISO8583_DATA_FIELDS,
    fields: &iso87_fields::FIELDS,
};

/// ASCII fields with hex-character bitmaps, byte-identical to pyiso8583's `default_ascii`.
pub static ISO87_ASCII: Dialect = Dialect {
    name: "iso87-ascii",
    tpdu: false,
    mti: MtiEnc::Ascii,
    bitmap: BitmapEnc::Hex,
    prefix: PrefixEnc::Ascii,
    data_fields: PYISO8583_DATA_FIELDS,
    fields: &iso87_ascii_fields::FIELDS,
};

/// UnionPay POS style: TPDU, BCD MTI and numeric fields, BCD length prefixes, fields 1-64.
pub static CUP: Dialect = Dialect {
    name: "cup",
    tpdu: true,
    mti: MtiEnc::Bcd,
    bitmap: BitmapEnc::Binary,
    prefix: PrefixEnc::Bcd,
    data_fields: "fields 2 to 64",
    fields: &cup_fields::FIELDS,
};

impl Dialect {
    /// The table line for field `n`, or `None` when the dialect has no such field.
    pub fn field(&self, n: u8) -> Option<&'static FieldSpec> {
        self.fields.get(usize::from(n).checked_sub(1)?)
    }

    /// The table line for field `n` if it carries data: not field 1 (the secondary bitmap),
    /// and with a secondary bitmap not field 65 (the tertiary-bitmap flag).
    pub fn data_field(&self, n: u8) -> Option<&'static FieldSpec> {
        match n {
            0 | 1 => None,
            65 if self.max_field() == 128 => None,
            _ => self.field(n),
        }
    }

    /// The whole field table, field 1 first.
    pub fn fields(&self) -> &'static [FieldSpec] {
        self.fields
    }

    /// The highest field number: 128 with a secondary bitmap, 64 without.
    pub fn max_field(&self) -> u8 {
        self.fields.len() as u8
    }
}

/// A dialect chosen by name, as scenarios and the CLI name them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum DialectName {
    /// See [`ISO87`].
    #[default]
    #[serde(rename = "iso87")]
    Iso87,
    /// See [`ISO87_ASCII`].
    #[serde(rename = "iso87-ascii")]
    Iso87Ascii,
    /// See [`CUP`].
    #[serde(rename = "cup")]
    Cup,
}

impl DialectName {
    /// All dialects, for error messages and help texts.
    pub const ALL: [DialectName; 3] = [
        DialectName::Iso87,
        DialectName::Iso87Ascii,
        DialectName::Cup,
    ];

    /// The dialect's tables.
    pub fn dialect(self) -> &'static Dialect {
        match self {
            DialectName::Iso87 => &ISO87,
            DialectName::Iso87Ascii => &ISO87_ASCII,
            DialectName::Cup => &CUP,
        }
    }
}

impl fmt::Display for DialectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dialect().name)
    }
}

impl FromStr for DialectName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DialectName::ALL
            .into_iter()
            .find(|d| d.dialect().name == s)
            .ok_or_else(|| {
                let names: Vec<_> = DialectName::ALL.iter().map(|d| d.to_string()).collect();
                format!(
                    "unknown dialect {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::spec::{Enc, Len};

    #[test]
    fn table_lines_are_numbered_in_order() {
        for d in DialectName::ALL.map(DialectName::dialect) {
            for (i, f) in d.fields().iter().enumerate() {
                assert_eq!(usize::from(f.number), i + 1, "{} {f:?}", d.name);
            }
        }
        assert_eq!(
            (ISO87.max_field(), ISO87_ASCII.max_field(), CUP.max_field()),
            (128, 128, 64)
        );
    }

    #[test]
    fn key_fields_match_the_standard() {
        let f = |n| *ISO87.field(n).unwrap();
        assert_eq!((f(2).len, f(2).enc), (Len::LlVar(19), Enc::Ascii));
        assert_eq!((f(4).len, f(4).enc), (Len::Fixed(12), Enc::Ascii));
        assert_eq!((f(11).len, f(11).enc), (Len::Fixed(6), Enc::Ascii));
        assert_eq!((f(52).len, f(52).enc), (Len::Fixed(8), Enc::Binary));
        assert_eq!((f(90).len, f(90).enc), (Len::Fixed(42), Enc::Ascii));
        assert!(ISO87.field(0).is_none() && ISO87.field(129).is_none());
    }

    #[test]
    fn the_ascii_dialect_carries_binary_fields_as_hex_text() {
        let f = |n| *ISO87_ASCII.field(n).unwrap();
        assert_eq!((f(52).len, f(52).enc), (Len::Fixed(16), Enc::Ascii));
        assert_eq!((f(55).len, f(55).enc), (Len::LllVar(510), Enc::Ascii));
        assert_eq!(f(2), *ISO87.field(2).unwrap());
    }

    #[test]
    fn cup_packs_numeric_fields_and_stops_at_64() {
        let f = |n| *CUP.field(n).unwrap();
        assert_eq!((f(2).len, f(2).enc), (Len::LlVar(19), Enc::Bcd));
        assert_eq!((f(22).len, f(22).enc), (Len::Fixed(3), Enc::Bcd));
        assert_eq!((f(35).len, f(35).enc), (Len::LlVar(37), Enc::Track));
        assert_eq!((f(41).len, f(41).enc), (Len::Fixed(8), Enc::Ascii));
        assert!(CUP.field(65).is_none());
    }

    #[test]
    fn names_parse_and_unknown_names_say_what_exists() {
        for d in DialectName::ALL {
            assert_eq!(d.to_string().parse::<DialectName>(), Ok(d));
            let quoted = format!("\"{d}\"");
            assert_eq!(serde_json::from_str::<DialectName>(&quoted).unwrap(), d);
            assert_eq!(serde_json::to_string(&d).unwrap(), quoted);
        }
        let err = "iso93".parse::<DialectName>().unwrap_err();
        assert!(err.contains("iso87, iso87-ascii, cup"), "{err}");
    }
}
