//! Financial requests, one test per step of the decision order in `checks.rs`.

use super::messages::network;
use super::*;

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
