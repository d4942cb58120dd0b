//! Reversals, 0400 and 0420 (reversal advice): found by the original STAN and date in field
//! 90 (ISO 8583:1987) or field 61 (UnionPay: batch, STAN, date), else by the reversal's own
//! terminal + STAN + date. Idempotent: a repeat answers 00 and moves nothing; a
//! reversal of a declined request moves nothing; one the host cannot find gets the configured
//! `unknown_reversal` answer.

use posfault_proxies::wire::Message;

use crate::host::financial::signed;
use crate::host::journal::{Decision, JournalEntry};
use crate::host::logic::Host;
use crate::money::Amount;

pub(crate) fn reversal(h: &mut Host, req: &Message) -> (Option<Message>, JournalEntry) {
    // Field 90 names the original explicitly, so it wins over the reversal's own STAN:
    // original MTI (4), STAN (6), transmission date-time MMDDhhmmss (10), ...
    let by_field_90 = req.text(90).and_then(|f90| {
        let stan = f90.get(4..10)?.to_string();
        let date = f90.get(10..14)?.to_string();
        let terminal = req.text(41).unwrap_or_default().to_string();
        h.by_key.get(&(terminal, stan, date)).copied()
    });
    // Dialects without field 90 (cup) name the original in field 61: batch number (6), STAN
    // (6), date MMDD (4).
    let by_field_61 = || {
        let f61 = req.text(61)?;
        let stan = f61.get(6..12)?.to_string();
        let date = f61.get(12..16)?.to_string();
        let terminal = req.text(41).unwrap_or_default().to_string();
        h.by_key.get(&(terminal, stan, date)).copied()
    };
    let found = by_field_90
        .or_else(by_field_61)
        .or_else(|| h.by_key.get(&Host::key(req)).copied());
    let Some(i) = found else {
        let rc = h.cfg.unknown_reversal.rc();
        let mut e = h.entry(req, Decision::ReversalUnknown, rc);
        e.reason =
            Some("no original found by terminal, STAN and date, nor by field 90 or 61".into());
        return (None, e);
    };
    let rec = &h.records[i];
    let original = rec.seq;
    if !rec.approved {
        let mut e = h.entry(req, Decision::ReversalNothing, "00");
        e.reason = Some("the original was declined; nothing to undo".into());
        e.original = Some(original);
        return (None, e);
    }
    if rec.reversed {
        let mut e = h.entry(req, Decision::ReversalRepeat, "00");
        e.reason = Some("already reversed; nothing moved again".into());
        e.original = Some(original);
        return (None, e);
    }
    let (txn, amount, account) = (rec.txn, rec.amount, rec.account.clone());
    h.records[i].reversed = true;
    let mut e = h.entry(req, Decision::Reversed, "00");
    e.delta = Some(Amount(-signed(txn, amount).0));
    e.account = account;
    e.original = Some(original);
    (None, e)
}
