//! Settlement: 0500 carries the terminal's batch totals (credits and debits, count and
//! amount); the host compares them with its own for the terminal's open batch, answers 00 and
//! closes the batch when they agree, 95 when they do not. 0320 batch upload: one transaction per
//! message, acknowledged and noted against the host's record; no money moves.
//!
//! Totals fields (ISO 8583:1987): 74 credits number (n10), 76 debits number (n10),
//! 86 credits amount (n16), 88 debits amount (n16), amounts in minor units.

use posfault_proxies::wire::Message;

use crate::host::journal::{Decision, JournalEntry};
use crate::host::logic::Host;
use crate::money::Amount;

/// Count and amount of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    /// How many transactions.
    pub count: u64,
    /// Their sum.
    pub amount: Amount,
}

/// Batch totals by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Refunds.
    pub credits: Total,
    /// Purchases, cash and posted advices.
    pub debits: Total,
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "debits {} / {}, credits {} / {}",
            self.debits.count, self.debits.amount, self.credits.count, self.credits.amount
        )
    }
}

impl Totals {
    /// Reads totals from a 0500; `None` names the first field missing or malformed.
    pub fn from_message(m: &Message) -> Result<Totals, String> {
        let num = |n: u8, len: usize| -> Result<i64, String> {
            m.text(n)
                .filter(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("field {n} is missing or not {len} digits"))
        };
        Ok(Totals {
            credits: Total {
                count: num(74, 10)? as u64,
                amount: Amount(num(86, 16)?),
            },
            debits: Total {
                count: num(76, 10)? as u64,
                amount: Amount(num(88, 16)?),
            },
        })
    }

    /// Writes totals into a 0500.
    pub fn write(&self, m: &mut Message) {
        m.set(74, format!("{:010}", self.credits.count))
            .set(76, format!("{:010}", self.debits.count))
            .set(86, format!("{:016}", self.credits.amount.0))
            .set(88, format!("{:016}", self.debits.amount.0));
    }
}

/// The host's totals for a terminal's open batch: approved, unreversed sales and advices
/// (authorisations only hold funds and are left out).
pub(crate) fn host_totals(h: &Host, terminal: &str) -> Totals {
    let batch = h.batch_of(terminal);
    let mut t = Totals::default();
    for r in h.records.iter().filter(|r| {
        r.approved && !r.reversed && !r.auth_only && r.key.0 == terminal && r.batch == batch
    }) {
        let side = if r.txn.is_debit() {
            &mut t.debits
        } else {
            &mut t.credits
        };
        side.count += 1;
        side.amount.0 += r.amount.0;
    }
    t
}

pub(crate) fn totals(h: &mut Host, req: &Message) -> (Option<Message>, JournalEntry) {
    let tid = req.text(41).unwrap_or_default().to_string();
    let theirs = match Totals::from_message(req) {
        Ok(t) => t,
        Err(why) => {
            let mut e = h.entry(req, Decision::Declined, "30");
            e.reason = Some(why);
            return (None, e);
        }
    };
    let ours = host_totals(h, &tid);
    let batch = h.batch_of(&tid);
    if ours != theirs {
        let mut e = h.entry(req, Decision::Declined, "95");
        e.reason = Some(format!(
            "batch {batch} totals differ: host has {ours}, terminal sent {theirs}"
        ));
        return (None, e);
    }
    h.batches.insert(tid, batch + 1);
    let mut e = h.entry(req, Decision::Accepted, "00");
    e.reason = Some(format!("batch {batch} settled: {ours}"));
    (None, e)
}

pub(crate) fn upload(h: &mut Host, req: &Message) -> (Option<Message>, JournalEntry) {
    let key = Host::key(req);
    let note = match h.by_key.get(&key).map(|&i| &h.records[i]) {
        Some(r) if r.approved && !r.reversed => format!("matches journal #{}", r.seq),
        Some(r) => format!("journal #{} has it declined or reversed", r.seq),
        None => "the host has no such transaction".to_string(),
    };
    let mut e = h.entry(req, Decision::Accepted, "00");
    e.reason = Some(format!("batch upload: {note}"));
    (None, e)
}
