//! Durations as they are written in YAML: strings like `30s`, `250ms`, `1m 30s`.
//!
//! Bare numbers are refused: `timeout: 30` could mean seconds or milliseconds, and a terminal
//! timeout off by a factor of 1000 is exactly the bug this tool exists to catch.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration read from and written to YAML as a human string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub Duration);

impl Dur {
    /// From milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Dur(Duration::from_millis(ms))
    }

    /// From seconds.
    pub const fn from_secs(s: u64) -> Self {
        Dur(Duration::from_secs(s))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }
}

impl std::str::FromStr for Dur {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s).map(Dur).map_err(|e| {
            format!("expected a duration like \"30s\" or \"250ms\", found {s:?} ({e})")
        })
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurVisitor)
    }
}

/// The humantime units `Dur` accepts, longest first so a regex alternation takes the whole word.
const UNITS: &str = "nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|M|years|year|yrs|yr|y";

/// Described as what a scenario writes, a string with a unit, not as the `Duration` inside: an
/// editor then flags `timeout: 30` as the user types it, as the loader would.
impl schemars::JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let pattern = format!(r"^\s*([0-9]+(\.[0-9]+)?\s*({UNITS})\s*)+$");
        schemars::json_schema!({
            "type": "string",
            "pattern": pattern,
            "description": "A duration with its unit: \"250ms\", \"30s\", \"1m 30s\", \"1h\". A bare number is refused: seconds or milliseconds would be a guess.",
            "examples": ["250ms", "30s", "1m 30s"],
        })
    }
}

struct DurVisitor;

impl DurVisitor {
    fn number<E: de::Error>(n: impl fmt::Display) -> E {
        E::custom(format_args!(
            "expected a duration like \"30s\", found {n} (write the unit: \"{n}s\" or \"{n}ms\")"
        ))
    }
}

impl Visitor<'_> for DurVisitor {
    type Value = Dur;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration like \"30s\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        Err(Self::number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Err(Self::number(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(Self::number(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_required() {
        assert_eq!("250ms".parse::<Dur>(), Ok(Dur::from_millis(250)));
        assert_eq!("1m 30s".parse::<Dur>(), Ok(Dur::from_secs(90)));
        assert!("30".parse::<Dur>().unwrap_err().contains("\"30s\""));
    }

    #[test]
    fn display_round_trips() {
        let d = Dur::from_millis(60_250);
        assert_eq!(d.to_string().parse::<Dur>(), Ok(d));
    }
}
