//! The wire settings every actor of a run shares.

use bytes::Bytes;
use posfault_proxies::wire::framing::{DEFAULT_MAX_FRAME, FrameCodec};
use posfault_proxies::wire::{
    DecodeError, Dialect, EncodeError, Envelope, Framing, Message, decode, encode,
};

/// Dialect and framing of one run.
#[derive(Debug, Clone, Copy)]
pub struct Wire {
    /// The ISO 8583 dialect.
    pub dialect: &'static Dialect,
    /// How frames are delimited.
    pub framing: Framing,
    /// The envelope put on messages that have none, in dialects that route by TPDU: the
    /// terminal's requests. Replies carry the request's, swapped.
    pub envelope: Option<Envelope>,
}

impl Wire {
    /// A frame codec for this wire.
    pub fn codec(&self) -> FrameCodec {
        self.framing.codec(DEFAULT_MAX_FRAME)
    }

    /// Encodes a message body (the codec adds the frame header).
    pub fn encode(&self, msg: &Message) -> Result<Bytes, EncodeError> {
        if self.dialect.tpdu && msg.envelope().is_none() && self.envelope.is_some() {
            let mut routed = msg.clone();
            routed.set_envelope(self.envelope);
            return encode(self.dialect, &routed).map(Bytes::from);
        }
        encode(self.dialect, msg).map(Bytes::from)
    }

    /// Decodes a message body.
    pub fn decode(&self, body: &[u8]) -> Result<Message, DecodeError> {
        decode(self.dialect, body)
    }
}
