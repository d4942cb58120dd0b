//! The relay over scripted in-memory streams, in paused tokio time: ordering of delayed
//! frames, made-up replies, and connection control, with no sockets and no wall clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::io::DuplexStream;
use tokio::time::{Instant, timeout};
use tokio_util::codec::Framed;

use crate::fault::{Engine, Fate, Rule};
use crate::link::{Clock, EventSink, LinkEvent, Malformed, Relay};
use crate::wire::framing::{DEFAULT_MAX_FRAME, FrameCodec};
use crate::wire::{Framing, ISO87, Message, decode, encode};

#[derive(Default)]
struct Events(Mutex<Vec<LinkEvent>>);

impl EventSink for Events {
    fn emit(&self, event: LinkEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Events {
    fn fates(&self) -> Vec<(Fate, Option<String>)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                LinkEvent::Frame(f) => Some((f.fate, f.rule.clone())),
                _ => None,
            })
            .collect()
    }
}

/// tokio time since the test started (paused, so it only moves when everything waits).
struct TestClock(Instant);

impl Clock for TestClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

type End = Framed<DuplexStream, FrameCodec>;

struct Rig {
    terminal: End,
    host: End,
    events: Arc<Events>,
    start: Instant,
}

fn rig(rules: &str, malformed: Malformed) -> Rig {
    let rules: Vec<Rule> = serde_yaml::from_str(rules).expect("test rules parse");
    let (terminal, t_proxy) = tokio::io::duplex(1 << 16);
    let (h_proxy, host) = tokio::io::duplex(1 << 16);
    let events = Arc::new(Events::default());
    let start = Instant::now();
    let relay = Arc::new(Relay {
        dialect: &ISO87,
        framing: Framing::U16Be,
        max_frame: DEFAULT_MAX_FRAME,
        engine: Arc::new(Mutex::new(Engine::new(rules, ChaCha8Rng::seed_from_u64(1)))),
        sink: events.clone(),
        clock: Arc::new(TestClock(start)),
        malformed,
    });
    tokio::spawn(async move { relay.run(1, t_proxy, h_proxy).await });
    let codec = || Framing::U16Be.codec(DEFAULT_MAX_FRAME);
    Rig {
        terminal: Framed::new(terminal, codec()),
        host: Framed::new(host, codec()),
        events,
        start,
    }
}

fn sale(stan: &str) -> Bytes {
    let mut m = Message::new("0200".parse().unwrap());
    m.set(4, "000000001234") // amount
        .set(11, stan) // STAN
        .set(41, "TERM0001"); // terminal id
    Bytes::from(encode(&ISO87, &m).unwrap())
}

async fn next_stan(end: &mut End) -> Option<String> {
    let frame = timeout(Duration::from_secs(60), end.next())
        .await
        .ok()??
        .ok()?;
    decode(&ISO87, &frame).ok()?.text(11).map(str::to_string)
}

#[tokio::test(start_paused = true)]
async fn a_delayed_frame_holds_back_later_frames_and_queued_time_counts_towards_their_delay() {
    let mut r = rig(
        "[{name: slow-first, when: {nth: 1}, action: {kind: delay, by: 2s}},
          {name: slow-second, when: {nth: 2}, action: {kind: delay, by: 1s}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000001")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    r.terminal.send(sale("000002")).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000001"));
    assert_eq!(r.start.elapsed(), Duration::from_secs(2));
    // Due at 0.5s + 1s = 1.5s, held behind the first until 2s: not 3s.
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000002"));
    assert_eq!(r.start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn reply_as_host_answers_the_terminal_and_forwards_nothing() {
    let mut r = rig(
        "[{name: issuer-down, when: {direction: to_host}, action: {kind: reply_as_host, rc: \"91\"}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000007")).await.unwrap();
    let reply = r.terminal.next().await.unwrap().unwrap();
    let reply = decode(&ISO87, &reply).unwrap();
    assert_eq!((reply.mti().as_str(), reply.text(39)), ("0210", Some("91")));
    assert!(
        timeout(Duration::from_secs(5), r.host.next())
            .await
            .is_err(),
        "host saw a frame"
    );
    let rule = Some("issuer-down".to_string());
    assert_eq!(
        r.events.fates(),
        vec![(Fate::Answered, rule.clone()), (Fate::Injected, rule)]
    );
}

#[tokio::test(start_paused = true)]
async fn close_ends_both_sides_at_once() {
    let mut r = rig("[{name: fin, action: {kind: close}}]", Malformed::Forward);
    r.terminal.send(sale("000001")).await.unwrap();
    assert!(
        r.host.next().await.is_none(),
        "the host sees end of stream, not the frame"
    );
    assert!(
        r.terminal.next().await.is_none(),
        "the terminal sees end of stream"
    );
}

#[tokio::test(start_paused = true)]
async fn hang_forwards_nothing_more_and_keeps_the_connection_until_a_peer_leaves() {
    let mut r = rig(
        "[{name: wedged, when: {nth: 1}, action: {kind: hang}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000001")).await.unwrap();
    r.terminal.send(sale("000002")).await.unwrap();
    assert!(
        timeout(Duration::from_secs(30), r.host.next())
            .await
            .is_err()
    );
    assert!(
        timeout(Duration::from_secs(30), r.terminal.next())
            .await
            .is_err()
    );
    let Rig {
        terminal,
        mut host,
        events,
        ..
    } = r;
    drop(terminal);
    assert!(
        host.next().await.is_none(),
        "the terminal's close reaches the host"
    );
    let fates: Vec<_> = events.fates().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fates, vec![Fate::Hung, Fate::Swallowed]);
}

#[tokio::test(start_paused = true)]
async fn fragments_reach_the_host_as_one_frame_after_the_gaps() {
    let mut r = rig(
        "[{name: bits, action: {kind: fragment, pieces: 4, gap: 250ms}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000003")).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000003"));
    assert_eq!(r.start.elapsed(), Duration::from_millis(750));
}

#[tokio::test(start_paused = true)]
async fn a_malformed_frame_is_dropped_or_closes_the_connection_as_the_policy_says() {
    let mut r = rig("[]", Malformed::Drop);
    r.terminal
        .send(Bytes::from_static(b"not iso"))
        .await
        .unwrap();
    r.terminal.send(sale("000004")).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000004"));
    assert_eq!(r.events.fates()[0].0, Fate::Dropped);

    let mut r = rig("[]", Malformed::Close);
    r.terminal
        .send(Bytes::from_static(b"not iso"))
        .await
        .unwrap();
    assert!(r.host.next().await.is_none());
    assert!(r.terminal.next().await.is_none());

    let mut r = rig("[]", Malformed::Forward);
    r.terminal
        .send(Bytes::from_static(b"not iso"))
        .await
        .unwrap();
    let raw = r.host.next().await.unwrap().unwrap();
    assert_eq!(&raw[..], b"not iso");
}

#[tokio::test(start_paused = true)]
async fn an_end_of_stream_reaches_the_other_side_after_queued_frames() {
    let mut r = rig(
        "[{name: late, action: {kind: delay, by: 3s}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000005")).await.unwrap();
    let Rig {
        terminal, mut host, ..
    } = r;
    drop(terminal);
    assert_eq!(
        next_stan(&mut host).await.as_deref(),
        Some("000005"),
        "not lost by the close"
    );
    assert!(host.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn duplicate_delivers_the_frame_and_its_copy() {
    let mut r = rig(
        "[{name: twice, action: {kind: duplicate, gap: 100ms}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000006")).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000006"));
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000006"));
    assert_eq!(r.start.elapsed(), Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn throttle_spreads_the_frame_over_its_length_divided_by_the_rate() {
    let mut r = rig(
        "[{name: slow-link, action: {kind: throttle, bytes_per_second: 100}}]",
        Malformed::Forward,
    );
    let frame = sale("000008");
    let wire_len = frame.len() as u64 + 2;
    r.terminal.send(frame).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("000008"));
    // One byte every 10 ms; the first goes at once.
    assert_eq!(
        r.start.elapsed(),
        Duration::from_millis(10 * (wire_len - 1))
    );
}

#[tokio::test(start_paused = true)]
async fn corrupt_delivers_the_damaged_frame_in_place_of_the_original() {
    let mut r = rig(
        "[{name: wrong-stan, action: {kind: corrupt, how: field, field: 11, value: \"999999\"}}]",
        Malformed::Forward,
    );
    r.terminal.send(sale("000001")).await.unwrap();
    assert_eq!(next_stan(&mut r.host).await.as_deref(), Some("999999"));
}

#[tokio::test(start_paused = true)]
async fn reset_ends_both_sides_at_once() {
    let mut r = rig("[{name: rst, action: {kind: reset}}]", Malformed::Forward);
    r.terminal.send(sale("000001")).await.unwrap();
    // An in-memory stream has no RST; it ends, and the record says reset.
    assert!(r.host.next().await.is_none());
    assert!(r.terminal.next().await.is_none());
    let log = r.events.0.lock().unwrap();
    assert!(
        log.iter()
            .any(|e| matches!(e, LinkEvent::ConnClosed { how, .. } if how.contains("RST")))
    );
}
