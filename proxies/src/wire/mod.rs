//! Everything about bytes on the wire: framing, the ISO 8583 codec, masking.

pub mod codec;
pub mod dialect;
pub mod envelope;
pub mod error;
pub mod framing;
pub mod json;
pub mod mask;
pub mod message;
pub mod spec;

pub use codec::{decode, encode, encode_into};
pub use dialect::{CUP, Dialect, DialectName, ISO87, ISO87_ASCII};
pub use envelope::{Envelope, Tpdu};
pub use error::{DecodeError, EncodeError};
pub use framing::Framing;
pub use message::{Message, Mti};
