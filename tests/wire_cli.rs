//! `posfault wire decode|encode` as a support engineer uses it: hex in, fields out, masked.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A 0200 with 15 fields, as pyiso8583 4.0.1 `encode(doc, specs.default)` wrote it
/// (PAN 4761739001010010, track 2, expiry 2512).
const PY_0200: &str = "30323030723c048028c0800031363437363137333930303130313030313030303030303030303030\
303030303132333430313135303830303030303030303031303830303030303131353235313230353130303334343736\
313733393030313031303031303d32353132313031303030303030303030303030303030303030303030315445524d30\
3030314d45524348414e5430303030303031383430";

fn posfault(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posfault"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the posfault binary runs");
    // A command that fails on its flags exits without reading stdin: a broken pipe is fine.
    let _ = child.stdin.take().expect("stdin is piped").write_all(stdin);
    child.wait_with_output().expect("posfault finishes")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn decoding_a_pyiso8583_frame_prints_its_fields_with_card_data_masked() {
    let o = posfault(&["wire", "decode", "--hex", PY_0200], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    for want in [
        "MTI  0200",
        "   2  Primary Account Number (PAN)                 476173******0010",
        "   4  Amount, Transaction                          000000001234",
        "  14  Date, Expiration                             [redacted, 4 bytes]",
        "  35  Track 2 Data                                 [redacted, 34 bytes]",
        "  42  Card Acceptor ID Code                        MERCHANT0000001",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("4761739001010010"), "{text}");
    assert!(!text.contains("2512"), "expiry shown:\n{text}");
}

#[test]
fn revealed_json_encodes_back_to_the_same_bytes() {
    let o = posfault(
        &["wire", "decode", "--hex", PY_0200, "--json", "--reveal"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("\"2\": \"4761739001010010\""));
    let back = posfault(&["wire", "encode", "--hex"], &o.stdout);
    assert_eq!(back.status.code(), Some(0), "{}", err(&back));
    assert_eq!(out(&back).trim(), PY_0200.to_uppercase());
}

#[test]
fn masked_json_is_refused_by_encode_with_the_way_out() {
    let o = posfault(&["wire", "decode", "--hex", PY_0200, "--json"], b"");
    let back = posfault(&["wire", "encode"], &o.stdout);
    assert_eq!(back.status.code(), Some(2));
    assert!(
        err(&back).contains("fields.\"2\": holds a masked value"),
        "{}",
        err(&back)
    );
    assert!(err(&back).contains("--reveal"), "{}", err(&back));
}

#[test]
fn a_truncated_frame_is_an_error_naming_field_and_offset() {
    let o = posfault(&["wire", "decode", "--hex", &PY_0200[..80]], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        err(&o).trim(),
        "error: field 4 at byte 36: expected the field value of 12 bytes, only 4 left (dialect iso87)"
    );
}

#[test]
fn garbage_in_every_dialect_is_an_error_never_a_panic() {
    for dialect in ["iso87", "iso87-ascii", "cup"] {
        for garbage in ["", "FF", "60000300000200FFFFFFFFFFFFFFFF", "303230307A"] {
            let o = posfault(
                &["wire", "decode", "--dialect", dialect, "--hex", garbage],
                b"",
            );
            assert_eq!(o.status.code(), Some(2), "{dialect} {garbage}: {}", err(&o));
            assert!(
                err(&o).contains(" at byte "),
                "{dialect} {garbage}: {}",
                err(&o)
            );
            assert!(!err(&o).contains("panicked"), "{}", err(&o));
        }
    }
}

#[test]
fn framed_input_decodes_every_frame_and_a_forgotten_framing_gets_a_hint() {
    let body_len = PY_0200.len() / 2;
    let framed = format!("{body_len:04}{PY_0200}");
    let ascii4: String = framed[..4].bytes().map(|b| format!("{b:02X}")).collect();
    let two = format!("{ascii4}{}{ascii4}{}", &PY_0200, &PY_0200);
    let o = posfault(
        &["wire", "decode", "--framing", "ascii4", "--hex", &two],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o).matches("MTI  0200").count(), 2);
    let one = format!("{:04X}{PY_0200}", body_len);
    let o = posfault(&["wire", "decode", "--hex", &one], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("try --framing u16be"), "{}", err(&o));
}

#[test]
fn cup_messages_encode_behind_their_tpdu_and_decode_back() {
    let json = br#"{"mti": "0200", "tpdu": "6000030000",
        "fields": {"2": "4761739001010010", "3": "000000", "11": "000001", "22": "021", "41": "TERM0001"}}"#;
    let o = posfault(
        &[
            "wire",
            "encode",
            "--dialect",
            "cup",
            "--hex",
            "--framing",
            "bcd2",
        ],
        json,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let hex = out(&o).trim().to_string();
    assert!(
        hex.starts_with("0040600003000002006020040000800000164761739001010010"),
        "{hex}"
    );
    let o = posfault(
        &[
            "wire",
            "decode",
            "--dialect",
            "cup",
            "--framing",
            "bcd2",
            "--hex",
            &hex,
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("TPDU 6000030000"), "{}", out(&o));
    assert!(out(&o).contains("476173******0010"), "{}", out(&o));
    assert!(
        out(&o).contains("  22  Point of Service Entry Mode"),
        "{}",
        out(&o)
    );
}

#[test]
fn unknown_dialects_and_framings_list_the_choices() {
    let o = posfault(
        &["wire", "decode", "--dialect", "iso93", "--hex", "00"],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("iso87, iso87-ascii, cup"), "{}", err(&o));
    let o = posfault(&["wire", "encode", "--framing", "u32"], b"{}");
    assert!(err(&o).contains("none, u16be, bcd2, ascii4"), "{}", err(&o));
}

#[test]
fn a_cup_scenario_without_a_tpdu_is_invalid_and_says_what_to_add() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let good = std::fs::read_to_string(root.join("scenarios/wire/cup-sale-bcd2.yaml")).unwrap();
    let file = std::env::temp_dir().join(format!("posfault-wire-cli-{}.yaml", std::process::id()));
    std::fs::write(&file, good.replace("envelope: \"6000030000\"\n", "")).unwrap();
    let o = posfault(&["run", file.to_str().unwrap()], b"");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        err(&o).contains("envelope: the cup dialect routes messages by TPDU; add the terminal's, e.g. `envelope: \"6000030000\"`"),
        "{}",
        err(&o)
    );
}
