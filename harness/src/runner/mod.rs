//! Running scenarios: wiring terminal, proxy and host in a seeded turmoil simulation, then
//! judging the transcript.

mod partitions;
mod power;
mod report;
mod sim;
#[cfg(test)]
mod tests_steps;

pub use report::{OutcomeMismatch, RunReport};
pub use sim::{run, run_with};
