//! Rules and matchers as plain data, read from scenario YAML or a `--faults` file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dur::Dur;
use crate::fault::actions::Action;
use crate::fault::engine::FrameView;
use crate::wire::Mti;

/// Which way a frame travels through the proxy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
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

    /// The other way.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToHost => Direction::ToTerminal,
            Direction::ToTerminal => Direction::ToHost,
        }
    }
}

/// Which of the terminal's routes to the host a connection took. A terminal configured with a
/// backup host reaches the same host through a second address; rules can aim at one route (a
/// primary that refuses while the backup answers) or, by default, at both.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// The primary host address.
    #[default]
    Primary,
    /// The backup host address.
    Backup,
}

impl Route {
    /// Whether this is the primary route; transcripts only name the backup one.
    pub fn is_primary(&self) -> bool {
        *self == Route::Primary
    }

    /// The name used in YAML and transcripts.
    pub fn name(self) -> &'static str {
        match self {
            Route::Primary => "primary",
            Route::Backup => "backup",
        }
    }
}

/// One fault rule. Rules are evaluated in order; the first whose matcher accepts a frame fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// Conditions on a frame (or, for connection-level actions, on a new connection); all given
/// conditions must hold.
///
/// Defaults: any direction, any MTI, any field values, every occurrence, any connection, any
/// time, always (probability 1), no cap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Only frames travelling this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Only frames whose MTI is in this list (empty: any MTI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mti: Vec<Mti>,
    /// Only frames whose fields have exactly these values (field number: value as text).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<u8, String>,
    /// Only frames whose fields start with these values (field number: prefix).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_prefixes: BTreeMap<u8, String>,
    /// Only the n-th frame (1-based) that meets the other conditions of this rule; for a
    /// connection-level action, the n-th connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// Only on this connection (1-based, in accept order, numbered across both routes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<u32>,
    /// Only on connections that took this route to the host (default: either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Not before this time since the run started (simulated time in the simulation, time
    /// since start-up for the live proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Dur>,
    /// Only before this time since the run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Dur>,
    /// Fire with this probability (0 to 1), drawn from the run's seeded RNG only when every
    /// other condition holds, so a seed replays the same draws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fires: Option<u32>,
}

impl Matcher {
    /// Whether the frame meets every deterministic condition except `nth` and the cap, which
    /// need the rule's history and are applied by the engine (as is `probability`).
    pub(crate) fn accepts(&self, frame: &FrameView<'_>, route: Route) -> bool {
        if self.direction.is_some_and(|d| d != frame.direction) {
            return false;
        }
        if !self.accepts_conn(frame.conn, route, frame.now) {
            return false;
        }
        if self.mti.is_empty() && self.fields.is_empty() && self.field_prefixes.is_empty() {
            return true;
        }
        let Some(m) = frame.message else {
            return false;
        };
        if !self.mti.is_empty() && !self.mti.contains(&m.mti()) {
            return false;
        }
        let equal = self
            .fields
            .iter()
            .all(|(n, v)| m.field(*n) == Some(v.as_bytes()));
        let prefixed = self
            .field_prefixes
            .iter()
            .all(|(n, p)| m.field(*n).is_some_and(|f| f.starts_with(p.as_bytes())));
        equal && prefixed
    }

    /// The conditions that apply to a connection as a whole: its number, route and the time
    /// window.
    pub(crate) fn accepts_conn(&self, conn: u32, route: Route, now: std::time::Duration) -> bool {
        self.conn.is_none_or(|c| c == conn)
            && self.route.is_none_or(|r| r == route)
            && self.in_window(now)
    }

    /// Whether `now` is inside the `from`/`until` window.
    pub fn in_window(&self, now: std::time::Duration) -> bool {
        self.from.is_none_or(|f| now >= f.get()) && self.until.is_none_or(|u| now < u.get())
    }

    /// Problems a parser cannot see, as (path below the matcher, what is wrong).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.nth == Some(0) {
            out.push((
                "nth".into(),
                "counts from 1: the first matching frame is nth: 1".into(),
            ));
        }
        if self.conn == Some(0) {
            out.push((
                "conn".into(),
                "counts from 1: the first connection is conn: 1".into(),
            ));
        }
        if self.max_fires == Some(0) {
            out.push((
                "max_fires".into(),
                "a rule that may fire 0 times does nothing; remove it or allow 1 or more".into(),
            ));
        }
        if let Some(p) = self.probability
            && !(p > 0.0 && p <= 1.0)
        {
            out.push((
                "probability".into(),
                format!("expected a probability above 0 and at most 1, found {p}"),
            ));
        }
        if let (Some(f), Some(u)) = (self.from, self.until)
            && u <= f
        {
            out.push((
                "until".into(),
                format!(
                    "the window ends ({u}) before it starts ({f}); `until` must be after `from`"
                ),
            ));
        }
        out
    }

    /// Whether any frame-only condition is set (direction, MTI, fields).
    pub(crate) fn looks_at_frames(&self) -> bool {
        self.direction.is_some()
            || !self.mti.is_empty()
            || !self.fields.is_empty()
            || !self.field_prefixes.is_empty()
    }
}

impl Rule {
    /// Problems a parser cannot see, as (path below the rule, what is wrong).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<_> = self
            .when
            .problems()
            .into_iter()
            .map(|(p, m)| (format!("when.{p}"), m))
            .collect();
        let scope = self.action.scope();
        if scope != crate::fault::actions::Scope::Frame && self.when.looks_at_frames() {
            out.push((
                "when".into(),
                format!(
                    "`kind: {}` acts on whole connections, before any frame is read; remove \
                     direction, mti, fields and field_prefixes",
                    self.action.kind()
                ),
            ));
        }
        if scope == crate::fault::actions::Scope::Listener {
            let w = &self.when;
            if w.from.is_none() || w.until.is_none() {
                out.push((
                    "when".into(),
                    format!(
                        "`kind: {}` closes the listening socket for a time window: give both \
                         `from` and `until`",
                        self.action.kind()
                    ),
                ));
            }
            if w.nth.is_some() || w.conn.is_some() || w.probability.is_some() {
                out.push((
                    "when".into(),
                    format!(
                        "`kind: {}` refuses connections before they reach the proxy, so they \
                         have no number or draw: use only `from` and `until`",
                        self.action.kind()
                    ),
                ));
            }
        }
        out.extend(
            self.action
                .problems()
                .into_iter()
                .map(|(p, m)| (format!("action.{p}"), m)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(yaml: &str) -> Vec<(String, String)> {
        let rule: Rule = serde_yaml::from_str(yaml).expect("test rule parses");
        rule.problems()
    }

    #[test]
    fn a_sound_rule_has_no_problems() {
        assert!(
            problems("{name: r, when: {from: 1s, until: 2s, probability: 0.5}, action: {kind: drop_frame}}")
                .is_empty()
        );
    }

    #[test]
    fn a_window_that_ends_before_it_starts_is_reported_at_until() {
        let p = problems("{name: r, when: {from: 2s, until: 1s}, action: {kind: drop_frame}}");
        assert_eq!(p[0].0, "when.until");
        assert!(p[0].1.contains("before it starts"), "{}", p[0].1);
    }

    #[test]
    fn a_probability_outside_0_to_1_is_reported() {
        for bad in ["1.5", "0", "-0.1"] {
            let p = problems(&format!(
                "{{name: r, when: {{probability: {bad}}}, action: {{kind: drop_frame}}}}"
            ));
            assert_eq!(p[0].0, "when.probability", "{bad}");
        }
    }

    #[test]
    fn counting_from_zero_is_reported() {
        let p = problems(
            "{name: r, when: {nth: 0, conn: 0, max_fires: 0}, action: {kind: drop_frame}}",
        );
        let paths: Vec<_> = p.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["when.nth", "when.conn", "when.max_fires"]);
    }

    #[test]
    fn a_connection_level_action_cannot_look_at_frames() {
        let p = problems("{name: r, when: {mti: [\"0200\"]}, action: {kind: never_answer}}");
        assert!(p[0].1.contains("acts on whole connections"), "{}", p[0].1);
    }

    #[test]
    fn action_problems_carry_the_action_path() {
        let p = problems("{name: r, action: {kind: delay, min: 2s, max: 1s}}");
        assert_eq!(p[0].0, "action.max");
    }
}
