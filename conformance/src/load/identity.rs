//! The client's identity: certificate chain and key presented to the
//! server, and the CAs its certificate is checked against.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use borderpost_core::PartyId;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::LoadError;

/// One PEM file's bytes and where they came from (named in errors).
#[derive(Clone)]
pub struct Pem {
    /// Where the bytes came from: a path, or a name in the built-in PKI.
    pub origin: PathBuf,
    /// The PEM text.
    pub bytes: Vec<u8>,
}

/// A client certificate with its key, and the trusted CAs.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    roots: Vec<CertificateDer<'static>>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

// === impl Pem ===

impl Pem {
    /// `bytes`, read from `origin`.
    pub fn new(origin: impl Into<PathBuf>, bytes: Vec<u8>) -> Pem {
        Pem {
            origin: origin.into(),
            bytes,
        }
    }
}

impl fmt::Debug for Pem {
    // It may be a key: name it, never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pem")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

// === impl Identity ===

impl fmt::Debug for Identity {
    // The key is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("chain", &self.chain.len())
            .field("roots", &self.roots.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Reads the PEM files: the certificate chain (leaf first), its
    /// private key, and the CA certificates that vouch for the server.
    pub fn from_files(cert: &Path, key: &Path, ca: &Path) -> Result<Identity, LoadError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| LoadError::Pki {
                path: path.to_owned(),
                detail: e.to_string(),
            })
        };
        Identity::from_pem(
            Pem::new(cert, read(cert)?),
            Pem::new(key, read(key)?),
            Pem::new(ca, read(ca)?),
        )
    }

    /// The same from PEM already read (from files, or from the example
    /// PKI built into the simulators).
    pub fn from_pem(cert: Pem, key: Pem, ca: Pem) -> Result<Identity, LoadError> {
        fn pem(path: &Path) -> impl Fn(rustls_pki_types::pem::Error) -> LoadError + '_ {
            move |e| LoadError::Pki {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        }
        let chain = CertificateDer::pem_slice_iter(&cert.bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pem(&cert.origin))?;
        let roots = CertificateDer::pem_slice_iter(&ca.bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pem(&ca.origin))?;
        let key_der = PrivateKeyDer::from_pem_slice(&key.bytes).map_err(pem(&key.origin))?;
        for (origin, empty) in [
            (&cert.origin, chain.is_empty()),
            (&ca.origin, roots.is_empty()),
        ] {
            if empty {
                return Err(LoadError::Pki {
                    path: origin.clone(),
                    detail: "no certificate".to_owned(),
                });
            }
        }
        Ok(Identity {
            chain,
            key: key_der,
            roots,
            cert_pem: cert.bytes,
            key_pem: key.bytes,
        })
    }

    /// The organisation the client certificate names (eIDAS
    /// `organizationIdentifier` or `serialNumber`), in its national form:
    /// the sender a generated message must carry, since a gateway lets a
    /// client send only as itself.
    pub fn organisation(&self) -> Result<PartyId, LoadError> {
        borderpost_no::CmsKey::from_pem(&self.cert_pem, &self.key_pem)
            .and_then(|key| key.organisation())
            .map(|id| id.national())
            .map_err(|e| LoadError::Template(format!("the client certificate's organisation: {e}")))
    }

    /// A rustls client configuration presenting this identity over
    /// HTTP/1.1. Without `resumption` every connection makes a full
    /// handshake (what the new-connection mode measures).
    pub(crate) fn client_config(
        &self,
        resumption: bool,
    ) -> Result<Arc<rustls::ClientConfig>, LoadError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for root in &self.roots {
            roots.add(root.clone())?;
        }
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if !resumption {
            config.resumption = rustls::client::Resumption::disabled();
        }
        Ok(Arc::new(config))
    }
}
