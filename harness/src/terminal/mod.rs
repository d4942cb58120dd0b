//! The reference terminal: the model of correct reversal, retry and reporting behaviour that the
//! checks are written against, with switchable defects that reproduce real terminal bugs.

mod advices;
pub mod api;
mod config;
mod event;
mod messages;
pub use messages::{CardData, RUN_EPOCH_UNIX};
mod net;
mod reference;
mod store;

pub use advices::AdviceRecord;
pub use api::{
    After, Command, SaleCommand, Schedule, ScheduleFeed, Scheduled, SettleCommand, Terminal,
    TerminalIo,
};
pub use config::{Defect, Fleet, ReversalSave, TerminalConfig};
pub use event::{
    Advice, FailReason, OFFLINE_APPROVED, Outcome, ReversalState, TerminalEvent, TxnResult,
    UNABLE_ONLINE_APPROVED, is_offline_approval,
};
pub use net::{Dialer, Duplex, SimDialer, TcpDialer};
pub use reference::ReferenceTerminal;
pub use store::{BatchItem, ReversalRecord, Store};
