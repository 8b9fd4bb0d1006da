//! The `borderpost` command line, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

fn borderpost(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_borderpost"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ids_check_prints_one_line_per_value_and_fails_if_any_is_invalid() {
    let (code, out, _) = borderpost(&["ids", "check", "dk-cvr", "55133018", "13748137"], b"");
    assert_eq!(code, 1);
    assert_eq!(out, "valid 55133018\ninvalid: check digit should be 6\n");
    let (code, out, _) = borderpost(&["ids", "check", "se-pnr", "811218-9876"], b"");
    assert_eq!((code, out.as_str()), (0, "valid 198112189876\n"));
}

#[test]
fn ids_check_reads_scheme_value_lines_on_stdin() {
    let mut input = b"fi-hetu 131052-308T\nno-fnr 31129956715\n\nbogus 1\n".to_vec();
    input.extend_from_slice(format!("dk-cvr {}\n", "1".repeat(10_000_000)).as_bytes());
    let (code, out, _) = borderpost(&["ids", "check"], &input);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(&lines[..2], ["valid 131052-308T", "valid 31129956715"]);
    assert_eq!(lines[2], "invalid: empty");
    assert!(lines[3].starts_with("invalid: unknown identifier scheme \"bogus\""));
    assert!(lines[4].starts_with("invalid: too long"), "{}", lines[4]);
}

#[test]
fn check_config_accepts_the_demo_configuration_and_names_every_bad_key() {
    let (code, config, _) = borderpost(
        &[
            "demo",
            "--print-config",
            "--data",
            "/tmp/borderpost-cli-test",
        ],
        b"",
    );
    assert_eq!(code, 0);
    let dir = std::env::temp_dir().join(format!("borderpost-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, &config).unwrap();
    let (code, out, _) = borderpost(&["check-config", good.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid"));

    let broken = config
        .replace("retry_max = \"10s\"", "retry_max = \"soon\"")
        .replace(
            "[[senders]]\nid = \"dk-cvr:55133018\"",
            "[[senders]]\nid = \"dk-cvr:55133019\"",
        );
    // Limits under which a message's journal record could be over the
    // journal's record limit.
    let broken = format!("{broken}\n[limits.routes.no]\nmax_body_bytes = 1073741824\n");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, broken).unwrap();
    let (code, out, _) = borderpost(&["check-config", bad.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        out.lines().any(|l| l.starts_with("delivery.retry_max:")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("senders[0].id:")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("limits.routes.no.max_body_bytes:")
                && l.contains("journal's limit of 1073741824 bytes per record")),
        "{out}"
    );
    // serve refuses to start on the same problems.
    let (code, _, err) = borderpost(&["serve", "--config", bad.to_str().unwrap()], b"");
    assert_eq!(code, 2);
    assert!(err.contains("delivery.retry_max"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
