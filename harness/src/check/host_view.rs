//! What the host's journal says happened to each financial request, keyed by terminal + STAN.

use std::collections::BTreeMap;

use posfault_proxies::wire::Mti;

use crate::host::{Decision, JournalEntry};
use crate::money::Amount;
use crate::transcript::At;

/// The host's final word on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostFate {
    /// Approved and never reversed: the cardholder is charged (`delta`, the signed change to
    /// the account, is positive for a refund).
    Charged {
        at: At,
        amount: Amount,
        delta: Amount,
    },
    /// Approved, then reversed.
    Reversed { at: At },
    /// Declined with this code.
    Declined { rc: String },
}

/// Fate of every sale/authorisation the host decided, and every advice it posted (an offline
/// approval charges the cardholder from then on), by (terminal id, STAN). The first
/// decision for a key wins: a later duplicate (94) does not change what happened to the money.
pub(crate) fn host_fates(journal: &[JournalEntry]) -> BTreeMap<(String, String), HostFate> {
    let mut fates = BTreeMap::new();
    let mut by_seq = BTreeMap::new();
    for e in journal.iter().filter(|e| !e.before_run) {
        let key = (e.terminal.clone(), e.stan.clone());
        let mti = e.mti.parse::<Mti>().map(|m| m.first_send());
        let mti = mti.as_ref().map_or("", Mti::as_str);
        match (mti, e.decision) {
            ("0200" | "0100", Decision::Approved) | ("0220", Decision::Posted) => {
                by_seq.insert(e.seq, key.clone());
                fates.entry(key).or_insert(HostFate::Charged {
                    at: e.at,
                    amount: e.amount.unwrap_or_default(),
                    delta: e.delta.unwrap_or_default(),
                });
            }
            // A refused advice: the merchant was told "approved offline" and will not be paid.
            ("0200" | "0100" | "0220", Decision::Declined) => {
                fates
                    .entry(key)
                    .or_insert(HostFate::Declined { rc: e.rc.clone() });
            }
            (_, Decision::Reversed) => {
                if let Some(key) = e.original.and_then(|s| by_seq.get(&s)) {
                    fates.insert(key.clone(), HostFate::Reversed { at: e.at });
                }
            }
            _ => {}
        }
    }
    fates
}

/// The host's net movement over all accounts during the run (negative: money taken from
/// cardholders). Sales approved before the run are not this run's doing.
pub(crate) fn net_movement(journal: &[JournalEntry]) -> Amount {
    Amount(
        journal
            .iter()
            .filter(|e| !e.before_run)
            .filter_map(|e| e.delta)
            .map(|d| d.0)
            .sum(),
    )
}
