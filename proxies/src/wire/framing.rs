//! Frame codecs for tokio-util: how a message is delimited on a TCP stream.
//!
//! ```text
//! u16be (default):
//! INPUT                                DECODED
//! +-------+--------------------+       +--------------------+
//! | 0x00A5| 165 message bytes  |  -->  | 165 message bytes  |
//! +-------+--------------------+       +--------------------+
//!  2 bytes, big-endian, excludes itself
//! ```
//! Oversized lengths are rejected before any payload is buffered, so a corrupt or hostile
//! header cannot make a peer allocate.

use std::fmt;
use std::str::FromStr;

use tokio_util::codec::LengthDelimitedCodec;

/// The codec every framing yields. Users name this alias, not the tokio-util type behind it, so a
/// framing with another header layout can change it without touching them.
pub type FrameCodec = LengthDelimitedCodec;

/// The largest message the default framing accepts: all a 2-byte length can say.
pub const DEFAULT_MAX_FRAME: usize = u16::MAX as usize;

/// How frames are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Framing {
    /// A 2-byte big-endian length prefix that does not count itself.
    #[default]
    #[serde(rename = "u16be")]
    U16Be,
}

impl Framing {
    /// All framings, for help and error texts.
    pub const ALL: [Framing; 1] = [Framing::U16Be];

    /// The name used in YAML and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Framing::U16Be => "u16be",
        }
    }

    /// A codec for this framing that rejects frames over `max_frame` bytes.
    pub fn codec(self, max_frame: usize) -> FrameCodec {
        match self {
            Framing::U16Be => LengthDelimitedCodec::builder()
                .length_field_length(2)
                .max_frame_length(max_frame)
                .new_codec(),
        }
    }

    /// Prepends this framing's header to one message.
    pub fn frame(self, message: &[u8]) -> Vec<u8> {
        match self {
            Framing::U16Be => {
                let mut out = Vec::with_capacity(message.len() + 2);
                out.extend_from_slice(&(message.len() as u16).to_be_bytes());
                out.extend_from_slice(message);
                out
            }
        }
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Framing {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Framing::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown framing {s:?}; expected one of u16be"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use tokio_util::codec::Decoder;

    #[test]
    fn split_header_waits_for_more_bytes() {
        let mut codec = Framing::U16Be.codec(DEFAULT_MAX_FRAME);
        let mut buf = BytesMut::from(&[0x00][..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&[0x03, b'a', b'b']);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"c");
        assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"abc");
    }

    #[test]
    fn oversize_length_is_rejected_before_the_payload_arrives() {
        let mut codec = Framing::U16Be.codec(100);
        let mut buf = BytesMut::from(&[0x01, 0x00][..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(err.to_string().contains("frame size too big"), "{err}");
    }

    #[test]
    fn eof_mid_frame_is_an_error() {
        let mut codec = Framing::U16Be.codec(DEFAULT_MAX_FRAME);
        let mut buf = BytesMut::from(&[0x00, 0x05, b'a'][..]);
        assert!(codec.decode_eof(&mut buf).is_err());
    }

    #[test]
    fn frame_prepends_the_length() {
        assert_eq!(Framing::U16Be.frame(b"abc"), vec![0, 3, b'a', b'b', b'c']);
    }
}
