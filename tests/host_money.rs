//! The host's money property: whatever mix of sales, reversals, duplicate sales and repeated
//! reversals arrives, every account ends at its opening balance minus the sales that were
//! approved and not reversed, and the journal alone gives the same balances.
//!
//! Pure logic (no network, no simulation), so it runs 10,000 random sequences.

use std::collections::{BTreeMap, BTreeSet};

use posfault::host::{Decision, Host, pin};
use posfault::money::Amount;
use posfault::scenario::load_host_str;
use posfault::transcript::At;
use posfault_proxies::wire::Message;
use proptest::prelude::*;

const CONFIG: &str = r#"
accounts:
  - {id: rich, balance: "500.00", limits: {per_transaction: "200.00"}}
  - {id: poor, balance: "20.00", credit_limit: "30.00"}
cards:
  - {id: a, pan: "4761739001010010", account: rich, pin: "1234"}
  - {id: b, pan: "4111111111111111", account: poor}
  - {id: c, pan: "5555555555554444", account: rich}
"#;

const CARDS: [(&str, &str); 3] = [
    ("4761739001010010", "rich"),
    ("4111111111111111", "poor"),
    ("5555555555554444", "rich"),
];

/// One thing arriving at the host.
#[derive(Debug, Clone)]
enum Op {
    /// A new sale of `cents` with card `card`.
    Sale { card: usize, cents: i64 },
    /// A reversal of the `n`-th sale so far (modulo), by its own STAN or by field 90.
    Reverse { n: usize, by_field_90: bool },
    /// The `n`-th sale sent again, unchanged.
    Duplicate { n: usize },
    /// The `n`-th reversal sent again, unchanged.
    RepeatReversal { n: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 1..25_000i64).prop_map(|(card, cents)| Op::Sale { card, cents }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(n, by_field_90)| Op::Reverse { n, by_field_90 }),
        1 => any::<usize>().prop_map(|n| Op::Duplicate { n }),
        1 => any::<usize>().prop_map(|n| Op::RepeatReversal { n }),
    ]
}

fn sale(card: usize, stan: &str, cents: i64) -> Message {
    let pan = CARDS[card].0;
    let mut m = Message::new("0200".parse().unwrap());
    m.set(2, pan)
        .set(3, "000000")
        .set(4, Amount(cents).to_field4().unwrap())
        .set(7, "0115080000")
        .set(11, stan)
        .set(13, "0115")
        .set(41, "TERM0001")
        .set(42, "MERCHANT0000001");
    if card == 0 {
        m.set(52, pin::encode("1234", pan).unwrap());
    }
    m
}

fn reversal(original: &Message, own_stan: &str, by_field_90: bool) -> Message {
    let mut m = original.clone();
    m.set_mti("0400".parse().unwrap());
    m.remove(52);
    if by_field_90 {
        let stan = original.text(11).unwrap();
        m.set(11, own_stan);
        m.set(90, format!("0200{stan}0115080000{}", "0".repeat(22)));
    }
    m
}

/// Runs `ops`; returns a description of the first broken promise, if any.
fn run(ops: &[Op]) -> Result<(), String> {
    let cfg = load_host_str(CONFIG, "property.yaml").map_err(|e| format!("{e:?}"))?;
    let mut host = Host::with_seed(&cfg, 1);
    let opening: BTreeMap<&str, i64> = [("rich", 50_000), ("poor", 2_000)].into();
    let mut sales: Vec<(Message, usize, i64)> = Vec::new();
    let mut reversals: Vec<Message> = Vec::new();
    let mut approved = BTreeSet::new();
    let mut reversed = BTreeSet::new();
    let mut next_stan = 0u32;
    let mut stan = || {
        next_stan += 1;
        format!("{next_stan:06}")
    };
    for (i, op) in ops.iter().enumerate() {
        let (msg, what) = match op {
            Op::Sale { card, cents } => {
                let m = sale(*card, &stan(), *cents);
                sales.push((m.clone(), *card, *cents));
                (m, "sale")
            }
            Op::Reverse { n, by_field_90 } if !sales.is_empty() => {
                let k = n % sales.len();
                let m = reversal(&sales[k].0, &stan(), *by_field_90);
                if approved.contains(&k) {
                    reversed.insert(k);
                }
                reversals.push(m.clone());
                (m, "reversal")
            }
            Op::Duplicate { n } if !sales.is_empty() => (sales[n % sales.len()].0.clone(), "dup"),
            Op::RepeatReversal { n } if !reversals.is_empty() => {
                (reversals[n % reversals.len()].clone(), "repeat")
            }
            _ => continue,
        };
        let p = host.process(&msg, At(i as u64));
        host.finished();
        let rc = p.entry.rc.as_str();
        match what {
            "sale" if rc == "00" => {
                approved.insert(sales.len() - 1);
            }
            "dup" if rc != "94" => return Err(format!("op {i}: duplicate sale got {rc}, not 94")),
            "reversal" | "repeat" if rc != "00" => {
                return Err(format!("op {i}: {what} got {rc}, not 00"));
            }
            "repeat" if matches!(p.entry.decision, Decision::Reversed) => {
                return Err(format!("op {i}: a repeated reversal moved money"));
            }
            _ => {}
        }
    }
    let derived = host.balances_from_journal();
    for (account, open) in opening {
        let unreversed: i64 = approved
            .iter()
            .filter(|k| !reversed.contains(k))
            .filter(|&&k| CARDS[sales[k].1].1 == account)
            .map(|&k| sales[k].2)
            .sum();
        let want = open - unreversed;
        let got = host.balance(account).map(|a| a.0);
        if got != Some(want) {
            return Err(format!("{account}: balance {got:?}, expected {want}"));
        }
        if derived.get(account).map(|a| a.0) != Some(want) {
            return Err(format!(
                "{account}: journal gives {:?}, expected {want}",
                derived.get(account)
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn balances_are_opening_minus_approved_unreversed_sales(ops in proptest::collection::vec(op(), 0..40)) {
        if let Err(why) = run(&ops) {
            prop_assert!(false, "{}", why);
        }
    }
}

#[test]
fn a_short_known_sequence_keeps_its_promises() {
    let ops = [
        Op::Sale {
            card: 2,
            cents: 100,
        },
        Op::Duplicate { n: 0 },
        Op::Sale {
            card: 1,
            cents: 4_000,
        },
        Op::Reverse {
            n: 1,
            by_field_90: true,
        },
        Op::RepeatReversal { n: 0 },
        Op::Sale {
            card: 1,
            cents: 6_000,
        },
    ];
    assert_eq!(run(&ops), Ok(()));
}
