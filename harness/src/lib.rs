#![warn(missing_docs)]
//! posfault: a chaos and network-fault testing harness for card-payment (ISO 8583) links.
//!
//! A [`scenario::Scenario`] names a terminal, a host, faults on the link between them, a
//! schedule and expectations. [`runner::run`] plays it in a deterministic turmoil simulation
//! and returns a [`runner::RunReport`]: the transcript of every frame, fault, timer and outcome,
//! the host's journal, and the [`check`] verdicts. Same scenario + same seed = byte-identical
//! transcript. [`live::run_live`] plays the same scenario over real loopback TCP against a
//! terminal process (any language) speaking the adapter protocol of `docs/adapter.md`.

pub mod check;
pub mod cli;
pub mod declines;
mod harness;
pub mod host;
pub mod live;
pub mod money;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod terminal;
pub mod timeline;
pub mod transcript;
pub mod wire;

pub use harness::{Harness, LoadError, Report};
pub use posfault_proxies as proxies;
pub use terminal::{
    Command, Dialer, Outcome, ReferenceTerminal, SaleCommand, SettleCommand, Store, Terminal,
    TerminalEvent, TerminalIo,
};
