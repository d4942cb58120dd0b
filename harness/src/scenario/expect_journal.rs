//! `expect.journal`: what the host's books must say when the run ends. Outcomes say what the
//! terminal told the merchant; these say where the money went, so a scenario can pin both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::host_view::net_movement;
use crate::host::{HostConfig, JournalEntry};
use crate::money::Amount;

/// Journal totals a scenario pins; only the given parts are compared.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedJournal {
    /// The host's net movement over every account during the run: `"-49.50"` when
    /// cardholders paid 49.50 in all, `"0.00"` when every charge was undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<Amount>,
    /// Each named account's balance at the end, e.g. `{cardholder: "50.50"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub balances: BTreeMap<String, Amount>,
}

impl ExpectedJournal {
    /// What in `journal` differs from the pinned totals, one phrase each.
    pub fn differences(&self, host: &HostConfig, journal: &[JournalEntry]) -> Vec<String> {
        let mut diffs = Vec::new();
        if let Some(want) = self.net {
            let got = net_movement(journal);
            if got != want {
                diffs.push(format!(
                    "net movement {got} over the run, expected {want}{}",
                    journal_hint(journal)
                ));
            }
        }
        for (account, want) in &self.balances {
            let got = balance_at_end(host, journal, account);
            if got != *want {
                diffs.push(format!("account {account} ends at {got}, expected {want}"));
            }
        }
        diffs
    }
}

/// The balance after the last journal entry that names the account, else its opening one.
fn balance_at_end(host: &HostConfig, journal: &[JournalEntry], account: &str) -> Amount {
    journal
        .iter()
        .rev()
        .find(|e| e.account.as_deref() == Some(account) && e.balance.is_some())
        .and_then(|e| e.balance)
        .or_else(|| {
            host.accounts
                .iter()
                .find(|a| a.id == account)
                .map(|a| a.balance)
        })
        .unwrap_or_default()
}

/// The entries that moved money, for the reader who has to find out why.
fn journal_hint(journal: &[JournalEntry]) -> String {
    let moved: Vec<String> = journal
        .iter()
        .filter(|e| !e.before_run)
        .filter_map(|e| e.delta.map(|d| format!("#{} {} {d}", e.seq, e.mti)))
        .collect();
    if moved.is_empty() {
        " (no entry moved money)".into()
    } else {
        format!(" (moved by {})", moved.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::entry;
    use crate::host::Decision;

    fn host() -> HostConfig {
        serde_yaml::from_str(
            "accounts: [{id: a, balance: \"100.00\"}, {id: b, balance: \"5.00\"}]\ncards: []\n",
        )
        .unwrap()
    }

    fn charged(at: u64, delta: i64, balance: i64) -> JournalEntry {
        let mut e = entry(at, "0200", "000001", Decision::Approved, "00");
        e.delta = Some(Amount(delta));
        e.balance = Some(Amount(balance));
        e
    }

    #[test]
    fn pinned_totals_pass_when_they_hold_and_name_the_entries_when_not() {
        let journal = [charged(1, -950, 9_050), charged(2, 950, 10_000)];
        let want: ExpectedJournal =
            serde_yaml::from_str("{net: \"0.00\", balances: {a: \"100.00\", b: \"5.00\"}}")
                .unwrap();
        assert_eq!(want.differences(&host(), &journal), Vec::<String>::new());
        let diffs = want.differences(&host(), &journal[..1]);
        assert_eq!(
            diffs,
            [
                "net movement -9.50 over the run, expected 0.00 (moved by #1 0200 -9.50)",
                "account a ends at 90.50, expected 100.00",
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_yaml::from_str::<ExpectedJournal>("{totals: 1}").unwrap_err();
        assert!(e.to_string().contains("unknown field `totals`"), "{e}");
    }
}
