//! What the terminal does and reports. Outcomes are "what the terminal tells the merchant";
//! the checks compare them with the host's journal.

use posfault_proxies::dur::Dur;
use serde::{Deserialize, Serialize};

use posfault_proxies::fault::Route;

use crate::declines::{self, Category};
use crate::money::Amount;

/// The terminal's verdict on a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TxnResult {
    /// The host approved it (RC 00).
    Approved,
    /// The host declined it with a response code.
    Declined,
    /// No valid answer: the outcome is unknown to the terminal, which must reverse.
    Failed,
}

/// The response code an offline approval is reported with (EMV: "offline approved").
pub const OFFLINE_APPROVED: &str = "Y1";

/// The response code of an approval made because no host could be reached (EMV: "unable to
/// go online, offline approved").
pub const UNABLE_ONLINE_APPROVED: &str = "Y3";

/// Whether a terminal's response code says it approved without the host: EMV's Y1 (offline
/// approved) or Y3 (unable to go online, approved offline). Black-box terminals report either.
pub fn is_offline_approval(rc: Option<&str>) -> bool {
    rc == Some(OFFLINE_APPROVED) || rc == Some(UNABLE_ONLINE_APPROVED)
}

/// Why a transaction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// No reply in time, or the connection was lost after the request was sent.
    NoResponse,
    /// A reply came but did not match the request or could not be read.
    InvalidReply,
    /// No connection to the host: nothing was sent, nothing needs reversing.
    Connect,
    /// Not sent: an earlier transaction's reversal is still unacknowledged and the policy
    /// (`block_sales_while_reversal_pending`) holds new sales until it is.
    ReversalPending,
    /// Settlement not sent: offline approvals are still waiting to reach the host as advices,
    /// and totals sent without them could not agree.
    AdvicesPending,
    /// The host approved, but the terminal could not finish the sale (the chip declined after
    /// the approval), so it reversed it.
    NotCompleted,
}

impl FailReason {
    /// The `declines.yaml` cause a failure is reported under (it has no response code to look
    /// up). A sale held back by a pending reversal is, to the merchant, a link problem: nothing
    /// was charged, the host could not be reached to settle the last one.
    pub fn cause_id(self) -> &'static str {
        match self {
            FailReason::NoResponse => "no-response",
            FailReason::InvalidReply => "invalid-response",
            FailReason::Connect | FailReason::ReversalPending | FailReason::AdvicesPending => {
                "connection-failed"
            }
            // What the reversal says (96), and a fault at the point of sale, not the link.
            FailReason::NotCompleted => "system-malfunction",
        }
    }
}

/// Where the reversal of a failed transaction stands when the terminal reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReversalState {
    /// The host acknowledged the reversal.
    Acknowledged,
    /// Still stored, to be sent before the next online transaction.
    Pending,
    /// No reversal exists (nothing was sent, or a defect dropped it).
    None,
}

/// One transaction's reported outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Transaction id from the schedule.
    pub txn: String,
    /// STAN the terminal used.
    pub stan: String,
    /// approved, declined or failed.
    pub result: TxnResult,
    /// Response code, when a valid reply came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rc: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<FailReason>,
    /// Reversal state, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversal: Option<ReversalState>,
    /// What the terminal shows the merchant.
    pub display: String,
    /// Why it was not approved: a cause id from `declines.yaml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// How the failure is reported (cardholder, merchant, risk, system, network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// What the operator is advised to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
}

/// Operator advice in the terminal's languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// English.
    pub en: String,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

impl Outcome {
    /// An answered transaction: approved for RC 00, declined otherwise, explained from
    /// `declines.yaml`. Set `display` afterwards to show your own text.
    pub fn answered(txn: &str, stan: &str, rc: &str) -> Outcome {
        let approved = rc == "00";
        Outcome {
            txn: txn.into(),
            stan: stan.into(),
            result: if approved {
                TxnResult::Approved
            } else {
                TxnResult::Declined
            },
            rc: Some(rc.into()),
            reason: None,
            reversal: None,
            display: if approved {
                "approved".into()
            } else {
                format!("declined: {rc}")
            },
            cause: None,
            category: None,
            advice: None,
        }
        .explained()
    }

    /// A sale the terminal approved offline (under its floor limit), reported with the EMV
    /// offline-approval code Y1; the host learns of it from the 0220 advice.
    pub fn approved_offline(txn: &str, stan: &str) -> Outcome {
        Outcome {
            txn: txn.into(),
            stan: stan.into(),
            result: TxnResult::Approved,
            rc: Some(OFFLINE_APPROVED.into()),
            reason: None,
            reversal: None,
            display: "approved offline".into(),
            cause: None,
            category: None,
            advice: None,
        }
    }

    /// A sale approved offline because no host could be reached (`Y3`).
    pub fn approved_unable_online(txn: &str, stan: &str) -> Outcome {
        Outcome {
            rc: Some(UNABLE_ONLINE_APPROVED.into()),
            display: "approved offline (host unreachable)".into(),
            ..Outcome::approved_offline(txn, stan)
        }
    }

    /// A failed transaction with its reversal state, explained from `declines.yaml`.
    pub fn failed(txn: &str, stan: &str, reason: FailReason, reversal: ReversalState) -> Outcome {
        let what = match reason {
            FailReason::InvalidReply => "invalid reply",
            FailReason::NoResponse => "no response",
            FailReason::Connect => "could not connect",
            FailReason::ReversalPending => "a reversal is still pending",
            FailReason::AdvicesPending => "offline approvals not yet sent",
            FailReason::NotCompleted => "approved by the host but not completed",
        };
        let display = match (reason, reversal) {
            (FailReason::Connect, _) => "failed: could not connect, nothing charged".to_string(),
            (FailReason::ReversalPending, _) => {
                "failed: not sent, an earlier reversal is still pending; nothing charged"
                    .to_string()
            }
            (FailReason::AdvicesPending, _) => {
                "failed: not settled, offline approvals still waiting to reach the host".to_string()
            }
            (_, ReversalState::Acknowledged) => format!("failed: {what}, reversed"),
            (_, ReversalState::Pending) => format!("failed: {what}, reversal pending"),
            (_, ReversalState::None) => format!("failed: {what}"),
        };
        Outcome {
            txn: txn.into(),
            stan: stan.into(),
            result: TxnResult::Failed,
            rc: None,
            reason: Some(reason),
            reversal: Some(reversal),
            display,
            cause: None,
            category: None,
            advice: None,
        }
        .explained()
    }

    /// The outcome with its cause, category and advice from `declines.yaml` filled in: by
    /// response code for declines, by failure for link failures. A code the file does not list
    /// leaves them empty, which the `decline_category` check reports.
    pub fn explained(mut self) -> Outcome {
        let cause = match (self.result, self.reason) {
            (TxnResult::Declined, _) => self.rc.as_deref().and_then(declines::by_code),
            (TxnResult::Failed, Some(reason)) => declines::by_id(reason.cause_id()),
            _ => None,
        };
        if let Some(c) = cause {
            if self.result == TxnResult::Declined {
                self.display = format!("{}: {}", self.display, c.en.meaning);
            }
            self.cause = Some(c.id.clone());
            self.category = Some(c.category);
            self.advice = Some(Advice {
                en: c.en.advice.clone(),
                zh_cn: c.zh.advice.clone(),
            });
        }
        self
    }
}

/// Everything the terminal records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TerminalEvent {
    /// The harness handed the terminal a command (recorded by the harness, not the terminal, so
    /// it is trustworthy for any terminal).
    Command {
        /// The terminal (field 41) the command went to.
        terminal: String,
        /// Transaction id.
        txn: String,
        /// Operation.
        op: String,
        /// Amount.
        amount: Amount,
        /// Masked PAN.
        card: String,
    },
    /// The terminal does not implement a command it was given, and reports no outcome for it.
    Unsupported {
        /// Transaction id.
        txn: String,
        /// The operation.
        op: String,
    },
    /// The harness skipped a command scheduled after a transaction that reported no outcome
    /// (its command was lost to a power cut, or the terminal does not support it): the outcome
    /// it waits for is never coming.
    Skipped {
        /// Transaction id of the skipped command.
        txn: String,
        /// Its operation.
        op: String,
        /// The transaction it was to follow.
        after: String,
    },
    /// The host refused an advice with a code other than 00 or 94.
    AdviceRefused {
        /// STAN of the offline approval.
        stan: String,
        /// The host's response code.
        rc: String,
        /// True when the code says "try later" (a system cause such as 91 or 96) and the
        /// advice stays queued; false when the host said no for good, and the advice left the
        /// queue and the batch: the merchant will not be paid for that sale.
        kept: bool,
    },
    /// A sign-on or echo test (0800) got no good answer; the terminal carries on.
    ManagementFailed {
        /// "sign-on" or "echo test".
        what: String,
        /// Its STAN.
        stan: String,
        /// What went wrong.
        why: String,
    },
    /// One attempt to connect failed (recorded by the harness's dialer, not the terminal, so it
    /// is trustworthy for any terminal). Connects that succeed show as the proxy's `conn_opened`.
    DialFailed {
        /// The terminal (field 41) that dialed.
        terminal: String,
        /// The route it dialed: primary or backup host.
        route: Route,
        /// The error, or why the attempt was abandoned.
        error: String,
    },
    /// The terminal gave up connecting (after its redials and any backup host).
    ConnectFailed {
        /// STAN of the request or reversal that could not be sent.
        stan: String,
        /// The error.
        error: String,
    },
    /// No reply came within the response timeout.
    Timeout {
        /// STAN of the request.
        stan: String,
        /// The timeout that ran out.
        after: Dur,
    },
    /// The connection closed or broke before a reply came.
    ConnectionLost {
        /// STAN of the request.
        stan: String,
        /// What happened.
        error: String,
    },
    /// A reply came that did not match the request.
    InvalidReply {
        /// STAN of the request.
        stan: String,
        /// Which check the reply failed.
        why: String,
    },
    /// The host approved, but the terminal could not finish the sale and must reverse it.
    NotCompleted {
        /// STAN of the request.
        stan: String,
        /// What stopped it.
        why: String,
    },
    /// A reversal became due and is stored until acknowledged.
    ReversalQueued {
        /// STAN of the original request.
        stan: String,
        /// Field 39 reason code carried by the reversal.
        reason: String,
    },
    /// A reversal was sent.
    ReversalSent {
        /// STAN of the original request.
        stan: String,
        /// 1 for the first send.
        attempt: u32,
    },
    /// The host acknowledged a reversal; the record is deleted.
    ReversalAcked {
        /// STAN of the original request.
        stan: String,
        /// RC of the 0410.
        rc: String,
    },
    /// A reply to a request came after its timeout; it is recorded and ignored.
    LateReply {
        /// STAN of the request it answers.
        stan: String,
        /// Its MTI.
        mti: String,
        /// Its response code.
        #[serde(skip_serializing_if = "Option::is_none")]
        rc: Option<String>,
    },
    /// The terminal lost power (a scheduled power cycle); volatile memory is gone.
    PowerOff,
    /// The terminal booted again with its persistent store.
    PowerOn,
    /// A reversal send got no acknowledgement.
    ReversalUnanswered {
        /// STAN of the original request.
        stan: String,
        /// Which send.
        attempt: u32,
        /// Why (timeout, connect failure, ...).
        why: String,
    },
    /// All sends of a reversal went unanswered; it stays pending.
    ReversalPending {
        /// STAN of the original request.
        stan: String,
        /// Sends made.
        attempts: u32,
    },
    /// The terminal reported an outcome.
    Outcome(Outcome),
    /// Something an external terminal said about itself (an adapter `note`): shown, never
    /// judged, as the checks read the link and not the terminal's account of itself.
    Note {
        /// The note, PANs masked.
        text: String,
    },
    /// A line an external terminal wrote that is not protocol: kept for the reader of the
    /// transcript, never parsed.
    Log {
        /// `stdout` or `stderr`.
        stream: String,
        /// The line, PANs masked.
        line: String,
    },
}
