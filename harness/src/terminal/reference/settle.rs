//! Settlement and batch upload.

use super::link::*;
use super::*;

impl ReferenceTerminal {
    /// Settlement: any pending reversal first (it changes the totals), then 0500 with the
    /// batch's totals. 00 closes the batch; 95 (totals differ) uploads every transaction
    /// (0320) and closes it, as field terminals do; the merchant is told either way.
    pub(super) async fn settle(&mut self, io: &TerminalIo, cmd: &SettleCommand) {
        self.send_pending_reversal(io, None).await;
        // Advices first: the host's totals include only what it has posted, so totals sent
        // with an advice still queued could not agree. Held back, like field terminals do.
        self.forward_advices(io, None).await;
        if !io.store.advices().is_empty() && !io.config.has(Defect::AdvicesNotForwarded) {
            return io.report(Outcome::failed(
                &cmd.txn,
                "",
                FailReason::AdvicesPending,
                ReversalState::None,
            ));
        }
        let batch = io.store.batch();
        let stan = io.store.next_stan();
        let ids = Ids {
            terminal: &io.config.id,
            merchant: &io.config.merchant,
        };
        let totals = messages::batch_totals(&batch);
        let req = messages::settlement(&ids, &stan, &totals, &Stamp::at(io.now()));
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
                    "settled: {}, {}",
                    count(totals.debits.count, "sale"),
                    totals.debits.amount
                );
                if totals.credits.count > 0 {
                    o.display += &format!(
                        "; {}, {}",
                        count(totals.credits.count, "refund"),
                        totals.credits.amount
                    );
                }
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
    pub(super) async fn upload(
        &mut self,
        io: &TerminalIo,
        ids: &Ids<'_>,
        batch: &[BatchItem],
    ) -> usize {
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
}

/// "1 sale", "2 sales": the merchant reads this display.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
