//! Network management: signing on at boot and after idle time, and echo tests on an idle link.
//! Neither is a transaction, so neither is reported as an outcome; their frames and the host's
//! journal tell the story, and a failure is noted for the reader.

use super::link::*;
use super::*;

use crate::terminal::messages::management;

impl ReferenceTerminal {
    /// The next command; while the link is idle for `echo_interval` and no command is due
    /// sooner, echo tests go out first. The wait is computed from the schedule's next due time,
    /// so there is no race between a timer and the schedule.
    pub(super) async fn next_command(&mut self, io: &TerminalIo) -> Option<Command> {
        while let (Some(every), Some(due)) = (io.config.echo_interval, io.schedule.next_due()) {
            let echo_at = self.last_activity + every.get();
            if echo_at >= due {
                break;
            }
            tokio::time::sleep(echo_at.saturating_sub(io.now())).await;
            self.management(io, management::ECHO).await;
            self.last_activity = io.now();
        }
        io.schedule.next().await
    }

    /// Signs on when the policy asks and this boot has not, or the link was idle too long.
    pub(super) async fn sign_on_if_due(&mut self, io: &TerminalIo) {
        let cfg = &io.config;
        if !cfg.sign_on {
            return;
        }
        let idle = io.now().saturating_sub(self.last_activity);
        let stale = cfg.sign_on_idle.is_some_and(|limit| idle >= limit.get());
        if self.signed_on && !stale {
            return;
        }
        self.signed_on = self.management(io, management::SIGN_ON).await;
        self.last_activity = io.now();
    }

    /// One 0800 exchange; true when the host answered 00.
    async fn management(&mut self, io: &TerminalIo, code: &str) -> bool {
        let stan = io.store.next_stan();
        let ids = Ids {
            terminal: &io.config.id,
            merchant: &io.config.merchant,
        };
        let req =
            messages::network_management(&ids, &stan, code, &Stamp::at(io.now()), io.wire.dialect);
        let what = if code == management::SIGN_ON {
            "sign-on"
        } else {
            "echo test"
        };
        let result = match self.open(io, &stan).await {
            Err(f) => Err(describe(io, f)),
            Ok(mut conn) => match send(io, &mut conn, &req).await {
                Err(f) => Err(describe(io, f)),
                Ok(()) => {
                    let deadline = Instant::now() + io.config.response_timeout.get();
                    match receive(io, &mut conn, deadline).await {
                        Err(f) => Err(describe(io, f)),
                        Ok(rsp) => match validate(&req, &rsp) {
                            Ok(rc) if rc == "00" => Ok(()),
                            Ok(rc) => Err(format!("host answered RC {rc}")),
                            Err(why) => Err(why),
                        },
                    }
                }
            },
        };
        if let Err(why) = &result {
            io.note(TerminalEvent::ManagementFailed {
                what: what.into(),
                stan,
                why: why.clone(),
            });
        }
        result.is_ok()
    }
}
