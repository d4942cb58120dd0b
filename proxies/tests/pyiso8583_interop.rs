//! Byte-for-byte interop with pyiso8583 4.x, the reference our ASCII dialects promise to match.
//!
//! Random messages over all 128 fields, for `iso87` (pyiso8583 `default`) and `iso87-ascii`
//! (`default_ascii`): pyiso8583's encoding of each message must equal ours byte for byte, and
//! each side must decode the other's bytes to the same values.
//!
//! Python is found in `POSFAULT_PYTHON`, else `.venv/bin/python` at the workspace root (which
//! `.ci/run` creates), else `python3`. Without pyiso8583 the test is skipped locally with a note,
//! and fails when `CI=true`: in CI it must really run.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use posfault_proxies::wire::json::JsonMessage;
use posfault_proxies::wire::{DialectName, decode, encode};

const MESSAGES_PER_DIALECT: u64 = 400;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A Python that can import pyiso8583 4.x, or why there is none.
fn python() -> Result<PathBuf, String> {
    let venv = workspace().join(".venv/bin/python");
    let candidates: Vec<PathBuf> = match std::env::var_os("POSFAULT_PYTHON") {
        Some(p) => vec![p.into()],
        None => vec![venv, "python3".into()],
    };
    let mut tried = Vec::new();
    for py in candidates {
        let probe = Command::new(&py)
            .args([
                "-c",
                "import iso8583, sys; sys.exit(0 if iso8583.__version__.startswith('4.') else 3)",
            ])
            .output();
        match probe {
            Ok(o) if o.status.success() => return Ok(py),
            Ok(o) => tried.push(format!(
                "{}: {}",
                py.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => tried.push(format!("{}: {e}", py.display())),
        }
    }
    Err(format!(
        "no Python with pyiso8583 4.x ({}); run `python3 -m venv .venv && .venv/bin/pip install 'pyiso8583>=4,<5'`",
        tried.join("; ")
    ))
}

#[test]
fn random_messages_encode_and_decode_identically_to_pyiso8583() {
    let py = match python() {
        Ok(py) => py,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI must run the interop test: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED pyiso8583 interop: {why}");
            return;
        }
    };
    let mut child = Command::new(&py)
        .arg(workspace().join("tools/pyiso8583_interop.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut to_py = child.stdin.take().expect("piped");
    let mut from_py = BufReader::new(child.stdout.take().expect("piped"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, spec) in [
        (DialectName::Iso87, "default"),
        (DialectName::Iso87Ascii, "default_ascii"),
    ] {
        let d = name.dialect();
        for seed in 0..MESSAGES_PER_DIALECT {
            // Sweep densities so messages range from a few fields to nearly all 128.
            let density = (seed % 10) as f64 / 10.0 + 0.05;
            let msg = common::random_message(d, seed, density);
            let ours = encode(d, &msg).expect("random messages are valid");
            let json = JsonMessage::revealed(d, &msg);
            let mut doc: BTreeMap<String, String> = json
                .fields
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            doc.insert("t".into(), json.mti.clone());
            let req = serde_json::json!({"spec": spec, "doc": doc, "hex": hex(&ours)});
            writeln!(to_py, "{req}").expect("python reads");
            let mut line = String::new();
            from_py.read_line(&mut line).expect("python answers");
            let rsp: serde_json::Value = serde_json::from_str(&line).expect("python writes JSON");
            let fail = |what: String| format!("{name} seed {seed}: {what}");
            if let Some(e) = rsp.get("error") {
                failures.push(fail(e.to_string()));
                continue;
            }
            let theirs = rsp["encoded"].as_str().unwrap_or_default();
            if theirs != hex(&ours) {
                failures.push(fail(format!(
                    "encodings differ\n ours   {}\n theirs {theirs}",
                    hex(&ours)
                )));
            }
            let their_bytes = posfault_proxies::wire::json::unhex(theirs).unwrap_or_default();
            match decode(d, &their_bytes) {
                Ok(back) if back == msg => {}
                Ok(_) => failures.push(fail("pyiso8583's bytes decode to other values".into())),
                Err(e) => failures.push(fail(format!("pyiso8583's bytes do not decode: {e}"))),
            }
            let decoded: BTreeMap<String, String> =
                serde_json::from_value(rsp["decoded"].clone()).unwrap_or_default();
            if decoded != doc {
                failures.push(fail("pyiso8583 decodes our bytes to other values".into()));
            }
            checked += 1;
        }
    }
    drop(to_py);
    let status = child.wait().expect("python exits");
    assert!(status.success(), "the pyiso8583 script failed: {status}");
    assert!(
        failures.is_empty(),
        "{} of {checked} messages differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 2 * MESSAGES_PER_DIALECT);
}

fn hex(b: &[u8]) -> String {
    posfault_proxies::wire::mask::hex(b)
}
