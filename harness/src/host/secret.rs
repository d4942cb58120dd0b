//! Reading secret card values (PIN, expiry) from YAML without ever echoing them: serde's own
//! errors quote the value they got (`invalid type: integer 1234`), which would print a PIN.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Deserializes an optional secret string; any other type is refused without quoting it.
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(SecretVisitor).map(Some)
}

struct SecretVisitor;

impl Visitor<'_> for SecretVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quoted string of digits")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        Err(E::custom(
            "expected a quoted string of digits (\"0123\"), found a number; quote it so leading zeros survive",
        ))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        Err(E::custom(
            "expected a quoted string of digits, found a number",
        ))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Err(E::custom(
            "expected a quoted string of digits, found a number",
        ))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Err(E::custom(
            "expected a quoted string of digits, found a boolean",
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_host_str;

    #[test]
    fn an_unquoted_pin_or_expiry_is_refused_without_printing_it() {
        for field in ["pin: 4719", "expiry: 2812"] {
            let text = format!(
                "accounts: [{{id: a, balance: \"1.00\"}}]\ncards:\n  - {{id: c, pan: \"4761739001010010\", account: a, {field}}}\n"
            );
            let err = load_host_str(&text, "h.yaml").unwrap_err()[0].to_string();
            assert!(err.contains("found a number"), "{err}");
            assert!(!err.contains("4719") && !err.contains("2812"), "{err}");
        }
    }
}
