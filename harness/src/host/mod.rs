//! The reference acquirer host: merchants and terminals, cards, accounts with limits, risk
//! rules, an append-only journal that balances are derived from, idempotent reversals,
//! duplicate detection, sign-on, settlement, and the behaviour of a slow, busy or
//! under-maintenance host (processing delay, capacity, maintenance windows).
//!
//! One concern per file: configuration (`config`, `delay`, `capacity`, `maintenance`, `risk`),
//! the decision order of financial requests (`checks`), one file per message family
//! (`financial`, `reversal`, `network`, `settlement`), the `journal`, and serving
//! (`server`, `listen`, `live`).

mod calendar;
pub use calendar::valid_expiry;
mod capacity;
mod checks;
mod config;
mod delay;
mod financial;
mod journal;
mod listen;
mod live;
mod logic;
mod maintenance;
mod network;
mod pan;
pub mod pin;
mod reversal;
mod risk;
pub(crate) mod secret;
mod server;
mod settlement;

pub use capacity::{CapacityConfig, Load, WhenFull};
pub use config::{
    AccountConfig, CardConfig, CardStatus, EntryMode, HostConfig, Limits, MerchantConfig,
    MerchantStatus, PastSale, TerminalEntry, TxnType, UnknownReversal,
};
pub use delay::Delay;
pub use journal::{Decision, JournalEntry, balances_from};
pub use listen::{Gate, LiveGate, SimGate};
pub use live::{JournalFile, serve_live};
pub use logic::{Host, Processed, respond};
pub use maintenance::{Mode as MaintenanceMode, Window as MaintenanceWindow};
pub use pan::{Pan, luhn_ok};
pub use risk::RiskRule;
pub use server::{OnEntry, serve_connection, serve_sim};
pub use settlement::{Total, Totals};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_crash;
