//! The store-and-forward queue: offline approvals waiting to reach the host as 0220 advices.
//! It lives in the terminal's [`Store`], so a power cut loses none; each advice is kept until
//! the host answers 00 (posted) or 94 (already posted).

use posfault_proxies::wire::{ISO87, Message, decode, encode};

use crate::terminal::store::{Store, from_hex, to_hex};

const ADVICES_KEY: &str = "reference/advices";

/// One queued advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceRecord {
    /// Transaction id of the offline approval.
    pub txn: String,
    /// Its STAN.
    pub stan: String,
    /// The 0220, ready to send.
    pub message: Message,
}

impl Store {
    /// Queues an advice behind the others.
    pub fn advice_add(&self, rec: AdviceRecord) {
        let mut all = self.advices();
        all.push(rec);
        self.put_advices(&all);
    }

    /// The queued advices, oldest first.
    pub fn advices(&self) -> Vec<AdviceRecord> {
        let bytes = self.get(ADVICES_KEY).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(3, ',');
                let stan = p.next()?.to_string();
                let message = decode(&ISO87, &from_hex(p.next()?)?).ok()?;
                let txn = p.next()?.to_string();
                Some(AdviceRecord { txn, stan, message })
            })
            .collect()
    }

    /// Removes the advice for `stan` once the host has it.
    pub fn advice_delivered(&self, stan: &str) {
        let mut all = self.advices();
        all.retain(|a| a.stan != stan);
        self.put_advices(&all);
    }

    fn put_advices(&self, all: &[AdviceRecord]) {
        // One line per advice: STAN, the 0220 in iso87 as hex (values are
        // dialect-independent, as for the reversal records), and the transaction id last.
        let mut text = String::new();
        for a in all {
            let Ok(body) = encode(&ISO87, &a.message) else {
                continue;
            };
            text.push_str(&format!("{},{},{}\n", a.stan, to_hex(&body), a.txn));
        }
        if text.is_empty() {
            self.delete(ADVICES_KEY);
        } else {
            self.put(ADVICES_KEY, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice(stan: &str) -> AdviceRecord {
        let mut m = Message::new("0220".parse().unwrap());
        m.set(4, "000000000500").set(11, stan).set(41, "TERM0001");
        AdviceRecord {
            txn: format!("t{stan}"),
            stan: stan.into(),
            message: m,
        }
    }

    #[test]
    fn advices_queue_in_order_and_leave_one_by_one() {
        let s = Store::default();
        s.advice_add(advice("000001"));
        s.advice_add(advice("000002"));
        let queued = s.advices();
        assert_eq!(queued, vec![advice("000001"), advice("000002")]);
        s.advice_delivered("000001");
        assert_eq!(s.advices(), vec![advice("000002")]);
        s.advice_delivered("000002");
        assert!(s.advices().is_empty());
        assert!(s.get(ADVICES_KEY).is_none());
    }
}
