//! Semantic checks that serde cannot express: references between sections, uniqueness, ranges.
//! Each problem is reported with the path of the offending value.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::scenario::{Scenario, Step};

/// Every problem found, as (path, message).
pub fn validate(s: &Scenario) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut bad = |path: String, msg: String| out.push((path, msg));

    if s.name.trim().is_empty() {
        bad("name".into(), "must not be empty".into());
    }
    if s.description.trim().is_empty() {
        bad("description".into(), "say what the scenario proves".into());
    }
    if s.tick.get().is_zero() || s.tick.get() > Duration::from_secs(1) {
        bad(
            "tick".into(),
            format!("expected a tick between 1ms and 1s, found {}", s.tick),
        );
    }
    if s.time_limit.get() < s.tick.get() {
        bad(
            "time_limit".into(),
            format!("must be at least one tick ({})", s.tick),
        );
    }

    let mut reqs = BTreeSet::new();
    for (i, r) in s.requirements.iter().enumerate() {
        if r.is_empty() || r.chars().any(char::is_whitespace) {
            bad(
                format!("requirements[{i}]"),
                format!("expected an ID without spaces like \"REV-01\", found {r:?}"),
            );
        } else if !reqs.insert(r.as_str()) {
            bad(format!("requirements[{i}]"), format!("{r} is listed twice"));
        }
    }

    let accounts: BTreeSet<&str> = s.host.accounts.iter().map(|a| a.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, a) in s.host.accounts.iter().enumerate() {
        if !seen.insert(a.id.as_str()) {
            bad(
                format!("host.accounts[{i}].id"),
                format!("account {:?} is defined twice", a.id),
            );
        }
    }
    let mut cards = BTreeSet::new();
    for (i, c) in s.host.cards.iter().enumerate() {
        if !cards.insert(c.id.as_str()) {
            bad(
                format!("host.cards[{i}].id"),
                format!("card {:?} is defined twice", c.id),
            );
        }
        if !accounts.contains(c.account.as_str()) {
            bad(
                format!("host.cards[{i}].account"),
                format!(
                    "no account {:?} in host.accounts; expected one of {}",
                    c.account,
                    list(&accounts)
                ),
            );
        }
    }

    if s.schedule.is_empty() {
        bad(
            "schedule".into(),
            "add at least one step, e.g. `- sale: {id: t1, at: 1s, amount: \"12.34\", card: ...}`"
                .into(),
        );
    }
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for (i, step) in s.schedule.iter().enumerate() {
        if let Some(id) = step.id()
            && !ids.insert(id)
        {
            bad(
                format!("schedule[{i}]"),
                format!("transaction id {id:?} is used twice"),
            );
        }
        match step {
            Step::PowerCycle(p) => {
                if p.at.is_some() == p.after.is_some() {
                    bad(
                        format!("schedule[{i}].power_cycle"),
                        "give exactly one of `at: 30s` or `after: {direction: to_host, mti: [\"0200\"]}`".into(),
                    );
                }
                if p.after.as_ref().is_some_and(|a| a.nth == Some(0)) {
                    bad(
                        format!("schedule[{i}].power_cycle.after.nth"),
                        "counts from 1: the first matching frame is nth: 1".into(),
                    );
                }
                if p.off_for.get().is_zero() {
                    bad(
                        format!("schedule[{i}].power_cycle.off_for"),
                        "expected a positive duration like \"5s\"".into(),
                    );
                }
            }
            Step::Sale(sale) => {
                if !cards.contains(sale.card.as_str()) {
                    bad(
                        format!("schedule[{i}].sale.card"),
                        format!(
                            "no card {:?} in host.cards; expected one of {}",
                            sale.card,
                            list(&cards)
                        ),
                    );
                }
                if sale.amount.0 <= 0 || sale.amount.to_field4().is_none() {
                    bad(
                        format!("schedule[{i}].sale.amount"),
                        format!(
                            "expected a positive amount of at most 12 digits, found {}",
                            sale.amount
                        ),
                    );
                }
            }
        }
    }

    let mut names = BTreeSet::new();
    for (i, rule) in s.faults.iter().enumerate() {
        if rule.name.trim().is_empty() {
            bad(
                format!("faults[{i}].name"),
                "give the rule a name; it appears in the transcript when it fires".into(),
            );
        } else if !names.insert(rule.name.as_str()) {
            bad(
                format!("faults[{i}].name"),
                format!("rule name {:?} is used twice", rule.name),
            );
        }
        if rule.when.nth == Some(0) {
            bad(
                format!("faults[{i}].when.nth"),
                "counts from 1: the first matching frame is nth: 1".into(),
            );
        }
    }

    for id in s.expect.outcomes.keys() {
        if !ids.contains(id.as_str()) {
            bad(
                format!("expect.outcomes.{id}"),
                format!(
                    "no transaction {id:?} in the schedule; expected one of {}",
                    list(&ids)
                ),
            );
        }
    }
    let mut failing = BTreeSet::new();
    for (i, c) in s.expect.failing_checks.iter().enumerate() {
        if !failing.insert(*c) {
            bad(
                format!("expect.failing_checks[{i}]"),
                format!("{c} is listed twice"),
            );
        }
    }
    out
}

fn list(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "(none defined)".into();
    }
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
