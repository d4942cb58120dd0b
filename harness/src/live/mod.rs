//! Live mode (issue 9): the same scenario YAML, faults, checks and reports against a terminal
//! that is not Rust and not simulated: a child process speaking JSON lines (the adapter
//! protocol, `docs/adapter.md`), dialling a real fault proxy in front of a real host on
//! loopback TCP.
//!
//! - [`adapter`]: the protocol's lines, both directions.
//! - [`env`](mod@env): the protocol's environment, both directions.
//! - [`child`]: terminal processes in their own process groups, killed as a whole.
//! - [`runner`]: one live run, recorded and judged like a simulated one.
//! - [`scale`]: `--time-scale`, applied in one place.
//! - [`stdio`]: `posfault terminal --stdio`, the reference terminal behind the protocol.
//! - [`interrupt`]: Ctrl-C stops every live run cleanly.

pub mod adapter;
pub mod child;
pub mod env;
pub mod interrupt;
pub mod runner;
pub mod scale;
pub mod stdio;

pub use runner::{LIVE_TICK, LiveOptions, is_live, run_live, terminal_argv};
