//! The fault engine as a live proxy on loopback: the connection-level faults a simulation can
//! only approximate (refuse, reset, hang) behave as real TCP. Everything binds 127.0.0.1 and
//! everything a test starts ends with its runtime.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::fault::actions::response_to;
use posfault_proxies::fault::{Engine, Rule};
use posfault_proxies::link::{
    EventSink, LinkEvent, Malformed, MonotonicClock, Network, Relay, TcpNetwork, serve_on,
};
use posfault_proxies::wire::framing::{DEFAULT_MAX_FRAME, FrameCodec};
use posfault_proxies::wire::{Framing, ISO87, Message, decode, encode};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_util::codec::Framed;

#[derive(Default)]
struct Events(Mutex<Vec<LinkEvent>>);

impl EventSink for Events {
    fn emit(&self, event: LinkEvent) {
        self.0.lock().unwrap().push(event);
    }
}

fn rules(yaml: &str) -> Vec<Rule> {
    serde_yaml::from_str(yaml).expect("test rules parse")
}

fn sale(stan: &str) -> Message {
    let mut m = Message::new("0200".parse().unwrap());
    m.set(3, "000000") // processing code
        .set(4, "000000001234") // amount
        .set(11, stan) // STAN
        .set(41, "TERM0001"); // terminal id
    m
}

/// A host that answers every request with RC 00 and counts what it saw.
async fn start_host() -> io::Result<(SocketAddr, Rc<std::cell::Cell<u32>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let seen = Rc::new(std::cell::Cell::new(0));
    let counter = seen.clone();
    tokio::task::spawn_local(async move {
        while let Ok((s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::task::spawn_local(async move {
                let mut framed = Framed::new(s, codec());
                while let Some(Ok(frame)) = framed.next().await {
                    counter.set(counter.get() + 1);
                    let Ok(req) = decode(&ISO87, &frame) else {
                        continue;
                    };
                    let Some(rsp) = response_to(&req, "00") else {
                        continue;
                    };
                    let bytes = encode(&ISO87, &rsp).unwrap();
                    if framed.send(bytes::Bytes::from(bytes)).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok((addr, seen))
}

fn codec() -> FrameCodec {
    Framing::U16Be.codec(DEFAULT_MAX_FRAME)
}

/// Starts the proxy with `rules` in front of `host` on a free loopback port.
async fn start_proxy(rules: Vec<Rule>, host: SocketAddr) -> io::Result<(SocketAddr, Arc<Events>)> {
    let events = Arc::new(Events::default());
    let relay = Arc::new(Relay {
        dialect: &ISO87,
        framing: Framing::U16Be,
        max_frame: DEFAULT_MAX_FRAME,
        engine: Arc::new(Mutex::new(Engine::new(rules, ChaCha8Rng::seed_from_u64(1)))),
        sink: events.clone(),
        clock: Arc::new(MonotonicClock::start()),
        malformed: Malformed::Forward,
    });
    let net = Rc::new(TcpNetwork::bind_now(
        "127.0.0.1:0".parse().expect("address"),
        host.to_string(),
    )?);
    let listen = net.listen;
    let listener = net.bind().await?;
    tokio::task::spawn_local(serve_on(net, relay, listener));
    Ok((listen, events))
}

async fn send_sale(to: SocketAddr) -> io::Result<Framed<TcpStream, FrameCodec>> {
    let mut framed = Framed::new(TcpStream::connect(to).await?, codec());
    framed
        .send(bytes::Bytes::from(encode(&ISO87, &sale("000001")).unwrap()))
        .await?;
    Ok(framed)
}

fn local<F: std::future::Future<Output = io::Result<()>>>(test: F) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tokio::task::LocalSet::new().block_on(&rt, test)
}

/// Lets the proxy task run until it waits (for a connection or a window's end).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[test]
fn without_rules_a_sale_goes_through_and_is_answered() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let (proxy, _) = start_proxy(Vec::new(), host).await?;
        let mut t = send_sale(proxy).await?;
        let reply = timeout(Duration::from_secs(5), t.next())
            .await?
            .expect("a reply")?;
        assert_eq!(decode(&ISO87, &reply).unwrap().text(39), Some("00"));
        assert_eq!(seen.get(), 1);
        Ok(())
    })
}

#[test]
fn refuse_closes_the_listener_so_connect_is_refused_until_the_window_ends() -> io::Result<()> {
    local(async {
        let (host, _) = start_host().await?;
        let (proxy, events) = start_proxy(
            rules("[{name: down, when: {from: 0s, until: 1s}, action: {kind: refuse}}]"),
            host,
        )
        .await?;
        settle().await;
        let err = TcpStream::connect(proxy)
            .await
            .expect_err("connect must be refused");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        // Wait out the window (no timing is asserted), then the proxy listens again.
        let mut reopened = None;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Ok(s) = TcpStream::connect(proxy).await {
                reopened = Some(s);
                break;
            }
        }
        assert!(reopened.is_some(), "the proxy never listened again");
        let log = events.0.lock().unwrap();
        assert!(
            log.iter()
                .any(|e| matches!(e, LinkEvent::Refusing { rule, .. } if rule == "down"))
        );
        assert!(log.iter().any(|e| matches!(e, LinkEvent::Listening { .. })));
        Ok(())
    })
}

#[test]
fn reset_on_the_reply_reaches_the_terminal_as_a_connection_reset() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let rule = "[{name: rst, when: {direction: to_terminal}, action: {kind: reset}}]";
        let (proxy, _) = start_proxy(rules(rule), host).await?;
        let mut t = send_sale(proxy).await?;
        let got = timeout(Duration::from_secs(5), t.next()).await?;
        match got {
            Some(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}"),
            other => panic!("expected a connection reset, got {other:?}"),
        }
        assert_eq!(seen.get(), 1, "the request reached the host");
        Ok(())
    })
}

#[test]
fn hang_keeps_the_connection_open_and_silent() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let rule = "[{name: wedged, when: {direction: to_terminal}, action: {kind: hang}}]";
        let (proxy, events) = start_proxy(rules(rule), host).await?;
        let mut t = send_sale(proxy).await?;
        assert!(
            timeout(Duration::from_millis(500), t.next()).await.is_err(),
            "no reply, no close"
        );
        // Still open: a second request is accepted by the socket, and swallowed.
        t.send(bytes::Bytes::from(encode(&ISO87, &sale("000002")).unwrap()))
            .await?;
        assert!(
            timeout(Duration::from_millis(500), t.next()).await.is_err(),
            "still silent"
        );
        assert_eq!(seen.get(), 1, "only the first request reached the host");
        let log = events.0.lock().unwrap();
        let swallowed = log.iter().filter(|e| matches!(e, LinkEvent::Frame(f) if f.fate == posfault_proxies::fault::Fate::Swallowed)).count();
        assert_eq!(swallowed, 1);
        Ok(())
    })
}

#[test]
fn accept_then_close_ends_the_connection_before_the_host_is_reached() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let rule = "[{name: slam, when: {conn: 1}, action: {kind: accept_then_close}}]";
        let (proxy, _) = start_proxy(rules(rule), host).await?;
        let mut t = send_sale(proxy).await?;
        let got = timeout(Duration::from_secs(5), t.next()).await?;
        assert!(
            got.is_none() || got.is_some_and(|r| r.is_err()),
            "expected the connection to end"
        );
        assert_eq!(seen.get(), 0);
        Ok(())
    })
}

#[test]
fn never_answer_reads_the_request_and_neither_answers_nor_reaches_the_host() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let rule = "[{name: black-hole, when: {conn: 1}, action: {kind: never_answer}}]";
        let (proxy, events) = start_proxy(rules(rule), host).await?;
        let mut t = send_sale(proxy).await?;
        assert!(
            timeout(Duration::from_millis(500), t.next()).await.is_err(),
            "no reply, no close"
        );
        assert_eq!(seen.get(), 0);
        drop(t);
        // The proxy records the swallowed request once it has read it.
        for _ in 0..50 {
            let recorded = events.0.lock().unwrap().iter().any(
                |e| matches!(e, LinkEvent::Frame(f) if f.rule.as_deref() == Some("black-hole")),
            );
            if recorded {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the swallowed request was never recorded");
    })
}

#[test]
fn delay_accept_holds_the_connection_then_relays_it() -> io::Result<()> {
    local(async {
        let (host, seen) = start_host().await?;
        let rule = "[{name: slow, when: {conn: 1}, action: {kind: delay_accept, by: 300ms}}]";
        let (proxy, events) = start_proxy(rules(rule), host).await?;
        let mut t = send_sale(proxy).await?;
        let reply = timeout(Duration::from_secs(5), t.next())
            .await?
            .expect("a reply")?;
        assert_eq!(decode(&ISO87, &reply).unwrap().text(39), Some("00"));
        assert_eq!(seen.get(), 1);
        let log = events.0.lock().unwrap();
        assert!(
            log.iter().any(
                |e| matches!(e, LinkEvent::ConnFault { what, .. } if what == "held for 300ms")
            )
        );
        Ok(())
    })
}

/// Stops the child proxy however the test ends.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `posfault proxy --listen 127.0.0.1:0 --upstream UPSTREAM ARGS...`, with its first stderr
/// line (the address announcement) and the rest of its stderr, which must stay open while it
/// runs: a proxy writing to a closed pipe dies of SIGPIPE.
fn spawn_proxy(
    upstream: &str,
    args: &[&std::ffi::OsStr],
) -> io::Result<(Stop, String, io::BufReader<std::process::ChildStderr>)> {
    use std::io::BufRead;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut child = Stop(child);
    let mut stderr = io::BufReader::new(child.0.stderr.take().expect("piped stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first)?;
    Ok((child, first, stderr))
}

fn faults_file(name: &str, yaml: &str) -> io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("posfault-proxy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, yaml)?;
    Ok(path)
}

#[test]
fn posfault_proxy_answers_for_the_host_records_a_transcript_and_exits_0_on_ctrl_c() -> io::Result<()>
{
    use std::process::Command;

    let rules = faults_file(
        "issuer-down.yaml",
        "faults:\n  - name: issuer-down\n    when: {direction: to_host, mti: [\"0200\"]}\n    action: {kind: reply_as_host, rc: \"91\"}\n",
    )?;
    let transcript = rules.with_file_name("transcript.jsonl");
    local(async move {
        let (host, seen) = start_host().await?;
        let (mut child, first, _stderr) = spawn_proxy(
            &host.to_string(),
            &[
                "--faults".as_ref(),
                rules.as_os_str(),
                "--transcript".as_ref(),
                transcript.as_os_str(),
            ],
        )?;
        let addr: SocketAddr = first
            .split_whitespace()
            .nth(4)
            .and_then(|a| a.trim_end_matches(',').parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let mut t = send_sale(addr).await?;
        let reply = timeout(Duration::from_secs(5), t.next())
            .await?
            .expect("a reply")?;
        assert_eq!(decode(&ISO87, &reply).unwrap().text(39), Some("91"));
        assert_eq!(seen.get(), 0, "the host never saw the request");
        // The shell's own `kill`: a clean CI image may not ship /bin/kill.
        let killed = Command::new("sh")
            .args(["-c", &format!("kill -INT {}", child.0.id())])
            .status()?;
        assert!(killed.success());
        let status = child.0.wait()?;
        assert_eq!(status.code(), Some(0));
        let lines = std::fs::read_to_string(&transcript)?;
        assert!(lines.contains("\"fate\":\"answered\""), "{lines}");
        assert!(lines.contains("\"fate\":\"injected\""), "{lines}");
        let _ = std::fs::remove_dir_all(transcript.parent().unwrap());
        Ok(())
    })
}

/// Ctrl-C the moment the address is announced is a clean stop, exit 0 (the handler is in
/// place before the announcement, not from the first poll of `ctrl_c()`).
#[test]
fn posfault_proxy_stops_cleanly_on_a_ctrl_c_right_after_announcing() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("posfault-proxy-ctrl-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let transcript = dir.join("transcript.jsonl");
    for round in 0..10 {
        let (mut child, first, _stderr) = spawn_proxy(
            "127.0.0.1:9",
            &["--transcript".as_ref(), transcript.as_os_str()],
        )?;
        assert!(first.contains("listening on"), "{first}");
        // SAFETY: sends SIGINT to the child this test started.
        unsafe {
            libc::kill(child.0.id() as i32, libc::SIGINT);
        }
        let status = child.0.wait()?;
        assert_eq!(status.code(), Some(0), "round {round}: {status}");
        std::fs::remove_file(&transcript)?;
    }
    std::fs::remove_dir_all(dir)
}

#[test]
fn posfault_proxy_rejects_a_bad_faults_file_with_its_location() -> io::Result<()> {
    let rules = faults_file(
        "bad.yaml",
        "faults:\n  - name: flaky\n    when: {probability: 1.5}\n    action: {kind: drop_frame}\n",
    )?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:9",
        ])
        .arg("--faults")
        .arg(&rules)
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.yaml:3:"), "{err}");
    assert!(err.contains("faults[0].when.probability"), "{err}");
    let _ = std::fs::remove_file(&rules);
    Ok(())
}

#[test]
fn posfault_proxy_refuses_to_listen_beyond_loopback_unless_told() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args([
            "proxy",
            "--listen",
            "0.0.0.0:0",
            "--upstream",
            "127.0.0.1:9",
        ])
        .output()
        .expect("the posfault binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
}
