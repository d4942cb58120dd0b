//! The JUnit XML report, for CI systems: one test case per scenario run (so per seed when a
//! scenario runs with several), a failed run as a `<failure>` whose message names the checks
//! that were not as expected and whose text holds their findings and the replay command.
//!
//! No timestamps or durations are set: the report must not depend on the wall clock, and
//! simulated time is not what a CI system means by a test's duration.

use std::fmt::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::model::ScenarioView;
use crate::report::{Format, ReportError, ReportModel};

/// The XML text.
pub fn render(model: &ReportModel) -> Result<String, ReportError> {
    let mut report = Report::new("posfault");
    let mut suite = TestSuite::new("posfault scenarios");
    suite.add_property(Property::new("posfault.version", model.tool.version));
    for s in &model.scenarios {
        suite.add_test_case(test_case(s));
    }
    report.add_test_suite(suite);
    report.to_string().map_err(|e| ReportError::Render {
        format: Format::Junit,
        message: e.to_string(),
    })
}

fn test_case(s: &ScenarioView) -> TestCase {
    let status = if s.passed {
        TestCaseStatus::success()
    } else {
        let kind = if s.error.is_some() {
            NonSuccessKind::Error
        } else {
            NonSuccessKind::Failure
        };
        let mut st = TestCaseStatus::non_success(kind);
        st.set_message(failure_message(s));
        st.set_description(failure_text(s));
        st
    };
    let mut case = TestCase::new(format!("{} (seed {})", s.name, s.seed), status);
    case.set_classname(s.file.as_str());
    case.add_property(Property::new("seed", s.seed.to_string()));
    case.add_property(Property::new("sha256", s.sha256.as_str()));
    case.add_property(Property::new("dialect", s.dialect.as_str()));
    if !s.mode.is_sim() {
        case.add_property(Property::new("mode", "live"));
    }
    for r in &s.requirements {
        case.add_property(Property::new("requirement", r.as_str()));
    }
    case
}

/// One line: what was not as expected.
fn failure_message(s: &ScenarioView) -> String {
    let mut parts: Vec<String> = s
        .unexpected()
        .map(|v| {
            if v.passed {
                format!("{} passed but was expected to fail", v.check)
            } else {
                format!("{} failed", v.check)
            }
        })
        .collect();
    parts.extend(
        s.mismatches
            .iter()
            .map(|m| format!("{} not as pinned", m.subject())),
    );
    if let Some(e) = &s.error {
        parts.insert(0, format!("run error: {e}"));
    }
    parts.join("; ")
}

/// Every finding, mismatch and the replay command.
fn failure_text(s: &ScenarioView) -> String {
    let mut out = String::new();
    if let Some(e) = &s.error {
        let _ = writeln!(out, "run error: {e}");
    }
    for v in s.unexpected() {
        let note = if v.passed {
            "passed, but the scenario expects it to fail: the oracle missed the defect"
        } else {
            "failed"
        };
        let _ = writeln!(out, "{}: {note}", v.check);
        for f in &v.findings {
            let _ = writeln!(out, "  {f}");
        }
    }
    for m in &s.mismatches {
        let _ = writeln!(out, "{}: {}", m.subject(), m.problem);
    }
    let _ = writeln!(out, "replay: {}", s.replay);
    out
}
