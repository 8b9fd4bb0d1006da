//! The conformance runner must be able to fail: run against a server that
//! answers `202 {}` to everything and asks for no client certificate, it
//! fails the cases it should — and passes the ones that server happens to
//! meet — and its JUnit file names them. Also the command line's exit
//! statuses and catalogue listing.
//!
//! (The run against a real Borderpost, and against one behind a proxy
//! without mTLS, are in the `tests` crate: this crate cannot link the
//! gateway, which depends on it.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use borderpost_core::xml::{self, Element, XmlLimits};
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

/// The repository's example PKI.
fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

/// A server that answers `202 {}` to every request, with the example
/// gateway's server certificate and no client authentication at all.
async fn yes_server() -> SocketAddr {
    let chain = CertificateDer::pem_file_iter(certs().join("gateway.crt"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(certs().join("gateway.key")).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(|_request| async {
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
                    *response.status_mut() = hyper::StatusCode::ACCEPTED;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpc-run-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` (off the async runtime: the server under
/// test runs on it).
async fn conformance(args: Vec<String>) -> Output {
    conformance_in(std::env::current_dir().unwrap(), args).await
}

/// [`conformance`] in the working directory `dir`.
async fn conformance_in(dir: PathBuf, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// The standard arguments against `target`, with the example PKI.
fn args(target: &str, extra: &[&str]) -> Vec<String> {
    let dir = certs();
    let file = |name: &str| dir.join(name).display().to_string();
    let mut args: Vec<String> = vec![
        "run".into(),
        "--target".into(),
        target.into(),
        "--ca".into(),
        file("ca-all.crt"),
        "--cert".into(),
        file("sender-dk.crt"),
        "--key".into(),
        file("sender-dk.key"),
        "--certs".into(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// The ids of the test cases in a JUnit file, by whether they failed.
fn junit_ids(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read(path).unwrap();
    let root = xml::parse(&text, &XmlLimits::default()).unwrap();
    assert_eq!(root.name, "testsuites");
    let (mut failed, mut other) = (BTreeSet::new(), BTreeSet::new());
    let cases: Vec<&Element> = root
        .elements()
        .flat_map(|suite| suite.elements().filter(|c| c.name == "testcase"))
        .collect();
    for case in cases {
        let name = case
            .attrs
            .iter()
            .find(|a| a.name == "name")
            .map(|a| a.value.clone())
            .unwrap();
        let id = name.split(' ').next().unwrap().to_owned();
        if case.elements().any(|e| e.name == "failure") {
            failed.insert(id);
        } else {
            other.insert(id);
        }
    }
    (failed, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_everything_fails_and_the_junit_file_says_where() {
    let addr = yes_server().await;
    let dir = tempdir();
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let output = conformance(args(
        &format!("https://localhost:{}", addr.port()),
        &[
            // No simulators: the cases that inspect them skip.
            "--sim-dk",
            "https://127.0.0.1:9",
            "--sim-no",
            "https://127.0.0.1:9",
            "--burst",
            "100",
            "--timeout",
            "5",
            "--deliver-timeout",
            "5",
            "--junit",
            &junit.display().to_string(),
            "--json",
            &json.display().to_string(),
        ],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (failed, other) = junit_ids(&junit);
    for id in [
        // No client certificate, and every bad one, let in.
        "TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-005", "TLS-006",
        // Anyone may send as anyone.
        "TLS-020", "TLS-021", "TLS-022", // Invalid identifiers accepted.
        "ID-002", "ID-003", "ID-005", "ID-007", "ID-009", "ID-010",
        // No problem documents.
        "API-001", "API-002", "API-003", "API-005", "API-006", "API-007",
        // The official samples as published accepted, hostile MeMo accepted.
        "DK-001", "DK-002", "DK-003", "DK-004", "DK-005",
        // DPI: 202 instead of 201, tampering accepted.
        "NO-001", "NO-002", "NO-003", "NO-004", "NO-005", "NO-006",
        // No conflict, no status.
        "JRN-003", "API-201", "DK-201", "NO-201", // No size limits.
        "LIM-001", "LIM-002", "LIM-003", "LIM-004", "LIM-005",
    ] {
        assert!(failed.contains(id), "{id} did not fail:\n{stdout}");
    }
    // What the server does meet is not failed: rustls refuses TLS 1.0 and
    // 1.1, hyper's default header cap (100) refuses 301 header fields, and
    // valid identifiers are (trivially) accepted.
    for id in [
        "TLS-007", "TLS-008", "TLS-009", "LIM-006", "ID-001", "ID-004",
    ] {
        assert!(other.contains(id), "{id} failed:\n{stdout}");
    }
    // The summary says the same, and the JSON report agrees.
    assert!(stdout.contains("FAIL TLS-001"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        report["totals"]["fail"].as_u64().unwrap() as usize,
        failed.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn usage_faults_exit_2_and_the_catalogue_lists() {
    // A remote target needs --allow-remote.
    let output = conformance(args("https://example.com:8443", &[])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--allow-remote"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Nobody listening.
    let output = conformance(args("https://127.0.0.1:9", &[])).await;
    assert_eq!(output.status.code(), Some(2));
    // An unknown suite.
    let output = conformance(args("https://127.0.0.1:9", &["--suite", "nope"])).await;
    assert_eq!(output.status.code(), Some(2));
    // The catalogue.
    let output = conformance(vec![
        "run".into(),
        "--list".into(),
        "--suite".into(),
        "transport".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("TLS-001"), "{text}");
    assert!(!text.contains("LIM-001"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sims_starts_simulators_that_the_cases_then_inspect() {
    use borderpost_conformance::run::{self, Options, Suite, Verdict};

    let addr = yes_server().await;
    let mut options = Options::new(
        format!("https://localhost:{}", addr.port()),
        certs().join("ca-all.crt"),
        certs().join("sender-dk.crt"),
        certs().join("sender-dk.key"),
    );
    options.certs = Some(certs());
    options.start_sims = true;
    options.sim_dk = "https://127.0.0.1:0".to_owned();
    options.sim_no = "https://127.0.0.1:0".to_owned();
    options.suites = vec![Suite::Translation];
    options.deliver_timeout = std::time::Duration::from_secs(1);
    let report = run::run(options).await.unwrap();
    assert!(
        report
            .setup
            .iter()
            .any(|l| l.starts_with("started simulators: dk https://127.0.0.1:")),
        "{:?}",
        report.setup
    );
    // With the simulators up the cases are decided, not skipped: a server
    // that answers 202 to everything delivers nothing.
    assert_eq!(
        report.ids(Verdict::Fail),
        ["API-101", "API-102", "DK-101", "NO-101"],
        "{}",
        report.summary()
    );
}

/// Installed, the binary has no checkout beside it: `run --start-sims`
/// from an empty directory without `--certs` starts the simulators with
/// the example PKI built into it (and takes its other senders and negative
/// certificates from there), so the translation cases are decided.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sims_from_an_empty_directory_uses_the_built_in_pki() {
    let addr = yes_server().await;
    let empty = tempdir();
    let json = tempdir().join("report.json");
    let file = |name: &str| certs().join(name).display().to_string();
    let output = conformance_in(
        empty.clone(),
        [
            "run",
            "--target",
            &format!("https://localhost:{}", addr.port()),
            "--ca",
            &file("ca-all.crt"),
            "--cert",
            &file("sender-dk.crt"),
            "--key",
            &file("sender-dk.key"),
            "--start-sims",
            "--sim-dk",
            "https://127.0.0.1:0",
            "--sim-no",
            "https://127.0.0.1:0",
            "--suite",
            "translation",
            "--deliver-timeout",
            "1",
            "--json",
            &json.display().to_string(),
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 1: cases failed (a server that answers 202 to everything delivers
    // nothing); 2 would mean the run could not start its simulators.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("example PKI: built into this program"),
        "{stdout}"
    );
    assert!(
        stdout.contains("started simulators: dk https://127.0.0.1:"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["totals"]["fail"], 4, "{stdout}");
    assert_eq!(report["totals"]["skip"], 0, "{stdout}");
    std::fs::remove_dir(&empty).unwrap();
    std::fs::remove_dir_all(json.parent().unwrap()).unwrap();
}
