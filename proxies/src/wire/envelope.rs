//! What some dialects carry in front of the MTI: UnionPay's TPDU and optional 6-byte header.
//!
//! ```text
//! +------+-------------+--------+---------------------------------------+
//! | 0x60 | destination | source | header (optional)                     |
//! | ID   | 2 bytes     | 2 bytes| 6 bytes: app type, version, status... |
//! +------+-------------+--------+---------------------------------------+
//! ```
//! It lives on [`crate::wire::Message`] rather than in the field values so that everything
//! above the codec stays dialect-blind, yet a host can answer on the same route: a reply
//! carries [`Envelope::reply`], the request's TPDU with destination and source swapped.
//! Dialects without a TPDU ignore it.

/// The transport protocol data unit that routes a UnionPay POS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tpdu {
    /// Where the message goes (usually the acquirer's NII).
    pub destination: [u8; 2],
    /// Where it came from.
    pub source: [u8; 2],
}

impl Tpdu {
    /// The only TPDU ID the `cup` dialect accepts.
    pub const ID: u8 = 0x60;

    /// The five bytes on the wire.
    pub fn to_bytes(self) -> [u8; 5] {
        let [d0, d1] = self.destination;
        let [s0, s1] = self.source;
        [Self::ID, d0, d1, s0, s1]
    }
}

/// The TPDU plus the optional header that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// Routing.
    pub tpdu: Tpdu,
    /// The 6-byte UnionPay message header, when the link uses one.
    pub header: Option<[u8; 6]>,
}

impl Envelope {
    /// The envelope of a reply to a message that arrived in this one: same header, destination
    /// and source swapped.
    pub fn reply(&self) -> Envelope {
        Envelope {
            tpdu: Tpdu {
                destination: self.tpdu.source,
                source: self.tpdu.destination,
            },
            header: self.header,
        }
    }

    /// The envelope's bytes, as hex-dump readers expect them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.tpdu.to_bytes().to_vec();
        if let Some(h) = self.header {
            out.extend_from_slice(&h);
        }
        out
    }

    /// Reads an envelope from 5 (TPDU) or 11 (TPDU + header) bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, String> {
        let header = match bytes.len() {
            5 => None,
            11 => Some(<[u8; 6]>::try_from(&bytes[5..]).map_err(|e| e.to_string())?),
            n => {
                return Err(format!(
                    "expected a 5-byte TPDU or 11 bytes of TPDU and header, found {n} bytes"
                ));
            }
        };
        if bytes[0] != Tpdu::ID {
            return Err(format!("expected TPDU ID 0x60, found 0x{:02X}", bytes[0]));
        }
        Ok(Envelope {
            tpdu: Tpdu {
                destination: [bytes[1], bytes[2]],
                source: [bytes[3], bytes[4]],
            },
            header,
        })
    }
}

/// Written as hex, the form it has in hex dumps and scenario files: `"6000030000"`, or 22
/// digits with the header.
impl serde::Serialize for Envelope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::wire::mask::hex(&self.to_bytes()))
    }
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = crate::wire::json::unhex(&text).map_err(serde::de::Error::custom)?;
        Envelope::from_bytes(&bytes)
            .map_err(|e| serde::de::Error::custom(format!("{e} (as hex, e.g. \"6000030000\")")))
    }
}

/// Described as the hex string scenarios write: the TPDU ID `60`, then destination and source
/// (10 digits in all), optionally followed by the 6-byte header (22 digits).
impl schemars::JsonSchema for Envelope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Envelope".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^60[0-9A-Fa-f]{8}([0-9A-Fa-f]{12})?$",
            "description": "TPDU as hex (10 digits, starting 60), optionally followed by the 6-byte UnionPay header (22 digits in all).",
            "examples": ["6000030000", "6000030000603100000000"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_swaps_destination_and_source_and_keeps_the_header() {
        let req = Envelope::from_bytes(&[0x60, 0x00, 0x03, 0x00, 0x00]).unwrap();
        assert_eq!(req.reply().to_bytes(), vec![0x60, 0x00, 0x00, 0x00, 0x03]);
        let with_header = [0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0, 0, 0];
        let req = Envelope::from_bytes(&with_header).unwrap();
        assert_eq!(req.reply().header, Some([0x60, 0x31, 0, 0, 0, 0]));
        assert_eq!(req.reply().reply(), req);
    }

    #[test]
    fn it_is_written_as_hex() {
        let e: Envelope = serde_json::from_str("\"6000030000\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"6000030000\"");
        let err = serde_json::from_str::<Envelope>("\"6100030000\"").unwrap_err();
        assert!(err.to_string().contains("TPDU ID 0x60"), "{err}");
    }

    #[test]
    fn wrong_sizes_and_ids_say_what_is_expected() {
        let err = Envelope::from_bytes(&[0x60, 0, 3]).unwrap_err();
        assert!(err.contains("5-byte TPDU"), "{err}");
        let err = Envelope::from_bytes(&[0x61, 0, 3, 0, 0]).unwrap_err();
        assert!(err.contains("TPDU ID 0x60, found 0x61"), "{err}");
    }
}
