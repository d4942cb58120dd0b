//! The terminal's persistent store. It lives outside the simulated node, so it survives a power
//! cycle the way a terminal's flash does.

use std::sync::{Arc, Mutex, MutexGuard};

use posfault_proxies::wire::Message;

/// A stored reversal: the complete 0400, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversalRecord {
    /// STAN of the original request.
    pub stan: String,
    /// Transaction id of the original.
    pub txn: String,
    /// The reversal message.
    pub message: Message,
}

#[derive(Debug, Default)]
struct Data {
    last_stan: u32,
    reversal: Option<ReversalRecord>,
}

/// Shared handle to one terminal's persistent memory.
#[derive(Debug, Clone, Default)]
pub struct Store(Arc<Mutex<Data>>);

impl Store {
    fn lock(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next STAN (000001 to 999999, then wrapping to 000001), persisted at once.
    pub fn next_stan(&self) -> String {
        let mut d = self.lock();
        d.last_stan = d.last_stan % 999_999 + 1;
        format!("{:06}", d.last_stan)
    }

    /// Stores a reversal record, replacing any earlier one.
    pub fn save_reversal(&self, rec: ReversalRecord) {
        self.lock().reversal = Some(rec);
    }

    /// The pending reversal, if any.
    pub fn pending_reversal(&self) -> Option<ReversalRecord> {
        self.lock().reversal.clone()
    }

    /// Deletes the reversal record for `stan` (only that one).
    pub fn clear_reversal(&self, stan: &str) {
        let mut d = self.lock();
        if d.reversal.as_ref().is_some_and(|r| r.stan == stan) {
            d.reversal = None;
        }
    }

    /// Updates the reason (field 39) of the stored reversal for `stan`.
    pub fn set_reversal_reason(&self, stan: &str, reason: &str) {
        if let Some(r) = self.lock().reversal.as_mut().filter(|r| r.stan == stan) {
            r.message.set(39, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stan_wraps_after_999999() {
        let s = Store::default();
        s.lock().last_stan = 999_998;
        assert_eq!(s.next_stan(), "999999");
        assert_eq!(s.next_stan(), "000001");
    }
}
