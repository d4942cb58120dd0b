//! Everything about bytes on the wire: framing, the ISO 8583 codec, masking.
//!
//! - [`framing`]: [`framing::FrameCodec`], the tokio-util codec for length headers (`u16be`,
//!   `bcd2`, `ascii4`), the one entry point the relay and the harness use.
//! - [`dialect`]: byte layouts as data, one field table per dialect (`iso87`, `iso87-ascii`,
//!   `cup`); [`codec`] reads and writes any of them; [`envelope`] is cup's TPDU.
//! - [`message`]: dialect-independent values; [`json`] their JSON form; [`mask`] what people
//!   may see of them.
//!
//! Adding a dialect: write its table (one [`spec::FieldSpec`] line per field, generated where a
//! reference implementation exists), add a `static` [`Dialect`] naming its MTI, bitmap and
//! length-prefix encodings, and a [`DialectName`] variant; the round-trip property tests and
//! the fuzz target pick it up from [`DialectName::ALL`].

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
