//! Capacity: the host works on at most `max_in_flight` requests at once (a request is in flight
//! from its arrival until its answer is sent, so only a processing delay keeps it there).
//! Other terminals' load is configuration too (`busy`), so one reference terminal can meet a
//! busy host.

use std::time::Duration;

use posfault_proxies::dur::Dur;
use serde::{Deserialize, Serialize};

/// Capacity settings.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityConfig {
    /// Most requests worked on at once; at least 1.
    pub max_in_flight: u32,
    /// What a request beyond capacity gets. Default `answer_96`.
    #[serde(default)]
    pub when_full: WhenFull,
    /// Requests from other terminals the host is working on during spans of the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub busy: Vec<Load>,
}

/// Background load from other terminals, `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// Start, from the run's start.
    pub from: Dur,
    /// End, from the run's start.
    pub until: Dur,
    /// Requests in flight meanwhile.
    pub in_flight: u32,
}

/// What the host does with a request beyond its capacity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// System malfunction / host busy (96).
    #[default]
    #[serde(rename = "answer_96")]
    Answer96,
    /// Issuer or switch inoperative (91).
    #[serde(rename = "answer_91")]
    Answer91,
    /// Close the connection at once without an answer.
    Close,
}

impl CapacityConfig {
    /// Whether one more request at `now` would go beyond capacity, given `own` requests of the
    /// run already in flight.
    pub fn full(&self, now: Duration, own: u32) -> bool {
        let background: u32 = self
            .busy
            .iter()
            .filter(|l| l.from.get() <= now && now < l.until.get())
            .map(|l| l.in_flight)
            .sum();
        own + background >= self.max_in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_load_counts_only_inside_its_span() {
        let c = CapacityConfig {
            max_in_flight: 2,
            when_full: WhenFull::Answer96,
            busy: vec![Load {
                from: Dur::from_secs(10),
                until: Dur::from_secs(20),
                in_flight: 2,
            }],
        };
        assert!(!c.full(Duration::from_secs(5), 1));
        assert!(c.full(Duration::from_secs(5), 2));
        assert!(c.full(Duration::from_secs(10), 0));
        assert!(!c.full(Duration::from_secs(20), 0));
    }
}
