//! Financial messages: 0100 authorisation and 0200 sale (checked in the order of
//! [`crate::host::checks`]), and 0220 advice (an offline approval the terminal already gave:
//! posted without the card and funds checks, once).

use std::time::Duration;

use posfault_proxies::wire::Message;

use crate::host::checks::{self, Refused};
use crate::host::config::TxnType;
use crate::host::journal::{Decision, JournalEntry};
use crate::host::logic::{Host, Record, respond};
use crate::money::Amount;

/// What every financial message goes through first: the format checks (30, 12, 13), then
/// duplicate detection by terminal + STAN + date (94, nothing moves). `duplicate` is the
/// journal reason, with `{}` for the earlier entry's number.
fn admit(
    h: &Host,
    req: &Message,
    duplicate: &str,
) -> Result<(TxnType, Amount, crate::host::logic::Key), Box<JournalEntry>> {
    let (txn, amount) = checks::format(h, req).map_err(|r| Box::new(refused(h, req, r)))?;
    let key = Host::key(req);
    if let Some(&i) = h.by_key.get(&key) {
        let mut e = h.entry(req, Decision::Declined, "94");
        e.reason = Some(duplicate.replace("{}", &h.records[i].seq.to_string()));
        return Err(Box::new(e));
    }
    Ok((txn, amount, key))
}

/// 0100 or 0200: decide, and on approval move the money.
pub(crate) fn request(
    h: &mut Host,
    req: &Message,
    now: Duration,
) -> (Option<Message>, JournalEntry) {
    let (txn, amount, key) = match admit(
        h,
        req,
        "duplicate of journal #{}: same terminal, STAN and date",
    ) {
        Ok(ok) => ok,
        Err(e) => return (None, *e),
    };
    let decided = checks::decide(h, req, txn, amount, now);
    let seq = h.next_seq();
    let (card, account, approved) = match &decided {
        Ok(p) => (Some(p.card), Some(p.account.clone()), true),
        Err(r) => (r.card, None, false),
    };
    h.by_key.insert(key.clone(), h.records.len());
    let batch = h.batch_of(&key.0);
    h.records.push(Record {
        seq,
        key,
        txn,
        account: account.clone(),
        card,
        amount,
        at: now,
        approved,
        reversed: false,
        batch,
        auth_only: req.mti().as_str() == "0100",
    });
    match decided {
        Err(r) => (None, refused(h, req, r)),
        Ok(p) => {
            let mut rsp = respond(req, req.mti().response().expect("a request"), "00");
            rsp.set(38, format!("{:06}", seq % 1_000_000)); // approval code
            rsp.set(37, format!("{seq:012}")); // retrieval reference number
            let mut e = h.entry(req, Decision::Approved, "00");
            e.delta = Some(signed(p.txn, p.amount));
            e.account = Some(p.account);
            (Some(rsp), e)
        }
    }
}

/// 0220: post an offline approval once; a repeat answers 94 and moves nothing.
pub(crate) fn advice(
    h: &mut Host,
    req: &Message,
    now: Duration,
) -> (Option<Message>, JournalEntry) {
    let (txn, amount, key) = match admit(h, req, "advice already posted as journal #{}") {
        Ok(ok) => ok,
        Err(e) => return (None, *e),
    };
    let pan = req.text(2).unwrap_or_default();
    let Some(card) = h.cfg.cards.iter().position(|c| c.pan.reveal() == pan) else {
        let mut e = h.entry(req, Decision::Declined, "14");
        e.reason = Some("advice for a card number the host does not know".into());
        return (None, e);
    };
    let account = h.cfg.cards[card].account.clone();
    let seq = h.next_seq();
    h.by_key.insert(key.clone(), h.records.len());
    let batch = h.batch_of(&key.0);
    h.records.push(Record {
        seq,
        key,
        txn,
        account: Some(account.clone()),
        card: Some(card),
        amount,
        at: now,
        approved: true,
        reversed: false,
        batch,
        auth_only: false,
    });
    let mut e = h.entry(req, Decision::Posted, "00");
    e.delta = Some(signed(txn, amount));
    e.account = Some(account);
    (None, e)
}

/// The change to the account: debits negative, refunds positive.
pub(crate) fn signed(txn: TxnType, amount: Amount) -> Amount {
    if txn.is_debit() {
        Amount(-amount.0)
    } else {
        amount
    }
}

fn refused(h: &Host, req: &Message, r: Refused) -> JournalEntry {
    let mut e = h.entry(req, Decision::Declined, r.rc);
    e.reason = Some(r.reason);
    if let Some(card) = r.card {
        let account = h.cfg.cards[card].account.clone();
        e.balance = Some(h.balance_of(&account));
        e.account = Some(account);
    }
    e
}
