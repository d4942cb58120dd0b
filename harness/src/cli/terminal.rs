//! `posfault terminal`: the reference terminal outside the simulation.
//!
//! - `--stdio` speaks the adapter protocol (`docs/adapter.md`) on stdin/stdout: the default
//!   terminal of live scenarios, and a working example of the protocol.
//! - `--host ADDR sale --amount 12.34 --card PAN` (or `settle`) makes one transaction against a
//!   real host (e.g. `posfault host`) and prints its outcome: a quick way to poke a host or a
//!   proxy by hand.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use posfault_proxies::link::MonotonicClock;
use posfault_proxies::wire::{DialectName, Framing};
use serde::Deserialize;
use serde::de::IntoDeserializer;

use crate::cli::{EXIT_FAIL, EXIT_PASS, EXIT_USAGE};
use crate::host::{EntryMode, Pan, TxnType};
use crate::live::stdio::{StdioError, run_stdio};
use crate::money::Amount;
use crate::terminal::{
    CardData, Command, Defect, ReferenceTerminal, SaleCommand, Schedule, SettleCommand, Store,
    TcpDialer, Terminal, TerminalConfig, TerminalIo, TxnResult,
};
use crate::transcript::{EventKind, Recorder};
use crate::wire::Wire;

#[derive(Debug, Args)]
pub(crate) struct TerminalArgs {
    /// Speak the adapter protocol on stdin/stdout, configured by POSFAULT_* environment
    /// variables (as `posfault run` starts it for live scenarios).
    #[arg(long, conflicts_with = "host")]
    stdio: bool,
    /// Switch on a known terminal bug (repeatable), e.g. no_reversal_on_timeout: proves the
    /// checks catch it in a live run too.
    #[arg(long, value_name = "DEFECT", value_parser = parse_enum::<Defect>)]
    defect: Vec<Defect>,
    /// The host (or a proxy in front of it), HOST:PORT.
    #[arg(long, required_unless_present = "stdio")]
    host: Option<String>,
    /// A backup host, HOST:PORT: dialed when the primary cannot be reached after its redials,
    /// and dialed first next time while it is the one that last worked (kept in `--state`).
    #[arg(long)]
    backup: Option<String>,
    /// Terminal identity and policy: the `terminal:` section of a scenario as a file of its
    /// own (id, merchant, response_timeout, reversal_retries...). Default: the defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Keep the STAN counter, pending reversal and batch in this directory across runs (a
    /// pending reversal is sent before the next transaction). Default: memory only.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Wire dialect.
    #[arg(long, default_value = "iso87", value_parser = parse_enum::<DialectName>)]
    dialect: DialectName,
    /// Framing.
    #[arg(long, default_value = "u16be", value_parser = parse_enum::<Framing>)]
    framing: Framing,
    /// Print the outcome as one JSON object instead of a line.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    op: Option<OneShot>,
}

#[derive(Debug, Subcommand)]
enum OneShot {
    /// One purchase.
    Sale {
        /// Amount with two decimals, e.g. 12.34.
        #[arg(long)]
        amount: Amount,
        /// The card number (Luhn-valid); printed masked.
        #[arg(long)]
        card: String,
        /// Expiry as YYMM.
        #[arg(long)]
        expiry: Option<String>,
        /// The PIN the cardholder enters.
        #[arg(long)]
        pin: Option<String>,
        /// How the card is read.
        #[arg(long, default_value = "chip", value_parser = parse_enum::<EntryMode>)]
        entry: EntryMode,
    },
    /// Close the batch (0500).
    Settle,
}

/// Parses a value the way YAML names it (`iso87`, `no_reversal_on_timeout`).
fn parse_enum<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, String> {
    T::deserialize(s.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}

pub(crate) fn run(args: TerminalArgs) -> anyhow::Result<ExitCode> {
    if args.stdio {
        if args.op.is_some() {
            bail!("--stdio takes its commands from stdin; drop `sale` / `settle`");
        }
        return match run_stdio(&args.defect) {
            Ok(()) => Ok(ExitCode::from(EXIT_PASS)),
            Err(StdioError::Environment(e)) => {
                // The protocol: a terminal that cannot run as configured exits 2 and says why.
                eprintln!("error: {e}");
                Ok(ExitCode::from(EXIT_USAGE))
            }
            Err(e) => Err(e.into()),
        };
    }
    let Some(op) = args.op else {
        bail!("say what to do: `sale --amount 12.34 --card PAN` or `settle` (or use --stdio)");
    };
    let host = args.host.clone().unwrap_or_default();
    let mut config = match &args.config {
        Some(p) => read_config(p)?,
        None => TerminalConfig::default(),
    };
    config.defects.extend(args.defect.iter().copied());
    config.backup_host |= args.backup.is_some();
    let store = match &args.state {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--state {}: cannot create it", dir.display()))?;
            Store::open(dir)
                .with_context(|| format!("--state {}: cannot read it", dir.display()))?
        }
        None => Store::default(),
    };
    let (cmd, card) = match op {
        OneShot::Sale {
            amount,
            card,
            expiry,
            pin,
            entry,
        } => {
            let pan = Pan::new(&card).map_err(|e| anyhow::anyhow!("--card: {e}"))?;
            let masked = pan.masked();
            (
                Command::Sale(SaleCommand {
                    txn: "t1".into(),
                    at: Duration::ZERO,
                    amount,
                    pan,
                    card: CardData {
                        txn: Some(TxnType::Purchase),
                        expiry,
                        entry,
                        pin,
                        declines_after_approval: false,
                    },
                }),
                Some((masked, amount)),
            )
        }
        OneShot::Settle => (
            Command::Settle(SettleCommand {
                txn: "s1".into(),
                at: Duration::ZERO,
            }),
            None,
        ),
    };
    let wire = Wire {
        dialect: args.dialect.dialect(),
        framing: args.framing,
        envelope: None,
    };
    // What the terminal does goes to stderr as it happens; the outcome to stdout at the end.
    let tap = Arc::new(|kind: &EventKind| {
        if matches!(kind, EventKind::Terminal(_)) {
            eprintln!("  {}", crate::timeline::line(kind));
        }
    });
    let rec = Recorder::with_tap(Arc::new(MonotonicClock::start()), tap);
    let schedule = Schedule::new(vec![cmd], rec.clone(), &config.id);
    let mut io = TerminalIo::new(
        config,
        wire,
        Box::new(TcpDialer { addr: host }),
        store,
        schedule,
        rec.clone(),
    );
    if let Some(addr) = args.backup.clone() {
        io = io.with_backup(Box::new(TcpDialer { addr }));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let mut t = ReferenceTerminal::new();
        t.run(&io).await;
    });
    let transcript = rec.transcript();
    let Some((_, outcome)) = transcript.outcomes().last() else {
        bail!("the terminal reported no outcome");
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = serde_json::to_value(outcome)?;
        if let (Some((masked, amount)), Some(obj)) = (&card, v.as_object_mut()) {
            obj.insert("card".into(), masked.clone().into());
            obj.insert("amount".into(), amount.to_string().into());
        }
        writeln!(out, "{v}")?;
    } else {
        let what = match &card {
            Some((masked, amount)) => format!("sale {amount} card {masked}"),
            None => "settle".into(),
        };
        writeln!(
            out,
            "{what}: {} (STAN {}{})",
            outcome.display,
            outcome.stan,
            outcome
                .rc
                .as_deref()
                .map(|rc| format!(", RC {rc}"))
                .unwrap_or_default()
        )?;
    }
    Ok(ExitCode::from(if outcome.result == TxnResult::Approved {
        EXIT_PASS
    } else {
        EXIT_FAIL
    }))
}

/// Reads a `terminal:` section from a file of its own.
fn read_config(path: &std::path::Path) -> anyhow::Result<TerminalConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--config {}: cannot read it", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("{}:{}:{}", path.display(), l.line(), l.column()))
            .unwrap_or_else(|| path.display().to_string());
        anyhow::anyhow!(
            "{at}: {e}; expected the `terminal:` section of a scenario, e.g. `id: TERM0001`"
        )
    })
}
