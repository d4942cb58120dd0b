//! One scenario, one seed, in a turmoil simulation: terminal -> proxy -> host as three nodes.
//!
//! Determinism: turmoil gets an explicit seed, epoch, duration and fixed latency; the fault
//! engine gets its own ChaCha stream split from the run seed in a fixed order; nodes are
//! single-threaded; nothing reads the wall clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use posfault_proxies::fault::Engine;
use posfault_proxies::link::{Clock, LinkEvent, Relay};
use posfault_proxies::wire::framing::DEFAULT_MAX_FRAME;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::check::{CheckInput, run_all};
use crate::host::{Host, serve_sim};
use crate::runner::report::RunReport;
use crate::scenario::{Scenario, Step};
use crate::terminal::reference::SaleCommand;
use crate::terminal::{ReferenceTerminal, SimDialer, Store};
use crate::transcript::Recorder;
use crate::wire::Wire;

const HOST_PORT: u16 = 8583;
const PROXY_PORT: u16 = 9583;

/// Simulated time since the simulation started.
struct SimClock;

impl Clock for SimClock {
    fn now(&self) -> Duration {
        turmoil::sim_elapsed().unwrap_or_default()
    }
}

/// Runs `scenario` with `seed` and judges it.
pub fn run(scenario: &Scenario, seed: u64) -> RunReport {
    let wire = Wire {
        dialect: scenario.dialect.dialect(),
        framing: scenario.framing,
        envelope: scenario.envelope,
    };
    let mut master = ChaCha8Rng::seed_from_u64(seed);
    let turmoil_seed = master.next_u64();
    let engine_rng = ChaCha8Rng::seed_from_u64(master.next_u64());

    let latency = scenario.network.latency.get();
    let mut sim = turmoil::Builder::new()
        .rng_seed(turmoil_seed)
        .tick_duration(scenario.tick.get())
        .simulation_duration(scenario.time_limit.get())
        .epoch(UNIX_EPOCH + Duration::from_secs(crate::terminal::RUN_EPOCH_UNIX))
        .min_message_latency(latency)
        .max_message_latency(latency)
        .build();

    let rec = Recorder::new(Arc::new(SimClock));
    let host = Arc::new(Mutex::new(Host::new(&scenario.host)));
    {
        let (host, rec) = (host.clone(), rec.clone());
        sim.host("host", move || {
            serve_sim(host.clone(), rec.clone(), wire, HOST_PORT)
        });
    }

    let relay = Arc::new(Relay {
        dialect: wire.dialect,
        framing: wire.framing,
        max_frame: DEFAULT_MAX_FRAME,
        engine: Arc::new(Mutex::new(Engine::new(scenario.faults.clone(), engine_rng))),
        sink: Arc::new(rec.clone()),
        clock: rec.clock(),
    });
    let conns = Arc::new(AtomicU32::new(0));
    sim.host("proxy", move || proxy_node(relay.clone(), conns.clone()));

    let store = Store::default();
    let sales = sales(scenario);
    let terminal = ReferenceTerminal::new(
        scenario.terminal.clone(),
        wire,
        SimDialer {
            host: "proxy".into(),
            port: PROXY_PORT,
        },
        store,
        rec.clone(),
    );
    sim.client("terminal", async move {
        let mut terminal = terminal;
        terminal.run(sales).await;
        Ok(())
    });

    let error = sim.run().err().map(|e| match e.to_string() {
        s if s.contains("Ran for duration") => format!(
            "the run did not finish within time_limit {} of simulated time",
            scenario.time_limit
        ),
        s => s,
    });
    drop(sim);

    let transcript = rec.transcript();
    let journal = host
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .journal()
        .to_vec();
    let verdicts = run_all(
        &CheckInput {
            transcript: &transcript,
            journal: &journal,
            response_timeout: scenario.terminal.response_timeout.get(),
        },
        &scenario.expect.failing_checks,
    );
    let outcomes: Vec<_> = transcript.outcomes().map(|(_, o)| o.clone()).collect();
    let mismatches = RunReport::mismatches(scenario, &outcomes);
    let passed =
        error.is_none() && mismatches.is_empty() && verdicts.iter().all(|v| v.as_expected());
    RunReport {
        scenario: scenario.name.clone(),
        seed,
        passed,
        error,
        verdicts,
        mismatches,
        outcomes,
        journal,
        transcript,
    }
}

fn sales(scenario: &Scenario) -> Vec<SaleCommand> {
    scenario
        .schedule
        .iter()
        .filter_map(|step| match step {
            Step::Sale(s) => {
                let card = scenario.host.cards.iter().find(|c| c.id == s.card)?;
                Some(SaleCommand {
                    txn: s.id.clone(),
                    at: s.at.get(),
                    amount: s.amount,
                    pan: card.pan.clone(),
                })
            }
        })
        .collect()
}

/// The proxy node: accepts terminal connections and relays each to the host.
async fn proxy_node(relay: Arc<Relay>, conns: Arc<AtomicU32>) -> turmoil::Result {
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PROXY_PORT)).await?;
    loop {
        let (terminal, _) = listener.accept().await?;
        let conn = conns.fetch_add(1, Ordering::Relaxed) + 1;
        let relay = relay.clone();
        tokio::task::spawn_local(async move {
            match turmoil::net::TcpStream::connect(("host", HOST_PORT)).await {
                Ok(host) => relay.run(conn, terminal, host).await,
                Err(e) => relay.sink.emit(LinkEvent::UpstreamFailed {
                    conn,
                    error: e.to_string(),
                }),
            }
        });
    }
}
