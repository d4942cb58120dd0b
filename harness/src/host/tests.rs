//! The host's decisions, one test per cause and per message type, driven through
//! [`Host::process`] with configurations written as a user writes them (YAML).

use posfault_proxies::wire::Message;

use crate::host::settlement::Totals;
use crate::host::{Decision, Host, pin};
use crate::money::Amount;
use crate::scenario::load_host_str;
use crate::transcript::At;

const PAN: &str = "4761739001010010";
const OTHER_PAN: &str = "4111111111111111";
const NOT_LUHN: &str = "4761739001010011";

const BASE: &str = r#"
merchants:
  - id: MERCHANT0000001
    terminals:
      - id: TERM0001
      - id: TERM0002
        keys_in_step: false
      - id: TERM0003
        transaction_types: [refund]
  - id: MERCHANT0000002
    status: suspended
    terminals: [{id: TERM0009}]
accounts:
  - id: A
    balance: "100.00"
    limits: {per_transaction: "80.00", daily_amount: "90.00", daily_count: 3}
  - id: B
    balance: "5.00"
    credit_limit: "10.00"
cards:
  - {id: good, pan: "4761739001010010", account: A, expiry: "2812", pin: "1234"}
  - {id: credit, pan: "4111111111111111", account: B}
"#;

fn host_with(extra: &str) -> Host {
    let text = format!("{BASE}{extra}");
    let cfg = load_host_str(&text, "test.yaml").unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    Host::with_seed(&cfg, 1)
}

fn host() -> Host {
    host_with("")
}

/// A sale from TERM0001 with the right PIN and expiry.
fn sale(stan: &str, amount: i64) -> Message {
    sale_with(PAN, stan, amount)
}

fn sale_with(pan: &str, stan: &str, amount: i64) -> Message {
    let mut m = Message::new("0200".parse().unwrap());
    m.set(2, pan)
        .set(3, "000000")
        .set(4, Amount(amount).to_field4().unwrap())
        .set(11, stan)
        .set(13, "0115")
        .set(41, "TERM0001")
        .set(42, "MERCHANT0000001");
    if pan == PAN {
        m.set(14, "2812");
        m.set(52, pin::encode("1234", PAN).unwrap());
    }
    m
}

fn send(h: &mut Host, m: &Message) -> (String, Decision) {
    send_at(h, m, 0)
}

fn send_at(h: &mut Host, m: &Message, ms: u64) -> (String, Decision) {
    let p = h.process(m, At(ms));
    h.finished();
    let rc = p
        .reply
        .as_ref()
        .and_then(|r| r.text(39))
        .unwrap_or_default()
        .to_string();
    assert_eq!(rc, p.entry.rc, "reply and journal agree on the code");
    (rc, p.entry.decision)
}

fn rc(h: &mut Host, m: &Message) -> String {
    send(h, m).0
}

fn balance(h: &Host, account: &str) -> i64 {
    let b = h.balance(account).unwrap().0;
    assert_eq!(
        h.balances_from_journal().get(account).map(|a| a.0),
        Some(b),
        "balance equals opening plus journalled deltas"
    );
    b
}

// -- the decision order, one cause each --------------------------------------------------

#[test]
fn a_good_sale_is_approved_with_auth_code_and_rrn_and_debits_once() {
    let mut h = host();
    let p = h.process(&sale("000001", 1234), At(0));
    let rsp = p.reply.unwrap();
    assert_eq!(rsp.mti().to_string(), "0210");
    assert_eq!(rsp.text(39), Some("00"));
    assert_eq!(rsp.text(38), Some("000001"));
    assert_eq!(rsp.text(37), Some("000000000001"));
    assert!(!rsp.has(2) && !rsp.has(52), "no card data in the reply");
    assert_eq!(balance(&h, "A"), 10_000 - 1234);
}

#[test]
fn missing_stan_is_a_format_error_30() {
    let mut m = sale("000001", 100);
    m.remove(11);
    assert_eq!(rc(&mut host(), &m), "30");
}

#[test]
fn malformed_expiry_is_a_format_error_30() {
    let mut m = sale("000001", 100);
    m.set(14, "2813");
    assert_eq!(rc(&mut host(), &m), "30");
}

#[test]
fn unsupported_processing_code_is_an_invalid_transaction_12() {
    let mut m = sale("000001", 100);
    m.set(3, "310000");
    assert_eq!(rc(&mut host(), &m), "12");
}

#[test]
fn amount_above_the_host_maximum_is_invalid_amount_13() {
    let mut h = host_with("max_amount: \"50.00\"\n");
    assert_eq!(rc(&mut h, &sale("000001", 5001)), "13");
    assert_eq!(rc(&mut h, &sale("000002", 5000)), "00");
}

#[test]
fn unregistered_or_suspended_merchant_and_unknown_terminal_are_03() {
    let mut h = host();
    let mut m = sale("000001", 100);
    m.set(42, "MERCHANT0000099");
    assert_eq!(rc(&mut h, &m), "03");
    let mut m = sale("000002", 100);
    m.set(42, "MERCHANT0000002").set(41, "TERM0009");
    assert_eq!(rc(&mut h, &m), "03");
    let mut m = sale("000003", 100);
    m.set(41, "TERM0077");
    assert_eq!(rc(&mut h, &m), "03");
}

#[test]
fn terminal_with_keys_out_of_step_gets_97_until_it_signs_on() {
    let mut h = host();
    let mut m = sale("000001", 100);
    m.set(41, "TERM0002");
    assert_eq!(rc(&mut h, &m), "97");
    let (rc_on, _) = send(&mut h, &network("TERM0002", "001", "000002"));
    assert_eq!(rc_on, "00");
    m.set(11, "000003");
    assert_eq!(rc(&mut h, &m), "00");
}

#[test]
fn transaction_type_not_enabled_on_the_terminal_is_58() {
    let mut m = sale("000001", 100);
    m.set(41, "TERM0003");
    assert_eq!(rc(&mut host(), &m), "58");
}

#[test]
fn card_number_failing_luhn_is_14_and_so_is_an_unknown_card() {
    let mut h = host();
    assert_eq!(rc(&mut h, &sale_with(NOT_LUHN, "000001", 100)), "14");
    assert_eq!(
        rc(&mut h, &sale_with("4000000000000002", "000002", 100)),
        "14"
    );
}

#[test]
fn lost_stolen_restricted_and_frozen_cards_get_41_43_62_05() {
    for (status, want) in [
        ("lost", "41"),
        ("stolen", "43"),
        ("restricted", "62"),
        ("frozen", "05"),
    ] {
        let text = BASE.replace(
            "account: A, expiry",
            &format!("account: A, status: {status}, expiry"),
        );
        let cfg = load_host_str(&text, "t.yaml").unwrap();
        let mut h = Host::with_seed(&cfg, 1);
        assert_eq!(rc(&mut h, &sale("000001", 100)), want, "{status}");
        assert_eq!(balance(&h, "A"), 10_000);
    }
}

#[test]
fn expiry_before_the_run_month_is_54() {
    let mut m = sale("000001", 100);
    m.set(14, "2512");
    assert_eq!(rc(&mut host(), &m), "54");
}

#[test]
fn wrong_pin_is_55_and_the_third_in_a_row_locks_the_pin_with_75() {
    let mut h = host();
    let wrong = |stan: &str| {
        let mut m = sale(stan, 100);
        m.set(52, pin::encode("9999", PAN).unwrap());
        m
    };
    assert_eq!(rc(&mut h, &wrong("000001")), "55");
    assert_eq!(rc(&mut h, &wrong("000002")), "55");
    assert_eq!(rc(&mut h, &wrong("000003")), "75");
    assert_eq!(
        rc(&mut h, &sale("000004", 100)),
        "75",
        "locked even with the right PIN"
    );
}

#[test]
fn a_right_pin_resets_the_count_of_wrong_ones() {
    let mut h = host();
    let mut m = sale("000001", 100);
    m.set(52, pin::encode("9999", PAN).unwrap());
    assert_eq!(rc(&mut h, &m), "55");
    assert_eq!(rc(&mut h, &sale("000002", 100)), "00");
    m.set(11, "000003");
    assert_eq!(rc(&mut h, &m), "55");
    m.set(11, "000004");
    assert_eq!(rc(&mut h, &m), "55");
}

#[test]
fn a_card_with_a_pin_needs_a_pin_block() {
    let mut m = sale("000001", 100);
    m.remove(52);
    assert_eq!(rc(&mut host(), &m), "55");
}

#[test]
fn transaction_type_the_card_does_not_allow_is_57() {
    let text = BASE.replace(
        "pin: \"1234\"}",
        "pin: \"1234\", transaction_types: [refund]}",
    );
    let mut h = Host::with_seed(&load_host_str(&text, "t.yaml").unwrap(), 1);
    assert_eq!(rc(&mut h, &sale("000001", 100)), "57");
}

#[test]
fn single_and_daily_amount_limits_are_61_and_the_daily_count_is_65() {
    let mut h = host();
    assert_eq!(rc(&mut h, &sale("000001", 8001)), "61", "per transaction");
    assert_eq!(rc(&mut h, &sale("000002", 5000)), "00");
    assert_eq!(rc(&mut h, &sale("000003", 4001)), "61", "daily amount");
    assert_eq!(rc(&mut h, &sale("000004", 100)), "00");
    assert_eq!(rc(&mut h, &sale("000005", 100)), "00");
    assert_eq!(rc(&mut h, &sale("000006", 100)), "65", "daily count");
}

#[test]
fn daily_limits_reset_on_the_next_calendar_day() {
    let mut h = host();
    for stan in ["000001", "000002", "000003"] {
        assert_eq!(rc(&mut h, &sale(stan, 100)), "00");
    }
    assert_eq!(rc(&mut h, &sale("000004", 100)), "65");
    let next_day = 16 * 3600 * 1000;
    assert_eq!(send_at(&mut h, &sale("000005", 100), next_day).0, "00");
}

#[test]
fn insufficient_funds_including_credit_limit_is_51() {
    let mut h = host();
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000001", 1501)), "51");
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000002", 1500)), "00");
    assert_eq!(balance(&h, "B"), -1000);
}

#[test]
fn amount_and_velocity_risk_rules_decline_59() {
    let extra = r#"risk:
  - {name: big-ticket, kind: amount_over, amount: "10.00"}
  - {name: card-velocity, kind: velocity, max_count: 2, within: 10m}
"#;
    let mut h = host_with(extra);
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000001", 1001)), "59");
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000002", 100)), "00");
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000003", 100)), "00");
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000004", 100)), "59");
    let reason = h.journal().last().unwrap().reason.clone().unwrap();
    assert!(reason.contains("card-velocity"), "{reason}");
}

#[test]
fn declines_move_no_money_and_say_why_in_the_journal() {
    let mut h = host();
    send(&mut h, &sale("000001", 8001));
    let e = h.journal().last().unwrap();
    assert_eq!((e.decision, e.delta), (Decision::Declined, None));
    assert!(
        e.reason
            .as_deref()
            .unwrap()
            .contains("single-transaction limit")
    );
    assert_eq!(e.card.as_deref(), Some("476173******0010"));
}

// -- message families ----------------------------------------------------------------------

#[test]
fn authorisation_0100_is_answered_0110_and_holds_the_funds() {
    let mut h = host();
    let mut m = sale("000001", 1000);
    m.set_mti("0100".parse().unwrap());
    let p = h.process(&m, At(0));
    assert_eq!(p.reply.unwrap().mti().to_string(), "0110");
    assert_eq!(balance(&h, "A"), 9_000);
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

fn network(terminal: &str, code: &str, stan: &str) -> Message {
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

fn settle(stan: &str, debits: u64, amount: i64) -> Message {
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

// -- busy, slow and maintenance ------------------------------------------------------------

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

#[test]
fn history_is_journalled_first_and_makes_a_reused_stan_a_duplicate() {
    let mut h = host_with(
        "history:\n  - {terminal: TERM0001, stan: \"000001\", card: credit, amount: \"3.00\"}\n",
    );
    let first = &h.journal()[0];
    assert_eq!((first.seq, first.decision), (1, Decision::Approved));
    assert_eq!(balance(&h, "B"), 200);
    assert_eq!(rc(&mut h, &sale_with(OTHER_PAN, "000001", 100)), "94");
    assert_eq!(balance(&h, "B"), 200, "no second debit");
    assert_eq!(
        rc(&mut h, &settle("000002", 0, 0)),
        "95",
        "the host's batch has it"
    );
    assert_eq!(rc(&mut h, &settle("000003", 1, 300)), "00");
}

#[test]
fn history_naming_an_unknown_card_is_a_located_error() {
    let text = format!(
        "{BASE}history:\n  - {{terminal: TERM0001, stan: \"000001\", card: nope, amount: \"3.00\"}}\n"
    );
    let err = load_host_str(&text, "h.yaml").unwrap_err()[0].to_string();
    assert!(err.contains("history[0].card: no card \"nope\""), "{err}");
}
