use std::process::Command;
use std::time::Duration;

use borderpost_tests::{Harness, message, pki_copy, raw_tls, set_key};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::hardening::plain_get;

fn der(pem_file: &std::path::Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem_file)
        .unwrap()
        .to_vec()
}

async fn peer_certificate(h: &Harness, name: &str) -> std::io::Result<Vec<u8>> {
    let tls = raw_tls(&h.pki, h.gateway.ingress, name).await?;
    Ok(tls.get_ref().1.peer_certificates().unwrap()[0].to_vec())
}

async fn get_on(
    tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    path: &str,
) -> String {
    tls.write_all(format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 8192];
    let n = tls.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_server_certificate_on_disk_is_served_without_a_restart() {
    let pki = pki_copy();
    let h = Harness::start_with_pki(pki, |text| {
        set_key(&text, "server", "reload_interval", "\"200ms\"")
    })
    .await;
    let original = der(&h.certs.join("gateway.crt"));
    assert_eq!(peer_certificate(&h, "sender-dk").await.unwrap(), original);
    let mut open = raw_tls(&h.pki, h.gateway.ingress, "sender-dk")
        .await
        .unwrap();
    assert!(
        get_on(
            &mut open,
            "/v1/messages/00000000-0000-4000-8000-000000000000"
        )
        .await
        .starts_with("HTTP/1.1 404")
    );

    // Rotate: another certificate for localhost (issued by ca-dk), and its key.
    std::fs::copy(h.certs.join("postbox-dk.key"), h.certs.join("gateway.key")).unwrap();
    std::fs::copy(h.certs.join("postbox-dk.crt"), h.certs.join("gateway.crt")).unwrap();
    let rotated = der(&h.certs.join("postbox-dk.crt"));
    let mut seen = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = peer_certificate(&h, "sender-dk").await.unwrap();
        if seen == rotated {
            break;
        }
    }
    assert_eq!(
        seen, rotated,
        "new handshakes still see the old certificate"
    );
    // The connection opened before the rotation carries on.
    assert!(
        get_on(
            &mut open,
            "/v1/messages/00000000-0000-4000-8000-000000000000"
        )
        .await
        .starts_with("HTTP/1.1 404")
    );
    let dir = h.certs.clone();
    h.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_added_to_the_crl_is_refused_after_the_reload() {
    let pki = pki_copy();
    let h = Harness::start_with_pki(pki, |text| {
        set_key(&text, "server", "reload_interval", "\"200ms\"")
    })
    .await;
    assert!(peer_certificate(&h, "sender-dk").await.is_ok());
    assert_eq!(
        h.submit("sender-dk", &message(&["dk-cpr:0707614285"]))
            .await
            .status,
        202
    );

    revoke(&h.certs, "sender-dk");
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The handshake completes on the client side before the server's
        // verdict arrives: a request tells.
        match raw_tls(&h.pki, h.gateway.ingress, "sender-dk").await {
            Err(_) => refused = true,
            Ok(mut tls) => {
                let _ = tls
                    .write_all(b"GET /v1/messages/x HTTP/1.1\r\nhost: localhost\r\n\r\n")
                    .await;
                let mut buf = [0u8; 64];
                refused = !matches!(tls.read(&mut buf).await, Ok(n) if n > 0);
            }
        }
        if refused {
            break;
        }
    }
    assert!(refused, "sender-dk is still let in after its revocation");
    // Others are unaffected.
    let mut other = message(&["dk-cpr:0707614285"]);
    other["sender"]["id"] = "no-orgnr:991825827".into();
    assert_eq!(h.submit("sender-no", &other).await.status, 202);
    let metrics = plain_get(h.gateway.admin, "/metrics").await;
    assert!(
        metrics.contains("borderpost_tls_handshake_failures_total{reason=\"certificate-revoked\"}"),
        "{metrics}"
    );
    let dir = h.certs.clone();
    h.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes a new `ca-dk.crl` in `dir` listing `name`'s certificate, signed by
/// `ca-dk` (with the openssl CLI, as an operator would).
fn revoke(dir: &std::path::Path, name: &str) {
    let serial = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(dir.join(format!("{name}.crt")))
        .output()
        .expect("openssl is needed by this test (CI installs it)");
    let serial = String::from_utf8_lossy(&serial.stdout)
        .trim()
        .trim_start_matches("serial=")
        .to_owned();
    let subject = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "compat", "-in"])
        .arg(dir.join(format!("{name}.crt")))
        .output()
        .unwrap();
    let subject = String::from_utf8_lossy(&subject.stdout)
        .trim()
        .trim_start_matches("subject=")
        .to_owned();
    let work = borderpost_tests::tempdir("crl");
    std::fs::write(
        work.join("index.txt"),
        format!("R\t460101000000Z\t260101000000Z\t{serial}\tunknown\t{subject}\n"),
    )
    .unwrap();
    std::fs::write(work.join("crlnumber"), "1000\n").unwrap();
    std::fs::write(
        work.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {db}\ncrlnumber = {num}\ndefault_md = sha256\ndefault_crl_days = 30\n",
            db = work.join("index.txt").display(),
            num = work.join("crlnumber").display()
        ),
    )
    .unwrap();
    let out = work.join("new.crl");
    let status = Command::new("openssl")
        .args(["ca", "-gencrl", "-batch", "-config"])
        .arg(work.join("ca.cnf"))
        .arg("-keyfile")
        .arg(dir.join("ca-dk.key"))
        .arg("-cert")
        .arg(dir.join("ca-dk.crt"))
        .arg("-out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::copy(&out, dir.join("ca-dk.crl")).unwrap();
    let _ = std::fs::remove_dir_all(work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_move_with_traffic() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    h.wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    // An expired client certificate: the server refuses the handshake.
    if let Ok(mut tls) = raw_tls(&h.pki, h.gateway.ingress, "sender-dk-expired").await {
        let _ = tls.write_all(b"GET / HTTP/1.1\r\n\r\n").await;
        let _ = tls.read(&mut [0u8; 16]).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = plain_get(h.gateway.admin, "/metrics").await;
    let mut samples = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                matches!(words.get(1), Some(&("TYPE" | "HELP" | "UNIT" | "EOF")))
                    || line == "# EOF",
                "{line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.insert(series.to_owned(), value);
    }
    assert!(text.trim_end().ends_with("# EOF"));
    let sample = |series: &str| {
        samples
            .get(series)
            .copied()
            .unwrap_or_else(|| panic!("{series} missing:\n{text}"))
    };
    assert!(
        sample(
            "borderpost_http_requests_total{route=\"/v1/messages\",status=\"202\",sender=\"dk-cvr:55133018\"}"
        ) >= 1.0
    );
    assert!(sample("borderpost_journal_copies{status=\"delivered\"}") >= 1.0);
    assert!(sample("borderpost_journal_syncs_total") >= 1.0);
    assert!(
        sample("borderpost_delivery_attempts_total{upstream=\"dk\",outcome=\"forwarded\"}") >= 1.0
    );
    assert!(sample("borderpost_receipts_total{upstream=\"dk\",outcome=\"delivered\"}") >= 1.0);
    assert_eq!(
        sample("borderpost_circuit_breaker_state{upstream=\"dk\"}"),
        0.0
    );
    assert!(
        sample("borderpost_certificate_expiry_seconds{certificate=\"server\"}") > 86400.0 * 365.0
    );
    assert!(
        sample("borderpost_tls_handshake_failures_total{reason=\"certificate-expired\"}") >= 1.0
    );
    h.stop().await;
}
