//! Rule evaluation with per-rule history and the run's seeded RNG.

use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use crate::fault::actions::Effect;
use crate::fault::rule::{Direction, Rule};
use crate::wire::Message;

/// What the engine may look at when deciding about one frame.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    /// Which way the frame travels.
    pub direction: Direction,
    /// Connection number, 1-based, in accept order.
    pub conn: u32,
    /// The decoded message, or `None` when the frame did not decode.
    pub message: Option<&'a Message>,
    /// The frame's message bytes (without framing header).
    pub raw: &'a [u8],
    /// Time since the run started (simulated time in the simulation).
    pub now: Duration,
}

/// A rule that fired and what it does to the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule's name.
    pub rule: String,
    /// What the link must do.
    pub effect: Effect,
}

struct RuleState {
    rule: Rule,
    /// Frames that met the rule's conditions so far (for `nth`).
    matched: u32,
}

/// The fault engine for one run (or one live proxy).
pub struct Engine {
    rules: Vec<RuleState>,
    rng: ChaCha8Rng,
}

impl Engine {
    /// An engine over `rules` (evaluated in order) drawing from `rng`.
    pub fn new(rules: Vec<Rule>, rng: ChaCha8Rng) -> Self {
        Engine {
            rules: rules
                .into_iter()
                .map(|rule| RuleState { rule, matched: 0 })
                .collect(),
            rng,
        }
    }

    /// Decides about one frame: the first rule that matches fires; `None` means forward as is.
    ///
    /// Every rule whose conditions hold counts the frame towards its `nth`, even when an earlier
    /// rule fires, so "the 2nd 0210" means the 2nd 0210 on the link whatever else happened to
    /// the first.
    pub fn on_frame(&mut self, frame: &FrameView<'_>) -> Option<Fired> {
        let mut fired = None;
        for state in &mut self.rules {
            if !state.rule.when.accepts(frame) {
                continue;
            }
            state.matched += 1;
            if fired.is_some() {
                continue;
            }
            if state.rule.when.nth.is_some_and(|n| n != state.matched) {
                continue;
            }
            fired = Some(Fired {
                rule: state.rule.name.clone(),
                effect: state.rule.action.apply(frame, &mut self.rng),
            });
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::actions::{Action, DropFrame};
    use crate::fault::rule::Matcher;
    use rand::SeedableRng;

    fn msg(mti: &str) -> Message {
        Message::new(mti.parse().unwrap())
    }

    fn view<'a>(dir: Direction, m: &'a Message) -> FrameView<'a> {
        FrameView {
            direction: dir,
            conn: 1,
            message: Some(m),
            raw: b"",
            now: Duration::ZERO,
        }
    }

    fn drop_nth(n: u32) -> Rule {
        Rule {
            name: "lose-reply".into(),
            when: Matcher {
                direction: Some(Direction::ToTerminal),
                mti: vec!["0210".parse().unwrap()],
                nth: Some(n),
            },
            action: Action::DropFrame(DropFrame {}),
        }
    }

    #[test]
    fn nth_fires_once_on_the_nth_matching_frame_only() {
        let mut e = Engine::new(vec![drop_nth(2)], ChaCha8Rng::seed_from_u64(1));
        let (req, rsp) = (msg("0200"), msg("0210"));
        let fates: Vec<_> = [
            view(Direction::ToHost, &req),
            view(Direction::ToTerminal, &rsp),
            view(Direction::ToHost, &req),
            view(Direction::ToTerminal, &rsp),
            view(Direction::ToTerminal, &rsp),
        ]
        .iter()
        .map(|f| e.on_frame(f).map(|f| f.effect))
        .collect();
        assert_eq!(fates, vec![None, None, None, Some(Effect::Drop), None]);
    }

    #[test]
    fn undecodable_frames_never_match_an_mti_condition() {
        let mut e = Engine::new(vec![drop_nth(1)], ChaCha8Rng::seed_from_u64(1));
        let f = FrameView {
            direction: Direction::ToTerminal,
            conn: 1,
            message: None,
            raw: b"garbage",
            now: Duration::ZERO,
        };
        assert_eq!(e.on_frame(&f), None);
    }

    #[test]
    fn first_matching_rule_wins_and_names_itself() {
        let mut second = drop_nth(1);
        second.name = "second".into();
        let mut e = Engine::new(vec![drop_nth(1), second], ChaCha8Rng::seed_from_u64(1));
        let rsp = msg("0210");
        let fired = e.on_frame(&view(Direction::ToTerminal, &rsp)).unwrap();
        assert_eq!(fired.rule, "lose-reply");
    }
}
