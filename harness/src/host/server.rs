//! Serving the reference host over a stream: one request, one journal entry, then the answer
//! after the processing delay (or a close). The same loop serves turmoil streams in the
//! simulation and tokio streams live.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::link::Clock;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;

use crate::host::journal::JournalEntry;
use crate::host::listen;
use crate::host::logic::Host;
use crate::transcript::{At, HostEvent, Recorder};
use crate::wire::Wire;

/// Called with every journal entry as it is appended.
pub type OnEntry = Arc<dyn Fn(&JournalEntry) + Send + Sync>;

/// Accepts connections on `port` inside a turmoil node and serves each until it closes. The
/// listener is closed during `refuse` maintenance windows.
pub async fn serve_sim(
    host: Arc<Mutex<Host>>,
    rec: Recorder,
    wire: Wire,
    port: u16,
) -> turmoil::Result {
    let clock = rec.clock();
    let on_entry: OnEntry = Arc::new(move |e: &JournalEntry| {
        rec.record(HostEvent::Journal {
            entry: Box::new(e.clone()),
        })
    });
    let mut gate = listen::SimGate::sim(port, host.clone(), clock.clone());
    loop {
        let stream = gate.accept().await?;
        tokio::task::spawn_local(serve_connection(
            stream,
            host.clone(),
            clock.clone(),
            wire,
            on_entry.clone(),
        ));
    }
}

/// Gives a request's capacity slot back when its answer is sent, or when the task serving it
/// is dropped (a host crash in the simulation, a shutdown live).
struct Slot(Arc<Mutex<Host>>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).finished();
    }
}

/// Serves one connection until the peer closes it, it sends something unframeable, or the host
/// decides to close it.
pub async fn serve_connection<S>(
    stream: S,
    host: Arc<Mutex<Host>>,
    clock: Arc<dyn Clock>,
    wire: Wire,
    on_entry: OnEntry,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut framed = Framed::new(stream, wire.codec());
    while let Some(Ok(frame)) = framed.next().await {
        let at = At::from_duration(clock.now());
        let processed = {
            let mut h = host.lock().unwrap_or_else(|p| p.into_inner());
            match wire.decode(&frame) {
                Ok(req) => Some(h.process(&req, at)),
                Err(_) => {
                    on_entry(&h.unreadable(at));
                    None
                }
            }
        };
        let Some(p) = processed else { continue };
        let _slot = Slot(host.clone());
        on_entry(&p.entry);
        if !p.delay.is_zero() {
            tokio::time::sleep(p.delay).await;
        }
        if p.close {
            break;
        }
        let Some(rsp) = p.reply else { continue };
        let Ok(bytes) = wire.encode(&rsp) else {
            continue;
        };
        if framed.send(bytes).await.is_err() {
            break;
        }
    }
}
