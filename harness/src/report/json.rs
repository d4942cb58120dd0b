//! The JSON report: the view model as is, under a schema name and version, so tools can
//! refuse a layout they do not know. The layout is documented in `docs/report-schema.md`.

use serde::Serialize;

use crate::report::{Format, ReportError, ReportModel, SCHEMA_VERSION};

/// The schema name every JSON report carries.
pub const SCHEMA: &str = "posfault-report";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    model: &'a ReportModel,
}

/// Pretty-printed JSON with a final newline.
pub fn render(model: &ReportModel) -> Result<String, ReportError> {
    let doc = Document {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        model,
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Render {
        format: Format::Json,
        message: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}
