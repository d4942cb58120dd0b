//! The reference terminal's behaviour.
//!
//! One sale: send any pending reversal first; take the next STAN; store the reversal record
//! *before* sending (so a power loss cannot lose it); send the 0200 on a fresh connection; wait
//! `response_timeout` for a reply. A valid reply (MTI + 10, same STAN, terminal id and amount)
//! deletes the record and is reported approved or declined. No reply, a lost connection or an
//! invalid reply makes the stored reversal due: it is sent at once, resent up to
//! `reversal_retries` times `reversal_interval` apart, and deleted only when acknowledged.

use std::io;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::wire::Message;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_util::codec::Framed;

use crate::host::Pan;
use crate::money::Amount;
use crate::terminal::config::{Defect, TerminalConfig};
use crate::terminal::event::{FailReason, Outcome, ReversalState, TerminalEvent, TxnResult};
use crate::terminal::messages::{self, Ids, Stamp};
use crate::terminal::net::Dialer;
use crate::terminal::store::{ReversalRecord, Store};
use crate::transcript::Recorder;
use crate::wire::Wire;

/// A sale the terminal is asked to make.
#[derive(Debug, Clone)]
pub struct SaleCommand {
    /// Transaction id.
    pub txn: String,
    /// When to start, from the run's start.
    pub at: Duration,
    /// Amount.
    pub amount: Amount,
    /// The card.
    pub pan: Pan,
    /// Expiry, entry mode and PIN as read at the terminal.
    pub card: messages::CardData,
}

/// Why an exchange produced no usable reply.
enum Failure {
    Connect(String),
    Timeout,
    Lost(String),
    Invalid(String),
}

/// The reference terminal.
pub struct ReferenceTerminal<D> {
    cfg: TerminalConfig,
    wire: Wire,
    dialer: D,
    store: Store,
    rec: Recorder,
    start: Instant,
}

impl<D: Dialer> ReferenceTerminal<D> {
    /// A terminal with its policy, wire, way to the host, persistent store and recorder.
    pub fn new(cfg: TerminalConfig, wire: Wire, dialer: D, store: Store, rec: Recorder) -> Self {
        ReferenceTerminal {
            cfg,
            wire,
            dialer,
            store,
            rec,
            start: Instant::now(),
        }
    }

    /// Runs the sales in order, each no earlier than its time. Must be called inside the
    /// node's runtime: the schedule's time zero is taken here, from the simulated clock.
    pub async fn run(&mut self, sales: Vec<SaleCommand>) {
        self.start = Instant::now();
        for s in sales {
            sleep_until(self.start + s.at).await;
            self.sale(&s).await;
        }
    }

    fn now(&self) -> Duration {
        self.rec.clock().now()
    }

    async fn sale(&mut self, cmd: &SaleCommand) {
        self.send_pending_reversal().await;
        let stan = self.store.next_stan();
        let ids = Ids {
            terminal: &self.cfg.id,
            merchant: &self.cfg.merchant,
        };
        let req = messages::sale(
            &ids,
            &stan,
            &cmd.pan,
            &cmd.card,
            cmd.amount,
            &Stamp::at(self.now()),
        );
        self.rec.record(TerminalEvent::TxnStarted {
            txn: cmd.txn.clone(),
            op: "sale".into(),
            stan: stan.clone(),
            amount: cmd.amount,
            card: cmd.pan.masked(),
        });
        self.store.save_reversal(ReversalRecord {
            stan: stan.clone(),
            txn: cmd.txn.clone(),
            message: messages::reversal(&req, "98"),
        });
        let outcome = match self.exchange(&req).await {
            Ok(rsp) => match validate(&req, &rsp) {
                Ok(rc) => {
                    self.store.clear_reversal(&stan);
                    let result = if rc == "00" {
                        TxnResult::Approved
                    } else {
                        TxnResult::Declined
                    };
                    let display = match result {
                        TxnResult::Approved => "approved".to_string(),
                        _ => format!("declined: {rc}"),
                    };
                    Outcome {
                        txn: cmd.txn.clone(),
                        stan,
                        result,
                        rc: Some(rc),
                        reason: None,
                        reversal: None,
                        display,
                        cause: None,
                        category: None,
                        advice: None,
                    }
                }
                Err(why) => {
                    self.rec.record(TerminalEvent::InvalidReply {
                        stan: stan.clone(),
                        why,
                    });
                    self.fail(cmd, stan, FailReason::InvalidReply, "06").await
                }
            },
            Err(Failure::Connect(_)) => {
                self.store.clear_reversal(&stan);
                Outcome {
                    txn: cmd.txn.clone(),
                    stan,
                    result: TxnResult::Failed,
                    rc: None,
                    reason: Some(FailReason::Connect),
                    reversal: None,
                    display: "failed: could not connect, nothing charged".into(),
                    cause: None,
                    category: None,
                    advice: None,
                }
            }
            Err(Failure::Timeout) => {
                self.rec.record(TerminalEvent::Timeout {
                    stan: stan.clone(),
                    after: self.cfg.response_timeout,
                });
                self.fail(cmd, stan, FailReason::NoResponse, "98").await
            }
            Err(Failure::Lost(error)) => {
                self.rec.record(TerminalEvent::ConnectionLost {
                    stan: stan.clone(),
                    error,
                });
                self.fail(cmd, stan, FailReason::NoResponse, "98").await
            }
            Err(Failure::Invalid(why)) => {
                self.rec.record(TerminalEvent::InvalidReply {
                    stan: stan.clone(),
                    why,
                });
                self.fail(cmd, stan, FailReason::InvalidReply, "06").await
            }
        };
        self.rec.record(TerminalEvent::Outcome(outcome.explained()));
    }

    /// The outcome is unknown: make the stored reversal due, send it, report.
    async fn fail(
        &mut self,
        cmd: &SaleCommand,
        stan: String,
        reason: FailReason,
        rc: &str,
    ) -> Outcome {
        let what = match reason {
            FailReason::InvalidReply => "invalid reply",
            _ => "no response",
        };
        let reversal =
            if self.cfg.has(Defect::NoReversalOnTimeout) && reason == FailReason::NoResponse {
                self.store.clear_reversal(&stan);
                ReversalState::None
            } else {
                self.store.set_reversal_reason(&stan, rc);
                self.rec.record(TerminalEvent::ReversalQueued {
                    stan: stan.clone(),
                    reason: rc.into(),
                });
                if self.send_pending_reversal().await {
                    ReversalState::Acknowledged
                } else {
                    ReversalState::Pending
                }
            };
        let display = match reversal {
            ReversalState::Acknowledged => format!("failed: {what}, reversed"),
            ReversalState::Pending => format!("failed: {what}, reversal pending"),
            ReversalState::None => format!("failed: {what}"),
        };
        Outcome {
            txn: cmd.txn.clone(),
            stan,
            result: TxnResult::Failed,
            rc: None,
            reason: Some(reason),
            reversal: Some(reversal),
            display,
            cause: None,
            category: None,
            advice: None,
        }
    }

    /// Sends the stored reversal, if any, until acknowledged or out of retries. Returns whether
    /// no reversal is pending afterwards.
    async fn send_pending_reversal(&mut self) -> bool {
        let Some(rec) = self.store.pending_reversal() else {
            return true;
        };
        let attempts = 1 + self.cfg.reversal_retries;
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.cfg.reversal_interval.get()).await;
            }
            self.rec.record(TerminalEvent::ReversalSent {
                stan: rec.stan.clone(),
                attempt,
            });
            let why = match self.exchange(&rec.message).await {
                Ok(rsp)
                    if rsp.mti().to_string() == "0410" && rsp.text(11) == rec.message.text(11) =>
                {
                    // Any response code ends the attempt: the host has seen the reversal.
                    let rc = rsp.text(39).unwrap_or("").to_string();
                    self.store.clear_reversal(&rec.stan);
                    self.rec.record(TerminalEvent::ReversalAcked {
                        stan: rec.stan.clone(),
                        rc,
                    });
                    return true;
                }
                Ok(rsp) => format!("reply {} does not match the reversal", rsp.mti()),
                Err(Failure::Connect(e)) => format!("connect failed: {e}"),
                Err(Failure::Timeout) => format!("no reply within {}", self.cfg.response_timeout),
                Err(Failure::Lost(e)) => format!("connection lost: {e}"),
                Err(Failure::Invalid(e)) => format!("unreadable reply: {e}"),
            };
            self.rec.record(TerminalEvent::ReversalUnanswered {
                stan: rec.stan.clone(),
                attempt,
                why,
            });
        }
        self.rec.record(TerminalEvent::ReversalPending {
            stan: rec.stan.clone(),
            attempts,
        });
        false
    }

    /// One request/response on a fresh connection.
    async fn exchange(&mut self, req: &Message) -> Result<Message, Failure> {
        let stan = req.text(11).unwrap_or_default().to_string();
        let stream = match timeout(self.cfg.connect_timeout.get(), self.dialer.dial()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(self.connect_failed(stan, e.to_string())),
            Err(_) => {
                let msg = format!("no connection within {}", self.cfg.connect_timeout);
                return Err(self.connect_failed(stan, msg));
            }
        };
        let mut framed = Framed::new(stream, self.wire.codec());
        let body = self
            .wire
            .encode(req)
            .map_err(|e| Failure::Invalid(format!("cannot encode request: {e}")))?;
        framed
            .send(body)
            .await
            .map_err(|e| Failure::Lost(e.to_string()))?;
        let deadline = Instant::now() + self.cfg.response_timeout.get();
        match timeout_at(deadline, framed.next()).await {
            Err(_) => Err(Failure::Timeout),
            Ok(None) => Err(Failure::Lost("closed by peer".into())),
            Ok(Some(Err(e))) => Err(Failure::Lost(io_text(&e))),
            Ok(Some(Ok(frame))) => self
                .wire
                .decode(&frame)
                .map_err(|e| Failure::Invalid(e.to_string())),
        }
    }

    fn connect_failed(&self, stan: String, error: String) -> Failure {
        self.rec.record(TerminalEvent::ConnectFailed {
            stan,
            error: error.clone(),
        });
        Failure::Connect(error)
    }
}

fn io_text(e: &io::Error) -> String {
    e.to_string()
}

/// Checks a reply against its request; returns the RC or what is wrong.
fn validate(req: &Message, rsp: &Message) -> Result<String, String> {
    let want = req.mti().response();
    if Some(rsp.mti()) != want {
        return Err(format!(
            "MTI {} does not answer {} (expected {})",
            rsp.mti(),
            req.mti(),
            want.map(|m| m.to_string()).unwrap_or_default()
        ));
    }
    for (n, name) in [(11, "STAN"), (41, "terminal id")] {
        if rsp.field(n) != req.field(n) {
            return Err(format!(
                "{name} (field {n}) is {:?}, expected {:?}",
                rsp.text(n).unwrap_or(""),
                req.text(n).unwrap_or("")
            ));
        }
    }
    let rc = rsp
        .text(39)
        .ok_or_else(|| "no response code (field 39)".to_string())?
        .to_string();
    // Amount echo, except partial approvals (RC 10) which carry the approved amount.
    if rc != "10" && rsp.has(4) && rsp.field(4) != req.field(4) {
        return Err(format!(
            "amount (field 4) is {:?}, expected {:?}",
            rsp.text(4).unwrap_or(""),
            req.text(4).unwrap_or("")
        ));
    }
    Ok(rc)
}
