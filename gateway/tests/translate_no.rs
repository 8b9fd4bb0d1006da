//! `borderpost translate` with the Norwegian adapter, through the real
//! binary: decoding a signed DPI message offline checks its signer against
//! the anchors given, and refuses when it has none.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a failed test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn borderpost(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_borderpost"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
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

fn certs(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../certs-example")
        .join(name)
        .display()
        .to_string()
}

/// A DPI pair (JWT + CMS) signed by `cert`/`key`, written to a fresh folder.
fn dpi_pair(name: &str, cert: &str, key: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "borderpost-translate-no-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let message = br#"{
      "sender": { "id": "no-orgnr:991825827", "name": "Digitaliseringsdirektoratet" },
      "recipients": [ { "id": "no-fnr:31129956715" } ],
      "subject": "Vedtak",
      "documents": [ { "filename": "vedtak.pdf", "media_type": "application/pdf", "content": "JVBERi0xLjQK" } ]
    }"#;
    let out = borderpost(
        &[
            "--from",
            "canonical",
            "--to",
            "no-dpi",
            "--out-dir",
            dir.to_str().unwrap(),
            "--postbox",
            "ola.nordmann#9YDT",
            "--maskinporten-token",
            "token-for-this-test",
            "--cert",
            &certs(cert),
            "--key",
            &certs(key),
        ],
        message,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn decode(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--from",
        "no-dpi",
        "--to",
        "canonical",
        "--in-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    borderpost(&args, b"")
}

#[test]
fn a_signed_message_is_decoded_only_against_anchors() {
    let dir = dpi_pair("anchored", "sender-no.crt", "sender-no.key");

    let out = decode(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[missing-configuration]"), "{stderr}");
    assert!(stderr.contains("trust anchors"), "{stderr}");

    let ca = certs("ca-no.crt");
    let out = decode(&dir, &["--trust", &ca]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sender"]["id"], "no-orgnr:991825827");

    let wrong = certs("ca-dk.crt");
    let out = decode(&dir, &["--trust", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[signature-invalid]"));

    let out = decode(&dir, &["--dangerous-skip-chain-check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: --dangerous-skip-chain-check"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_self_made_certificate_claiming_an_organisation_is_refused() {
    // sender-dk-unknown-ca carries a trusted CA's name but was issued by
    // an unknown one; it claims its own organisation in the message.
    let dir = dpi_pair(
        "self-made",
        "sender-dk-unknown-ca.crt",
        "sender-dk-unknown-ca.key",
    );
    let out = decode(
        &dir,
        &[
            "--trust",
            &certs("ca-no.crt"),
            "--trust",
            &certs("ca-dk.crt"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[signature-invalid]") && stderr.contains("not trusted"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
