//! One scenario, one seed, in a turmoil simulation: terminal -> proxy -> host as three nodes.
//!
//! Determinism: turmoil gets an explicit seed, epoch, duration and fixed latency; the fault
//! engine and then the host (processing delays) get their own ChaCha streams split from the
//! run seed in a fixed order (turmoil, engine, host: append new streams, never reorder); nodes are
//! single-threaded; nothing reads the wall clock.

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use posfault_proxies::fault::{Engine, Refusal, Route};
use posfault_proxies::link::{Clock, Malformed, Relay, SimNetwork, serve};
use posfault_proxies::wire::framing::DEFAULT_MAX_FRAME;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::check::{CheckInput, run_all};
use crate::host::{Host, MaintenanceMode, serve_sim};
use crate::runner::partitions::PartitionPlan;
use crate::runner::power::{PowerAction, PowerPlan};
use crate::runner::report::RunReport;
use crate::scenario::{Due, Scenario, Step};
use crate::terminal::{
    After, CardData, Command, ReferenceTerminal, SaleCommand, Schedule, Scheduled, SettleCommand,
    SimDialer, Store, Terminal, TerminalConfig, TerminalIo,
};
use crate::transcript::Recorder;
use crate::wire::Wire;

const HOST_PORT: u16 = 8583;
const PROXY_PORT: u16 = 9583;
/// The node standing for the terminal's backup host address: a second proxy in front of the
/// same host, sharing the fault engine so connections are numbered across both routes.
const BACKUP_NODE: &str = "backup";

/// Simulated time since the simulation started.
struct SimClock;

impl Clock for SimClock {
    fn now(&self) -> Duration {
        turmoil::sim_elapsed().unwrap_or_default()
    }
}

/// Runs `scenario` with `seed` against the reference terminal and judges it.
pub fn run(scenario: &Scenario, seed: u64) -> RunReport {
    run_with(scenario, seed, &|| Box::new(ReferenceTerminal::new()))
}

/// Runs `scenario` with `seed` against the terminal `boot` makes, and judges it. `boot` is
/// called at the start and again after every power cycle: a fresh value, volatile memory gone.
pub fn run_with(scenario: &Scenario, seed: u64, boot: &dyn Fn() -> Box<dyn Terminal>) -> RunReport {
    let wire = Wire {
        dialect: scenario.dialect.dialect(),
        framing: scenario.framing,
        envelope: scenario.envelope,
    };
    let mut master = ChaCha8Rng::seed_from_u64(seed);
    let turmoil_seed = master.next_u64();
    let engine_rng = ChaCha8Rng::seed_from_u64(master.next_u64());
    let host_rng = ChaCha8Rng::seed_from_u64(master.next_u64());

    let net = &scenario.network;
    let latency = net.latency.get();
    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(turmoil_seed)
        .tick_duration(scenario.tick.get())
        .simulation_duration(scenario.time_limit.get())
        .epoch(UNIX_EPOCH + Duration::from_secs(crate::terminal::RUN_EPOCH_UNIX))
        .min_message_latency(latency)
        .max_message_latency(net.latency_max.map_or(latency, |m| m.get()));
    if let Some(loss) = net.loss {
        builder
            .fail_rate(loss.fail_rate)
            .repair_rate(loss.repair_rate);
    }
    let mut sim = builder.build();

    let rec = Recorder::new(Arc::new(SimClock));
    let host = Arc::new(Mutex::new(Host::new(&scenario.host, host_rng)));
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
        engine: Arc::new(Mutex::new(
            Engine::new(scenario.faults.clone(), engine_rng).with_refusals(host_refusals(scenario)),
        )),
        sink: Arc::new(rec.clone()),
        clock: rec.clock(),
        malformed: Malformed::Forward,
    });
    let routes: &[(&str, Route)] = if scenario.terminal.backup_host {
        &[("proxy", Route::Primary), (BACKUP_NODE, Route::Backup)]
    } else {
        &[("proxy", Route::Primary)]
    };
    for &(node, route) in routes {
        let relay = relay.clone();
        sim.host(node, move || {
            let net = Rc::new(SimNetwork {
                port: PROXY_PORT,
                upstream: "host".into(),
                upstream_port: HOST_PORT,
                route,
            });
            let relay = relay.clone();
            async move { Ok(serve(net, relay).await?) }
        });
    }

    // One member per terminal (a fleet runs many as tasks in this one node, which keeps the
    // simulation's per-step cost flat); each has its own store and schedule.
    let members: Vec<(TerminalConfig, Store, Schedule)> = scenario
        .terminal
        .members()
        .into_iter()
        .enumerate()
        .map(|(n, config)| {
            let offset = scenario
                .terminal
                .fleet
                .map_or(Duration::ZERO, |f| f.stagger.get() * n as u32);
            let suffix = scenario.terminal.fleet.map(|_| format!("@{}", config.id));
            let schedule = Schedule::chained(
                commands(scenario, offset, suffix.as_deref()),
                rec.clone(),
                &config.id,
            );
            (config, Store::default(), schedule)
        })
        .collect();
    let schedules: Vec<Schedule> = members.iter().map(|m| m.2.clone()).collect();
    {
        let rec = rec.clone();
        sim.host("terminal", move || {
            let boots: Vec<_> = members
                .iter()
                .map(|(config, store, schedule)| {
                    let dialer = |node: &str, route| {
                        Box::new(SimDialer {
                            host: node.into(),
                            port: PROXY_PORT,
                            route,
                            terminal: config.id.clone(),
                            recorder: rec.clone(),
                        })
                    };
                    let mut io = TerminalIo::new(
                        config.clone(),
                        wire,
                        dialer("proxy", Route::Primary),
                        store.clone(),
                        schedule.clone(),
                        rec.clone(),
                    );
                    if config.backup_host {
                        io = io.with_backup(dialer(BACKUP_NODE, Route::Backup));
                    }
                    (boot(), io)
                })
                .collect();
            async move {
                let runs = boots.into_iter().map(|(mut terminal, io)| async move {
                    terminal.run(&io).await;
                });
                futures_util::future::join_all(runs).await;
                Ok(())
            }
        });
    }

    let error = drive(&mut sim, scenario, &rec, &schedules);
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
            policy: &scenario.terminal,
            tick: scenario.tick.get(),
        },
        &scenario.expect.failing_checks,
    );
    let outcomes: Vec<_> = transcript.outcomes().map(|(_, o)| o.clone()).collect();
    let mismatches = RunReport::mismatches(scenario, &outcomes, &journal);
    let passed =
        error.is_none() && mismatches.is_empty() && verdicts.iter().all(|v| v.as_expected());
    RunReport {
        scenario: scenario.name.clone(),
        seed,
        mode: crate::runner::RunMode::Sim,
        passed,
        error,
        verdicts,
        mismatches,
        outcomes,
        journal,
        transcript,
    }
}

/// Steps the simulation until the terminal has finished its schedule, carrying out power
/// cycles between steps. Returns why the run failed, if it did.
fn drive(
    sim: &mut turmoil::Sim<'_>,
    scenario: &Scenario,
    rec: &Recorder,
    schedules: &[Schedule],
) -> Option<String> {
    let mut power = PowerPlan::terminal(scenario);
    let mut host_power = PowerPlan::host(scenario);
    let mut partitions = PartitionPlan::new(&scenario.network);
    loop {
        partitions.apply_due(sim);
        if let Err(e) = sim.step() {
            return Some(e.to_string());
        }
        let now = sim.elapsed();
        match power.between_steps(now, rec) {
            PowerAction::Cut => sim.crash("terminal"),
            PowerAction::Restore => sim.bounce("terminal"),
            PowerAction::None => {}
        }
        match host_power.between_steps(now, rec) {
            PowerAction::Cut => sim.crash("host"),
            PowerAction::Restore => sim.bounce("host"),
            PowerAction::None => {}
        }
        if !power.is_off() && !sim.is_host_running("terminal") {
            return None;
        }
        if now > scenario.time_limit.get() {
            return Some(format!(
                "the run did not finish within time_limit {} of simulated time ({} commands left)",
                scenario.time_limit,
                schedules.iter().map(Schedule::remaining).sum::<usize>()
            ));
        }
    }
}

/// The host's own `refuse` maintenance windows, which the proxy in front of it mirrors: while
/// the host is down, connecting to the proxy fails too, as it would without a proxy.
pub(crate) fn host_refusals(scenario: &Scenario) -> Vec<Refusal> {
    scenario
        .host
        .maintenance
        .iter()
        .filter(|w| w.mode == MaintenanceMode::Refuse)
        .map(|w| Refusal {
            rule: "host maintenance (refuse)".into(),
            from: w.from.get(),
            until: w.until.get(),
        })
        .collect()
}

/// The schedule's commands, `offset` later and with ids suffixed by `suffix` (fleet members).
/// A command `after` another transaction follows this member's own one, so its id gets the
/// suffix too, and no offset: the outcome it waits for is already staggered.
pub(crate) fn commands(
    scenario: &Scenario,
    offset: Duration,
    suffix: Option<&str>,
) -> Vec<Scheduled> {
    let id = |id: &str| format!("{id}{}", suffix.unwrap_or_default());
    scenario
        .schedule
        .iter()
        .filter_map(|step| {
            let card_txn = |card_id: &str, amount, txn_type, pin: &Option<String>| {
                let card = scenario.host.cards.iter().find(|c| c.id == card_id)?;
                Some(SaleCommand {
                    txn: id(step.id()?),
                    at: Duration::ZERO,
                    amount,
                    pan: card.pan.clone(),
                    card: CardData {
                        txn: txn_type,
                        expiry: card.expiry.clone(),
                        entry: card.entry,
                        pin: pin.clone().or_else(|| card.pin.clone()),
                        declines_after_approval: card.declines_after_approval,
                    },
                })
            };
            let mut command = match step {
                Step::Sale(s) => Command::Sale(card_txn(&s.card, s.amount, s.txn_type, &s.pin)?),
                Step::Auth(s) => Command::Auth(card_txn(&s.card, s.amount, None, &s.pin)?),
                Step::Refund(s) => Command::Refund(card_txn(&s.card, s.amount, None, &s.pin)?),
                Step::Settle(s) => Command::Settle(SettleCommand {
                    txn: id(&s.id),
                    at: Duration::ZERO,
                }),
                Step::PowerCycle(_) | Step::HostRestart(_) => return None,
            };
            let after = match step.due()? {
                Due::At(at) => {
                    match &mut command {
                        Command::Sale(c) | Command::Auth(c) | Command::Refund(c) => {
                            c.at = at + offset
                        }
                        Command::Settle(c) => c.at = at + offset,
                    }
                    None
                }
                Due::After { txn, wait } => Some(After { txn: id(txn), wait }),
            };
            Some(Scheduled { command, after })
        })
        .collect()
}
