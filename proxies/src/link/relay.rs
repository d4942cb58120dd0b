//! Relaying one terminal connection to the host through the fault engine.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::fault::{Direction, Effect, Engine, FrameView};
use crate::link::event::{Clock, EventSink, Fate, FrameEvent, LinkEvent, Side};
use crate::wire::framing::FrameCodec;
use crate::wire::{Dialect, Framing, decode};

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
}

impl Relay {
    /// Relays frames both ways until both directions have ended. Each direction ends on EOF or
    /// error from its source, and then shuts down its destination, which is how a close on one
    /// side reaches the other.
    pub async fn run<T, H>(&self, conn: u32, terminal: T, host: H)
    where
        T: AsyncRead + AsyncWrite + Unpin,
        H: AsyncRead + AsyncWrite + Unpin,
    {
        self.sink.emit(LinkEvent::ConnOpened { conn });
        let (t_read, t_write) = tokio::io::split(terminal);
        let (h_read, h_write) = tokio::io::split(host);
        let codec = || self.framing.codec(self.max_frame);
        let up = self.pump(
            conn,
            Direction::ToHost,
            FramedRead::new(t_read, codec()),
            FramedWrite::new(h_write, codec()),
        );
        let down = self.pump(
            conn,
            Direction::ToTerminal,
            FramedRead::new(h_read, codec()),
            FramedWrite::new(t_write, codec()),
        );
        tokio::join!(up, down);
    }

    async fn pump<R, W>(
        &self,
        conn: u32,
        dir: Direction,
        mut src: FramedRead<R, FrameCodec>,
        mut dst: FramedWrite<W, FrameCodec>,
    ) where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let src_side = match dir {
            Direction::ToHost => Side::Terminal,
            Direction::ToTerminal => Side::Host,
        };
        let how = loop {
            let frame = match src.next().await {
                None => break "eof".to_string(),
                Some(Err(e)) => break e.to_string(),
                Some(Ok(frame)) => frame,
            };
            let decoded = decode(self.dialect, &frame);
            let view = FrameView {
                direction: dir,
                conn,
                message: decoded.as_ref().ok(),
                raw: &frame,
                now: self.clock.now(),
            };
            let fired = self
                .engine
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .on_frame(&view);
            let mut event = FrameEvent::new(conn, dir, self.dialect, &frame, &decoded);
            let forward = match &fired {
                None => true,
                Some(f) => match f.effect {
                    Effect::Drop => {
                        event.fate = Fate::Dropped;
                        false
                    }
                },
            };
            event.rule = fired.map(|f| f.rule);
            self.sink.emit(LinkEvent::Frame(event));
            if forward && let Err(e) = dst.send(frame.freeze()).await {
                let dst_side = match src_side {
                    Side::Terminal => Side::Host,
                    Side::Host => Side::Terminal,
                };
                self.sink.emit(LinkEvent::ConnClosed {
                    conn,
                    side: dst_side,
                    how: e.to_string(),
                });
                return;
            }
        };
        self.sink.emit(LinkEvent::ConnClosed {
            conn,
            side: src_side,
            how,
        });
        let _ = SinkExt::<bytes::Bytes>::close(&mut dst).await;
    }
}
