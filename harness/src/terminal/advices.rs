//! The store-and-forward queue: offline approvals waiting to reach the host as 0220 advices.
//! It lives in the terminal's [`Store`], so a power cut loses none. An advice leaves it when
//! the host answers 00 (posted) or 94 (already posted), or refuses it for good (any code but
//! the "try later" 91 and 96, which keep it queued: a refused advice kept would hold
//! settlement for ever).

use posfault_proxies::wire::Message;

use crate::terminal::store::Store;

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
        self.messages(ADVICES_KEY)
            .into_iter()
            .map(|(stan, message, txn)| AdviceRecord { txn, stan, message })
            .collect()
    }

    /// Removes the advice for `stan`: the host has it, or refused it for good.
    pub fn advice_delivered(&self, stan: &str) {
        let mut all = self.advices();
        all.retain(|a| a.stan != stan);
        self.put_advices(&all);
    }

    fn put_advices(&self, all: &[AdviceRecord]) {
        self.put_messages(
            ADVICES_KEY,
            all.iter()
                .map(|a| (a.stan.as_str(), &a.message, a.txn.as_str())),
        );
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
