//! `--time-scale F`: one scenario, slower or faster in wall-clock time. Every duration that
//! decides *when* something happens is multiplied here, in one place, so a live run at 0.5 is
//! the same story told twice as fast: the schedule and power cycles, the terminal's timeouts,
//! redial backoff, sign-on idle time, echo interval and reversal interval (which reach an external terminal through its environment), the
//! time limit, the host's processing delay and maintenance windows, and the fault rules'
//! `from`/`until` windows and `delay` actions.
//!
//! Not scaled: the gaps inside `duplicate`, `fragment`, `throttle` and `delay_accept` actions
//! (small by nature; scaling them would mean a method on every action), host risk windows
//! (`velocity.within`), and the network latency, which live runs do not simulate.

use std::time::Duration;

use posfault_proxies::dur::Dur;
use posfault_proxies::fault::Action;

use crate::host::Delay;
use crate::scenario::{Scenario, Step};

/// `d` times `factor`, to the millisecond (rounded), never below 1 ms for a non-zero `d`.
pub fn scale_dur(d: Dur, factor: f64) -> Dur {
    if d.get().is_zero() {
        return d;
    }
    let ms = (d.get().as_secs_f64() * 1000.0 * factor).round().max(1.0);
    Dur(Duration::from_millis(ms as u64))
}

/// A copy of `s` with its timings multiplied by `factor` (> 0); `1.0` returns an identical copy.
pub fn scaled(s: &Scenario, factor: f64) -> Scenario {
    let mut s = s.clone();
    if factor == 1.0 {
        return s;
    }
    let f = |d: &mut Dur| *d = scale_dur(*d, factor);
    f(&mut s.time_limit);
    f(&mut s.terminal.response_timeout);
    f(&mut s.terminal.connect_timeout);
    f(&mut s.terminal.reversal_interval);
    f(&mut s.terminal.connect_backoff);
    f(&mut s.terminal.connect_backoff_max);
    for d in [&mut s.terminal.sign_on_idle, &mut s.terminal.echo_interval]
        .into_iter()
        .flatten()
    {
        f(d);
    }
    for step in &mut s.schedule {
        match step {
            Step::Sale(x) => x.at.iter_mut().chain(x.wait.iter_mut()).for_each(f),
            Step::Auth(x) | Step::Refund(x) => x.at.iter_mut().chain(x.wait.iter_mut()).for_each(f),
            Step::Settle(x) => x.at.iter_mut().chain(x.wait.iter_mut()).for_each(f),
            Step::PowerCycle(p) | Step::HostRestart(p) => {
                p.at.iter_mut().chain(p.wait.iter_mut()).for_each(f);
                f(&mut p.off_for);
            }
        }
    }
    match &mut s.host.processing_delay {
        Some(Delay::Fixed { delay }) => f(delay),
        Some(Delay::Uniform { min, max }) => {
            f(min);
            f(max);
        }
        None => {}
    }
    for w in &mut s.host.maintenance {
        f(&mut w.from);
        f(&mut w.until);
    }
    for rule in &mut s.faults {
        for d in [&mut rule.when.from, &mut rule.when.until]
            .into_iter()
            .flatten()
        {
            f(d);
        }
        if let Action::Delay(d) = &mut rule.action {
            for x in [
                &mut d.by,
                &mut d.min,
                &mut d.max,
                &mut d.mean,
                &mut d.deviation,
            ]
            .into_iter()
            .flatten()
            {
                f(x);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const YAML: &str = r#"
name: t
description: scaling
time_limit: 60s
terminal: {response_timeout: 2s, reversal_interval: 300ms, connect_backoff: 1s, connect_backoff_max: 4s, sign_on: true, sign_on_idle: 10s, echo_interval: 6s}
host:
  accounts: [{id: a, balance: "100.00"}]
  cards: [{id: visa, pan: "4761739001010010", account: a}]
  processing_delay: {kind: fixed, delay: 100ms}
  maintenance: [{from: 10s, until: 20s, mode: refuse}]
faults:
  - {name: late, when: {from: 1s, until: 5s}, action: {kind: delay, by: 3s}}
schedule:
  - sale: {id: t1, at: 1s, amount: "1.00", card: visa}
  - power_cycle: {at: 4s, off_for: 2s}
"#;

    #[test]
    fn every_timing_that_decides_when_things_happen_is_scaled_once() {
        let s = load_str(YAML, "t.yaml").unwrap();
        let h = scaled(&s, 0.5);
        assert_eq!(h.time_limit, Dur::from_secs(30));
        assert_eq!(h.terminal.response_timeout, Dur::from_secs(1));
        assert_eq!(h.terminal.reversal_interval, Dur::from_millis(150));
        assert_eq!(h.terminal.connect_backoff, Dur::from_millis(500));
        assert_eq!(h.terminal.connect_backoff_max, Dur::from_secs(2));
        assert_eq!(h.terminal.sign_on_idle, Some(Dur::from_secs(5)));
        assert_eq!(h.terminal.echo_interval, Some(Dur::from_secs(3)));
        let Step::Sale(sale) = &h.schedule[0] else {
            panic!("a sale")
        };
        assert_eq!(sale.at, Some(Dur::from_millis(500)));
        let Step::PowerCycle(p) = &h.schedule[1] else {
            panic!("a power cycle")
        };
        assert_eq!(
            (p.at, p.off_for),
            (Some(Dur::from_secs(2)), Dur::from_secs(1))
        );
        assert_eq!(
            h.host.processing_delay,
            Some(Delay::Fixed {
                delay: Dur::from_millis(50)
            })
        );
        assert_eq!(h.host.maintenance[0].from, Dur::from_secs(5));
        assert_eq!(h.faults[0].when.until, Some(Dur::from_millis(2500)));
        let Action::Delay(d) = &h.faults[0].action else {
            panic!("a delay")
        };
        assert_eq!(d.by, Some(Dur::from_millis(1500)));
        // Amounts, ids and the PIN are not timings.
        assert_eq!(sale.amount, crate::money::Amount(100));
    }

    #[test]
    fn scale_one_changes_nothing_and_tiny_durations_stay_positive() {
        let s = load_str(YAML, "t.yaml").unwrap();
        assert_eq!(
            serde_json::to_string(&scaled(&s, 1.0)).unwrap(),
            serde_json::to_string(&s).unwrap()
        );
        assert_eq!(scale_dur(Dur::from_millis(1), 0.01), Dur::from_millis(1));
        assert_eq!(scale_dur(Dur::from_millis(0), 0.5), Dur::from_millis(0));
    }
}
