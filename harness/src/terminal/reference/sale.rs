//! A sale, authorisation or refund: request, reply or its absence, and what the terminal does
//! about each. The three differ only in the request they send and in what an approval adds to
//! the batch; the reversal policy and every defect apply to all three alike.

use super::link::*;
use super::*;
use crate::terminal::messages::reversal_reason;

impl ReferenceTerminal {
    pub(super) async fn financial(&mut self, io: &TerminalIo, kind: Request, cmd: &SaleCommand) {
        let cfg = &io.config;
        if Self::offline_allowed(kind, cmd, cfg.offline_floor_limit) {
            let stan = io.store.next_stan();
            let req = Self::request(io, kind, cmd, &stan);
            let approved = Outcome::approved_offline(&cmd.txn, &stan);
            return self.approve_offline(io, cmd, &req, approved);
        }
        let cleared = self.send_pending_reversal(io, None).await;
        if !cleared && cfg.block_sales_while_reversal_pending && self.pending(io).is_some() {
            // Held back before a STAN is taken: nothing goes to the host.
            return io.report(Outcome::failed(
                &cmd.txn,
                "",
                FailReason::ReversalPending,
                ReversalState::None,
            ));
        }
        let stan = io.store.next_stan();
        let req = Self::request(io, kind, cmd, &stan);
        let record = ReversalRecord {
            stan: stan.clone(),
            txn: cmd.txn.clone(),
            message: messages::reversal(&req, reversal_reason::OTHER, io.wire.dialect),
        };
        let save_after_send = cfg.reversal_save == ReversalSave::AfterSend;
        if !save_after_send {
            self.save_reversal(io, record.clone());
        }
        let mut conn = match self.open(io, &stan).await {
            Ok(c) => c,
            Err(_) => {
                // Nothing reached the host: nothing to reverse, and the STAN never went out,
                // so an approval made now may carry it in its advice.
                self.clear_reversal(io, &stan);
                if Self::offline_allowed(kind, cmd, cfg.unable_to_go_online_limit) {
                    let approved = Outcome::approved_unable_online(&cmd.txn, &stan);
                    return self.approve_offline(io, cmd, &req, approved);
                }
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
        // The connection stays with us only when the host answered; a bad link is not reused.
        let (outcome, answered_on) = match reply {
            Ok(rsp) => match validate(&req, &rsp) {
                Ok(rc) if rc == "00" && cmd.card.declines_after_approval => {
                    io.note(TerminalEvent::NotCompleted {
                        stan: stan.clone(),
                        why: "the card declined after the host approved (second GENERATE AC: AAC)"
                            .into(),
                    });
                    let o = self
                        .fail(
                            io,
                            cmd,
                            &req,
                            Some(conn),
                            FailReason::NotCompleted,
                            reversal_reason::NOT_COMPLETED,
                        )
                        .await;
                    (o, None)
                }
                Ok(rc) => {
                    self.clear_reversal(io, &stan);
                    // An authorisation only holds funds: the host leaves it out of its
                    // totals, so the batch does too.
                    if rc == "00" && kind != Request::Auth {
                        io.store.batch_add(BatchItem {
                            stan: stan.clone(),
                            date: req.text(13).unwrap_or_default().to_string(),
                            amount: cmd.amount.0,
                            credit: kind == Request::Refund,
                        });
                    }
                    (answered(cmd, stan, rc), Some(conn))
                }
                Err(why) => {
                    io.note(TerminalEvent::InvalidReply {
                        stan: stan.clone(),
                        why,
                    });
                    let o = self
                        .fail(
                            io,
                            cmd,
                            &req,
                            Some(conn),
                            FailReason::InvalidReply,
                            reversal_reason::INVALID_REPLY,
                        )
                        .await;
                    (o, None)
                }
            },
            Err(Failure::Timeout) => {
                io.note(TerminalEvent::Timeout {
                    stan: stan.clone(),
                    after: cfg.response_timeout,
                });
                (self.after_timeout(io, cmd, &req, conn).await, None)
            }
            Err(Failure::Lost(error)) => {
                io.note(TerminalEvent::ConnectionLost {
                    stan: stan.clone(),
                    error,
                });
                let o = self
                    .fail(
                        io,
                        cmd,
                        &req,
                        None,
                        FailReason::NoResponse,
                        reversal_reason::NO_REPLY,
                    )
                    .await;
                (o, None)
            }
            Err(Failure::Invalid(why)) => {
                io.note(TerminalEvent::InvalidReply {
                    stan: stan.clone(),
                    why,
                });
                let o = self
                    .fail(
                        io,
                        cmd,
                        &req,
                        None,
                        FailReason::InvalidReply,
                        reversal_reason::INVALID_REPLY,
                    )
                    .await;
                (o, None)
            }
            Err(Failure::Connect(_)) => (unreachable_connect(cmd, stan), None),
        };
        io.report(outcome);
        // The host answered: the moment to deliver queued advices, on the same connection.
        if let Some(conn) = answered_on {
            self.forward_advices(io, Some(conn)).await;
        }
    }

    /// The request of `kind` (0100 or 0200) for `cmd` under `stan`, stamped now.
    pub(super) fn request(
        io: &TerminalIo,
        kind: Request,
        cmd: &SaleCommand,
        stan: &str,
    ) -> Message {
        let ids = Ids {
            terminal: &io.config.id,
            merchant: &io.config.merchant,
        };
        let stamp = Stamp::at(io.now());
        messages::financial(kind, &ids, stan, &cmd.pan, &cmd.card, cmd.amount, &stamp)
    }

    /// No reply in time. The correct terminal reverses; three defects do something else here.
    pub(super) async fn after_timeout(
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
            .fail(
                io,
                cmd,
                req,
                Some(conn),
                FailReason::NoResponse,
                reversal_reason::NO_REPLY,
            )
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
    pub(super) async fn fail(
        &mut self,
        io: &TerminalIo,
        cmd: &SaleCommand,
        req: &Message,
        conn: Option<Conn>,
        reason: FailReason,
        rc: &str,
    ) -> Outcome {
        let stan = req.text(11).unwrap_or_default().to_string();
        if self.reversal_for(io, &stan).is_none() {
            // after_send policy and the send itself failed: save it now, the host may have it.
            self.save_reversal(
                io,
                ReversalRecord {
                    stan: stan.clone(),
                    txn: cmd.txn.clone(),
                    message: messages::reversal(req, rc, io.wire.dialect),
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
        // Older reversals go first; this one is acknowledged once its record is gone, unless a
        // defect dropped it unacknowledged.
        let cleared = self.send_pending_reversal(io, conn).await;
        let reversal = if self.reversal_for(io, &stan).is_some() {
            ReversalState::Pending
        } else if cleared {
            ReversalState::Acknowledged
        } else {
            ReversalState::None
        };
        failed(cmd, stan, reason, reversal)
    }
}

pub(super) fn answered(cmd: &SaleCommand, stan: String, rc: String) -> Outcome {
    Outcome::answered(&cmd.txn, &stan, &rc)
}

pub(super) fn failed(
    cmd: &SaleCommand,
    stan: String,
    reason: FailReason,
    reversal: ReversalState,
) -> Outcome {
    Outcome::failed(&cmd.txn, &stan, reason, reversal)
}

/// A connect failure is handled where the connection is opened; it cannot come from a reply.
pub(super) fn unreachable_connect(cmd: &SaleCommand, stan: String) -> Outcome {
    failed(cmd, stan, FailReason::Connect, ReversalState::None)
}
