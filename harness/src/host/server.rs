//! Serving the reference host over a stream: one request, one journal entry, one response.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;

use crate::host::logic::Host;
use crate::transcript::{At, HostEvent, Recorder};
use crate::wire::Wire;

/// Accepts connections on `port` inside a turmoil node and serves each until it closes.
pub async fn serve_sim(
    host: Arc<Mutex<Host>>,
    rec: Recorder,
    wire: Wire,
    port: u16,
) -> turmoil::Result {
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(serve_connection(stream, host.clone(), rec.clone(), wire));
    }
}

/// Serves one connection until the peer closes it or sends something unframeable.
pub async fn serve_connection<S>(stream: S, host: Arc<Mutex<Host>>, rec: Recorder, wire: Wire)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut framed = Framed::new(stream, wire.codec());
    while let Some(Ok(frame)) = framed.next().await {
        let at = At::from_duration(rec.clock().now());
        let response = {
            let mut host = host.lock().unwrap_or_else(|p| p.into_inner());
            match wire.decode(&frame) {
                Ok(req) => {
                    let (rsp, entry) = host.handle(&req, at);
                    rec.record(HostEvent::Journal {
                        entry: entry.clone(),
                    });
                    rsp
                }
                Err(_) => {
                    let entry = host.unreadable(at).clone();
                    rec.record(HostEvent::Journal { entry });
                    None
                }
            }
        };
        let Some(rsp) = response else { continue };
        let Ok(bytes) = wire.encode(&rsp) else {
            continue;
        };
        if framed.send(bytes).await.is_err() {
            break;
        }
    }
}
