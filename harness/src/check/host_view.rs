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
    /// Declined with this code. `advice`: what was refused is a 0220 advice, an offline
    /// approval the host will not post, not an online request the issuer declined.
    Declined { rc: String, advice: bool },
}

/// Fate of every sale/authorisation the host decided, and every advice it posted (an offline
/// approval charges the cardholder from then on), by (terminal id, STAN). The first
/// decision for a key wins: a later duplicate (94) does not change what happened to the money.
/// Only a charge outranks an earlier refusal: an advice answered 91 and resent with its STAN
/// is posted in the end.
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
                let charged = HostFate::Charged {
                    at: e.at,
                    amount: e.amount.unwrap_or_default(),
                    delta: e.delta.unwrap_or_default(),
                };
                match fates.get(&key) {
                    None | Some(HostFate::Declined { .. }) => {
                        fates.insert(key, charged);
                    }
                    Some(_) => {}
                }
            }
            // A refused advice: the merchant was told "approved offline" and is not paid.
            ("0200" | "0100" | "0220", Decision::Declined) => {
                fates.entry(key).or_insert(HostFate::Declined {
                    rc: e.rc.clone(),
                    advice: mti == "0220",
                });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::entry;

    #[test]
    fn a_charge_outranks_an_earlier_refusal_but_not_the_other_way_round() {
        let key = ("TERM0001".to_string(), "000001".to_string());
        let busy_then_posted = [
            entry(1000, "0220", "000001", Decision::Declined, "91"),
            entry(2000, "0221", "000001", Decision::Posted, "00"),
        ];
        assert!(matches!(
            host_fates(&busy_then_posted).get(&key),
            Some(HostFate::Charged { at: At(2000), .. })
        ));
        let posted_then_duplicate = [
            entry(1000, "0220", "000001", Decision::Posted, "00"),
            entry(2000, "0220", "000001", Decision::Declined, "94"),
        ];
        assert!(matches!(
            host_fates(&posted_then_duplicate).get(&key),
            Some(HostFate::Charged { at: At(1000), .. })
        ));
    }
}
