//! The host's journal: an append-only record of every request and decision. It is what the
//! host "knows happened", and the checks compare the terminal's reports against it. Balances
//! are derived from it: opening balance plus every entry's `delta` ([`balances_from`]).

use std::collections::BTreeMap;

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
    /// A reversal whose original was declined: acknowledged, nothing moved.
    ReversalNothing,
    /// An offline approval (0220 advice) posted to its account.
    Posted,
    /// A network management, settlement or upload message was accepted.
    Accepted,
    /// The request was read and the connection closed without an answer.
    Unanswered,
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
            Decision::ReversalNothing => "reversal_nothing",
            Decision::Posted => "posted",
            Decision::Accepted => "accepted",
            Decision::Unanswered => "unanswered",
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
    /// Response code sent; empty when none was.
    pub rc: String,
    /// Why, in words, for anything but a plain approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The card, masked (first 6 + last 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
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
    /// A sale the host had approved before the run started (`host.history`): it is in the
    /// journal so duplicates are caught, but no terminal of this run made it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_run: bool,
}

/// Every account's balance after `journal`: its opening balance plus the deltas journalled for
/// it. The host keeps its balances this way, so the journal is the single record of money.
pub fn balances_from(
    opening: &BTreeMap<String, Amount>,
    journal: &[JournalEntry],
) -> BTreeMap<String, Amount> {
    let mut out = opening.clone();
    for e in journal {
        if let (Some(account), Some(delta)) = (&e.account, e.delta) {
            out.entry(account.clone()).or_default().0 += delta.0;
        }
    }
    out
}
