//! The HTML report: one self-contained page (inline CSS and SVG; no scripts, fonts or other
//! fetches), so it can be mailed to an acquirer or archived as a CI artifact and still open
//! years later. A certification engineer reads a failed scenario's story from it alone:
//! what the scenario proves, which checks said what and why that matters, what the terminal
//! reported with the advice for it, and the message ladder.

use std::fmt::Write;

use crate::declines;
use crate::report::ReportModel;
use crate::report::i18n::{Lang, Msg};
use crate::report::ladder;
use crate::report::markdown::outcome_words;
use crate::report::model::{OutcomeView, ScenarioView, VerdictView};
use crate::terminal::ReversalState;

const CSS: &str = include_str!("report.css");

/// The page.
pub fn render(model: &ReportModel, lang: Lang) -> String {
    let t = |m| lang.t(m);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>",
        lang.tag(),
        esc(t(Msg::Title))
    );
    let tot = model.totals;
    let _ = writeln!(
        out,
        "<header><h1>{}</h1><p class=\"meta\">{} {}</p><div class=\"totals\"><div class=\"tile\"><b>{}</b>{}</div><div class=\"tile pass\"><b>{}</b>{}</div><div class=\"tile fail\"><b>{}</b>{}</div></div></header>\n<main>",
        esc(t(Msg::Title)),
        model.tool.name,
        esc(model.tool.version),
        tot.scenarios,
        esc(t(Msg::Total)),
        tot.passed,
        esc(t(Msg::Passed)),
        tot.failed,
        esc(t(Msg::Failed)),
    );
    certification(&mut out, model, lang);
    scenario_table(&mut out, model, lang);
    for (i, s) in model.scenarios.iter().enumerate() {
        scenario(&mut out, s, i, lang);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn certification(out: &mut String, model: &ReportModel, lang: Lang) {
    let t = |m| lang.t(m);
    let _ = write!(
        out,
        "<section id=\"certification\"><h2>{}</h2>",
        esc(t(Msg::CertSummary))
    );
    if model.requirements.is_empty() {
        let _ = writeln!(out, "<p>{}</p></section>", esc(t(Msg::NoRequirements)));
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(t(Msg::CertNote)),
        esc(t(Msg::Requirement)),
        esc(t(Msg::Status)),
        esc(t(Msg::Evidence))
    );
    for r in &model.requirements {
        let (class, word) = if r.met {
            ("pass", t(Msg::Met))
        } else {
            ("fail", t(Msg::NotMet))
        };
        let _ = write!(
            out,
            "<tr><td class=\"id\">{}</td><td><span class=\"badge {class}\">{}</span></td><td>",
            esc(&r.id),
            esc(word)
        );
        for e in &r.evidence {
            let _ = write!(
                out,
                "<span class=\"ev {}\">{} <small>({} {})</small></span> ",
                if e.passed { "pass" } else { "fail" },
                esc(&e.scenario),
                esc(t(Msg::Seed)),
                e.seed
            );
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
}

fn scenario_table(out: &mut String, model: &ReportModel, lang: Lang) {
    let t = |m| lang.t(m);
    let _ = writeln!(
        out,
        "<section id=\"scenarios\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(t(Msg::Scenarios)),
        esc(t(Msg::Status)),
        esc(t(Msg::Scenario)),
        esc(t(Msg::Seed)),
        esc(t(Msg::Requirements)),
        esc(t(Msg::Checks)),
    );
    for (i, s) in model.scenarios.iter().enumerate() {
        let ok = s.verdicts.iter().filter(|v| v.as_expected).count();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><a href=\"#s{i}\">{}</a></td><td>{}</td><td>{}</td><td>{ok}/{}</td></tr>",
            badge(lang, s.passed),
            esc(&s.name),
            s.seed,
            esc(&s.requirements.join(", ")),
            s.verdicts.len()
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn scenario(out: &mut String, s: &ScenarioView, i: usize, lang: Lang) {
    let t = |m| lang.t(m);
    let _ = writeln!(
        out,
        "<section class=\"scenario {}\" id=\"s{i}\"><h2>{} {}</h2><p class=\"desc\">{}</p><dl class=\"facts\">",
        if s.passed { "pass" } else { "fail" },
        badge(lang, s.passed),
        esc(&s.name),
        esc(&s.description)
    );
    for (k, v) in [
        (t(Msg::File), s.file.as_str()),
        (t(Msg::Dialect), &format!("{} / {}", s.dialect, s.framing)),
        (t(Msg::Seed), &s.seed.to_string()),
        (t(Msg::Requirements), &s.requirements.join(", ")),
        (t(Msg::Sha256), s.sha256.as_str()),
        (t(Msg::Replay), s.replay.as_str()),
    ] {
        let _ = writeln!(out, "<dt>{}</dt><dd><code>{}</code></dd>", esc(k), esc(v));
    }
    out.push_str("</dl>\n");
    if let Some(e) = &s.error {
        let _ = writeln!(
            out,
            "<p class=\"error\"><b>{}:</b> {}</p>",
            esc(t(Msg::RunError)),
            esc(e)
        );
    }
    verdicts(out, s, lang);
    outcomes(out, s, lang);
    let _ = writeln!(
        out,
        "<h3>{}</h3><figure class=\"ladder-box\">{}<figcaption>{}</figcaption></figure></section>",
        esc(t(Msg::Ladder)),
        ladder::svg(&s.transcript, lang, &format!("s{i}")),
        esc(t(Msg::LadderLegend))
    );
}

fn verdicts(out: &mut String, s: &ScenarioView, lang: Lang) {
    let t = |m| lang.t(m);
    let _ = writeln!(
        out,
        "<h3>{}</h3><table class=\"verdicts\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(t(Msg::Verdicts)),
        esc(t(Msg::Check)),
        esc(t(Msg::Verdict)),
        esc(t(Msg::Explanation))
    );
    for v in &s.verdicts {
        let _ = write!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}",
            if v.as_expected { "pass" } else { "fail" },
            v.check,
            esc(verdict_words(v, lang)),
            esc(lang.check_text(v.check))
        );
        if let Some(why) = &v.not_applicable {
            let _ = write!(out, "<ul class=\"findings\"><li>{}</li></ul>", esc(why));
        }
        if !v.findings.is_empty() {
            out.push_str("<ul class=\"findings\">");
            for f in &v.findings {
                let _ = write!(out, "<li>{}</li>", esc(f));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if !s.mismatches.is_empty() {
        out.push_str("<ul class=\"mismatches\">");
        for m in &s.mismatches {
            let _ = if m.journal {
                write!(
                    out,
                    "<li><b>{}:</b> {}</li>",
                    esc(t(Msg::JournalMismatch)),
                    esc(&m.problem)
                )
            } else {
                write!(
                    out,
                    "<li><b>{} {}:</b> {}</li>",
                    esc(t(Msg::Mismatch)),
                    esc(&m.txn),
                    esc(&m.problem)
                )
            };
        }
        out.push_str("</ul>\n");
    }
}

fn verdict_words(v: &VerdictView, lang: Lang) -> &'static str {
    if v.not_applicable.is_some() {
        return lang.t(Msg::CheckNotApplicable);
    }
    match (v.passed, v.expected_to_fail) {
        (true, false) => lang.t(Msg::CheckOk),
        (false, true) => lang.t(Msg::CheckFailedAsExpected),
        (true, true) => lang.t(Msg::CheckMissedDefect),
        (false, false) => lang.t(Msg::CheckFailed),
    }
}

fn outcomes(out: &mut String, s: &ScenarioView, lang: Lang) {
    let t = |m| lang.t(m);
    let _ = write!(out, "<h3>{}</h3>", esc(t(Msg::Outcomes)));
    if s.outcomes.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(t(Msg::NoOutcomes)));
        return;
    }
    let _ = writeln!(
        out,
        "<table class=\"outcomes\"><thead><tr><th>{}</th><th>STAN</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(t(Msg::Transaction)),
        esc(t(Msg::Result)),
        esc(t(Msg::Display)),
        esc(t(Msg::Cause)),
        esc(t(Msg::Advice))
    );
    for o in &s.outcomes {
        let cause = o.cause.as_deref().and_then(declines::by_id);
        let (meaning, advice) = match cause {
            Some(c) => {
                let text = lang.cause_text(c);
                (
                    format!(
                        "{} <small>({})</small>",
                        esc(&text.meaning),
                        esc(lang.category(c.category))
                    ),
                    format!("{}{}", esc(&text.advice), warning(lang, o)),
                )
            }
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{meaning}</td><td>{advice}</td></tr>",
            esc(&o.outcome.txn),
            esc(&o.outcome.stan),
            esc(&outcome_words(lang, o)),
            esc(&o.outcome.display)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// A warning when the terminal's own state contradicts the generic advice ("the sale was
/// reversed automatically"), as it does when a defect skipped the reversal.
fn warning(lang: Lang, o: &OutcomeView) -> String {
    match o.outcome.reversal {
        Some(ReversalState::None) => format!(
            "<br><b class=\"warn\">{}</b>",
            esc(lang.t(Msg::NotReversedWarning))
        ),
        Some(ReversalState::Pending) => {
            format!("<br><i>{}</i>", esc(lang.t(Msg::PendingWarning)))
        }
        _ => String::new(),
    }
}

fn badge(lang: Lang, passed: bool) -> String {
    if passed {
        format!(
            "<span class=\"badge pass\">{}</span>",
            esc(lang.t(Msg::Pass))
        )
    } else {
        format!(
            "<span class=\"badge fail\">{}</span>",
            esc(lang.t(Msg::Fail))
        )
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
