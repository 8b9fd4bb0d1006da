use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use borderpost_sim::{Client, Pki};

/// The repository's example PKI.
fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

/// A client presenting the example certificate `name`.
fn client(name: &str) -> Client {
    Client::new(&Pki::new(certs()), name).unwrap()
}

/// A `borderpost-conformance sim` child on `127.0.0.1:0`. Dropped without
/// [`Sim::stop`] (a failed assertion), it is killed, so no test leaves a
/// simulator behind.
struct Sim {
    child: Option<Child>,
    /// The address it printed.
    addr: String,
}

impl Sim {
    /// Starts `sim --country COUNTRY --listen 127.0.0.1:0` with `extra`
    /// arguments, in the working directory `dir`, and reads the address
    /// from its first line.
    async fn start(country: &str, dir: &Path, extra: &[&std::ffi::OsStr]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
            .args(["sim", "--country", country, "--listen", "127.0.0.1:0"])
            .args(extra)
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut sim = Sim {
            child: Some(child),
            addr: String::new(),
        };
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
            .unwrap_or_else(|| panic!("{country}: {line:?}"));
        assert!(
            addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
            "{addr}"
        );
        sim.addr = addr.to_owned();
        sim
    }

    /// `https://ADDR{path}`.
    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// Stops it with SIGTERM, sent to our own child by its id, and returns
    /// how it ended with what it logged.
    async fn stop(mut self) -> Output {
        let child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `sim --listen 127.0.0.1:0` prints the bound address first, serves on
/// it, and ends cleanly on SIGTERM.
#[tokio::test]
async fn sim_prints_its_address_and_stops_on_sigterm() {
    for country in ["dk", "no"] {
        let here = std::env::current_dir().unwrap();
        let sim = Sim::start(country, &here, &["--pki".as_ref(), certs().as_ref()]).await;

        let reply = client("gateway")
            .get(&sim.url("/sim/deliveries"))
            .await
            .unwrap();
        assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "[]"));

        let exit = sim.stop().await;
        assert!(exit.status.success(), "{country}: {}", exit.status);
    }
}

/// Installed, the binary has no checkout beside it: started in an empty
/// directory without `--pki`, each simulator serves with the example PKI
/// built into it, answers a client presenting an example certificate over
/// mTLS, and still refuses one that presents none.
#[tokio::test]
async fn sim_runs_from_an_empty_directory_with_the_built_in_pki() {
    let empty = std::env::temp_dir().join(format!("bpc-sim-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&empty).unwrap();
    for country in ["dk", "no"] {
        let sim = Sim::start(country, &empty, &[]).await;

        let reply = client("sender-dk")
            .get(&sim.url("/sim/deliveries"))
            .await
            .unwrap();
        assert_eq!(
            (reply.status.as_u16(), reply.text().as_str()),
            (200, "[]"),
            "{country}"
        );
        let anonymous = Client::without_certificate(&Pki::new(certs()))
            .unwrap()
            .get(&sim.url("/sim/deliveries"))
            .await;
        assert!(anonymous.is_err(), "{country}: {anonymous:?}");

        let exit = sim.stop().await;
        let log = String::from_utf8_lossy(&exit.stderr);
        assert!(exit.status.success(), "{country}: {}\n{log}", exit.status);
        assert!(
            log.contains("built into this program"),
            "{country}: not the built-in PKI (is there a certs-example/ above {}?)\n{log}",
            empty.display()
        );
    }
    std::fs::remove_dir(&empty).unwrap();
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
        .arg(certs())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reserved"));
}
