//! One scenario, live: the reference host and the fault proxy on ephemeral loopback ports, the
//! terminal as a child process speaking the adapter protocol, commands fed in wall-clock time.
//! Everything lands in the same [`Recorder`] the simulation uses, and the same checks judge it,
//! so reports look the same; only the times are real.
//!
//! What is the same as the simulation: the fault engine and the host's processing delays draw
//! from the ChaCha streams split from the run seed in the simulation's order (turmoil's stream
//! is drawn and unused), so the same seed makes the same fault decisions; power cycles use the
//! simulation's `PowerPlan`. What differs: times are wall-clock (so transcripts are not
//! byte-identical between runs), there is no simulated network below the proxy (latency, loss
//! and partitions are the simulation's; validation refuses them in live scenarios), and timing
//! checks get [`LIVE_TICK`] of tolerance where the simulation allows one tick.
//!
//! Every run is bounded by the scenario's `time_limit` in wall-clock time, watches Ctrl-C, and
//! always ends the same way: `shutdown` to the terminal, 5 s of grace, SIGKILL to its process
//! group, listeners and connections closed, the state directory removed.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use posfault_proxies::fault::{Engine, Route};
use posfault_proxies::link::{LinkEvent, Malformed, MonotonicClock, Relay, TcpNetwork, serve};
use posfault_proxies::wire::framing::DEFAULT_MAX_FRAME;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::Notify;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::check::{CheckInput, run_all};
use crate::host::{Host, JournalEntry, LiveGate, OnEntry, serve_live};
use crate::live::adapter::{self, AdapterCard, AdapterCommand, CURRENCY, Said, VERSION};
use crate::live::child::{Output, TerminalProcess};
use crate::live::env::terminal_env;
use crate::live::{interrupt, scale};
use crate::runner::power::{PowerAction, PowerPlan};
use crate::runner::sim::{commands, host_refusals};
use crate::runner::{RunMode, RunReport};
use crate::scenario::Scenario;
use crate::terminal::{Command, TerminalEvent};
use crate::transcript::{EventKind, HostEvent, Recorder, Tap};
use crate::wire::Wire;

/// Tolerance of timing checks in live runs, passed as the checks' `tick`: process scheduling,
/// pipes and loopback hops make real times jitter by a few milliseconds, more on a loaded
/// machine; 50 ms absorbs that without hiding a policy broken by a whole interval.
pub const LIVE_TICK: Duration = Duration::from_millis(50);

/// How long a terminal may take to say `ready` (protocol: 10 s).
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a terminal has to exit after `shutdown` before its group is killed (protocol: 5 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How often the run looks at its power plan when nothing else happens.
const POLL: Duration = Duration::from_millis(5);

/// How live runs are made, for the whole `posfault run`.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Replaces every live scenario's `terminal.command` (`--terminal-cmd`).
    pub command: Option<Vec<String>>,
    /// Multiplies the scenario's timings (`--time-scale`), > 0.
    pub time_scale: f64,
    /// Keep each run's state directory and say where it is (`--keep-state`).
    pub keep_state: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            command: None,
            time_scale: 1.0,
            keep_state: false,
        }
    }
}

/// Whether a scenario runs live: it names a terminal command.
pub fn is_live(s: &Scenario) -> bool {
    s.terminal.command.is_some()
}

/// The command a live run starts: `--terminal-cmd` or the scenario's, with a first element
/// `posfault` replaced by this executable so scenarios name the built-in terminal portably.
pub fn terminal_argv(s: &Scenario, opts: &LiveOptions) -> Vec<String> {
    let mut argv = opts
        .command
        .clone()
        .or_else(|| s.terminal.command.clone())
        .unwrap_or_default();
    if argv.first().is_some_and(|a| a == "posfault")
        && let Ok(exe) = std::env::current_exe()
    {
        argv[0] = exe.display().to_string();
    }
    argv
}

/// Runs `scenario` live with `seed` and judges it. Never panics on a misbehaving terminal: a
/// crash, a hang, a protocol error or Ctrl-C end the run with `error` set.
pub fn run_live(scenario: &Scenario, seed: u64, opts: &LiveOptions) -> RunReport {
    let s = scale::scaled(scenario, opts.time_scale);
    let mut master = ChaCha8Rng::seed_from_u64(seed);
    let _turmoil = master.next_u64();
    let engine_rng = ChaCha8Rng::seed_from_u64(master.next_u64());
    let host_rng = ChaCha8Rng::seed_from_u64(master.next_u64());
    let host = Arc::new(Mutex::new(Host::new(&s.host, host_rng)));

    // Frames wake the run at once, so a power cut "right after the 0200" lands before the
    // host's answer can reach the terminal.
    let wake = Arc::new(Notify::new());
    let tap: Tap = {
        let wake = wake.clone();
        Arc::new(move |kind: &EventKind| {
            if matches!(kind, EventKind::Link(LinkEvent::Frame(_))) {
                wake.notify_one();
            }
        })
    };
    let rec = Recorder::with_tap(Arc::new(MonotonicClock::start()), tap);

    block_sigpipe();
    let error = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        _ if interrupt::interrupted() => Some("interrupted (Ctrl-C) before it started".into()),
        Err(e) => Some(format!("cannot start the async runtime: {e}")),
        Ok(rt) => {
            let local = tokio::task::LocalSet::new();
            let out = local.block_on(
                &rt,
                live(&s, opts, &rec, host.clone(), engine_rng, wake.clone()),
            );
            // Dropping the set and the runtime closes every connection task and socket.
            drop(local);
            drop(rt);
            out.err()
        }
    };

    let transcript = rec.transcript();
    let journal: Vec<JournalEntry> = host
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .journal()
        .to_vec();
    let mut verdicts = run_all(
        &CheckInput {
            transcript: &transcript,
            journal: &journal,
            policy: &s.terminal,
            tick: LIVE_TICK,
        },
        &s.expect.failing_checks,
    );
    let outcomes: Vec<_> = transcript.outcomes().map(|(_, o)| o.clone()).collect();
    for v in &mut verdicts {
        if v.check.needs_dial_records() {
            v.set_not_applicable(
                "a terminal process dials for itself and a refused connect never reaches the \
                 proxy: a live run has no dial records to judge redials by",
            );
        } else if s.host.upstream.is_some() && v.check.needs_journal() {
            v.set_not_applicable(
                "the host is a real one (host.upstream): posfault has no journal to compare with",
            );
        }
    }
    let mismatches = RunReport::mismatches(&s, &outcomes, &journal);
    let passed =
        error.is_none() && mismatches.is_empty() && verdicts.iter().all(|v| v.as_expected());
    RunReport {
        scenario: s.name.clone(),
        seed,
        mode: RunMode::Live,
        passed,
        error,
        verdicts,
        mismatches,
        outcomes,
        journal,
        transcript,
    }
}

/// Writes to a dead terminal's stdin must be an error to handle, not a SIGPIPE that kills
/// `posfault` (whose `run` restores the default disposition for `| head`). Blocking the signal
/// in the thread that runs the live run (all its I/O happens there) does that without
/// changing the rest of the process; terminals get the default mask back in `child.rs`.
fn block_sigpipe() {
    // SAFETY: plain libc calls on a local, initialised signal set; they only change this
    // thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Sets up host, proxy and state directory, drives the run within its time limit, and tears
/// everything down whatever happened.
async fn live(
    s: &Scenario,
    opts: &LiveOptions,
    rec: &Recorder,
    host: Arc<Mutex<Host>>,
    engine_rng: ChaCha8Rng,
    wake: Arc<Notify>,
) -> Result<(), String> {
    let wire = Wire {
        dialect: s.dialect.dialect(),
        framing: s.framing,
        envelope: s.envelope,
    };
    let loopback: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();

    let (stop_host, host_stopped) = tokio::sync::oneshot::channel::<()>();
    let (host_addr, host_task) = match &s.host.upstream {
        // A real host: nothing of ours to start.
        Some(addr) => (addr.clone(), None),
        None => {
            let listener = tokio::net::TcpListener::bind(loopback)
                .await
                .map_err(|e| format!("cannot listen for the host on 127.0.0.1: {e}"))?;
            let gate = LiveGate::new(listener, host.clone(), rec.clock())
                .map_err(|e| format!("cannot serve the host: {e}"))?;
            let addr = gate.addr().to_string();
            let on_entry: OnEntry = {
                let rec = rec.clone();
                Arc::new(move |e: &JournalEntry| {
                    rec.record(HostEvent::Journal {
                        entry: Box::new(e.clone()),
                    })
                })
            };
            let task = tokio::task::spawn_local(serve_live(
                gate,
                host,
                rec.clock(),
                Wire {
                    envelope: None,
                    ..wire
                },
                on_entry,
                async {
                    let _ = host_stopped.await;
                },
            ));
            (addr, Some(task))
        }
    };

    let net = Rc::new(
        TcpNetwork::bind_now(loopback, host_addr.clone())
            .map_err(|e| format!("cannot listen for the proxy on 127.0.0.1: {e}"))?,
    );
    let proxy_addr = net.listen;
    // A backup host address is, as in the simulation, a second proxy in front of the same host
    // on its own route (rules can aim at it with `when: {route: backup}`), sharing the engine so
    // connections are numbered across both.
    let backup_net = if s.terminal.backup_host {
        Some(Rc::new(
            TcpNetwork::bind_now(loopback, host_addr)
                .map_err(|e| format!("cannot listen for the backup proxy on 127.0.0.1: {e}"))?
                .on_route(Route::Backup),
        ))
    } else {
        None
    };
    let relay = Arc::new(Relay {
        dialect: wire.dialect,
        framing: wire.framing,
        max_frame: DEFAULT_MAX_FRAME,
        engine: Arc::new(Mutex::new(
            Engine::new(s.faults.clone(), engine_rng).with_refusals(host_refusals(s)),
        )),
        sink: Arc::new(rec.clone()),
        clock: rec.clock(),
        malformed: Malformed::Forward,
    });
    let backup_addr = backup_net.as_ref().map(|n| n.listen.to_string());
    let backup_task = backup_net.map(|n| tokio::task::spawn_local(serve(n, relay.clone())));
    let proxy_task = tokio::task::spawn_local(serve(net, relay));

    let state = StateDir::create(opts.keep_state)?;
    let env = terminal_env(
        s,
        &proxy_addr.to_string(),
        backup_addr.as_deref(),
        state.path(),
    );
    let mut term = Boots::new(terminal_argv(s, opts), env, rec.clone());

    let limit = s.time_limit.get();
    let result = tokio::select! {
        biased;
        () = interrupt::wait() => Err("interrupted (Ctrl-C): terminals and listeners stopped".to_string()),
        r = tokio::time::timeout(limit, drive(s, rec, &mut term, &wake)) => match r {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the live run did not finish within time_limit {} (wall clock{})",
                s.time_limit,
                if opts.time_scale == 1.0 { String::new() } else { format!(", scaled by {}", opts.time_scale) }
            )),
        },
    };

    term.shutdown().await;
    let _ = stop_host.send(());
    if let Some(task) = host_task {
        let _ = task.await;
    }
    for task in std::iter::once(proxy_task).chain(backup_task) {
        task.abort();
        let _ = task.await;
    }
    if opts.keep_state {
        eprintln!(
            "{}: terminal state kept in {}",
            s.name,
            state.path().display()
        );
    }
    drop(state);
    result
}

/// Feeds the schedule's commands in wall-clock time, one at a time, and carries out power
/// cycles, until every command has an outcome (or was lost to a power cut).
async fn drive(
    s: &Scenario,
    rec: &Recorder,
    term: &mut Boots,
    wake: &Notify,
) -> Result<(), String> {
    // Validation admits only steps at fixed times in live runs.
    let mut queue: VecDeque<Command> = commands(s, Duration::ZERO, None)
        .into_iter()
        .map(|c| c.command)
        .collect();
    let mut power = PowerPlan::terminal(s);
    let mut in_flight: Option<String> = None;
    term.start().await?;
    loop {
        let now = rec.clock().now();
        match power.between_steps(now, rec) {
            PowerAction::Cut => {
                // The command in flight is lost with the terminal's memory.
                term.cut();
                in_flight = None;
            }
            PowerAction::Restore => term.start().await?,
            PowerAction::None => {}
        }
        if queue.is_empty() && in_flight.is_none() && !power.is_off() {
            return Ok(());
        }
        let idle = in_flight.is_none() && !power.is_off() && term.is_on();
        if idle && queue.front().is_some_and(|c| c.at() <= now) {
            let Some(cmd) = queue.pop_front() else {
                continue;
            };
            rec.record(command_event(s, &cmd));
            in_flight = Some(cmd.txn().to_string());
            term.send(&adapter_command(&cmd)).await?;
            continue;
        }
        let wait = match queue.front() {
            Some(c) if idle => c.at().saturating_sub(now).min(POLL),
            _ => POLL,
        };
        tokio::select! {
            biased;
            said = term.next() => {
                let o = said?.into_outcome()?;
                if in_flight.as_deref() == Some(o.txn.as_str()) {
                    in_flight = None;
                }
                rec.record(TerminalEvent::Outcome(o));
            }
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The `command` event the simulation's `Schedule` records for the same command.
fn command_event(s: &Scenario, cmd: &Command) -> TerminalEvent {
    match cmd {
        Command::Sale(x) | Command::Auth(x) | Command::Refund(x) => TerminalEvent::Command {
            terminal: s.terminal.id.clone(),
            txn: x.txn.clone(),
            op: cmd.op().into(),
            amount: x.amount,
            card: x.pan.masked(),
        },
        _ => TerminalEvent::Command {
            terminal: s.terminal.id.clone(),
            txn: cmd.txn().to_string(),
            op: cmd.op().into(),
            amount: crate::money::Amount(0),
            card: String::new(),
        },
    }
}

/// A command as its protocol line.
fn adapter_command(cmd: &Command) -> AdapterCommand {
    match cmd {
        Command::Sale(x) | Command::Auth(x) | Command::Refund(x) => AdapterCommand {
            v: VERSION,
            id: Some(x.txn.clone()),
            op: match (cmd, x.card.txn) {
                (Command::Auth(_), _) => "auth",
                (Command::Refund(_), _) | (_, Some(crate::host::TxnType::Refund)) => "refund",
                _ => "sale",
            }
            .into(),
            amount: Some(x.amount.to_string()),
            currency: Some(CURRENCY.into()),
            card: Some(AdapterCard {
                pan: x.pan.reveal().to_string(),
                expiry: x.card.expiry.clone(),
                entry: adapter::entry_name(x.card.entry).into(),
                pin: x.card.pin.clone(),
            }),
        },
        _ => AdapterCommand {
            v: VERSION,
            id: Some(cmd.txn().to_string()),
            op: cmd.op().into(),
            amount: None,
            currency: None,
            card: None,
        },
    }
}

/// The terminal across its boots: one process per boot, every boot's output on one channel
/// tagged with its boot number, so a killed boot's last words are recognised and dropped.
struct Boots {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    rec: Recorder,
    boot: u32,
    proc: Option<TerminalProcess>,
    tx: UnboundedSender<(u32, Output)>,
    rx: UnboundedReceiver<(u32, Output)>,
}

impl Boots {
    fn new(argv: Vec<String>, env: Vec<(String, String)>, rec: Recorder) -> Self {
        let (tx, rx) = unbounded_channel();
        Boots {
            argv,
            env,
            rec,
            boot: 0,
            proc: None,
            tx,
            rx,
        }
    }

    fn is_on(&self) -> bool {
        self.proc.is_some()
    }

    /// Starts a new boot and waits for its `ready`.
    async fn start(&mut self) -> Result<(), String> {
        self.boot += 1;
        let p = TerminalProcess::spawn(&self.argv, &self.env, self.boot, self.tx.clone())
            .map_err(|e| e.to_string())?;
        self.proc = Some(p);
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            loop {
                match self.recv().await {
                    Recv::Said(Said::Ready(_)) => return Ok(()),
                    Recv::Said(Said::Outcome(o)) => {
                        return Err(format!(
                            "the terminal sent an outcome ({}) before it said ready",
                            o.id
                        ));
                    }
                    Recv::Said(_) => {}
                    Recv::Exited(why) => return Err(format!("before it was ready, {why}")),
                    Recv::Bad(why) => return Err(why),
                }
            }
        })
        .await;
        match ready {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the terminal did not say ready within {}s (command {:?}); expected the line \
                 {{\"v\":1,\"event\":\"ready\",\"terminal\":\"<name version>\"}} on stdout",
                START_TIMEOUT.as_secs(),
                self.argv.join(" ")
            )),
        }
    }

    /// The next outcome of the current boot; notes and logs are recorded on the way. An exit
    /// or a protocol error is an error. Pending while the terminal is off.
    async fn next(&mut self) -> Result<adapter::AdapterOutcome, String> {
        loop {
            match self.recv().await {
                Recv::Said(Said::Outcome(o)) => return Ok(o),
                Recv::Said(_) => {}
                Recv::Exited(why) => return Err(why),
                Recv::Bad(why) => return Err(why),
            }
        }
    }

    /// Receives what the current boot says, recording notes and log lines; ignores earlier
    /// boots.
    async fn recv(&mut self) -> Recv {
        loop {
            let Some((boot, out)) = self.rx.recv().await else {
                return Recv::Exited("the terminal's output channel closed".into());
            };
            if boot != self.boot || self.proc.is_none() {
                continue;
            }
            match out {
                Output::Stdout(line) => match adapter::parse_line(&line) {
                    Ok(Said::Note(t)) => {
                        self.rec.record(TerminalEvent::Note {
                            text: adapter::mask_pans(&t),
                        });
                        return Recv::Said(Said::Note(t));
                    }
                    Ok(Said::Other(l)) => {
                        self.rec.record(TerminalEvent::Log {
                            stream: "stdout".into(),
                            line: adapter::mask_pans(&l),
                        });
                    }
                    Ok(said) => return Recv::Said(said),
                    Err(why) => return Recv::Bad(why),
                },
                Output::Stderr(line) => self.rec.record(TerminalEvent::Log {
                    stream: "stderr".into(),
                    line: adapter::mask_pans(&line),
                }),
                Output::Exited {
                    status,
                    stderr_tail,
                } => {
                    self.proc = None;
                    let tail = if stderr_tail.is_empty() {
                        "no stderr output".to_string()
                    } else {
                        format!(
                            "last stderr lines: {}",
                            adapter::mask_pans(&stderr_tail.join(" | "))
                        )
                    };
                    return Recv::Exited(format!(
                        "the terminal exited unexpectedly ({status}); {tail}"
                    ));
                }
            }
        }
    }

    /// Sends a command line. A terminal that cannot take it has died: report how.
    async fn send(&mut self, cmd: &AdapterCommand) -> Result<(), String> {
        let Some(p) = self.proc.as_mut() else {
            return Err("the terminal is not running".into());
        };
        if let Err(e) = p.send(&cmd.line()).await {
            // Its exit status says more than the broken pipe.
            let why = tokio::time::timeout(Duration::from_secs(1), self.next()).await;
            return Err(match why {
                Ok(Err(exit)) => exit,
                _ => format!("cannot write to the terminal's stdin: {e}"),
            });
        }
        Ok(())
    }

    /// A power cut: SIGKILL to the process group, at once.
    fn cut(&mut self) {
        if let Some(p) = self.proc.take() {
            p.kill();
        }
    }

    /// The end of a run: `shutdown`, up to 5 s to exit, then SIGKILL to the group.
    async fn shutdown(&mut self) {
        let Some(mut p) = self.proc.take() else {
            return;
        };
        let _ = p.send(&AdapterCommand::shutdown().line()).await;
        p.close_stdin();
        let boot = self.boot;
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while let Some((b, out)) = self.rx.recv().await {
                if b == boot && matches!(out, Output::Exited { .. }) {
                    return;
                }
            }
        })
        .await;
        drop(p); // kills the group, whatever is left of it
    }
}

enum Recv {
    Said(Said),
    Exited(String),
    Bad(String),
}

/// A fresh directory for one run's terminal state, removed when dropped unless kept.
struct StateDir {
    path: PathBuf,
    keep: bool,
}

impl StateDir {
    fn create(keep: bool) -> Result<StateDir, String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "posfault-live-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create the state directory {}: {e}", path.display()))?;
        Ok(StateDir { path, keep })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
