//! The seam between a terminal and the harness. The reference terminal implements [`Terminal`]
//! through this same API, with no private shortcut, so a terminal written by a user (in its own
//! crate) is tested exactly as the reference one is.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::host::Pan;
use crate::money::Amount;
use crate::terminal::config::TerminalConfig;
use crate::terminal::event::{Outcome, TerminalEvent};
use crate::terminal::messages::CardData;
use crate::terminal::net::Dialer;
use crate::terminal::store::Store;
use crate::transcript::Recorder;
use crate::wire::Wire;

/// A sale the terminal is asked to make.
#[derive(Debug, Clone)]
pub struct SaleCommand {
    /// Transaction id, reported back in the outcome.
    pub txn: String,
    /// When it is due, from the run's start.
    pub at: Duration,
    /// Amount.
    pub amount: Amount,
    /// The card presented.
    pub pan: Pan,
    /// Expiry, entry mode and PIN as read at the terminal.
    pub card: CardData,
}

/// A settlement the terminal is asked to make.
#[derive(Debug, Clone)]
pub struct SettleCommand {
    /// Id reported back in the outcome.
    pub txn: String,
    /// When it is due, from the run's start.
    pub at: Duration,
}

/// What a terminal is asked to do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Command {
    /// A purchase.
    Sale(SaleCommand),
    /// Close the batch.
    Settle(SettleCommand),
}

impl Command {
    /// When the command is due.
    pub fn at(&self) -> Duration {
        match self {
            Command::Sale(s) => s.at,
            Command::Settle(s) => s.at,
        }
    }

    /// The id the outcome is reported under.
    pub fn txn(&self) -> &str {
        match self {
            Command::Sale(s) => &s.txn,
            Command::Settle(s) => &s.txn,
        }
    }

    /// The operation's name, as transcripts write it.
    pub fn op(&self) -> &'static str {
        match self {
            Command::Sale(_) => "sale",
            Command::Settle(_) => "settle",
        }
    }
}

/// The terminal's queue of commands. It lives outside the terminal, like the merchant at the
/// counter: a command taken before a power cut is gone; the rest wait for the terminal to boot.
#[derive(Clone)]
pub struct Schedule {
    queue: Arc<Mutex<VecDeque<Command>>>,
    /// Commands still to come, for a schedule fed while it runs ([`Schedule::fed`]).
    incoming: Option<Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Command>>>>,
    recorder: Recorder,
    terminal: String,
}

/// Feeds a [`Schedule::fed`] schedule. Dropping it ends the schedule once what was sent is
/// handed out.
pub type ScheduleFeed = tokio::sync::mpsc::UnboundedSender<Command>;

impl Schedule {
    /// A schedule of commands in order for the terminal with id `terminal`, timed and
    /// recorded by `recorder`.
    pub fn new(commands: Vec<Command>, recorder: Recorder, terminal: &str) -> Self {
        Schedule {
            queue: Arc::new(Mutex::new(commands.into())),
            incoming: None,
            recorder,
            terminal: terminal.to_string(),
        }
    }

    /// A schedule whose commands arrive while it runs, for a terminal driven from outside
    /// (`posfault terminal --stdio` takes them from its stdin): commands sent on the returned
    /// feed are handed out in order, each once due; `next` waits for the next one and returns
    /// `None` once the feed is dropped and everything sent was handed out.
    pub fn fed(recorder: Recorder, terminal: &str) -> (Self, ScheduleFeed) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let schedule = Schedule {
            queue: Arc::default(),
            incoming: Some(Arc::new(tokio::sync::Mutex::new(rx))),
            recorder,
            terminal: terminal.to_string(),
        };
        (schedule, tx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Command>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next command, once it is due; `None` when the schedule is done. Handing it out is
    /// recorded in the transcript.
    pub async fn next(&self) -> Option<Command> {
        if let Some(incoming) = &self.incoming
            && self.lock().is_empty()
        {
            let cmd = incoming.lock().await.recv().await?;
            self.lock().push_back(cmd);
        }
        let due = self.lock().front()?.at();
        let now = self.recorder.clock().now();
        if due > now {
            tokio::time::sleep(due - now).await;
        }
        let cmd = self.lock().pop_front()?;
        self.recorder.record(match &cmd {
            Command::Sale(s) => TerminalEvent::Command {
                terminal: self.terminal.clone(),
                txn: s.txn.clone(),
                op: "sale".into(),
                amount: s.amount,
                card: s.pan.masked(),
            },
            Command::Settle(s) => TerminalEvent::Command {
                terminal: self.terminal.clone(),
                txn: s.txn.clone(),
                op: "settle".into(),
                amount: Amount(0),
                card: String::new(),
            },
        });
        Some(cmd)
    }

    /// When the next command is due, if one is waiting: a terminal can use the time until then
    /// (an echo test on an idle link, say).
    pub fn next_due(&self) -> Option<Duration> {
        self.lock().front().map(Command::at)
    }

    /// Commands not yet handed out.
    pub fn remaining(&self) -> usize {
        self.lock().len()
    }
}

/// Everything a terminal gets from the harness for one boot.
pub struct TerminalIo {
    /// Identity and policy from the scenario.
    pub config: TerminalConfig,
    /// Dialect and framing.
    pub wire: Wire,
    /// Connects to the host (through the fault proxy).
    pub dialer: Box<dyn Dialer>,
    /// Connects to the backup host, when the terminal has one.
    pub backup: Option<Box<dyn Dialer>>,
    /// Memory that survives power cycles.
    pub store: Store,
    /// What to do, and when.
    pub schedule: Schedule,
    recorder: Recorder,
}

impl TerminalIo {
    /// Bundles a boot's inputs.
    pub fn new(
        config: TerminalConfig,
        wire: Wire,
        dialer: Box<dyn Dialer>,
        store: Store,
        schedule: Schedule,
        recorder: Recorder,
    ) -> Self {
        TerminalIo {
            config,
            wire,
            dialer,
            backup: None,
            store,
            schedule,
            recorder,
        }
    }

    /// Gives the terminal a backup host to fall back on.
    pub fn with_backup(mut self, backup: Box<dyn Dialer>) -> Self {
        self.backup = Some(backup);
        self
    }

    /// Reports a transaction's outcome: what the terminal tells the merchant. The checks compare
    /// it with the host's journal.
    pub fn report(&self, outcome: Outcome) {
        self.recorder.record(TerminalEvent::Outcome(outcome));
    }

    /// Records something the terminal did (timeouts, reversals...) in the transcript.
    pub fn note(&self, event: TerminalEvent) {
        self.recorder.record(event);
    }

    /// Time since the run started.
    pub fn now(&self) -> Duration {
        self.recorder.clock().now()
    }
}

/// A terminal under test.
///
/// `run` is called once per boot: at the start of the run and again after each simulated power
/// cycle, on a fresh value (volatile memory is lost) with the same [`Store`]. It should take
/// commands from `io.schedule` until it returns `None`, and report one outcome per command.
pub trait Terminal {
    /// Runs the terminal until its schedule is done.
    fn run<'a>(&'a mut self, io: &'a TerminalIo) -> Pin<Box<dyn Future<Output = ()> + 'a>>;
}
