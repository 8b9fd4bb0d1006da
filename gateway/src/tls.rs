//! TLS: the mTLS server configuration (reloadable), the identity a client
//! certificate proves, and mTLS client configurations for upstreams.
//!
//! A client certificate is always required and verified against the
//! configured anchors and CRLs; there is no unauthenticated path. The
//! verified chain's anchor tells the client's role (a sender of a country,
//! or a peer gateway); the leaf's `organizationIdentifier` (or
//! `serialNumber`, the way that country's CAs use it) tells its
//! organisation. Nothing the client sends in headers can change either.

use std::sync::Arc;

use arc_swap::ArcSwap;
use borderpost_core::PartyId;
use rustls::RootCertStore;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::CertificateDer;

use crate::config::{Config, Role, Upstream};
use crate::pki::{self, PkiError};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate, key or CRL file.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// rustls refused the material.
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// What the anchor that issued the certificate makes it.
    pub role: Role,
    /// The organisation the certificate names, if it names a valid one.
    pub organisation: Option<PartyId>,
}

/// Maps an issuing CA's subject to the role of the clients it vouches for.
#[derive(Debug, Default)]
struct Anchors {
    by_subject: Vec<(Vec<u8>, Role)>,
}

/// The server side: the current `ServerConfig` and how to read identities,
/// both swapped whole on reload so new handshakes see new certificates,
/// anchors and CRLs while open connections carry on.
pub struct ServerTls {
    config: ArcSwap<ServerConfig>,
    anchors: ArcSwap<Anchors>,
}

impl ServerTls {
    /// Builds the server TLS state from `config`.
    pub fn new(config: &Config) -> Result<ServerTls, TlsError> {
        let (server, anchors) = build(config)?;
        Ok(ServerTls {
            config: ArcSwap::from_pointee(server),
            anchors: ArcSwap::from_pointee(anchors),
        })
    }

    /// Rebuilds from `config` (re-reading every file) and swaps it in.
    /// On error the current configuration stays.
    pub fn reload(&self, config: &Config) -> Result<(), TlsError> {
        let (server, anchors) = build(config)?;
        // A new ServerConfig also means a new session cache and ticket key:
        // a resumed session must not skip the check against new CRLs.
        self.config.store(Arc::new(server));
        self.anchors.store(Arc::new(anchors));
        Ok(())
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.config.load_full()
    }

    /// The identity a verified client chain proves. `None` if the chain's
    /// anchor is not one of ours (cannot happen after verification, but the
    /// answer is then "nobody").
    pub fn identify(&self, chain: &[CertificateDer<'_>]) -> Option<PeerIdentity> {
        let leaf = chain.first()?;
        let top = chain.last()?;
        let issuer = pki::issuer_der(top)?;
        let anchors = self.anchors.load();
        let role = anchors
            .by_subject
            .iter()
            .find(|(subject, _)| *subject == issuer)
            .map(|(_, role)| *role)?;
        let country = match role {
            Role::Sender(country) => Some(country),
            Role::Peer => None,
        };
        Some(PeerIdentity {
            role,
            organisation: pki::organisation(leaf, country),
        })
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(config: &Config) -> Result<(ServerConfig, Anchors), TlsError> {
    let mut roots = RootCertStore::empty();
    let mut anchors = Anchors::default();
    for anchor in &config.trust.anchors {
        for cert in pki::load_certificates(&anchor.path)? {
            if let Some(subject) = pki::subject_der(&cert) {
                anchors.by_subject.push((subject, anchor.role));
            }
            roots
                .add(cert)
                .map_err(|e| TlsError::Rustls(format!("{}: {e}", anchor.path.display())))?;
        }
    }
    let mut crls = Vec::new();
    for path in &config.trust.crls {
        crls.extend(pki::load_crls(path)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(crls)
        // A CA with no configured CRL is not revocation-checked rather than
        // locking all its clients out; configure a CRL per CA to check all.
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;

    let chain = pki::load_certificates(&config.server.certificate)?;
    let key = pki::load_private_key(&config.server.private_key)?;
    let mut server = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Resumption roughly doubles handshakes per second; keep it on.
    server.session_storage = rustls::server::ServerSessionMemoryCache::new(16 * 1024);
    server.ticketer =
        rustls::crypto::ring::Ticketer::new().map_err(|e| TlsError::Rustls(e.to_string()))?;
    Ok((server, anchors))
}

/// An mTLS client configuration for `upstream`: its client certificate, and
/// only its pinned anchors as roots.
pub fn client_config(upstream: &Upstream) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    for path in &upstream.trust {
        for cert in pki::load_certificates(path)? {
            roots
                .add(cert)
                .map_err(|e| TlsError::Rustls(format!("{}: {e}", path.display())))?;
        }
    }
    let chain = pki::load_certificates(&upstream.client_certificate)?;
    let key = pki::load_private_key(&upstream.client_key)?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    // No ALPN here: the HTTPS connector offers h2 and http/1.1 itself (and
    // refuses a configuration that already names protocols).
    Ok(config)
}
