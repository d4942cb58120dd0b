//! The JSON form of a message that people and scripts read and write:
//! `{"mti": "0200", "fields": {"2": "4761...", "52": "0123ABCD..."}}`, binary fields as upper
//! hex, BCD fields as their digits, and for TPDU dialects `"tpdu"` (and `"header"`) as hex.
//!
//! [`JsonMessage::masked`] is what every display uses; [`JsonMessage::revealed`] is the one
//! way to see card data, and the only form that [`JsonMessage::to_message`] can encode again
//! (masked placeholders are rejected by the codec's value checks or by PAN length rules).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::wire::dialect::Dialect;
use crate::wire::envelope::Envelope;
use crate::wire::mask::{hex, masked_value};
use crate::wire::message::{Message, Mti};
use crate::wire::spec::{Enc, Sensitivity};

/// A message as JSON values. Field keys are numbers written as strings, in number order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMessage {
    /// The message type, four digits.
    pub mti: String,
    /// TPDU as 10 hex digits (`cup` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpdu: Option<String>,
    /// The 6-byte header after the TPDU as 12 hex digits (`cup` links that use one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Field values by number.
    pub fields: BTreeMap<u8, String>,
}

/// A JSON message that cannot become a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonError {
    /// The MTI is not four digits.
    #[error("mti: {0}")]
    Mti(String),
    /// The TPDU or header is not valid.
    #[error("{part}: {problem}")]
    Envelope {
        /// `tpdu` or `header`.
        part: &'static str,
        /// What is wrong and what would be right.
        problem: String,
    },
    /// A field number outside what the dialect defines.
    #[error("fields.\"{field}\": not a data field in the {dialect} dialect ({valid})")]
    NoSuchField {
        /// Field number.
        field: u8,
        /// Dialect name.
        dialect: &'static str,
        /// Which fields carry data, in words.
        valid: &'static str,
    },
    /// A value is a masking placeholder, so the message would not be the original.
    #[error(
        "fields.\"{field}\": holds a masked value ({value:?}); decode with --reveal (JsonMessage::revealed) to get values that can be encoded"
    )]
    Masked {
        /// Field number.
        field: u8,
        /// The placeholder found.
        value: String,
    },
    /// A binary field's value is not hex.
    #[error("fields.\"{field}\": binary fields are written as hex (pairs of 0-9, A-F); {problem}")]
    Hex {
        /// Field number.
        field: u8,
        /// What is wrong.
        problem: String,
    },
}

impl JsonMessage {
    /// The form anyone may see: PAN as first 6 + last 4, secrets redacted.
    pub fn masked(dialect: &Dialect, msg: &Message) -> Self {
        Self::with_fields(dialect, msg, false)
    }

    /// The clear form, card data included. Only for callers asked to reveal. Text values are
    /// kept as they are (JSON escapes control characters itself), so this form encodes back to
    /// the same bytes.
    pub fn revealed(dialect: &Dialect, msg: &Message) -> Self {
        Self::with_fields(dialect, msg, true)
    }

    fn with_fields(dialect: &Dialect, msg: &Message, reveal: bool) -> Self {
        let fields = msg
            .fields()
            .filter_map(|(n, v)| {
                let spec = dialect.field(n)?;
                let text = if !reveal && spec.sensitivity() != Sensitivity::Clear {
                    masked_value(spec, v)
                } else if spec.enc == Enc::Binary {
                    hex(v)
                } else {
                    String::from_utf8_lossy(v).into_owned()
                };
                Some((n, text))
            })
            .collect();
        JsonMessage {
            mti: msg.mti().to_string(),
            tpdu: msg.envelope().map(|e| hex(&e.tpdu.to_bytes())),
            header: msg.envelope().and_then(|e| e.header).map(|h| hex(&h)),
            fields,
        }
    }

    /// The message these values describe in `dialect` (binary fields are hex-decoded).
    pub fn to_message(&self, dialect: &Dialect) -> Result<Message, JsonError> {
        let mti: Mti = self.mti.parse().map_err(JsonError::Mti)?;
        let mut msg = Message::with_capacity(mti, self.fields.len(), 128);
        if let Some(tpdu) = &self.tpdu {
            let mut bytes = unhex(tpdu).map_err(|problem| JsonError::Envelope {
                part: "tpdu",
                problem,
            })?;
            if let Some(h) = &self.header {
                let h = unhex(h).map_err(|problem| JsonError::Envelope {
                    part: "header",
                    problem,
                })?;
                if h.len() != 6 {
                    return Err(JsonError::Envelope {
                        part: "header",
                        problem: format!("expected 6 bytes (12 hex digits), found {}", h.len()),
                    });
                }
                bytes.extend_from_slice(&h);
            }
            let env = Envelope::from_bytes(&bytes).map_err(|problem| JsonError::Envelope {
                part: "tpdu",
                problem,
            })?;
            msg.set_envelope(Some(env));
        } else if self.header.is_some() {
            return Err(JsonError::Envelope {
                part: "header",
                problem: "a header needs a tpdu in front of it".into(),
            });
        }
        for (&n, value) in &self.fields {
            let spec = dialect.data_field(n).ok_or(JsonError::NoSuchField {
                field: n,
                dialect: dialect.name,
                valid: dialect.data_fields,
            })?;
            if value.starts_with("[redacted") || (n == 2 && value.contains('*')) {
                return Err(JsonError::Masked {
                    field: n,
                    value: value.clone(),
                });
            }
            if spec.enc == Enc::Binary {
                let bytes = unhex(value).map_err(|problem| JsonError::Hex { field: n, problem })?;
                msg.set(n, bytes);
            } else {
                msg.set(n, value);
            }
        }
        Ok(msg)
    }
}

/// Bytes from hex digits (either case), or what is wrong with them.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let digits = s.as_bytes();
    if digits.len() % 2 == 1 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    let val = |i: usize| {
        char::from(digits[i]).to_digit(16).ok_or_else(|| {
            format!(
                "{:?} at position {i} is not a hex digit",
                char::from(digits[i])
            )
        })
    };
    (0..digits.len() / 2)
        .map(|i| Ok((val(2 * i)? << 4 | val(2 * i + 1)?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CUP, ISO87};

    #[test]
    fn revealed_json_round_trips_and_masked_json_hides_card_data() {
        let mut m = Message::new("0200".parse().unwrap());
        m.set(2, "4761739001010010")
            .set(52, [0xAB; 8])
            .set(11, "000001");
        let clear = JsonMessage::revealed(&ISO87, &m);
        assert_eq!(clear.fields[&52], "ABABABABABABABAB");
        assert_eq!(clear.to_message(&ISO87).unwrap(), m);
        let masked = JsonMessage::masked(&ISO87, &m);
        assert_eq!(masked.fields[&2], "476173******0010");
        assert_eq!(masked.fields[&52], "[redacted, 8 bytes]");
        let err = masked.to_message(&ISO87).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("fields.\"2\": holds a masked value"),
            "{err}"
        );
    }

    #[test]
    fn the_tpdu_travels_as_hex() {
        let mut m = Message::new("0800".parse().unwrap());
        m.set_envelope(Some(Envelope::from_bytes(&[0x60, 0, 3, 0, 0]).unwrap()));
        m.set(11, "000001");
        let j = JsonMessage::revealed(&CUP, &m);
        assert_eq!(j.tpdu.as_deref(), Some("6000030000"));
        assert_eq!(j.to_message(&CUP).unwrap(), m);
    }

    #[test]
    fn bad_values_name_the_field_and_what_would_be_right() {
        let j = |fields: &[(u8, &str)]| JsonMessage {
            mti: "0200".into(),
            tpdu: None,
            header: None,
            fields: fields.iter().map(|&(n, v)| (n, v.to_string())).collect(),
        };
        let err = j(&[(52, "ABXD")]).to_message(&ISO87).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fields.\"52\": binary fields are written as hex (pairs of 0-9, A-F); 'X' at position 2 is not a hex digit"
        );
        let err = j(&[(70, "301")]).to_message(&CUP).unwrap_err();
        assert!(
            err.to_string().contains("cup dialect (fields 2 to 64)"),
            "{err}"
        );
        let err = j(&[(65, "00")]).to_message(&ISO87).unwrap_err();
        assert!(err.to_string().contains("tertiary bitmap"), "{err}");
        let err = j(&[(1, "00")]).to_message(&ISO87).unwrap_err();
        assert!(err.to_string().starts_with("fields.\"1\""), "{err}");
    }
}
