//! Rules and matchers as plain data, read from scenario YAML or a `--faults` file.

use serde::{Deserialize, Serialize};

use crate::fault::actions::Action;
use crate::fault::engine::FrameView;
use crate::wire::Mti;

/// Which way a frame travels through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the terminal towards the host (requests, advices, reversals).
    ToHost,
    /// From the host towards the terminal (responses).
    ToTerminal,
}

impl Direction {
    /// Short arrow form for timelines.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ToHost => "->host",
            Direction::ToTerminal => "<-host",
        }
    }
}

/// One fault rule. Rules are evaluated in order; the first whose matcher accepts a frame fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in the transcript every time the rule fires.
    pub name: String,
    /// Which frames the rule applies to; an empty matcher matches every frame.
    #[serde(default)]
    pub when: Matcher,
    /// What happens to a matching frame.
    pub action: Action,
}

/// Conditions on a frame; all given conditions must hold.
///
/// Defaults: any direction, any MTI, every occurrence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Only frames travelling this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Only frames whose MTI is in this list (empty: any MTI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mti: Vec<Mti>,
    /// Only the n-th frame (1-based) that meets the other conditions of this rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
}

impl Matcher {
    /// Whether the frame meets every condition except `nth`, which needs the rule's history and
    /// is applied by the engine.
    pub(crate) fn accepts(&self, frame: &FrameView<'_>) -> bool {
        if self.direction.is_some_and(|d| d != frame.direction) {
            return false;
        }
        if !self.mti.is_empty() {
            match frame.message {
                Some(m) if self.mti.contains(&m.mti()) => {}
                _ => return false,
            }
        }
        true
    }
}
