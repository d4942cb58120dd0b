//! `posfault schema` must describe the files the loader really accepts: the whole catalogue
//! validates against it, and the mistakes the loader refuses (unknown fields, unit-less
//! durations) are refused by it too, so an editor flags them while the user types.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The schema as the binary prints it: what an editor gets.
fn printed_schema() -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .arg("schema")
        .current_dir(root())
        .output()
        .expect("the posfault binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("posfault schema prints JSON")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("the schema is itself a valid JSON Schema")
}

/// YAML as an editor's language server sees it: keys become strings (`fields: {39: "00"}`).
fn yaml_to_json(y: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).expect("a YAML number is a JSON number"),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_yaml::to_string(&other)
                            .expect("a scalar key prints")
                            .trim_end()
                            .to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the scenario file reads");
    yaml_to_json(serde_yaml::from_str(&text).expect("the scenario file is YAML"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the directory reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A small scenario the loader accepts, to break one thing at a time.
fn minimal() -> Value {
    json!({
        "name": "minimal",
        "description": "one sale",
        "terminal": {"response_timeout": "60s"},
        "host": {
            "accounts": [{"id": "a", "balance": "100.00"}],
            "cards": [{"id": "c", "pan": "4761739001010010", "account": "a"}]
        },
        "faults": [{"name": "late", "when": {"mti": ["0210"]}, "action": {"kind": "delay", "by": "2s"}}],
        "schedule": [{"sale": {"id": "t1", "at": "1s", "amount": "12.34", "card": "c"}}]
    })
}

#[test]
fn the_schema_is_json_with_a_draft_and_a_title() {
    let schema = printed_schema();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{schema:#}"
    );
    assert!(
        schema["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{schema:#}"
    );
    assert_eq!(schema["additionalProperties"], false);
    validator(&schema);
}

#[test]
fn every_catalogue_scenario_validates() {
    let v = validator(&printed_schema());
    let mut files = Vec::new();
    yaml_files(&root().join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 10, "found only {files:?}");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let errs = errors(&v, &load_json(f));
            (!errs.is_empty()).then(|| format!("{}:\n  {}", f.display(), errs.join("\n  ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_minimal_scenario_validates_and_loads() {
    let v = validator(&printed_schema());
    let m = minimal();
    assert_eq!(errors(&v, &m), Vec::<String>::new());
    // The same document through the real loader: the schema is no laxer or stricter here.
    let yaml = serde_yaml::to_string(&m).expect("JSON prints as YAML");
    posfault::scenario::load_str(&yaml, "minimal.yaml").unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
}

#[test]
fn an_unknown_top_level_field_is_rejected() {
    let v = validator(&printed_schema());
    let mut m = minimal();
    m["sead"] = json!(7);
    let errs = errors(&v, &m);
    assert!(errs.iter().any(|e| e.contains("sead")), "{errs:?}");
}

#[test]
fn a_bare_number_duration_is_rejected() {
    let v = validator(&printed_schema());
    let mut m = minimal();
    m["terminal"]["response_timeout"] = json!(60);
    let errs = errors(&v, &m);
    assert!(
        errs.iter()
            .any(|e| e.contains("/terminal/response_timeout")),
        "{errs:?}"
    );
    m["terminal"]["response_timeout"] = json!("60");
    assert!(
        !errors(&v, &m).is_empty(),
        "a unit-less string slipped through"
    );
}

#[test]
fn string_forms_are_checked() {
    let v = validator(&printed_schema());
    for (pointer, bad) in [
        ("/schedule/0/sale/amount", json!(12.34)),
        ("/schedule/0/sale/amount", json!("12.3")),
        ("/host/cards/0/pan", json!(4761739001010010u64)),
        ("/faults/0/when/mti/0", json!("200")),
        ("/faults/0/action/kind", json!("teleport")),
    ] {
        let mut m = minimal();
        *m.pointer_mut(pointer).expect("the pointer exists") = bad.clone();
        assert!(!errors(&v, &m).is_empty(), "{pointer} = {bad} was accepted");
    }
}

#[test]
fn schedule_steps_are_one_key_maps() {
    // serde_yaml reads steps through `singleton_map_recursive`: `- sale: {...}`, never a bare
    // sale and never two steps in one map.
    let v = validator(&printed_schema());
    let sale = json!({"id": "t1", "at": "1s", "amount": "12.34", "card": "c"});
    for bad in [
        json!([sale.clone()]),
        json!([{"sale": sale.clone(), "power_cycle": {"at": "2s"}}]),
        json!([{"kind": "sale", "id": "t1", "at": "1s", "amount": "12.34", "card": "c"}]),
    ] {
        let mut m = minimal();
        m["schedule"] = bad.clone();
        assert!(!errors(&v, &m).is_empty(), "{bad} was accepted");
    }
    let mut m = minimal();
    m["schedule"] = json!([{"sale": sale}, {"power_cycle": {"at": "2s", "off_for": "5s"}}]);
    assert_eq!(errors(&v, &m), Vec::<String>::new());
}

#[test]
fn auth_refund_and_steps_after_others_are_in_the_schema() {
    let v = validator(&printed_schema());
    let mut m = minimal();
    m["schedule"] = json!([
        {"auth": {"id": "a1", "at": "1s", "amount": "50.00", "card": "c"}},
        {"sale": {"id": "t1", "after": "a1", "wait": "2s", "amount": "12.34", "card": "c"}},
        {"refund": {"id": "r1", "after": "t1", "amount": "2.00", "card": "c"}},
        {"power_cycle": {"after_txn": "r1", "wait": "1s", "off_for": "5s"}},
        {"host_restart": {"after_txn": "t1"}},
        {"settle": {"id": "s1", "after": "r1", "wait": "1m"}}
    ]);
    assert_eq!(errors(&v, &m), Vec::<String>::new());
    // The loader agrees (it also checks what the schema cannot: one of `at` / `after`).
    let yaml = serde_yaml::to_string(&m).expect("JSON prints as YAML");
    if let Err(e) = posfault::scenario::load_str(&yaml, "after.yaml") {
        panic!(
            "{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    for (pointer, bad) in [
        ("/schedule/1/sale/wait", json!(2)),
        ("/schedule/2/refund/amount", json!(2.0)),
        ("/schedule/0/auth/type", json!("cash")),
    ] {
        let mut m2 = m.clone();
        match m2.pointer_mut(pointer) {
            Some(slot) => *slot = bad.clone(),
            None => {
                let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a key");
                m2.pointer_mut(parent).expect("the parent exists")[key] = bad.clone();
            }
        }
        assert!(
            !errors(&v, &m2).is_empty(),
            "{pointer} = {bad} was accepted"
        );
    }
}
