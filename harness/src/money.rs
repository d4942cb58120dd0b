//! Money in minor units. Amounts are written as decimal strings in YAML (`"12.34"`), never as
//! floats, and carried in ISO 8583 field 4 as 12 digits of minor units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in minor units (cents, fen). Signed, so balances and credits share the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub i64);

impl Amount {
    /// The 12-digit field 4 form; `None` for negative or oversized amounts.
    pub fn to_field4(self) -> Option<String> {
        (0..=999_999_999_999)
            .contains(&self.0)
            .then(|| format!("{:012}", self.0))
    }

    /// Parses field 4 (12 digits of minor units).
    pub fn from_field4(s: &str) -> Option<Amount> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok().map(Amount)
        } else {
            None
        }
    }
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected an amount like \"12.34\" (two decimals), found {s:?}");
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = body.split_once('.').ok_or_else(bad)?;
        if whole.is_empty()
            || frac.len() != 2
            || !whole
                .bytes()
                .chain(frac.bytes())
                .all(|b| b.is_ascii_digit())
            || whole.len() > 15
        {
            return Err(bad());
        }
        let minor = whole.parse::<i64>().map_err(|_| bad())? * 100
            + frac.parse::<i64>().map_err(|_| bad())?;
        Ok(Amount(if neg { -minor } else { minor }))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount string like \"12.34\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "expected an amount string like \"12.34\", found the number {v}; quote it so no float rounding can creep in"
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "expected an amount string like \"{v}.00\", found the number {v}"
                )))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "expected an amount string like \"{v}.00\", found the number {v}"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// Described as the decimal string scenarios write, not as the minor units inside: an editor
/// then flags `amount: 12.34` (a float) as the loader does.
impl schemars::JsonSchema for Amount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^-?[0-9]{1,15}\.[0-9]{2}$",
            "description": "An amount as a quoted decimal string with exactly two decimals (\"12.34\"); numbers are refused so no float rounding creeps in.",
            "examples": ["12.34", "100.00"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_decimal_strings_only() {
        assert_eq!("12.34".parse::<Amount>(), Ok(Amount(1234)));
        assert_eq!("-0.05".parse::<Amount>(), Ok(Amount(-5)));
        assert!("12.3".parse::<Amount>().is_err());
        assert!("12".parse::<Amount>().is_err());
        assert!("1e3".parse::<Amount>().is_err());
    }

    #[test]
    fn field4_is_twelve_digits_of_minor_units() {
        assert_eq!(Amount(1234).to_field4().as_deref(), Some("000000001234"));
        assert_eq!(Amount::from_field4("000000001234"), Some(Amount(1234)));
        assert_eq!(Amount(-1).to_field4(), None);
        assert_eq!(Amount::from_field4("12.34"), None);
    }

    #[test]
    fn displays_with_two_decimals() {
        assert_eq!(Amount(100_000).to_string(), "1000.00");
        assert_eq!(Amount(-5).to_string(), "-0.05");
    }
}
