//! The load generator over real sockets: each test starts a simulator on
//! `127.0.0.1:0` and points bounded load at it (`requests`), so the tests
//! check what the generator counts and sends, never how fast anything is.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use borderpost_conformance::load::{
    self, Format, Generate, Identity, LoadConfig, LoadError, Mode, Report, Target, Template,
};
use borderpost_sim::{self as sim, ArrivalPage, Client, Delivery, Pki, Running};
use http::{Method, StatusCode};
use tokio::net::TcpListener;

/// The repository's example PKI.
fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

fn pki() -> Pki {
    Pki::new(certs())
}

fn identity(name: &str) -> Identity {
    Identity::from_files(
        &certs().join(format!("{name}.crt")),
        &certs().join(format!("{name}.key")),
        &certs().join("ca-all.crt"),
    )
    .unwrap()
}

async fn dk_sim() -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    sim::dk::start(listener, &pki(), sim::dk::DkOptions::default()).unwrap()
}

/// MeMo to a Danish CPR with Digital Post, from Example Kommune.
fn memo(size: usize) -> Template {
    let identity = identity("sender-dk");
    Template::generate(&Generate {
        format: Format::Memo,
        size,
        sender: identity.organisation().unwrap(),
        sender_name: "Example Kommune".to_owned(),
        recipient: "dk-cpr:0707614285".parse().unwrap(),
    })
    .unwrap()
}

/// A bounded run: `requests` requests over `connections`.
fn config(target: String, connections: usize, requests: u64) -> LoadConfig {
    LoadConfig {
        target,
        allow_remote: false,
        connections,
        duration: None,
        requests: Some(requests),
        warmup: Duration::ZERO,
        rate: None,
        new_connections: false,
        method: Method::POST,
        headers: Vec::new(),
        template: memo(2048),
        expect: Vec::new(),
        timeout: Duration::from_secs(10),
        identity: identity("sender-dk"),
        mode: Mode::Accept,
    }
}

fn memo_url(sim: &Running) -> String {
    format!(
        "https://127.0.0.1:{}{}",
        sim.addr.port(),
        sim::dk::PATH_MEMO
    )
}

async fn deliveries(sim: &Running) -> Vec<Delivery> {
    let reply = Client::new(&pki(), "sender-dk")
        .unwrap()
        .get(&format!(
            "https://127.0.0.1:{}/sim/deliveries",
            sim.addr.port()
        ))
        .await
        .unwrap();
    serde_json::from_slice(&reply.body).unwrap()
}

fn assert_clean(report: &Report, n: u64) {
    assert_eq!(
        (report.sent, report.ok, report.failed),
        (n, n, 0),
        "{}",
        report.table()
    );
    assert!(report.errors.is_empty(), "{}", report.table());
    assert_eq!(report.latency_ms.count, n);
    assert!(report.latency_ms.p50 > 0.0 && report.latency_ms.p50 <= report.latency_ms.max);
}

/// Every request carries its own message id: the simulator records each
/// as a new delivery, once.
#[tokio::test]
async fn a_bounded_run_sends_unique_messages_over_keep_alive_connections() {
    let sim = dk_sim().await;
    let report = load::run(config(memo_url(&sim), 4, 40)).await.unwrap();
    assert_clean(&report, 40);
    assert!(report.unique_ids);
    assert_eq!(report.connections, 4);
    // Keep-alive: the four connections were opened before the clock.
    assert_eq!(report.handshakes, 0, "{}", report.table());
    let delivered = deliveries(&sim).await;
    assert_eq!(delivered.len(), 40, "{delivered:?}");
    assert!(
        delivered.iter().all(|d| d.valid && d.count == 1),
        "{delivered:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn new_connection_mode_makes_a_full_handshake_per_request() {
    let sim = dk_sim().await;
    let mut c = config(memo_url(&sim), 2, 10);
    c.new_connections = true;
    let report = load::run(c).await.unwrap();
    assert_clean(&report, 10);
    assert_eq!(report.handshakes, 10, "{}", report.table());
    assert_eq!(report.connection_mode, "new-connection");
    sim.stop().await;
}

/// End to end against the simulator itself: every accepted message is
/// found in its arrivals, each with a time to delivery.
#[tokio::test]
async fn end_to_end_mode_finds_every_message_at_the_simulator() {
    let sim = dk_sim().await;
    // Something delivered before the run is not counted.
    load::run(config(memo_url(&sim), 1, 3)).await.unwrap();
    let mut c = config(memo_url(&sim), 3, 15);
    c.mode = Mode::EndToEnd {
        simulators: vec![format!("https://127.0.0.1:{}", sim.addr.port())],
        delivery_timeout: Duration::from_secs(10),
    };
    let report = load::run(c).await.unwrap();
    assert_clean(&report, 15);
    let e2e = report.end_to_end.as_ref().unwrap();
    assert_eq!(
        (e2e.accepted, e2e.delivered, e2e.missing),
        (15, 15, 0),
        "{}",
        report.table()
    );
    assert_eq!(e2e.time_to_delivery_ms.count, 15);
    assert!(e2e.throughput_per_s > 0.0);
    sim.stop().await;
}

/// Open loop: requests go out on the schedule, not faster.
#[tokio::test]
async fn a_rate_paces_the_requests() {
    let sim = dk_sim().await;
    let mut c = config(memo_url(&sim), 2, 10);
    c.rate = Some(50.0);
    let started = Instant::now();
    let report = load::run(c).await.unwrap();
    assert_clean(&report, 10);
    // The tenth request is scheduled 9 / 50 s after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(170),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.rate, Some(50.0));
    sim.stop().await;
}

#[tokio::test]
async fn failures_are_counted_by_kind() {
    let sim = dk_sim().await;

    // A status the route does not have.
    let path = format!("https://127.0.0.1:{}/nowhere", sim.addr.port());
    let report = load::run(config(path, 1, 3)).await.unwrap();
    assert_eq!((report.ok, report.failed), (0, 3));
    assert_eq!(
        report.errors.get("status 404"),
        Some(&3),
        "{:?}",
        report.errors
    );

    // An expected status counts as success.
    let mut c = config(
        format!("https://127.0.0.1:{}/nowhere", sim.addr.port()),
        1,
        2,
    );
    c.expect = vec![StatusCode::NOT_FOUND];
    assert_eq!(load::run(c).await.unwrap().ok, 2);

    // A client certificate from a CA the server does not trust.
    let mut c = config(memo_url(&sim), 1, 2);
    c.identity = identity("sender-dk-unknown-ca");
    let report = load::run(c).await.unwrap();
    assert_eq!(report.errors.get("tls"), Some(&2), "{:?}", report.errors);

    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let report = load::run(config(format!("https://127.0.0.1:{port}/"), 2, 4))
        .await
        .unwrap();
    assert_eq!(
        report.errors.get("connect"),
        Some(&4),
        "{:?}",
        report.errors
    );
    sim.stop().await;
}

#[tokio::test]
async fn remote_targets_are_refused_unless_allowed() {
    // TEST-NET-1 (RFC 5737): never routed, and never contacted here.
    for url in [
        "https://192.0.2.1:8443/v1/messages",
        "https://[2001:db8::1]/",
    ] {
        match Target::resolve(url, false).await {
            Err(LoadError::NotLoopback { .. }) => {}
            other => panic!("{url}: {other:?}"),
        }
        assert!(Target::resolve(url, true).await.is_ok());
    }
    for url in [
        "https://127.0.0.1:1/",
        "https://127.8.9.10/",
        "https://[::1]:8443/x?y=1",
    ] {
        Target::resolve(url, false).await.unwrap();
    }
    let t = Target::resolve("https://localhost:8443/v1/messages?x=1", false)
        .await
        .unwrap();
    assert_eq!(
        (t.host.as_str(), t.path.as_str()),
        ("localhost", "/v1/messages?x=1")
    );
    assert!(t.addr.ip().is_loopback());
    assert!(matches!(
        Target::resolve("http://127.0.0.1/", false).await,
        Err(LoadError::Option {
            option: "target",
            ..
        })
    ));

    // The whole run stops before any connection, simulators included.
    let mut c = config("https://192.0.2.1/".to_owned(), 1, 1);
    assert!(matches!(
        load::run(c).await,
        Err(LoadError::NotLoopback { .. })
    ));
    let sim = dk_sim().await;
    c = config(memo_url(&sim), 1, 1);
    c.mode = Mode::EndToEnd {
        simulators: vec!["https://192.0.2.1:8502".to_owned()],
        delivery_timeout: Duration::from_secs(1),
    };
    assert!(matches!(
        load::run(c).await,
        Err(LoadError::NotLoopback { .. })
    ));
    assert!(deliveries(&sim).await.is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn unbounded_runs_are_refused() {
    let mut c = config("https://127.0.0.1:1/".to_owned(), 1, 1);
    c.requests = None;
    assert!(matches!(
        load::run(c).await,
        Err(LoadError::Option {
            option: "duration",
            ..
        })
    ));
    let mut c = config("https://127.0.0.1:1/".to_owned(), 0, 1);
    c.connections = 0;
    assert!(matches!(
        load::run(c).await,
        Err(LoadError::Option {
            option: "connections",
            ..
        })
    ));
}

/// `GET /sim/arrivals`: first arrivals in order, paged by sequence number,
/// with a long poll.
#[tokio::test]
async fn arrivals_page_by_sequence_number() {
    let sim = dk_sim().await;
    load::run(config(memo_url(&sim), 2, 5)).await.unwrap();
    let client = Client::new(&pki(), "sender-dk").unwrap();
    let get = |query: &str| {
        let url = format!("https://127.0.0.1:{}/sim/arrivals?{query}", sim.addr.port());
        let client = client.clone();
        async move {
            let reply = client.get(&url).await.unwrap();
            assert_eq!(reply.status, 200, "{}", reply.text());
            serde_json::from_slice::<ArrivalPage>(&reply.body).unwrap()
        }
    };
    let all = get("after=0").await;
    let seqs: Vec<u64> = all.arrivals.iter().map(|a| a.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(all.next, 5);
    assert!(all.arrivals.iter().all(|a| {
        a.subject
            .as_deref()
            .is_some_and(|s| s.contains(&a.message_id))
    }));
    let page = get("after=2&limit=2").await;
    assert_eq!(
        page.arrivals.iter().map(|a| a.seq).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(page.next, 4);
    assert_eq!(get(&format!("after={}&limit=0", u64::MAX)).await.next, 5);
    let started = Instant::now();
    let empty = get("after=5&wait_ms=200").await;
    assert!(empty.arrivals.is_empty() && empty.next == 5);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let bad = client
        .get(&format!(
            "https://127.0.0.1:{}/sim/arrivals?after=x",
            sim.addr.port()
        ))
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
    sim.stop().await;
}

/// The command line: a report table on stdout, JSON on request, and a
/// refusal (exit 2) for a target that is not on this machine.
#[tokio::test]
async fn the_command_line_reports_and_refuses() {
    let sim = dk_sim().await;
    let json = std::env::temp_dir().join(format!("load-{}.json", uuid::Uuid::new_v4()));
    let output = tokio::task::spawn_blocking({
        let (url, json, pki) = (memo_url(&sim), json.clone(), certs());
        move || {
            Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
                .args([
                    "load",
                    "--target",
                    &url,
                    "--connections",
                    "2",
                    "--requests",
                    "6",
                ])
                .args(["--size", "3000", "--format", "memo", "--pki"])
                .arg(&pki)
                .arg("--json")
                .arg(&json)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("6 sent, 6 ok, 0 failed"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["ok"], 6);
    assert!(report["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(
        (2990..=3010).contains(&report["body_bytes"].as_u64().unwrap()),
        "{report}"
    );
    let _ = std::fs::remove_file(&json);

    // From a directory with no certs-example/ above it and without --pki,
    // the client identity comes from the example PKI built into the
    // binary: it is read before the target is judged, so a missing PKI
    // would be the error here.
    let empty = std::env::temp_dir().join(format!("load-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&empty).unwrap();
    let refused = tokio::task::spawn_blocking({
        let empty = empty.clone();
        move || {
            Command::new(env!("CARGO_BIN_EXE_borderpost-conformance"))
                .args(["load", "--target", "https://192.0.2.1/", "--requests", "1"])
                .current_dir(empty)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    std::fs::remove_dir(&empty).unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
    sim.stop().await;
}
