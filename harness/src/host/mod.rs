//! The reference acquirer host: accounts, cards, an append-only journal, idempotent reversals.

mod config;
mod journal;
mod logic;
mod server;

pub use config::{AccountConfig, CardConfig, HostConfig, Pan};
pub use journal::{Decision, JournalEntry};
pub use logic::Host;
pub use server::serve_sim;
