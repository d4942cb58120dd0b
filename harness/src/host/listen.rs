//! Listeners that follow the host's `refuse` maintenance windows: closed while one is in force
//! (connecting fails, as it does when a bank's host is down), open again when it ends. In the
//! simulation the proxy in front of the host uses one too, so the terminal sees the refusal
//! the way it would without a proxy.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use posfault_proxies::link::{Clock, Network, SimNetwork, TcpNetwork};

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

/// A listener on any [`Network`] (turmoil or real TCP), closed during refuse windows. The same
/// network abstraction the fault proxy uses, so both follow one set of bind/accept rules.
pub struct Gate<N: Network> {
    net: N,
    host: Arc<Mutex<Host>>,
    clock: Arc<dyn Clock>,
    listener: Option<N::Listener>,
}

/// A gate on a turmoil port.
pub type SimGate = Gate<SimNetwork>;

/// A gate on a real TCP address.
pub type LiveGate = Gate<TcpNetwork>;

impl SimGate {
    /// A gate for `port` of the current simulated node; it binds on the first accept.
    pub fn sim(port: u16, host: Arc<Mutex<Host>>, clock: Arc<dyn Clock>) -> Self {
        // A host never connects upstream; the network's upstream is unused.
        let net = SimNetwork {
            port,
            upstream: String::new(),
            upstream_port: 0,
            route: posfault_proxies::fault::Route::Primary,
        };
        Gate::on(net, host, clock)
    }
}

impl LiveGate {
    /// A gate that starts with an already bound listener (so its address is known).
    pub fn new(
        listener: tokio::net::TcpListener,
        host: Arc<Mutex<Host>>,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Self> {
        let net = TcpNetwork::with_listener(listener.into_std()?, String::new())?;
        Ok(Gate::on(net, host, clock))
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.net.listen
    }
}

impl<N: Network> Gate<N> {
    fn on(net: N, host: Arc<Mutex<Host>>, clock: Arc<dyn Clock>) -> Self {
        Gate {
            net,
            host,
            clock,
            listener: None,
        }
    }

    /// The next connection accepted outside refuse windows.
    pub async fn accept(&mut self) -> io::Result<N::Stream> {
        loop {
            let now = self.clock.now();
            match plan(&self.host, now) {
                Plan::ClosedUntil(until) => {
                    self.listener = None;
                    tokio::time::sleep(until - now).await;
                }
                Plan::Open(next) => {
                    if self.listener.is_none() {
                        self.listener = Some(self.net.bind().await?);
                    }
                    let l = self.listener.as_ref().expect("bound above");
                    match next {
                        None => return self.net.accept(l).await,
                        Some(at) => {
                            if let Ok(r) = tokio::time::timeout(at - now, self.net.accept(l)).await
                            {
                                return r;
                            }
                        }
                    }
                }
            }
        }
    }
}
