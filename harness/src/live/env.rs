//! The adapter's environment, both ways: what the harness tells a terminal process about its
//! world ([`terminal_env`]) and how `posfault terminal --stdio` reads it back
//! ([`AdapterEnv::from_env`]). Keeping both here is what makes the built-in terminal a faithful
//! stand-in for an external one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use posfault_proxies::dur::Dur;
use posfault_proxies::wire::{DialectName, Framing};

use crate::live::adapter::{VERSION, env};
use crate::scenario::Scenario;
use crate::terminal::{ReversalSave, TerminalConfig};
use crate::wire::Wire;

/// The environment of a terminal process for `scenario` (already time-scaled): the host
/// address it must dial (the fault proxy), an optional backup, and its state directory.
pub fn terminal_env(
    scenario: &Scenario,
    host: &str,
    backup: Option<&str>,
    state_dir: &Path,
) -> Vec<(String, String)> {
    let t = &scenario.terminal;
    let ms = |d: Dur| d.get().as_millis().to_string();
    let mut out = vec![
        (env::ADAPTER, VERSION.to_string()),
        (env::HOST, host.to_string()),
        (env::STATE_DIR, state_dir.display().to_string()),
        (env::DIALECT, scenario.dialect.to_string()),
        (env::FRAMING, scenario.framing.to_string()),
        (env::TERMINAL_ID, t.id.clone()),
        (env::MERCHANT_ID, t.merchant.clone()),
        (env::RESPONSE_TIMEOUT_MS, ms(t.response_timeout)),
        (env::CONNECT_TIMEOUT_MS, ms(t.connect_timeout)),
        (env::CONNECT_RETRIES, t.connect_retries.to_string()),
        (env::CONNECT_BACKOFF_MS, ms(t.connect_backoff)),
        (env::CONNECT_BACKOFF_MAX_MS, ms(t.connect_backoff_max)),
        (env::REVERSAL_RETRIES, t.reversal_retries.to_string()),
        (env::REVERSAL_INTERVAL_MS, ms(t.reversal_interval)),
        (
            env::REVERSAL_SAVE,
            match t.reversal_save {
                ReversalSave::BeforeSend => "before_send",
                ReversalSave::AfterSend => "after_send",
            }
            .to_string(),
        ),
    ];
    if let Some(b) = backup {
        out.push((env::BACKUP_HOST, b.to_string()));
    }
    if let Some(limit) = t.offline_floor_limit {
        out.push((env::OFFLINE_FLOOR_LIMIT, limit.to_string()));
    }
    if let Some(limit) = t.unable_to_go_online_limit {
        out.push((env::UNABLE_TO_GO_ONLINE_LIMIT, limit.to_string()));
    }
    if t.sign_on {
        out.push((env::SIGN_ON, "1".into()));
    }
    if let Some(d) = t.sign_on_idle {
        out.push((env::SIGN_ON_IDLE_MS, ms(d)));
    }
    if let Some(d) = t.echo_interval {
        out.push((env::ECHO_INTERVAL_MS, ms(d)));
    }
    if t.block_sales_while_reversal_pending {
        out.push((env::BLOCK_SALES_WHILE_REVERSAL_PENDING, "1".into()));
    }
    out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// What a terminal process learns from its environment.
#[derive(Debug, Clone)]
pub struct AdapterEnv {
    /// The host to dial.
    pub host: String,
    /// The backup host, when configured.
    pub backup: Option<String>,
    /// Where to keep what must survive a power cycle; `None` keeps it in memory.
    pub state_dir: Option<PathBuf>,
    /// Dialect and framing.
    pub wire: Wire,
    /// Identity and policy.
    pub config: TerminalConfig,
}

impl AdapterEnv {
    /// Reads the environment through `get` (`std::env::var` in the binary). Unset values take
    /// the reference terminal's defaults; a value that is set but wrong is an error naming the
    /// variable and what would be right.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<AdapterEnv, String> {
        match get(env::ADAPTER).as_deref() {
            Some("1") => {}
            Some(v) => {
                return Err(format!(
                    "{} is {v:?}: this terminal speaks adapter protocol version 1 only",
                    env::ADAPTER
                ));
            }
            None => {
                return Err(format!(
                    "{} is not set: `posfault terminal --stdio` is started by `posfault run`, \
                     which sets {}=1 and the rest of the environment (see docs/adapter.md)",
                    env::ADAPTER,
                    env::ADAPTER
                ));
            }
        }
        let host = get(env::HOST).ok_or_else(|| {
            format!(
                "{} is not set; expected the host address, e.g. 127.0.0.1:9583",
                env::HOST
            )
        })?;
        let dialect = match get(env::DIALECT) {
            None => DialectName::default(),
            Some(v) => v.parse().map_err(|e| format!("{}: {e}", env::DIALECT))?,
        };
        let framing = match get(env::FRAMING) {
            None => Framing::default(),
            Some(v) => v.parse().map_err(|e| format!("{}: {e}", env::FRAMING))?,
        };
        let mut config = TerminalConfig::default();
        if let Some(id) = get(env::TERMINAL_ID) {
            config.id = id;
        }
        if let Some(m) = get(env::MERCHANT_ID) {
            config.merchant = m;
        }
        let millis = |name: &str, into: &mut Dur| -> Result<(), String> {
            if let Some(v) = get(name) {
                let ms: u64 = v.parse().map_err(|_| {
                    format!("{name} is {v:?}; expected whole milliseconds, e.g. 1000")
                })?;
                *into = Dur(Duration::from_millis(ms));
            }
            Ok(())
        };
        millis(env::RESPONSE_TIMEOUT_MS, &mut config.response_timeout)?;
        millis(env::CONNECT_TIMEOUT_MS, &mut config.connect_timeout)?;
        millis(env::CONNECT_BACKOFF_MS, &mut config.connect_backoff)?;
        millis(env::CONNECT_BACKOFF_MAX_MS, &mut config.connect_backoff_max)?;
        millis(env::REVERSAL_INTERVAL_MS, &mut config.reversal_interval)?;
        let optional_millis = |name: &str, into: &mut Option<Dur>| -> Result<(), String> {
            if get(name).is_some() {
                let mut d = Dur::default();
                millis(name, &mut d)?;
                *into = Some(d);
            }
            Ok(())
        };
        optional_millis(env::SIGN_ON_IDLE_MS, &mut config.sign_on_idle)?;
        optional_millis(env::ECHO_INTERVAL_MS, &mut config.echo_interval)?;
        let count = |name: &str, into: &mut u32| -> Result<(), String> {
            if let Some(v) = get(name) {
                *into = v
                    .parse()
                    .map_err(|_| format!("{name} is {v:?}; expected a count, e.g. 3"))?;
            }
            Ok(())
        };
        count(env::CONNECT_RETRIES, &mut config.connect_retries)?;
        count(env::REVERSAL_RETRIES, &mut config.reversal_retries)?;
        let flag = |name: &str| -> Result<bool, String> {
            match get(name).as_deref() {
                None | Some("0") => Ok(false),
                Some("1") => Ok(true),
                Some(v) => Err(format!("{name} is {v:?}; expected 1 (on) or 0 (off)")),
            }
        };
        config.sign_on = flag(env::SIGN_ON)?;
        config.block_sales_while_reversal_pending = flag(env::BLOCK_SALES_WHILE_REVERSAL_PENDING)?;
        let amount = |name: &str| -> Result<Option<crate::money::Amount>, String> {
            get(name)
                .map(|v| {
                    v.parse().map_err(|e| {
                        format!("{name} is {v:?}: {e}; expected a decimal amount, e.g. 5.00")
                    })
                })
                .transpose()
        };
        config.offline_floor_limit = amount(env::OFFLINE_FLOOR_LIMIT)?;
        config.unable_to_go_online_limit = amount(env::UNABLE_TO_GO_ONLINE_LIMIT)?;
        match get(env::REVERSAL_SAVE).as_deref() {
            None | Some("before_send") => {}
            Some("after_send") => config.reversal_save = ReversalSave::AfterSend,
            Some(v) => {
                return Err(format!(
                    "{} is {v:?}; expected before_send or after_send",
                    env::REVERSAL_SAVE
                ));
            }
        }
        let backup = get(env::BACKUP_HOST);
        config.backup_host = backup.is_some();
        Ok(AdapterEnv {
            host,
            backup,
            state_dir: get(env::STATE_DIR).map(PathBuf::from),
            wire: Wire {
                dialect: dialect.dialect(),
                framing,
                envelope: None,
            },
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn the_terminal_reads_back_what_the_harness_wrote() {
        let s = load_str(
            r#"
name: t
description: env round trip
terminal: {id: TERM0042, response_timeout: 1500ms, reversal_retries: 2, reversal_interval: 300ms, reversal_save: after_send, connect_retries: 1, connect_backoff: 250ms, connect_backoff_max: 1s, backup_host: true, offline_floor_limit: "5.00", unable_to_go_online_limit: "30.00", sign_on: true, sign_on_idle: 20s, echo_interval: 7s, block_sales_while_reversal_pending: true}
host:
  accounts: [{id: a, balance: "1.00"}]
  cards: [{id: c, pan: "4761739001010010", account: a}]
schedule: [{sale: {id: t1, at: 1s, amount: "1.00", card: c}}]
"#,
            "t.yaml",
        )
        .unwrap();
        let vars: BTreeMap<String, String> =
            terminal_env(&s, "127.0.0.1:9", Some("127.0.0.1:10"), Path::new("/tmp/x"))
                .into_iter()
                .collect();
        let back = AdapterEnv::from_env(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(back.host, "127.0.0.1:9");
        assert_eq!(back.config.id, "TERM0042");
        assert_eq!(back.config.response_timeout, Dur::from_millis(1500));
        assert_eq!(back.config.reversal_retries, 2);
        assert_eq!(back.config.reversal_interval, Dur::from_millis(300));
        assert_eq!(back.config.reversal_save, ReversalSave::AfterSend);
        assert_eq!(back.state_dir.as_deref(), Some(Path::new("/tmp/x")));
        assert_eq!(back.backup.as_deref(), Some("127.0.0.1:10"));
        // Every policy field the scenario set arrives as it was set.
        let json = |c: &TerminalConfig| {
            let mut v = serde_json::to_value(c).unwrap();
            v.as_object_mut().unwrap().remove("command");
            v
        };
        assert_eq!(json(&back.config), json(&s.terminal));
    }

    #[test]
    fn a_v1_terminal_that_knows_only_the_first_variables_gets_the_defaults() {
        let back = AdapterEnv::from_env(|k| match k {
            "POSFAULT_ADAPTER" => Some("1".into()),
            "POSFAULT_HOST" => Some("127.0.0.1:1".into()),
            _ => None,
        })
        .unwrap();
        let d = TerminalConfig::default();
        assert_eq!(back.backup, None);
        assert!(!back.config.backup_host && !back.config.sign_on);
        assert_eq!(back.config.connect_retries, d.connect_retries);
        assert_eq!(back.config.offline_floor_limit, None);
        let e = AdapterEnv::from_env(|k| match k {
            "POSFAULT_ADAPTER" => Some("1".into()),
            "POSFAULT_HOST" => Some("127.0.0.1:1".into()),
            "POSFAULT_SIGN_ON" => Some("yes".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(e.contains("expected 1 (on) or 0 (off)"), "{e}");
    }

    #[test]
    fn a_missing_version_or_a_bad_number_is_explained() {
        let e = AdapterEnv::from_env(|_| None).unwrap_err();
        assert!(e.contains("POSFAULT_ADAPTER is not set"), "{e}");
        let e = AdapterEnv::from_env(|k| match k {
            "POSFAULT_ADAPTER" => Some("1".into()),
            "POSFAULT_HOST" => Some("127.0.0.1:1".into()),
            "POSFAULT_RESPONSE_TIMEOUT_MS" => Some("1s".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(e.contains("expected whole milliseconds"), "{e}");
    }
}
