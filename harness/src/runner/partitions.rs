//! Scheduled partitions of the simulated network (`network.partitions`): turmoil `partition` /
//! `repair` (or, for stalls, `hold` / `release`) calls made between steps, so they take effect at tick boundaries, where turmoil
//! delivers messages.

use std::time::Duration;

use crate::scenario::Network;

/// The partition changes of one run, in time order.
pub struct PartitionPlan<'a> {
    net: &'a Network,
    /// (time, partition index, true = start), sorted.
    changes: Vec<(Duration, usize, bool)>,
    next: usize,
}

impl<'a> PartitionPlan<'a> {
    /// The plan for a scenario's network.
    pub fn new(net: &'a Network) -> Self {
        let mut changes: Vec<(Duration, usize, bool)> = net
            .partitions
            .iter()
            .enumerate()
            .flat_map(|(i, p)| [(p.from.get(), i, true), (p.until.get(), i, false)])
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
        while let Some(&(at, i, start)) = self.changes.get(self.next) {
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
