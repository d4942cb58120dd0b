//! The seam between a terminal and the harness. The reference terminal implements [`Terminal`]
//! through this same API, with no private shortcut, so a terminal written by a user (in its own
//! crate) is tested exactly as the reference one is.

use std::collections::{BTreeMap, VecDeque};
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

/// A card transaction the terminal is asked to make: a sale, and with the same fields an
/// authorisation ([`Command::Auth`]) or a refund ([`Command::Refund`]).
#[derive(Debug, Clone)]
pub struct SaleCommand {
    /// Transaction id, reported back in the outcome.
    pub txn: String,
    /// When it is due, from the run's start. For a command scheduled after another
    /// transaction ([`Scheduled::after`]), the time it became due, set when it is handed out.
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
    /// When it is due, from the run's start (see [`SaleCommand::at`]).
    pub at: Duration,
}

/// What a terminal is asked to do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Command {
    /// A purchase or cash advance (0200).
    Sale(SaleCommand),
    /// A pre-authorisation (0100 -> 0110): it holds funds, so an unknown outcome is reversed
    /// like a sale's, but it is not a sale and stays out of the settlement batch.
    Auth(SaleCommand),
    /// A refund (0200 with processing code 20): a credit to the cardholder, reversed like a
    /// sale when its outcome is unknown, and settled as a credit (fields 74 and 86).
    Refund(SaleCommand),
    /// Close the batch.
    Settle(SettleCommand),
}

impl Command {
    /// When the command is due.
    pub fn at(&self) -> Duration {
        match self {
            Command::Sale(s) | Command::Auth(s) | Command::Refund(s) => s.at,
            Command::Settle(s) => s.at,
        }
    }

    fn set_at(&mut self, at: Duration) {
        match self {
            Command::Sale(s) | Command::Auth(s) | Command::Refund(s) => s.at = at,
            Command::Settle(s) => s.at = at,
        }
    }

    /// The id the outcome is reported under.
    pub fn txn(&self) -> &str {
        match self {
            Command::Sale(s) | Command::Auth(s) | Command::Refund(s) => &s.txn,
            Command::Settle(s) => &s.txn,
        }
    }

    /// The operation's name, as transcripts write it.
    pub fn op(&self) -> &'static str {
        match self {
            Command::Sale(_) => "sale",
            Command::Auth(_) => "auth",
            Command::Refund(_) => "refund",
            Command::Settle(_) => "settle",
        }
    }
}

/// A command in a [`Schedule`], and what it waits for besides its time.
#[derive(Debug, Clone)]
pub struct Scheduled {
    /// The command; its `at` is ignored while `after` is set.
    pub command: Command,
    /// Due `wait` after the outcome of an earlier transaction, instead of at a time.
    pub after: Option<After>,
}

/// "`wait` after the outcome of transaction `txn` was reported."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    /// The earlier transaction's id, as its outcome reports it.
    pub txn: String,
    /// How long after the outcome.
    pub wait: Duration,
}

/// What a schedule hands out next.
enum Next {
    Done,
    /// The front command, due at this time.
    Due(Duration),
    /// The front command waits for an outcome that was never reported.
    Orphan(String),
}

/// The terminal's queue of commands. It lives outside the terminal, like the merchant at the
/// counter: a command taken before a power cut is gone; the rest wait for the terminal to boot.
///
/// It also remembers when each outcome was reported (through [`TerminalIo::report`]), which is
/// what makes a command scheduled `after` another one due. The queue is handed out in order, so
/// by the time a terminal asks for such a command it has finished the one it follows: if that
/// one has no outcome by then (a power cut took it, or the terminal did not support it), none is
/// coming, and the command is skipped with a [`TerminalEvent::Skipped`] note rather than left
/// to wait for ever.
#[derive(Clone)]
pub struct Schedule {
    queue: Arc<Mutex<VecDeque<Scheduled>>>,
    /// When each transaction's outcome was reported, by transaction id.
    reported: Arc<Mutex<BTreeMap<String, Duration>>>,
    /// Commands still to come, for a schedule fed while it runs ([`Schedule::fed`]).
    incoming: Option<Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Command>>>>,
    recorder: Recorder,
    terminal: String,
}

/// Feeds a [`Schedule::fed`] schedule. Dropping it ends the schedule once what was sent is
/// handed out.
pub type ScheduleFeed = tokio::sync::mpsc::UnboundedSender<Command>;

impl Schedule {
    /// A schedule of commands in order for the terminal with id `terminal`, each due at its
    /// `at`, timed and recorded by `recorder`.
    pub fn new(commands: Vec<Command>, recorder: Recorder, terminal: &str) -> Self {
        Self::chained(
            commands
                .into_iter()
                .map(|command| Scheduled {
                    command,
                    after: None,
                })
                .collect(),
            recorder,
            terminal,
        )
    }

    /// A schedule whose commands may wait for earlier transactions' outcomes.
    pub fn chained(commands: Vec<Scheduled>, recorder: Recorder, terminal: &str) -> Self {
        Schedule {
            queue: Arc::new(Mutex::new(commands.into())),
            reported: Arc::default(),
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
            reported: Arc::default(),
            incoming: Some(Arc::new(tokio::sync::Mutex::new(rx))),
            recorder,
            terminal: terminal.to_string(),
        };
        (schedule, tx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Scheduled>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reported_at(&self, txn: &str) -> Option<Duration> {
        self.reported
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(txn)
            .copied()
    }

    /// Notes that the outcome of `txn` was reported at `at`; the first report counts.
    pub(crate) fn reported(&self, txn: &str, at: Duration) {
        self.reported
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(txn.to_string())
            .or_insert(at);
    }

    fn peek(&self) -> Next {
        let queue = self.lock();
        let Some(front) = queue.front() else {
            return Next::Done;
        };
        match &front.after {
            None => Next::Due(front.command.at()),
            Some(a) => match self.reported_at(&a.txn) {
                Some(t) => Next::Due(t + a.wait),
                None => Next::Orphan(a.txn.clone()),
            },
        }
    }

    /// The next command, once it is due; `None` when the schedule is done. Handing it out is
    /// recorded in the transcript.
    pub async fn next(&self) -> Option<Command> {
        if let Some(incoming) = &self.incoming
            && self.lock().is_empty()
        {
            let command = incoming.lock().await.recv().await?;
            self.lock().push_back(Scheduled {
                command,
                after: None,
            });
        }
        let due = loop {
            match self.peek() {
                Next::Done => return None,
                Next::Due(due) => break due,
                Next::Orphan(after) => {
                    let Some(s) = self.lock().pop_front() else {
                        continue;
                    };
                    self.recorder.record(TerminalEvent::Skipped {
                        txn: s.command.txn().to_string(),
                        op: s.command.op().to_string(),
                        after,
                    });
                }
            }
        };
        let now = self.recorder.clock().now();
        if due > now {
            tokio::time::sleep(due - now).await;
        }
        let mut cmd = self.lock().pop_front()?.command;
        cmd.set_at(due);
        self.recorder.record(match &cmd {
            Command::Sale(s) | Command::Auth(s) | Command::Refund(s) => TerminalEvent::Command {
                terminal: self.terminal.clone(),
                txn: s.txn.clone(),
                op: cmd.op().into(),
                amount: s.amount,
                card: s.pan.masked(),
            },
            Command::Settle(s) => TerminalEvent::Command {
                terminal: self.terminal.clone(),
                txn: s.txn.clone(),
                op: cmd.op().into(),
                amount: Amount(0),
                card: String::new(),
            },
        });
        Some(cmd)
    }

    /// When the next command is due, if one is waiting: a terminal can use the time until then
    /// (an echo test on an idle link, say).
    /// A command waiting for an outcome that never came is due at once (it will be skipped).
    pub fn next_due(&self) -> Option<Duration> {
        match self.peek() {
            Next::Done => None,
            Next::Due(due) => Some(due),
            Next::Orphan(_) => Some(self.recorder.clock().now()),
        }
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
        self.schedule.reported(&outcome.txn, self.now());
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
