//! How a terminal reaches its host: a dialer that yields byte streams. The simulation dials
//! turmoil streams; live mode dials tokio ones; the terminal cannot tell.

use std::future::Future;
use std::io;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// A connected byte stream.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin {}

impl<T: AsyncRead + AsyncWrite + Unpin> Duplex for T {}

/// A connection being opened.
pub type Dialing<'a> = Pin<Box<dyn Future<Output = io::Result<Box<dyn Duplex>>> + 'a>>;

/// Opens connections to the host (through the proxy).
pub trait Dialer {
    /// Connects to the host.
    fn dial(&self) -> Dialing<'_>;
}

/// Dials a named node of the turmoil simulation.
pub struct SimDialer {
    /// Node name.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Dialer for SimDialer {
    fn dial(&self) -> Dialing<'_> {
        Box::pin(async move {
            let s = turmoil::net::TcpStream::connect((self.host.as_str(), self.port)).await?;
            Ok(Box::new(s) as Box<dyn Duplex>)
        })
    }
}

/// Dials a real TCP address (`posfault terminal`, live runs). Nagle is off: ISO 8583 frames are
/// small and a terminal waits for each reply, so batching would only add latency.
pub struct TcpDialer {
    /// The host (or the fault proxy in front of it), as `HOST:PORT`.
    pub addr: String,
}

impl Dialer for TcpDialer {
    fn dial(&self) -> Dialing<'_> {
        Box::pin(async move {
            let s = tokio::net::TcpStream::connect(self.addr.as_str()).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s) as Box<dyn Duplex>)
        })
    }
}
