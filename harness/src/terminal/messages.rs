//! Building the terminal's requests: sale (0200) and its reversal (0400).

use std::time::{Duration, UNIX_EPOCH};

use posfault_proxies::wire::{Dialect, Message, Mti};

use crate::host::{EntryMode, Pan, TxnType, pin};
use crate::money::Amount;

/// The calendar time at run time zero: 2026-01-15 08:00:00 UTC. Fixed, so dates in messages
/// depend only on simulated time, never on the wall clock.
pub const RUN_EPOCH_UNIX: u64 = 1_768_464_000;

/// Date and time fields for a moment `since_start` into the run.
pub struct Stamp {
    /// Field 7, MMDDhhmmss.
    pub transmission: String,
    /// Field 12, hhmmss.
    pub time: String,
    /// Field 13, MMDD.
    pub date: String,
}

impl Stamp {
    /// The stamp for a moment of the run.
    pub fn at(since_start: Duration) -> Stamp {
        let t = UNIX_EPOCH + Duration::from_secs(RUN_EPOCH_UNIX) + since_start;
        // "YYYY-MM-DDThh:mm:ssZ"
        let s = humantime::format_rfc3339_seconds(t).to_string();
        let (mm, dd, hh, mi, ss) = (&s[5..7], &s[8..10], &s[11..13], &s[14..16], &s[17..19]);
        Stamp {
            transmission: format!("{mm}{dd}{hh}{mi}{ss}"),
            time: format!("{hh}{mi}{ss}"),
            date: format!("{mm}{dd}"),
        }
    }
}

/// The identity fields every request carries.
pub struct Ids<'a> {
    /// Field 41.
    pub terminal: &'a str,
    /// Field 42.
    pub merchant: &'a str,
}

/// What the terminal reads from the card and the cardholder, besides the PAN.
#[derive(Debug, Clone, Default)]
pub struct CardData {
    /// Transaction type: sets the processing code.
    pub txn: Option<TxnType>,
    /// Expiry `YYMM` as read from the card (field 14), if the card gives one.
    pub expiry: Option<String>,
    /// How the card was read (field 22).
    pub entry: EntryMode,
    /// The PIN the cardholder entered; sent as an ISO format 0 block (field 52).
    pub pin: Option<String>,
    /// The chip will refuse to complete after an online approval (EMV second GENERATE AC
    /// answers AAC): the terminal must reverse what the host approved.
    pub declines_after_approval: bool,
}

/// A sale request.
pub fn sale(
    ids: &Ids<'_>,
    stan: &str,
    pan: &Pan,
    card: &CardData,
    amount: Amount,
    stamp: &Stamp,
) -> Message {
    let txn = card.txn.unwrap_or(TxnType::Purchase);
    let mut m = Message::with_capacity(mti("0200"), 12, 112);
    m.set(2, pan.reveal()) // PAN
        .set(3, txn.processing_code()) // processing code
        .set(4, amount.to_field4().unwrap_or_default()) // amount
        .set(7, &stamp.transmission) // transmission date and time
        .set(11, stan) // STAN
        .set(12, &stamp.time) // local time
        .set(13, &stamp.date) // local date
        .set(22, card.entry.code()) // POS entry mode
        .set(41, ids.terminal) // terminal id
        .set(42, ids.merchant); // merchant id
    if let Some(expiry) = &card.expiry {
        m.set(14, expiry); // expiry date
    }
    if let Some(block) = card
        .pin
        .as_deref()
        .and_then(|p| pin::encode(p, pan.reveal()))
    {
        m.set(52, block); // PIN block
    }
    m
}

/// The reversal of `original`: a copy with MTI 0400 and the same STAN, the reason in field 39,
/// and the original's data elements where the dialect keeps them: field 90 (original MTI, STAN,
/// transmission date-time, acquirer and forwarding ids) in ISO 8583:1987 dialects; field 61
/// (original batch number, STAN and date, UnionPay style) in dialects without field 90.
pub fn reversal(original: &Message, reason: &str, dialect: &Dialect) -> Message {
    let mut m = original.clone();
    m.set_mti(mti("0400"));
    m.set(39, reason);
    let orig_stan = original.text(11).unwrap_or("000000");
    if dialect.data_field(90).is_some() {
        let orig_time = original.text(7).unwrap_or("0000000000");
        m.set(
            90,
            format!(
                "{}{orig_stan:0>6}{orig_time:0>10}{:011}{:011}",
                original.mti(),
                0,
                0
            ),
        );
    } else {
        let orig_date = original.text(13).unwrap_or("0000");
        m.set(61, format!("{BATCH_NUMBER}{orig_stan:0>6}{orig_date:0>4}"));
    }
    // Track data and PIN block never go into a reversal.
    m.remove(35);
    m.remove(52);
    m
}

/// The batch number field 61 names: this terminal keeps one open batch and does not number
/// them, so every reversal names batch 000001.
const BATCH_NUMBER: &str = "000001";

/// The advice (0220) of a sale the terminal approved offline: the sale's data elements under
/// MTI 0220, without the PIN block (an advice is never authorised, only posted).
pub fn advice(sale: &Message) -> Message {
    let mut m = sale.clone();
    m.set_mti(mti("0220"));
    m.remove(35);
    m.remove(52);
    m
}

/// Why a reversal is sent (its field 39), as UnionPay and most acquirers read it.
pub mod reversal_reason {
    /// No reply in time, or the connection was lost after the request went out.
    pub const NO_REPLY: &str = "98";
    /// A reply came but failed validation (MTI, STAN, terminal, amount) or could not be read.
    pub const INVALID_REPLY: &str = "A0";
    /// Anything else. The record is saved with this before the request is sent, so a terminal
    /// that loses power mid-transaction says, after the reboot, that it does not know why.
    pub const OTHER: &str = "06";
    /// The host approved but the terminal could not finish (the chip declined afterwards).
    pub const NOT_COMPLETED: &str = "96";
}

/// Network management codes (field 70).
pub mod management {
    /// Sign-on: the host answers the open batch number and brings the keys in step.
    pub const SIGN_ON: &str = "001";
    /// Echo test: is the link alive?
    pub const ECHO: &str = "301";
}

/// A network management request (0800) with `code` (see [`management`]): in field 70 where the
/// dialect has it, else (UnionPay) as the last three digits of field 60 after the message type
/// code `00` and the batch number.
pub fn network_management(
    ids: &Ids<'_>,
    stan: &str,
    code: &str,
    stamp: &Stamp,
    dialect: &Dialect,
) -> Message {
    let mut m = Message::with_capacity(mti("0800"), 6, 48);
    m.set(7, &stamp.transmission) // transmission date and time
        .set(11, stan) // STAN
        .set(41, ids.terminal) // terminal id
        .set(42, ids.merchant); // merchant id
    if dialect.data_field(70).is_some() {
        m.set(70, code); // network management information code
    } else {
        m.set(60, format!("00{BATCH_NUMBER}{code}")); // 60.1 type, 60.2 batch, 60.3 code
    }
    m
}

/// A settlement request (0500) with the batch totals (ISO 8583:1987 fields 74/76 counts and
/// 86/88 amounts; this terminal only sells, so credits are zero).
pub fn settlement(ids: &Ids<'_>, stan: &str, debits: u64, amount: i64, stamp: &Stamp) -> Message {
    let mut m = Message::with_capacity(mti("0500"), 10, 96);
    m.set(3, "920000") // processing code: settlement
        .set(7, &stamp.transmission) // transmission date and time
        .set(11, stan) // STAN
        .set(12, &stamp.time) // local time
        .set(13, &stamp.date) // local date
        .set(41, ids.terminal) // terminal id
        .set(42, ids.merchant) // merchant id
        .set(74, format!("{:010}", 0)) // credits, number
        .set(76, format!("{debits:010}")) // debits, number
        .set(86, format!("{:016}", 0)) // credits, amount
        .set(88, format!("{amount:016}")); // debits, amount
    m
}

/// One batch upload message (0320) for a sale of the batch, identified by its own STAN and
/// date so the host can match it.
pub fn upload(ids: &Ids<'_>, item: &crate::terminal::store::BatchItem) -> Message {
    let mut m = Message::with_capacity(mti("0320"), 8, 64);
    m.set(3, "000000") // processing code: purchase
        .set(4, format!("{:012}", item.amount.max(0))) // amount
        .set(11, &item.stan) // STAN of the sale
        .set(13, &item.date) // its local date
        .set(41, ids.terminal) // terminal id
        .set(42, ids.merchant); // merchant id
    m
}

fn mti(s: &str) -> Mti {
    s.parse().expect("constant MTI")
}

#[cfg(test)]
mod tests {
    use super::*;
    use posfault_proxies::wire::{CUP, ISO87};

    #[test]
    fn stamp_is_derived_from_run_time_only() {
        let s = Stamp::at(Duration::from_secs(3661));
        assert_eq!(
            (s.transmission.as_str(), s.time.as_str(), s.date.as_str()),
            ("0115090101", "090101", "0115")
        );
    }

    #[test]
    fn reversal_carries_original_data_elements() {
        let ids = Ids {
            terminal: "TERM0001",
            merchant: "MERCHANT0000001",
        };
        let pan = Pan::new("4761739001010010").unwrap();
        let card = CardData {
            pin: Some("1234".into()),
            ..CardData::default()
        };
        let sale = sale(
            &ids,
            "000042",
            &pan,
            &card,
            Amount(1234),
            &Stamp::at(Duration::ZERO),
        );
        assert!(sale.has(52), "the sale carries the PIN block");
        let rev = reversal(&sale, "98", &posfault_proxies::wire::ISO87);
        assert_eq!(rev.mti().to_string(), "0400");
        assert_eq!(rev.text(11), Some("000042"));
        assert_eq!(rev.text(39), Some("98"));
        let f90 = rev.text(90).unwrap();
        assert_eq!(f90.len(), 42);
        assert!(f90.starts_with("02000000420115080000"), "{f90}");
        assert!(!rev.has(52), "the reversal drops the PIN block");
    }

    #[test]
    fn a_reversal_without_field_90_names_the_original_in_field_61() {
        let ids = Ids {
            terminal: "TERM0001",
            merchant: "MERCHANT0000001",
        };
        let pan = Pan::new("4761739001010010").unwrap();
        let sale = sale(
            &ids,
            "000042",
            &pan,
            &CardData::default(),
            Amount(1234),
            &Stamp::at(Duration::ZERO),
        );
        let mut rev = reversal(&sale, "98", &posfault_proxies::wire::CUP);
        assert!(!rev.has(90));
        let tpdu = posfault_proxies::wire::Envelope::from_bytes(&[0x60, 0, 3, 0, 0]).unwrap();
        rev.set_envelope(Some(tpdu));
        assert_eq!(rev.text(61), Some("0000010000420115"));
        let bytes = posfault_proxies::wire::encode(&posfault_proxies::wire::CUP, &rev);
        assert!(bytes.is_ok(), "{bytes:?}");
    }

    #[test]
    fn network_management_code_goes_in_field_70_or_unionpay_field_60() {
        let ids = Ids {
            terminal: "TERM0001",
            merchant: "MERCHANT0000001",
        };
        let stamp = Stamp::at(Duration::ZERO);
        let iso = network_management(&ids, "000007", management::ECHO, &stamp, &ISO87);
        assert_eq!((iso.text(70), iso.has(60)), (Some("301"), false));
        let cup = network_management(&ids, "000007", management::SIGN_ON, &stamp, &CUP);
        assert_eq!((cup.text(60), cup.has(70)), (Some("00000001001"), false));
    }

    #[test]
    fn sale_carries_expiry_entry_mode_pin_block_and_processing_code() {
        let ids = Ids {
            terminal: "TERM0001",
            merchant: "MERCHANT0000001",
        };
        let pan = Pan::new("4761739001010010").unwrap();
        let card = CardData {
            txn: Some(TxnType::Cash),
            expiry: Some("2812".into()),
            entry: EntryMode::Swipe,
            pin: Some("4321".into()),
            declines_after_approval: false,
        };
        let m = sale(
            &ids,
            "000001",
            &pan,
            &card,
            Amount(1),
            &Stamp::at(Duration::ZERO),
        );
        assert_eq!(m.text(3), Some("010000"));
        assert_eq!(m.text(14), Some("2812"));
        assert_eq!(m.text(22), Some("021"));
        let block = m.field(52).unwrap();
        assert_eq!(pin::decode(block, pan.reveal()).as_deref(), Some("4321"));
    }
}
