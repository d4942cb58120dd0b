//! The proxy loop: decode each frame, ask the fault engine, carry out the effect, report events.
//!
//! Generic over `AsyncRead + AsyncWrite`, so the same code relays `turmoil::net::TcpStream` in
//! the simulation and `tokio::net::TcpStream` live ([`serve`] with [`TcpNetwork`] or, with the
//! `turmoil` feature, `SimNetwork`).

mod event;
mod relay;
mod serve;
mod stream;

pub use event::{Clock, EventSink, Fate, FrameEvent, LinkEvent, MonotonicClock, Side};
pub use relay::{Malformed, Relay};
#[cfg(feature = "turmoil")]
pub use serve::SimNetwork;
pub use serve::{Network, TcpNetwork, serve, serve_on};
pub use stream::LinkStream;

#[cfg(test)]
mod tests;
