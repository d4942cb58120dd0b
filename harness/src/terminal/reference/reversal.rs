//! The reversal record: where it is kept, and sending it until the host acknowledges it.

use super::link::*;
use super::*;

impl ReferenceTerminal {
    /// Sends the stored reversals, oldest first, each until acknowledged or out of sends; the
    /// first send may reuse `conn`, the connection the newest original went out on. Stops at
    /// the first that stays unacknowledged (the link is bad; the rest keep their turn). Returns
    /// true when none is pending afterwards because the host acknowledged them (or there were
    /// none).
    pub(super) async fn send_pending_reversal(
        &mut self,
        io: &TerminalIo,
        mut conn: Option<Conn>,
    ) -> bool {
        while let Some(rec) = self.pending(io) {
            if !self.send_reversal(io, &rec, conn.take()).await {
                return false;
            }
        }
        true
    }

    /// One reversal, sent until acknowledged or out of sends.
    async fn send_reversal(
        &mut self,
        io: &TerminalIo,
        rec: &ReversalRecord,
        mut conn: Option<Conn>,
    ) -> bool {
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
            let why = match self.reversal_exchange(io, rec, conn.take()).await {
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
    pub(super) async fn reversal_exchange(
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

    /// Every reversal owed, oldest first (in RAM only under `reversal_not_persisted`).
    fn reversals(&self, io: &TerminalIo) -> Vec<ReversalRecord> {
        if io.config.has(Defect::ReversalNotPersisted) {
            self.volatile_reversals.clone()
        } else {
            io.store.pending_reversals()
        }
    }

    /// The oldest reversal owed: the next to send.
    pub(super) fn pending(&self, io: &TerminalIo) -> Option<ReversalRecord> {
        self.reversals(io).into_iter().next()
    }

    /// The reversal owed for `stan`, if any.
    pub(super) fn reversal_for(&self, io: &TerminalIo, stan: &str) -> Option<ReversalRecord> {
        self.reversals(io).into_iter().find(|r| r.stan == stan)
    }

    pub(super) fn save_reversal(&mut self, io: &TerminalIo, rec: ReversalRecord) {
        if io.config.has(Defect::ReversalNotPersisted) {
            match self
                .volatile_reversals
                .iter_mut()
                .find(|r| r.stan == rec.stan)
            {
                Some(r) => *r = rec,
                None => self.volatile_reversals.push(rec),
            }
        } else {
            io.store.save_reversal(rec);
        }
    }

    pub(super) fn clear_reversal(&mut self, io: &TerminalIo, stan: &str) {
        self.volatile_reversals.retain(|r| r.stan != stan);
        io.store.clear_reversal(stan);
    }

    pub(super) fn set_reversal_reason(&mut self, io: &TerminalIo, stan: &str, rc: &str) {
        if let Some(r) = self.volatile_reversals.iter_mut().find(|r| r.stan == stan) {
            r.message.set(39, rc);
        }
        io.store.set_reversal_reason(stan, rc);
    }

    /// The `wrong_reversal_stan` bug: the reversal goes out under a fresh STAN, in field 11 and
    /// field 90 alike, so the host cannot find the sale it should undo.
    pub(super) fn misnumber_reversal(&mut self, io: &TerminalIo, stan: &str) {
        let Some(mut rec) = self.reversal_for(io, stan) else {
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
