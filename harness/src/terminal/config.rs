//! The `terminal:` section of a scenario: identity, policy and defects.

use posfault_proxies::dur::Dur;
use serde::{Deserialize, Serialize};

/// Identity and policy of the reference terminal.
///
/// Defaults follow field practice (see `shared/domain/terminal-rules.md`): reply timeout 60 s,
/// connect timeout 30 s, 3 redials per host backing off from 2 s (doubling, at most 30 s), no
/// backup host, reversal resent up to 3 times, 10 s apart.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// Terminal id, field 41: 8 characters. Default `TERM0001`.
    #[serde(default = "default_id")]
    pub id: String,
    /// Merchant id, field 42: 15 characters. Default `MERCHANT0000001`.
    #[serde(default = "default_merchant")]
    pub merchant: String,
    /// How long to wait for a reply after sending a request. Default `60s`.
    #[serde(default = "default_response_timeout")]
    pub response_timeout: Dur,
    /// How long to wait for a connection to the host. Default `30s`.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: Dur,
    /// How many times a failed connect is retried on one host before giving up on it (or
    /// moving to the backup host). Default 3.
    #[serde(default = "default_connect_retries")]
    pub connect_retries: u32,
    /// Pause before the first redial; each further redial waits twice as long as the one
    /// before, up to `connect_backoff_max`. Default `2s`.
    #[serde(default = "default_connect_backoff")]
    pub connect_backoff: Dur,
    /// Longest pause between redials. Default `30s`.
    #[serde(default = "default_connect_backoff_max")]
    pub connect_backoff_max: Dur,
    /// The terminal also knows a backup host address. In the simulation the harness gives it a
    /// second route to the same host, with its own proxy (rules can aim at one route with
    /// `when: {route: primary}`); the terminal moves to the backup when the primary cannot be
    /// reached, and starts with whichever host last worked. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backup_host: bool,
    /// Approve chip and contactless purchases below this amount and without online PIN
    /// offline, without asking the host (EMV terminal risk management's floor limit), and queue
    /// each as a 0220 advice: sent after the next online transaction and before settlement,
    /// queued until the host posts it (00, or 94 already posted) or refuses it for good (any
    /// code but the "try later" 91 and 96). Default: none, every sale goes online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_floor_limit: Option<crate::money::Amount>,
    /// When no host can be reached (every dial failed, so nothing was sent), approve chip and
    /// contactless purchases below this amount and without online PIN offline all the same,
    /// reported with RC `Y3` (EMV's "unable to go online": the terminal action code default
    /// lets the card's offline approval stand), and queue the 0220 advice as under
    /// `offline_floor_limit`. A request that went out unanswered is never approved this way:
    /// it may be at the host, and is reversed. Default: none, such a sale fails (`connect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unable_to_go_online_limit: Option<crate::money::Amount>,
    /// Sign on (0800, network management code 001) at every boot before the first
    /// transaction, as field terminals do at the start of the day to get their batch number
    /// and working keys. Default false: the reference host does not insist unless a terminal
    /// is configured with `keys_in_step: false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_on: bool,
    /// With `sign_on`, sign on again before a transaction when nothing was exchanged with the
    /// host for this long. Default: only at boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_on_idle: Option<Dur>,
    /// Send an echo test (0800, code 301) whenever the link has been idle this long and no
    /// command is due sooner, to find a dead link before a customer does. Default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_interval: Option<Dur>,
    /// How many times an unacknowledged reversal is sent again after its first send. Default 3.
    #[serde(default = "default_reversal_retries")]
    pub reversal_retries: u32,
    /// Pause between reversal sends. Default `10s`.
    #[serde(default = "default_reversal_interval")]
    pub reversal_interval: Dur,
    /// Run this many terminals at once, each with the whole schedule (a fleet against one
    /// host). Members are numbered 1..=count; member n has id = the first 4 characters of
    /// `id` + n as 4 digits (TERM0001, TERM0002, ...), its own store, and its commands `stagger`
    /// later than member n-1's, with transaction ids suffixed `@<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Fleet>,
    /// Refuse new sales while a reversal is still unacknowledged after its sends (a policy some
    /// acquirers impose: no new debit until the last one is settled). The sale is reported
    /// failed, `reversal_pending`, and nothing is sent. Default false: the sale goes ahead and the
    /// reversal is tried again before the next one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block_sales_while_reversal_pending: bool,
    /// When the reversal record is written to persistent memory. Default `before_send`.
    #[serde(default)]
    pub reversal_save: ReversalSave,
    /// Known terminal bugs to switch on, to prove the checks catch them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
    /// Live mode: run this terminal program (argv, e.g. `[posfault, terminal, --stdio]`; a
    /// first element `posfault` is this executable) over real loopback TCP, speaking the
    /// adapter protocol of `docs/adapter.md`, instead of the built-in terminal in the
    /// simulation. `posfault run --terminal-cmd` replaces it for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            id: default_id(),
            merchant: default_merchant(),
            response_timeout: default_response_timeout(),
            connect_timeout: default_connect_timeout(),
            connect_retries: default_connect_retries(),
            connect_backoff: default_connect_backoff(),
            connect_backoff_max: default_connect_backoff_max(),
            backup_host: false,
            offline_floor_limit: None,
            unable_to_go_online_limit: None,
            sign_on: false,
            sign_on_idle: None,
            echo_interval: None,
            reversal_retries: default_reversal_retries(),
            reversal_interval: default_reversal_interval(),
            reversal_save: ReversalSave::default(),
            block_sales_while_reversal_pending: false,
            fleet: None,
            defects: Vec::new(),
            command: None,
        }
    }
}

impl TerminalConfig {
    /// Whether a defect is switched on.
    pub fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    /// The pause owed before redial `n` (1-based) to the same host: `connect_backoff` doubled
    /// for each earlier redial, capped at `connect_backoff_max`.
    pub fn connect_backoff_before(&self, n: u32) -> std::time::Duration {
        let first = self.connect_backoff.get();
        let doubled = first.saturating_mul(1u32 << n.saturating_sub(1).min(16));
        doubled.min(self.connect_backoff_max.get().max(first))
    }
}

fn default_id() -> String {
    "TERM0001".into()
}

fn default_merchant() -> String {
    "MERCHANT0000001".into()
}

fn default_response_timeout() -> Dur {
    Dur::from_secs(60)
}

fn default_connect_timeout() -> Dur {
    Dur::from_secs(30)
}

fn default_connect_retries() -> u32 {
    3
}

fn default_connect_backoff() -> Dur {
    Dur::from_secs(2)
}

fn default_connect_backoff_max() -> Dur {
    Dur::from_secs(30)
}

fn default_reversal_retries() -> u32 {
    3
}

fn default_reversal_interval() -> Dur {
    Dur::from_secs(10)
}

/// When a terminal writes the reversal record. Both are seen in field terminals: before the send
/// is safest; right after a successful send (NETPAY) also survives a power cut while waiting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReversalSave {
    /// Written before the request leaves.
    #[default]
    BeforeSend,
    /// Written once the request has been handed to the network.
    AfterSend,
}

/// A known terminal bug, switchable so scenarios can prove the checks catch it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// After a reply timeout the terminal forgets the sale instead of reversing it, leaving the
    /// cardholder charged for a sale the merchant thinks failed.
    NoReversalOnTimeout,
    /// The reversal record lives in RAM only; a power cut loses it.
    ReversalNotPersisted,
    /// After a timeout the terminal sends the same sale again with the same STAN.
    RetrySaleSameStan,
    /// A reply arriving after the timeout is believed, and the sale reported on it.
    AcceptLateResponse,
    /// The reversal is sent once and never retried.
    ReversalWithoutRetry,
    /// Reversal retries go out with no pause between them.
    ReversalRetriesBackToBack,
    /// When every reversal send went unanswered, the record is deleted.
    DropReversalAfterRetries,
    /// The reversal carries a fresh STAN instead of the original one.
    WrongReversalStan,
    /// The terminal reverses after a timeout but tells the merchant "approved".
    ReportApprovedOnTimeout,
    /// The terminal ignores its backup host: when the primary cannot be reached the sale fails
    /// although the backup would have answered.
    NoBackupHost,
    /// Redials go out back to back, with no pause: a terminal fleet hammering a recovering host.
    NoConnectBackoff,
    /// Offline approvals are never sent as advices, and settlement goes out with them in its
    /// totals: the host never learns of the sales and the merchant is not paid for them.
    AdvicesNotForwarded,
}

/// Several terminals running the same schedule in one simulated node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// How many terminals, 2 to 9999.
    pub count: u32,
    /// Offset between members' schedules. Default `100ms`.
    #[serde(default = "default_stagger")]
    pub stagger: Dur,
}

fn default_stagger() -> Dur {
    Dur::from_millis(100)
}

impl TerminalConfig {
    /// The configuration of each terminal to run: this one alone, or every fleet member.
    pub fn members(&self) -> Vec<TerminalConfig> {
        let Some(fleet) = self.fleet else {
            return vec![self.clone()];
        };
        let prefix: String = self.id.chars().take(4).collect();
        (1..=fleet.count)
            .map(|n| TerminalConfig {
                id: format!("{prefix:<4}{n:04}"),
                fleet: None,
                ..self.clone()
            })
            .collect()
    }
}
