use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use borderpost_sim::{self as sim, Client, Pki};

fn pki() -> Pki {
    sim::find_pki().expect("certs-example/ beside the crate")
}

/// The gateway's client certificate (issued by the federation root).
fn client() -> Client {
    Client::new(&pki(), "gateway").unwrap()
}

/// `sim --listen 127.0.0.1:0` prints the bound address first, serves on
/// it, and ends cleanly on SIGTERM.
#[tokio::test]
async fn sim_prints_its_address_and_stops_on_sigterm() {
    for country in ["dk", "no"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
            .args([
                "sim",
                "--country",
                country,
                "--listen",
                "127.0.0.1:0",
                "--pki",
            ])
            .arg(pki().dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line:?}"));
        assert!(
            addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
            "{addr}"
        );

        let reply = client()
            .get(&format!("https://{addr}/sim/deliveries"))
            .await
            .unwrap();
        assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "[]"));

        // Our own child, by its id.
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(exit.success(), "{country}: {exit}");
    }
}

#[test]
fn options_of_the_other_country_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
        .args([
            "sim",
            "--country",
            "dk",
            "--listen",
            "127.0.0.1:0",
            "--reserved",
            "no-fnr:31129956715",
            "--pki",
        ])
        .arg(pki().dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reserved"));
}
