//! The live host over loopback TCP: started, spoken to in ISO 8583, stopped; in process and as
//! the `posfault host` command.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use posfault::host::{Host, JournalEntry, JournalFile, LiveGate, OnEntry, pin, serve_live};
use posfault::money::Amount;
use posfault::scenario::load_host_str;
use posfault::wire::Wire;
use posfault_proxies::link::Clock;
use posfault_proxies::wire::{DialectName, Framing, Message};
use tokio_util::codec::Framed;

const PAN: &str = "4761739001010010";

const CONFIG: &str = r#"
accounts:
  - {id: cardholder, balance: "100.00"}
cards:
  - {id: visa, pan: "4761739001010010", account: cardholder, expiry: "2812", pin: "1234"}
"#;

fn wire() -> Wire {
    Wire {
        dialect: DialectName::Iso87.dialect(),
        framing: Framing::U16Be,
        envelope: None,
    }
}

fn sale(mti: &str, stan: &str, cents: i64) -> Message {
    let mut m = Message::new(mti.parse().unwrap());
    m.set(2, PAN)
        .set(3, "000000")
        .set(4, Amount(cents).to_field4().unwrap())
        .set(11, stan)
        .set(13, "0115")
        .set(14, "2812")
        .set(41, "TERM0001")
        .set(42, "MERCHANT0000001")
        .set(52, pin::encode("1234", PAN).unwrap());
    m
}

/// Sends one request on a fresh loopback connection and returns the reply.
async fn exchange(addr: std::net::SocketAddr, req: &Message) -> Message {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut framed = Framed::new(stream, wire().codec());
    framed.send(wire().encode(req).unwrap()).await.unwrap();
    let frame = framed.next().await.expect("a reply").unwrap();
    wire().decode(&frame).unwrap()
}

struct SinceStart(Instant);

impl Clock for SinceStart {
    fn now(&self) -> std::time::Duration {
        self.0.elapsed()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("host-live-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn live_host_approves_reverses_and_journals_every_entry_to_disk() {
    let dir = scratch("in-process");
    let journal_path = dir.join("journal.jsonl");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = load_host_str(CONFIG, "live.yaml").unwrap();
        let host = Arc::new(Mutex::new(Host::with_seed(&cfg, 1)));
        let clock: Arc<dyn Clock> = Arc::new(SinceStart(Instant::now()));
        let file = Arc::new(JournalFile::create(&journal_path).unwrap());
        let on_entry: OnEntry = Arc::new(move |e: &JournalEntry| file.append(e).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gate = LiveGate::new(listener, host.clone(), clock.clone()).unwrap();
        let addr = gate.addr();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_live(
            gate,
            host.clone(),
            clock,
            wire(),
            on_entry,
            async {
                let _ = stop_rx.await;
            },
        ));

        let rsp = exchange(addr, &sale("0200", "000001", 1234)).await;
        assert_eq!(
            (rsp.mti().to_string(), rsp.text(39)),
            ("0210".into(), Some("00"))
        );
        // The journal is on disk as soon as the reply is out.
        let lines = std::fs::read_to_string(&journal_path).unwrap();
        assert_eq!(lines.lines().count(), 1, "{lines}");

        let rsp = exchange(addr, &sale("0400", "000001", 1234)).await;
        assert_eq!(
            (rsp.mti().to_string(), rsp.text(39)),
            ("0410".into(), Some("00"))
        );
        let rsp = exchange(addr, &sale("0400", "000001", 1234)).await;
        assert_eq!(
            rsp.text(39),
            Some("00"),
            "a repeated reversal is acknowledged"
        );

        stop_tx.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "nothing listens after stop"
        );
        let h = host.lock().unwrap();
        assert_eq!(h.balance("cardholder"), Some(Amount(10_000)));
    });
    let lines = std::fs::read_to_string(&journal_path).unwrap();
    let decisions: Vec<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"].to_string())
        .collect();
    assert_eq!(
        decisions,
        ["\"approved\"", "\"reversed\"", "\"reversal_repeat\""]
    );
    assert!(!lines.contains(PAN), "full PAN in the journal:\n{lines}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn posfault_host_serves_loopback_until_interrupted_and_exits_zero() {
    let dir = scratch("cli");
    let config = dir.join("host.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    let journal = dir.join("journal.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(["host", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--journal")
        .arg(&journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr: std::net::SocketAddr = first
        .split("listening on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .parse()
        .unwrap();
    assert!(addr.ip().is_loopback(), "{first}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rsp = rt.block_on(exchange(addr, &sale("0200", "000001", 500)));
    assert_eq!(rsp.text(39), Some("00"));
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(
        line.contains("journal #1 0200 STAN 000001 approved RC 00"),
        "{line}"
    );
    assert!(!line.contains(PAN), "{line}");

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C is a clean stop");
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        1
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Ctrl-C the moment the address is announced: tokio's `ctrl_c()` catches SIGINT only once
/// polled, and a host that announced before that died by the signal instead of stopping.
#[test]
fn posfault_host_stops_cleanly_on_a_ctrl_c_right_after_announcing() {
    let dir = scratch("early-ctrl-c");
    let config = dir.join("host.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    for round in 0..10 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_posfault"))
            .args(["host", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        // Kept open until the host exits: a later line into a closed pipe would kill it.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        assert!(first.contains("listening on"), "{first}");
        // SAFETY: sends SIGINT to the child this test started.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "round {round}: {status}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn posfault_host_refuses_a_non_loopback_address_without_the_flag() {
    let dir = scratch("remote");
    let config = dir.join("host.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(["host", "--listen", "0.0.0.0:0", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-remote"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn posfault_host_reports_a_bad_config_with_file_line_and_column() {
    let dir = scratch("bad");
    let config = dir.join("host.yaml");
    std::fs::write(
        &config,
        CONFIG.replace("expiry: \"2812\"", "expiry: \"2813\""),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(["host", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let want = format!("{}:5:", config.display());
    assert!(err.contains(&want), "want {want} in {err}");
    assert!(err.contains("cards[0].expiry: expected YYMM"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
