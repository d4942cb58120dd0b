//! How a terminal reaches its host: a dialer that yields byte streams. The simulation dials
//! turmoil streams; live mode dials tokio ones; the terminal cannot tell.

use std::future::Future;
use std::io;
use std::pin::Pin;

use posfault_proxies::fault::Route;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::terminal::event::TerminalEvent;
use crate::transcript::Recorder;

/// A connected byte stream.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin {}

impl<T: AsyncRead + AsyncWrite + Unpin> Duplex for T {}

/// A connection being opened.
pub type Dialing<'a> = Pin<Box<dyn Future<Output = io::Result<Box<dyn Duplex>>> + 'a>>;

/// Opens connections to one host address (through the proxy). Each call is one attempt;
/// redials and backoff are the terminal's business.
pub trait Dialer {
    /// Connects to the host.
    fn dial(&self) -> Dialing<'_>;
}

/// Dials a named node of the turmoil simulation, and records every attempt that fails (or is
/// abandoned, say by the terminal's connect timeout) in the transcript: a refused connect never
/// reaches the proxy, so without this the checks could not see redials.
pub struct SimDialer {
    /// Node name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Which of the terminal's host addresses this is.
    pub route: Route,
    /// The dialing terminal's id, for the record.
    pub terminal: String,
    /// Where failed attempts are recorded.
    pub recorder: Recorder,
}

impl Dialer for SimDialer {
    fn dial(&self) -> Dialing<'_> {
        Box::pin(async move {
            let mut attempt = Attempt {
                dialer: self,
                error: Some("abandoned before it connected".into()),
            };
            match turmoil::net::TcpStream::connect((self.host.as_str(), self.port)).await {
                Ok(s) => {
                    attempt.error = None;
                    Ok(Box::new(s) as Box<dyn Duplex>)
                }
                Err(e) => {
                    // turmoil's message is only the address; the kind says what happened.
                    attempt.error = Some(format!("{} ({e})", e.kind()));
                    Err(e)
                }
            }
        })
    }
}

/// Records a failed or abandoned dial when dropped: the terminal may drop the dial future (on
/// its connect timeout) before it finishes.
struct Attempt<'a> {
    dialer: &'a SimDialer,
    error: Option<String>,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        // Outside a running node (a power cut tearing the node down) there is no current time
        // to record it at, and the power-off event already tells the story.
        if turmoil::sim_elapsed().is_none() {
            return;
        }
        if let Some(error) = self.error.take() {
            self.dialer.recorder.record(TerminalEvent::DialFailed {
                terminal: self.dialer.terminal.clone(),
                route: self.dialer.route,
                error,
            });
        }
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
