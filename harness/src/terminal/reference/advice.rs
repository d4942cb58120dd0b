//! Store and forward: sales at or under the floor limit are approved offline and queued as
//! 0220 advices, which go to the host after the next online transaction and before settlement
//! (UnionPay terminals trickle-feed them the same way). An advice is never reversed: the host
//! posts it or says it already has (94), and until then it stays queued.

use super::link::*;
use super::*;

use crate::host::TxnType;
use crate::terminal::advices::AdviceRecord;

impl ReferenceTerminal {
    /// Whether this sale may be approved without the host: a purchase at or under the floor
    /// limit. Refunds and cash always go online.
    pub(super) fn offline_allowed(io: &TerminalIo, cmd: &SaleCommand) -> bool {
        io.config
            .offline_floor_limit
            .is_some_and(|limit| cmd.amount.0 <= limit.0)
            && cmd.card.txn.unwrap_or(TxnType::Purchase) == TxnType::Purchase
    }

    /// Approves the sale offline: a STAN, the advice queued, the batch updated, the merchant told.
    pub(super) fn approve_offline(&mut self, io: &TerminalIo, cmd: &SaleCommand) {
        let stan = io.store.next_stan();
        let req = Self::sale_request(io, cmd, &stan);
        io.store.advice_add(AdviceRecord {
            txn: cmd.txn.clone(),
            stan: stan.clone(),
            message: messages::advice(&req),
        });
        io.store.batch_add(BatchItem {
            stan: stan.clone(),
            date: req.text(13).unwrap_or_default().to_string(),
            amount: cmd.amount.0,
        });
        io.report(Outcome::approved_offline(&cmd.txn, &stan));
    }

    /// Sends queued advices, oldest first, on one connection (`conn`, or a new one); stops at
    /// the first that gets no answer (the link is bad: the rest wait for the next chance).
    pub(super) async fn forward_advices(&mut self, io: &TerminalIo, conn: Option<Conn>) {
        if io.config.has(Defect::AdvicesNotForwarded) {
            return;
        }
        let queued = io.store.advices();
        let Some(first) = queued.first() else {
            return;
        };
        let mut conn = match conn {
            Some(c) => c,
            None => match self.open(io, &first.stan).await {
                Ok(c) => c,
                Err(_) => return,
            },
        };
        for advice in queued {
            if send(io, &mut conn, &advice.message).await.is_err() {
                return;
            }
            let deadline = Instant::now() + io.config.response_timeout.get();
            let answer = receive(io, &mut conn, deadline).await;
            match answer.map(|rsp| validate(&advice.message, &rsp)) {
                // 00 posted; 94 the host already had it (an earlier send's answer was lost).
                Ok(Ok(rc)) if rc == "00" || rc == "94" => io.store.advice_delivered(&advice.stan),
                Ok(Ok(rc)) => {
                    io.note(TerminalEvent::AdviceRefused {
                        stan: advice.stan.clone(),
                        rc,
                    });
                    return;
                }
                Ok(Err(_)) | Err(_) => return,
            }
        }
    }
}
