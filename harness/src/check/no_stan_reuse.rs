//! `no_stan_reuse`: a financial request is never sent twice with the same STAN. A terminal that
//! "retries" a sale with the STAN of one whose outcome is unknown either gets a 94 (duplicate)
//! or, at a host that does not detect duplicates, charges the cardholder twice. Retries must be
//! reversals or new transactions with new STANs.

use std::collections::BTreeMap;

use posfault_proxies::fault::Direction;

use crate::check::{CheckInput, is_reversible};
use crate::transcript::At;

pub(crate) fn check(input: &CheckInput<'_>) -> Vec<String> {
    let mut first: BTreeMap<(String, String), At> = BTreeMap::new();
    let mut findings = Vec::new();
    for (at, f) in input.transcript.frames() {
        if f.dir != Direction::ToHost || !is_reversible(f) {
            continue;
        }
        let tid = f.field(41).unwrap_or("?").to_string();
        let stan = f.field(11).unwrap_or("?").to_string();
        match first.get(&(tid.clone(), stan.clone())) {
            Some(earlier) => findings.push(format!(
                "STAN {stan} reused: terminal {tid} sent a {} with STAN {stan} at {at}, but a financial \
                 request with that STAN was already sent at {earlier}; expected a reversal of the first, \
                 or a new STAN for a new attempt",
                f.mti.as_deref().unwrap_or("?")
            )),
            None => {
                first.insert((tid, stan), at);
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::{frame, run, transcript};
    use Direction::{ToHost, ToTerminal};
    use posfault_proxies::link::Fate;

    #[test]
    fn new_stan_per_sale_passes() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (61000, frame(ToHost, "0400", "000001", Fate::Forwarded)),
            (70000, frame(ToHost, "0200", "000002", Fate::Forwarded)),
        ]);
        assert!(run(check, &t, &[]).is_empty());
    }

    #[test]
    fn same_stan_sent_again_fails_with_both_times() {
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, frame(ToTerminal, "0210", "000001", Fate::Dropped)),
            (61000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
        ]);
        let f = run(check, &t, &[]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("at 61.000s") && f[0].contains("already sent at 1.000s"),
            "{}",
            f[0]
        );
    }
}
