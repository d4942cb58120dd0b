//! Dialects: how a message's MTI, bitmap and fields are laid out in bytes.
//!
//! ```text
//! iso87 (pyiso8583 `default`):
//!   +------+----------------+------------------+----------------------------------+
//!   | MTI  | primary bitmap | secondary bitmap | fields in number order           |
//!   | 4 ch | 8 bytes binary | 8 bytes, only if | fixed: value; LLVAR: "nn" value; |
//!   |ASCII | bit 1 = field 1| bit 1 set        | LLLVAR: "nnn" value              |
//!   +------+----------------+------------------+----------------------------------+
//! ```
//! Bit 1 of the primary bitmap says a secondary bitmap (fields 65-128) follows; the codec sets
//! and clears it itself, so callers never set field 1.

mod iso87_fields;

use std::fmt;
use std::str::FromStr;

use crate::wire::spec::FieldSpec;

/// How the bitmap is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitmapEnc {
    /// 8 raw bytes per bitmap.
    Binary,
}

/// A dialect: a field table plus the encoding of MTI and bitmap.
#[derive(Debug)]
pub struct Dialect {
    /// The name used in YAML and on the command line.
    pub name: &'static str,
    /// Bitmap encoding.
    pub bitmap: BitmapEnc,
    fields: &'static [FieldSpec; 128],
}

/// ASCII fields with a binary bitmap, byte-identical to pyiso8583's `default` spec.
pub static ISO87: Dialect = Dialect {
    name: "iso87",
    bitmap: BitmapEnc::Binary,
    fields: &iso87_fields::FIELDS,
};

impl Dialect {
    /// The table line for field `n` (1 to 128), or `None` outside that range.
    pub fn field(&self, n: u8) -> Option<&'static FieldSpec> {
        match n {
            1..=128 => Some(&self.fields[usize::from(n) - 1]),
            _ => None,
        }
    }

    /// The whole field table, field 1 first.
    pub fn fields(&self) -> &'static [FieldSpec; 128] {
        self.fields
    }
}

/// A dialect chosen by name, as scenarios and the CLI name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DialectName {
    /// See [`ISO87`].
    #[default]
    #[serde(rename = "iso87")]
    Iso87,
}

impl DialectName {
    /// All dialects, for error messages and help texts.
    pub const ALL: [DialectName; 1] = [DialectName::Iso87];

    /// The dialect's tables.
    pub fn dialect(self) -> &'static Dialect {
        match self {
            DialectName::Iso87 => &ISO87,
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
        for (i, f) in ISO87.fields().iter().enumerate() {
            assert_eq!(usize::from(f.number), i + 1, "{f:?}");
        }
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
    fn names_parse_and_unknown_names_say_what_exists() {
        assert_eq!("iso87".parse::<DialectName>(), Ok(DialectName::Iso87));
        let err = "iso93".parse::<DialectName>().unwrap_err();
        assert!(err.contains("iso87"), "{err}");
    }
}
