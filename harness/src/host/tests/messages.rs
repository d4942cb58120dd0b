//! One test per message family: 0100, 0400/0420, 0220, 0800, 0500, 0320, and their repeats.

use super::*;

#[test]
fn authorisation_0100_is_answered_0110_and_holds_the_funds() {
    let mut h = host();
    let mut m = sale("000001", 1000);
    m.set_mti("0100".parse().unwrap());
    let p = h.process(&m, At(0));
    assert_eq!(p.reply.unwrap().mti().to_string(), "0110");
    h.finished();
    assert_eq!(balance(&h, "A"), 9_000);
    assert_eq!(
        rc(&mut h, &settle("000002", 0, 0)),
        "00",
        "not in the batch totals"
    );
}

#[test]
fn reversal_is_idempotent_0410_each_time_crediting_once() {
    let mut h = host();
    send(&mut h, &sale("000001", 1234));
    let mut rev = sale("000001", 1234);
    rev.set_mti("0400".parse().unwrap());
    for want in [
        Decision::Reversed,
        Decision::ReversalRepeat,
        Decision::ReversalRepeat,
    ] {
        let p = h.process(&rev, At(0));
        h.finished();
        assert_eq!(p.reply.unwrap().mti().to_string(), "0410");
        assert_eq!((p.entry.rc.as_str(), p.entry.decision), ("00", want));
    }
    assert_eq!(balance(&h, "A"), 10_000);
}

#[test]
fn reversal_advice_0420_is_answered_0430_and_found_by_field_90() {
    let mut h = host();
    send(&mut h, &sale("000007", 500));
    let mut rev = sale("000008", 500);
    rev.set_mti("0420".parse().unwrap());
    rev.set(90, format!("0200000007{}{}", "0115080000", "0".repeat(22)));
    let p = h.process(&rev, At(0));
    assert_eq!(p.reply.unwrap().mti().to_string(), "0430");
    assert_eq!(p.entry.decision, Decision::Reversed);
    assert_eq!(balance(&h, "A"), 10_000);
}

#[test]
fn reversal_of_a_declined_sale_moves_nothing() {
    let mut h = host();
    send(&mut h, &sale("000001", 8001));
    let mut rev = sale("000001", 8001);
    rev.set_mti("0400".parse().unwrap());
    assert_eq!(send(&mut h, &rev), ("00".into(), Decision::ReversalNothing));
    assert_eq!(balance(&h, "A"), 10_000);
}

#[test]
fn unknown_reversal_answers_00_by_default_and_25_when_configured() {
    let mut rev = sale("000042", 100);
    rev.set_mti("0400".parse().unwrap());
    assert_eq!(
        send(&mut host(), &rev),
        ("00".into(), Decision::ReversalUnknown)
    );
    let mut h = host_with("unknown_reversal: answer_25\n");
    assert_eq!(send(&mut h, &rev), ("25".into(), Decision::ReversalUnknown));
}

#[test]
fn duplicate_sale_is_94_without_a_second_debit() {
    let mut h = host();
    assert_eq!(rc(&mut h, &sale("000001", 100)), "00");
    assert_eq!(rc(&mut h, &sale("000001", 100)), "94");
    assert_eq!(balance(&h, "A"), 9_900);
    let reason = h.journal().last().unwrap().reason.clone().unwrap();
    assert!(reason.contains("duplicate of journal #1"), "{reason}");
}

#[test]
fn advice_0220_is_posted_once_even_beyond_funds() {
    let mut h = host();
    let mut adv = sale_with(OTHER_PAN, "000001", 2000);
    adv.set_mti("0220".parse().unwrap());
    let p = h.process(&adv, At(0));
    h.finished();
    assert_eq!(p.reply.unwrap().mti().to_string(), "0230");
    assert_eq!(p.entry.decision, Decision::Posted);
    assert_eq!(rc(&mut h, &adv), "94");
    assert_eq!(balance(&h, "B"), 500 - 2000);
}

#[test]
fn repeats_0221_and_0401_are_answered_as_their_first_send_and_move_nothing_twice() {
    let mut h = host();
    let mut adv = sale_with(OTHER_PAN, "000001", 2000);
    adv.set_mti("0220".parse().unwrap());
    send(&mut h, &adv);
    adv.set_mti("0221".parse().unwrap());
    let p = h.process(&adv, At(0));
    h.finished();
    assert_eq!(p.reply.unwrap().mti().to_string(), "0230");
    assert_eq!(p.entry.rc, "94", "a repeat of a posted advice");
    assert_eq!(balance(&h, "B"), 500 - 2000);

    send(&mut h, &sale("000002", 1234));
    let mut rev = sale("000002", 1234);
    rev.set_mti("0401".parse().unwrap());
    for want in [Decision::Reversed, Decision::ReversalRepeat] {
        let p = h.process(&rev, At(0));
        h.finished();
        assert_eq!(p.reply.unwrap().mti().to_string(), "0410");
        assert_eq!(p.entry.decision, want);
    }
    assert_eq!(balance(&h, "A"), 10_000);
}

pub(super) fn network(terminal: &str, code: &str, stan: &str) -> Message {
    let mut m = Message::new("0800".parse().unwrap());
    m.set(11, stan).set(41, terminal).set(70, code);
    m
}

#[test]
fn sign_on_0810_returns_the_open_batch_and_echo_is_acknowledged() {
    let mut h = host();
    let p = h.process(&network("TERM0001", "001", "000001"), At(0));
    let rsp = p.reply.unwrap();
    assert_eq!(
        (rsp.mti().to_string(), rsp.text(39)),
        ("0810".into(), Some("00"))
    );
    assert_eq!(rsp.text(60), Some("000001"));
    assert_eq!(rc(&mut h, &network("TERM0001", "301", "000002")), "00");
    assert_eq!(rc(&mut h, &network("TERM0077", "001", "000003")), "03");
    assert_eq!(rc(&mut h, &network("TERM0001", "999", "000004")), "12");
}

pub(super) fn settle(stan: &str, debits: u64, amount: i64) -> Message {
    let mut m = Message::new("0500".parse().unwrap());
    m.set(11, stan).set(41, "TERM0001");
    let mut t = Totals::default();
    t.debits.count = debits;
    t.debits.amount = Amount(amount);
    t.write(&mut m);
    m
}

#[test]
fn settlement_0510_closes_the_batch_when_totals_agree_and_95_when_not() {
    let mut h = host();
    send(&mut h, &sale("000001", 300));
    send(&mut h, &sale("000002", 200));
    let mut rev = sale("000002", 200);
    rev.set_mti("0400".parse().unwrap());
    send(&mut h, &rev);
    assert_eq!(rc(&mut h, &settle("000003", 2, 500)), "95");
    let reason = h.journal().last().unwrap().reason.clone().unwrap();
    assert!(reason.contains("host has debits 1 / 3.00"), "{reason}");
    let p = h.process(&settle("000004", 1, 300), At(0));
    h.finished();
    assert_eq!(p.reply.unwrap().mti().to_string(), "0510");
    assert_eq!(p.entry.rc, "00");
    // The next batch starts empty.
    assert_eq!(rc(&mut h, &settle("000005", 0, 0)), "00");
    assert_eq!(
        h.process(&network("TERM0001", "001", "000006"), At(0))
            .reply
            .unwrap()
            .text(60),
        Some("000003")
    );
}

#[test]
fn batch_upload_0330_acknowledges_and_notes_the_match() {
    let mut h = host();
    send(&mut h, &sale("000001", 300));
    let mut up = sale("000001", 300);
    up.set_mti("0320".parse().unwrap());
    let p = h.process(&up, At(0));
    assert_eq!(p.reply.unwrap().mti().to_string(), "0330");
    assert_eq!(p.entry.decision, Decision::Accepted);
    assert!(p.entry.reason.unwrap().contains("matches journal #1"));
    assert_eq!(balance(&h, "A"), 9_700);
}

#[test]
fn a_response_mti_sent_to_the_host_is_journalled_and_not_answered() {
    let mut m = sale("000001", 100);
    m.set_mti("0210".parse().unwrap());
    let p = host().process(&m, At(0));
    assert!(p.reply.is_none());
    assert_eq!(p.entry.rc, "12");
}

#[test]
fn field_90_wins_over_the_reversal_s_own_stan() {
    let mut h = host();
    send(&mut h, &sale("000001", 100));
    send(&mut h, &sale("000002", 200));
    // Its own STAN is that of the 100.00 sale, but field 90 names the 200.00 one.
    let mut rev = sale("000001", 200);
    rev.set_mti("0400".parse().unwrap());
    rev.set(90, format!("0200000002{}{}", "0115080000", "0".repeat(22)));
    let p = h.process(&rev, At(0));
    assert_eq!(p.entry.original, Some(2));
    assert_eq!(balance(&h, "A"), 10_000 - 100);
}
