//! `kind: maintenance`: the host is in a maintenance window (`when: {from, until}`). Depending
//! on `mode`, connections are refused (the listener is closed), accepted and closed at once, or
//! every request is answered in the host's place with a response code (default `91`, issuer
//! or switch inoperative) and never reaches the host.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::reply_as_host::{answer, rc_problems};
use crate::fault::actions::{ConnAction, ConnEffect, Effect, FaultAction, Scope};
use crate::fault::engine::FrameView;

/// How the host behaves during the window.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceMode {
    /// New connections are refused.
    Refuse,
    /// New connections are accepted and closed at once.
    AcceptThenClose,
    /// Every request is answered with `rc`.
    #[default]
    Answer,
}

/// A maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// What the terminal meets. Default `answer`.
    #[serde(default)]
    pub mode: MaintenanceMode,
    /// `answer` mode: the response code. Default `"91"`.
    #[serde(default = "default_rc")]
    pub rc: String,
}

fn default_rc() -> String {
    "91".into()
}

impl Maintenance {
    /// Where the window acts, by mode.
    pub fn scope(&self) -> Scope {
        match self.mode {
            MaintenanceMode::Refuse => Scope::Listener,
            MaintenanceMode::AcceptThenClose => Scope::Connection,
            MaintenanceMode::Answer => Scope::Frame,
        }
    }

    /// A two-character code, given only where it is used.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = rc_problems("rc", &self.rc);
        if self.mode != MaintenanceMode::Answer && self.rc != default_rc() {
            out.push((
                "rc".into(),
                "`rc` is the answer of `mode: answer`; remove it or set mode: answer".into(),
            ));
        }
        out
    }
}

impl FaultAction for Maintenance {
    fn apply(&self, frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        answer(frame, &self.rc)
    }
}

impl ConnAction for Maintenance {
    fn on_accept(&self, _rng: &mut ChaCha8Rng) -> ConnEffect {
        ConnEffect::Close
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dur::Dur;
    use crate::fault::testing::{sale, view};
    use crate::fault::{Action, Direction, Engine, Fate, Matcher, Rule};
    use rand::SeedableRng;
    use std::time::Duration;

    fn window(mode: &str) -> Rule {
        Rule {
            name: "nightly".into(),
            when: Matcher {
                from: Some(Dur::from_secs(10)),
                until: Some(Dur::from_secs(20)),
                ..Matcher::default()
            },
            action: Action::Maintenance(serde_yaml::from_str(&format!("mode: {mode}")).unwrap()),
        }
    }

    #[test]
    fn answer_mode_answers_91_inside_the_window_only() {
        let mut e = Engine::new(vec![window("answer")], ChaCha8Rng::seed_from_u64(0));
        let m = sale("000001");
        let mut f = view(Direction::ToHost, &m);
        f.now = Duration::from_secs(9);
        assert_eq!(e.on_frame(&f), None);
        f.now = Duration::from_secs(10);
        let fired = e.on_frame(&f).unwrap();
        assert_eq!(fired.effect.fate, Fate::Answered);
        assert_eq!(fired.effect.detail.as_deref(), Some("RC 91"));
    }

    #[test]
    fn accept_then_close_mode_closes_connections_inside_the_window() {
        let mut e = Engine::new(
            vec![window("accept_then_close")],
            ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(e.on_accept(1, Duration::from_secs(5)), None);
        let fired = e.on_accept(2, Duration::from_secs(15)).unwrap();
        assert_eq!(fired.effect, ConnEffect::Close);
    }

    #[test]
    fn refuse_mode_is_a_listener_window() {
        let e = Engine::new(vec![window("refuse")], ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.refusals().len(), 1);
    }
}
