//! Relaying one terminal connection to the host through the fault engine.
//!
//! Four parts run joined on one task: a reader per direction (decode, ask the engine, queue
//! pieces) and a writer per direction (write each queued piece no earlier than its time). The
//! queues keep each direction in order, so a delayed frame holds back the frames behind it,
//! and a reader can queue a made-up reply on the other direction's writer. A [`ConnState`]
//! carries the connection's state (open, hung, closed, reset) to all four parts.
//!
//! Most frames meet no rule and go on at once. For those the reader writes the frame itself
//! when nothing is queued or being written in that direction, which is the order the writer
//! would have kept anyway; it saves a queue round trip and a wake-up of the task per frame,
//! which on a one-core live proxy is a large part of what the hop costs.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::{Decoder, FramedRead};

use crate::fault::{Control, Direction, Effect, Engine, Fate, FrameView};
use crate::link::event::{Clock, EventSink, FrameEvent, LinkEvent, Side};
use crate::link::stream::LinkStream;
use crate::wire::framing::FrameCodec;
use crate::wire::{Dialect, Framing, decode};

/// What the proxy does with a frame that does not decode and that no rule fired on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Malformed {
    /// Pass it on as it came (the receiver's problem, as on a plain TCP proxy).
    #[default]
    Forward,
    /// Drop it and keep the connection.
    Drop,
    /// Close the connection.
    Close,
}

impl Malformed {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Malformed::Forward => "forward",
            Malformed::Drop => "drop",
            Malformed::Close => "close",
        }
    }
}

impl std::str::FromStr for Malformed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Malformed::Forward, Malformed::Drop, Malformed::Close]
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown policy {s:?}; expected forward, drop or close"))
    }
}

/// Shared settings and state for every connection a proxy relays.
pub struct Relay {
    /// Dialect used to decode frames for matching and recording.
    pub dialect: &'static Dialect,
    /// Framing on both sides.
    pub framing: Framing,
    /// Largest accepted frame.
    pub max_frame: usize,
    /// The run's fault engine, shared by all connections so `nth` counts across them.
    pub engine: Arc<Mutex<Engine>>,
    /// Where events go.
    pub sink: Arc<dyn EventSink>,
    /// The run's clock, for time-window matchers.
    pub clock: Arc<dyn Clock>,
    /// What to do with frames that do not decode.
    pub malformed: Malformed,
}

/// The state of one relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Hung,
    Closed,
    Reset,
}

impl State {
    fn is_over(&self) -> bool {
        matches!(self, State::Closed | State::Reset)
    }
}

/// The state of one connection, shared by its four parts.
///
/// The parts are joined on one task, and `tokio::join!` polls every part each time the task
/// wakes, so a part sees a change at the next poll at the latest. A change therefore only has
/// to wake the task, and waiting for the end is a plain check: no waiter is registered, which
/// a channel would do on every poll of every part, that is on every frame.
struct ConnState(AtomicU8);

impl ConnState {
    const ORDER: [State; 4] = [State::Open, State::Hung, State::Closed, State::Reset];

    fn new() -> Self {
        ConnState(AtomicU8::new(0))
    }

    fn get(&self) -> State {
        Self::ORDER[usize::from(self.0.load(Ordering::SeqCst))]
    }

    /// Changes the state and wakes the task, so the parts polled before the caller in this
    /// round see it too.
    async fn set(&self, state: State) {
        let code = Self::ORDER.iter().position(|s| *s == state).unwrap_or(0);
        self.0.store(code as u8, Ordering::SeqCst);
        poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::Ready(())
        })
        .await;
    }

    /// Ready once the connection is over (closed or reset). Only for use inside the joined
    /// parts: it relies on being polled again whenever the task wakes.
    fn over(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(|_| {
            if self.get().is_over() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// An entry in a direction's write queue.
enum Out {
    /// Write these bytes, not before `due`. The last piece of a frame carries its label, so
    /// the writer can report a late delivery.
    Piece {
        due: Instant,
        bytes: Vec<u8>,
        arrival: Instant,
        label: Option<Label>,
    },
    /// The source ended: write what is queued, then shut the destination down.
    Eof,
}

type Queue = mpsc::UnboundedSender<Out>;

/// One direction's destination, shared by its writer and by the reader whose frames go there,
/// so that a frame nothing delays can be written without a trip through the queue.
struct Lane<S> {
    /// The destination. Whoever writes holds the lock for the whole frame, so pieces never
    /// interleave.
    dst: tokio::sync::Mutex<WriteHalf<S>>,
    /// Entries sent to the writer's queue and not yet dealt with. While there are any, a new
    /// frame must queue behind them to keep the direction in order.
    queued: AtomicUsize,
    /// A write failed: the destination is gone and nothing more is written to it.
    broken: AtomicBool,
}

impl<S> Lane<S> {
    fn new(dst: WriteHalf<S>) -> Self {
        Lane {
            dst: tokio::sync::Mutex::new(dst),
            queued: AtomicUsize::new(0),
            broken: AtomicBool::new(false),
        }
    }

    /// Queues an entry for the writer, counting it first so no frame overtakes it.
    fn push(&self, queue: &Queue, out: Out) {
        self.queued.fetch_add(1, Ordering::SeqCst);
        if queue.send(out).is_err() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// What identifies a frame in a `Delivered` event.
struct Label {
    mti: Option<String>,
    stan: Option<String>,
}

impl Label {
    fn of(message: Option<&crate::wire::Message>) -> Label {
        Label {
            mti: message.map(|m| m.mti().to_string()),
            stan: message.and_then(|m| m.text(11)).map(str::to_string),
        }
    }
}

impl Relay {
    fn lock_engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Relays frames both ways until both directions have ended. Each direction ends on EOF or
    /// error from its source and then, once its queue is written, shuts down its destination,
    /// which is how a close on one side reaches the other. A rule can end both at once
    /// (close, reset) or stop all forwarding (hang).
    pub async fn run<T, H>(&self, conn: u32, terminal: T, host: H)
    where
        T: LinkStream,
        H: LinkStream,
    {
        let route = self.lock_engine().route_of(conn);
        self.sink.emit(LinkEvent::ConnOpened { conn, route });
        let state = ConnState::new();
        let (to_host, host_queue) = mpsc::unbounded_channel();
        let (to_terminal, terminal_queue) = mpsc::unbounded_channel();
        let (t_read, t_write) = tokio::io::split(terminal);
        let (h_read, h_write) = tokio::io::split(host);
        let (host_lane, terminal_lane) = (Lane::new(h_write), Lane::new(t_write));
        let every_frame = self.sink.records_every_frame();
        let codec = || self.framing.codec(self.max_frame);
        let up = self.reader(
            conn,
            Direction::ToHost,
            FramedRead::new(t_read, codec()),
            (&to_host, &to_terminal),
            (&host_lane, &terminal_lane),
            &state,
            every_frame,
        );
        let down = self.reader(
            conn,
            Direction::ToTerminal,
            FramedRead::new(h_read, codec()),
            (&to_terminal, &to_host),
            (&terminal_lane, &host_lane),
            &state,
            every_frame,
        );
        let host_writer = self.writer(conn, Side::Host, &host_lane, host_queue, &state);
        let terminal_writer =
            self.writer(conn, Side::Terminal, &terminal_lane, terminal_queue, &state);
        let (t_read, h_read, (), ()) = tokio::join!(up, down, host_writer, terminal_writer);
        let end = state.get();
        if end.is_over() {
            let how = match end {
                State::Reset => "reset (RST) both ways",
                _ => "closed (FIN) both ways",
            };
            self.sink.emit(LinkEvent::ConnClosed {
                conn,
                side: Side::Proxy,
                how: how.into(),
            });
        }
        let (t_write, h_write) = (terminal_lane.dst.into_inner(), host_lane.dst.into_inner());
        let (terminal, host) = (t_read.unsplit(t_write), h_read.unsplit(h_write));
        if end == State::Reset {
            terminal.abort();
            host.abort();
        }
    }

    /// Reads frames from one side, decides their fate and queues what must be written, or
    /// writes a frame itself when it goes on at once and nothing is ahead of it.
    #[allow(clippy::too_many_arguments)]
    async fn reader<S: LinkStream, D: LinkStream>(
        &self,
        conn: u32,
        dir: Direction,
        mut src: FramedRead<ReadHalf<S>, FrameCodec>,
        (forward, back): (&Queue, &Queue),
        (ahead, behind): (&Lane<D>, &Lane<S>),
        state: &ConnState,
        every_frame: bool,
    ) -> ReadHalf<S> {
        let src_side = side_from(dir);
        let how = loop {
            let next = tokio::select! {
                biased;
                _ = state.over() => return src.into_inner(),
                next = src.next() => next,
            };
            let frame = match next {
                None => break "eof".to_string(),
                Some(Err(e)) => break e.to_string(),
                Some(Ok(frame)) => frame,
            };
            let arrival = Instant::now();
            let decoded = decode(self.dialect, &frame);
            let view = FrameView {
                direction: dir,
                conn,
                message: decoded.as_ref().ok(),
                raw: &frame,
                now: self.clock.now(),
                dialect: self.dialect,
                framing: self.framing,
            };
            let (effect, rule) = if state.get() == State::Hung {
                (Effect::stop(Fate::Swallowed, Control::Keep), None)
            } else {
                match self.lock_engine().on_frame(&view) {
                    Some(fired) => (fired.effect, Some(fired.rule)),
                    None => (self.unfaulted(&view, decoded.is_err()), None),
                }
            };
            if rule.is_some() || effect.fate != Fate::Forwarded || every_frame {
                let mut event = FrameEvent::new(conn, dir, self.dialect, &frame, &decoded);
                event.fate = effect.fate;
                event.detail = effect.detail;
                event.rule = rule.clone();
                self.sink.emit(LinkEvent::Frame(event));
            }
            if let Some(bytes) = at_once(&effect.forward)
                && effect.reply.is_empty()
                && effect.then == Control::Keep
                && state.get() == State::Open
                && ahead.queued.load(Ordering::SeqCst) == 0
                && !ahead.broken.load(Ordering::SeqCst)
                && let Ok(mut dst) = ahead.dst.try_lock()
            {
                let written = dst.write_all(bytes).await;
                drop(dst);
                if self.written(conn, dir, ahead, written) {
                    self.delivered(conn, dir, arrival, || Label::of(decoded.as_ref().ok()));
                }
                continue;
            }
            if !effect.reply.is_empty() {
                self.record_injected(conn, dir.reverse(), &effect.reply, rule);
            }
            for p in effect.reply {
                behind.push(
                    back,
                    Out::Piece {
                        due: arrival + p.after,
                        bytes: p.bytes,
                        arrival,
                        label: None,
                    },
                );
            }
            let pieces = effect.forward.len();
            for (i, p) in effect.forward.into_iter().enumerate() {
                ahead.push(
                    forward,
                    Out::Piece {
                        due: arrival + p.after,
                        bytes: p.bytes,
                        arrival,
                        label: (i + 1 == pieces).then(|| Label::of(decoded.as_ref().ok())),
                    },
                );
            }
            match effect.then {
                Control::Keep => {}
                Control::Hang => {
                    state.set(State::Hung).await;
                }
                Control::Close => {
                    state.set(State::Closed).await;
                }
                Control::Reset => {
                    state.set(State::Reset).await;
                }
            }
        };
        self.sink.emit(LinkEvent::ConnClosed {
            conn,
            side: src_side,
            how,
        });
        let _ = forward.send(Out::Eof);
        src.into_inner()
    }

    /// Ends `lane` if a write to it (travelling `dir`) failed, and says whether it went.
    fn written<S>(
        &self,
        conn: u32,
        dir: Direction,
        lane: &Lane<S>,
        result: std::io::Result<()>,
    ) -> bool {
        let Err(e) = result else { return true };
        lane.broken.store(true, Ordering::SeqCst);
        self.sink.emit(LinkEvent::ConnClosed {
            conn,
            side: side_from(dir.reverse()),
            how: e.to_string(),
        });
        false
    }

    /// Reports a frame written a millisecond or more after it arrived as delivered late, so
    /// checks judge it by when it reached its receiver.
    fn delivered(
        &self,
        conn: u32,
        dir: Direction,
        arrival: Instant,
        label: impl FnOnce() -> Label,
    ) {
        if Instant::now() >= arrival + Duration::from_millis(1) {
            let label = label();
            self.sink.emit(LinkEvent::Delivered {
                conn,
                dir,
                mti: label.mti,
                stan: label.stan,
            });
        }
    }

    /// The fate of a frame no rule fired on: forwarded, unless it is malformed and the policy
    /// says otherwise.
    fn unfaulted(&self, view: &FrameView<'_>, malformed: bool) -> Effect {
        if !malformed {
            return Effect::forward(view);
        }
        let mut effect = match self.malformed {
            Malformed::Forward => Effect::forward(view),
            Malformed::Drop => Effect::stop(Fate::Dropped, Control::Keep),
            Malformed::Close => Effect::stop(Fate::Closed, Control::Close),
        };
        effect.detail = Some(format!("malformed frame, policy {}", self.malformed.name()));
        effect
    }

    /// Records the frame a rule made up, decoded like any other.
    fn record_injected(
        &self,
        conn: u32,
        dir: Direction,
        pieces: &[crate::fault::Piece],
        rule: Option<String>,
    ) {
        let mut wire: BytesMut = pieces.iter().flat_map(|p| p.bytes.clone()).collect();
        let mut codec = self.framing.codec(self.max_frame);
        while let Ok(Some(body)) = codec.decode(&mut wire) {
            let decoded = decode(self.dialect, &body);
            let mut event = FrameEvent::new(conn, dir, self.dialect, &body, &decoded);
            event.fate = Fate::Injected;
            event.rule = rule.clone();
            self.sink.emit(LinkEvent::Frame(event));
        }
    }

    /// Writes queued pieces in order, each no earlier than its time.
    async fn writer<S: LinkStream>(
        &self,
        conn: u32,
        side: Side,
        lane: &Lane<S>,
        mut queue: mpsc::UnboundedReceiver<Out>,
        state: &ConnState,
    ) {
        let dir = match side {
            Side::Host => Direction::ToHost,
            _ => Direction::ToTerminal,
        };
        loop {
            let next = tokio::select! {
                biased;
                _ = state.over() => break,
                next = queue.recv() => next,
            };
            let (due, bytes, arrival, label) = match next {
                None | Some(Out::Eof) => {
                    // A destination a write failed on is left alone, as when the writer
                    // itself saw the failure and stopped.
                    if !lane.broken.load(Ordering::SeqCst) {
                        let _ = lane.dst.lock().await.shutdown().await;
                    }
                    return;
                }
                Some(Out::Piece {
                    due,
                    bytes,
                    arrival,
                    label,
                }) => (due, bytes, arrival, label),
            };
            if due > Instant::now() {
                tokio::select! {
                    biased;
                    _ = state.over() => break,
                    _ = sleep_until(due) => {}
                }
            }
            if state.get() == State::Hung {
                lane.queued.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            if lane.broken.load(Ordering::SeqCst) {
                return;
            }
            let written = lane.dst.lock().await.write_all(&bytes).await;
            lane.queued.fetch_sub(1, Ordering::SeqCst);
            if !self.written(conn, dir, lane, written) {
                return;
            }
            // Only a frame's last piece carries its label: the frame is delivered when it ends.
            if let Some(label) = label {
                self.delivered(conn, dir, arrival, || label);
            }
        }
        if state.get() == State::Closed && !lane.broken.load(Ordering::SeqCst) {
            let _ = lane.dst.lock().await.shutdown().await;
        }
    }

    /// Reads and records whatever the terminal sends on a connection a rule decided never to
    /// answer, until the terminal closes it.
    pub async fn swallow<T: LinkStream>(&self, conn: u32, terminal: T, rule: &str) {
        let mut src = FramedRead::new(terminal, self.framing.codec(self.max_frame));
        let how = loop {
            match src.next().await {
                None => break "eof".to_string(),
                Some(Err(e)) => break e.to_string(),
                Some(Ok(frame)) => {
                    let decoded = decode(self.dialect, &frame);
                    let mut event =
                        FrameEvent::new(conn, Direction::ToHost, self.dialect, &frame, &decoded);
                    event.fate = Fate::Swallowed;
                    event.rule = Some(rule.to_string());
                    self.sink.emit(LinkEvent::Frame(event));
                }
            }
        };
        self.sink.emit(LinkEvent::ConnClosed {
            conn,
            side: Side::Terminal,
            how,
        });
    }

    /// Closes a new connection at once (FIN) without reaching the host.
    pub async fn close_at_once<T: LinkStream>(&self, conn: u32, mut terminal: T) {
        let _ = terminal.shutdown().await;
        drop(terminal);
        self.sink.emit(LinkEvent::ConnClosed {
            conn,
            side: Side::Proxy,
            how: "closed (FIN) at once".into(),
        });
    }
}

/// The bytes of an effect that forwards its frame as one piece at once.
fn at_once(forward: &[crate::fault::Piece]) -> Option<&[u8]> {
    match forward {
        [piece] if piece.after.is_zero() => Some(&piece.bytes),
        _ => None,
    }
}

fn side_from(dir: Direction) -> Side {
    match dir {
        Direction::ToHost => Side::Terminal,
        Direction::ToTerminal => Side::Host,
    }
}
