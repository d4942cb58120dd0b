//! Why POS transactions fail: the causes from the domain file `declines.yaml`, each with its
//! response codes, the category that decides how a terminal reports it, and operator advice in
//! English and Simplified Chinese.
//!
//! The file is compiled in (`harness/data/declines.yaml`, a copy of the project's shared domain
//! file) so a build never depends on paths outside the repository; it is parsed once.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The bundled domain file.
const DECLINES_YAML: &str = include_str!("../data/declines.yaml");

/// How a failure must be reported, and whether retrying can help.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The card or account says no; retrying the same card will not help.
    Cardholder,
    /// The merchant or terminal set-up is wrong.
    Merchant,
    /// Issuer or acquirer risk control refused it.
    Risk,
    /// A host or issuer is down, busy or broken; a retry later may help.
    System,
    /// Nothing valid came back in time; the terminal must reverse.
    Network,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Category::Cardholder => "cardholder",
            Category::Merchant => "merchant",
            Category::Risk => "risk",
            Category::System => "system",
            Category::Network => "network",
        };
        f.write_str(s)
    }
}

/// Operator-facing text in one language.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// What the failure means.
    pub meaning: String,
    /// What the operator should do.
    pub advice: String,
}

/// One cause of failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Stable identifier, e.g. `insufficient-funds`.
    pub id: String,
    /// Field 39 codes a host sends for it; empty for failures seen on the link.
    pub codes: Vec<String>,
    /// How it must be reported.
    pub category: Category,
    /// English texts.
    pub en: Text,
    /// Simplified Chinese texts.
    pub zh: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    causes: Vec<Cause>,
}

/// Every cause, in the domain file's order.
pub fn causes() -> &'static [Cause] {
    static CAUSES: OnceLock<Vec<Cause>> = OnceLock::new();
    CAUSES.get_or_init(|| {
        // Compiled-in data, checked by `bundled_file_parses_and_every_code_has_one_cause`.
        serde_yaml::from_str::<File>(DECLINES_YAML)
            .map(|f| f.causes)
            .unwrap_or_default()
    })
}

/// The cause a response code stands for, if the domain file lists the code.
pub fn by_code(rc: &str) -> Option<&'static Cause> {
    causes().iter().find(|c| c.codes.iter().any(|k| k == rc))
}

/// Whether `rc` says "try again later" (issuer unavailable 91, system malfunction 96) rather
/// than giving a final answer: a message refused so may be sent again as it is.
pub fn try_later(rc: &str) -> bool {
    by_code(rc)
        .is_some_and(|c| matches!(c.id.as_str(), "issuer-unavailable" | "system-malfunction"))
}

/// A cause by its id.
pub fn by_id(id: &str) -> Option<&'static Cause> {
    causes().iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn bundled_file_parses_and_every_code_has_one_cause() {
        let file: File = serde_yaml::from_str(DECLINES_YAML).expect("declines.yaml parses");
        assert_eq!(causes().len(), file.causes.len());
        assert!(causes().len() >= 20, "only {} causes", causes().len());
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for c in causes() {
            for code in &c.codes {
                if let Some(other) = owner.insert(code, &c.id) {
                    panic!("code {code} belongs to both {other} and {}", c.id);
                }
            }
        }
    }

    #[test]
    fn causes_seen_on_the_link_have_no_codes_and_are_network() {
        for c in causes() {
            assert_eq!(
                c.codes.is_empty(),
                c.category == Category::Network,
                "{} has codes {:?} and category {}",
                c.id,
                c.codes,
                c.category
            );
        }
    }

    #[test]
    fn the_bundled_copy_matches_the_shared_domain_file_when_it_is_there() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/domain/declines.yaml"
        );
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(text, DECLINES_YAML, "copy {shared} into harness/data/");
        }
    }

    #[test]
    fn lookup_by_code_and_id() {
        assert_eq!(
            by_code("51").map(|c| c.id.as_str()),
            Some("insufficient-funds")
        );
        assert_eq!(
            by_code("43").map(|c| c.category),
            Some(Category::Cardholder)
        );
        assert_eq!(by_code("00"), None);
        assert_eq!(
            by_id("no-response").map(|c| c.category),
            Some(Category::Network)
        );
    }

    #[test]
    fn only_busy_and_down_codes_say_try_later() {
        assert!(try_later("91") && try_later("96"));
        for final_answer in ["00", "05", "14", "30", "94", "95", "ZZ"] {
            assert!(!try_later(final_answer), "{final_answer}");
        }
    }
}
