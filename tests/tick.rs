//! The simulation tick changes when things happen, not what happens: the same story at a 10ms
//! and a 100ms tick gives the same events in the same order, the same faults, outcomes and
//! verdicts. This is what lets `posfault bench` use a coarse tick.

use posfault::runner::run;
use posfault::scenario::load_file;
use posfault::transcript::Transcript;

/// Each event without its time: kind and the fields that carry meaning.
fn meaning(t: &Transcript) -> Vec<String> {
    t.events
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e.kind).expect("events serialize");
            if let Some(o) = v.as_object_mut() {
                // Times and dates inside events (journal entries, field 7/12 stamps, hex dumps)
                // move with the tick too.
                o.remove("entry");
                o.remove("hex");
                o.remove("fields");
            }
            v.to_string()
        })
        .collect()
}

#[test]
fn a_coarser_tick_keeps_the_story_of_a_lost_reply() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let fine = load_file(&root.join("reversal/reply-lost.yaml")).expect("valid");
    let coarse = load_file(&root.join("bench/reply-lost-coarse-tick.yaml")).expect("valid");
    assert_ne!(fine.tick, coarse.tick);
    for seed in 1..=20 {
        let (a, b) = (run(&fine, seed), run(&coarse, seed));
        assert!(a.passed && b.passed, "seed {seed}");
        assert_eq!(
            meaning(&a.transcript),
            meaning(&b.transcript),
            "seed {seed}"
        );
        assert_eq!(a.outcomes, b.outcomes, "seed {seed}");
        assert_eq!(a.verdicts, b.verdicts, "seed {seed}");
        assert_ne!(a.transcript.end(), b.transcript.end(), "the times do move");
    }
}
