//! Relaying one terminal connection to the host through the fault engine.
//!
//! Four parts run joined on one task: a reader per direction (decode, ask the engine, queue
//! pieces) and a writer per direction (write each queued piece no earlier than its time). The
//! queues keep each direction in order, so a delayed frame holds back the frames behind it,
//! and a reader can queue a made-up reply on the other direction's writer. A watch channel
//! carries the connection's state (open, hung, closed, reset) to all four parts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, watch};
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
        let (state_tx, state_rx) = watch::channel(State::Open);
        let (to_host, host_queue) = mpsc::unbounded_channel();
        let (to_terminal, terminal_queue) = mpsc::unbounded_channel();
        let (t_read, t_write) = tokio::io::split(terminal);
        let (h_read, h_write) = tokio::io::split(host);
        let codec = || self.framing.codec(self.max_frame);
        let up = self.reader(
            conn,
            Direction::ToHost,
            FramedRead::new(t_read, codec()),
            (&to_host, &to_terminal),
            &state_tx,
        );
        let down = self.reader(
            conn,
            Direction::ToTerminal,
            FramedRead::new(h_read, codec()),
            (&to_terminal, &to_host),
            &state_tx,
        );
        let host_writer = self.writer(conn, Side::Host, h_write, host_queue, state_rx.clone());
        let terminal_writer = self.writer(conn, Side::Terminal, t_write, terminal_queue, state_rx);
        let (t_read, h_read, h_write, t_write) =
            tokio::join!(up, down, host_writer, terminal_writer);
        let end = *state_tx.borrow();
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
        let (terminal, host) = (t_read.unsplit(t_write), h_read.unsplit(h_write));
        if end == State::Reset {
            terminal.abort();
            host.abort();
        }
    }

    /// Reads frames from one side, decides their fate and queues what must be written.
    async fn reader<S: LinkStream>(
        &self,
        conn: u32,
        dir: Direction,
        mut src: FramedRead<ReadHalf<S>, FrameCodec>,
        (forward, back): (&Queue, &Queue),
        state: &watch::Sender<State>,
    ) -> ReadHalf<S> {
        let src_side = side_from(dir);
        let mut watch = state.subscribe();
        let how = loop {
            let next = tokio::select! {
                biased;
                _ = watch.wait_for(State::is_over) => return src.into_inner(),
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
            let (effect, rule) = if *state.borrow() == State::Hung {
                (Effect::stop(Fate::Swallowed, Control::Keep), None)
            } else {
                match self.lock_engine().on_frame(&view) {
                    Some(fired) => (fired.effect, Some(fired.rule)),
                    None => (self.unfaulted(&view, decoded.is_err()), None),
                }
            };
            if rule.is_some() || effect.fate != Fate::Forwarded || self.sink.records_every_frame() {
                let mut event = FrameEvent::new(conn, dir, self.dialect, &frame, &decoded);
                event.fate = effect.fate;
                event.detail = effect.detail;
                event.rule = rule.clone();
                self.sink.emit(LinkEvent::Frame(event));
            }
            if !effect.reply.is_empty() {
                self.record_injected(conn, dir.reverse(), &effect.reply, rule);
            }
            for p in effect.reply {
                let _ = back.send(Out::Piece {
                    due: arrival + p.after,
                    bytes: p.bytes,
                    arrival,
                    label: None,
                });
            }
            let pieces = effect.forward.len();
            for (i, p) in effect.forward.into_iter().enumerate() {
                let _ = forward.send(Out::Piece {
                    due: arrival + p.after,
                    bytes: p.bytes,
                    arrival,
                    label: (i + 1 == pieces).then(|| Label::of(decoded.as_ref().ok())),
                });
            }
            match effect.then {
                Control::Keep => {}
                Control::Hang => {
                    state.send_replace(State::Hung);
                }
                Control::Close => {
                    state.send_replace(State::Closed);
                }
                Control::Reset => {
                    state.send_replace(State::Reset);
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
        mut dst: WriteHalf<S>,
        mut queue: mpsc::UnboundedReceiver<Out>,
        mut state: watch::Receiver<State>,
    ) -> WriteHalf<S> {
        loop {
            let next = tokio::select! {
                biased;
                _ = state.wait_for(State::is_over) => break,
                next = queue.recv() => next,
            };
            let (due, bytes, arrival, label) = match next {
                None | Some(Out::Eof) => {
                    let _ = dst.shutdown().await;
                    return dst;
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
                    _ = state.wait_for(State::is_over) => break,
                    _ = sleep_until(due) => {}
                }
            }
            if *state.borrow() == State::Hung {
                continue;
            }
            if let Err(e) = dst.write_all(&bytes).await {
                self.sink.emit(LinkEvent::ConnClosed {
                    conn,
                    side,
                    how: e.to_string(),
                });
                return dst;
            }
            if let Some(label) = label
                && Instant::now() >= arrival + Duration::from_millis(1)
            {
                self.sink.emit(LinkEvent::Delivered {
                    conn,
                    dir: match side {
                        Side::Host => Direction::ToHost,
                        _ => Direction::ToTerminal,
                    },
                    mti: label.mti,
                    stan: label.stan,
                });
            }
        }
        if *state.borrow() == State::Closed {
            let _ = dst.shutdown().await;
        }
        dst
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

fn side_from(dir: Direction) -> Side {
    match dir {
        Direction::ToHost => Side::Terminal,
        Direction::ToTerminal => Side::Host,
    }
}
