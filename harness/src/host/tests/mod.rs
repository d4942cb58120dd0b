//! The host's decisions, one test per cause and per message type, driven through
//! [`Host::process`] with configurations written as a user writes them (YAML). Shared helpers
//! here; one file per concern.

mod busy_and_maintenance;
mod decision_order;
mod history;
mod messages;

use posfault_proxies::wire::Message;

use crate::host::settlement::Totals;
use crate::host::{Decision, Host, pin};
use crate::money::Amount;
use crate::scenario::load_host_str;
use crate::transcript::At;

pub(super) const PAN: &str = "4761739001010010";
pub(super) const OTHER_PAN: &str = "4111111111111111";
pub(super) const NOT_LUHN: &str = "4761739001010011";

pub(super) const BASE: &str = r#"
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

pub(super) fn host_with(extra: &str) -> Host {
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

pub(super) fn host() -> Host {
    host_with("")
}

/// A sale from TERM0001 with the right PIN and expiry.
pub(super) fn sale(stan: &str, amount: i64) -> Message {
    sale_with(PAN, stan, amount)
}

pub(super) fn sale_with(pan: &str, stan: &str, amount: i64) -> Message {
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

pub(super) fn send(h: &mut Host, m: &Message) -> (String, Decision) {
    send_at(h, m, 0)
}

pub(super) fn send_at(h: &mut Host, m: &Message, ms: u64) -> (String, Decision) {
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

pub(super) fn rc(h: &mut Host, m: &Message) -> String {
    send(h, m).0
}

pub(super) fn balance(h: &Host, account: &str) -> i64 {
    let b = h.balance(account).unwrap().0;
    assert_eq!(
        h.balances_from_journal().get(account).map(|a| a.0),
        Some(b),
        "balance equals opening plus journalled deltas"
    );
    b
}
