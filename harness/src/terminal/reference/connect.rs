//! Reaching the host: the host that last worked first, each host dialed up to
//! `1 + connect_retries` times with a doubling pause between redials, then the other host.
//! Which host worked is kept in the store, so a terminal that failed over keeps using the
//! backup after a power cycle too (field terminals keep it in their parameter file).

use super::link::*;
use super::*;

use crate::terminal::net::Dialer;

/// Where the reference terminal remembers which host last answered.
const WORKING_HOST_KEY: &str = "reference/working_host";

impl ReferenceTerminal {
    pub(super) async fn open(&self, io: &TerminalIo, stan: &str) -> Result<Conn, Failure> {
        let cfg = &io.config;
        let backup = io
            .backup
            .as_deref()
            .filter(|_| !cfg.has(Defect::NoBackupHost));
        let start_on_backup = backup.is_some()
            && io.store.get(WORKING_HOST_KEY).as_deref() == Some(b"backup".as_slice());
        let mut order: Vec<(&dyn Dialer, &'static str)> = vec![(io.dialer.as_ref(), "primary")];
        if let Some(b) = backup {
            order.push((b, "backup"));
        }
        if start_on_backup {
            order.reverse();
        }
        let mut last = String::new();
        for (dialer, name) in order {
            for attempt in 0..=cfg.connect_retries {
                if attempt > 0 && !cfg.has(Defect::NoConnectBackoff) {
                    tokio::time::sleep(cfg.connect_backoff_before(attempt)).await;
                }
                match dial_once(io, dialer).await {
                    Ok(s) => {
                        if backup.is_some() {
                            io.store.put(WORKING_HOST_KEY, name);
                        }
                        return Ok(Framed::new(s, io.wire.codec()));
                    }
                    Err(e) => last = format!("{name} host: {e}"),
                }
            }
        }
        Err(connect_failed(io, stan, last))
    }
}

async fn dial_once(io: &TerminalIo, dialer: &dyn Dialer) -> Result<Box<dyn Duplex>, String> {
    let limit = io.config.connect_timeout;
    match timeout(limit.get(), dialer.dial()).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("{} ({e})", e.kind())),
        Err(_) => Err(format!("no connection within {limit}")),
    }
}
