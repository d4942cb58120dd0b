//! A busy, slow or under-maintenance host, and located configuration errors.

use super::*;

#[test]
fn beyond_capacity_the_host_answers_96_without_processing() {
    let mut h = host_with("capacity: {max_in_flight: 1}\n");
    let first = h.process(&sale("000001", 100), At(0));
    assert_eq!(first.entry.rc, "00");
    let second = h.process(&sale("000002", 100), At(0));
    assert_eq!(second.reply.unwrap().text(39), Some("96"));
    h.finished();
    h.finished();
    assert_eq!(
        rc(&mut h, &sale("000002", 100)),
        "00",
        "not a duplicate: never processed"
    );
}

#[test]
fn capacity_can_answer_91_or_close_and_counts_background_load() {
    let mut h = host_with(
        "capacity:\n  max_in_flight: 2\n  when_full: answer_91\n  busy: [{from: 10s, until: 20s, in_flight: 2}]\n",
    );
    assert_eq!(send_at(&mut h, &sale("000001", 100), 9_999).0, "00");
    assert_eq!(send_at(&mut h, &sale("000002", 100), 10_000).0, "91");
    let mut h = host_with(
        "capacity: {max_in_flight: 1, when_full: close, busy: [{from: 0s, until: 1s, in_flight: 1}]}\n",
    );
    let p = h.process(&sale("000001", 100), At(0));
    assert!(p.close && p.reply.is_none());
    assert_eq!(p.entry.decision, Decision::Unanswered);
}

#[test]
fn maintenance_answer_91_declines_everything_inside_the_window_only() {
    let mut h = host_with("maintenance: [{from: 10s, until: 20s, mode: answer_91}]\n");
    assert_eq!(send_at(&mut h, &sale("000001", 100), 10_000).0, "91");
    assert_eq!(send_at(&mut h, &sale("000002", 100), 20_000).0, "00");
}

#[test]
fn maintenance_accept_then_close_reads_and_closes_without_an_answer() {
    let mut h = host_with("maintenance: [{from: 0s, until: 20s, mode: accept_then_close}]\n");
    let p = h.process(&sale("000001", 100), At(5_000));
    assert!(p.close && p.reply.is_none());
    assert_eq!(p.entry.decision, Decision::Unanswered);
    assert_eq!(balance(&h, "A"), 10_000);
}

#[test]
fn maintenance_refuse_closes_listeners_for_the_window() {
    let h = host_with("maintenance: [{from: 10s, until: 20s, mode: refuse}]\n");
    let s = std::time::Duration::from_secs;
    assert_eq!(h.refusing_until(s(5)), None);
    assert_eq!(h.next_refusal(s(5)), Some(s(10)));
    assert_eq!(h.refusing_until(s(15)), Some(s(20)));
}

#[test]
fn processing_delay_is_drawn_from_the_seeded_stream() {
    let extra = "processing_delay: {kind: uniform, min: 10ms, max: 5s}\n";
    let delays = |seed| {
        let cfg = load_host_str(&format!("{BASE}{extra}"), "t.yaml").unwrap();
        let mut h = Host::with_seed(&cfg, seed);
        (1..=20)
            .map(|i| {
                let d = h.process(&sale(&format!("{i:06}"), 1), At(0)).delay;
                h.finished();
                d
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(delays(3), delays(3));
    assert_ne!(delays(3), delays(4));
}

#[test]
fn unknown_config_fields_and_bad_values_are_located_errors() {
    let err = load_host_str(&format!("{BASE}procesing_delay: 1s\n"), "h.yaml").unwrap_err();
    assert!(
        err[0]
            .to_string()
            .contains("unknown field `procesing_delay`"),
        "{}",
        err[0]
    );
    let err = load_host_str(
        &format!("{BASE}maintenance: [{{from: 20s, until: 10s, mode: refuse}}]\n"),
        "h.yaml",
    )
    .unwrap_err();
    let text = err[0].to_string();
    assert!(text.starts_with("h.yaml:"), "{text}");
    assert!(
        text.contains("maintenance[0].until: expected a time after from"),
        "{text}"
    );
}
