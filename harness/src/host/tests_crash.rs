//! A host crash in the simulation (turmoil `crash` then `bounce`) loses no journalled entry:
//! the host's state lives outside the node, and a request cut off mid-delay gives its capacity
//! slot back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::link::Clock;
use posfault_proxies::wire::{DialectName, Framing, Message};
use tokio_util::codec::Framed;

use crate::host::{Decision, Host, serve_sim};
use crate::money::Amount;
use crate::scenario::load_host_str;
use crate::transcript::Recorder;
use crate::wire::Wire;

struct SimClock;

impl Clock for SimClock {
    fn now(&self) -> Duration {
        turmoil::sim_elapsed().unwrap_or_default()
    }
}

const CONFIG: &str = r#"
accounts: [{id: a, balance: "100.00"}]
cards: [{id: c, pan: "4111111111111111", account: a}]
processing_delay: {kind: fixed, delay: 5s}
capacity: {max_in_flight: 1}
"#;

fn wire() -> Wire {
    Wire {
        dialect: DialectName::Iso87.dialect(),
        framing: Framing::U16Be,
        envelope: None,
    }
}

fn sale(stan: &str) -> Message {
    let mut m = Message::new("0200".parse().unwrap());
    m.set(2, "4111111111111111")
        .set(3, "000000")
        .set(4, Amount(1000).to_field4().unwrap())
        .set(11, stan)
        .set(13, "0115")
        .set(41, "TERM0001");
    m
}

/// Sends `req` on a new connection; the reply's RC, or `None` if none came within 10s.
async fn send(req: Message) -> Option<String> {
    let stream = turmoil::net::TcpStream::connect(("host", 8583))
        .await
        .ok()?;
    let mut framed = Framed::new(stream, wire().codec());
    framed.send(wire().encode(&req).ok()?).await.ok()?;
    let frame = tokio::time::timeout(Duration::from_secs(10), framed.next())
        .await
        .ok()??
        .ok()?;
    Some(wire().decode(&frame).ok()?.text(39)?.to_string())
}

#[test]
fn a_host_crash_mid_delay_loses_no_journal_entry_and_frees_its_capacity() -> turmoil::Result {
    let cfg = load_host_str(CONFIG, "crash.yaml").expect("valid config");
    let host = Arc::new(Mutex::new(Host::with_seed(&cfg, 1)));
    let rec = Recorder::new(Arc::new(SimClock));
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .epoch(UNIX_EPOCH)
        .tick_duration(Duration::from_millis(10))
        .simulation_duration(Duration::from_secs(60))
        .min_message_latency(Duration::from_millis(5))
        .max_message_latency(Duration::from_millis(5))
        .build();
    {
        let (host, rec) = (host.clone(), rec.clone());
        sim.host("host", move || {
            serve_sim(host.clone(), rec.clone(), wire(), 8583)
        });
    }
    let replies = Arc::new(Mutex::new(Vec::new()));
    {
        let replies = replies.clone();
        sim.client("terminal", async move {
            let first = send(sale("000001")).await; // cut off by the crash
            tokio::time::sleep(Duration::from_secs(3)).await;
            let second = send(sale("000002")).await; // capacity is free again
            let again = send(sale("000001")).await; // still known: duplicate
            replies.lock().unwrap().extend([first, second, again]);
            Ok(())
        });
    }
    let (mut crashed, mut bounced) = (false, false);
    while !sim.step()? {
        let t = sim.elapsed();
        if t >= Duration::from_secs(1) && !crashed {
            sim.crash("host");
            crashed = true;
        }
        if t >= Duration::from_secs(2) && !bounced {
            sim.bounce("host");
            bounced = true;
        }
    }
    let replies = replies.lock().unwrap().clone();
    assert_eq!(
        replies,
        [None, Some("00".to_string()), Some("94".to_string())]
    );
    let h = host.lock().unwrap();
    let decisions: Vec<Decision> = h.journal().iter().map(|e| e.decision).collect();
    assert_eq!(
        decisions,
        [Decision::Approved, Decision::Approved, Decision::Declined]
    );
    assert_eq!(
        h.balance("a"),
        Some(Amount(8_000)),
        "two debits, none lost, none twice"
    );
    Ok(())
}
