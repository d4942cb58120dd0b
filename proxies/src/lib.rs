#![warn(missing_docs)]
//! posfault's wire side: ISO 8583 framing and codec ([`wire`]), the seeded fault engine
//! ([`fault`]), and the proxy loop that applies it to real or simulated TCP ([`link`]).
//! Nothing here knows about tests, scenarios or checks.

pub mod dur;
pub mod fault;
pub mod link;
pub mod wire;
