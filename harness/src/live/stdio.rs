//! `posfault terminal --stdio`: the reference terminal behind the adapter protocol, so a live
//! run with the built-in terminal exercises exactly the path an external terminal takes
//! (process, environment, JSON lines, power cuts by SIGKILL, state in a directory).
//!
//! Commands read from stdin feed a [`Schedule::fed`] schedule; the terminal's recorder is
//! tapped, so each outcome becomes an `outcome` line the moment it is reported and each other
//! thing the terminal does a `note` line. End of input is a shutdown: a terminal whose harness
//! died stops instead of lingering.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use posfault_proxies::link::MonotonicClock;
use tokio::io::AsyncBufReadExt;

use crate::host::{Pan, TxnType};
use crate::live::adapter::{
    self, AdapterCommand, AdapterOutcome, VERSION, entry_mode, note_line, ready_line,
};
use crate::live::env::AdapterEnv;
use crate::money::Amount;
use crate::terminal::{
    CardData, Command, Defect, FailReason, Outcome, ReferenceTerminal, ReversalState, SaleCommand,
    Schedule, ScheduleFeed, SettleCommand, Store, TcpDialer, Terminal, TerminalEvent, TerminalIo,
};
use crate::transcript::{EventKind, Recorder};

/// Why the stdio terminal could not run.
#[derive(Debug, thiserror::Error)]
pub enum StdioError {
    /// The environment is missing or wrong (the protocol says: exit 2 with a message).
    #[error("{0}")]
    Environment(String),
    /// The state directory or the runtime could not be set up.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

/// The name and version announced in the `ready` line.
pub fn terminal_name() -> String {
    format!("posfault-reference {}", env!("CARGO_PKG_VERSION"))
}

/// Writes one line to stdout at once. A harness that stopped reading is gone: stop too.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Runs the stdio terminal until shutdown or end of input. `defects` switch on the reference
/// terminal's known bugs (`--defect`), so a live run can prove the checks catch them too.
pub fn run_stdio(defects: &[Defect]) -> Result<(), StdioError> {
    let mut env =
        AdapterEnv::from_env(|k| std::env::var(k).ok()).map_err(StdioError::Environment)?;
    env.config.defects = defects.to_vec();
    let store = match &env.state_dir {
        Some(dir) => Store::open(dir).map_err(|source| StdioError::Io {
            what: format!("cannot open the state directory {}", dir.display()),
            source,
        })?,
        None => Store::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| StdioError::Io {
            what: "cannot start the async runtime".into(),
            source,
        })?;
    let tap = Arc::new(|kind: &EventKind| {
        let EventKind::Terminal(e) = kind else { return };
        match e {
            // The harness records the commands it sends itself.
            TerminalEvent::Command { .. } => {}
            TerminalEvent::Outcome(o) => {
                say(&serde_json::to_string(&AdapterOutcome::from_outcome(o)).unwrap_or_default())
            }
            _ => say(&note_line(&crate::timeline::line(kind))),
        }
    });
    let rec = Recorder::with_tap(Arc::new(MonotonicClock::start()), tap);
    rt.block_on(serve(env, store, rec));
    // The stdin reader is a blocking thread that may still be parked in read(); do not wait.
    rt.shutdown_background();
    Ok(())
}

async fn serve(env: AdapterEnv, store: Store, rec: Recorder) {
    let (schedule, feed) = Schedule::fed(rec.clone(), &env.config.id);
    let mut io = TerminalIo::new(
        env.config.clone(),
        env.wire,
        Box::new(TcpDialer { addr: env.host }),
        store,
        schedule,
        rec,
    );
    if let Some(addr) = env.backup {
        io = io.with_backup(Box::new(TcpDialer { addr }));
    }
    let mut terminal = ReferenceTerminal::new();
    let run = terminal.run(&io);
    tokio::pin!(run);
    say(&ready_line(&terminal_name()));
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut feed = Some(feed);
    loop {
        tokio::select! {
            biased;
            line = lines.next_line(), if feed.is_some() => match line {
                Ok(Some(l)) if l.trim().is_empty() => {}
                Ok(Some(l)) => {
                    if !take(&l, feed.as_ref()) {
                        feed = None;
                    }
                }
                Ok(None) | Err(_) => feed = None,
            },
            () = &mut run => return,
        }
        if feed.is_none() {
            // Shut down: whatever the terminal is doing ends here, promptly.
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut run).await;
            return;
        }
    }
}

/// Handles one stdin line; false on shutdown.
fn take(line: &str, feed: Option<&ScheduleFeed>) -> bool {
    let cmd: AdapterCommand = match serde_json::from_str(line) {
        Ok(c) => c,
        Err(e) => {
            say(&note_line(&format!(
                "ignored an unreadable command line ({e}); expected one JSON object per line"
            )));
            return true;
        }
    };
    if cmd.op == "shutdown" {
        return false;
    }
    match to_command(&cmd) {
        Ok(c) => {
            if let Some(f) = feed {
                let _ = f.send(c);
            }
        }
        Err(why) => {
            // An outcome is still owed: the harness waits for one per command.
            let id = cmd.id.clone().unwrap_or_default();
            say(&note_line(&format!("rejected command {id:?}: {why}")));
            let mut o = Outcome::failed(&id, "", FailReason::Connect, ReversalState::None);
            o.display = format!("rejected: {why}");
            say(&serde_json::to_string(&AdapterOutcome::from_outcome(&o)).unwrap_or_default());
        }
    }
    true
}

/// A protocol command as the reference terminal's command; what is wrong with it otherwise.
fn to_command(c: &AdapterCommand) -> Result<Command, String> {
    if c.v != VERSION {
        return Err(format!("version {} (this terminal speaks {VERSION})", c.v));
    }
    let id = c.id.clone().ok_or("no \"id\"")?;
    let kind: fn(SaleCommand) -> Command = match c.op.as_str() {
        "settle" => {
            return Ok(Command::Settle(SettleCommand {
                txn: id,
                at: Duration::ZERO,
            }));
        }
        "sale" => Command::Sale,
        "refund" => Command::Refund,
        "auth" => Command::Auth,
        other => {
            return Err(format!(
                "unknown op {other:?}; expected sale, auth, refund, settle or shutdown"
            ));
        }
    };
    let amount: Amount = c
        .amount
        .as_deref()
        .ok_or("no \"amount\"")?
        .parse()
        .map_err(|e| format!("amount: {e}"))?;
    let card = c.card.as_ref().ok_or("no \"card\"")?;
    let pan = Pan::new(&card.pan).map_err(|e| format!("card.pan: {e}"))?;
    let entry = entry_mode(&card.entry).ok_or_else(|| {
        format!(
            "card.entry {:?}; expected manual, swipe, chip, contactless or fallback",
            adapter::mask_pans(&card.entry)
        )
    })?;
    Ok(kind(SaleCommand {
        txn: id,
        at: Duration::ZERO,
        amount,
        pan,
        card: CardData {
            // The command says what it is; the processing code follows from it.
            txn: Some(TxnType::Purchase).filter(|_| c.op == "sale"),
            expiry: card.expiry.clone(),
            entry,
            pin: card.pin.clone(),
            // Protocol v1 carries no chip behaviour: the card completes what the host approves.
            declines_after_approval: false,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_line_becomes_a_sale_and_bad_lines_say_why() {
        let c: AdapterCommand = serde_json::from_str(
            r#"{"v":1,"id":"t1","op":"refund","amount":"12.34","currency":"156","card":{"pan":"4761739001010010","entry":"manual"}}"#,
        )
        .unwrap();
        let Ok(Command::Refund(s)) = to_command(&c) else {
            panic!("a refund")
        };
        assert_eq!(s.amount, Amount(1234));
        assert_eq!(s.card.entry, crate::host::EntryMode::Keyed);
        let mut auth = c.clone();
        auth.op = "auth".into();
        assert!(matches!(to_command(&auth), Ok(Command::Auth(_))));
        let mut bad = c.clone();
        bad.op = "void".into();
        assert!(to_command(&bad).unwrap_err().starts_with("unknown op"));
        bad.op = "sale".into();
        bad.amount = Some("12".into());
        assert!(to_command(&bad).unwrap_err().starts_with("amount"));
    }
}
