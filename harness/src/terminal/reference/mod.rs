//! The reference terminal's behaviour.
//!
//! One sale: send any pending reversal first; take the next STAN; store the reversal record
//! (before the send by default, after it if the policy says so, as field terminals differ); send
//! the 0200; wait `response_timeout` for a reply. A valid reply (MTI + 10, same STAN, terminal id
//! and amount) deletes the record and is reported approved or declined. No reply, a lost
//! connection or an invalid reply makes the stored reversal due: it is sent at once (on the same
//! connection while it is open, so a late reply is seen, recorded and ignored), resent up to
//! `reversal_retries` times `reversal_interval` apart on new connections, and deleted only when
//! acknowledged. Each defect switch changes exactly the step its bug lives in.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use posfault_proxies::wire::Message;
use posfault_proxies::wire::framing::FrameCodec;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_util::codec::Framed;

use crate::terminal::api::SettleCommand;
use crate::terminal::api::{Command, SaleCommand, Terminal, TerminalIo};
use crate::terminal::config::{Defect, ReversalSave};
use crate::terminal::event::{FailReason, Outcome, ReversalState, TerminalEvent, TxnResult};
use crate::terminal::messages::{self, Ids, Stamp};
use crate::terminal::net::Duplex;
use crate::terminal::store::{BatchItem, ReversalRecord};

mod advice;
mod connect;
mod link;
mod network;
mod reversal;
mod sale;
mod settle;

/// The reference terminal. Its fields are volatile memory, lost at a power cycle; everything
/// that must survive lives in the [`crate::terminal::Store`].
#[derive(Default)]
pub struct ReferenceTerminal {
    /// Where the `reversal_not_persisted` defect keeps its reversal: RAM.
    volatile_reversals: Vec<ReversalRecord>,
    /// Whether this boot has signed on (the policy's `sign_on`).
    signed_on: bool,
    /// When the last exchange with the host (a command or a network message) ended: idle time
    /// for re-sign-on and echo tests counts from here.
    last_activity: std::time::Duration,
}

impl ReferenceTerminal {
    /// A freshly booted terminal.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Terminal for ReferenceTerminal {
    fn run<'a>(&'a mut self, io: &'a TerminalIo) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            self.last_activity = io.now();
            while let Some(cmd) = self.next_command(io).await {
                self.sign_on_if_due(io).await;
                match cmd {
                    Command::Sale(s) => self.sale(io, &s).await,
                    Command::Settle(s) => self.settle(io, &s).await,
                }
                self.last_activity = io.now();
            }
        })
    }
}
