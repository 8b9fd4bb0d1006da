//! Talking to the target below HTTP clients: a bare TLS handshake (to
//! learn its certificate and version), a hand-written HTTP/1.1 request
//! over TLS (to declare a body and send none of it, or to send more
//! headers than any client library would), and a handshake with OpenSSL
//! offering only TLS 1.0 or 1.1, which rustls cannot do at all.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a successful handshake showed.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The server's certificate chain, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The negotiated version, e.g. `TLSv1_3`.
    pub version: String,
    /// The negotiated application protocol, if any.
    pub alpn: Option<String>,
}

/// A client identity for a probe: chain and key.
pub type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The TLS versions rustls offers by default (1.3 and 1.2).
const DEFAULT_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn client_config(
    roots: &[CertificateDer<'static>],
    identity: Option<Identity>,
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).map_err(|e| e.to_string())?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .with_root_certificates(store);
    let mut config = match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

async fn connect_tls(
    host: &str,
    port: u16,
    config: rustls::ClientConfig,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let name = ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
    )
    .map_err(|e| format!("{host} is not a server name: {e}"))?;
    let connecting = async {
        let tcp = tokio::net::TcpStream::connect((host_for_socket(host), port))
            .await
            .map_err(|e| format!("TCP connect to {host}:{port}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))
    };
    tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| format!("no handshake within {timeout:?}"))?
}

/// The host as a socket address wants it (IPv6 literals without brackets).
fn host_for_socket(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

/// Completes a TLS handshake (offering h2 and http/1.1) and reports what
/// the server presented.
pub async fn handshake(
    host: &str,
    port: u16,
    roots: &[CertificateDer<'static>],
    identity: Option<Identity>,
    timeout: Duration,
) -> Result<Handshake, String> {
    handshake_with(host, port, roots, identity, DEFAULT_VERSIONS, timeout).await
}

/// Like [`handshake`], offering only `versions`.
pub async fn handshake_with(
    host: &str,
    port: u16,
    roots: &[CertificateDer<'static>],
    identity: Option<Identity>,
    versions: &[&'static rustls::SupportedProtocolVersion],
    timeout: Duration,
) -> Result<Handshake, String> {
    let config = client_config(roots, identity, &[b"h2", b"http/1.1"], versions)?;
    let stream = connect_tls(host, port, config, timeout).await?;
    let (_, connection) = stream.get_ref();
    Ok(Handshake {
        chain: connection
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
            .unwrap_or_default(),
        version: connection
            .protocol_version()
            .map_or_else(|| "unknown".to_owned(), |v| format!("{v:?}")),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
    })
}

/// An HTTP/1.1 answer read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (as much as arrived, up to its `Content-Length`).
    pub body: Vec<u8>,
    /// From the end of writing to the end of the answer's headers.
    pub elapsed: Duration,
}

/// Sends `head` (request line and headers, ending in an empty line) and
/// `body` over a fresh TLS connection speaking HTTP/1.1, and reads the
/// answer's head and body. The body may be shorter than the
/// `Content-Length` the head declares: that is how a refusal *before the
/// body is read* is observed.
pub async fn raw_http1(
    host: &str,
    port: u16,
    roots: &[CertificateDer<'static>],
    identity: Option<Identity>,
    head: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<RawResponse, String> {
    let config = client_config(roots, identity, &[b"http/1.1"], DEFAULT_VERSIONS)?;
    let mut stream = connect_tls(host, port, config, timeout).await?;
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("writing the request head: {e}"))?;
    if !body.is_empty() {
        stream
            .write_all(body)
            .await
            .map_err(|e| format!("writing the body: {e}"))?;
    }
    stream
        .flush()
        .await
        .map_err(|e| format!("writing the request: {e}"))?;
    let started = Instant::now();
    let reading = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let (head_end, elapsed) = loop {
            if let Some(at) = find(&buf, b"\r\n\r\n") {
                break (at + 4, started.elapsed());
            }
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("reading the answer: {e}"))?;
            if n == 0 {
                return Err(if buf.is_empty() {
                    "the connection was closed without an answer".to_owned()
                } else {
                    "the connection was closed in the middle of the answer's head".to_owned()
                });
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > 256 * 1024 {
                return Err("the answer's head is over 256 KiB".to_owned());
            }
        };
        let text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(1024 * 1024);
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(length);
        Ok(RawResponse {
            status,
            headers,
            body,
            elapsed,
        })
    };
    tokio::time::timeout(timeout, reading)
        .await
        .map_err(|_| format!("no answer within {timeout:?}"))?
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How a legacy-version handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Legacy {
    /// The server completed the handshake at this version.
    Accepted(String),
    /// The server refused (an alert, or it closed the connection).
    Refused(String),
    /// The probe could not even offer the version (the local OpenSSL has
    /// it disabled) or could not connect: nothing was learnt.
    Inconclusive(String),
}

/// Offers only TLS versions up to `max` (TLS 1.0 or 1.1) with OpenSSL,
/// presenting the sender's certificate so that the version is the only
/// reason to refuse. The cipher string `DEFAULT:@SECLEVEL=0` is needed
/// for OpenSSL 3 to offer these versions at all (security level 1 and up
/// disable them); the server's certificate is not verified, because the
/// question is only which versions it agrees to.
pub fn legacy_handshake(
    host: &str,
    port: u16,
    cert: &Path,
    key: &Path,
    max: openssl::ssl::SslVersion,
    timeout: Duration,
) -> Legacy {
    use openssl::ssl::{HandshakeError, SslConnector, SslFiletype, SslMethod, SslVerifyMode};

    let setup = || -> Result<SslConnector, openssl::error::ErrorStack> {
        let mut builder = SslConnector::builder(SslMethod::tls_client())?;
        builder.set_security_level(0);
        builder.set_cipher_list("DEFAULT:@SECLEVEL=0")?;
        builder.set_min_proto_version(Some(openssl::ssl::SslVersion::TLS1))?;
        builder.set_max_proto_version(Some(max))?;
        builder.set_verify(SslVerifyMode::NONE);
        builder.set_certificate_chain_file(cert)?;
        builder.set_private_key_file(key, SslFiletype::PEM)?;
        Ok(builder.build())
    };
    let connector = match setup() {
        Ok(c) => c,
        Err(e) => return Legacy::Inconclusive(format!("OpenSSL client setup: {e}")),
    };
    let addr: Option<SocketAddr> = (host_for_socket(host).as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    let Some(addr) = addr else {
        return Legacy::Inconclusive(format!("cannot resolve {host}"));
    };
    let tcp = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(tcp) => tcp,
        Err(e) => return Legacy::Inconclusive(format!("TCP connect to {addr}: {e}")),
    };
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let mut config = match connector.configure() {
        Ok(c) => c,
        Err(e) => return Legacy::Inconclusive(format!("OpenSSL client setup: {e}")),
    };
    config.set_verify_hostname(false);
    let is_ip = host_for_socket(host).parse::<std::net::IpAddr>().is_ok();
    config.set_use_server_name_indication(!is_ip);
    match config.connect(&host_for_socket(host), tcp) {
        Ok(stream) => Legacy::Accepted(stream.ssl().version_str().to_owned()),
        Err(HandshakeError::Failure(mid)) => classify(mid.error().to_string()),
        Err(HandshakeError::SetupFailure(e)) => {
            Legacy::Inconclusive(format!("OpenSSL client setup: {e}"))
        }
        Err(HandshakeError::WouldBlock(_)) => {
            Legacy::Refused("the server did not complete the handshake in time".to_owned())
        }
    }
}

/// Separates "we could not offer the version" from "the server refused it".
fn classify(error: String) -> Legacy {
    let lower = error.to_ascii_lowercase();
    if lower.contains("no protocols available") || lower.contains("no ciphers available") {
        Legacy::Inconclusive(format!("the local OpenSSL cannot offer it: {error}"))
    } else {
        Legacy::Refused(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_failures_are_not_refusals() {
        assert!(matches!(
            classify("error:0A0000BF:SSL routines::no protocols available".to_owned()),
            Legacy::Inconclusive(_)
        ));
        assert!(matches!(
            classify("error:0A00042E:SSL routines::tlsv1 alert protocol version".to_owned()),
            Legacy::Refused(_)
        ));
    }
}
