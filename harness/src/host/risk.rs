//! Risk rules: amount or velocity thresholds above which the host refuses a debit as
//! suspected fraud (59).

use std::time::Duration;

use posfault_proxies::dur::Dur;
use serde::{Deserialize, Serialize};

use crate::money::Amount;

/// One rule; `name` is written in the journal when it fires.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RiskRule {
    /// A single debit above `amount`: `{name: big, kind: amount_over, amount: "500.00"}`.
    AmountOver {
        /// Rule name.
        name: String,
        /// The threshold.
        amount: Amount,
    },
    /// More than `max_count` approved debits on one card within `within`:
    /// `{name: fast, kind: velocity, max_count: 3, within: 10m}`.
    Velocity {
        /// Rule name.
        name: String,
        /// Approved debits allowed in the window before this one.
        max_count: u32,
        /// The sliding window.
        within: Dur,
    },
}

impl RiskRule {
    /// The rule's name.
    pub fn name(&self) -> &str {
        match self {
            RiskRule::AmountOver { name, .. } | RiskRule::Velocity { name, .. } => name,
        }
    }

    /// Whether the rule fires for a debit of `amount` at `now`, given the times of the card's
    /// earlier approved debits.
    pub fn fires(&self, amount: Amount, now: Duration, card_debits: &[Duration]) -> bool {
        match self {
            RiskRule::AmountOver { amount: limit, .. } => amount > *limit,
            RiskRule::Velocity {
                max_count, within, ..
            } => {
                let since = now.saturating_sub(within.get());
                let recent = card_debits.iter().filter(|&&t| t >= since).count();
                recent >= *max_count as usize
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_rule_fires_only_above_its_threshold() {
        let t = RiskRule::AmountOver {
            name: "big".into(),
            amount: Amount(500),
        };
        assert!(!t.fires(Amount(500), Duration::ZERO, &[]));
        assert!(t.fires(Amount(501), Duration::ZERO, &[]));
    }

    #[test]
    fn velocity_rule_counts_only_debits_inside_the_window() {
        let t = RiskRule::Velocity {
            name: "fast".into(),
            max_count: 2,
            within: Dur::from_secs(60),
        };
        let s = Duration::from_secs;
        assert!(!t.fires(Amount(1), s(100), &[s(10), s(50)]));
        assert!(t.fires(Amount(1), s(100), &[s(50), s(90)]));
    }
}
