//! ShopTerminal under the catalogue's faults, checked by posfault's oracle and pinned by insta.

use posfault::Harness;
use shop_terminal::ShopTerminal;

fn scenario(path: &str) -> Harness {
    let file = format!("{}/../../scenarios/{path}", env!("CARGO_MANIFEST_DIR"));
    Harness::load(file)
        .expect("valid scenario")
        .with_terminal(ShopTerminal::default)
}

#[test]
fn lost_reply_is_reversed() {
    let report = scenario("reversal/reply-lost.yaml").run();
    report.assert_passed();
    insta::assert_yaml_snapshot!(report.transcript);
}

#[test]
fn pending_reversal_goes_before_the_next_sale() {
    let report = scenario("reversal/pending-reversal-before-next-sale.yaml").run();
    report.assert_passed();
    insta::assert_yaml_snapshot!(report.transcript);
}

#[test]
fn reversal_survives_a_power_cut_after_the_send() {
    let report = scenario("reversal/power-cycle-after-send.yaml").run();
    report.assert_passed();
    insta::assert_yaml_snapshot!(report.transcript);
}

#[test]
fn every_seed_passes_and_replays_identically() {
    let harness = scenario("reversal/reply-lost.yaml");
    for report in harness.sweep(1..=20) {
        report.assert_passed();
        assert_eq!(
            report.transcript,
            harness.run_seed(report.seed).transcript,
            "seed {}",
            report.seed
        );
    }
}

#[test]
fn without_its_reversal_logic_the_oracle_names_the_stan() {
    let harness =
        scenario("reversal/reply-lost.yaml").with_terminal(|| ShopTerminal { reversals: false });
    let findings = harness.run().assert_failed();
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("STAN 000001 was never reversed")),
        "{findings:#?}"
    );
}
