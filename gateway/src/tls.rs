//! TLS: the mTLS server configuration (reloadable), the identity a client
//! certificate proves, and mTLS client configurations for upstreams.
//!
//! A client certificate is always required and verified against the
//! configured anchors and CRLs; there is no unauthenticated path. The
//! verified chain's anchor tells the client's role (a sender of a country,
//! or a peer gateway); the leaf's `organizationIdentifier` (or
//! `serialNumber`, the way that country's CAs use it) tells its
//! organisation. Nothing the client sends in headers can change either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use borderpost_core::PartyId;
use rustls::RootCertStore;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};

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

/// The configured trust anchors with the role of the clients each vouches
/// for.
#[derive(Debug, Default)]
struct Anchors {
    /// The anchors, as webpki builds paths to them.
    trusted: Vec<TrustAnchor<'static>>,
    /// `roles[i]` is the role `trusted[i]` gives.
    roles: Vec<Role>,
    /// Identities already read, by the chain's DER. What a chain proves
    /// depends only on its bytes and on the anchors, so the cache lives and
    /// is replaced with them; it spares building the path again and parsing
    /// the leaf with OpenSSL on every connection of a returning client.
    /// Verification itself (signatures, validity, CRLs) is rustls's, on
    /// every handshake.
    known: Mutex<HashMap<Vec<Vec<u8>>, Option<PeerIdentity>>>,
}

/// The most identities [`Anchors::known`] holds before it starts afresh.
const KNOWN_IDENTITIES: usize = 4096;

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
        let anchors = self.anchors.load();
        let key: Vec<Vec<u8>> = chain.iter().map(|c| c.as_ref().to_vec()).collect();
        if let Some(known) = lock(&anchors.known).get(&key) {
            return known.clone();
        }
        let identity = read_identity(&anchors, chain);
        let mut known = lock(&anchors.known);
        if known.len() >= KNOWN_IDENTITIES {
            known.clear();
        }
        known.insert(key, identity.clone());
        identity
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What `chain` (leaf first, as the client sent it) proves with these
/// anchors. The role comes from the anchor the leaf's path actually ends
/// at, built again here the way rustls verified it: the certificates a
/// client sends after its leaf are only candidates, and one naming another
/// CA as its issuer must not change whose client it is.
fn read_identity(anchors: &Anchors, chain: &[CertificateDer<'_>]) -> Option<PeerIdentity> {
    let (leaf, intermediates) = chain.split_first()?;
    let end_entity = webpki::EndEntityCert::try_from(leaf).ok()?;
    let path = end_entity
        .verify_for_usage(
            rustls::crypto::ring::default_provider()
                .signature_verification_algorithms
                .all,
            &anchors.trusted,
            intermediates,
            UnixTime::now(),
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .ok()?;
    let reached = path.anchor();
    let role = anchors
        .trusted
        .iter()
        .position(|a| {
            a.subject == reached.subject
                && a.subject_public_key_info == reached.subject_public_key_info
        })
        .and_then(|i| anchors.roles.get(i).copied())?;
    let country = match role {
        Role::Sender(country) => Some(country),
        Role::Peer => None,
    };
    Some(PeerIdentity {
        role,
        organisation: pki::organisation(leaf, country),
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(config: &Config) -> Result<(ServerConfig, Anchors), TlsError> {
    let mut roots = RootCertStore::empty();
    let mut anchors = Anchors::default();
    for anchor in &config.trust.anchors {
        for cert in pki::load_certificates(&anchor.path)? {
            let trusted = webpki::anchor_from_trusted_cert(&cert)
                .map_err(|e| TlsError::Rustls(format!("{}: {e}", anchor.path.display())))?
                .to_owned();
            anchors.trusted.push(trusted);
            anchors.roles.push(anchor.role);
            roots
                .add(cert)
                .map_err(|e| TlsError::Rustls(format!("{}: {e}", anchor.path.display())))?;
        }
    }
    let mut crls = Vec::new();
    for path in &config.trust.crls {
        crls.extend(pki::load_crls(path)?);
    }
    let mut verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).with_crls(crls);
    // By default a client whose revocation status cannot be known (its CA
    // has no CRL here) is refused; check-config requires a CRL per CA
    // unless the operator switched this on, by its dangerous name.
    if config.trust.dangerous_allow_unknown_revocation_status {
        verifier = verifier.allow_unknown_revocation_status();
    }
    let verifier = verifier
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::demo;

    fn certs() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
    }

    fn chain(leaf: &str, ca: &str) -> Vec<CertificateDer<'static>> {
        let mut chain = pki::load_certificates(&certs().join(leaf)).unwrap();
        chain.extend(pki::load_certificates(&certs().join(ca)).unwrap());
        chain
    }

    fn tls(text: &str) -> (ServerTls, Config) {
        let config = Config::parse(text, Path::new("/")).unwrap();
        (ServerTls::new(&config).unwrap(), config)
    }

    #[test]
    fn a_chain_proves_its_role_and_organisation_the_same_way_every_time() {
        let text = demo::config_toml(
            &certs(),
            Path::new("/tmp/borderpost-tls-test"),
            &demo::Ports::default(),
        );
        let (tls, _) = tls(&text);
        let dk = chain("sender-dk.crt", "ca-dk.crt");
        let no = chain("sender-no.crt", "ca-no.crt");
        for _ in 0..2 {
            let id = tls.identify(&dk).unwrap();
            assert_eq!(id.role, Role::Sender(borderpost_core::Country::Dk));
            assert_eq!(id.organisation.unwrap().to_string(), "dk-cvr:55133018");
            let id = tls.identify(&no).unwrap();
            assert_eq!(id.organisation.unwrap().to_string(), "no-orgnr:991825827");
        }
        let peer = tls
            .identify(&chain("peer-gateway.crt", "ca-federation.crt"))
            .unwrap();
        assert_eq!(peer.role, Role::Peer);
        // A chain under no configured anchor proves nothing.
        assert_eq!(
            tls.identify(&chain("sender-dk-unknown-ca.crt", "ca-unknown.crt")),
            None
        );
        // What a client sends after its leaf cannot change whose client it
        // is: a Norwegian sender appending a certificate issued by the
        // Danish CA (or by the federation CA) stays a Norwegian sender.
        for extra in ["sender-dk.crt", "peer-gateway.crt", "ca-dk.crt"] {
            let id = tls.identify(&chain("sender-no.crt", extra)).unwrap();
            assert_eq!(
                id.role,
                Role::Sender(borderpost_core::Country::No),
                "{extra}"
            );
        }
        let id = tls
            .identify(&chain("sender-dk.crt", "ca-unknown.crt"))
            .unwrap();
        assert_eq!(id.role, Role::Sender(borderpost_core::Country::Dk));
    }
}
