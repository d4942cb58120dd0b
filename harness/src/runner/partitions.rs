//! Scheduled partitions of the simulated network (`network.partitions`): turmoil `partition` /
//! `repair` (or, for stalls, `hold` / `release`) calls made between steps, so they take effect at tick boundaries, where turmoil
//! delivers messages.

use std::time::Duration;

use crate::scenario::Network;

/// The partition changes of one run, in time order.
pub struct PartitionPlan<'a> {
    net: &'a Network,
    /// (time, true = start, partition index), sorted: at one instant every repair comes
    /// before any start, so a window that begins as another ends on the same pair is not
    /// repaired by the other's end, whatever order the file lists them in.
    changes: Vec<(Duration, bool, usize)>,
    next: usize,
}

impl<'a> PartitionPlan<'a> {
    /// The plan for a scenario's network.
    pub fn new(net: &'a Network) -> Self {
        let mut changes: Vec<(Duration, bool, usize)> = net
            .partitions
            .iter()
            .enumerate()
            .flat_map(|(i, p)| [(p.from.get(), true, i), (p.until.get(), false, i)])
            .collect();
        changes.sort();
        PartitionPlan {
            net,
            changes,
            next: 0,
        }
    }

    /// Partitions or repairs every link whose time has come.
    pub fn apply_due(&mut self, sim: &mut turmoil::Sim<'_>) {
        while let Some(&(at, start, i)) = self.changes.get(self.next) {
            if sim.elapsed() < at {
                break;
            }
            let p = &self.net.partitions[i];
            let (a, b) = (p.between[0].name(), p.between[1].name());
            match (start, p.one_way) {
                (true, _) if p.stall => sim.hold(a, b),
                (false, _) if p.stall => sim.release(a, b),
                (true, false) => sim.partition(a, b),
                (true, true) => sim.partition_oneway(a, b),
                (false, false) => sim.repair(a, b),
                (false, true) => sim.repair_oneway(a, b),
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Node, Partition};
    use posfault_proxies::dur::Dur;

    fn window(from: u64, until: u64) -> Partition {
        Partition {
            between: [Node::Proxy, Node::Host],
            from: Dur::from_millis(from),
            until: Dur::from_millis(until),
            one_way: false,
            stall: false,
        }
    }

    #[test]
    fn a_window_that_starts_as_another_ends_is_not_repaired_by_it() {
        // Listed later-first: sorting by index before kind would partition at 5s and then
        // repair, leaving the link up for the whole second window.
        let net = Network {
            partitions: vec![window(5_000, 9_000), window(1_000, 5_000)],
            ..Network::default()
        };
        let plan = PartitionPlan::new(&net);
        let at_5s: Vec<(bool, usize)> = plan
            .changes
            .iter()
            .filter(|c| c.0 == Duration::from_secs(5))
            .map(|&(_, start, i)| (start, i))
            .collect();
        assert_eq!(at_5s, [(false, 1), (true, 0)], "repair first, then start");
    }
}
