//! The external terminal adapter protocol, version 1 (`docs/adapter.md`): JSON lines on the
//! terminal's stdin (commands) and stdout (ready, outcomes, notes), configuration in its
//! environment. Both ends live here, the harness's and `posfault terminal --stdio`'s, so they
//! cannot drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::host::EntryMode;
use crate::terminal::{
    FailReason, OFFLINE_APPROVED, Outcome, ReversalState, TxnResult, is_offline_approval,
};

/// The protocol version this harness speaks (`POSFAULT_ADAPTER` and every line's `v`).
pub const VERSION: u32 = 1;

/// Scenarios carry no currency; the harness sends every amount in ISO 4217 `156` (the code the
/// protocol's examples use). Terminals echo it in field 49 if they send one.
pub const CURRENCY: &str = "156";

/// Environment variable names (all strings; unset means "not configured").
pub mod env {
    /// Protocol version, `1`.
    pub const ADAPTER: &str = "POSFAULT_ADAPTER";
    /// Primary host address (the fault proxy in live runs), `127.0.0.1:PORT`.
    pub const HOST: &str = "POSFAULT_HOST";
    /// Backup host address, only when the scenario has one.
    pub const BACKUP_HOST: &str = "POSFAULT_BACKUP_HOST";
    /// A directory that survives power cycles within one run.
    pub const STATE_DIR: &str = "POSFAULT_STATE_DIR";
    /// `iso87` | `iso87-ascii` | `cup`.
    pub const DIALECT: &str = "POSFAULT_DIALECT";
    /// `u16be` | `bcd2` | `ascii4`.
    pub const FRAMING: &str = "POSFAULT_FRAMING";
    /// Field 41, 8 characters.
    pub const TERMINAL_ID: &str = "POSFAULT_TERMINAL_ID";
    /// Field 42, 15 characters.
    pub const MERCHANT_ID: &str = "POSFAULT_MERCHANT_ID";
    /// Milliseconds to wait for a reply.
    pub const RESPONSE_TIMEOUT_MS: &str = "POSFAULT_RESPONSE_TIMEOUT_MS";
    /// Milliseconds to wait for a connection.
    pub const CONNECT_TIMEOUT_MS: &str = "POSFAULT_CONNECT_TIMEOUT_MS";
    /// Connection attempts after the first.
    pub const CONNECT_RETRIES: &str = "POSFAULT_CONNECT_RETRIES";
    /// Reversal sends after the first.
    pub const REVERSAL_RETRIES: &str = "POSFAULT_REVERSAL_RETRIES";
    /// Milliseconds between reversal sends.
    pub const REVERSAL_INTERVAL_MS: &str = "POSFAULT_REVERSAL_INTERVAL_MS";
    /// `before_send` | `after_send`.
    pub const REVERSAL_SAVE: &str = "POSFAULT_REVERSAL_SAVE";

    // Optional v1 additions: a terminal that does not know one ignores it (and the checks judge
    // it on what it does), so v1 terminals keep working.

    /// Milliseconds before the first redial; each further redial waits twice as long.
    pub const CONNECT_BACKOFF_MS: &str = "POSFAULT_CONNECT_BACKOFF_MS";
    /// Longest pause between redials, in milliseconds.
    pub const CONNECT_BACKOFF_MAX_MS: &str = "POSFAULT_CONNECT_BACKOFF_MAX_MS";
    /// Offline floor limit, a decimal amount (`"5.00"`): sales up to it are approved offline
    /// and queued as 0220 advices. Set only when the scenario has one.
    pub const OFFLINE_FLOOR_LIMIT: &str = "POSFAULT_OFFLINE_FLOOR_LIMIT";
    /// A decimal amount: sales under it are approved offline (`Y3`) when no host can be
    /// reached. Set only when the scenario has one.
    pub const UNABLE_TO_GO_ONLINE_LIMIT: &str = "POSFAULT_UNABLE_TO_GO_ONLINE_LIMIT";
    /// `1`: sign on (0800 code 001) at every boot. Set only when the scenario asks.
    pub const SIGN_ON: &str = "POSFAULT_SIGN_ON";
    /// Milliseconds of silence after which the terminal signs on again. Only when set.
    pub const SIGN_ON_IDLE_MS: &str = "POSFAULT_SIGN_ON_IDLE_MS";
    /// Milliseconds of idle link after which an echo test (0800 code 301) goes out. Only when set.
    pub const ECHO_INTERVAL_MS: &str = "POSFAULT_ECHO_INTERVAL_MS";
    /// `1`: refuse sales unsent while a reversal is unacknowledged. Only when the scenario asks.
    pub const BLOCK_SALES_WHILE_REVERSAL_PENDING: &str =
        "POSFAULT_BLOCK_SALES_WHILE_REVERSAL_PENDING";
}

/// A card as a command carries it. The PAN and PIN are in clear: the terminal needs them, and
/// the harness never records this line, only the masked `command` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterCard {
    /// Full PAN.
    pub pan: String,
    /// `YYMM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// `manual`, `swipe`, `chip`, `contactless` or `fallback`.
    pub entry: String,
    /// The PIN the cardholder entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// One command line on the terminal's stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterCommand {
    /// Protocol version.
    pub v: u32,
    /// Transaction id, echoed in the outcome (absent for `shutdown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `sale`, `auth`, `refund`, `settle` or `shutdown`.
    pub op: String,
    /// Decimal amount with two decimals, in the currency's major unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// ISO 4217 numeric currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The card, for `sale`, `auth` and `refund`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<AdapterCard>,
}

impl AdapterCommand {
    /// `{"v":1,"op":"shutdown"}`.
    pub fn shutdown() -> Self {
        AdapterCommand {
            v: VERSION,
            id: None,
            op: "shutdown".into(),
            amount: None,
            currency: None,
            card: None,
        }
    }

    /// The command as one line, newline included.
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The protocol's name for an entry mode. `keyed` is `manual`; `fallback` (magstripe after a
/// failed chip read) reads as `swipe`, the mode the reference terminal then reports.
pub fn entry_name(mode: EntryMode) -> &'static str {
    match mode {
        EntryMode::Chip => "chip",
        EntryMode::Swipe => "swipe",
        EntryMode::Contactless => "contactless",
        EntryMode::Keyed => "manual",
    }
}

/// The entry mode a protocol name stands for.
pub fn entry_mode(name: &str) -> Option<EntryMode> {
    Some(match name {
        "chip" => EntryMode::Chip,
        "swipe" | "fallback" => EntryMode::Swipe,
        "contactless" => EntryMode::Contactless,
        "manual" => EntryMode::Keyed,
        _ => return None,
    })
}

/// One outcome line on the terminal's stdout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterOutcome {
    /// Protocol version.
    pub v: u32,
    /// Always `outcome`.
    pub event: String,
    /// The command's id.
    pub id: String,
    /// approved, declined or failed.
    pub result: TxnResult,
    /// The STAN the terminal used.
    #[serde(default)]
    pub stan: String,
    /// Response code, when a valid reply came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rc: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<FailReason>,
    /// Where the reversal stands, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal: Option<ReversalState>,
    /// What the terminal shows.
    #[serde(default)]
    pub display: String,
}

impl AdapterOutcome {
    /// The line for an outcome the reference terminal reported.
    pub fn from_outcome(o: &Outcome) -> Self {
        AdapterOutcome {
            v: VERSION,
            event: "outcome".into(),
            id: o.txn.clone(),
            result: o.result,
            stan: o.stan.clone(),
            rc: o.rc.clone(),
            reason: o.reason,
            reversal: o.reversal,
            display: o.display.clone(),
        }
    }

    /// The outcome as the checks read it. Cause, category and advice are looked up in
    /// `declines.yaml` from the result, code and reason, as v1 terminals do not send them; the
    /// terminal's own display text is kept.
    pub fn into_outcome(self) -> Result<Outcome, String> {
        let mut o = match self.result {
            TxnResult::Approved | TxnResult::Declined => {
                let rc = self.rc.ok_or_else(|| {
                    format!("outcome {}: result {:?} needs an rc", self.id, self.result)
                })?;
                let offline = is_offline_approval(Some(&rc));
                let approval = rc == "00" || offline;
                if approval != (self.result == TxnResult::Approved) {
                    return Err(format!(
                        "outcome {}: result {:?} with rc {rc:?}; approved is rc \"00\" (or \
                         \"{OFFLINE_APPROVED}\" or \"Y3\" for an offline approval) and only that",
                        self.id, self.result
                    ));
                }
                if offline {
                    let mut o = Outcome::approved_offline(&self.id, &self.stan);
                    o.rc = Some(rc);
                    o
                } else {
                    Outcome::answered(&self.id, &self.stan, &rc)
                }
            }
            TxnResult::Failed => Outcome::failed(
                &self.id,
                &self.stan,
                self.reason.unwrap_or(FailReason::NoResponse),
                self.reversal.unwrap_or(ReversalState::None),
            ),
        };
        if !self.display.is_empty() {
            o.display = mask_pans(&self.display);
        }
        Ok(o)
    }
}

/// What one stdout line of the terminal is.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// `{"event":"ready"}`, with the terminal's name and version.
    Ready(String),
    /// An outcome.
    Outcome(AdapterOutcome),
    /// `{"event":"note","text":...}`.
    Note(String),
    /// Not protocol: logged.
    Other(String),
}

/// Reads one stdout line. A line that claims to be an outcome but is malformed is an error:
/// the harness would otherwise wait for an outcome that never comes.
pub fn parse_line(line: &str) -> Result<Said, String> {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line) else {
        return Ok(Said::Other(line.to_string()));
    };
    let event = obj.get("event").and_then(|e| e.as_str()).unwrap_or("");
    match event {
        "ready" => Ok(Said::Ready(
            obj.get("terminal")
                .and_then(|t| t.as_str())
                .unwrap_or("unnamed terminal")
                .to_string(),
        )),
        "outcome" => serde_json::from_value::<AdapterOutcome>(serde_json::Value::Object(obj))
            .map(Said::Outcome)
            .map_err(|e| {
                format!(
                    "unreadable outcome line {:?}: {e}; expected {{\"v\":1,\"event\":\"outcome\",\
                     \"id\":\"t1\",\"result\":\"approved|declined|failed\",\"stan\":\"000001\",...}}",
                    mask_pans(line)
                )
            }),
        "note" => match obj.get("text").and_then(|t| t.as_str()) {
            Some(t) => Ok(Said::Note(t.to_string())),
            None => Ok(Said::Other(line.to_string())),
        },
        _ => Ok(Said::Other(line.to_string())),
    }
}

/// `{"v":1,"event":"ready","terminal":NAME}` as a line.
pub fn ready_line(name: &str) -> String {
    let mut m = BTreeMap::new();
    m.insert("v", serde_json::Value::from(VERSION));
    m.insert("event", "ready".into());
    m.insert("terminal", name.into());
    serde_json::to_string(&m).unwrap_or_default()
}

/// `{"v":1,"event":"note","text":TEXT}` as a line.
pub fn note_line(text: &str) -> String {
    let mut m = BTreeMap::new();
    m.insert("v", serde_json::Value::from(VERSION));
    m.insert("event", "note".into());
    m.insert("text", text.into());
    serde_json::to_string(&m).unwrap_or_default()
}

/// `text` with every run of 13 to 19 digits that passes the Luhn check (anything that looks like
/// a PAN) masked to its first 6 and last 4 digits. Terminal logs are free text, so this is the
/// only protection the transcript has against a terminal that prints card numbers.
pub fn mask_pans(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let run = &text[start..i];
            if (13..=19).contains(&run.len()) && crate::host::luhn_ok(run) {
                out.push_str(&posfault_proxies::wire::mask::mask_pan(run));
            } else {
                out.push_str(run);
            }
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pan_in_free_text_is_masked_and_other_numbers_are_not() {
        assert_eq!(
            mask_pans("card 4761739001010010 amount 000000001234 stan 000001"),
            "card 476173******0010 amount 000000001234 stan 000001"
        );
        // 16 digits failing Luhn: not a PAN.
        assert_eq!(mask_pans("4761739001010011"), "4761739001010011");
        assert_eq!(mask_pans("émoji ✓ 12"), "émoji ✓ 12");
    }

    #[test]
    fn lines_are_read_as_the_protocol_says() {
        assert_eq!(
            parse_line(r#"{"v":1,"event":"ready","terminal":"py 1.0"}"#),
            Ok(Said::Ready("py 1.0".into()))
        );
        assert_eq!(
            parse_line(r#"{"v":1,"event":"note","text":"hi"}"#),
            Ok(Said::Note("hi".into()))
        );
        assert_eq!(parse_line("booting"), Ok(Said::Other("booting".into())));
        let Ok(Said::Outcome(o)) = parse_line(
            r#"{"v":1,"event":"outcome","id":"t1","result":"failed","stan":"000001","reason":"no_response","reversal":"acknowledged","display":"X"}"#,
        ) else {
            panic!("an outcome")
        };
        let o = o.into_outcome().unwrap();
        assert_eq!(o.reversal, Some(ReversalState::Acknowledged));
        assert_eq!(o.cause.as_deref(), Some("no-response"));
        let bad = parse_line(r#"{"v":1,"event":"outcome","id":"t1","result":"maybe"}"#);
        assert!(bad.unwrap_err().contains("unreadable outcome"));
    }

    #[test]
    fn an_approval_without_rc_00_is_refused() {
        let Ok(Said::Outcome(o)) = parse_line(
            r#"{"v":1,"event":"outcome","id":"t1","result":"approved","stan":"000001","rc":"05"}"#,
        ) else {
            panic!("an outcome")
        };
        assert!(o.into_outcome().unwrap_err().contains("approved is rc"));
        let Ok(Said::Outcome(o)) = parse_line(
            r#"{"v":1,"event":"outcome","id":"t1","result":"approved","stan":"000001","rc":"Y1"}"#,
        ) else {
            panic!("an outcome")
        };
        assert_eq!(
            o.into_outcome().unwrap(),
            Outcome::approved_offline("t1", "000001")
        );
        let Ok(Said::Outcome(o)) = parse_line(
            r#"{"v":1,"event":"outcome","id":"t1","result":"approved","stan":"000001","rc":"Y3"}"#,
        ) else {
            panic!("an outcome")
        };
        let o = o.into_outcome().unwrap();
        assert_eq!(
            o.rc.as_deref(),
            Some("Y3"),
            "the terminal's own code is kept"
        );
        assert!(crate::terminal::is_offline_approval(o.rc.as_deref()));
    }

    #[test]
    fn commands_serialise_as_in_the_protocol() {
        let c = AdapterCommand {
            v: 1,
            id: Some("t1".into()),
            op: "sale".into(),
            amount: Some("12.34".into()),
            currency: Some(CURRENCY.into()),
            card: Some(AdapterCard {
                pan: "4761739001010010".into(),
                expiry: Some("2812".into()),
                entry: "chip".into(),
                pin: None,
            }),
        };
        assert_eq!(
            c.line(),
            "{\"v\":1,\"id\":\"t1\",\"op\":\"sale\",\"amount\":\"12.34\",\"currency\":\"156\",\
             \"card\":{\"pan\":\"4761739001010010\",\"expiry\":\"2812\",\"entry\":\"chip\"}}\n"
        );
        assert_eq!(
            AdapterCommand::shutdown().line(),
            "{\"v\":1,\"op\":\"shutdown\"}\n"
        );
    }
}
