//! Load generator and echo host for `scripts/bench-proxy.sh`: round trips of a ~165-byte
//! ISO 8583 0200 with a 2-byte length prefix, so a proxy in between really parses each one.
//!
//! ```text
//! bench_link echo --listen 127.0.0.1:7001
//! bench_link load --target 127.0.0.1:7003 --connections 16 --seconds 5
//! bench_link forward --listen 127.0.0.1:7004 --upstream 127.0.0.1:7001
//! ```
//! `forward` is the least a tokio proxy can do per frame (read the length, read the frame,
//! one write, no decoding, no fault engine): the floor `posfault proxy` is compared with.
//! `load` prints one line: `round_trips_per_s=N p50_us=N p99_us=N samples=N`. Both run on one
//! thread, so pinning them with `taskset -c 0` keeps every wake-up on one core.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use posfault_proxies::wire::{Framing, ISO87, Message, encode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A 0200 of 165 message bytes, with a Luhn-valid test PAN and clear fields only.
fn request() -> anyhow::Result<Vec<u8>> {
    let mut m = Message::new("0200".parse().map_err(anyhow::Error::msg)?);
    m.set(2, "4761739001010010") // PAN (test card)
        .set(3, "000000") // processing code
        .set(4, "000000001234") // amount
        .set(7, "0115080001") // transmission time
        .set(11, "000001") // STAN
        .set(12, "080001") // local time
        .set(13, "0115") // local date
        .set(41, "TERM0001") // terminal id
        .set(42, "MERCHANT0000001"); // merchant id
    let base = encode(&ISO87, &m)?.len();
    // Field 48 (additional data, LLLVAR) pads the message to 165 bytes.
    let pad = 165usize.saturating_sub(base + 3);
    m.set(48, "A".repeat(pad));
    let body = encode(&ISO87, &m)?;
    Ok(Framing::U16Be.frame(&body)?)
}

async fn read_frame<R: AsyncRead + Unpin>(s: &mut R, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await?;
    buf.resize(2 + usize::from(u16::from_be_bytes(len)), 0);
    buf[..2].copy_from_slice(&len);
    s.read_exact(&mut buf[2..]).await?;
    Ok(())
}

async fn echo(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (mut s, _) = listener.accept().await?;
        s.set_nodelay(true)?;
        tokio::task::spawn_local(async move {
            let mut buf = Vec::with_capacity(512);
            while read_frame(&mut s, &mut buf).await.is_ok() {
                if s.write_all(&buf).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Relays length-prefixed frames one way until either side ends. Buffered, so a frame takes one
/// `recv` as in the proxy, not one for the length and one for the rest.
async fn pump(from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf) {
    let mut from = tokio::io::BufReader::new(from);
    let mut buf = Vec::with_capacity(512);
    while read_frame(&mut from, &mut buf).await.is_ok() {
        if to.write_all(&buf).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

async fn forward(listen: SocketAddr, upstream: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (terminal, _) = listener.accept().await?;
        terminal.set_nodelay(true)?;
        let host = TcpStream::connect(upstream)
            .await
            .with_context(|| format!("connect {upstream}"))?;
        host.set_nodelay(true)?;
        let (t_read, t_write) = terminal.into_split();
        let (h_read, h_write) = host.into_split();
        tokio::task::spawn_local(pump(t_read, h_write));
        tokio::task::spawn_local(pump(h_read, t_write));
    }
}

async fn one_connection(
    target: SocketAddr,
    frame: Vec<u8>,
    until: Instant,
    warmup: Instant,
) -> anyhow::Result<Vec<u32>> {
    let mut s = TcpStream::connect(target)
        .await
        .with_context(|| format!("connect {target}"))?;
    s.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(512);
    let mut samples = Vec::with_capacity(1 << 16);
    loop {
        let t0 = Instant::now();
        if t0 >= until {
            return Ok(samples);
        }
        s.write_all(&frame).await?;
        read_frame(&mut s, &mut buf).await?;
        if t0 >= warmup {
            samples.push(t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        }
    }
}

async fn load(target: SocketAddr, connections: usize, seconds: u64) -> anyhow::Result<()> {
    let frame = request()?;
    let start = Instant::now();
    let warmup = start + Duration::from_millis(500);
    let until = warmup + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::task::spawn_local(one_connection(target, frame.clone(), until, warmup)))
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    if all.is_empty() {
        bail!("no round trips completed");
    }
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "round_trips_per_s={:.0} p50_us={:.1} p99_us={:.1} samples={} frame_bytes={}",
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99),
        all.len(),
        frame.len()
    );
    Ok(())
}

fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> anyhow::Result<T> {
    let i = args
        .iter()
        .position(|a| a == name)
        .with_context(|| format!("missing {name}"))?;
    let v = args
        .get(i + 1)
        .with_context(|| format!("{name} needs a value"))?;
    v.parse()
        .map_err(|_| anyhow::anyhow!("{name}: cannot parse {v:?}"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    match args.first().map(String::as_str) {
        Some("echo") => local.block_on(&rt, echo(flag(&args, "--listen")?)),
        Some("forward") => local.block_on(
            &rt,
            forward(flag(&args, "--listen")?, flag(&args, "--upstream")?),
        ),
        Some("load") => local.block_on(
            &rt,
            load(
                flag(&args, "--target")?,
                flag(&args, "--connections")?,
                flag(&args, "--seconds")?,
            ),
        ),
        _ => bail!(
            "usage: bench_link echo --listen ADDR | load --target ADDR --connections N --seconds S \
             | forward --listen ADDR --upstream ADDR"
        ),
    }
}
