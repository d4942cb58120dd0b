//! `posfault schema`: the JSON Schema of scenario files, for editors (e.g. the VS Code YAML
//! extension's `# yaml-language-server: $schema=...` comment).

use std::io::Write;
use std::process::ExitCode;

use crate::cli::EXIT_PASS;
use crate::scenario::scenario_schema;

/// Prints the schema as pretty JSON on stdout.
pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let json = serde_json::to_string_pretty(&scenario_schema())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{json}")?;
    out.flush()?;
    Ok(ExitCode::from(EXIT_PASS))
}
