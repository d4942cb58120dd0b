//! Frame codecs for tokio-util: how a message is delimited on a TCP stream.
//!
//! Every framing is a length header that does not count itself, then the message:
//! ```text
//! u16be (default): 2 bytes, big-endian binary
//! INPUT                                DECODED
//! +-----------+--------------------+       +--------------------+
//! | 0x00 0xA5 | 165 message bytes  |  -->  | 165 message bytes  |
//! +-----------+--------------------+       +--------------------+
//!
//! bcd2: 2 bytes of packed BCD, 4 decimal digits (0000-9999)
//! +-----------+--------------------+       +--------------------+
//! | 0x01 0x65 | 165 message bytes  |  -->  | 165 message bytes  |
//! +-----------+--------------------+       +--------------------+
//!
//! ascii4: 4 ASCII decimal digits (0000-9999)
//! +--------+--------------------+          +--------------------+
//! | "0165" | 165 message bytes  |     -->  | 165 message bytes  |
//! +--------+--------------------+          +--------------------+
//! ```
//! A length over the codec's maximum, or a BCD/ASCII header that is not decimal digits, is
//! rejected as soon as the header is read, before any payload is buffered, so a corrupt or
//! hostile header cannot make a peer allocate or wait for a frame that will never be valid.
//! A zero length is a valid, empty frame (some terminals send one as a keep-alive); it is the
//! message decoder's business to say that an empty frame is not a message.

use std::fmt;
use std::io;
use std::str::FromStr;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// The largest message the default framing accepts: all a 2-byte length can say.
pub const DEFAULT_MAX_FRAME: usize = u16::MAX as usize;

/// How frames are delimited.
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
pub enum Framing {
    /// A 2-byte big-endian binary length.
    #[default]
    #[serde(rename = "u16be")]
    U16Be,
    /// A 2-byte packed-BCD length (4 decimal digits), common on UnionPay links.
    #[serde(rename = "bcd2")]
    Bcd2,
    /// A 4-digit ASCII decimal length.
    #[serde(rename = "ascii4")]
    Ascii4,
}

impl Framing {
    /// All framings, for help and error texts.
    pub const ALL: [Framing; 3] = [Framing::U16Be, Framing::Bcd2, Framing::Ascii4];

    /// The name used in YAML and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Framing::U16Be => "u16be",
            Framing::Bcd2 => "bcd2",
            Framing::Ascii4 => "ascii4",
        }
    }

    /// Bytes in the length header.
    pub fn header_len(self) -> usize {
        match self {
            Framing::U16Be | Framing::Bcd2 => 2,
            Framing::Ascii4 => 4,
        }
    }

    /// The largest length the header can express at all.
    pub fn header_capacity(self) -> usize {
        match self {
            Framing::U16Be => u16::MAX as usize,
            Framing::Bcd2 | Framing::Ascii4 => 9999,
        }
    }

    /// A codec for this framing that rejects frames over `max_frame` bytes (or over what the
    /// header can express, whichever is smaller).
    pub fn codec(self, max_frame: usize) -> FrameCodec {
        FrameCodec {
            framing: self,
            max_frame: max_frame.min(self.header_capacity()),
            pending: None,
        }
    }

    /// Prepends this framing's header to one message.
    ///
    /// # Errors
    /// When the message is longer than the header can express.
    pub fn frame(self, message: &[u8]) -> io::Result<Vec<u8>> {
        // The live proxy frames every forwarded message: one allocation and one copy, not the
        // codec's three.
        self.codec(usize::MAX).check_len(message.len())?;
        let mut out = Vec::with_capacity(self.header_len() + message.len());
        self.put_header(message.len(), &mut out);
        out.extend_from_slice(message);
        Ok(out)
    }

    /// Reads a complete header. `Err` names what is wrong with it.
    fn parse_header(self, h: &[u8]) -> Result<usize, String> {
        match self {
            Framing::U16Be => Ok(usize::from(u16::from_be_bytes([h[0], h[1]]))),
            Framing::Bcd2 => {
                let mut len = 0;
                for &b in h {
                    let (hi, lo) = (b >> 4, b & 0x0F);
                    if hi > 9 || lo > 9 {
                        return Err(format!(
                            "bcd2 length header {:02X}{:02X} is not 4 BCD digits",
                            h[0], h[1]
                        ));
                    }
                    len = len * 100 + usize::from(hi) * 10 + usize::from(lo);
                }
                Ok(len)
            }
            Framing::Ascii4 => {
                if !h.iter().all(u8::is_ascii_digit) {
                    return Err(format!(
                        "ascii4 length header {:?} is not 4 ASCII digits",
                        String::from_utf8_lossy(h)
                    ));
                }
                Ok(h.iter().fold(0, |n, &d| n * 10 + usize::from(d - b'0')))
            }
        }
    }

    /// Writes the header for a length the caller has checked fits.
    fn put_header(self, len: usize, dst: &mut impl BufMut) {
        match self {
            Framing::U16Be => dst.put_u16(len as u16),
            Framing::Bcd2 => {
                let d = |n: usize| (n % 10) as u8;
                dst.put_u8(d(len / 1000) << 4 | d(len / 100));
                dst.put_u8(d(len / 10) << 4 | d(len));
            }
            Framing::Ascii4 => {
                for div in [1000, 100, 10, 1] {
                    dst.put_u8(b'0' + ((len / div) % 10) as u8);
                }
            }
        }
    }
}

/// The codec every framing yields: splits a byte stream into message frames and writes them
/// back with their header. The relay and the harness name only this type.
///
/// Follows tokio-util's contract: `decode` returns `Ok(None)` for "need more bytes" and `Err`
/// for a corrupt stream (bad or oversize header, or EOF inside a frame).
#[derive(Debug, Clone)]
pub struct FrameCodec {
    framing: Framing,
    max_frame: usize,
    /// Length of the frame whose header has been read but whose payload has not all arrived.
    pending: Option<usize>,
}

// The relay and the harness rely on exactly these trait implementations; fail the build, not
// a user, if a change loses one.
const _: fn() = || {
    fn is_frame_codec<C>()
    where
        C: Decoder<Item = BytesMut, Error = io::Error> + Encoder<Bytes, Error = io::Error>,
    {
    }
    is_frame_codec::<FrameCodec>();
};

impl FrameCodec {
    /// The framing this codec speaks.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The largest frame it accepts.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Refuses a message too long for this codec to frame.
    fn check_len(&self, len: usize) -> io::Result<()> {
        if len > self.max_frame {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "message of {len} bytes is over the {} maximum frame of {}",
                    self.framing, self.max_frame
                ),
            ));
        }
        Ok(())
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Decoder for FrameCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let len = match self.pending {
            Some(len) => len,
            None => {
                let header_len = self.framing.header_len();
                if src.len() < header_len {
                    return Ok(None);
                }
                let len = self
                    .framing
                    .parse_header(&src[..header_len])
                    .map_err(invalid)?;
                if len > self.max_frame {
                    return Err(invalid(format!(
                        "{} length header says {len} bytes, over the maximum frame of {}",
                        self.framing, self.max_frame
                    )));
                }
                src.advance(header_len);
                src.reserve(len);
                self.pending = Some(len);
                len
            }
        };
        if src.len() < len {
            return Ok(None);
        }
        self.pending = None;
        Ok(Some(src.split_to(len)))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        match self.pending {
            Some(len) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "stream ended inside a frame: header said {len} bytes, only {} arrived",
                    src.len()
                ),
            )),
            None if !src.is_empty() => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "stream ended inside a {} length header ({} of {} bytes)",
                    self.framing,
                    src.len(),
                    self.framing.header_len()
                ),
            )),
            None => Ok(None),
        }
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = io::Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        self.check_len(item.len())?;
        dst.reserve(self.framing.header_len() + item.len());
        self.framing.put_header(item.len(), dst);
        dst.extend_from_slice(&item);
        Ok(())
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
            .ok_or_else(|| format!("unknown framing {s:?}; expected one of u16be, bcd2, ascii4"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(f: Framing) -> FrameCodec {
        f.codec(DEFAULT_MAX_FRAME)
    }

    #[test]
    fn each_framing_writes_its_header_and_reads_it_back() {
        let cases: [(Framing, &[u8]); 3] = [
            (Framing::U16Be, &[0x00, 0x03]),
            (Framing::Bcd2, &[0x00, 0x03]),
            (Framing::Ascii4, b"0003"),
        ];
        for (f, header) in cases {
            let framed = f.frame(b"abc").unwrap();
            assert_eq!(&framed[..header.len()], header, "{f}");
            let mut buf = BytesMut::from(&framed[..]);
            assert_eq!(&codec(f).decode(&mut buf).unwrap().unwrap()[..], b"abc");
            assert!(buf.is_empty());
        }
        assert_eq!(Framing::Bcd2.frame(&[0; 1234]).unwrap()[..2], [0x12, 0x34]);
        assert_eq!(&Framing::Ascii4.frame(&[0; 1234]).unwrap()[..4], b"1234");
    }

    #[test]
    fn split_header_waits_for_more_bytes() {
        for f in Framing::ALL {
            let framed = f.frame(b"abc").unwrap();
            let mut c = codec(f);
            let mut buf = BytesMut::from(&framed[..1]);
            assert_eq!(c.decode(&mut buf).unwrap(), None, "{f}");
            buf.extend_from_slice(&framed[1..]);
            assert_eq!(&c.decode(&mut buf).unwrap().unwrap()[..], b"abc", "{f}");
        }
    }

    #[test]
    fn partial_payload_waits_then_yields_one_frame_and_keeps_the_rest() {
        let mut c = codec(Framing::Ascii4);
        let mut buf = BytesMut::from(&b"0005ab"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"cde0001");
        assert_eq!(&c.decode(&mut buf).unwrap().unwrap()[..], b"abcde");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"z");
        assert_eq!(&c.decode(&mut buf).unwrap().unwrap()[..], b"z");
    }

    #[test]
    fn eof_mid_frame_is_an_error_saying_how_much_arrived() {
        for f in Framing::ALL {
            let framed = f.frame(b"abcde").unwrap();
            let mut c = codec(f);
            let mut buf = BytesMut::from(&framed[..framed.len() - 2]);
            assert_eq!(c.decode(&mut buf).unwrap(), None);
            let err = c.decode_eof(&mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            assert!(err.to_string().contains("5 bytes, only 3 arrived"), "{err}");
        }
    }

    #[test]
    fn eof_inside_a_header_is_an_error_and_a_clean_eof_is_not() {
        let mut c = codec(Framing::Ascii4);
        let mut buf = BytesMut::from(&b"00"[..]);
        let err = c.decode_eof(&mut buf).unwrap_err();
        assert!(err.to_string().contains("2 of 4 bytes"), "{err}");
        assert_eq!(
            codec(Framing::U16Be)
                .decode_eof(&mut BytesMut::new())
                .unwrap(),
            None
        );
    }

    #[test]
    fn oversize_length_is_rejected_before_the_payload_arrives() {
        let headers: [(Framing, &[u8]); 3] = [
            (Framing::U16Be, &[0x01, 0x00]),
            (Framing::Bcd2, &[0x02, 0x56]),
            (Framing::Ascii4, b"0256"),
        ];
        for (f, header) in headers {
            let mut buf = BytesMut::from(header);
            let err = f.codec(100).decode(&mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(
                err.to_string()
                    .contains("256 bytes, over the maximum frame of 100"),
                "{err}"
            );
        }
    }

    #[test]
    fn non_digit_headers_are_rejected_up_front() {
        let mut buf = BytesMut::from(&[0x0A, 0x00][..]);
        let err = codec(Framing::Bcd2).decode(&mut buf).unwrap_err();
        assert!(
            err.to_string().contains("0A00 is not 4 BCD digits"),
            "{err}"
        );
        let mut buf = BytesMut::from(&b"01x5"[..]);
        let err = codec(Framing::Ascii4).decode(&mut buf).unwrap_err();
        assert!(
            err.to_string().contains("\"01x5\" is not 4 ASCII digits"),
            "{err}"
        );
    }

    #[test]
    fn zero_length_is_an_empty_frame() {
        for f in Framing::ALL {
            let mut buf = BytesMut::from(&f.frame(b"").unwrap()[..]);
            assert_eq!(
                codec(f).decode(&mut buf).unwrap().as_deref(),
                Some(&b""[..])
            );
            assert!(buf.is_empty(), "{f}");
        }
    }

    #[test]
    fn encoding_more_than_the_header_can_say_is_an_error() {
        let err = Framing::Ascii4.frame(&[0; 10_000]).unwrap_err();
        assert!(
            err.to_string()
                .contains("10000 bytes is over the ascii4 maximum frame of 9999"),
            "{err}"
        );
        let mut out = BytesMut::new();
        let err = Framing::U16Be
            .codec(4)
            .encode(Bytes::from_static(b"abcde"), &mut out);
        assert!(err.is_err() && out.is_empty());
    }

    #[test]
    fn names_parse_and_unknown_names_list_the_choices() {
        for f in Framing::ALL {
            assert_eq!(f.name().parse::<Framing>(), Ok(f));
            let quoted = format!("\"{f}\"");
            assert_eq!(serde_json::from_str::<Framing>(&quoted).unwrap(), f);
            assert_eq!(serde_json::to_string(&f).unwrap(), quoted);
        }
        let err = "u32be".parse::<Framing>().unwrap_err();
        assert!(err.contains("u16be, bcd2, ascii4"), "{err}");
    }

    #[tokio::test]
    async fn scripted_transport_yields_frames_across_reads_then_ends_cleanly() {
        use futures_util::StreamExt;
        use tokio_util::codec::FramedRead;
        let io = tokio_test::io::Builder::new()
            .read(&[0x00])
            .read(&[0x03, b'a'])
            .read(b"bc\x00\x00\x00\x01")
            .read(b"z")
            .build();
        let mut frames = FramedRead::new(io, codec(Framing::Bcd2));
        assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"abc");
        assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"");
        assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"z");
        assert!(frames.next().await.is_none());
    }

    #[tokio::test]
    async fn scripted_transport_reports_eof_mid_frame() {
        use futures_util::StreamExt;
        use tokio_util::codec::FramedRead;
        let io = tokio_test::io::Builder::new().read(b"0004ab").build();
        let mut frames = FramedRead::new(io, codec(Framing::Ascii4));
        let err = frames.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
