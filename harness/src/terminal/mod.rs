//! The reference terminal: the model of correct reversal, retry and reporting behaviour that the
//! checks are written against, with switchable defects that reproduce real terminal bugs.

mod config;
mod event;
mod messages;
pub use messages::{CardData, RUN_EPOCH_UNIX};
mod net;
pub(crate) mod reference;
mod store;

pub use config::{Defect, TerminalConfig};
pub use event::{FailReason, Outcome, ReversalState, TerminalEvent, TxnResult};
pub use net::{Dialer, Duplex, SimDialer};
pub use reference::ReferenceTerminal;
pub use store::{ReversalRecord, Store};
