//! The reference terminal's behaviour.
//!
//! One sale: send any pending reversal first; take the next STAN; store the reversal record
//! (before the send by default, after it if the policy says so, as field terminals differ); send
//! the 0200; wait `response_timeout` for a reply. A valid reply (MTI + 10, same STAN, terminal id
//! and amount) deletes the record and is reported approved or declined. No reply, a lost
//! connection or an invalid reply makes the stored reversal due: it is sent at once (on the same
//! connection while it is open, so a late reply is seen, recorded and ignored), resent up to
//! `reversal_retries` times `reversal_interval` apart on new connections, and deleted only when
//! acknowledged. Each defect switch changes exactly the step its bug lives in.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::wire::Message;
use posfault_proxies::wire::framing::FrameCodec;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_util::codec::Framed;

use crate::terminal::api::SettleCommand;
use crate::terminal::api::{Command, SaleCommand, Terminal, TerminalIo};
use crate::terminal::config::{Defect, ReversalSave};
use crate::terminal::event::{FailReason, Outcome, ReversalState, TerminalEvent, TxnResult};
use crate::terminal::messages::{self, Ids, Stamp};
use crate::terminal::net::Duplex;
use crate::terminal::store::{BatchItem, ReversalRecord};

type Conn = Framed<Box<dyn Duplex>, FrameCodec>;

/// Why an exchange produced no usable reply.
enum Failure {
    Connect(String),
    Timeout,
    Lost(String),
    Invalid(String),
}

/// The reference terminal. Its fields are volatile memory, lost at a power cycle; everything
/// that must survive lives in the [`crate::terminal::Store`].
#[derive(Default)]
pub struct ReferenceTerminal {
    /// Where the `reversal_not_persisted` defect keeps its reversal: RAM.
    volatile_reversal: Option<ReversalRecord>,
}

impl ReferenceTerminal {
    /// A freshly booted terminal.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Terminal for ReferenceTerminal {
    fn run<'a>(&'a mut self, io: &'a TerminalIo) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            while let Some(cmd) = io.schedule.next().await {
                match cmd {
                    Command::Sale(s) => self.sale(io, &s).await,
                    Command::Settle(s) => self.settle(io, &s).await,
                }
            }
        })
    }
}

impl ReferenceTerminal {
    async fn sale(&mut self, io: &TerminalIo, cmd: &SaleCommand) {
        let cfg = &io.config;
        self.send_pending_reversal(io, None).await;
        let stan = io.store.next_stan();
        let ids = Ids {
            terminal: &cfg.id,
            merchant: &cfg.merchant,
        };
        let req = messages::sale(
            &ids,
            &stan,
            &cmd.pan,
            &cmd.card,
            cmd.amount,
            &Stamp::at(io.now()),
        );
        let record = ReversalRecord {
            stan: stan.clone(),
            txn: cmd.txn.clone(),
            message: messages::reversal(&req, "98"),
        };
        let save_after_send = cfg.reversal_save == ReversalSave::AfterSend;
        if !save_after_send {
            self.save_reversal(io, record.clone());
        }
        let mut conn = match self.open(io, &stan).await {
            Ok(c) => c,
            Err(_) => {
                // Nothing reached the host: nothing to reverse.
                self.clear_reversal(io, &stan);
                let outcome = failed(cmd, stan, FailReason::Connect, ReversalState::None);
                return io.report(outcome);
            }
        };
        let sent = send(io, &mut conn, &req).await;
        if save_after_send && sent.is_ok() {
            self.save_reversal(io, record);
        }
        let reply = match sent {
            Ok(()) => receive(io, &mut conn, Instant::now() + cfg.response_timeout.get()).await,
            Err(e) => Err(e),
        };
        let outcome = match reply {
            Ok(rsp) => match validate(&req, &rsp) {
                Ok(rc) => {
                    self.clear_reversal(io, &stan);
                    if rc == "00" {
                        io.store.batch_add(BatchItem {
                            stan: stan.clone(),
                            date: req.text(13).unwrap_or_default().to_string(),
                            amount: cmd.amount.0,
                        });
                    }
                    answered(cmd, stan, rc)
                }
                Err(why) => {
                    io.note(TerminalEvent::InvalidReply {
                        stan: stan.clone(),
                        why,
                    });
                    self.fail(io, cmd, &req, Some(conn), FailReason::InvalidReply, "06")
                        .await
                }
            },
            Err(Failure::Timeout) => {
                io.note(TerminalEvent::Timeout {
                    stan: stan.clone(),
                    after: cfg.response_timeout,
                });
                self.after_timeout(io, cmd, &req, conn).await
            }
            Err(Failure::Lost(error)) => {
                io.note(TerminalEvent::ConnectionLost {
                    stan: stan.clone(),
                    error,
                });
                self.fail(io, cmd, &req, None, FailReason::NoResponse, "98")
                    .await
            }
            Err(Failure::Invalid(why)) => {
                io.note(TerminalEvent::InvalidReply {
                    stan: stan.clone(),
                    why,
                });
                self.fail(io, cmd, &req, None, FailReason::InvalidReply, "06")
                    .await
            }
            Err(Failure::Connect(_)) => unreachable_connect(cmd, stan),
        };
        io.report(outcome);
    }

    /// Settlement: any pending reversal first (it changes the totals), then 0500 with the
    /// batch's totals. 00 closes the batch; 95 (totals differ) uploads every transaction
    /// (0320) and closes it, as field terminals do; the merchant is told either way.
    async fn settle(&mut self, io: &TerminalIo, cmd: &SettleCommand) {
        self.send_pending_reversal(io, None).await;
        let batch = io.store.batch();
        let stan = io.store.next_stan();
        let ids = Ids {
            terminal: &io.config.id,
            merchant: &io.config.merchant,
        };
        let total: i64 = batch.iter().map(|b| b.amount).sum();
        let req =
            messages::settlement(&ids, &stan, batch.len() as u64, total, &Stamp::at(io.now()));
        let rsp = match self.open(io, &stan).await {
            Err(_) => {
                return io.report(Outcome::failed(
                    &cmd.txn,
                    &stan,
                    FailReason::Connect,
                    ReversalState::None,
                ));
            }
            Ok(mut conn) => match send(io, &mut conn, &req).await {
                Err(_) => Err(()),
                Ok(()) => receive(
                    io,
                    &mut conn,
                    Instant::now() + io.config.response_timeout.get(),
                )
                .await
                .map_err(|_| ()),
            },
        };
        let outcome = match rsp.map(|r| validate(&req, &r)) {
            Ok(Ok(rc)) if rc == "00" => {
                io.store.batch_clear();
                let mut o = Outcome::answered(&cmd.txn, &stan, &rc);
                o.display = format!(
                    "settled: {} sales, {}",
                    batch.len(),
                    crate::money::Amount(total)
                );
                o
            }
            Ok(Ok(rc)) if rc == "95" => {
                let uploaded = self.upload(io, &ids, &batch).await;
                io.store.batch_clear();
                let mut o = Outcome::answered(&cmd.txn, &stan, &rc);
                o.display = format!(
                    "{}; batch uploaded ({uploaded} of {})",
                    o.display,
                    batch.len()
                );
                o
            }
            Ok(Ok(rc)) => Outcome::answered(&cmd.txn, &stan, &rc),
            Ok(Err(why)) => {
                io.note(TerminalEvent::InvalidReply {
                    stan: stan.clone(),
                    why,
                });
                Outcome::failed(
                    &cmd.txn,
                    &stan,
                    FailReason::InvalidReply,
                    ReversalState::None,
                )
            }
            Err(()) => {
                Outcome::failed(&cmd.txn, &stan, FailReason::NoResponse, ReversalState::None)
            }
        };
        io.report(outcome);
    }

    /// Batch upload: one 0320 per transaction, on one connection; returns how many the host
    /// acknowledged.
    async fn upload(&mut self, io: &TerminalIo, ids: &Ids<'_>, batch: &[BatchItem]) -> usize {
        let Ok(mut conn) = self.open(io, "upload").await else {
            return 0;
        };
        let mut acked = 0;
        for item in batch {
            let msg = messages::upload(ids, item);
            if send(io, &mut conn, &msg).await.is_err() {
                break;
            }
            match receive(
                io,
                &mut conn,
                Instant::now() + io.config.response_timeout.get(),
            )
            .await
            {
                Ok(rsp) if validate(&msg, &rsp).is_ok() => acked += 1,
                _ => break,
            }
        }
        acked
    }

    /// No reply in time. The correct terminal reverses; three defects do something else here.
    async fn after_timeout(
        &mut self,
        io: &TerminalIo,
        cmd: &SaleCommand,
        req: &Message,
        mut conn: Conn,
    ) -> Outcome {
        let cfg = &io.config;
        let stan = req.text(11).unwrap_or_default().to_string();
        if cfg.has(Defect::AcceptLateResponse) {
            // Keeps waiting past its own timeout and believes whatever comes.
            let late = receive(io, &mut conn, Instant::now() + cfg.response_timeout.get()).await;
            if let Ok(rsp) = late
                && let Ok(rc) = validate(req, &rsp)
            {
                self.clear_reversal(io, &stan);
                return answered(cmd, stan, rc);
            }
        }
        if cfg.has(Defect::RetrySaleSameStan) {
            // Sends the same request again, STAN and all, instead of reversing.
            drop(conn);
            if let Ok(mut again) = self.open(io, &stan).await
                && send(io, &mut again, req).await.is_ok()
                && let Ok(rsp) =
                    receive(io, &mut again, Instant::now() + cfg.response_timeout.get()).await
                && let Ok(rc) = validate(req, &rsp)
            {
                self.clear_reversal(io, &stan);
                return answered(cmd, stan, rc);
            }
            self.clear_reversal(io, &stan);
            return failed(cmd, stan, FailReason::NoResponse, ReversalState::None);
        }
        if cfg.has(Defect::NoReversalOnTimeout) {
            self.clear_reversal(io, &stan);
            return failed(cmd, stan, FailReason::NoResponse, ReversalState::None);
        }
        let mut outcome = self
            .fail(io, cmd, req, Some(conn), FailReason::NoResponse, "98")
            .await;
        if cfg.has(Defect::ReportApprovedOnTimeout) {
            // Reverses correctly, then tells the merchant the sale went through.
            outcome.result = TxnResult::Approved;
            outcome.rc = Some("00".into());
            outcome.reason = None;
            outcome.reversal = None;
            outcome.display = "approved".into();
        }
        outcome
    }

    /// The outcome is unknown: make the stored reversal due, send it, report.
    async fn fail(
        &mut self,
        io: &TerminalIo,
        cmd: &SaleCommand,
        req: &Message,
        conn: Option<Conn>,
        reason: FailReason,
        rc: &str,
    ) -> Outcome {
        let stan = req.text(11).unwrap_or_default().to_string();
        if self.pending(io).is_none_or(|r| r.stan != stan) {
            // after_send policy and the send itself failed: save it now, the host may have it.
            self.save_reversal(
                io,
                ReversalRecord {
                    stan: stan.clone(),
                    txn: cmd.txn.clone(),
                    message: messages::reversal(req, rc),
                },
            );
        }
        self.set_reversal_reason(io, &stan, rc);
        if io.config.has(Defect::WrongReversalStan) {
            self.misnumber_reversal(io, &stan);
        }
        io.note(TerminalEvent::ReversalQueued {
            stan: stan.clone(),
            reason: rc.into(),
        });
        let reversal = if self.send_pending_reversal(io, conn).await {
            ReversalState::Acknowledged
        } else if self.pending(io).is_some() {
            ReversalState::Pending
        } else {
            ReversalState::None
        };
        failed(cmd, stan, reason, reversal)
    }

    /// Sends the stored reversal, if any, until acknowledged or out of sends; the first send
    /// may reuse `conn`, the connection the original went out on. Returns true when no reversal
    /// is pending afterwards because the host acknowledged it (or there was none).
    async fn send_pending_reversal(&mut self, io: &TerminalIo, mut conn: Option<Conn>) -> bool {
        let Some(rec) = self.pending(io) else {
            return true;
        };
        let cfg = &io.config;
        let retries = if cfg.has(Defect::ReversalWithoutRetry) {
            0
        } else {
            cfg.reversal_retries
        };
        let attempts = 1 + retries;
        for attempt in 1..=attempts {
            if attempt > 1 && !cfg.has(Defect::ReversalRetriesBackToBack) {
                tokio::time::sleep(cfg.reversal_interval.get()).await;
            }
            io.note(TerminalEvent::ReversalSent {
                stan: rec.stan.clone(),
                attempt,
            });
            let why = match self.reversal_exchange(io, &rec, conn.take()).await {
                Ok(rc) => {
                    self.clear_reversal(io, &rec.stan);
                    io.note(TerminalEvent::ReversalAcked {
                        stan: rec.stan.clone(),
                        rc,
                    });
                    return true;
                }
                Err(why) => why,
            };
            io.note(TerminalEvent::ReversalUnanswered {
                stan: rec.stan.clone(),
                attempt,
                why,
            });
        }
        io.note(TerminalEvent::ReversalPending {
            stan: rec.stan.clone(),
            attempts,
        });
        if cfg.has(Defect::DropReversalAfterRetries) {
            // Gives up and forgets: the cardholder stays charged if the host had approved.
            self.clear_reversal(io, &rec.stan);
        }
        false
    }

    /// One reversal send and the wait for its 0410. A late reply to the original is recorded and
    /// ignored. Unlike NETPAY's code, which deletes the record on any response code, a 0410
    /// saying the host is busy or down (91, 96) leaves the reversal due: deleting it then
    /// leaves the cardholder charged.
    async fn reversal_exchange(
        &mut self,
        io: &TerminalIo,
        rec: &ReversalRecord,
        conn: Option<Conn>,
    ) -> Result<String, String> {
        let mut conn = match conn {
            Some(c) => c,
            None => self
                .open(io, &rec.stan)
                .await
                .map_err(|f| describe(io, f))?,
        };
        send(io, &mut conn, &rec.message)
            .await
            .map_err(|f| describe(io, f))?;
        let deadline = Instant::now() + io.config.response_timeout.get();
        loop {
            let rsp = receive(io, &mut conn, deadline)
                .await
                .map_err(|f| describe(io, f))?;
            let rsp_stan = rsp.text(11).unwrap_or_default();
            if rsp.mti().to_string() == "0410" && rsp.field(11) == rec.message.field(11) {
                let rc = rsp.text(39).unwrap_or_default().to_string();
                // 00: reversed. 25 / 12: the host has no such sale, so nothing is charged.
                // Anything else (91, 96...) means the host could not act on it now: the
                // reversal stays due, as the money may still be taken.
                return match rc.as_str() {
                    "00" | "25" | "12" => Ok(rc),
                    _ => Err(format!("host answered RC {rc}: not reversed yet")),
                };
            }
            if rsp.mti().is_request() || rsp_stan != rec.stan {
                return Err(format!(
                    "reply {} STAN {rsp_stan} does not answer the reversal",
                    rsp.mti()
                ));
            }
            io.note(TerminalEvent::LateReply {
                stan: rec.stan.clone(),
                mti: rsp.mti().to_string(),
                rc: rsp.text(39).map(str::to_string),
            });
        }
    }

    async fn open(&self, io: &TerminalIo, stan: &str) -> Result<Conn, Failure> {
        let limit = io.config.connect_timeout;
        match timeout(limit.get(), io.dialer.dial()).await {
            Ok(Ok(s)) => Ok(Framed::new(s, io.wire.codec())),
            Ok(Err(e)) => Err(connect_failed(io, stan, e.to_string())),
            Err(_) => Err(connect_failed(
                io,
                stan,
                format!("no connection within {limit}"),
            )),
        }
    }

    fn pending(&self, io: &TerminalIo) -> Option<ReversalRecord> {
        if io.config.has(Defect::ReversalNotPersisted) {
            self.volatile_reversal.clone()
        } else {
            io.store.pending_reversal()
        }
    }

    fn save_reversal(&mut self, io: &TerminalIo, rec: ReversalRecord) {
        if io.config.has(Defect::ReversalNotPersisted) {
            self.volatile_reversal = Some(rec);
        } else {
            io.store.save_reversal(rec);
        }
    }

    fn clear_reversal(&mut self, io: &TerminalIo, stan: &str) {
        if self
            .volatile_reversal
            .as_ref()
            .is_some_and(|r| r.stan == stan)
        {
            self.volatile_reversal = None;
        }
        io.store.clear_reversal(stan);
    }

    fn set_reversal_reason(&mut self, io: &TerminalIo, stan: &str, rc: &str) {
        if let Some(r) = self.volatile_reversal.as_mut().filter(|r| r.stan == stan) {
            r.message.set(39, rc);
        }
        io.store.set_reversal_reason(stan, rc);
    }

    /// The `wrong_reversal_stan` bug: the reversal goes out under a fresh STAN, in field 11 and
    /// field 90 alike, so the host cannot find the sale it should undo.
    fn misnumber_reversal(&mut self, io: &TerminalIo, stan: &str) {
        let Some(mut rec) = self.pending(io).filter(|r| r.stan == stan) else {
            return;
        };
        let wrong = io.store.next_stan();
        rec.message.set(11, &wrong);
        if let Some(f90) = rec.message.text(90).map(str::to_string) {
            rec.message
                .set(90, format!("{}{wrong}{}", &f90[..4], &f90[10..]));
        }
        self.save_reversal(io, rec);
    }
}

fn answered(cmd: &SaleCommand, stan: String, rc: String) -> Outcome {
    Outcome::answered(&cmd.txn, &stan, &rc)
}

fn failed(cmd: &SaleCommand, stan: String, reason: FailReason, reversal: ReversalState) -> Outcome {
    Outcome::failed(&cmd.txn, &stan, reason, reversal)
}

/// A connect failure is handled where the connection is opened; it cannot come from a reply.
fn unreachable_connect(cmd: &SaleCommand, stan: String) -> Outcome {
    failed(cmd, stan, FailReason::Connect, ReversalState::None)
}

fn connect_failed(io: &TerminalIo, stan: &str, error: String) -> Failure {
    io.note(TerminalEvent::ConnectFailed {
        stan: stan.to_string(),
        error: error.clone(),
    });
    Failure::Connect(error)
}

fn describe(io: &TerminalIo, f: Failure) -> String {
    match f {
        Failure::Connect(e) => format!("connect failed: {e}"),
        Failure::Timeout => format!("no reply within {}", io.config.response_timeout),
        Failure::Lost(e) => format!("connection lost: {e}"),
        Failure::Invalid(e) => format!("unreadable reply: {e}"),
    }
}

async fn send(io: &TerminalIo, conn: &mut Conn, msg: &Message) -> Result<(), Failure> {
    let body = io
        .wire
        .encode(msg)
        .map_err(|e| Failure::Invalid(format!("cannot encode request: {e}")))?;
    conn.send(body)
        .await
        .map_err(|e| Failure::Lost(e.to_string()))
}

async fn receive(io: &TerminalIo, conn: &mut Conn, deadline: Instant) -> Result<Message, Failure> {
    match timeout_at(deadline, conn.next()).await {
        Err(_) => Err(Failure::Timeout),
        Ok(None) => Err(Failure::Lost("closed by peer".into())),
        Ok(Some(Err(e))) => Err(Failure::Lost(e.to_string())),
        Ok(Some(Ok(frame))) => io
            .wire
            .decode(&frame)
            .map_err(|e| Failure::Invalid(e.to_string())),
    }
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
