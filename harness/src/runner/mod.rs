//! Running scenarios: wiring terminal, proxy and host in a seeded turmoil simulation, then
//! judging the transcript.

mod partitions;
pub(crate) mod power;
mod report;
pub(crate) mod sim;
#[cfg(test)]
mod tests_steps;

pub use report::{OutcomeMismatch, RunMode, RunReport};
pub use sim::{run, run_with};
