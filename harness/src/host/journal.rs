//! The host's journal: an append-only record of every request and decision. It is what the
//! host "knows happened", and the checks compare the terminal's reports against it.

use serde::Serialize;

use crate::money::Amount;
use crate::transcript::At;

/// What the host decided about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A sale was approved and its account debited.
    Approved,
    /// A request was declined; nothing moved.
    Declined,
    /// A sale was reversed and its account credited back.
    Reversed,
    /// A reversal for a sale already reversed: acknowledged, nothing moved.
    ReversalRepeat,
    /// A reversal for a sale the host never approved: acknowledged, nothing moved.
    ReversalUnknown,
    /// A frame the host could not read; no reply.
    Unreadable,
}

impl Decision {
    /// The decision as written in transcripts.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Declined => "declined",
            Decision::Reversed => "reversed",
            Decision::ReversalRepeat => "reversal_repeat",
            Decision::ReversalUnknown => "reversal_unknown",
            Decision::Unreadable => "unreadable",
        }
    }
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// Position in the journal, 1-based.
    pub seq: u64,
    /// When the host decided.
    pub at: At,
    /// Request MTI.
    pub mti: String,
    /// Terminal id (field 41).
    pub terminal: String,
    /// STAN (field 11).
    pub stan: String,
    /// The decision.
    pub decision: Decision,
    /// Response code sent.
    pub rc: String,
    /// Amount of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// The account touched, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Signed change to the account's balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<Amount>,
    /// The account's balance after this entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// For reversals: the journal seq of the sale reversed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<u64>,
}
