//! Store and forward: sales at or under the floor limit are approved offline and queued as
//! 0220 advices, which go to the host after the next online transaction and before settlement
//! (UnionPay terminals trickle-feed them the same way). An advice is never reversed: the host
//! posts it or says it already has (94), and until then it stays queued, unless the host
//! refuses it for good.

use super::link::*;
use super::*;

use crate::declines;
use crate::host::{EntryMode, TxnType};
use crate::terminal::advices::AdviceRecord;

impl ReferenceTerminal {
    /// Whether this request may be approved without the host: a chip or contactless purchase
    /// below the floor limit (EMV: at or above it goes online) with no online PIN, which only
    /// the issuer can verify. Cash, refunds, authorisations, swiped and keyed cards always go
    /// online.
    /// `limit` is the floor limit that applies: `offline_floor_limit` before going online,
    /// `unable_to_go_online_limit` once no host could be reached.
    pub(super) fn offline_allowed(
        kind: Request,
        cmd: &SaleCommand,
        limit: Option<crate::money::Amount>,
    ) -> bool {
        kind == Request::Sale
            && limit.is_some_and(|limit| cmd.amount.0 < limit.0)
            && cmd.card.txn.unwrap_or(TxnType::Purchase) == TxnType::Purchase
            && cmd.card.pin.is_none()
            && matches!(cmd.card.entry, EntryMode::Chip | EntryMode::Contactless)
    }

    /// Approves the sale `req` (never sent) offline: the advice queued under its STAN, the
    /// batch updated, the merchant told with `outcome`.
    pub(super) fn approve_offline(
        &mut self,
        io: &TerminalIo,
        cmd: &SaleCommand,
        req: &Message,
        outcome: Outcome,
    ) {
        let stan = outcome.stan.clone();
        io.store.advice_add(AdviceRecord {
            txn: cmd.txn.clone(),
            stan: stan.clone(),
            message: messages::advice(req),
        });
        io.store.batch_add(BatchItem {
            stan,
            date: req.text(13).unwrap_or_default().to_string(),
            amount: cmd.amount.0,
            credit: false,
        });
        io.report(outcome);
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
                // A system cause (91, 96: issuer down or busy) says "try later": the advice
                // stays queued and the rest wait behind it. Any other code is the host's last
                // word: kept, it would hold settlement back for ever, so it leaves the queue
                // and the batch (the host's totals leave it out too), and the merchant is owed
                // that sale's money outside the system.
                Ok(Ok(rc)) => {
                    let kept = declines::try_later(&rc);
                    io.note(TerminalEvent::AdviceRefused {
                        stan: advice.stan.clone(),
                        rc,
                        kept,
                    });
                    if kept {
                        return;
                    }
                    io.store.advice_delivered(&advice.stan);
                    io.store.batch_remove(&advice.stan);
                }
                Ok(Err(_)) | Err(_) => return,
            }
        }
    }
}
