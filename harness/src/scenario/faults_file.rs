//! The live proxy's `--faults` file: the `faults:` list of a scenario, alone, with the same
//! strict parsing and located errors.

use std::path::Path;

use posfault_proxies::fault::Rule;
use serde::Deserialize;

use crate::scenario::ScenarioError;
use crate::scenario::load::bare_message;
use crate::scenario::locate::Locations;
use crate::scenario::validate::validate_rules;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsFile {
    faults: Vec<Rule>,
}

/// Loads and validates a faults file (`faults: [...]`, as in a scenario).
pub fn load_faults_file(path: &Path) -> Result<Vec<Rule>, Vec<ScenarioError>> {
    let file = path.display().to_string();
    let error = |location, path: String, message: String| ScenarioError {
        file: file.clone(),
        location,
        path,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![error(
            None,
            String::new(),
            format!("cannot read the file: {e}"),
        )]
    })?;
    let de = serde_yaml::Deserializer::from_str(&text);
    let parsed: FaultsFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        let inner = e.into_inner();
        let message = bare_message(&inner, &p);
        let p = if p == "." { String::new() } else { p };
        vec![error(
            inner.location().map(|l| (l.line(), l.column())),
            p,
            message,
        )]
    })?;
    let problems = validate_rules(&parsed.faults);
    if problems.is_empty() {
        return Ok(parsed.faults);
    }
    let locations = Locations::index(&text);
    Err(problems
        .into_iter()
        .map(|(p, m)| error(locations.find(&p), p, m))
        .collect())
}
