//! The reversal record: where it is kept, and sending it until the host acknowledges it.

use super::link::*;
use super::*;

impl ReferenceTerminal {
    /// Sends the stored reversal, if any, until acknowledged or out of sends; the first send
    /// may reuse `conn`, the connection the original went out on. Returns true when no reversal
    /// is pending afterwards because the host acknowledged it (or there was none).
    pub(super) async fn send_pending_reversal(
        &mut self,
        io: &TerminalIo,
        mut conn: Option<Conn>,
    ) -> bool {
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

    pub(super) fn pending(&self, io: &TerminalIo) -> Option<ReversalRecord> {
        if io.config.has(Defect::ReversalNotPersisted) {
            self.volatile_reversal.clone()
        } else {
            io.store.pending_reversal()
        }
    }

    pub(super) fn save_reversal(&mut self, io: &TerminalIo, rec: ReversalRecord) {
        if io.config.has(Defect::ReversalNotPersisted) {
            self.volatile_reversal = Some(rec);
        } else {
            io.store.save_reversal(rec);
        }
    }

    pub(super) fn clear_reversal(&mut self, io: &TerminalIo, stan: &str) {
        if self
            .volatile_reversal
            .as_ref()
            .is_some_and(|r| r.stan == stan)
        {
            self.volatile_reversal = None;
        }
        io.store.clear_reversal(stan);
    }

    pub(super) fn set_reversal_reason(&mut self, io: &TerminalIo, stan: &str, rc: &str) {
        if let Some(r) = self.volatile_reversal.as_mut().filter(|r| r.stan == stan) {
            r.message.set(39, rc);
        }
        io.store.set_reversal_reason(stan, rc);
    }

    /// The `wrong_reversal_stan` bug: the reversal goes out under a fresh STAN, in field 11 and
    /// field 90 alike, so the host cannot find the sale it should undo.
    pub(super) fn misnumber_reversal(&mut self, io: &TerminalIo, stan: &str) {
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
