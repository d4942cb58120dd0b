//! The proxy's accept loop, the same for turmoil and tokio: it closes the listener during
//! refusal windows, numbers connections, applies connection-level faults, reaches the host and
//! relays. Connections run as local tasks, so it must run inside a `LocalSet` (turmoil hosts
//! are one).

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::dur::Dur;
use crate::fault::{ConnEffect, Refusal, Route};
use crate::link::event::LinkEvent;
use crate::link::relay::Relay;
use crate::link::stream::LinkStream;

/// How the proxy listens and reaches the host on one kind of network.
pub trait Network: 'static {
    /// A connected stream.
    type Stream: LinkStream;
    /// A listening socket; dropping it closes it.
    type Listener;
    /// Opens the listening socket.
    fn bind(&self) -> impl Future<Output = io::Result<Self::Listener>>;
    /// Waits for the next connection.
    fn accept(&self, listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Connects to the host.
    fn connect(&self) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Which of the terminal's routes this listener stands for.
    fn route(&self) -> Route {
        Route::Primary
    }
}

/// Binds, then accepts and relays connections until binding or accepting fails.
pub async fn serve<N: Network>(net: Rc<N>, relay: Arc<Relay>) -> io::Result<()> {
    let listener = net.bind().await?;
    serve_on(net, relay, listener).await
}

/// Accepts and relays connections on a listener bound by the caller (who can then say it is
/// ready), until rebinding or accepting fails.
pub async fn serve_on<N: Network>(
    net: Rc<N>,
    relay: Arc<Relay>,
    listener: N::Listener,
) -> io::Result<()> {
    let route = net.route();
    let refusals = relay
        .engine
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .refusals_on(Some(route));
    let mut listener = Some(listener);
    let mut closed_by: Option<String> = None;
    loop {
        let now = relay.clock.now();
        if let Some(r) = refusals.iter().find(|r| r.from <= now && now < r.until) {
            if listener.take().is_some() {
                relay.sink.emit(LinkEvent::Refusing {
                    rule: r.rule.clone(),
                    until: Dur(r.until).to_string(),
                });
                closed_by = Some(r.rule.clone());
            }
            tokio::time::sleep(r.until - now).await;
            continue;
        }
        if listener.is_none() {
            listener = Some(net.bind().await?);
            if let Some(rule) = closed_by.take() {
                relay.sink.emit(LinkEvent::Listening { rule });
            }
        }
        let Some(open) = listener.as_ref() else {
            continue;
        };
        let stream = match next_start(&refusals, now) {
            Some(wait) => tokio::select! {
                biased;
                s = net.accept(open) => s?,
                _ = tokio::time::sleep(wait) => continue,
            },
            None => net.accept(open).await?,
        };
        let conn = relay
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .open_conn(route);
        tokio::task::spawn_local(handle(net.clone(), relay.clone(), conn, stream));
    }
}

/// Time until the next refusal window opens, if one is still ahead.
fn next_start(refusals: &[Refusal], now: Duration) -> Option<Duration> {
    refusals
        .iter()
        .filter(|r| r.from > now)
        .map(|r| r.from - now)
        .min()
}

/// One accepted connection: connection-level faults, then the relay.
async fn handle<N: Network>(net: Rc<N>, relay: Arc<Relay>, conn: u32, terminal: N::Stream) {
    let fired = relay
        .engine
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .on_accept(conn, relay.clock.now());
    if let Some(f) = fired {
        let what = match f.effect {
            ConnEffect::Close => "closed at once".to_string(),
            ConnEffect::Ignore => "accepted, never answered".to_string(),
            ConnEffect::Delay(d) => format!("held for {}", Dur(d)),
        };
        relay.sink.emit(LinkEvent::ConnFault {
            conn,
            rule: f.rule.clone(),
            what,
        });
        match f.effect {
            ConnEffect::Close => return relay.close_at_once(conn, terminal).await,
            ConnEffect::Ignore => return relay.swallow(conn, terminal, &f.rule).await,
            ConnEffect::Delay(d) => tokio::time::sleep(d).await,
        }
    }
    match net.connect().await {
        Ok(host) => relay.run(conn, terminal, host).await,
        Err(e) => relay.sink.emit(LinkEvent::UpstreamFailed {
            conn,
            error: e.to_string(),
        }),
    }
}

/// Real TCP: listen on one address, connect to another.
#[derive(Debug)]
pub struct TcpNetwork {
    /// Where to listen.
    pub listen: std::net::SocketAddr,
    /// The host, as `HOST:PORT`.
    pub upstream: String,
    /// The route this listener stands for (primary unless [`TcpNetwork::on_route`] says).
    route: Route,
    /// A listener bound before serving started, used by the first `bind`: whoever learns the
    /// address can connect at once, with no window in which the port is closed or taken.
    prebound: std::sync::Mutex<Option<std::net::TcpListener>>,
}

impl TcpNetwork {
    /// Binds `listen` now (port 0 picks a free port) and relays to `upstream`.
    pub fn bind_now(listen: std::net::SocketAddr, upstream: impl Into<String>) -> io::Result<Self> {
        Self::with_listener(std::net::TcpListener::bind(listen)?, upstream)
    }

    /// Serves on an already bound listener (its address is known to the caller) and relays to
    /// `upstream`; later binds, after a refusal window, reuse its address.
    pub fn with_listener(
        listener: std::net::TcpListener,
        upstream: impl Into<String>,
    ) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(TcpNetwork {
            listen: listener.local_addr()?,
            upstream: upstream.into(),
            route: Route::Primary,
            prebound: std::sync::Mutex::new(Some(listener)),
        })
    }
}

impl TcpNetwork {
    /// Serves the terminal's `route` to the host (the backup address, say), so rules aimed at a
    /// route apply here.
    pub fn on_route(mut self, route: Route) -> Self {
        self.route = route;
        self
    }
}

impl Network for TcpNetwork {
    type Stream = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    async fn bind(&self) -> io::Result<Self::Listener> {
        let first = self
            .prebound
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match first {
            Some(l) => tokio::net::TcpListener::from_std(l),
            None => tokio::net::TcpListener::bind(self.listen).await,
        }
    }

    async fn accept(&self, listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (s, _) = listener.accept().await?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    async fn connect(&self) -> io::Result<Self::Stream> {
        let s = tokio::net::TcpStream::connect(&self.upstream).await?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    fn route(&self) -> Route {
        self.route
    }
}

/// The turmoil simulation: listen on a port of the current node, connect to a named node.
#[cfg(feature = "turmoil")]
#[derive(Debug, Clone)]
pub struct SimNetwork {
    /// Port to listen on.
    pub port: u16,
    /// The host node's name.
    pub upstream: String,
    /// The host node's port.
    pub upstream_port: u16,
    /// The terminal's route this listener stands for.
    pub route: Route,
}

#[cfg(feature = "turmoil")]
impl Network for SimNetwork {
    type Stream = turmoil::net::TcpStream;
    type Listener = turmoil::net::TcpListener;

    async fn bind(&self) -> io::Result<Self::Listener> {
        turmoil::net::TcpListener::bind(("0.0.0.0", self.port)).await
    }

    async fn accept(&self, listener: &Self::Listener) -> io::Result<Self::Stream> {
        Ok(listener.accept().await?.0)
    }

    async fn connect(&self) -> io::Result<Self::Stream> {
        turmoil::net::TcpStream::connect((self.upstream.as_str(), self.upstream_port)).await
    }

    fn route(&self) -> Route {
        self.route
    }
}
