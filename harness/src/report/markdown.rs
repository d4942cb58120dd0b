//! The Markdown report, sized for a CI job summary: totals, the certification summary, a table
//! of scenarios, and for each failed run its story in short: which checks were not as
//! expected and why that matters, what the terminal reported with advice, and how to replay.

use std::fmt::Write;

use crate::declines;
use crate::report::ReportModel;
use crate::report::i18n::{Lang, Msg};
use crate::report::model::{OutcomeView, ScenarioView};
use crate::terminal::ReversalState;

/// The Markdown text.
pub fn render(model: &ReportModel, lang: Lang) -> String {
    let t = |m| lang.t(m);
    let mut out = String::new();
    let tot = model.totals;
    let _ = writeln!(out, "# {}\n", t(Msg::Title));
    let _ = writeln!(
        out,
        "{} {} · {} {}: **{} {}**, **{} {}**\n",
        model.tool.name,
        model.tool.version,
        tot.scenarios,
        t(Msg::Scenarios).to_lowercase(),
        tot.passed,
        t(Msg::Passed),
        tot.failed,
        t(Msg::Failed),
    );

    let _ = writeln!(out, "## {}\n", t(Msg::CertSummary));
    if model.requirements.is_empty() {
        let _ = writeln!(out, "{}\n", t(Msg::NoRequirements));
    } else {
        let _ = writeln!(out, "{}\n", t(Msg::CertNote));
        let _ = writeln!(
            out,
            "| {} | {} | {} |\n|---|---|---|",
            t(Msg::Requirement),
            t(Msg::Status),
            t(Msg::Evidence)
        );
        for r in &model.requirements {
            let status = if r.met {
                format!("✅ {}", t(Msg::Met))
            } else {
                format!("❌ {}", t(Msg::NotMet))
            };
            let evidence: Vec<String> = r
                .evidence
                .iter()
                .map(|e| {
                    let mark = if e.passed { "✅" } else { "❌" };
                    format!("{mark} `{}` ({})", cell(&e.scenario), e.seed)
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {status} | {} |",
                cell(&r.id),
                evidence.join("<br>")
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## {}\n", t(Msg::Scenarios));
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
        t(Msg::Status),
        t(Msg::Scenario),
        t(Msg::Seed),
        t(Msg::Requirements),
        t(Msg::Checks)
    );
    for s in &model.scenarios {
        let ok = s.verdicts.iter().filter(|v| v.as_expected).count();
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {ok}/{} |",
            status(lang, s.passed),
            cell(&s.name),
            s.seed,
            cell(&s.requirements.join(", ")),
            s.verdicts.len()
        );
    }
    out.push('\n');

    let _ = writeln!(out, "## {}\n", t(Msg::Failures));
    let failed: Vec<&ScenarioView> = model.scenarios.iter().filter(|s| !s.passed).collect();
    if failed.is_empty() {
        let _ = writeln!(out, "{}", t(Msg::NoFailures));
    }
    for s in failed {
        failure(&mut out, lang, s);
    }
    out
}

fn failure(out: &mut String, lang: Lang, s: &ScenarioView) {
    let t = |m| lang.t(m);
    let _ = writeln!(out, "### ❌ {} ({} {})\n", s.name, t(Msg::Seed), s.seed);
    let _ = writeln!(out, "> {}\n", s.description.replace('\n', " "));
    let _ = writeln!(out, "**{}**\n", t(Msg::WhyFailed));
    if let Some(e) = &s.error {
        let _ = writeln!(out, "- {}: {}", t(Msg::RunError), inline(e));
    }
    for v in s.unexpected() {
        let note = if v.passed {
            t(Msg::CheckMissedDefect)
        } else {
            t(Msg::CheckFailed)
        };
        let _ = writeln!(
            out,
            "- `{}` **{note}** — {}",
            v.check,
            lang.check_text(v.check)
        );
        for f in &v.findings {
            let _ = writeln!(out, "  - {}", inline(f));
        }
    }
    for m in &s.mismatches {
        let _ = if m.journal {
            writeln!(out, "- {}: {}", t(Msg::JournalMismatch), inline(&m.problem))
        } else {
            writeln!(
                out,
                "- {} `{}`: {}",
                t(Msg::Mismatch),
                m.txn,
                inline(&m.problem)
            )
        };
    }
    out.push('\n');
    let advised: Vec<&OutcomeView> = s.outcomes.iter().filter(|o| o.cause.is_some()).collect();
    if !advised.is_empty() {
        let _ = writeln!(
            out,
            "| {} | STAN | {} | {} | {} |\n|---|---|---|---|---|",
            t(Msg::Transaction),
            t(Msg::Result),
            t(Msg::Cause),
            t(Msg::Advice)
        );
        for o in advised {
            let Some(cause) = o.cause.as_deref().and_then(declines::by_id) else {
                continue;
            };
            let text = lang.cause_text(cause);
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&o.outcome.txn),
                o.outcome.stan,
                outcome_words(lang, o),
                cell(&text.meaning),
                cell(&text.advice) + &warning(lang, o)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "**{}**\n\n```console\n{}\n```\n",
        t(Msg::Replay),
        s.replay
    );
}

/// The warning when the terminal's reversal state contradicts the generic advice.
fn warning(lang: Lang, o: &OutcomeView) -> String {
    match o.outcome.reversal {
        Some(ReversalState::None) => format!("<br>**{}**", lang.t(Msg::NotReversedWarning)),
        Some(ReversalState::Pending) => format!("<br>_{}_", lang.t(Msg::PendingWarning)),
        _ => String::new(),
    }
}

/// PASS or FAIL with a mark that reads at a glance in a job summary.
fn status(lang: Lang, passed: bool) -> String {
    if passed {
        format!("✅ {}", lang.t(Msg::Pass))
    } else {
        format!("❌ {}", lang.t(Msg::Fail))
    }
}

/// Result, reason and reversal state in the report's language.
pub(super) fn outcome_words(lang: Lang, o: &OutcomeView) -> String {
    let o = &o.outcome;
    let mut words = vec![lang.result(o.result).to_string()];
    if let Some(rc) = &o.rc {
        words.push(format!("RC {rc}"));
    }
    if let Some(r) = o.reason {
        words.push(lang.reason(r).to_string());
    }
    if let Some(r) = o.reversal {
        words.push(lang.reversal(r).to_string());
    }
    words.join(", ")
}

/// Text safe inside a table cell: no pipes or line breaks, no raw HTML.
fn cell(s: &str) -> String {
    inline(s).replace('|', "\\|")
}

/// Text safe on one Markdown line: no raw HTML, no line breaks.
fn inline(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}
