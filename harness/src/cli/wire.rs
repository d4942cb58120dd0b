//! `posfault wire decode|encode`: look inside frames, or build them, from the command line.
//!
//! Decoding prints masked values unless `--reveal` is given; errors name the frame, the field
//! and the byte offset, and say when the input looks like it has a frame header nobody asked for.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use bytes::BytesMut;
use clap::{Args, Subcommand};
use posfault_proxies::wire::framing::DEFAULT_MAX_FRAME;
use posfault_proxies::wire::json::{JsonMessage, unhex};
use posfault_proxies::wire::{Dialect, DialectName, Framing, Message, decode, encode};
use tokio_util::codec::{Decoder, Encoder};

use crate::cli::EXIT_PASS;

#[derive(Debug, Args)]
pub(crate) struct WireArgs {
    #[command(subcommand)]
    command: WireCommand,
}

#[derive(Debug, Subcommand)]
enum WireCommand {
    /// Decode frames and print their fields (masked unless --reveal).
    Decode(DecodeArgs),
    /// Read a message as JSON on stdin and write its encoding to stdout.
    Encode(EncodeArgs),
}

/// A framing, or `none` for bare messages (as pyiso8583's `encode` returns them).
#[derive(Debug, Clone, Copy)]
struct FramingArg(Option<Framing>);

impl std::str::FromStr for FramingArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "none" {
            return Ok(FramingArg(None));
        }
        s.parse().map(|f| FramingArg(Some(f))).map_err(|_| {
            format!("unknown framing {s:?}; expected one of none, u16be, bcd2, ascii4")
        })
    }
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// Dialect: iso87, iso87-ascii or cup.
    #[arg(long, default_value = "iso87")]
    dialect: DialectName,
    /// Frame header in front of each message: none, u16be, bcd2 or ascii4. With a header, every
    /// frame in the input is decoded.
    #[arg(long, default_value = "none")]
    framing: FramingArg,
    /// The bytes as hex (spaces allowed).
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    hex: Option<String>,
    /// A file holding the raw bytes (`-` for stdin).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Print JSON (`{"mti": ..., "fields": {...}}`) instead of a table.
    #[arg(long)]
    json: bool,
    /// Show card data (PAN, tracks, PIN block, expiry, chip data) in clear.
    #[arg(long)]
    reveal: bool,
}

#[derive(Debug, Args)]
struct EncodeArgs {
    /// Dialect: iso87, iso87-ascii or cup.
    #[arg(long, default_value = "iso87")]
    dialect: DialectName,
    /// Frame header to put in front: none, u16be, bcd2 or ascii4.
    #[arg(long, default_value = "none")]
    framing: FramingArg,
    /// Write hex text instead of raw bytes.
    #[arg(long)]
    hex: bool,
}

pub(crate) fn run(args: WireArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        WireCommand::Decode(a) => run_decode(a),
        WireCommand::Encode(a) => run_encode(a),
    }
}

fn run_decode(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let input = match (&args.hex, &args.file) {
        (Some(h), _) => {
            let compact: String = h.split_whitespace().collect();
            unhex(&compact).map_err(|e| anyhow::anyhow!("--hex: {e}"))?
        }
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            buf
        }
        (None, Some(path)) => std::fs::read(path)
            .with_context(|| format!("--file: cannot read {}", path.display()))?,
        (None, None) => bail!("give the bytes with --hex HEX or --file FILE"),
    };
    let dialect = args.dialect.dialect();
    let bodies = split_frames(args.framing.0, &input)?;
    let mut out = String::new();
    for (i, body) in bodies.iter().enumerate() {
        let msg = decode(dialect, body).map_err(|e| {
            let which = if bodies.len() > 1 {
                format!("frame {}: ", i + 1)
            } else {
                String::new()
            };
            let hint = if args.framing.0.is_none() {
                framing_hint(body)
            } else {
                String::new()
            };
            anyhow::anyhow!("{which}{e} (dialect {}){hint}", dialect.name)
        })?;
        if args.json {
            let j = if args.reveal {
                JsonMessage::revealed(dialect, &msg)
            } else {
                JsonMessage::masked(dialect, &msg)
            };
            out.push_str(&serde_json::to_string_pretty(&j)?);
            out.push('\n');
        } else {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&table(dialect, &msg, args.reveal));
        }
    }
    print!("{out}");
    Ok(ExitCode::from(EXIT_PASS))
}

/// Message bodies: the whole input without framing, else every frame in it.
fn split_frames(framing: Option<Framing>, input: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let Some(framing) = framing else {
        return Ok(vec![input.to_vec()]);
    };
    let mut codec = framing.codec(DEFAULT_MAX_FRAME);
    let mut buf = BytesMut::from(input);
    let mut frames = Vec::new();
    loop {
        let at = input.len() - buf.len();
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => frames.push(frame.to_vec()),
            Ok(None) if frames.is_empty() => bail!("no {framing} frame in the input"),
            Ok(None) => return Ok(frames),
            Err(e) => bail!("frame {} at byte {at}: {e}", frames.len() + 1),
        }
    }
}

/// A hint when bare input starts with what looks like a frame header for exactly the rest.
fn framing_hint(body: &[u8]) -> String {
    let rest = body.len().saturating_sub(2);
    let looks = |f: Framing| {
        let n = f.header_len();
        body.len() >= n
            && f.codec(DEFAULT_MAX_FRAME)
                .decode(&mut BytesMut::from(body))
                .ok()
                .flatten()
                .is_some_and(|fr| fr.len() == body.len() - n)
    };
    match Framing::ALL.into_iter().find(|&f| rest > 0 && looks(f)) {
        Some(f) => format!("; the input starts with a {f} length header, try --framing {f}"),
        None => String::new(),
    }
}

/// One line per field: number, name, value.
fn table(dialect: &Dialect, msg: &Message, reveal: bool) -> String {
    let j = if reveal {
        JsonMessage::revealed(dialect, msg)
    } else {
        JsonMessage::masked(dialect, msg)
    };
    let mut out = format!("MTI  {}\n", j.mti);
    if let Some(t) = &j.tpdu {
        out.push_str(&format!("TPDU {t}\n"));
    }
    if let Some(h) = &j.header {
        out.push_str(&format!("HDR  {h}\n"));
    }
    for (n, value) in &j.fields {
        let name = dialect.field(*n).map_or("", |s| s.name);
        out.push_str(&format!("{n:>4}  {name:<44} {value}\n"));
    }
    out
}

fn run_encode(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the JSON message from stdin")?;
    let json: JsonMessage = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "stdin: {e}; expected {{\"mti\": \"0200\", \"fields\": {{\"2\": \"...\", ...}}}}"
        )
    })?;
    let dialect = args.dialect.dialect();
    let msg = json.to_message(dialect)?;
    let body =
        encode(dialect, &msg).with_context(|| format!("cannot encode in {}", dialect.name))?;
    let bytes = match args.framing.0 {
        None => body,
        Some(f) => {
            let mut out = BytesMut::new();
            f.codec(DEFAULT_MAX_FRAME)
                .encode(body.into(), &mut out)
                .with_context(|| format!("--framing {f}"))?;
            out.to_vec()
        }
    };
    let mut stdout = std::io::stdout().lock();
    if args.hex {
        writeln!(stdout, "{}", posfault_proxies::wire::mask::hex(&bytes))?;
    } else {
        stdout.write_all(&bytes)?;
    }
    stdout.flush()?;
    Ok(ExitCode::from(EXIT_PASS))
}
