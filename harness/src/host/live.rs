//! The host over real TCP (`posfault host`): accepts connections until told to stop, appends
//! every journal entry to a JSON-lines file and flushes it at once, so an acknowledged entry
//! survives a kill.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use posfault_proxies::link::Clock;
use tokio::task::JoinSet;

use crate::host::journal::JournalEntry;
use crate::host::listen::LiveGate;
use crate::host::logic::Host;
use crate::host::server::{OnEntry, serve_connection};
use crate::wire::Wire;

/// An append-only JSON-lines journal file, flushed after every entry.
pub struct JournalFile(Mutex<File>);

impl JournalFile {
    /// Creates (or truncates) the file.
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(JournalFile(Mutex::new(File::create(path)?)))
    }

    /// Appends one entry and flushes it to the operating system.
    pub fn append(&self, e: &JournalEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(e).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut f = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(&line)?;
        f.flush()
    }
}

/// Serves `gate`'s connections until `shutdown` completes; then stops accepting and drops the
/// open connections. `clock` gives run time (for maintenance windows and the journal).
pub async fn serve_live(
    mut gate: LiveGate,
    host: Arc<Mutex<Host>>,
    clock: Arc<dyn Clock>,
    wire: Wire,
    on_entry: OnEntry,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = gate.accept() => {
                let stream = accepted?;
                conns.spawn(serve_connection(
                    stream,
                    host.clone(),
                    clock.clone(),
                    wire,
                    on_entry.clone(),
                ));
            }
            // Reap finished connections so the set does not grow without bound.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
    Ok(())
}
