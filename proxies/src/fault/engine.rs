//! Rule evaluation with per-rule history and the run's seeded RNG.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::fault::actions::{ConnEffect, Effect, Piece, Scope};
use crate::fault::rule::{Direction, Route, Rule};
use crate::wire::{Dialect, Framing, Message};

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
    /// The dialect, for actions that build or change messages.
    pub dialect: &'a Dialect,
    /// The framing, for actions that write raw bytes.
    pub framing: Framing,
}

impl FrameView<'_> {
    /// The frame as it goes on the wire, `after` its arrival.
    pub fn piece(&self, after: Duration) -> Piece {
        Piece {
            after,
            bytes: self.on_wire(),
        }
    }

    /// The frame with its framing header, as it arrived. It arrived under this framing, so
    /// its length fits the header; should that ever fail, the bare bytes are kept rather than
    /// lost.
    pub fn on_wire(&self) -> Vec<u8> {
        self.framing
            .frame(self.raw)
            .unwrap_or_else(|_| self.raw.to_vec())
    }
}

/// A rule that fired on a frame and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule's name.
    pub rule: String,
    /// What the link must do.
    pub effect: Effect,
}

/// A rule that fired on a new connection and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnFired {
    /// The rule's name.
    pub rule: String,
    /// What the link must do.
    pub effect: ConnEffect,
}

/// A time window in which the listener is closed, so new connections are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule's name.
    pub rule: String,
    /// When the window opens.
    pub from: Duration,
    /// When it closes.
    pub until: Duration,
}

struct RuleState {
    rule: Rule,
    /// Frames (or connections) that met the rule's conditions so far (for `nth`).
    matched: u32,
    /// Times the rule fired (for `max_fires`).
    fired: u32,
}

/// The fault engine for one run (or one live proxy).
pub struct Engine {
    rules: Vec<RuleState>,
    rng: ChaCha8Rng,
    extra_refusals: Vec<Refusal>,
    /// The route of each connection, by number - 1: connections are numbered here, across
    /// every listener sharing the engine, so numbers never collide between routes.
    routes: Vec<Route>,
}

impl Engine {
    /// An engine over `rules` (evaluated in order) drawing from `rng`.
    pub fn new(rules: Vec<Rule>, rng: ChaCha8Rng) -> Self {
        Engine {
            rules: rules
                .into_iter()
                .map(|rule| RuleState {
                    rule,
                    matched: 0,
                    fired: 0,
                })
                .collect(),
            extra_refusals: Vec::new(),
            routes: Vec::new(),
            rng,
        }
    }

    /// Decides about one frame: the first frame-level rule that matches fires; `None` means
    /// forward as is.
    ///
    /// Every rule whose conditions hold counts the frame towards its `nth`, even when an earlier
    /// rule fires, so "the 2nd 0210" means the 2nd 0210 on the link whatever else happened to
    /// the first. The RNG is drawn from only for a rule with a `probability` that is otherwise
    /// about to fire, so adding a rule elsewhere does not shift the draws of this one.
    pub fn on_frame(&mut self, frame: &FrameView<'_>) -> Option<Fired> {
        let route = self.route_of(frame.conn);
        let mut fired = None;
        for state in &mut self.rules {
            if state.rule.action.scope() != Scope::Frame || !state.rule.when.accepts(frame, route) {
                continue;
            }
            state.matched += 1;
            if fired.is_some() || !state.may_fire(&mut self.rng) {
                continue;
            }
            if let Some(effect) = state.rule.action.apply(frame, &mut self.rng) {
                state.fired += 1;
                fired = Some(Fired {
                    rule: state.rule.name.clone(),
                    effect,
                });
            }
        }
        fired
    }

    /// Decides about a new connection: the first connection-level rule that matches fires;
    /// `None` means relay it normally.
    pub fn on_accept(&mut self, conn: u32, now: Duration) -> Option<ConnFired> {
        let route = self.route_of(conn);
        let mut fired = None;
        for state in &mut self.rules {
            let when = &state.rule.when;
            if state.rule.action.scope() != Scope::Connection
                || !when.accepts_conn(conn, route, now)
            {
                continue;
            }
            state.matched += 1;
            if fired.is_some() || !state.may_fire(&mut self.rng) {
                continue;
            }
            if let Some(effect) = state.rule.action.on_accept(&mut self.rng) {
                state.fired += 1;
                fired = Some(ConnFired {
                    rule: state.rule.name.clone(),
                    effect,
                });
            }
        }
        fired
    }

    /// Numbers a new connection that came in on `route`: 1, 2, ... in accept order across all
    /// routes.
    pub fn open_conn(&mut self, route: Route) -> u32 {
        self.routes.push(route);
        self.routes.len() as u32
    }

    /// The route connection `conn` took; connections the engine did not number (a relay
    /// driven directly, as in tests) count as primary.
    pub fn route_of(&self, conn: u32) -> Route {
        (conn as usize)
            .checked_sub(1)
            .and_then(|i| self.routes.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Adds refusal windows that come from outside the rules (a host's own maintenance
    /// windows, which a proxy in front of it must mirror, or a terminal would connect to the
    /// proxy while the real host refuses).
    pub fn with_refusals(mut self, extra: Vec<Refusal>) -> Self {
        self.extra_refusals = extra;
        self
    }

    /// The refusal windows, in rule order then the added ones; the listener is closed while
    /// `now` is inside one.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.refusals_on(None)
    }

    /// The refusal windows for the listener of one route: rules aimed at that route or at
    /// none, and the added ones (the host's own, which close every route).
    pub fn refusals_on(&self, route: Option<Route>) -> Vec<Refusal> {
        self.rules
            .iter()
            .filter(|s| s.rule.action.scope() == Scope::Listener)
            .filter(|s| route.is_none() || s.rule.when.route.is_none_or(|r| Some(r) == route))
            .filter_map(|s| {
                Some(Refusal {
                    rule: s.rule.name.clone(),
                    from: s.rule.when.from?.get(),
                    until: s.rule.when.until?.get(),
                })
            })
            .chain(self.extra_refusals.iter().cloned())
            .collect()
    }
}

impl RuleState {
    /// `nth`, the cap, then the probability draw, in that order.
    fn may_fire(&self, rng: &mut ChaCha8Rng) -> bool {
        let when = &self.rule.when;
        if when.nth.is_some_and(|n| n != self.matched) {
            return false;
        }
        if when.max_fires.is_some_and(|cap| self.fired >= cap) {
            return false;
        }
        when.probability
            .is_none_or(|p| rng.random_bool(p.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::actions::{Action, DropFrame, Fate};
    use crate::fault::rule::Matcher;
    use crate::fault::testing::{sale, view};
    use crate::wire::Mti;
    use rand::SeedableRng;

    fn msg(mti: &str) -> Message {
        Message::new(mti.parse().unwrap())
    }

    fn drop_when(when: Matcher) -> Rule {
        Rule {
            name: "lose-reply".into(),
            when,
            action: Action::DropFrame(DropFrame {}),
        }
    }

    fn replies(nth: Option<u32>) -> Matcher {
        Matcher {
            direction: Some(Direction::ToTerminal),
            mti: vec![Mti::new(*b"0210").unwrap()],
            nth,
            ..Matcher::default()
        }
    }

    fn dropped(fired: Option<Fired>) -> bool {
        fired.is_some_and(|f| f.effect.fate == Fate::Dropped)
    }

    #[test]
    fn nth_fires_once_on_the_nth_matching_frame_only() {
        let mut e = Engine::new(
            vec![drop_when(replies(Some(2)))],
            ChaCha8Rng::seed_from_u64(1),
        );
        let (req, rsp) = (msg("0200"), msg("0210"));
        let fates: Vec<_> = [
            view(Direction::ToHost, &req),
            view(Direction::ToTerminal, &rsp),
            view(Direction::ToHost, &req),
            view(Direction::ToTerminal, &rsp),
            view(Direction::ToTerminal, &rsp),
        ]
        .iter()
        .map(|f| dropped(e.on_frame(f)))
        .collect();
        assert_eq!(fates, vec![false, false, false, true, false]);
    }

    #[test]
    fn undecodable_frames_never_match_an_mti_condition() {
        let mut e = Engine::new(
            vec![drop_when(replies(Some(1)))],
            ChaCha8Rng::seed_from_u64(1),
        );
        let rsp = msg("0210");
        let mut f = view(Direction::ToTerminal, &rsp);
        f.message = None;
        assert_eq!(e.on_frame(&f), None);
    }

    #[test]
    fn first_matching_rule_wins_and_names_itself() {
        let mut second = drop_when(replies(Some(1)));
        second.name = "second".into();
        let mut e = Engine::new(
            vec![drop_when(replies(Some(1))), second],
            ChaCha8Rng::seed_from_u64(1),
        );
        let rsp = msg("0210");
        let fired = e.on_frame(&view(Direction::ToTerminal, &rsp)).unwrap();
        assert_eq!(fired.rule, "lose-reply");
    }

    #[test]
    fn field_equals_and_prefix_select_one_card_and_one_stan() {
        let mut when = Matcher::default();
        when.fields.insert(11, "000002".into()); // STAN
        when.field_prefixes.insert(2, "476173".into()); // PAN
        let mut e = Engine::new(vec![drop_when(when)], ChaCha8Rng::seed_from_u64(1));
        let (first, second) = (sale("000001"), sale("000002"));
        assert!(!dropped(e.on_frame(&view(Direction::ToHost, &first))));
        assert!(dropped(e.on_frame(&view(Direction::ToHost, &second))));
    }

    #[test]
    fn conn_and_time_window_limit_where_a_rule_fires() {
        let when = Matcher {
            conn: Some(2),
            from: Some(crate::dur::Dur::from_secs(10)),
            until: Some(crate::dur::Dur::from_secs(20)),
            ..Matcher::default()
        };
        let mut e = Engine::new(vec![drop_when(when)], ChaCha8Rng::seed_from_u64(1));
        let m = sale("000001");
        let at = |conn, secs| {
            let mut v = view(Direction::ToHost, &m);
            v.conn = conn;
            v.now = Duration::from_secs(secs);
            v
        };
        let fates: Vec<_> = [at(1, 15), at(2, 5), at(2, 10), at(2, 19), at(2, 20)]
            .iter()
            .map(|f| dropped(e.on_frame(f)))
            .collect();
        assert_eq!(fates, vec![false, false, true, true, false]);
    }

    #[test]
    fn max_fires_caps_a_rule() {
        let when = Matcher {
            max_fires: Some(2),
            ..Matcher::default()
        };
        let mut e = Engine::new(vec![drop_when(when)], ChaCha8Rng::seed_from_u64(1));
        let m = sale("000001");
        let n = (0..5)
            .filter(|_| dropped(e.on_frame(&view(Direction::ToHost, &m))))
            .count();
        assert_eq!(n, 2);
    }

    #[test]
    fn probability_draws_replay_with_the_same_seed_and_differ_across_seeds() {
        let decisions = |seed: u64| -> Vec<bool> {
            let when = Matcher {
                probability: Some(0.5),
                ..Matcher::default()
            };
            let mut e = Engine::new(vec![drop_when(when)], ChaCha8Rng::seed_from_u64(seed));
            let m = sale("000001");
            (0..64)
                .map(|_| dropped(e.on_frame(&view(Direction::ToHost, &m))))
                .collect()
        };
        for seed in 0..20 {
            assert_eq!(decisions(seed), decisions(seed), "seed {seed}");
            let fired = decisions(seed).iter().filter(|d| **d).count();
            assert!((16..=48).contains(&fired), "seed {seed}: {fired} of 64");
        }
        assert_ne!(decisions(1), decisions(2));
    }
}
