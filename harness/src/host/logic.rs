//! The host's state and its front door. Pure: a request and a time in; a reply, a delay and a
//! journal entry out. The server around it does the I/O.
//!
//! Before any message family sees a request, a maintenance window (91, or read and close) and
//! capacity (96, 91, or close) may answer it; such requests are journalled but not processed,
//! so they never count as duplicates of a later retry.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use posfault_proxies::wire::mask::mask_pan;
use posfault_proxies::wire::{Message, Mti};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::host::calendar;
use crate::host::capacity::WhenFull;
use crate::host::config::{HostConfig, PastSale, TxnType};
use crate::host::journal::{Decision, JournalEntry, balances_from};
use crate::host::maintenance::{self, Mode};
use crate::host::{financial, network, reversal, settlement};
use crate::money::Amount;
use crate::transcript::At;

/// Fields a response echoes from its request.
const ECHO: [u8; 8] = [3, 4, 11, 12, 13, 41, 42, 70];

/// Where the host finds a financial request again: terminal id, STAN, local date (MMDD).
pub(crate) type Key = (String, String, String);

/// A financial request the host decided on, kept for duplicates, reversals, limits and
/// settlement.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Journal seq of the decision.
    pub seq: u64,
    pub key: Key,
    pub txn: TxnType,
    pub account: Option<String>,
    /// Index of the card in the configuration.
    pub card: Option<usize>,
    pub amount: Amount,
    pub at: Duration,
    pub approved: bool,
    pub reversed: bool,
    /// The terminal's batch when approved.
    pub batch: u32,
    /// An authorisation (0100): it holds funds but is not part of the batch totals.
    pub auth_only: bool,
}

/// What the host does with one request.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The reply, if the request gets one.
    pub reply: Option<Message>,
    /// How long to wait before sending it (the processing delay).
    pub delay: Duration,
    /// Close the connection instead of (or after) answering.
    pub close: bool,
    /// The journal entry appended for it.
    pub entry: JournalEntry,
}

/// The host's state. Lives outside any simulated node, so a host crash loses nothing that was
/// journalled.
pub struct Host {
    pub(crate) cfg: HostConfig,
    opening: BTreeMap<String, Amount>,
    balances: BTreeMap<String, Amount>,
    pub(crate) records: Vec<Record>,
    pub(crate) by_key: BTreeMap<Key, usize>,
    /// Wrong PINs in a row, by card index.
    pub(crate) pin_tries: BTreeMap<usize, u32>,
    /// Terminals that signed on during the run.
    pub(crate) signed_on: BTreeSet<String>,
    /// Open batch number by terminal; a terminal not listed is on batch 1.
    pub(crate) batches: BTreeMap<String, u32>,
    rng: ChaCha8Rng,
    in_flight: u32,
    journal: Vec<JournalEntry>,
}

impl Host {
    /// A host with its configuration; `rng` draws processing delays (the runner hands it the
    /// run's `host` stream).
    pub fn new(cfg: &HostConfig, rng: ChaCha8Rng) -> Self {
        let opening: BTreeMap<_, _> = cfg
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.balance))
            .collect();
        let mut host = Host {
            cfg: cfg.clone(),
            balances: opening.clone(),
            opening,
            records: Vec::new(),
            by_key: BTreeMap::new(),
            pin_tries: BTreeMap::new(),
            signed_on: BTreeSet::new(),
            batches: BTreeMap::new(),
            rng,
            in_flight: 0,
            journal: Vec::new(),
        };
        for past in &cfg.history {
            host.replay(past);
        }
        host
    }

    /// Journals a sale approved before the run, at run time zero, dated the run's first day.
    fn replay(&mut self, past: &PastSale) {
        let Some(card) = self.cfg.cards.iter().position(|c| c.id == past.card) else {
            return; // validation reports unknown cards
        };
        let c = &self.cfg.cards[card];
        let key: Key = (
            past.terminal.clone(),
            past.stan.clone(),
            calendar::mmdd(Duration::ZERO),
        );
        let seq = self.next_seq();
        self.by_key.insert(key.clone(), self.records.len());
        self.records.push(Record {
            seq,
            key,
            txn: TxnType::Purchase,
            account: Some(c.account.clone()),
            card: Some(card),
            amount: past.amount,
            at: Duration::ZERO,
            approved: true,
            reversed: false,
            batch: 1,
            auth_only: false,
        });
        let e = JournalEntry {
            seq: 0,
            at: At(0),
            mti: "0200".into(),
            terminal: past.terminal.clone(),
            stan: past.stan.clone(),
            decision: Decision::Approved,
            rc: "00".into(),
            reason: Some("history: approved before the run".into()),
            card: Some(c.pan.masked()),
            amount: Some(past.amount),
            account: Some(c.account.clone()),
            delta: Some(Amount(-past.amount.0)),
            balance: None,
            original: None,
            before_run: true,
        };
        self.append(e);
    }

    /// A host with a fixed RNG seed, for tests and tools that draw no delays.
    pub fn with_seed(cfg: &HostConfig, seed: u64) -> Self {
        Host::new(cfg, ChaCha8Rng::seed_from_u64(seed))
    }

    /// The configuration.
    pub fn config(&self) -> &HostConfig {
        &self.cfg
    }

    /// Everything journalled so far.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// Current balance of an account.
    pub fn balance(&self, account: &str) -> Option<Amount> {
        self.balances.get(account).copied()
    }

    /// Every balance as derived from the opening balances and the journal.
    pub fn balances_from_journal(&self) -> BTreeMap<String, Amount> {
        balances_from(&self.opening, &self.journal)
    }

    /// When a `refuse` maintenance window covering `now` ends: listeners stay closed until then.
    pub fn refusing_until(&self, now: Duration) -> Option<Duration> {
        maintenance::refusing_until(&self.cfg.maintenance, now)
    }

    /// When the next `refuse` window after `now` starts.
    pub fn next_refusal(&self, now: Duration) -> Option<Duration> {
        maintenance::next_refusal(&self.cfg.maintenance, now)
    }

    /// Marks one request's answer as sent (see [`Processed::delay`]): it no longer counts
    /// against capacity.
    pub fn finished(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Handles one request: journals it and says what to answer, after how long. Every call
    /// that returns must be followed by one [`Host::finished`] once the answer is sent (or the
    /// connection is gone).
    pub fn process(&mut self, req: &Message, at: At) -> Processed {
        let now = at.duration();
        let gate = match maintenance::mode_at(&self.cfg.maintenance, now) {
            Some(Mode::Answer91) => Some(("91", false, "maintenance window: answering 91")),
            Some(Mode::AcceptThenClose | Mode::Refuse) => {
                Some(("", true, "maintenance window: read and closed"))
            }
            None => self
                .cfg
                .capacity
                .as_ref()
                .filter(|c| c.full(now, self.in_flight))
                .map(|c| match c.when_full {
                    WhenFull::Answer96 => ("96", false, "over capacity: answering 96"),
                    WhenFull::Answer91 => ("91", false, "over capacity: answering 91"),
                    WhenFull::Close => ("", true, "over capacity: closed"),
                }),
        };
        let (reply, mut entry) = match gate {
            Some((rc, close, why)) => {
                let decision = if close {
                    Decision::Unanswered
                } else {
                    Decision::Declined
                };
                let mut e = self.entry(req, decision, rc);
                e.reason = Some(why.into());
                let reply = (!close)
                    .then(|| req.mti().response().map(|m| respond(req, m, rc)))
                    .flatten();
                (reply, e)
            }
            None => self.dispatch(req, now),
        };
        let reply = if entry.decision == Decision::Unanswered {
            None
        } else {
            reply.or_else(|| req.mti().response().map(|m| respond(req, m, &entry.rc)))
        };
        let delay = match (&reply, self.cfg.processing_delay) {
            (Some(_), Some(d)) => d.draw(&mut self.rng),
            _ => Duration::ZERO,
        };
        self.in_flight += 1;
        entry.at = at;
        let entry = self.append(entry);
        Processed {
            close: reply.is_none() && entry.decision == Decision::Unanswered,
            reply,
            delay,
            entry,
        }
    }

    /// Journals a frame that did not decode.
    pub fn unreadable(&mut self, at: At) -> JournalEntry {
        self.append(JournalEntry {
            seq: 0,
            at,
            mti: String::new(),
            terminal: String::new(),
            stan: String::new(),
            decision: Decision::Unreadable,
            rc: String::new(),
            reason: None,
            card: None,
            amount: None,
            account: None,
            delta: None,
            balance: None,
            original: None,
            before_run: false,
        })
    }

    fn dispatch(&mut self, req: &Message, now: Duration) -> (Option<Message>, JournalEntry) {
        match req.mti().as_str() {
            "0100" | "0200" => financial::request(self, req, now),
            // Repeats (0221, 0401, 0421) are handled as their first send: both paths are
            // idempotent, so a copy that arrives after the original moves nothing twice.
            "0220" | "0221" => financial::advice(self, req, now),
            "0400" | "0401" | "0420" | "0421" => reversal::reversal(self, req),
            "0800" => network::management(self, req),
            "0500" => settlement::totals(self, req),
            "0320" => settlement::upload(self, req),
            other => {
                let mut e = self.entry(req, Decision::Declined, "12");
                e.reason = Some(format!(
                    "message type {other} is not handled; expected 0100, 0200, 0220, 0221, 0320, 0400, 0401, 0420, 0421, 0500 or 0800"
                ));
                (None, e)
            }
        }
    }

    /// The seq the next journal entry gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.journal.len() as u64 + 1
    }

    /// Appends an entry, numbering it and applying its delta: the only way balances change.
    fn append(&mut self, mut e: JournalEntry) -> JournalEntry {
        e.seq = self.next_seq();
        if let (Some(account), Some(delta)) = (&e.account, e.delta) {
            let balance = self.balances.entry(account.clone()).or_default();
            balance.0 += delta.0;
            e.balance = Some(*balance);
        }
        self.journal.push(e.clone());
        e
    }

    /// A journal entry for `req`, with its identifying fields filled in.
    pub(crate) fn entry(&self, req: &Message, decision: Decision, rc: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at: At::default(),
            mti: req.mti().to_string(),
            terminal: req.text(41).unwrap_or_default().to_string(),
            stan: req.text(11).unwrap_or_default().to_string(),
            decision,
            rc: rc.to_string(),
            reason: None,
            card: req.text(2).map(mask_pan),
            amount: req.text(4).and_then(Amount::from_field4),
            account: None,
            delta: None,
            balance: None,
            original: None,
            before_run: false,
        }
    }

    /// The key a request is filed under.
    pub(crate) fn key(req: &Message) -> Key {
        let f = |n| req.text(n).unwrap_or_default().to_string();
        (f(41), f(11), f(13))
    }

    /// The balance an account has now.
    pub(crate) fn balance_of(&self, account: &str) -> Amount {
        self.balances.get(account).copied().unwrap_or_default()
    }

    /// The open batch of a terminal.
    pub(crate) fn batch_of(&self, terminal: &str) -> u32 {
        self.batches.get(terminal).copied().unwrap_or(1)
    }
}

/// A response to `req` with MTI `mti`, echoing the usual fields, with field 39 = `rc`.
pub fn respond(req: &Message, mti: Mti, rc: &str) -> Message {
    let mut rsp = Message::with_capacity(mti, 10, 80);
    for n in ECHO {
        if let Some(v) = req.field(n) {
            rsp.set(n, v);
        }
    }
    rsp.set(39, rc);
    // UnionPay-style links route the reply back by the request's TPDU, swapped.
    rsp.set_envelope(req.envelope().map(|e| e.reply()));
    rsp
}
