//! The JSON Schema of scenario files, generated from the very types the loader deserializes
//! into, so an editor's completion and red squiggles cannot drift from what `posfault check`
//! accepts.
//!
//! The schema describes the shape (fields, enums, string forms such as `"30s"` or `"12.34"`);
//! cross-field rules (a card's account exists, a delay gives exactly one form) stay with
//! `posfault check`.

use schemars::generate::SchemaSettings;

use crate::scenario::Scenario;

/// The JSON Schema (draft 2020-12) of a scenario file.
pub fn scenario_schema() -> schemars::Schema {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Scenario>();
    schema.insert("title".into(), "posfault scenario".into());
    schema.insert(
        "description".into(),
        "A posfault scenario file: terminal, host, faults on the link, schedule and \
         expectations. Cross-field rules are checked by `posfault check`."
            .into(),
    );
    schema
}
