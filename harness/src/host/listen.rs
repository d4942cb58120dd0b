//! Listeners that follow the host's `refuse` maintenance windows: closed while one is in force
//! (connecting fails, as it does when a bank's host is down), open again when it ends. In the
//! simulation the proxy in front of the host uses one too, so the terminal sees the refusal
//! the way it would without a proxy.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use posfault_proxies::link::Clock;

use crate::host::logic::Host;

/// What a listener should do now.
enum Plan {
    /// Stay closed until this run time.
    ClosedUntil(Duration),
    /// Be open, until this run time if a refusal is coming.
    Open(Option<Duration>),
}

fn plan(host: &Mutex<Host>, now: Duration) -> Plan {
    let h = host.lock().unwrap_or_else(|p| p.into_inner());
    match h.refusing_until(now) {
        Some(until) => Plan::ClosedUntil(until),
        None => Plan::Open(h.next_refusal(now)),
    }
}

/// A turmoil listener on a port, closed during refuse windows.
pub struct SimGate {
    port: u16,
    host: Arc<Mutex<Host>>,
    clock: Arc<dyn Clock>,
    listener: Option<turmoil::net::TcpListener>,
}

impl SimGate {
    /// A gate for `port`; it binds on the first accept.
    pub fn new(port: u16, host: Arc<Mutex<Host>>, clock: Arc<dyn Clock>) -> Self {
        SimGate {
            port,
            host,
            clock,
            listener: None,
        }
    }

    /// The next connection accepted outside refuse windows.
    pub async fn accept(&mut self) -> io::Result<turmoil::net::TcpStream> {
        loop {
            let now = self.clock.now();
            match plan(&self.host, now) {
                Plan::ClosedUntil(until) => {
                    self.listener = None;
                    tokio::time::sleep(until - now).await;
                }
                Plan::Open(next) => {
                    if self.listener.is_none() {
                        self.listener =
                            Some(turmoil::net::TcpListener::bind(("0.0.0.0", self.port)).await?);
                    }
                    let l = self.listener.as_ref().expect("bound above");
                    match next {
                        None => return l.accept().await.map(|(s, _)| s),
                        Some(at) => {
                            if let Ok(r) = tokio::time::timeout(at - now, l.accept()).await {
                                return r.map(|(s, _)| s);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A tokio listener on an address, closed during refuse windows.
pub struct LiveGate {
    addr: SocketAddr,
    host: Arc<Mutex<Host>>,
    clock: Arc<dyn Clock>,
    listener: Option<tokio::net::TcpListener>,
}

impl LiveGate {
    /// A gate that starts with an already bound listener (so its address is known).
    pub fn new(
        listener: tokio::net::TcpListener,
        host: Arc<Mutex<Host>>,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Self> {
        Ok(LiveGate {
            addr: listener.local_addr()?,
            host,
            clock,
            listener: Some(listener),
        })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next connection accepted outside refuse windows.
    pub async fn accept(&mut self) -> io::Result<tokio::net::TcpStream> {
        loop {
            let now = self.clock.now();
            match plan(&self.host, now) {
                Plan::ClosedUntil(until) => {
                    self.listener = None;
                    tokio::time::sleep(until - now).await;
                }
                Plan::Open(next) => {
                    if self.listener.is_none() {
                        self.listener = Some(tokio::net::TcpListener::bind(self.addr).await?);
                    }
                    let l = self.listener.as_ref().expect("bound above");
                    match next {
                        None => return l.accept().await.map(|(s, _)| s),
                        Some(at) => {
                            if let Ok(r) = tokio::time::timeout(at - now, l.accept()).await {
                                return r.map(|(s, _)| s);
                            }
                        }
                    }
                }
            }
        }
    }
}
