//! `borderpost translate` with the Danish adapters, through the real binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a failed test"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn translate(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_borderpost"))
        .arg("translate")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn sample(path: &str) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/protocols/dk/");
    std::fs::read(format!("{dir}{path}")).unwrap()
}

#[test]
fn the_official_example_is_refused_with_the_adapter_error_code() {
    let out = translate(
        &["--from", "dk-memo-1.1", "--to", "canonical"],
        &sample("memo-1.1/examples/MeMo_Full_Example.xml"),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[invalid-identifier]") && stderr.contains("check digit should be 4"),
        "{stderr}"
    );
}

#[test]
fn memo_1_2_to_1_1_reports_its_losses() {
    // The 1.2 example with its two CVRs given valid check digits (see the
    // borderpost-dk README: the official data fails modulus 11).
    let input = String::from_utf8(sample("memo-1.2/examples/MeMo_Full_Example.xml"))
        .unwrap()
        .replacen("<memo:senderID>12345678<", "<memo:senderID>12345674<", 1)
        .replace(
            "<memo:representativeID>87654321<",
            "<memo:representativeID>87654311<",
        );
    let out = translate(
        &["--from", "dk-memo-1.2", "--to", "dk-memo-1.1"],
        input.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("loss: sender.representative"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("memoVersion=\"1.1\" memoSchVersion=\"1.1.0\""));
}

#[test]
fn canonical_to_fjernprint() {
    let input = br#"{
      "id": "0f4d1c2a-3b5e-4f60-9a7b-8c9d0e1f2a3b",
      "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
      "recipients": [ { "id": "dk-cpr:0707614285", "name": "Mette Hansen",
        "address": { "lines": ["Bakketoppen 6"], "postcode": "9000", "city": "Aalborg", "country": "DK" } } ],
      "subject": "Tilbud",
      "channel": "print-only",
      "documents": [ { "filename": "brev.pdf", "media_type": "application/pdf", "content": "JVBERi0xLjQK" } ]
    }"#;
    let out = translate(&["--from", "canonical", "--to", "dk-fjernprint"], input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("<fjernprint:ForsendelseI "), "{stdout}");
    assert!(stdout.contains("9000 Aalborg"), "{stdout}");
    // And back.
    let back = translate(
        &["--from", "dk-fjernprint", "--to", "canonical"],
        stdout.as_bytes(),
    );
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
}
