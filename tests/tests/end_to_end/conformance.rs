//! The conformance suite against real gateways: a correct Borderpost
//! passes every case, and the same Borderpost behind a TLS-terminating
//! proxy that asks for no client certificate (a gateway with mTLS off, as
//! a careless deployment makes it) fails the cases it should — with the
//! JUnit file naming them.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use borderpost_conformance::run::{self, Options, Report, Suite, Verdict};
use borderpost_core::xml::{self, XmlLimits};
use borderpost_tests::{Harness, tempdir};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::{TcpListener, TcpStream};

/// A small quota for the example Swedish sender, which floods it in the
/// quota cases (the default 1000/s is more than a test should send).
const SMALL_QUOTA: &str = r#"
[[rate_limits.overrides]]
id = "se-orgnr:2021004748"
per_second = 1
burst = 5
"#;

/// The options for a run against `target`, with the harness's simulators
/// and the example PKI.
fn options(h: &Harness, target: String) -> Options {
    let file = |name: &str| h.certs.join(name);
    let mut options = Options::new(
        target,
        file("ca-all.crt"),
        file("sender-dk.crt"),
        file("sender-dk.key"),
    );
    options.sim_dk = format!("https://localhost:{}", h.dk.addr.port());
    options.sim_no = format!("https://localhost:{}", h.no.addr.port());
    options.certs = Some(h.certs.clone());
    options.flood = Some((file("sender-se.crt"), file("sender-se.key")));
    options.burst = 200;
    options
}

/// Writes the JUnit report and reads back which cases it says failed, and
/// which it lists at all.
fn junit(report: &Report, dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let path = dir.join("junit.xml");
    std::fs::write(&path, report.junit()).unwrap();
    let text = std::fs::read(&path).unwrap();
    let root = xml::parse(&text, &XmlLimits::default()).unwrap();
    let (mut failed, mut all) = (BTreeSet::new(), BTreeSet::new());
    for case in root
        .elements()
        .flat_map(|suite| suite.elements().filter(|c| c.name == "testcase"))
    {
        let name = &case.attrs.iter().find(|a| a.name == "name").unwrap().value;
        let id = name.split(' ').next().unwrap().to_owned();
        if case.elements().any(|e| e.name == "failure") {
            failed.insert(id.clone());
        }
        all.insert(id);
    }
    (failed, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn borderpost_passes_every_case() {
    let h = Harness::start_with(|config| config + SMALL_QUOTA).await;
    let report = run::run(options(&h, h.url(""))).await.unwrap();
    let dir = tempdir("conformance");
    let (failed, all) = junit(&report, &dir);
    assert!(report.passed(), "{}", report.summary());
    assert!(failed.is_empty(), "{failed:?}");
    // With simulators, the example PKI and a small quota, every case
    // applies: none may skip.
    assert_eq!(
        report.ids(Verdict::Skip),
        Vec::<&str>::new(),
        "{}",
        report.summary()
    );
    assert_eq!(all.len(), run::catalogue().len());
    let _ = std::fs::remove_dir_all(&dir);
    h.stop().await;
}

/// A TLS terminator in front of the gateway that asks clients for no
/// certificate and forwards every connection as `sender-dk`: mTLS is off
/// for whoever comes through it. Returns its address.
async fn mtls_less_proxy(h: &Harness) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = |name: &str| {
        CertificateDer::pem_file_iter(h.certs.join(name))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let key = |name: &str| PrivateKeyDer::from_pem_file(h.certs.join(name)).unwrap();
    let mut outer = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain("gateway.crt"), key("gateway.key"))
        .unwrap();
    outer.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut roots = rustls::RootCertStore::empty();
    for root in chain("ca-all.crt") {
        roots.add(root).unwrap();
    }
    let mut inner = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain("sender-dk.crt"), key("sender-dk.key"))
        .unwrap();
    inner.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(outer));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(inner));
    let gateway = h.gateway.ingress;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, connector) = (acceptor.clone(), connector.clone());
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(upstream) = TcpStream::connect(gateway).await else {
                    return;
                };
                let name = ServerName::try_from("localhost").unwrap();
                let Ok(mut upstream) = connector.connect(name, upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn borderpost_behind_a_proxy_without_mtls_fails_the_identity_cases() {
    let h = Harness::start().await;
    let proxy = mtls_less_proxy(&h).await;
    let mut options = options(&h, format!("https://localhost:{}", proxy.port()));
    options.suites = vec![Suite::Transport, Suite::Receipts];
    let report = run::run(options).await.unwrap();
    let dir = tempdir("conformance");
    let (failed, _) = junit(&report, &dir);
    assert!(!report.passed());
    for id in [
        // Anyone gets through the TLS layer...
        "TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-005", "TLS-006",
        // ...as the proxy's identity, so one sender reads another's status
        // and the Norwegian sender's DPI message is refused as someone
        // else's.
        "API-202", "API-203", "DK-201", "NO-201",
    ] {
        assert!(
            failed.contains(id),
            "{id} did not fail:\n{}",
            report.summary()
        );
    }
    // What the proxy does not break still passes.
    for id in ["TLS-007", "TLS-008", "TLS-009", "TLS-021", "API-201"] {
        assert_eq!(
            report.case(id).map(|c| c.verdict),
            Some(Verdict::Pass),
            "{id}:\n{}",
            report.summary()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    h.stop().await;
}
