//! Reading scenario files. All YAML parsing lives here, so serde_yaml (deprecated upstream)
//! can be swapped for a maintained fork in one place.

use std::fmt;
use std::path::Path;

use crate::host::HostConfig;
use crate::scenario::Scenario;
use crate::scenario::locate::Locations;
use crate::scenario::validate::{validate, validate_host};

/// A problem in a scenario file: where it is, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as given.
    pub file: String,
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
    /// Path to the value, e.g. `faults[2].action.delay`; empty for the whole document.
    pub path: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.location {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Loads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<ScenarioError>> {
    let (text, file) = read(path)?;
    load_str(&text, &file)
}

/// A file's text and the name errors give it.
fn read(path: &Path) -> Result<(String, String), Vec<ScenarioError>> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, file)),
        Err(e) => Err(vec![ScenarioError {
            file,
            location: None,
            path: String::new(),
            message: format!("cannot read the file: {e}"),
        }]),
    }
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn load_str(text: &str, file: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse_checked(text, file, validate)
}

/// Loads and validates a host configuration file of its own (the `host:` section of a
/// scenario, without the `host:` key), for `posfault host`.
pub fn load_host_file(path: &Path) -> Result<HostConfig, Vec<ScenarioError>> {
    let (text, file) = read(path)?;
    load_host_str(&text, &file)
}

/// Parses and validates host configuration text; `file` names it in errors.
pub fn load_host_str(text: &str, file: &str) -> Result<HostConfig, Vec<ScenarioError>> {
    parse_checked(text, file, |h| validate_host(h, ""))
}

/// Deserializes `text` strictly, then runs `check`; every error located in the text.
fn parse_checked<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    check: impl Fn(&T) -> Vec<(String, String)>,
) -> Result<T, Vec<ScenarioError>> {
    let de = serde_yaml::Deserializer::from_str(text);
    let scenario: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = bare_message(&inner, &path);
        vec![ScenarioError {
            file: file.to_string(),
            location: inner.location().map(|l| (l.line(), l.column())),
            path: if path == "." { String::new() } else { path },
            message,
        }]
    })?;
    let problems = check(&scenario);
    if problems.is_empty() {
        return Ok(scenario);
    }
    let locations = Locations::index(text);
    Err(problems
        .into_iter()
        .map(|(path, message)| ScenarioError {
            file: file.to_string(),
            location: locations.find(&path),
            path,
            message,
        })
        .collect())
}

/// serde_yaml's message without its own " at line L column C" suffix (we print the location
/// in front, compiler style) and without a path prefix it may add (we print ours).
pub(crate) fn bare_message(e: &serde_yaml::Error, path: &str) -> String {
    let mut s = e.to_string();
    if let Some(l) = e.location()
        && let Some(cut) = s.rfind(&format!(" at line {} column {}", l.line(), l.column()))
    {
        s.truncate(cut);
    }
    if let Some((prefix, rest)) = s.split_once(": ")
        && !prefix.is_empty()
        && path.starts_with(prefix)
    {
        return rest.to_string();
    }
    s
}
