//! `posfault host --listen ADDR --config FILE.yaml`: the reference host over real TCP, until
//! Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use posfault_proxies::link::Clock;
use posfault_proxies::wire::{DialectName, Framing};
use serde::Deserialize;
use serde::de::IntoDeserializer;

use crate::cli::{EXIT_PASS, EXIT_USAGE};
use crate::host::{Host, JournalEntry, JournalFile, LiveGate, OnEntry, serve_live};
use crate::scenario::load_host_file;
use crate::timeline::journal_line;
use crate::transcript::At;
use crate::wire::Wire;

#[derive(Debug, Args)]
pub(crate) struct HostArgs {
    /// Address to listen on. Loopback unless --allow-remote; port 0 picks a free port (the
    /// address is printed on the first line).
    #[arg(long, default_value = "127.0.0.1:8583")]
    listen: SocketAddr,
    /// Host configuration: the `host:` section of a scenario, as a file of its own.
    #[arg(long)]
    config: PathBuf,
    /// Wire dialect.
    #[arg(long, default_value = "iso87", value_parser = parse_enum::<DialectName>)]
    dialect: DialectName,
    /// Framing.
    #[arg(long, default_value = "u16be", value_parser = parse_enum::<Framing>)]
    framing: Framing,
    /// Append every journal entry to this JSON-lines file, flushed as it is written.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Seed of the processing-delay draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
}

/// Parses a value the way YAML names it (`iso87`, `u16be`), so flags and files agree.
fn parse_enum<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, String> {
    T::deserialize(s.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}

/// Run time for the live host: time since it started.
struct SinceStart(Instant);

impl Clock for SinceStart {
    fn now(&self) -> std::time::Duration {
        self.0.elapsed()
    }
}

pub(crate) fn run(args: HostArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        eprintln!(
            "--listen {}: not a loopback address; use 127.0.0.1:PORT, or add --allow-remote to serve other machines",
            args.listen
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let cfg = match load_host_file(&args.config) {
        Ok(cfg) => cfg,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let journal = match &args.journal {
        Some(p) => Some(Arc::new(JournalFile::create(p).with_context(|| {
            format!("--journal {}: cannot create the file", p.display())
        })?)),
        None => None,
    };
    // The host answers; replies copy the request's envelope, so it needs none of its own.
    let wire = Wire {
        dialect: args.dialect.dialect(),
        framing: args.framing,
        envelope: None,
    };
    let host = Arc::new(Mutex::new(Host::with_seed(&cfg, args.seed)));
    let clock: Arc<dyn Clock> = Arc::new(SinceStart(Instant::now()));
    let on_entry: OnEntry = Arc::new(move |e: &JournalEntry| {
        if let Some(j) = &journal
            && let Err(err) = j.append(e)
        {
            eprintln!("error: cannot write the journal: {err}");
        }
        println!("{:>10}  host      {}", e.at.to_string(), journal_line(e));
        let _ = std::io::stdout().flush();
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("--listen {}: cannot listen", args.listen))?;
        let gate = LiveGate::new(listener, host.clone(), clock.clone())?;
        let mut sigint = crate::live::interrupt::catch().context("cannot watch for Ctrl-C")?;
        println!(
            "{:>10}  host      listening on {} ({}, {}); Ctrl-C stops",
            At(0).to_string(),
            gate.addr(),
            args.dialect.dialect().name,
            args.framing.name()
        );
        let _ = std::io::stdout().flush();
        let stop = async move {
            sigint.recv().await;
        };
        serve_live(gate, host, clock, wire, on_entry, stop).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::from(EXIT_PASS))
}
