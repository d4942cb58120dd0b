//! Codec errors. Each names the field, the byte offset and what was expected, because the
//! reader is a support engineer holding a hex dump.

use thiserror::Error;

/// Where in a frame decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The TPDU and header in front of the MTI (`cup`).
    Envelope,
    /// The message type indicator.
    Mti,
    /// The primary (1) or secondary (2) bitmap.
    Bitmap(u8),
    /// A data field.
    Field(u8),
    /// Bytes after the last field.
    Trailer,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Envelope => f.write_str("TPDU"),
            Part::Mti => f.write_str("MTI"),
            Part::Bitmap(1) => f.write_str("primary bitmap"),
            Part::Bitmap(_) => f.write_str("secondary bitmap"),
            Part::Field(n) => write!(f, "field {n}"),
            Part::Trailer => f.write_str("end of message"),
        }
    }
}

/// A frame that is not a valid message in the dialect.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{part} at byte {offset}: {problem}")]
pub struct DecodeError {
    /// What was being read.
    pub part: Part,
    /// Offset of the first byte of that part in the message (after framing).
    pub offset: usize,
    /// What was expected and what was found.
    pub problem: String,
}

/// A message that cannot be written in the dialect.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A fixed-length field has a value of another length.
    #[error("field {field} ({name}): must be exactly {expected} long, found {found}")]
    FixedLength {
        /// Field number.
        field: u8,
        /// The standard's name of the field.
        name: &'static str,
        /// Required length.
        expected: u16,
        /// Length of the given value.
        found: usize,
    },
    /// A variable-length field is longer than the dialect allows.
    #[error("field {field} ({name}): at most {max} long, found {found}")]
    TooLong {
        /// Field number.
        field: u8,
        /// The standard's name of the field.
        name: &'static str,
        /// Maximum length.
        max: u16,
        /// Length of the given value.
        found: usize,
    },
    /// A numeric (BCD) or track field holds a character it cannot pack.
    #[error("field {field} ({name}): {expected}, found {found:?}")]
    NotPackable {
        /// Field number.
        field: u8,
        /// The standard's name of the field.
        name: &'static str,
        /// What the field accepts.
        expected: &'static str,
        /// The offending character.
        found: char,
    },
    /// The message has a field the dialect does not define.
    #[error("field {field}: not a data field in the {dialect} dialect ({valid})")]
    NoSuchField {
        /// Field number.
        field: u8,
        /// Dialect name.
        dialect: &'static str,
        /// Which fields carry data, in words.
        valid: &'static str,
    },
    /// The dialect routes messages by TPDU and the message has none.
    #[error(
        "the {dialect} dialect needs a TPDU: set the message's envelope (e.g. \"tpdu\": \"6000030000\")"
    )]
    MissingEnvelope {
        /// Dialect name.
        dialect: &'static str,
    },
    /// An ASCII field holds a byte outside ASCII.
    #[error("field {field} ({name}): must be ASCII text, found byte 0x{byte:02X}")]
    NotAscii {
        /// Field number.
        field: u8,
        /// The standard's name of the field.
        name: &'static str,
        /// The offending byte.
        byte: u8,
    },
}
