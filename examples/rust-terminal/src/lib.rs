//! ShopTerminal: a small POS terminal written the way a terminal team writes one, against
//! posfault's public API only. It sells, times out, reverses (persisting the reversal before the
//! sale leaves, so a power cut cannot lose it) and retries the reversal before the next sale.
//! `ShopTerminal { reversals: false }` is the same terminal with its reversal logic removed, to
//! show the oracle catching it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use posfault::proxies::wire::{ISO87, Message, decode, encode};
use posfault::terminal::{FailReason, ReversalState};
use posfault::{Command, Outcome, SaleCommand, Terminal, TerminalIo};

const PENDING: &str = "shop/pending-reversal";
const STAN: &str = "shop/stan";

/// The example terminal.
pub struct ShopTerminal {
    /// Whether it reverses sales whose outcome is unknown. Leave on.
    pub reversals: bool,
}

impl Default for ShopTerminal {
    fn default() -> Self {
        ShopTerminal { reversals: true }
    }
}

impl Terminal for ShopTerminal {
    fn run<'a>(&'a mut self, io: &'a TerminalIo) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            while let Some(cmd) = io.schedule.next().await {
                match cmd {
                    Command::Sale(sale) => self.sale(io, &sale).await,
                    // ShopTerminal does not settle; it says so rather than pretend.
                    other => io.note(posfault::TerminalEvent::Unsupported {
                        txn: other.txn().into(),
                        op: other.op().into(),
                    }),
                }
            }
        })
    }
}

impl ShopTerminal {
    async fn sale(&mut self, io: &TerminalIo, sale: &SaleCommand) {
        flush_reversal(io).await;
        let stan = next_stan(io);
        let mut req = Message::new("0200".parse().expect("MTI"));
        req.set(2, sale.pan.reveal())
            .set(3, "000000")
            .set(4, format!("{:012}", sale.amount.0))
            .set(11, &stan)
            .set(41, &io.config.id)
            .set(42, &io.config.merchant);
        if self.reversals {
            let mut rev = req.clone();
            rev.set_mti("0400".parse().expect("MTI"));
            rev.set(39, "98")
                .set(90, format!("0200{stan}{}", "0".repeat(32)));
            io.store
                .put(PENDING, encode(&ISO87, &rev).expect("valid 0400"));
        }
        let reply = exchange(io, &req).await;
        let outcome = match reply {
            Some(rsp) if rsp.mti().as_str() == "0210" && rsp.field(11) == req.field(11) => {
                io.store.delete(PENDING);
                let mut o = Outcome::answered(&sale.txn, &stan, rsp.text(39).unwrap_or("??"));
                o.display = o.display.to_uppercase();
                o
            }
            _ => {
                let reversal = match self.reversals {
                    true if flush_reversal(io).await => ReversalState::Acknowledged,
                    true => ReversalState::Pending,
                    false => ReversalState::None,
                };
                let mut o = Outcome::failed(&sale.txn, &stan, FailReason::NoResponse, reversal);
                o.display = "NO RESPONSE - SALE CANCELLED".into();
                o
            }
        };
        io.report(outcome);
    }
}

fn next_stan(io: &TerminalIo) -> String {
    let last: u32 = io
        .store
        .get(STAN)
        .and_then(|v| String::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(0);
    let next = last % 999_999 + 1;
    io.store.put(STAN, next.to_string());
    format!("{next:06}")
}

/// Sends the stored reversal until acknowledged or out of tries; true when none is left.
async fn flush_reversal(io: &TerminalIo) -> bool {
    let Some(rev) = io.store.get(PENDING).and_then(|b| decode(&ISO87, &b).ok()) else {
        return true;
    };
    for attempt in 0..=io.config.reversal_retries {
        if attempt > 0 {
            tokio::time::sleep(io.config.reversal_interval.get()).await;
        }
        if let Some(ack) = exchange(io, &rev).await
            && ack.mti().as_str() == "0410"
            && ack.field(11) == rev.field(11)
        {
            io.store.delete(PENDING);
            return true;
        }
    }
    false
}

/// One request and its reply on a fresh connection; `None` on any failure or timeout.
async fn exchange(io: &TerminalIo, req: &Message) -> Option<Message> {
    let wait: Duration = io.config.response_timeout.get();
    let stream = tokio::time::timeout(io.config.connect_timeout.get(), io.dialer.dial())
        .await
        .ok()?
        .ok()?;
    let mut conn = tokio_util::codec::Framed::new(stream, io.wire.codec());
    conn.send(io.wire.encode(req).ok()?).await.ok()?;
    let frame = tokio::time::timeout(wait, conn.next()).await.ok()??.ok()?;
    io.wire.decode(&frame).ok()
}
