//! Crash safety of the real binary: `borderpost serve` is killed with
//! SIGKILL while messages are being accepted, then restarted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use borderpost_gateway::demo::{self, Ports};
use borderpost_sim::{self as sim, Pki, client::Client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

/// The example PKI's directory: the gateway's configuration names its files.
fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

fn pki() -> Pki {
    Pki::new(certs())
}

async fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

async fn healthy(admin: SocketAddr) -> bool {
    let Ok(mut tcp) = tokio::net::TcpStream::connect(admin).await else {
        return false;
    };
    if tcp
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut out = Vec::new();
    let _ = tcp.read_to_end(&mut out).await;
    out.starts_with(b"HTTP/1.1 200")
}

async fn start(config: &Path, admin: SocketAddr, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_borderpost"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !healthy(admin).await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the gateway did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// What became of one submission before the kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    /// No answer: the request was cut off.
    Lost,
}

fn message(id: uuid::Uuid) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
        "recipients": [{ "id": "dk-cpr:0707614285" }],
        "subject": "Crash drill",
        "documents": [{ "filename": "a.pdf", "media_type": "application/pdf", "content": "JVBERi0xLjQK" }]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_message_is_delivered_exactly_once_across_a_sigkill() {
    let pki = pki();
    let dk = sim::dk::start(
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &pki,
        sim::dk::DkOptions::default(),
    )
    .unwrap();
    let no = sim::no::start(
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &pki,
        sim::no::NoOptions::default(),
    )
    .unwrap();
    let data: PathBuf =
        std::env::temp_dir().join(format!("borderpost-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let ports = Ports {
        ingress: free_port().await,
        admin: free_port().await,
        dk: dk.addr,
        no: no.addr,
    };
    let config = data.join("borderpost.toml");
    std::fs::write(&config, demo::config_toml(&certs(), &data, &ports)).unwrap();
    let log = data.join("gateway.log");
    let mut gateway = start(&config, ports.admin, &log).await;

    // Senders submit continuously; the gateway is killed mid-stream.
    let url = format!("https://localhost:{}/v1/messages", ports.ingress.port());
    let outcomes: Arc<Mutex<BTreeMap<uuid::Uuid, Outcome>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for _ in 0..8 {
        let client = Client::new(&pki, "sender-dk")
            .unwrap()
            .with_timeout(Duration::from_secs(5));
        let (url, outcomes, stop) = (url.clone(), Arc::clone(&outcomes), Arc::clone(&stop));
        senders.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = uuid::Uuid::new_v4();
                let outcome = match client.post(&url, "application/json", message(id)).await {
                    Ok(reply) if reply.status == 202 => Outcome::Accepted,
                    Ok(reply) => panic!("unexpected answer {}: {}", reply.status, reply.text()),
                    Err(_) => Outcome::Lost,
                };
                outcomes.lock().unwrap().insert(id, outcome);
                if outcome == Outcome::Lost {
                    // The gateway is gone: stop sending.
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    gateway.kill().await.unwrap(); // SIGKILL
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }
    let outcomes = outcomes.lock().unwrap().clone();
    let accepted: BTreeSet<_> = outcomes
        .iter()
        .filter(|(_, o)| **o == Outcome::Accepted)
        .map(|(id, _)| *id)
        .collect();
    let lost: BTreeSet<_> = outcomes
        .iter()
        .filter(|(_, o)| **o == Outcome::Lost)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        accepted.len() >= 20,
        "too few messages before the kill to prove anything: {}",
        accepted.len()
    );

    let gateway = start(&config, ports.admin, &log).await;
    let client = Client::new(&pki, "sender-dk").unwrap();
    // A cut-off request, sent again with the same id, gets an answer: its
    // status if it had been journaled, a fresh acceptance if not.
    for id in &lost {
        let reply = client
            .post(&url, "application/json", message(*id))
            .await
            .unwrap();
        assert_eq!(reply.status, 202, "{}", reply.text());
    }
    // Every message that got 202 — and every resent one — is delivered.
    let deadline = Instant::now() + Duration::from_secs(90);
    for id in accepted.iter().chain(&lost) {
        loop {
            let reply = client.get(&format!("{url}/{id}")).await.unwrap();
            assert_eq!(
                reply.status, 200,
                "message {id} that got 202 is unknown after the restart"
            );
            let doc: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
            if doc["recipients"][0]["status"] == "delivered" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "message {id} was not delivered: {doc:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Exactly once: the national system has one delivery per message, and
    // each arrived once — a copy in flight at the kill is not sent again
    // when the upstream already has it.
    let reply = client
        .get(&format!(
            "https://localhost:{}/sim/deliveries",
            dk.addr.port()
        ))
        .await
        .unwrap();
    let deliveries: Vec<sim::Delivery> = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        deliveries.len(),
        accepted.len() + lost.len(),
        "one delivery per message"
    );
    assert!(deliveries.iter().all(|d| d.valid));
    let repeated: u32 = deliveries.iter().map(|d| d.count - 1).sum();
    eprintln!(
        "crash drill: {} accepted before the kill, {} cut off and resent, {} deliveries, {} repeated arrivals",
        accepted.len(),
        lost.len(),
        deliveries.len(),
        repeated
    );
    assert_eq!(
        repeated, 0,
        "a copy reached the national system twice: {deliveries:#?}"
    );
    drop(gateway);
    dk.stop().await;
    no.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}
