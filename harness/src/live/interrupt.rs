//! Ctrl-C during a live run. A simulation can simply die; a live run has terminal processes
//! and sockets to stop first. [`install`] turns SIGINT into a flag that every live run watches:
//! each one tears down (shutdown, kill, close) and reports the interruption, and `posfault run`
//! then exits non-zero.

use std::sync::OnceLock;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

static FLAG: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// SIGINT, caught from the moment this returns. tokio's `ctrl_c()` registers its handler only
/// when first polled, so a Ctrl-C landing between "listening on ..." and that poll would kill
/// the process by the default action: no flushed transcript, no clean exit. Call inside a
/// runtime; the returned stream belongs to it.
pub fn catch() -> std::io::Result<Signal> {
    signal(SignalKind::interrupt())
}

/// Starts watching for Ctrl-C (once per process; later calls do nothing). From the moment it
/// returns, SIGINT no longer kills `posfault` at once: it sets the flag.
pub fn install() {
    let mut first = false;
    let tx = FLAG.get_or_init(|| {
        first = true;
        watch::channel(false).0
    });
    if !first {
        return;
    }
    let tx = tx.clone();
    // The thread registers the handler and says so before `install` returns; when anything
    // fails, nothing was registered and SIGINT still kills at once.
    let (ready_tx, ready) = std::sync::mpsc::channel::<std::io::Result<()>>();
    let started = std::thread::Builder::new()
        .name("posfault-ctrl-c".into())
        .spawn(move || {
            let caught = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|rt| {
                    let sigint = {
                        let _in_rt = rt.enter();
                        catch()?
                    };
                    Ok((rt, sigint))
                });
            let (rt, mut sigint) = match caught {
                Ok(c) => c,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            rt.block_on(async {
                if sigint.recv().await.is_some() {
                    let _ = tx.send(true);
                    eprintln!("interrupted: stopping terminals and listeners");
                }
            });
        });
    let watching = started.and_then(|_| {
        ready
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the Ctrl-C watcher stopped")))
    });
    if let Err(e) = watching {
        eprintln!("warning: cannot watch for Ctrl-C: {e}");
    }
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    FLAG.get().is_some_and(|tx| *tx.borrow())
}

/// Completes when Ctrl-C is pressed; never, when [`install`] was not called.
pub async fn wait() {
    match FLAG.get() {
        Some(tx) => {
            let mut rx = tx.subscribe();
            let _ = rx.wait_for(|v| *v).await;
        }
        None => std::future::pending().await,
    }
}
