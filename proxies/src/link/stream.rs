//! The streams a link relays: anything async, plus a way to end it with a reset.

use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream the link can relay and, when a rule says so, reset.
pub trait LinkStream: AsyncRead + AsyncWrite + Unpin + 'static {
    /// Closes the stream so that the peer sees a reset (RST) rather than a FIN where the
    /// transport allows it. The default just drops the stream.
    fn abort(self)
    where
        Self: Sized,
    {
    }
}

impl LinkStream for tokio::net::TcpStream {
    /// SO_LINGER 0 makes the kernel send an RST on close instead of a FIN.
    fn abort(self) {
        let _ = self.set_zero_linger();
    }
}

impl LinkStream for tokio::io::DuplexStream {}

/// turmoil sends an RST when a stream is dropped with unread data and a FIN otherwise; it has
/// no way to force one, so a reset in the simulation may reach the peer as a close.
#[cfg(feature = "turmoil")]
impl LinkStream for turmoil::net::TcpStream {}
