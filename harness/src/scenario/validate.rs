//! Semantic checks that serde cannot express: references between sections, uniqueness, ranges.
//! Each problem is reported with the path of the offending value.

use std::collections::BTreeSet;
use std::time::Duration;

use posfault_proxies::fault::Rule;

use crate::host::{HostConfig, TxnType};
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
    if s.dialect.dialect().tpdu && s.envelope.is_none() {
        bad(
            "envelope".into(),
            format!(
                "the {} dialect routes messages by TPDU; add the terminal's, e.g. `envelope: \"6000030000\"`",
                s.dialect
            ),
        );
    }
    if s.time_limit.get() < s.tick.get() {
        bad(
            "time_limit".into(),
            format!("must be at least one tick ({})", s.tick),
        );
    }

    for (path, msg) in validate_host(&s.host, "host.") {
        bad(path, msg);
    }
    let t = &s.terminal;
    if t.connect_backoff_max.get() < t.connect_backoff.get() {
        bad(
            "terminal.connect_backoff_max".into(),
            format!(
                "the longest pause ({}) is shorter than the first one, connect_backoff ({}); expected at least {}",
                t.connect_backoff_max, t.connect_backoff, t.connect_backoff
            ),
        );
    }
    if !t.backup_host {
        for (i, r) in s.faults.iter().enumerate() {
            if r.when.route == Some(posfault_proxies::fault::Route::Backup) {
                bad(
                    format!("faults[{i}].when.route"),
                    "the terminal has no backup host, so no connection takes the backup route; add `backup_host: true` under `terminal:` or remove the condition".into(),
                );
            }
        }
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
    let cards: BTreeSet<&str> = s.host.cards.iter().map(|c| c.id.as_str()).collect();

    if s.schedule.is_empty() {
        bad(
            "schedule".into(),
            "add at least one step, e.g. `- sale: {id: t1, at: 1s, amount: \"12.34\", card: ...}`"
                .into(),
        );
    }
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for (i, step) in s.schedule.iter().enumerate() {
        let kind = step.kind();
        let at = format!("schedule[{i}].{kind}");
        // Before this step's own id goes in: `after` may only name an earlier transaction.
        for (path, msg) in validate_timing(s, i, step, &ids) {
            bad(path, msg);
        }
        if let Some(id) = step.id()
            && !ids.insert(id)
        {
            bad(
                format!("schedule[{i}]"),
                format!("transaction id {id:?} is used twice"),
            );
        }
        match step {
            Step::Settle(_) => {}
            Step::PowerCycle(p) | Step::HostRestart(p) => {
                if p.after.as_ref().is_some_and(|a| a.nth == Some(0)) {
                    bad(
                        format!("{at}.after.nth"),
                        "counts from 1: the first matching frame is nth: 1".into(),
                    );
                }
                if p.off_for.get().is_zero() {
                    bad(
                        format!("{at}.off_for"),
                        "expected a positive duration like \"5s\"".into(),
                    );
                }
            }
            Step::Sale(sale) => {
                if sale.txn_type == Some(TxnType::Refund) {
                    bad(
                        format!("{at}.type"),
                        format!(
                            "a refund is a step of its own, counted as a credit at settlement: \
                             `- refund: {{id: {}, at: 1s, card: {}, amount: \"{}\"}}`; a sale's type is \
                             purchase or cash",
                            sale.id, sale.card, sale.amount
                        ),
                    );
                }
                for (path, msg) in
                    validate_card_txn(&at, &sale.card, &sale.pin, sale.amount, &cards)
                {
                    bad(path, msg);
                }
            }
            Step::Auth(t) | Step::Refund(t) => {
                for (path, msg) in validate_card_txn(&at, &t.card, &t.pin, t.amount, &cards) {
                    bad(path, msg);
                }
            }
        }
    }

    out.extend(validate_rules(&s.faults));
    let mut bad = |path: String, msg: String| out.push((path, msg));

    let net = &s.network;
    if let Some(max) = net.latency_max
        && max < net.latency
    {
        bad(
            "network.latency_max".into(),
            format!(
                "latency_max ({max}) is below latency ({}); expected latency <= latency_max",
                net.latency
            ),
        );
    }
    if let Some(loss) = net.loss {
        for (name, p) in [
            ("fail_rate", loss.fail_rate),
            ("repair_rate", loss.repair_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                bad(
                    format!("network.loss.{name}"),
                    format!("expected a probability from 0 to 1, found {p}"),
                );
            }
        }
    }
    for (i, p) in net.partitions.iter().enumerate() {
        if p.until <= p.from {
            bad(
                format!("network.partitions[{i}].until"),
                format!(
                    "the partition ends ({}) before it starts ({}); `until` must be after `from`",
                    p.until, p.from
                ),
            );
        }
        // turmoil's random failure turns both directions of a link into a random partition
        // whenever either is healthy, and its random repair heals both: a one-way window
        // would end at the first random repair.
        if p.one_way && !p.stall && net.loss.is_some() {
            bad(
                format!("network.partitions[{i}].one_way"),
                "a one-way partition cannot be combined with `network.loss` (turmoil's random \
                 repair heals both directions, ending the window early); drop `one_way` for a \
                 full partition, or drop `network.loss`"
                    .into(),
            );
        }
        if p.stall && p.one_way {
            bad(
                format!("network.partitions[{i}].stall"),
                "a stall holds both directions (turmoil cannot hold one way); drop `one_way`, \
                 or drop `stall` for a one-way loss"
                    .into(),
            );
        }
        if p.between[0] == p.between[1] {
            bad(
                format!("network.partitions[{i}].between"),
                "name two different nodes, e.g. [proxy, host]".into(),
            );
        }
        // turmoil keeps one state per direction of a pair of nodes, and a full partition,
        // a stall and their repairs set both: the first window's end would repair the link in
        // the middle of the second. Only one-way windows in opposite directions keep apart.
        let pair = |q: &crate::scenario::Partition| {
            let mut n = q.between;
            n.sort();
            n
        };
        let apart = |q: &crate::scenario::Partition| {
            p.one_way && q.one_way && !p.stall && !q.stall && p.between != q.between
        };
        if let Some((j, q)) = net.partitions[..i]
            .iter()
            .enumerate()
            .find(|(_, q)| pair(q) == pair(p) && !apart(q) && q.from < p.until && p.from < q.until)
        {
            bad(
                format!("network.partitions[{i}].from"),
                format!(
                    "this window ({}..{}) overlaps partitions[{j}] ({}..{}) between the same \
                     nodes; the first to end would repair the link early. Merge them into one \
                     window, or let one end before the other starts",
                    p.from, p.until, q.from, q.until
                ),
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
    if let Some(j) = &s.expect.journal {
        let accounts: BTreeSet<&str> = s.host.accounts.iter().map(|a| a.id.as_str()).collect();
        for id in j.balances.keys() {
            if !accounts.contains(&id.as_str()) {
                bad(
                    format!("expect.journal.balances.{id}"),
                    format!(
                        "no account {id:?} in host.accounts; expected one of {}",
                        list(&accounts)
                    ),
                );
            }
        }
        if s.host.upstream.is_some() {
            bad(
                "expect.journal".into(),
                "a real host (host.upstream) keeps its own books, which posfault cannot read; \
                 pin `expect.outcomes` instead"
                    .into(),
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
    out.extend(validate_live(s));
    out
}

/// `host.upstream`: a real host, so only live, at a `HOST:PORT`, and without the settings that
/// only shape the reference host's answers.
fn validate_upstream(s: &Scenario) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let h = &s.host;
    let Some(addr) = &h.upstream else {
        return out;
    };
    if s.terminal.command.is_none() {
        out.push((
            "host.upstream".into(),
            "a real host can only be reached in a live run: add `terminal: {command: [posfault, \
             terminal, --stdio]}` (or your terminal's command)"
                .into(),
        ));
    }
    let port_ok = addr
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok {
        out.push((
            "host.upstream".into(),
            format!("expected HOST:PORT such as 127.0.0.1:8583, found {addr:?}"),
        ));
    }
    for (set, field) in [
        (!h.merchants.is_empty(), "merchants"),
        (!h.risk.is_empty(), "risk"),
        (h.processing_delay.is_some(), "processing_delay"),
        (h.capacity.is_some(), "capacity"),
        (!h.maintenance.is_empty(), "maintenance"),
        (!h.history.is_empty(), "history"),
    ] {
        if set {
            out.push((
                format!("host.{field}"),
                "configures the reference host, which host.upstream replaces by a real one; \
                 remove it (fault rules shape what the real host's answers go through)"
                    .into(),
            ));
        }
    }
    out
}

/// A scenario with `terminal.command` runs live (real TCP, a terminal process): what only the
/// simulation can do is refused here, with the live way to get it where there is one.
fn validate_live(s: &Scenario) -> Vec<(String, String)> {
    let mut out = validate_upstream(s);
    let Some(cmd) = &s.terminal.command else {
        return out;
    };
    let mut bad = |path: &str, msg: String| out.push((path.to_string(), msg));
    if cmd.first().is_none_or(|p| p.trim().is_empty()) {
        bad(
            "terminal.command",
            "expected the terminal's argv, e.g. [posfault, terminal, --stdio] or \
             [python3, terminal.py]"
                .into(),
        );
    }
    if s.terminal.fleet.is_some() {
        bad(
            "terminal.fleet",
            "a live run drives one terminal process; run fleets in the simulation (remove \
             `command`) or drop `fleet`"
                .into(),
        );
    }
    if !s.terminal.defects.is_empty() {
        bad(
            "terminal.defects",
            "defects switch the built-in simulated terminal's bugs; for a live run put them on \
             the built-in terminal's command line: [posfault, terminal, --stdio, --defect, \
             no_reversal_on_timeout]"
                .into(),
        );
    }
    if s.envelope.is_some() {
        bad(
            "envelope",
            "adapter protocol v1 passes no TPDU to the terminal; live runs use iso87 or \
             iso87-ascii without an envelope"
                .into(),
        );
    }
    for (i, step) in s.schedule.iter().enumerate() {
        if matches!(step.due(), Some(crate::scenario::Due::After { .. })) {
            let key = if matches!(step, Step::PowerCycle(_) | Step::HostRestart(_)) {
                "after_txn"
            } else {
                "after"
            };
            bad(
                &format!("schedule[{i}].{}.{key}", step.kind()),
                "live runs feed the schedule at fixed times only; give the step an `at:` time \
                 (or run it in a simulated scenario, without `terminal.command`)"
                    .into(),
            );
        }
        if let Step::HostRestart(_) = step {
            bad(
                &format!("schedule[{i}].host_restart"),
                "live runs do not restart the host yet; use it in a simulated scenario (no \
                 `terminal.command`)"
                    .into(),
            );
        }
    }
    for (i, card) in s.host.cards.iter().enumerate() {
        if card.declines_after_approval {
            bad(
                &format!("host.cards[{i}].declines_after_approval"),
                "a chip that declines after the host approved is simulated by the built-in \
                 terminal only; adapter protocol v1 does not pass it to a terminal process. \
                 Drop it here, or run the scenario simulated (without `terminal.command`)"
                    .into(),
            );
        }
    }
    let net = &s.network;
    if net.loss.is_some() {
        bad(
            "network.loss",
            "turmoil's link loss exists only in the simulation; in a live run use fault rules \
             (drop_frame, reset) instead"
                .into(),
        );
    }
    if !net.partitions.is_empty() {
        bad(
            "network.partitions",
            "partitions exist only in the simulation; in a live run use fault rules (refuse, \
             hang) instead"
                .into(),
        );
    }
    out
}

/// Problems with a step's timing: exactly one of `at` and `after` (for power cycles and host
/// restarts: one of `at`, `after` and `after_txn`), `wait` only with `after`, and `after`
/// naming a transaction that comes earlier in the schedule (`earlier` holds their ids).
fn validate_timing(
    s: &Scenario,
    i: usize,
    step: &Step,
    earlier: &BTreeSet<&str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let kind = step.kind();
    let at = format!("schedule[{i}].{kind}");
    let (given_at, after, wait, frame, after_key) = match step {
        Step::Sale(t) => (t.at.is_some(), t.after.as_deref(), t.wait, false, "after"),
        Step::Auth(t) | Step::Refund(t) => {
            (t.at.is_some(), t.after.as_deref(), t.wait, false, "after")
        }
        Step::Settle(t) => (t.at.is_some(), t.after.as_deref(), t.wait, false, "after"),
        Step::PowerCycle(p) | Step::HostRestart(p) => (
            p.at.is_some(),
            p.after_txn.as_deref(),
            p.wait,
            p.after.is_some(),
            "after_txn",
        ),
    };
    let given = usize::from(given_at) + usize::from(after.is_some()) + usize::from(frame);
    if given != 1 {
        let what = if given == 0 { "no start" } else { "two starts" };
        let hint = if after_key == "after" {
            "give exactly one of `at: 1s` or `after: t1` (an earlier transaction's id)".to_string()
        } else {
            "give exactly one of `at: 30s`, `after: {direction: to_host, mti: [\"0200\"]}` (a \
             frame) or `after_txn: t1` (an earlier transaction's id)"
                .to_string()
        };
        out.push((at.clone(), format!("{what}: {hint}")));
    }
    if wait.is_some() && after.is_none() {
        out.push((
            format!("{at}.wait"),
            format!("`wait` counts from an earlier transaction's outcome; add `{after_key}: t1` or drop `wait`"),
        ));
    }
    if let Some(txn) = after {
        let own = step.id() == Some(txn);
        let later = !own && s.schedule[i + 1..].iter().any(|l| l.id() == Some(txn));
        let problem = if own {
            Some(format!(
                "{txn:?} is this step's own id; a step can only follow an earlier transaction"
            ))
        } else if later {
            Some(format!(
                "{txn:?} comes later in the schedule; a step can only follow an earlier transaction, so move it before this step"
            ))
        } else if !earlier.contains(txn) {
            Some(format!(
                "no transaction {txn:?} before this step; expected one of {}",
                list(earlier)
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            out.push((format!("{at}.{after_key}"), p));
        }
    }
    out
}

/// Problems with the card, PIN and amount of a sale, authorisation or refund at `at`.
fn validate_card_txn(
    at: &str,
    card: &str,
    pin: &Option<String>,
    amount: crate::money::Amount,
    cards: &BTreeSet<&str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !cards.contains(card) {
        out.push((
            format!("{at}.card"),
            format!(
                "no card {card:?} in host.cards; expected one of {}",
                list(cards)
            ),
        ));
    }
    if let Some(pin) = pin
        && !is_pin(pin)
    {
        out.push((
            format!("{at}.pin"),
            format!("expected 4 to 12 digits, found {} characters", pin.len()),
        ));
    }
    if amount.0 <= 0 || amount.to_field4().is_none() {
        out.push((
            format!("{at}.amount"),
            format!("expected a positive amount of at most 12 digits, found {amount}"),
        ));
    }
    out
}

fn is_pin(pin: &str) -> bool {
    (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Problems in a host configuration; paths start with `prefix` (`host.` in a scenario, empty
/// for a host file of its own).
pub(crate) fn validate_host(h: &HostConfig, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut bad = |path: String, msg: String| out.push((format!("{prefix}{path}"), msg));

    if prefix.is_empty() && h.upstream.is_some() {
        // `posfault host` is the reference host itself; a real host belongs in a live scenario.
        bad(
            "upstream".into(),
            "names a real host in place of the reference host, which only a live scenario's \
             `host:` section can do; remove it from a file for `posfault host`"
                .into(),
        );
    }
    let accounts: BTreeSet<&str> = h.accounts.iter().map(|a| a.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, a) in h.accounts.iter().enumerate() {
        if !seen.insert(a.id.as_str()) {
            bad(
                format!("accounts[{i}].id"),
                format!("account {:?} is defined twice", a.id),
            );
        }
        if a.credit_limit.0 < 0 {
            bad(
                format!("accounts[{i}].credit_limit"),
                format!("expected zero or more, found {}", a.credit_limit),
            );
        }
        for (name, value) in [
            ("per_transaction", a.limits.per_transaction),
            ("daily_amount", a.limits.daily_amount),
        ] {
            if let Some(v) = value
                && v.0 <= 0
            {
                bad(
                    format!("accounts[{i}].limits.{name}"),
                    format!("expected a positive amount, found {v}"),
                );
            }
        }
    }
    let mut cards = BTreeSet::new();
    let mut pans = BTreeSet::new();
    for (i, c) in h.cards.iter().enumerate() {
        if !cards.insert(c.id.as_str()) {
            bad(
                format!("cards[{i}].id"),
                format!("card {:?} is defined twice", c.id),
            );
        }
        if !pans.insert(c.pan.reveal()) {
            bad(
                format!("cards[{i}].pan"),
                format!("card number {} is used by an earlier card", c.pan),
            );
        }
        if !accounts.contains(c.account.as_str()) {
            bad(
                format!("cards[{i}].account"),
                format!(
                    "no account {:?} in {prefix}accounts; expected one of {}",
                    c.account,
                    list(&accounts)
                ),
            );
        }
        if let Some(e) = &c.expiry
            && !crate::host::valid_expiry(e)
        {
            bad(
                format!("cards[{i}].expiry"),
                "expected YYMM with a month 01 to 12, e.g. \"2812\"".into(),
            );
        }
        if let Some(pin) = &c.pin
            && !is_pin(pin)
        {
            bad(
                format!("cards[{i}].pin"),
                format!("expected 4 to 12 digits, found {} characters", pin.len()),
            );
        }
        if c.transaction_types.as_ref().is_some_and(Vec::is_empty) {
            bad(
                format!("cards[{i}].transaction_types"),
                format!(
                    "lists no type; expected some of {}, or leave it out for all",
                    types()
                ),
            );
        }
    }
    let mut merchants = BTreeSet::new();
    let mut terminals = BTreeSet::new();
    for (i, m) in h.merchants.iter().enumerate() {
        if !merchants.insert(m.id.as_str()) {
            bad(
                format!("merchants[{i}].id"),
                format!("merchant {:?} is defined twice", m.id),
            );
        }
        for (j, t) in m.terminals.iter().enumerate() {
            if !terminals.insert(t.id.as_str()) {
                bad(
                    format!("merchants[{i}].terminals[{j}].id"),
                    format!("terminal {:?} is registered twice", t.id),
                );
            }
            if t.transaction_types.as_ref().is_some_and(Vec::is_empty) {
                bad(
                    format!("merchants[{i}].terminals[{j}].transaction_types"),
                    format!(
                        "lists no type; expected some of {}, or leave it out for all",
                        types()
                    ),
                );
            }
        }
    }
    for (i, p) in h.history.iter().enumerate() {
        if !cards.contains(p.card.as_str()) {
            bad(
                format!("history[{i}].card"),
                format!(
                    "no card {:?} in {prefix}cards; expected one of {}",
                    p.card,
                    list(&cards)
                ),
            );
        }
        if p.stan.len() != 6 || !p.stan.bytes().all(|b| b.is_ascii_digit()) {
            bad(
                format!("history[{i}].stan"),
                format!("expected 6 digits, e.g. \"000001\", found {:?}", p.stan),
            );
        }
        if p.amount.0 <= 0 {
            bad(
                format!("history[{i}].amount"),
                format!("expected a positive amount, found {}", p.amount),
            );
        }
    }
    if h.max_pin_tries == 0 {
        bad(
            "max_pin_tries".into(),
            "expected at least 1 (3 is usual)".into(),
        );
    }
    if let Some(max) = h.max_amount
        && max.0 <= 0
    {
        bad(
            "max_amount".into(),
            format!("expected a positive amount, found {max}"),
        );
    }
    let mut rules = BTreeSet::new();
    for (i, r) in h.risk.iter().enumerate() {
        if !rules.insert(r.name()) {
            bad(
                format!("risk[{i}].name"),
                format!("rule name {:?} is used twice", r.name()),
            );
        }
    }
    if let Some(problem) = h.processing_delay.and_then(|d| d.problem()) {
        bad("processing_delay".into(), problem);
    }
    if let Some(c) = &h.capacity {
        if c.max_in_flight == 0 {
            bad(
                "capacity.max_in_flight".into(),
                "expected at least 1: a host that takes no request is a maintenance window".into(),
            );
        }
        for (i, l) in c.busy.iter().enumerate() {
            if l.from >= l.until {
                bad(
                    format!("capacity.busy[{i}].until"),
                    format!("expected a time after from ({}), found {}", l.from, l.until),
                );
            }
        }
    }
    for (i, w) in h.maintenance.iter().enumerate() {
        if w.from >= w.until {
            bad(
                format!("maintenance[{i}].until"),
                format!("expected a time after from ({}), found {}", w.from, w.until),
            );
        }
    }
    out
}

fn types() -> String {
    [TxnType::Purchase, TxnType::Cash, TxnType::Refund]
        .map(|t| format!("{t:?}").to_lowercase())
        .join(", ")
}

/// Problems in fault rules, with paths under `faults[i]`; shared by scenarios and the live
/// proxy's `--faults` file.
pub(crate) fn validate_rules(rules: &[Rule]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut bad = |path: String, msg: String| out.push((path, msg));
    let mut names = BTreeSet::new();
    for (i, rule) in rules.iter().enumerate() {
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
        for (path, msg) in rule.problems() {
            let path = if path.is_empty() {
                format!("faults[{i}]")
            } else {
                format!("faults[{i}].{}", path.trim_end_matches('.'))
            };
            bad(path, msg);
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

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    /// A valid scenario with `steps` as its schedule, which starts on line 9.
    fn with_schedule(steps: &str) -> String {
        format!(
            "name: t\n\
             description: d\n\
             terminal: {{}}\n\
             host:\n  \
               accounts: [{{id: a, balance: \"100.00\"}}]\n  \
               cards:\n    \
                 - {{id: visa, pan: \"4761739001010010\", account: a}}\n\
             schedule:\n{steps}"
        )
    }

    /// The errors for `steps`, one string each.
    fn schedule_errors(steps: &str) -> Vec<String> {
        match load_str(&with_schedule(steps), "s.yaml") {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn steps_after_earlier_transactions_are_valid() {
        let steps = "  - auth: {id: a1, at: 1s, amount: \"50.00\", card: visa}\n\
                     \x20 - sale: {id: t1, after: a1, wait: 2s, amount: \"12.34\", card: visa}\n\
                     \x20 - refund: {id: r1, after: t1, amount: \"2.00\", card: visa}\n\
                     \x20 - power_cycle: {after_txn: r1, wait: 1s}\n\
                     \x20 - host_restart: {after_txn: t1}\n\
                     \x20 - settle: {id: s1, after: r1, wait: 1m}\n";
        assert_eq!(schedule_errors(steps), Vec::<String>::new());
    }

    #[test]
    fn after_an_unknown_id_names_the_known_ones() {
        let steps = "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n\
                     \x20 - refund: {id: r1, after: t9, amount: \"1.00\", card: visa}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:10:29: schedule[1].refund.after: no transaction \"t9\" before this step; \
                 expected one of \"t1\""
            ]
        );
    }

    #[test]
    fn after_a_later_transaction_is_a_cycle() {
        let steps = "  - sale: {id: t1, after: t2, amount: \"1.00\", card: visa}\n\
                     \x20 - sale: {id: t2, after: t1, amount: \"1.00\", card: visa}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:9:27: schedule[0].sale.after: \"t2\" comes later in the schedule; a step \
                 can only follow an earlier transaction, so move it before this step"
            ]
        );
    }

    #[test]
    fn after_itself_is_a_cycle() {
        let steps = "  - auth: {id: a1, after: a1, amount: \"1.00\", card: visa}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:9:27: schedule[0].auth.after: \"a1\" is this step's own id; a step can \
                 only follow an earlier transaction"
            ]
        );
    }

    #[test]
    fn both_or_neither_of_at_and_after_is_an_error() {
        let steps = "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n\
                     \x20 - settle: {id: s1, at: 1s, after: t1}\n\
                     \x20 - refund: {id: r1, amount: \"1.00\", card: visa}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:10:13: schedule[1].settle: two starts: give exactly one of `at: 1s` or \
                 `after: t1` (an earlier transaction's id)",
                "s.yaml:11:13: schedule[2].refund: no start: give exactly one of `at: 1s` or \
                 `after: t1` (an earlier transaction's id)",
            ]
        );
    }

    #[test]
    fn power_cycle_takes_one_of_at_a_frame_or_a_transaction() {
        let steps = "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}\n\
                     \x20 - power_cycle: {at: 5s, after_txn: t1}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:10:18: schedule[1].power_cycle: two starts: give exactly one of `at: \
                 30s`, `after: {direction: to_host, mti: [\"0200\"]}` (a frame) or `after_txn: t1` \
                 (an earlier transaction's id)"
            ]
        );
    }

    #[test]
    fn wait_without_after_is_an_error() {
        let steps = "  - sale: {id: t1, at: 1s, wait: 2s, amount: \"1.00\", card: visa}\n\
                     \x20 - host_restart: {at: 5s, wait: 1s}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:9:34: schedule[0].sale.wait: `wait` counts from an earlier transaction's \
                 outcome; add `after: t1` or drop `wait`",
                "s.yaml:10:34: schedule[1].host_restart.wait: `wait` counts from an earlier \
                 transaction's outcome; add `after_txn: t1` or drop `wait`",
            ]
        );
    }

    #[test]
    fn a_sale_of_type_refund_points_to_the_refund_step() {
        let steps = "  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa, type: refund}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:9:62: schedule[0].sale.type: a refund is a step of its own, counted as a \
                 credit at settlement: `- refund: {id: t1, at: 1s, card: visa, amount: \"1.00\"}`; \
                 a sale's type is purchase or cash"
            ]
        );
    }

    #[test]
    fn auth_and_refund_cards_and_amounts_are_checked_like_a_sale() {
        let steps = "  - auth: {id: a1, at: 1s, amount: \"0.00\", card: amex}\n";
        assert_eq!(
            schedule_errors(steps),
            [
                "s.yaml:9:50: schedule[0].auth.card: no card \"amex\" in host.cards; expected one \
                 of \"visa\"",
                "s.yaml:9:36: schedule[0].auth.amount: expected a positive amount of at most 12 \
                 digits, found 0.00",
            ]
        );
    }

    const BASE: &str = "name: t
description: d
terminal:
  connect_backoff: 5s
  connect_backoff_max: 2s
host:
  accounts: [{id: a, balance: \"10.00\"}]
  cards: [{id: visa, pan: \"4761739001010010\", account: a}]
faults:
  - name: backup-down
    when: {route: backup, from: 0s, until: 1m}
    action: {kind: refuse}
schedule:
  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}
";

    fn errors(text: &str) -> Vec<String> {
        match load_str(text, "s.yaml") {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_backoff_cap_below_the_first_pause_is_an_error_at_its_line() {
        let errs = errors(BASE);
        assert!(
            errs.iter().any(|e| e.starts_with("s.yaml:5:24: terminal.connect_backoff_max: the longest pause (2s) is shorter than the first one")),
            "{errs:#?}"
        );
    }

    #[test]
    fn a_rule_aimed_at_the_backup_route_needs_a_backup_host() {
        let errs = errors(BASE);
        assert!(
            errs.iter().any(|e| e.starts_with(
                "s.yaml:11:19: faults[0].when.route: the terminal has no backup host"
            )),
            "{errs:#?}"
        );
        let fixed = BASE.replace(
            "connect_backoff_max: 2s",
            "connect_backoff_max: 20s\n  backup_host: true",
        );
        assert_eq!(errors(&fixed), Vec::<String>::new());
    }

    #[test]
    fn overlapping_partitions_of_one_pair_are_an_error_at_the_later_one() {
        let two = "name: t
description: d
terminal: {}
host:
  accounts: [{id: a, balance: \"10.00\"}]
  cards: [{id: visa, pan: \"4761739001010010\", account: a}]
network:
  partitions:
    - {between: [proxy, host], from: 1s, until: 5s}
    - {between: [host, proxy], from: 4s, until: 9s}
schedule:
  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}
";
        let errs = errors(two);
        assert!(
            errs.iter().any(|e| e.starts_with("s.yaml:10:")
                && e.contains("network.partitions[1].from: this window (4s..9s) overlaps partitions[0] (1s..5s)")),
            "{errs:#?}"
        );
        assert_eq!(
            errors(&two.replace("from: 4s", "from: 5s")),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&two.replace("[host, proxy]", "[terminal, proxy]")),
            Vec::<String>::new()
        );
        // One-way windows: turmoil keeps each direction's state apart.
        let one_way = two.replace("until: 5s}", "until: 5s, one_way: true}");
        let one_way = one_way.replace("until: 9s}", "until: 9s, one_way: true}");
        assert_eq!(
            errors(&one_way),
            Vec::<String>::new(),
            "opposite directions"
        );
        let overlaps = |yaml: &str| {
            errors(yaml)
                .iter()
                .any(|e| e.contains("overlaps partitions[0]"))
        };
        let same_way = one_way.replace("[host, proxy]", "[proxy, host]");
        assert!(overlaps(&same_way), "same direction");
        let lossy = one_way.replace("network:\n", "network:\n  loss: {fail_rate: 0.01}\n");
        assert!(
            errors(&lossy).iter().any(|e| e.contains(
                "network.partitions[0].one_way: a one-way partition cannot be combined with `network.loss`"
            )),
            "{:#?}",
            errors(&lossy)
        );
        let with_full = two.replace("until: 9s}", "until: 9s, one_way: true}");
        assert!(
            overlaps(&with_full),
            "a full partition's repair heals both directions"
        );
    }

    #[test]
    fn a_live_run_refuses_a_card_flag_the_adapter_cannot_pass_and_steps_timed_by_outcomes() {
        let live = "name: t
description: d
terminal: {command: [posfault, terminal, --stdio]}
host:
  accounts: [{id: a, balance: \"10.00\"}]
  cards: [{id: visa, pan: \"4761739001010010\", account: a, declines_after_approval: true}]
schedule:
  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}
  - sale: {id: t2, after: t1, amount: \"1.00\", card: visa}
";
        let errs = errors(live);
        assert!(
            errs.iter().any(|e| e.starts_with("s.yaml:6:")
                && e.contains("host.cards[0].declines_after_approval: a chip that declines")),
            "{errs:#?}"
        );
        assert!(
            errs.iter().any(|e| e.contains(
                "schedule[1].sale.after: live runs feed the schedule at fixed times only; give \
                 the step an `at:` time (or run"
            )),
            "{errs:#?}"
        );
        let simulated = live.replace("{command: [posfault, terminal, --stdio]}", "{}");
        assert_eq!(errors(&simulated), Vec::<String>::new());
    }

    #[test]
    fn journal_balances_must_name_a_host_account() {
        let text = "name: t
description: d
terminal: {}
host:
  accounts: [{id: a, balance: \"10.00\"}]
  cards: [{id: visa, pan: \"4761739001010010\", account: a}]
schedule:
  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}
expect:
  journal: {net: \"-1.00\", balances: {cardholder: \"9.00\"}}
";
        let errs = errors(text);
        assert!(
            errs.iter().any(|e| e.starts_with("s.yaml:10:")
                && e.contains("expect.journal.balances.cardholder: no account \"cardholder\" in host.accounts; expected one of \"a\"")),
            "{errs:#?}"
        );
        assert_eq!(
            errors(&text.replace("cardholder:", "a:")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_one_way_stall_is_an_error_at_its_line() {
        let one_way = "name: t
description: d
terminal: {}
host:
  accounts: [{id: a, balance: \"10.00\"}]
  cards: [{id: visa, pan: \"4761739001010010\", account: a}]
network:
  partitions:
    - {between: [terminal, proxy], from: 1s, until: 5s, one_way: true, stall: true}
schedule:
  - sale: {id: t1, at: 1s, amount: \"1.00\", card: visa}
";
        let errs = errors(one_way);
        assert!(
            errs.iter().any(|e| e.starts_with(
                "s.yaml:9:79: network.partitions[0].stall: a stall holds both directions"
            )),
            "{errs:#?}"
        );
        assert_eq!(
            errors(&one_way.replace(" one_way: true,", "")),
            Vec::<String>::new()
        );
    }
}
