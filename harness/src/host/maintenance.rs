//! Maintenance windows: spans of run time in which the host refuses connections, accepts and
//! closes them, or answers 91 (issuer or switch inoperative), the way banks do during
//! scheduled maintenance.

use std::time::Duration;

use posfault_proxies::dur::Dur;
use serde::{Deserialize, Serialize};

/// One maintenance window, `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start, from the run's start.
    pub from: Dur,
    /// End, from the run's start.
    pub until: Dur,
    /// What the host does meanwhile.
    pub mode: Mode,
}

/// How the host behaves during a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing listens: connecting fails, so the terminal knows nothing was sent.
    Refuse,
    /// Connections are accepted and each request read, then the connection is closed without
    /// an answer: the terminal cannot know whether it went through.
    AcceptThenClose,
    /// Every request is answered 91 and nothing is processed.
    #[serde(rename = "answer_91")]
    Answer91,
}

/// The mode in force at `now`, if a window covers it (the first listed wins).
pub fn mode_at(windows: &[Window], now: Duration) -> Option<Mode> {
    windows
        .iter()
        .find(|w| w.from.get() <= now && now < w.until.get())
        .map(|w| w.mode)
}

/// When a `refuse` window covering `now` ends, if one does.
pub fn refusing_until(windows: &[Window], now: Duration) -> Option<Duration> {
    windows
        .iter()
        .filter(|w| w.mode == Mode::Refuse && w.from.get() <= now && now < w.until.get())
        .map(|w| w.until.get())
        .max()
}

/// When the next `refuse` window after `now` starts, if any.
pub fn next_refusal(windows: &[Window], now: Duration) -> Option<Duration> {
    windows
        .iter()
        .filter(|w| w.mode == Mode::Refuse && w.from.get() > now)
        .map(|w| w.from.get())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(from: u64, until: u64, mode: Mode) -> Window {
        Window {
            from: Dur::from_secs(from),
            until: Dur::from_secs(until),
            mode,
        }
    }

    #[test]
    fn windows_cover_from_inclusive_to_until_exclusive() {
        let ws = [w(10, 20, Mode::Answer91)];
        assert_eq!(mode_at(&ws, Duration::from_secs(9)), None);
        assert_eq!(mode_at(&ws, Duration::from_secs(10)), Some(Mode::Answer91));
        assert_eq!(mode_at(&ws, Duration::from_secs(20)), None);
    }

    #[test]
    fn refusal_windows_tell_when_they_end_and_start() {
        let ws = [w(10, 20, Mode::Refuse), w(30, 40, Mode::AcceptThenClose)];
        assert_eq!(
            refusing_until(&ws, Duration::from_secs(15)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(refusing_until(&ws, Duration::from_secs(35)), None);
        assert_eq!(
            next_refusal(&ws, Duration::from_secs(5)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(next_refusal(&ws, Duration::from_secs(15)), None);
    }
}
