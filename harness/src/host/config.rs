//! The `host:` section of a scenario, also loadable on its own for `posfault host`.
//!
//! Every list and limit is optional, so a scenario states only what its story needs: with no
//! `merchants`, any merchant and terminal id is accepted; a card with no `pin` needs none.

use serde::{Deserialize, Serialize};

use crate::host::capacity::CapacityConfig;
use crate::host::delay::Delay;
use crate::host::maintenance::Window;
use crate::host::pan::Pan;
use crate::host::risk::RiskRule;
use crate::money::Amount;

/// The reference host's configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Registered merchants and their terminals. Empty: every merchant and terminal is
    /// accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchants: Vec<MerchantConfig>,
    /// Accounts and their opening balances.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// Cards the host knows, each tied to an account.
    #[serde(default)]
    pub cards: Vec<CardConfig>,
    /// Amounts above this are refused as invalid (13), the host's guard against keying errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Amount>,
    /// Wrong PINs in a row after which a card's PIN is locked (75). Default 3.
    #[serde(default = "default_pin_tries")]
    pub max_pin_tries: u32,
    /// Risk rules, evaluated in order after the funds check; the first that fires declines 59.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<RiskRule>,
    /// Time the host takes to answer, drawn per request. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_delay: Option<Delay>,
    /// How many requests the host works on at once, and what it does beyond that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityConfig>,
    /// Maintenance windows, in run time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance: Vec<Window>,
    /// What a reversal of a transaction the host never saw gets. Default `answer_00`.
    #[serde(default)]
    pub unknown_reversal: UnknownReversal,
    /// Sales the host approved earlier the same day, before the run: journalled first, they
    /// debit their accounts and count for duplicates, limits and settlement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastSale>,
    /// Live scenarios only: a real acquirer host at `HOST:PORT` instead of this reference
    /// host. The fault proxy relays to it; `cards` then only name the PANs the schedule uses,
    /// and the checks that need the reference host's journal report "not applicable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
}

/// A sale approved before the run (e.g. by a terminal whose memory was since replaced, so its
/// STAN counter starts again).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PastSale {
    /// Terminal id (field 41).
    pub terminal: String,
    /// STAN (field 11), 6 digits.
    pub stan: String,
    /// The `id` of a card in `cards`.
    pub card: String,
    /// Amount.
    pub amount: Amount,
}

fn default_pin_tries() -> u32 {
    3
}

/// A merchant and its terminals.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantConfig {
    /// Merchant id, field 42 (15 characters).
    pub id: String,
    /// Default `active`; any other status declines 03.
    #[serde(default)]
    pub status: MerchantStatus,
    /// Terminals registered to the merchant; an unregistered terminal declines 03.
    pub terminals: Vec<TerminalEntry>,
}

/// A merchant's standing with the acquirer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MerchantStatus {
    /// Trading.
    #[default]
    Active,
    /// Suspended (e.g. qualification lapsed).
    Suspended,
    /// Contract ended.
    Closed,
}

/// A terminal registered to a merchant.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalEntry {
    /// Terminal id, field 41 (8 characters).
    pub id: String,
    /// Whether the terminal's keys are in step with the host. Default `true`; `false` declines
    /// 97 until the terminal signs on (0800 code 001).
    #[serde(default = "yes")]
    pub keys_in_step: bool,
    /// Transaction types enabled on the terminal; others decline 58. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_types: Option<Vec<TxnType>>,
}

fn yes() -> bool {
    true
}

/// One account.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Account id, referenced by cards.
    pub id: String,
    /// Opening balance, e.g. `"100.00"`.
    pub balance: Amount,
    /// How far below zero the balance may go. Default `"0.00"`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub credit_limit: Amount,
    /// Amount and count limits (61, 65).
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
}

fn is_zero(a: &Amount) -> bool {
    a.0 == 0
}

/// An account's limits. Daily limits count approved, unreversed debits of the run's calendar
/// day.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest single debit (61 above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_transaction: Option<Amount>,
    /// Largest total of debits per day (61 above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_amount: Option<Amount>,
    /// Most debits per day (65 beyond it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_count: Option<u32>,
}

impl Limits {
    fn is_empty(&self) -> bool {
        self.per_transaction.is_none() && self.daily_amount.is_none() && self.daily_count.is_none()
    }
}

/// One card.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardConfig {
    /// Card id, referenced by the schedule; keeps PANs in one place.
    pub id: String,
    /// The card number. Use Luhn-valid test PANs (one that fails Luhn declines 14).
    pub pan: Pan,
    /// The account the card draws on.
    pub account: String,
    /// Expiry `YYMM`, sent in field 14; a month before the run's date declines 54.
    #[serde(
        default,
        deserialize_with = "crate::host::secret::optional",
        skip_serializing
    )]
    // A plain string to editors: the secret reader refuses `~` as it refuses numbers.
    #[schemars(with = "String", regex(pattern = r"^[0-9]{2}(0[1-9]|1[0-2])$"))]
    pub expiry: Option<String>,
    /// Default `active`.
    #[serde(default)]
    pub status: CardStatus,
    /// The card's PIN (4 to 12 digits); with one, a sale needs a matching PIN block (55).
    /// Never written to any output.
    #[serde(
        default,
        deserialize_with = "crate::host::secret::optional",
        skip_serializing
    )]
    // A plain string to editors: the secret reader refuses `~` as it refuses numbers.
    #[schemars(with = "String", regex(pattern = r"^[0-9]{4,12}$"))]
    pub pin: Option<String>,
    /// Transaction types the card allows; others decline 57. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_types: Option<Vec<TxnType>>,
    /// How the terminal reads the card, sent in field 22. Default `chip`.
    #[serde(default)]
    pub entry: EntryMode,
    /// The chip refuses to complete after the issuer approved (EMV second GENERATE AC answers
    /// AAC, as when issuer authentication fails): the terminal cannot finish the sale, so it
    /// reverses it with reason 96 and reports it failed. A terminal-side fact, kept with the
    /// card so a scenario names each card once. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declines_after_approval: bool,
}

/// A card's status on the host.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    /// Usable.
    #[default]
    Active,
    /// Reported lost (41).
    Lost,
    /// Reported stolen (43).
    Stolen,
    /// Restricted by the issuer (62).
    Restricted,
    /// Frozen by the issuer or cardholder (05, do not honour).
    Frozen,
}

/// How a card was read (field 22, POS entry mode).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryMode {
    /// Chip read, PIN capable (`051`).
    #[default]
    Chip,
    /// Magnetic stripe (`021`).
    Swipe,
    /// Contactless chip (`071`).
    Contactless,
    /// Keyed by hand (`012`).
    Keyed,
}

impl EntryMode {
    /// The field 22 value.
    pub fn code(self) -> &'static str {
        match self {
            EntryMode::Chip => "051",
            EntryMode::Swipe => "021",
            EntryMode::Contactless => "071",
            EntryMode::Keyed => "012",
        }
    }
}

/// A transaction type, carried in the first two digits of the processing code (field 3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TxnType {
    /// Goods and services (`00`): a debit.
    Purchase,
    /// Cash advance (`01`): a debit.
    Cash,
    /// Refund (`20`): a credit.
    Refund,
}

impl TxnType {
    /// From a processing code; `None` for codes the host does not support (12).
    pub fn from_processing_code(code: &str) -> Option<TxnType> {
        match code.get(..2)? {
            "00" => Some(TxnType::Purchase),
            "01" => Some(TxnType::Cash),
            "20" => Some(TxnType::Refund),
            _ => None,
        }
    }

    /// The processing code (field 3), default accounts.
    pub fn processing_code(self) -> &'static str {
        match self {
            TxnType::Purchase => "000000",
            TxnType::Cash => "010000",
            TxnType::Refund => "200000",
        }
    }

    /// The name as written in YAML.
    pub fn name(self) -> &'static str {
        match self {
            TxnType::Purchase => "purchase",
            TxnType::Cash => "cash",
            TxnType::Refund => "refund",
        }
    }

    /// Whether the type takes money from the account.
    pub fn is_debit(self) -> bool {
        !matches!(self, TxnType::Refund)
    }
}

/// The reply to a reversal of a transaction the host has no record of.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReversal {
    /// Acknowledge it: there is nothing to undo (most hosts).
    #[default]
    #[serde(rename = "answer_00")]
    Answer00,
    /// "Unable to locate record" (25).
    #[serde(rename = "answer_25")]
    Answer25,
}

impl UnknownReversal {
    /// The response code.
    pub fn rc(self) -> &'static str {
        match self {
            UnknownReversal::Answer00 => "00",
            UnknownReversal::Answer25 => "25",
        }
    }
}
