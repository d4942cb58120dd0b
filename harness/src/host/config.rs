//! The `host:` section of a scenario.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Amount;

/// The reference host's configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Accounts and their opening balances.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// Cards the host knows, each tied to an account.
    #[serde(default)]
    pub cards: Vec<CardConfig>,
}

/// One account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Account id, referenced by cards.
    pub id: String,
    /// Opening balance, e.g. `"100.00"`.
    pub balance: Amount,
}

/// One card.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardConfig {
    /// Card id, referenced by the schedule; keeps PANs in one place.
    pub id: String,
    /// The card number. Use test PANs.
    pub pan: Pan,
    /// The account the card draws on.
    pub account: String,
}

/// A primary account number: 12 to 19 digits. Its `Debug`, `Display` and serialized forms are
/// masked (first 6 + last 4), so a config dump cannot leak it; [`Pan::reveal`] is the only way
/// to the digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pan(String);

impl Pan {
    /// Parses a PAN.
    pub fn new(s: &str) -> Result<Pan, String> {
        if (12..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pan(s.to_string()))
        } else {
            Err(format!(
                "expected a card number of 12 to 19 digits, found {} characters",
                s.chars().count()
            ))
        }
    }

    /// The digits. Only for putting the PAN on the wire.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// First 6 + last 4.
    pub fn masked(&self) -> String {
        posfault_proxies::wire::mask::mask_pan(&self.0)
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Pan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for Pan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Pan;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a card number as a quoted string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Pan, E> {
                Pan::new(v).map_err(E::custom)
            }
            // A number here must not be echoed back: the error would print the PAN.
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Pan, E> {
                Err(E::custom(
                    "expected the card number as a quoted string (\"4761...\"), found a number",
                ))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Pan, E> {
                Err(E::custom(
                    "expected the card number as a quoted string, found a number",
                ))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Pan, E> {
                Err(E::custom(
                    "expected the card number as a quoted string, found a number",
                ))
            }
        }
        d.deserialize_any(V)
    }
}
