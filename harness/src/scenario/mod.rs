//! Scenario files: typed, strict (unknown fields are errors), with errors that name file, line,
//! column, the path to the value and what would be right.

mod expect_journal;
mod faults_file;
mod load;
mod locate;
mod schema;
mod validate;

use std::collections::BTreeMap;

use posfault_proxies::dur::Dur;
use posfault_proxies::fault::Rule;
use posfault_proxies::wire::{DialectName, Envelope, Framing};
use serde::{Deserialize, Serialize};

pub use expect_journal::ExpectedJournal;
pub use faults_file::load_faults_file;
pub use load::{ScenarioError, load_file, load_host_file, load_host_str, load_str};
pub use schema::scenario_schema;

use crate::check::CheckId;
use crate::declines::Category;
use crate::host::{HostConfig, TxnType};
use crate::money::Amount;
use crate::terminal::{FailReason, ReversalState, TerminalConfig, TxnResult};

/// One fault story: who talks, over what, which faults hit, what happens, what must be seen.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier, shown in verdict lines.
    pub name: String,
    /// What the scenario proves, in a sentence or two.
    pub description: String,
    /// Certification requirements the scenario evidences (free-text IDs such as `REV-01`, listed
    /// in `docs/requirements.md`); reports group verdicts by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// The RNG seed; `--seed` and sweeps override it. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulation tick. Network hops take at least one tick, so the transcript depends on it;
    /// pin it. Default `10ms`.
    #[serde(default = "default_tick")]
    pub tick: Dur,
    /// A run that has not finished after this much simulated time fails. Default `1h`.
    #[serde(default = "default_time_limit")]
    pub time_limit: Dur,
    /// Wire dialect. Default `iso87`.
    #[serde(default)]
    pub dialect: DialectName,
    /// Framing. Default `u16be`.
    #[serde(default)]
    pub framing: Framing,
    /// TPDU (and optional 6-byte header) the terminal puts on its requests, as hex
    /// (`"6000030000"`); required by dialects that route by TPDU (`cup`), unused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
    /// The simulated network between the nodes.
    #[serde(default)]
    pub network: Network,
    /// The terminal and its policy.
    pub terminal: TerminalConfig,
    /// The acquirer host.
    pub host: HostConfig,
    /// Fault rules on the link, evaluated in order.
    #[serde(default)]
    pub faults: Vec<Rule>,
    /// What the terminal is asked to do, and when. Each step is a one-key map
    /// (`- sale: {...}`); serde_yaml 0.9 wants YAML tags for enums unless told otherwise.
    // schemars would take the serde `with` path for a type; `Step`'s own derived schema (an
    // externally tagged enum) is exactly that one-key map, as tests/schema.rs pins.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Step>")]
    pub schedule: Vec<Step>,
    /// What must be seen for the scenario to pass.
    #[serde(default)]
    pub expect: Expect,
}

fn default_seed() -> u64 {
    1
}

fn default_tick() -> Dur {
    Dur::from_millis(10)
}

fn default_time_limit() -> Dur {
    Dur::from_secs(3600)
}

/// The simulated network: turmoil's own impairments, below the fault proxy. What each setting
/// maps to in turmoil 0.7 is said on the field.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency of every hop (terminal-proxy, proxy-host). Default `5ms`. turmoil's
    /// `min_message_latency` (and `max_message_latency` unless `latency_max` is given).
    #[serde(default = "default_latency")]
    pub latency: Dur,
    /// When given, each message takes between `latency` and this, drawn by turmoil from its
    /// exponential distribution (rate 5) on the run's seed: `max_message_latency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_max: Option<Dur>,
    /// Random link failures: turmoil's `fail_rate` and `repair_rate`. turmoil has no TCP
    /// retransmission, so a failure loses what is in flight and breaks the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Loss>,
    /// Partitions scheduled in simulated time: `Sim::partition` (or `partition_oneway`) at
    /// `from`, `Sim::repair` at `until`. A partitioned link refuses new connections at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
}

/// Random link failures.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Loss {
    /// Probability, per tick, that a working link fails.
    pub fail_rate: f64,
    /// Probability, per tick, that a failed link is repaired. Default 1 (next tick).
    #[serde(default = "one")]
    pub repair_rate: f64,
}

fn one() -> f64 {
    1.0
}

/// A node of the simulation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// The terminal under test.
    Terminal,
    /// The fault proxy.
    Proxy,
    /// The host.
    Host,
}

impl Node {
    /// The node's name in the simulation.
    pub fn name(self) -> &'static str {
        match self {
            Node::Terminal => "terminal",
            Node::Proxy => "proxy",
            Node::Host => "host",
        }
    }
}

/// A partition between two nodes for a time window.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// The two nodes, e.g. `[proxy, host]`.
    pub between: [Node; 2],
    /// When it starts.
    pub from: Dur,
    /// When it is repaired.
    pub until: Dur,
    /// Only messages from the first node to the second are lost. Not with `network.loss`,
    /// whose random repairs heal both directions. Default false.
    #[serde(default)]
    pub one_way: bool,
    /// Hold messages instead of losing them (turmoil `hold` / `release`): connects and reads
    /// stall for the window, as on a link that went silent, and everything held arrives when it
    /// ends. What makes a terminal's connect timeout matter; a plain partition refuses connects
    /// at once. Both directions; not with `one_way`. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stall: bool,
}

fn default_latency() -> Dur {
    Dur::from_millis(5)
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency: default_latency(),
            latency_max: None,
            loss: None,
            partitions: Vec::new(),
        }
    }
}

/// One step of the schedule.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A purchase or cash advance (0200).
    Sale(Sale),
    /// A pre-authorisation (0100): holds the cardholder's funds, reversed like a sale when its
    /// outcome is unknown, and never part of the settlement batch.
    Auth(CardTxn),
    /// A refund (0200, processing code 20): credits the cardholder, reversed like a sale when
    /// its outcome is unknown, counted as a credit in the settlement totals.
    Refund(CardTxn),
    /// Cut the terminal's power and restore it: volatile memory is lost, the store survives.
    PowerCycle(PowerCycle),
    /// Crash the host and restart it `off_for` later (same `at` / `after` / `after_txn`
    /// triggers as `power_cycle`): open connections die, the journal survives.
    HostRestart(PowerCycle),
    /// Close the batch: 0500 with the terminal's totals; on a mismatch (95), upload the batch
    /// (0320, one per transaction).
    Settle(Settle),
}

impl Step {
    /// The transaction id the step reports under, for steps that are transactions.
    pub fn id(&self) -> Option<&str> {
        match self {
            Step::Sale(s) => Some(&s.id),
            Step::Auth(s) | Step::Refund(s) => Some(&s.id),
            Step::Settle(s) => Some(&s.id),
            Step::PowerCycle(_) | Step::HostRestart(_) => None,
        }
    }

    /// The step's key in YAML (`sale`, `power_cycle`...), as error paths name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Sale(_) => "sale",
            Step::Auth(_) => "auth",
            Step::Refund(_) => "refund",
            Step::PowerCycle(_) => "power_cycle",
            Step::HostRestart(_) => "host_restart",
            Step::Settle(_) => "settle",
        }
    }

    /// When the step is due: a time, or a wait after an earlier transaction's outcome. Frame
    /// triggers of power cycles are not times and give `None`, as does a step that names
    /// neither (which validation rejects).
    pub fn due(&self) -> Option<Due<'_>> {
        let (at, after, wait) = match self {
            Step::Sale(s) => (s.at, s.after.as_deref(), s.wait),
            Step::Auth(s) | Step::Refund(s) => (s.at, s.after.as_deref(), s.wait),
            Step::Settle(s) => (s.at, s.after.as_deref(), s.wait),
            Step::PowerCycle(p) | Step::HostRestart(p) => (p.at, p.after_txn.as_deref(), p.wait),
        };
        match (at, after) {
            (Some(at), None) => Some(Due::At(at.get())),
            (None, Some(txn)) => Some(Due::After {
                txn,
                wait: wait.map(Dur::get).unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

/// When a step is due, resolved from its `at`, `after` and `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due<'a> {
    /// At this time from the run's start.
    At(std::time::Duration),
    /// `wait` after the outcome of the transaction `txn` was reported.
    After {
        /// The earlier transaction's id.
        txn: &'a str,
        /// How long after its outcome.
        wait: std::time::Duration,
    },
}

/// A power cut at a time, right after a frame passes the proxy, or after a transaction's
/// outcome.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerCycle {
    /// Cut power at this time from the run's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Dur>,
    /// Cut power as soon as the proxy has seen a frame like this (e.g. the terminal's 0200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<FrameTrigger>,
    /// Cut power once the terminal has reported the outcome of this earlier transaction (plus
    /// `wait`). Named apart from `after`, which is a frame. In a fleet, the first member to
    /// report it triggers the cut, which takes the whole fleet's node down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_txn: Option<String>,
    /// With `after_txn`: how long after that outcome. Default `0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Dur>,
    /// How long the terminal stays off. Default `5s`.
    #[serde(default = "default_off_for")]
    pub off_for: Dur,
}

fn default_off_for() -> Dur {
    Dur::from_secs(5)
}

/// Which frame, seen by the proxy, triggers a step.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameTrigger {
    /// Frames travelling this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<posfault_proxies::fault::Direction>,
    /// Frames with one of these MTIs (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mti: Vec<posfault_proxies::wire::Mti>,
    /// The n-th such frame (1-based). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
}

/// A settlement.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settle {
    /// Id the settlement's outcome is reported under.
    pub id: String,
    /// When it starts, from the run's start. Give this or `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Dur>,
    /// Start once the terminal has reported the outcome of this earlier transaction (plus
    /// `wait`). Give this or `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// With `after`: how long after that outcome. Default `0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Dur>,
}

/// A sale.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// Transaction id, unique in the scenario; outcomes and expectations use it.
    pub id: String,
    /// When the sale starts, from the run's start (a busy terminal starts it when done with
    /// the step before). Give this or `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Dur>,
    /// Start once the terminal has reported the outcome of this earlier transaction (plus
    /// `wait`). Give this or `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// With `after`: how long after that outcome. Default `0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Dur>,
    /// Amount, e.g. `"12.34"`.
    pub amount: Amount,
    /// The `id` of a card in `host.cards`.
    pub card: String,
    /// Transaction type, sent as the processing code: `purchase` (default) or `cash`. A
    /// refund is a step of its own (`- refund: {...}`), counted as a credit at settlement.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub txn_type: Option<TxnType>,
    /// The PIN the cardholder enters (4 to 12 digits). Default: the card's own PIN, if it has
    /// one. Never written to any output.
    #[serde(
        default,
        deserialize_with = "crate::host::secret::optional",
        skip_serializing
    )]
    // A plain string to editors: the secret reader refuses `~` as it refuses numbers.
    #[schemars(with = "String", regex(pattern = r"^[0-9]{4,12}$"))]
    pub pin: Option<String>,
}

/// An authorisation or a refund: a card and an amount, like a sale without its type.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardTxn {
    /// Transaction id, unique in the scenario; outcomes and expectations use it.
    pub id: String,
    /// When it starts, from the run's start (a busy terminal starts it when done with the
    /// step before). Give this or `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Dur>,
    /// Start once the terminal has reported the outcome of this earlier transaction (plus
    /// `wait`). Give this or `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// With `after`: how long after that outcome. Default `0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Dur>,
    /// Amount, e.g. `"12.34"`.
    pub amount: Amount,
    /// The `id` of a card in `host.cards`.
    pub card: String,
    /// The PIN the cardholder enters (4 to 12 digits). Default: the card's own PIN, if it has
    /// one. Never written to any output.
    #[serde(
        default,
        deserialize_with = "crate::host::secret::optional",
        skip_serializing
    )]
    #[schemars(with = "String", regex(pattern = r"^[0-9]{4,12}$"))]
    pub pin: Option<String>,
}

/// What must hold for the scenario to pass.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Outcome per transaction id; only the given parts are compared.
    #[serde(default)]
    pub outcomes: BTreeMap<String, ExpectedOutcome>,
    /// Checks that must fail (a defect scenario proves the oracle catches the bug); every other
    /// check must pass.
    #[serde(default)]
    pub failing_checks: Vec<CheckId>,
    /// The host's books at the end (net movement, account balances); simulated runs and live
    /// runs against the reference host only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<ExpectedJournal>,
}

/// The parts of an outcome a scenario pins.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedOutcome {
    /// approved, declined or failed.
    pub result: TxnResult,
    /// Response code, for approvals and declines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rc: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<FailReason>,
    /// Reversal state after a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal: Option<ReversalState>,
    /// The cause reported, an id from `declines.yaml` (e.g. `insufficient-funds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The category reported (cardholder, merchant, risk, system, network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
}

impl ExpectedOutcome {
    /// What in `got` differs from the pinned parts, one phrase each.
    pub fn differences(&self, got: &crate::terminal::Outcome) -> Vec<String> {
        let mut diffs = Vec::new();
        if self.result != got.result {
            diffs.push(format!(
                "result {:?}, expected {:?}",
                got.result, self.result
            ));
        }
        if self.rc.is_some() && self.rc != got.rc {
            diffs.push(format!("rc {:?}, expected {:?}", got.rc, self.rc));
        }
        if self.reason.is_some() && self.reason != got.reason {
            diffs.push(format!(
                "reason {:?}, expected {:?}",
                got.reason, self.reason
            ));
        }
        if self.reversal.is_some() && self.reversal != got.reversal {
            diffs.push(format!(
                "reversal {:?}, expected {:?}",
                got.reversal, self.reversal
            ));
        }
        if self.cause.is_some() && self.cause != got.cause {
            diffs.push(format!("cause {:?}, expected {:?}", got.cause, self.cause));
        }
        if self.category.is_some() && self.category != got.category {
            diffs.push(format!(
                "category {:?}, expected {:?}",
                got.category, self.category
            ));
        }
        diffs
    }
}
