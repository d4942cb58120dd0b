//! Live mode end to end: the `posfault` binary runs `scenarios/live/` against terminal
//! processes over real loopback TCP, and nothing it started outlives it: not after a pass, a
//! crash, a hang, a terminal that ignores `shutdown`, nor Ctrl-C.
//!
//! Every process a test starts carries a marker variable in its environment, which terminals
//! inherit; afterwards no process with that marker may exist. The tests take one lock so their
//! wall-clock timings do not compete with each other.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A marker unique to one test in this test process.
fn marker(test: &str) -> String {
    format!("posfault-live-test-{}-{test}", std::process::id())
}

fn posfault(marker: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posfault"));
    c.args(args)
        .current_dir(root())
        .env("POSFAULT_TEST_MARKER", marker);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Pids of live processes whose environment carries `marker`.
fn marked(marker: &str) -> Vec<u32> {
    let needle = format!("POSFAULT_TEST_MARKER={marker}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"));
        if !zombie && env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Nothing with `marker` is alive (allowing the OS a moment to finish reaping).
fn assert_nothing_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let left = marked(marker);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A terminal script for `sh -c`, as one `--terminal-cmd` string.
fn sh(script: &str) -> String {
    format!("sh -c '{script}'")
}

const READY: &str = r#"echo "{\"v\":1,\"event\":\"ready\",\"terminal\":\"fake 1\"}""#;

#[test]
fn the_live_catalogue_passes_with_the_built_in_terminal_and_leaves_nothing_behind() {
    let _g = serial();
    let m = marker("catalogue");
    let started = Instant::now();
    let o = posfault(&m, &["run", "--quiet", "scenarios/live/"])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for name in [
        "reply-lost",
        "host-busy",
        "maintenance-refuse",
        "late-reply",
        "reset-mid-request",
        "power-cycle-after-send",
        "backup-host-fallback",
    ] {
        assert!(
            out.contains(&format!("PASS live/{name} (seed 1, live)")),
            "{name}: {out}"
        );
    }
    assert!(out.contains("7 passed, 0 failed, 0 invalid"), "{out}");
    eprintln!("live catalogue: {:.1}s", started.elapsed().as_secs_f64());
    assert_nothing_left(&m);
}

#[test]
fn the_timeline_of_a_live_run_shows_the_reversal_and_the_power_cut() {
    let _g = serial();
    let m = marker("timeline");
    let o = posfault(&m, &["run", "scenarios/live/power-cycle-after-send.yaml"])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for want in [
        "POWER OFF",
        "power on",
        "0400 STAN 000001",
        "OUTCOME t2: approved",
        "sale t1 on TERM0001: amount 12.34, card 476173******0010",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(
        !out.contains("4761739001010010"),
        "a full PAN leaked:\n{out}"
    );
    assert_nothing_left(&m);
}

#[test]
fn a_terminal_that_never_reverses_fails_the_reversal_check() {
    let _g = serial();
    let m = marker("no-reversal");
    let o = posfault(
        &m,
        &[
            "run",
            "--quiet",
            "scenarios/live/reply-lost.yaml",
            "--terminal-cmd",
            "posfault terminal --stdio --defect no_reversal_on_timeout",
        ],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL reversal_after_no_response"), "{out}");
    assert_nothing_left(&m);
}

#[test]
fn a_terminal_that_crashes_fails_the_run_with_its_exit_status_and_stderr() {
    let _g = serial();
    let m = marker("crash");
    let cmd = sh(&format!(
        "{READY}; read line; echo boom-before-dying >&2; exit 3"
    ));
    let o = posfault(
        &m,
        &[
            "run",
            "--quiet",
            "scenarios/live/reply-lost.yaml",
            "--terminal-cmd",
            &cmd,
        ],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the terminal exited unexpectedly (exit code 3)"),
        "{out}"
    );
    assert!(out.contains("boom-before-dying"), "{out}");
    assert_nothing_left(&m);
}

#[test]
fn a_terminal_that_hangs_and_ignores_shutdown_is_killed_with_its_children() {
    let _g = serial();
    let m = marker("hang");
    // Says ready, never answers, ignores shutdown and signals it can ignore, and leaves a
    // grandchild: the time limit (30s scaled to 1.5s) ends the run, SIGKILL to the group ends
    // them all.
    let cmd = sh(&format!(
        "trap \"\" TERM INT HUP; {READY}; sleep 600 & while true; do sleep 1; done"
    ));
    let started = Instant::now();
    let o = posfault(
        &m,
        &[
            "run",
            "--quiet",
            "--time-scale",
            "0.05",
            "scenarios/live/reply-lost.yaml",
            "--terminal-cmd",
            &cmd,
        ],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("did not finish within time_limit"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_nothing_left(&m);
}

#[test]
fn a_terminal_that_never_says_ready_fails_the_run() {
    let _g = serial();
    let m = marker("not-ready");
    let o = posfault(
        &m,
        &[
            "run",
            "--quiet",
            "scenarios/live/reply-lost.yaml",
            "--terminal-cmd",
            &sh("echo starting; echo oops >&2; exit 2"),
        ],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("before it was ready"), "{out}");
    assert!(out.contains("exit code 2"), "{out}");
    assert_nothing_left(&m);
}

#[test]
fn ctrl_c_stops_the_terminal_and_exits_non_zero() {
    let _g = serial();
    let m = marker("ctrl-c");
    // Slowed down tenfold: the sale is due at 2s, so Ctrl-C lands while the terminal runs.
    let mut child = posfault(
        &m,
        &[
            "run",
            "--quiet",
            "--time-scale",
            "10",
            "scenarios/live/reply-lost.yaml",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // Wait until the terminal process runs (the marker is in its environment too).
    while marked(&m).len() < 2 {
        assert!(Instant::now() < deadline, "the terminal never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sends SIGINT to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let started = Instant::now();
    let o = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "posfault did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = text(&child.wait_with_output().unwrap());
    assert_eq!(o.code(), Some(130), "{out}");
    assert!(out.contains("interrupted"), "{out}");
    assert_nothing_left(&m);
}

#[test]
fn a_live_scenario_with_what_only_the_simulation_has_is_invalid() {
    let _g = serial();
    let dir = std::env::temp_dir().join(marker("invalid"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    let yaml = std::fs::read_to_string(root().join("scenarios/live/reply-lost.yaml"))
        .unwrap()
        .replace(
            "  command: [posfault, terminal, --stdio]\n",
            "  command: [posfault, terminal, --stdio]\n  fleet: {count: 2}\n",
        );
    let line = 1 + yaml.lines().position(|l| l.contains("fleet:")).unwrap();
    std::fs::write(&file, yaml).unwrap();
    let o = posfault("none", &["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains(&format!("bad.yaml:{line}:")), "{out}");
    assert!(out.contains("terminal.fleet"), "{out}");
    assert!(
        out.contains("a live run drives one terminal process"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_simulated_scenario_naming_a_real_host_is_invalid_at_its_line_and_column() {
    let dir = std::env::temp_dir().join(marker("sim-upstream"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sim.yaml");
    // The simulated reply-lost scenario with a real host: only live runs can reach one.
    let yaml = std::fs::read_to_string(root().join("scenarios/live/reply-lost.yaml"))
        .unwrap()
        .replace("  command: [posfault, terminal, --stdio]\n", "")
        .replace(
            "      account: cardholder\n",
            "      account: cardholder\n  upstream: \"127.0.0.1:8583\"\n",
        );
    let line = 1 + yaml.lines().position(|l| l.contains("upstream:")).unwrap();
    std::fs::write(&file, yaml).unwrap();
    let o = posfault("none", &["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(&format!("sim.yaml:{line}:13: host.upstream")),
        "{out}"
    );
    assert!(out.contains("host.upstream"), "{out}");
    assert!(out.contains("only be reached in a live run"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_stdio_terminal_without_the_adapter_environment_exits_2_and_says_why() {
    let o = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(["terminal", "--stdio"])
        .env_remove("POSFAULT_ADAPTER")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("POSFAULT_ADAPTER is not set"),
        "{}",
        text(&o)
    );
}

/// The Python example terminal (`examples/python-terminal/`), when it and its venv are there.
/// Skips with a reason otherwise, except under CI=true, where it must be there.
fn python_terminal(test: &str) -> Option<String> {
    let missing: Vec<String> = ["examples/python-terminal/terminal.py", ".venv/bin/python"]
        .into_iter()
        .filter(|p| !root().join(p).exists())
        .map(|p| p.to_string())
        .collect();
    if missing.is_empty() {
        return Some(".venv/bin/python examples/python-terminal/terminal.py".into());
    }
    let why = format!(
        "{} missing (make the venv as .ci/run does: python3 -m venv .venv && .venv/bin/pip \
         install 'pyiso8583>=4,<5')",
        missing.join(" and ")
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the Python terminal must be tested, but {why}"
    );
    // Straight to stderr: libtest captures eprintln! of passing tests, and a skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    None
}

#[test]
fn the_python_terminal_passes_the_live_catalogue() {
    let Some(cmd) = python_terminal("the_python_terminal_passes_the_live_catalogue") else {
        return;
    };
    let _g = serial();
    let m = marker("python");
    let o = posfault(
        &m,
        &["run", "--quiet", "scenarios/live/", "--terminal-cmd", &cmd],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("7 passed, 0 failed, 0 invalid"), "{out}");
    assert_nothing_left(&m);
}

#[test]
fn the_python_terminal_without_reversals_fails_the_reversal_check() {
    let Some(cmd) =
        python_terminal("the_python_terminal_without_reversals_fails_the_reversal_check")
    else {
        return;
    };
    let _g = serial();
    let m = marker("python-no-reversal");
    let cmd = format!("{cmd} --no-reversal");
    let o = posfault(
        &m,
        &["run", "--quiet", "scenarios/live/", "--terminal-cmd", &cmd],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("reversal_after_no_response"), "{out}");
    assert_nothing_left(&m);
}

/// TCP sockets this test process has open. Unix socket pairs are left out: tokio keeps one
/// for its process-wide signal (SIGCHLD) handling for the life of the process.
fn sockets() -> usize {
    let tcp: std::collections::BTreeSet<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| {
            t.lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().nth(9).map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_string)
        })
        .filter(|inode| tcp.contains(inode))
        .count()
}

#[test]
fn an_in_process_live_run_closes_its_sockets_and_removes_its_state_directory() {
    use posfault::live::{LiveOptions, child, run_live};
    let _g = serial();
    let scenario = posfault::scenario::load_file(&root().join("scenarios/live/reply-lost.yaml"))
        .unwrap_or_else(|e| panic!("{}", e[0]));
    let state_dirs = || {
        let prefix = format!("posfault-live-{}-", std::process::id());
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .count()
    };
    let before = sockets();
    // In this process `posfault` would resolve to the test binary: name the real one.
    let opts = LiveOptions {
        command: Some(vec![
            env!("CARGO_BIN_EXE_posfault").into(),
            "terminal".into(),
            "--stdio".into(),
        ]),
        ..LiveOptions::default()
    };
    let report = run_live(&scenario, 1, &opts);
    assert!(
        report.passed,
        "{}",
        posfault::timeline::verdict(&report, "reply-lost", true)
    );
    assert_eq!(report.mode, posfault::runner::RunMode::Live);
    assert_eq!(child::live_groups(), 0, "terminal process groups left");
    assert_eq!(sockets(), before, "sockets left open");
    assert_eq!(state_dirs(), 0, "state directory left behind");
}

#[test]
fn against_a_real_host_the_journal_checks_are_not_applicable() {
    use std::io::{BufRead, BufReader};
    let _g = serial();
    let m = marker("upstream");
    let dir = std::env::temp_dir().join(&m);
    std::fs::create_dir_all(&dir).unwrap();
    let host_yaml = "accounts: [{id: cardholder, balance: \"100.00\"}]\n\
                     cards: [{id: visa, pan: \"4761739001010010\", account: cardholder}]\n";
    std::fs::write(dir.join("host.yaml"), host_yaml).unwrap();
    // A real host: `posfault host` in its own process, on a free port it prints.
    let mut host = posfault(
        &m,
        &[
            "host",
            "--listen",
            "127.0.0.1:0",
            "--config",
            dir.join("host.yaml").to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut first = String::new();
    BufReader::new(host.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let scenario = std::fs::read_to_string(root().join("scenarios/live/reply-lost.yaml"))
        .unwrap()
        .replace(
            "      account: cardholder\n",
            &format!("      account: cardholder\n  upstream: \"{addr}\"\n"),
        );
    std::fs::write(dir.join("upstream.yaml"), scenario).unwrap();
    let o = posfault(
        &m,
        &[
            "run",
            "--quiet",
            dir.join("upstream.yaml").to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    let _ = host.kill();
    let _ = host.wait();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(
            "6 passed, 4 not applicable (outcome_matches_journal, money_conserved, \
             connect_retry_policy, advices_forwarded)"
        ),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_nothing_left(&m);
}
