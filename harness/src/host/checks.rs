//! The checks a financial request (0100, 0200) passes, in the order a real acquirer makes
//! them, the first failure deciding the response code:
//!
//! | step | check                                            | codes              |
//! |------|--------------------------------------------------|--------------------|
//! | 1    | format: required fields, processing code, amount | 30, 12, 13         |
//! | 2    | duplicate terminal + STAN + date                 | 94                 |
//! | 3    | merchant, terminal, keys, terminal's services    | 03, 97, 58         |
//! | 4    | card number: Luhn, known                         | 14                 |
//! | 5    | card status and expiry                           | 41, 43, 62, 05, 54 |
//! | 6    | PIN, and the lock after too many wrong tries     | 55, 75             |
//! | 7    | transaction type allowed to the card             | 57                 |
//! | 8    | single and daily limits of the account           | 61, 65             |
//! | 9    | funds, including the credit limit                | 51                 |
//! | 10   | risk rules                                       | 59                 |
//!
//! Steps 8 to 10 apply to debits only. A request that passes them all is approved (00).

use std::time::Duration;

use posfault_proxies::wire::Message;

use crate::host::calendar;
use crate::host::config::{CardStatus, MerchantStatus, TxnType};
use crate::host::logic::Host;
use crate::host::pan::luhn_ok;
use crate::host::pin;
use crate::money::Amount;

/// A request that passed every check.
pub(crate) struct Passed {
    pub txn: TxnType,
    pub amount: Amount,
    pub card: usize,
    pub account: String,
}

/// A request that failed a check: its code, why in words, and the card if it was found
/// (declines after the card step show the account's balance in the journal).
pub(crate) struct Refused {
    pub rc: &'static str,
    pub reason: String,
    pub card: Option<usize>,
}

fn refuse(rc: &'static str, reason: impl Into<String>) -> Refused {
    Refused {
        rc,
        reason: reason.into(),
        card: None,
    }
}

/// Step 1: the request is well formed, of a supported type, for a valid amount.
pub(crate) fn format(h: &Host, req: &Message) -> Result<(TxnType, Amount), Refused> {
    for (n, name) in [
        (2, "card number"),
        (3, "processing code"),
        (4, "amount"),
        (11, "STAN"),
        (41, "terminal id"),
    ] {
        if !req.has(n) {
            return Err(refuse(
                "30",
                format!("field {n} ({name}) is missing; a {} needs it", req.mti()),
            ));
        }
    }
    let amount = req
        .text(4)
        .and_then(Amount::from_field4)
        .ok_or_else(|| refuse("30", "field 4 (amount) is not 12 digits"))?;
    if req.has(14) && !req.text(14).is_some_and(calendar::valid_expiry) {
        return Err(refuse("30", "field 14 (expiry) is not a YYMM date"));
    }
    let code = req.text(3).unwrap_or_default();
    let txn = TxnType::from_processing_code(code).ok_or_else(|| {
        refuse(
            "12",
            format!("processing code {code} is not supported; expected 00xxxx, 01xxxx or 20xxxx"),
        )
    })?;
    if amount.0 == 0 {
        return Err(refuse("13", "amount is zero"));
    }
    if let Some(max) = h.cfg.max_amount
        && amount > max
    {
        return Err(refuse(
            "13",
            format!("amount {amount} is above the host's maximum {max}"),
        ));
    }
    Ok((txn, amount))
}

/// Steps 3 to 10.
pub(crate) fn decide(
    h: &mut Host,
    req: &Message,
    txn: TxnType,
    amount: Amount,
    now: Duration,
) -> Result<Passed, Refused> {
    merchant(h, req, txn)?;
    let card = card(h, req)?;
    let with_card = |mut r: Refused| {
        r.card = Some(card);
        r
    };
    status(h, req, card, now).map_err(with_card)?;
    pin_check(h, req, card).map_err(with_card)?;
    let cfg = &h.cfg.cards[card];
    if let Some(types) = &cfg.transaction_types
        && !types.contains(&txn)
    {
        return Err(with_card(refuse(
            "57",
            format!("the card does not allow {} transactions", txn.name()),
        )));
    }
    let account = cfg.account.clone();
    if txn.is_debit() {
        limits(h, &account, amount, now).map_err(with_card)?;
        let acct = h.cfg.accounts.iter().find(|a| a.id == account);
        let credit = acct.map(|a| a.credit_limit).unwrap_or_default();
        let balance = h.balance_of(&account);
        if balance.0 + credit.0 < amount.0 {
            return Err(with_card(refuse(
                "51",
                format!(
                    "available {} is less than {amount}",
                    Amount(balance.0 + credit.0)
                ),
            )));
        }
        risk(h, card, amount, now).map_err(with_card)?;
    }
    Ok(Passed {
        txn,
        amount,
        card,
        account,
    })
}

fn merchant(h: &Host, req: &Message, txn: TxnType) -> Result<(), Refused> {
    if h.cfg.merchants.is_empty() {
        return Ok(());
    }
    let mid = req.text(42).unwrap_or_default();
    let tid = req.text(41).unwrap_or_default();
    let Some(m) = h.cfg.merchants.iter().find(|m| m.id == mid) else {
        return Err(refuse("03", format!("merchant {mid:?} is not registered")));
    };
    if m.status != MerchantStatus::Active {
        return Err(refuse("03", format!("merchant {mid:?} is {:?}", m.status)));
    }
    let Some(t) = m.terminals.iter().find(|t| t.id == tid) else {
        return Err(refuse(
            "03",
            format!("terminal {tid:?} is not registered to merchant {mid:?}"),
        ));
    };
    if !t.keys_in_step && !h.signed_on.contains(tid) {
        return Err(refuse(
            "97",
            format!("terminal {tid:?} keys are out of step; it must sign on (0800 code 001)"),
        ));
    }
    if let Some(types) = &t.transaction_types
        && !types.contains(&txn)
    {
        return Err(refuse(
            "58",
            format!(
                "terminal {tid:?} is not enabled for {} transactions",
                txn.name()
            ),
        ));
    }
    Ok(())
}

fn card(h: &Host, req: &Message) -> Result<usize, Refused> {
    let pan = req.text(2).unwrap_or_default();
    if !luhn_ok(pan) {
        return Err(refuse("14", "card number fails the Luhn check"));
    }
    h.cfg
        .cards
        .iter()
        .position(|c| c.pan.reveal() == pan)
        .ok_or_else(|| refuse("14", "card number is not known to the host"))
}

fn status(h: &Host, req: &Message, card: usize, now: Duration) -> Result<(), Refused> {
    match h.cfg.cards[card].status {
        CardStatus::Active => {}
        CardStatus::Lost => return Err(refuse("41", "card reported lost")),
        CardStatus::Stolen => return Err(refuse("43", "card reported stolen")),
        CardStatus::Restricted => return Err(refuse("62", "card restricted by the issuer")),
        CardStatus::Frozen => return Err(refuse("05", "card frozen: do not honour")),
    }
    // Both YYMM: string order is date order. The expiry itself is never written out.
    if let Some(expiry) = req.text(14)
        && expiry < calendar::yymm(now).as_str()
    {
        return Err(refuse("54", "card expired before the transaction's month"));
    }
    Ok(())
}

fn pin_check(h: &mut Host, req: &Message, card: usize) -> Result<(), Refused> {
    let Some(want) = h.cfg.cards[card].pin.clone() else {
        return Ok(());
    };
    let max = h.cfg.max_pin_tries;
    let tries = h.pin_tries.get(&card).copied().unwrap_or(0);
    if tries >= max {
        return Err(refuse(
            "75",
            format!("PIN locked after {tries} wrong tries"),
        ));
    }
    let pan = req.text(2).unwrap_or_default();
    let Some(block) = req.field(52) else {
        return Err(refuse(
            "55",
            "no PIN block (field 52) for a card that needs a PIN",
        ));
    };
    if pin::decode(block, pan).as_deref() == Some(want.as_str()) {
        h.pin_tries.remove(&card);
        return Ok(());
    }
    let tries = tries + 1;
    h.pin_tries.insert(card, tries);
    if tries >= max {
        Err(refuse(
            "75",
            format!("wrong PIN, try {tries} of {max}: PIN now locked"),
        ))
    } else {
        Err(refuse("55", format!("wrong PIN, try {tries} of {max}")))
    }
}

fn limits(h: &Host, account: &str, amount: Amount, now: Duration) -> Result<(), Refused> {
    let Some(limits) = h
        .cfg
        .accounts
        .iter()
        .find(|a| a.id == account)
        .map(|a| &a.limits)
    else {
        return Ok(());
    };
    if let Some(max) = limits.per_transaction
        && amount > max
    {
        return Err(refuse(
            "61",
            format!("{amount} is above the single-transaction limit {max}"),
        ));
    }
    let today = calendar::day(now);
    let (count, total) = h
        .records
        .iter()
        .filter(|r| {
            r.approved
                && !r.reversed
                && r.txn.is_debit()
                && r.account.as_deref() == Some(account)
                && calendar::day(r.at) == today
        })
        .fold((0u32, 0i64), |(n, sum), r| (n + 1, sum + r.amount.0));
    if let Some(max) = limits.daily_amount
        && total + amount.0 > max.0
    {
        return Err(refuse(
            "61",
            format!(
                "{amount} on top of {} today is above the daily limit {max}",
                Amount(total)
            ),
        ));
    }
    if let Some(max) = limits.daily_count
        && count >= max
    {
        return Err(refuse(
            "65",
            format!("{count} debit(s) today already reach the daily count limit {max}"),
        ));
    }
    Ok(())
}

fn risk(h: &Host, card: usize, amount: Amount, now: Duration) -> Result<(), Refused> {
    let debits: Vec<Duration> = h
        .records
        .iter()
        .filter(|r| r.approved && r.txn.is_debit() && r.card == Some(card))
        .map(|r| r.at)
        .collect();
    match h.cfg.risk.iter().find(|r| r.fires(amount, now, &debits)) {
        Some(rule) => Err(refuse("59", format!("risk rule {:?} fired", rule.name()))),
        None => Ok(()),
    }
}
