//! Reports as their readers get them: every format pinned by a reviewed snapshot on one passing
//! and one failing run, card numbers never unmasked in any format or language nor in any
//! committed snapshot, the JUnit file read back with a JUnit reader, the JSON read back
//! against its documented schema.

use std::collections::BTreeSet;
use std::path::Path;

use posfault::report::{self, Format, Lang, ReportModel, ScenarioRun};
use posfault::runner::run;
use posfault::scenario::{Scenario, load_file, load_str};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn scenario_from(text: &str, file: &str) -> Scenario {
    load_str(text, file).unwrap_or_else(|errors| {
        let text: Vec<_> = errors.iter().map(ToString::to_string).collect();
        panic!("invalid scenario:\n{}", text.join("\n"))
    })
}

/// A passing catalogue scenario, and a failing one: the no-reversal defect with its
/// `failing_checks` removed, so the checks that catch the defect now fail the run.
fn two_runs() -> Vec<ScenarioRun> {
    let pass_file = "scenarios/reversal/reply-lost.yaml";
    let pass_text = std::fs::read_to_string(root().join(pass_file)).unwrap();
    let defect =
        std::fs::read_to_string(root().join("scenarios/defects/no-reversal-on-timeout.yaml"))
            .unwrap();
    let fail_text: String = defect
        .lines()
        .filter(|l| !l.trim_start().starts_with("failing_checks:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(
        fail_text, defect,
        "the defect scenario no longer admits failing checks"
    );
    let fail_file = "failing/no-reversal-on-timeout.yaml";
    [(pass_file, pass_text), (fail_file, fail_text)]
        .into_iter()
        .map(|(file, text)| {
            let s = scenario_from(&text, file);
            let r = run(&s, s.seed);
            ScenarioRun::new(file, text.as_bytes(), s, r)
        })
        .collect()
}

fn catalogue_runs() -> Vec<ScenarioRun> {
    let mut files = Vec::new();
    for dir in ["scenarios/reversal", "scenarios/defects"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| {
            let s = load_file(f).unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
            let r = run(&s, s.seed);
            ScenarioRun::from_file(f, s, r).unwrap()
        })
        .collect()
}

#[test]
fn every_format_of_a_passing_and_a_failing_run_matches_its_reviewed_snapshot() {
    let runs = two_runs();
    assert!(runs[0].report.passed && !runs[1].report.passed);
    let model = ReportModel::build(&runs);
    for (name, format, lang) in [
        ("two-runs.json", Format::Json, Lang::En),
        ("two-runs.junit.xml", Format::Junit, Lang::En),
        ("two-runs.en.md", Format::Md, Lang::En),
        ("two-runs.zh-CN.md", Format::Md, Lang::ZhCn),
        ("two-runs.en.html", Format::Html, Lang::En),
    ] {
        // Hashes change with every edit of a scenario file; the JSON test checks them.
        let mut text = report::render(format, lang, &model).unwrap();
        for r in &runs {
            text = text.replace(&r.sha256, "[sha256 of the scenario file]");
        }
        insta::with_settings!({
            snapshot_path => "../snapshots/reports",
            prepend_module_to_snapshot => false,
            description => format!("{format:?} report ({lang:?}) of reversal/reply-lost (passes) and defects/no-reversal-on-timeout without failing_checks (fails)"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

/// The scenario card numbers (`pans`, 13 to 19 digits) that appear unmasked in `text`, also
/// inside longer digit runs. Every scenario PAN counts, Luhn-valid or not: stricter than
/// looking for Luhn-valid numbers only, and no false alarms from STANs or amounts.
fn unmasked_pans(text: &str, pans: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for run in text.split(|c: char| !c.is_ascii_digit()) {
        for len in 13..=19.min(run.len()) {
            for start in 0..=run.len() - len {
                let cand = &run[start..start + len];
                if pans.contains(cand) {
                    found.push(cand.to_string());
                }
            }
        }
    }
    found
}

/// Digit runs that look like a card number to a data-loss scanner: 13 to 19 digits standing
/// alone, passing the Luhn check, and starting with a payment-card industry digit (2 to 6:
/// Mastercard 2-series, Amex/JCB/Diners, Visa, Mastercard, Discover/UnionPay). Catches a
/// leaked PAN that is in no scenario file (a generated one, one from the host's history);
/// runs of zeros such as an empty settlement total (field 86 or 88) start with 0 and are no
/// card.
fn pan_like(text: &str) -> Vec<String> {
    let luhn = |digits: &str| {
        let sum: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| (13..=19).contains(&run.len()))
        .filter(|run| matches!(run.as_bytes()[0], b'2'..=b'6') && luhn(run))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_pan_scanner_finds_a_planted_pan_and_ignores_masked_ones() {
    let pans = BTreeSet::from(["4761739001010010".to_string()]);
    assert_eq!(unmasked_pans("card 4761739001010010.", &pans).len(), 1);
    assert_eq!(unmasked_pans("x994761739001010010123", &pans).len(), 1);
    assert!(unmasked_pans("card 476173******0010", &pans).is_empty());
    assert!(unmasked_pans("4761739001010011", &pans).is_empty());
}

#[test]
fn the_generic_scanner_flags_card_like_numbers_only() {
    assert_eq!(pan_like("card 5425233430109903."), ["5425233430109903"]);
    assert!(
        pan_like("86: \"0000000000000000\"").is_empty(),
        "zeros are no card"
    );
    assert!(pan_like("5425233430109904").is_empty(), "fails Luhn");
    assert!(pan_like("542523******9903").is_empty(), "masked");
}

/// Every file below `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Every committed snapshot (catalogue transcripts, reports) is an output file a reader may
/// be handed: no scenario PAN may show in it, as digits, as the hex of its ASCII or packed in
/// BCD (cup), and no other value may look like a card number. Frame dumps (`hex:` lines) are
/// left to the first two scans: inside a frame a PAN runs on into its length prefix and the
/// next fields, so only known numbers can be found there.
#[test]
fn no_committed_snapshot_shows_a_pan() {
    let pans: BTreeSet<String> = files_under(&root().join("scenarios"))
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "yaml"))
        .flat_map(|f| {
            let s = load_file(f).unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
            s.host.cards.into_iter().map(|c| c.pan.reveal().to_string())
        })
        .collect();
    assert!(pans.len() > 1, "the catalogue has cards");
    let hex_pans: Vec<String> = pans
        .iter()
        .map(|p| p.bytes().map(|b| format!("{b:02X}")).collect())
        .collect();
    let snapshots = files_under(&root().join("snapshots"));
    assert!(snapshots.len() > 100, "{} snapshots", snapshots.len());
    for f in snapshots {
        let text = std::fs::read_to_string(&f).unwrap();
        let leaked = unmasked_pans(&text, &pans);
        assert!(leaked.is_empty(), "{} shows PANs {leaked:?}", f.display());
        assert!(
            !hex_pans.iter().any(|h| text.contains(h.as_str())),
            "{} shows a PAN in hex",
            f.display()
        );
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("hex: ") {
                continue;
            }
            let found = pan_like(line);
            assert!(
                found.is_empty(),
                "{}:{}: card-like number {found:?}",
                f.display(),
                n + 1
            );
        }
    }
}

#[test]
fn no_report_of_the_catalogue_in_any_format_or_language_shows_a_pan() {
    let runs = catalogue_runs();
    let pans: BTreeSet<String> = runs
        .iter()
        .flat_map(|r| r.scenario.host.cards.iter())
        .map(|c| c.pan.reveal().to_string())
        .collect();
    assert!(!pans.is_empty(), "the catalogue has no cards");
    // The same digits as the hex of their ASCII, as a frame dump would show them.
    let hex_pans: Vec<String> = pans
        .iter()
        .map(|p| p.bytes().map(|b| format!("{b:02X}")).collect())
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports-pan-scan");
    for lang in [Lang::En, Lang::ZhCn] {
        let out = dir.join(format!("{lang:?}"));
        let files = report::write_all(&out, &Format::ALL, lang, &runs).unwrap();
        assert_eq!(files.len(), Format::ALL.len());
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let leaked = unmasked_pans(&text, &pans);
            assert!(leaked.is_empty(), "{} shows PANs {leaked:?}", f.display());
            for h in &hex_pans {
                assert!(
                    !text.contains(h.as_str()),
                    "{} shows a PAN in hex",
                    f.display()
                );
            }
            // Reports with transcripts do show cards, masked: the scan looked at card data.
            let masked = pans
                .iter()
                .any(|p| text.contains(&posfault_proxies::wire::mask::mask_pan(p)));
            let has_transcripts = f.ends_with("report.json") || f.ends_with("report.html");
            assert!(
                masked || !has_transcripts,
                "{} shows no masked card at all",
                f.display()
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn junit_reads_back_with_one_case_per_run_and_the_failed_checks_as_failures() {
    let runs = two_runs();
    let xml = report::render(Format::Junit, Lang::En, &ReportModel::build(&runs)).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("a JUnit reader reads it");
    assert_eq!(parsed.tests, 2);
    assert_eq!(parsed.failures, 1);
    let suite = &parsed.test_suites[0];
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reversal/reply-lost (seed 1)",
            "defects/no-reversal-on-timeout (seed 1)"
        ]
    );
    match &suite.test_cases[1].status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            message,
            description,
            ..
        } => {
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or("");
            assert_eq!(
                message,
                "reversal_after_no_response failed; outcome_matches_journal failed; money_conserved failed"
            );
            let text = description.as_ref().map(|d| d.as_str()).unwrap_or("");
            assert!(text.contains("STAN 000001 was never reversed"), "{text}");
            assert!(
                text.contains("replay: posfault run --seed 1 failing/no-reversal-on-timeout.yaml"),
                "{text}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn json_names_its_schema_and_hashes_the_scenario_bytes() {
    let runs = two_runs();
    let text = report::render(Format::Json, Lang::En, &ReportModel::build(&runs)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "posfault-report");
    assert_eq!(v["schema_version"], report::SCHEMA_VERSION);
    assert_eq!(v["totals"]["failed"], 1);
    let source = std::fs::read(root().join("scenarios/reversal/reply-lost.yaml")).unwrap();
    assert_eq!(v["scenarios"][0]["sha256"], report::sha256_hex(&source));
    assert_eq!(v["scenarios"][1]["outcomes"][0]["cause"], "no-response");
    let reqs: Vec<&str> = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(reqs, ["DEF-01", "MONEY-01", "OUT-01", "REV-01"]);
}

#[test]
fn a_report_directory_that_cannot_be_created_is_an_error_naming_it() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports-not-a-dir");
    std::fs::write(&file, "").unwrap();
    let err = report::write_all(&file.join("sub"), &[Format::Md], Lang::En, &two_runs())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("reports-not-a-dir/sub: cannot write the report"),
        "{err}"
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn the_cli_writes_only_the_chosen_formats_in_the_chosen_language() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports-cli");
    let _ = std::fs::remove_dir_all(&dir);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args([
            "run",
            "--quiet",
            "scenarios/reversal/reply-lost.yaml",
            "--report",
        ])
        .arg(&dir)
        .args(["--format", "md,json", "--lang", "zh-CN"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report.json", "report.md"]);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.starts_with("# posfault 故障测试报告"), "{md}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn format_and_lang_without_report_are_usage_errors() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args([
            "run",
            "scenarios/reversal/reply-lost.yaml",
            "--lang",
            "zh-CN",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--report <DIR>"));
}
