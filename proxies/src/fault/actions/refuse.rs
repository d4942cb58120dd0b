//! `kind: refuse`: new connections are refused for a time window (`when: {from, until}`), as
//! when the host's listener is down. The proxy closes its listening socket for the window, so
//! the refusal is real: the terminal's `connect` fails (ECONNREFUSED live, ConnectionRefused in
//! turmoil) and nothing reaches the host. Connections already open are not touched.

use serde::{Deserialize, Serialize};

/// Refuses connections while the rule's window is open. Evaluated by the listener, not per
/// frame, so only `from` and `until` apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refuse {}

#[cfg(test)]
mod tests {
    use crate::dur::Dur;
    use crate::fault::{Action, Engine, Matcher, Refusal, Rule};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_engine_lists_the_window_for_the_listener() {
        let rule = Rule {
            name: "host-down".into(),
            when: Matcher {
                from: Some(Dur::from_secs(5)),
                until: Some(Dur::from_secs(65)),
                ..Matcher::default()
            },
            action: Action::Refuse(super::Refuse {}),
        };
        let e = Engine::new(vec![rule], ChaCha8Rng::seed_from_u64(0));
        assert_eq!(
            e.refusals(),
            vec![Refusal {
                rule: "host-down".into(),
                from: Dur::from_secs(5).get(),
                until: Dur::from_secs(65).get(),
            }]
        );
    }

    #[test]
    fn a_refuse_rule_without_a_window_or_with_a_connection_number_is_reported() {
        let mut rule = Rule {
            name: "r".into(),
            when: Matcher::default(),
            action: Action::Refuse(super::Refuse {}),
        };
        assert!(
            rule.problems()
                .iter()
                .any(|(_, m)| m.contains("`from` and `until`"))
        );
        rule.when = Matcher {
            from: Some(Dur::from_secs(1)),
            until: Some(Dur::from_secs(2)),
            conn: Some(1),
            ..Matcher::default()
        };
        assert!(rule.problems().iter().any(|(_, m)| m.contains("no number")));
    }
}
