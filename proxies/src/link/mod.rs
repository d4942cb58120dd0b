//! The proxy loop: decode each frame, ask the fault engine, carry out the effect, report events.
//!
//! Generic over `AsyncRead + AsyncWrite`, so the same code relays `turmoil::net::TcpStream` in
//! the simulation and `tokio::net::TcpStream` live.

mod event;
mod relay;

pub use event::{Clock, EventSink, Fate, FrameEvent, LinkEvent, Side};
pub use relay::Relay;
