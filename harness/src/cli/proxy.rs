//! `posfault proxy`: the fault engine as a live TCP proxy between a real terminal and a real
//! host, with the same rules a scenario uses.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::Args;
use posfault_proxies::fault::Engine;
use posfault_proxies::link::{
    Clock, EventSink, LinkEvent, Malformed, MonotonicClock, Network, Relay, TcpNetwork, serve_on,
};
use posfault_proxies::wire::framing::DEFAULT_MAX_FRAME;
use posfault_proxies::wire::{DialectName, Framing};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::cli::{EXIT_PASS, EXIT_USAGE};
use crate::scenario::load_faults_file;
use crate::transcript::At;

#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Address to listen on, e.g. 127.0.0.1:9583 (port 0 picks a free one).
    #[arg(long)]
    listen: SocketAddr,
    /// The host to relay to, as HOST:PORT.
    #[arg(long)]
    upstream: String,
    /// Fault rules: a YAML file with a `faults:` list, as in a scenario. Without it the proxy
    /// only relays and records.
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Wire dialect used to decode frames for matching and recording.
    #[arg(long, default_value = "iso87")]
    dialect: DialectName,
    /// Framing on both sides.
    #[arg(long, default_value = "u16be")]
    framing: Framing,
    /// Seed of the fault engine's RNG (probabilities, random delays, garbage).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write every connection, frame and fault as JSON lines to this file.
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// What to do with a frame that does not decode and no rule fired on: forward, drop or
    /// close.
    #[arg(long, default_value = "forward")]
    malformed: Malformed,
    /// Allow listening on a non-loopback address (the proxy relays card data).
    #[arg(long)]
    allow_remote: bool,
}

/// One transcript line.
#[derive(Serialize)]
struct Line<'a> {
    at: At,
    seq: u64,
    #[serde(flatten)]
    event: &'a LinkEvent,
}

/// Writes events as JSON lines and reports fired faults on stderr.
struct JsonLines {
    clock: Arc<dyn Clock>,
    out: Mutex<(u64, Option<BufWriter<File>>)>,
}

impl JsonLines {
    fn flush(&self) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        match out.1.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl EventSink for JsonLines {
    fn records_every_frame(&self) -> bool {
        self.out.lock().is_ok_and(|out| out.1.is_some())
    }

    fn emit(&self, event: LinkEvent) {
        let at = At::from_duration(self.clock.now());
        let fired = match &event {
            LinkEvent::Frame(f) => f.rule.as_ref().map(|r| {
                let fate = format!("{:?}", f.fate).to_lowercase();
                let what = f.mti.as_deref().unwrap_or("unreadable frame");
                format!(
                    "conn {} {} {what}: {fate} by rule {r:?}",
                    f.conn,
                    f.dir.arrow()
                )
            }),
            LinkEvent::ConnFault { conn, rule, what } => {
                Some(format!("conn {conn}: {what} by rule {rule:?}"))
            }
            LinkEvent::Refusing { rule, until } => Some(format!(
                "refusing connections until {until} by rule {rule:?}"
            )),
            _ => None,
        };
        if let Some(line) = fired {
            eprintln!("{at}  {line}");
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let seq = out.0;
        out.0 += 1;
        if let Some(w) = out.1.as_mut() {
            let line = Line {
                at,
                seq,
                event: &event,
            };
            if serde_json::to_writer(&mut *w, &line).is_ok() {
                let _ = w.write_all(b"\n");
            }
        }
    }
}

pub(crate) fn run(args: ProxyArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        bail!(
            "--listen {} is not a loopback address; the proxy relays card data, so it listens on \
             127.0.0.1 unless you also pass --allow-remote",
            args.listen
        );
    }
    let rules = match &args.faults {
        None => Vec::new(),
        Some(path) => match load_faults_file(path) {
            Ok(rules) => rules,
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        },
    };
    // Bound before anything is announced: port 0 gets a free port now (a refusal window can
    // close and reopen the same one), and nobody is told an address that is not listening yet.
    let net = Rc::new(
        TcpNetwork::bind_now(args.listen, args.upstream.clone())
            .with_context(|| format!("cannot listen on {}", args.listen))?,
    );
    let listen = net.listen;
    let clock: Arc<dyn Clock> = Arc::new(MonotonicClock::start());
    let file = match &args.transcript {
        Some(p) => Some(BufWriter::new(File::create(p).with_context(|| {
            format!("cannot write --transcript {}", p.display())
        })?)),
        None => None,
    };
    let sink = Arc::new(JsonLines {
        clock: clock.clone(),
        out: Mutex::new((0, file)),
    });
    let relay = Arc::new(Relay {
        dialect: args.dialect.dialect(),
        framing: args.framing,
        max_frame: DEFAULT_MAX_FRAME,
        engine: Arc::new(Mutex::new(Engine::new(
            rules,
            ChaCha8Rng::seed_from_u64(args.seed),
        ))),
        sink: sink.clone(),
        clock,
        malformed: args.malformed,
    });
    // One thread: the proxy is pinned to one core in benchmarks, and relays are local tasks.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let served = local.block_on(&rt, async {
        let listener = net
            .bind()
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let mut sigint = crate::live::interrupt::catch().context("cannot watch for Ctrl-C")?;
        let served = tokio::task::spawn_local(serve_on(net, relay, listener));
        eprintln!(
            "posfault proxy listening on {listen}, relaying to {}",
            args.upstream
        );
        tokio::select! {
            biased;
            _ = sigint.recv() => Ok(()),
            done = served => match done {
                Ok(r) => r.with_context(|| format!("proxy on {listen} stopped")),
                Err(e) => Err(anyhow::anyhow!("proxy task failed: {e}")),
            },
        }
    });
    sink.flush().context("cannot flush the transcript")?;
    served?;
    Ok(ExitCode::from(EXIT_PASS))
}
