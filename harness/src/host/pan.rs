//! Card numbers: masked in every output, checked with Luhn.

use std::fmt;

use serde::{Deserialize, Serialize};

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

/// Described as the quoted digit string scenarios write (never a number, whose error would echo
/// the PAN).
impl schemars::JsonSchema for Pan {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Pan".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{12,19}$",
            "description": "A card number: 12 to 19 digits, quoted. Use Luhn-valid test PANs (one that fails Luhn declines 14).",
            "examples": ["4761739001010010"],
        })
    }
}

/// Whether `digits` passes the Luhn (mod 10) check card numbers carry.
pub fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_pans_and_rejects_one_wrong_digit() {
        assert!(luhn_ok("4761739001010010"));
        assert!(luhn_ok("4111111111111111"));
        assert!(!luhn_ok("4761739001010011"));
        assert!(!luhn_ok(""));
    }

    #[test]
    fn every_printed_form_is_masked() {
        let pan = Pan::new("4761739001010010").unwrap();
        for shown in [
            format!("{pan}"),
            format!("{pan:?}"),
            serde_json::to_string(&pan).unwrap(),
        ] {
            assert!(shown.contains("476173******0010"), "{shown}");
        }
    }
}
