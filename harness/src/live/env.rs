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
        millis(env::REVERSAL_INTERVAL_MS, &mut config.reversal_interval)?;
        if let Some(v) = get(env::REVERSAL_RETRIES) {
            config.reversal_retries = v.parse().map_err(|_| {
                format!(
                    "{} is {v:?}; expected a count, e.g. 3",
                    env::REVERSAL_RETRIES
                )
            })?;
        }
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
        Ok(AdapterEnv {
            host,
            backup: get(env::BACKUP_HOST),
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
terminal: {id: TERM0042, response_timeout: 1500ms, reversal_retries: 2, reversal_interval: 300ms, reversal_save: after_send}
host:
  accounts: [{id: a, balance: "1.00"}]
  cards: [{id: c, pan: "4761739001010010", account: a}]
schedule: [{sale: {id: t1, at: 1s, amount: "1.00", card: c}}]
"#,
            "t.yaml",
        )
        .unwrap();
        let vars: BTreeMap<String, String> =
            terminal_env(&s, "127.0.0.1:9", None, Path::new("/tmp/x"))
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
        assert_eq!(back.backup, None);
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
