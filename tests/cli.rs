//! The `posfault` binary as a user runs it: exit codes, verdict lines, error messages.

use std::path::Path;
use std::process::{Command, Output};

fn posfault(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("the posfault binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn catalogue_run_exits_zero_and_prints_a_verdict_per_scenario() {
    let o = posfault(&["run", "--quiet", "scenarios/"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("PASS reversal/reply-lost (seed 1)"), "{out}");
    assert!(
        out.contains("PASS defects/no-reversal-on-timeout (seed 1)"),
        "{out}"
    );
}

#[test]
fn timeline_shows_the_dropped_reply_the_timeout_and_the_reversal() {
    let o = posfault(&["run", "scenarios/reversal/reply-lost.yaml"]);
    let (out, _) = text(&o);
    for want in [
        "0210 STAN 000001 RC 00  DROPPED by rule \"lose-first-reply\"",
        "timeout: no reply to STAN 000001",
        "0400 STAN 000001 RC 98",
        "OUTCOME t1: failed: no response, reversed",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(
        !out.contains("4761739001010010"),
        "full PAN printed:\n{out}"
    );
}

#[test]
fn invalid_scenario_exits_two_naming_file_line_column_and_fix() {
    let dir = tempdir();
    let file = dir.join("bad.yaml");
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/reversal/reply-lost.yaml"),
    )
    .unwrap();
    std::fs::write(
        &file,
        good.replace("response_timeout: 60s", "response_timeout: 60"),
    )
    .unwrap();
    let o = posfault(&["run", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    let want = format!(
        "{}:14:21: terminal.response_timeout: expected a duration like \"30s\", found 60",
        file.display()
    );
    assert!(err.contains(&want), "want {want:?} in\n{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_check_that_fails_exits_one_and_prints_a_replay_command() {
    let dir = tempdir();
    let file = dir.join("unexpected.yaml");
    write_unadmitted_defect(&file);
    let o = posfault(&["run", "--quiet", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("STAN 000001 was never reversed"), "{out}");
    assert!(
        out.contains(&format!("replay: posfault run --seed 1 {}", file.display())),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pinned_journal_totals_that_do_not_hold_fail_the_run_and_say_where_the_money_went() {
    let dir = tempdir();
    let file = dir.join("journal.yaml");
    // The reversed sale moves nothing in the end; pinning a charge must fail.
    let scenario = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/reversal/reply-lost.yaml"),
    )
    .unwrap();
    let pinned = "  journal: {net: \"0.00\", balances: {cardholder: \"100.00\"}}\n";
    assert!(scenario.contains(pinned), "the catalogue pins the journal");
    let wrong = pinned.replace("net: \"0.00\"", "net: \"-12.34\"");
    std::fs::write(&file, scenario.replace(pinned, &wrong)).unwrap();
    let o = posfault(&["run", "--quiet", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains(
            "FAIL journal: net movement 0.00 over the run, expected -12.34 \
             (moved by #1 0200 -12.34, #2 0400 12.34)"
        ),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_path_is_a_usage_error() {
    let o = posfault(&["run", "no/such/dir"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("no/such/dir: no such file or directory"),
        "{err}"
    );
}

/// Writes the no-reversal defect scenario to `file` without its `failing_checks`: the same
/// defect, but the scenario no longer admits the check failures, so the run must fail.
fn write_unadmitted_defect(file: &Path) {
    let defect = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/defects/no-reversal-on-timeout.yaml"),
    )
    .unwrap();
    let unadmitted: String = defect
        .lines()
        .filter(|l| !l.trim_start().starts_with("failing_checks:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(file, unadmitted).unwrap();
}

/// A fresh directory under the target dir, removed by each test that makes one.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn seed_sweep_lists_each_failing_seed_with_a_replay_command() {
    let dir = tempdir();
    let file = dir.join("unexpected.yaml");
    write_unadmitted_defect(&file);
    let o = posfault(&[
        "run",
        "--seeds",
        "1..3",
        "--jobs",
        "2",
        file.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains(": 0 of 3 seeds passed"), "{out}");
    for seed in 1..=3 {
        assert!(
            out.contains(&format!(
                "  seed {seed}: reversal_after_no_response: STAN 000001 was never reversed"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "replay: posfault run --seed {seed} {}",
                file.display()
            )),
            "{out}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shards_split_the_catalogue_without_overlap() {
    let mut seen = Vec::new();
    for shard in ["1/2", "2/2"] {
        let o = posfault(&["run", "--quiet", "--shard", shard, "scenarios/"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{err}");
        seen.extend(
            out.lines()
                .filter(|l| l.starts_with("PASS"))
                .map(str::to_string),
        );
    }
    let all = posfault(&["run", "--quiet", "scenarios/"]);
    let mut want: Vec<String> = text(&all)
        .0
        .lines()
        .filter(|l| l.starts_with("PASS"))
        .map(str::to_string)
        .collect();
    seen.sort();
    want.sort();
    assert_eq!(seen, want);
}

#[test]
fn check_validates_without_running() {
    let o = posfault(&["check", "scenarios/"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.ends_with(" valid, 0 invalid\n"), "{out}");
}
