//! Request handling of the reference host. Pure: a request and a time in, a response and a
//! journal entry out; the server around it does the I/O.
//!
//! Sale (0200) order of checks: required fields (30), card known (14), duplicate
//! terminal + STAN + date (94, no second debit), funds (51), else approve (00).
//! Reversal (0400): found by terminal + STAN + date, else by the original STAN in field 90;
//! a repeat or an unknown original is acknowledged with 00 and moves nothing.

use std::collections::BTreeMap;

use posfault_proxies::wire::{Message, Mti};

use crate::host::config::HostConfig;
use crate::host::journal::{Decision, JournalEntry};
use crate::money::Amount;
use crate::transcript::At;

/// Fields a response echoes from its request.
const ECHO: [u8; 7] = [3, 4, 11, 12, 13, 41, 42];

struct SaleRecord {
    seq: u64,
    account: String,
    amount: Amount,
    reversed: bool,
}

/// The host's state. Lives outside any simulated node, so a host crash loses nothing that was
/// journalled.
pub struct Host {
    accounts: BTreeMap<String, Amount>,
    cards: BTreeMap<String, String>,
    /// Approved sales by (terminal, STAN, local date).
    sales: BTreeMap<(String, String, String), SaleRecord>,
    journal: Vec<JournalEntry>,
}

impl Host {
    /// A host with the configured accounts and cards.
    pub fn new(cfg: &HostConfig) -> Self {
        Host {
            accounts: cfg
                .accounts
                .iter()
                .map(|a| (a.id.clone(), a.balance))
                .collect(),
            cards: cfg
                .cards
                .iter()
                .map(|c| (c.pan.reveal().to_string(), c.account.clone()))
                .collect(),
            sales: BTreeMap::new(),
            journal: Vec::new(),
        }
    }

    /// Everything journalled so far.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// Current balance of an account.
    pub fn balance(&self, account: &str) -> Option<Amount> {
        self.accounts.get(account).copied()
    }

    /// Handles one request; returns the response (if the message gets one) and the journal
    /// entry it appended.
    pub fn handle(&mut self, req: &Message, at: At) -> (Option<Message>, &JournalEntry) {
        let mti = req.mti().to_string();
        let (rsp, entry) = match mti.as_str() {
            "0200" => self.sale(req),
            "0400" => self.reversal(req),
            _ => (None, self.entry(req, Decision::Declined, "12")),
        };
        let entry = JournalEntry {
            seq: self.journal.len() as u64 + 1,
            at,
            ..entry
        };
        self.journal.push(entry);
        let last = self.journal.last().expect("just pushed");
        let rsp = rsp.or_else(|| req.mti().response().map(|m| respond(req, m, &last.rc)));
        (rsp, last)
    }

    /// Journals a frame that did not decode.
    pub fn unreadable(&mut self, at: At) -> &JournalEntry {
        let entry = JournalEntry {
            seq: self.journal.len() as u64 + 1,
            at,
            mti: String::new(),
            terminal: String::new(),
            stan: String::new(),
            decision: Decision::Unreadable,
            rc: String::new(),
            amount: None,
            account: None,
            delta: None,
            balance: None,
            original: None,
        };
        self.journal.push(entry);
        self.journal.last().expect("just pushed")
    }

    fn entry(&self, req: &Message, decision: Decision, rc: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at: At::default(),
            mti: req.mti().to_string(),
            terminal: req.text(41).unwrap_or_default().to_string(),
            stan: req.text(11).unwrap_or_default().to_string(),
            decision,
            rc: rc.to_string(),
            amount: req.text(4).and_then(Amount::from_field4),
            account: None,
            delta: None,
            balance: None,
            original: None,
        }
    }

    fn key(req: &Message) -> (String, String, String) {
        let f = |n| req.text(n).unwrap_or_default().to_string();
        (f(41), f(11), f(13))
    }

    fn sale(&mut self, req: &Message) -> (Option<Message>, JournalEntry) {
        let amount = req.text(4).and_then(Amount::from_field4);
        let (Some(amount), Some(pan), true) = (amount, req.text(2), req.has(11) && req.has(41))
        else {
            return (None, self.entry(req, Decision::Declined, "30"));
        };
        let Some(account) = self.cards.get(pan).cloned() else {
            return (None, self.entry(req, Decision::Declined, "14"));
        };
        let key = Self::key(req);
        if self.sales.contains_key(&key) {
            return (None, self.entry(req, Decision::Declined, "94"));
        }
        let balance = self.accounts.get(&account).copied().unwrap_or_default();
        if balance < amount {
            let mut e = self.entry(req, Decision::Declined, "51");
            e.account = Some(account);
            e.balance = Some(balance);
            return (None, e);
        }
        let after = Amount(balance.0 - amount.0);
        self.accounts.insert(account.clone(), after);
        let seq = self.journal.len() as u64 + 1;
        self.sales.insert(
            key,
            SaleRecord {
                seq,
                account: account.clone(),
                amount,
                reversed: false,
            },
        );
        let mut rsp = respond(req, req.mti().response().expect("0200 is a request"), "00");
        rsp.set(38, format!("{:06}", seq % 1_000_000)); // approval code
        rsp.set(37, format!("{:012}", seq)); // retrieval reference number
        let mut e = self.entry(req, Decision::Approved, "00");
        e.account = Some(account);
        e.delta = Some(Amount(-amount.0));
        e.balance = Some(after);
        (Some(rsp), e)
    }

    fn reversal(&mut self, req: &Message) -> (Option<Message>, JournalEntry) {
        let mut key = Self::key(req);
        if !self.sales.contains_key(&key)
            && let Some(orig_stan) = req.text(90).and_then(|f| f.get(4..10))
        {
            key.1 = orig_stan.to_string();
        }
        let Some(sale) = self.sales.get_mut(&key) else {
            return (None, self.entry(req, Decision::ReversalUnknown, "00"));
        };
        if sale.reversed {
            let original = sale.seq;
            let mut e = self.entry(req, Decision::ReversalRepeat, "00");
            e.original = Some(original);
            return (None, e);
        }
        sale.reversed = true;
        let (account, amount, original) = (sale.account.clone(), sale.amount, sale.seq);
        let balance = self.accounts.entry(account.clone()).or_default();
        balance.0 += amount.0;
        let after = *balance;
        let mut e = self.entry(req, Decision::Reversed, "00");
        e.account = Some(account);
        e.delta = Some(amount);
        e.balance = Some(after);
        e.original = Some(original);
        (None, e)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::config::{AccountConfig, CardConfig, Pan};

    const PAN: &str = "4761739001010010";

    fn host() -> Host {
        Host::new(&HostConfig {
            accounts: vec![AccountConfig {
                id: "A".into(),
                balance: Amount(10_000),
            }],
            cards: vec![CardConfig {
                id: "c".into(),
                pan: Pan::new(PAN).unwrap(),
                account: "A".into(),
            }],
        })
    }

    fn msg(mti: &str, stan: &str, amount: i64) -> Message {
        let mut m = Message::new(mti.parse().unwrap());
        m.set(2, PAN)
            .set(3, "000000")
            .set(4, Amount(amount).to_field4().unwrap())
            .set(11, stan)
            .set(13, "0115")
            .set(41, "TERM0001");
        m
    }

    fn rc(h: &mut Host, m: &Message) -> String {
        let (rsp, _) = h.handle(m, At(0));
        rsp.unwrap().text(39).unwrap().to_string()
    }

    #[test]
    fn sale_debits_and_reversal_credits_back_once() {
        let mut h = host();
        assert_eq!(rc(&mut h, &msg("0200", "000001", 1234)), "00");
        assert_eq!(h.balance("A"), Some(Amount(8766)));
        assert_eq!(rc(&mut h, &msg("0400", "000001", 1234)), "00");
        assert_eq!(rc(&mut h, &msg("0400", "000001", 1234)), "00");
        assert_eq!(h.balance("A"), Some(Amount(10_000)));
        let decisions: Vec<_> = h.journal().iter().map(|e| e.decision).collect();
        assert_eq!(
            decisions,
            [
                Decision::Approved,
                Decision::Reversed,
                Decision::ReversalRepeat
            ]
        );
    }

    #[test]
    fn duplicate_sale_is_94_without_a_second_debit() {
        let mut h = host();
        rc(&mut h, &msg("0200", "000001", 100));
        assert_eq!(rc(&mut h, &msg("0200", "000001", 100)), "94");
        assert_eq!(h.balance("A"), Some(Amount(9_900)));
    }

    #[test]
    fn insufficient_funds_is_51_and_unknown_card_14() {
        let mut h = host();
        assert_eq!(rc(&mut h, &msg("0200", "000001", 10_001)), "51");
        let mut m = msg("0200", "000002", 1);
        m.set(2, "4000000000000002");
        assert_eq!(rc(&mut h, &m), "14");
        assert_eq!(h.balance("A"), Some(Amount(10_000)));
    }

    #[test]
    fn reversal_found_by_field_90_when_its_own_stan_differs() {
        let mut h = host();
        rc(&mut h, &msg("0200", "000007", 500));
        let mut rev = msg("0400", "000008", 500);
        rev.set(90, format!("0200000007{}", "0".repeat(32)));
        assert_eq!(rc(&mut h, &rev), "00");
        assert_eq!(h.balance("A"), Some(Amount(10_000)));
    }

    #[test]
    fn responses_echo_the_request_and_carry_no_pan() {
        let mut h = host();
        let (rsp, _) = h.handle(&msg("0200", "000001", 100), At(0));
        let rsp = rsp.unwrap();
        assert_eq!(rsp.mti().to_string(), "0210");
        assert_eq!(rsp.text(11), Some("000001"));
        assert!(!rsp.has(2));
    }
}
