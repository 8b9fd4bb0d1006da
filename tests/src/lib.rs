//! End-to-end test support: a whole Borderpost — gateway, journal,
//! simulators of the national systems, the example PKI — started
//! in-process on `127.0.0.1` port 0, and a client that speaks to it with
//! the example certificates.

#![forbid(unsafe_code)]
// Test support: a failed setup step should stop the test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use borderpost_gateway::config::Config;
use borderpost_gateway::demo::{self, Ports};
use borderpost_gateway::gateway::{self, Running};
use borderpost_sim::{self as sim, Delivery, Pki, client::Client, client::Reply};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A running Borderpost with its simulators.
pub struct Harness {
    /// The gateway.
    pub gateway: Running,
    /// The Danish Digital Post simulator.
    pub dk: sim::Running,
    /// The Norwegian DPI access point simulator.
    pub no: sim::Running,
    /// The example PKI.
    pub pki: Pki,
    /// Its directory: the gateway's configuration names its files.
    pub certs: PathBuf,
    /// The data directory (journal), removed on `stop`.
    pub data: PathBuf,
    /// The configuration text the gateway runs with.
    pub config: String,
}

/// The example PKI's directory in the repository.
pub fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

/// The example PKI.
pub fn pki() -> Pki {
    Pki::new(certs())
}

/// A copy of the example PKI in a fresh directory, for tests that change
/// certificate files under a running gateway.
pub fn pki_copy() -> PathBuf {
    let dir = tempdir("pki");
    for entry in std::fs::read_dir(certs()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// A fresh directory under the system temp dir.
pub fn tempdir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("borderpost-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn listener() -> TcpListener {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

impl Harness {
    /// Starts simulators and a gateway with the demo configuration.
    pub async fn start() -> Harness {
        Harness::start_with(|text| text).await
    }

    /// Like [`Harness::start`], with the configuration text edited first.
    pub async fn start_with(edit: impl FnOnce(String) -> String) -> Harness {
        Harness::start_with_pki(certs(), edit).await
    }

    /// Like [`Harness::start_with`], with the PKI (and so the certificate
    /// files the gateway reads) in the directory `certs`.
    pub async fn start_with_pki(certs: PathBuf, edit: impl FnOnce(String) -> String) -> Harness {
        Harness::launch(certs, sim::dk::DkOptions::default(), edit).await
    }

    /// Like [`Harness::start`], with the Danish simulator set up by
    /// `options`.
    pub async fn start_with_dk(options: sim::dk::DkOptions) -> Harness {
        Harness::launch(certs(), options, |text| text).await
    }

    async fn launch(
        certs: PathBuf,
        dk_options: sim::dk::DkOptions,
        edit: impl FnOnce(String) -> String,
    ) -> Harness {
        let pki = Pki::new(&certs);
        let dk = sim::dk::start(listener().await, &pki, dk_options).unwrap();
        let no = sim::no::start(listener().await, &pki, sim::no::NoOptions::default()).unwrap();
        let data = tempdir("e2e");
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let ports = Ports {
            ingress: any,
            admin: any,
            dk: dk.addr,
            no: no.addr,
        };
        let config = edit(demo::config_toml(&certs, &data, &ports));
        let parsed = Config::parse(&config, &data).unwrap_or_else(|e| panic!("{e}"));
        let gateway = gateway::start(parsed).await.unwrap();
        Harness {
            gateway,
            dk,
            no,
            pki,
            certs,
            data,
            config,
        }
    }

    /// Stops everything and removes the data directory.
    pub async fn stop(self) {
        self.gateway.stop().await;
        self.dk.stop().await;
        self.no.stop().await;
        let _ = std::fs::remove_dir_all(&self.data);
    }

    /// A client presenting the example certificate `name` (`sender-dk`, …).
    pub fn client(&self, name: &str) -> Client {
        Client::new(&self.pki, name).unwrap()
    }

    /// The gateway's URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.gateway.ingress.port())
    }

    /// The admin listener's URL for `path`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.gateway.admin)
    }

    /// Posts a canonical message as `sender` (a certificate name).
    pub async fn submit(&self, sender: &str, message: &Value) -> Reply {
        self.client(sender)
            .post(
                &self.url("/v1/messages"),
                "application/json",
                serde_json::to_vec(message).unwrap(),
            )
            .await
            .unwrap()
    }

    /// The status of message `id` as `sender` sees it.
    pub async fn status(&self, sender: &str, id: &str) -> Reply {
        self.client(sender)
            .get(&self.url(&format!("/v1/messages/{id}")))
            .await
            .unwrap()
    }

    /// Waits until every recipient of `id` has one of `statuses`; returns
    /// the status document. Fails the test after `within`.
    pub async fn wait_for(
        &self,
        sender: &str,
        id: &str,
        statuses: &[&str],
        within: Duration,
    ) -> Value {
        let started = Instant::now();
        loop {
            let reply = self.status(sender, id).await;
            let doc: Value = serde_json::from_slice(&reply.body).unwrap();
            let done = doc["recipients"].as_array().is_some_and(|rs| {
                rs.iter()
                    .all(|r| statuses.contains(&r["status"].as_str().unwrap_or("")))
            });
            if done {
                return doc;
            }
            if started.elapsed() > within {
                panic!("message {id} did not reach {statuses:?} within {within:?}: {doc:#}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What simulator `sim` has recorded.
    pub async fn deliveries(&self, sim: &sim::Running) -> Vec<Delivery> {
        let reply = self
            .client("sender-dk")
            .get(&format!(
                "https://localhost:{}/sim/deliveries",
                sim.addr.port()
            ))
            .await
            .unwrap();
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// Sets a simulator's failure mode.
    pub async fn set_mode(&self, sim: &sim::Running, mode: &str) {
        let reply = self
            .client("sender-dk")
            .post(
                &format!("https://localhost:{}/sim/mode", sim.addr.port()),
                "application/json",
                serde_json::to_vec(&json!({ "mode": mode })).unwrap(),
            )
            .await
            .unwrap();
        assert!(reply.status.is_success(), "{}", reply.text());
    }
}

/// A canonical message from Example Kommune (`sender-dk`) to `recipients`
/// with one small PDF.
pub fn message(recipients: &[&str]) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(),
        "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
        "recipients": recipients.iter().map(|r| json!({ "id": r })).collect::<Vec<_>>(),
        "subject": "Your kindergarten place",
        "documents": [{
            "filename": "offer.pdf",
            "media_type": "application/pdf",
            "language": "da",
            "content": "JVBERi0xLjQKJSVFT0YK"
        }]
    })
}

/// A raw TLS connection to the gateway with the example certificate
/// `name`, for tests that must control every byte (slow clients, huge
/// declared bodies).
pub async fn raw_tls(
    pki: &Pki,
    addr: SocketAddr,
    name: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    raw_tls_alpn(pki, addr, name, b"http/1.1").await
}

/// Like [`raw_tls`], offering only the application protocol `alpn`
/// (`h2` for HTTP/2).
pub async fn raw_tls_alpn(
    pki: &Pki,
    addr: SocketAddr,
    name: &str,
    alpn: &[u8],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in pki.certificates("ca-all.crt").unwrap() {
        roots.add(cert).unwrap();
    }
    let chain = pki.certificates(&format!("{name}.crt")).unwrap();
    let key = pki.private_key(&format!("{name}.key")).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let server = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(server, tcp).await
}

/// Replaces the value of `key` in the `[section]` of a TOML text (or adds
/// the key to the section).
pub fn set_key(text: &str, section: &str, key: &str, value: &str) -> String {
    let header = format!("[{section}]\n");
    let Some(start) = text.find(&header) else {
        return format!("{text}\n{header}{key} = {value}\n");
    };
    let body_start = start + header.len();
    let body_end = text[body_start..]
        .find("\n[")
        .map_or(text.len(), |i| body_start + i);
    let body = &text[body_start..body_end];
    let mut lines: Vec<String> = body
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with(&format!("{key} "))
                && !l.trim_start().starts_with(&format!("{key}="))
        })
        .map(str::to_owned)
        .collect();
    lines.insert(0, format!("{key} = {value}"));
    format!(
        "{}{}\n{}",
        &text[..body_start],
        lines.join("\n"),
        &text[body_end..]
    )
}
