//! Reports of a run for people (Markdown, HTML) and machines (JSON, JUnit XML).
//!
//! Every format renders one shared view model ([`model::ReportModel`]), built once from the
//! runs, so the formats cannot disagree about what happened. Reports read only the transcript,
//! journal and verdicts, which hold masked card data only, and their content depends on
//! nothing but the runs: no wall clock, no hash order.

mod html;
pub mod i18n;
mod json;
mod junit;
mod ladder;
mod markdown;
pub mod model;

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use sha2::{Digest, Sha256};

pub use i18n::Lang;
pub use model::ReportModel;

use crate::runner::RunReport;
use crate::scenario::Scenario;

/// The version of the JSON report layout, documented in `docs/report-schema.md`. Bump it when
/// a field changes meaning or disappears; adding a field does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// A report format. Closed: adding one means a new file and a new arm in [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Format {
    /// Versioned JSON for machines (`report.json`).
    Json,
    /// JUnit XML for CI systems (`junit.xml`).
    Junit,
    /// Markdown for a CI job summary (`report.md`).
    Md,
    /// One self-contained HTML page with ladder diagrams (`report.html`).
    Html,
}

impl Format {
    /// Every format, in the order they are written.
    pub const ALL: [Format; 4] = [Format::Json, Format::Junit, Format::Md, Format::Html];

    /// The file the format is written to inside the report directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Md => "report.md",
            Format::Html => "report.html",
        }
    }
}

/// One scenario run, as the report needs it.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The scenario file as the user named it; replay commands use it.
    pub file: String,
    /// SHA-256 of the file's bytes, lower hex: proves which scenario text was run.
    pub sha256: String,
    /// The parsed scenario.
    pub scenario: Scenario,
    /// What the run produced.
    pub report: RunReport,
}

impl ScenarioRun {
    /// A run of a scenario whose file held `source`.
    pub fn new(file: &str, source: &[u8], scenario: Scenario, report: RunReport) -> Self {
        ScenarioRun {
            file: file.to_string(),
            sha256: sha256_hex(source),
            scenario,
            report,
        }
    }

    /// A run of the scenario in `file`, read again to hash exactly the bytes on disk.
    pub fn from_file(
        file: &Path,
        scenario: Scenario,
        report: RunReport,
    ) -> Result<Self, ReportError> {
        let source = std::fs::read(file).map_err(|source| ReportError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        Ok(Self::new(
            &file.display().to_string(),
            &source,
            scenario,
            report,
        ))
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A scenario file could not be read to hash it.
    #[error("{}: cannot read the scenario file to hash it: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The report directory or a report file could not be written.
    #[error("{}: cannot write the report: {source}", path.display())]
    Write {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A renderer failed to serialize (a bug: the model is plain data).
    #[error("cannot render the {format:?} report: {message}")]
    Render {
        /// Which format.
        format: Format,
        /// What the serializer said.
        message: String,
    },
}

/// Renders one format of the model in memory.
pub fn render(format: Format, lang: Lang, model: &ReportModel) -> Result<String, ReportError> {
    match format {
        Format::Json => json::render(model),
        Format::Junit => junit::render(model),
        Format::Md => Ok(markdown::render(model, lang)),
        Format::Html => Ok(html::render(model, lang)),
    }
}

/// Writes the chosen formats of the runs into `dir` (created if missing) and returns the files
/// written, in the order of [`Format::ALL`].
pub fn write_all(
    dir: &Path,
    formats: &[Format],
    lang: Lang,
    runs: &[ScenarioRun],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let model = ReportModel::build(runs);
    let mut written = Vec::new();
    for format in Format::ALL.into_iter().filter(|f| formats.contains(f)) {
        let path = dir.join(format.file_name());
        let text = render(format, lang, &model)?;
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Lower-hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
