//! The fault engine's decisions in the simulation depend on the seed and nothing else.

use posfault::runner::{RunReport, run};
use posfault::scenario::load_file;
use posfault_proxies::link::Fate;

fn run_seed(seed: u64) -> RunReport {
    let scenario = load_file(std::path::Path::new("../scenarios/faults/probability.yaml"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    run(&scenario, seed)
}

/// Which 0210 replies the coin-flip rule dropped, in order.
fn drops(report: &RunReport) -> Vec<bool> {
    report
        .transcript
        .frames()
        .filter(|(_, f)| f.mti.as_deref() == Some("0210"))
        .map(|(_, f)| f.fate == Fate::Dropped)
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_firing_decisions_and_transcript_and_seeds_differ() {
    let mut patterns = std::collections::BTreeSet::new();
    for seed in 0..12 {
        let (a, b) = (run_seed(seed), run_seed(seed));
        let yaml = |r: &RunReport| serde_yaml::to_string(&r.transcript).expect("serializes");
        assert!(yaml(&a) == yaml(&b), "seed {seed}: two runs differ");
        assert!(a.passed, "seed {seed}: the scenario failed");
        patterns.insert(drops(&a));
    }
    assert!(
        patterns.len() > 3,
        "only {} drop patterns over 12 seeds: {patterns:?}",
        patterns.len()
    );
}
