//! A sender the runner plays: a client certificate, its key, and the
//! organisation the certificate names — which is the only identity a
//! Borderpost gateway believes (DESIGN §7), so every message the runner
//! sends as this party names that organisation as its sender.

use std::path::Path;

use borderpost_core::PartyId;
use borderpost_no::CmsKey;
use openssl::x509::X509;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Error;
use borderpost_sim::Client;

/// A sender identity and an mTLS client presenting it.
#[derive(Clone)]
pub struct Party {
    /// A short name for evidence (the certificate file's stem).
    pub name: String,
    /// The organisation the certificate names, if it names a valid one.
    pub org: Option<PartyId>,
    /// A client presenting the certificate, trusting the run's roots.
    pub client: Client,
    /// The certificate file (PEM, leaf first).
    pub cert_pem: Vec<u8>,
    /// The key file (PEM).
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for Party {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Party")
            .field("name", &self.name)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

impl Party {
    /// Loads `cert` and `key` and builds a client trusting `roots`.
    pub fn load(
        name: &str,
        cert: &Path,
        key: &Path,
        roots: &[CertificateDer<'static>],
    ) -> Result<Party, Error> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })
        };
        Party::from_pem(name, read(cert)?, read(key)?, cert, key, roots)
    }

    /// A party from PEM bytes: `cert_pem` holds the chain the client sends
    /// (leaf first), `key_pem` the leaf's key; `cert` and `key` name where
    /// they came from, for errors.
    pub fn from_pem(
        name: &str,
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
        cert: &Path,
        key: &Path,
        roots: &[CertificateDer<'static>],
    ) -> Result<Party, Error> {
        let pem = |path: &Path, detail: String| Error::Pem {
            path: path.to_owned(),
            detail,
        };
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(pem(cert, "no certificate".to_owned()));
        }
        let private =
            PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| pem(key, e.to_string()))?;
        let org = organisation(&cert_pem);
        let client = Client::with_roots(roots, Some((chain, private))).map_err(|e| Error::Tls {
            what: format!("client certificate {}", cert.display()),
            detail: e.to_string(),
        })?;
        Ok(Party {
            name: name.to_owned(),
            org,
            client,
            cert_pem,
            key_pem,
        })
    }

    /// The organisation, or a sentence saying the certificate names none.
    pub fn org(&self) -> Result<&PartyId, String> {
        self.org.as_ref().ok_or_else(|| {
            format!(
                "the certificate {} names no organisation (organizationIdentifier or serialNumber)",
                self.name
            )
        })
    }

    /// The certificate and key as a DPI signer (RS256 / XAdES).
    pub fn signer(&self) -> Result<CmsKey, String> {
        CmsKey::from_pem(&self.cert_pem, &self.key_pem)
            .map_err(|e| format!("{} cannot sign DPI messages: {e}", self.name))
    }

    /// The certificate chain and key, for a hand-made TLS connection.
    pub fn identity(&self) -> Result<super::probe::Identity, String> {
        let chain = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| e.to_string())?;
        Ok((chain, key))
    }

    /// The leaf certificate, DER.
    pub fn certificate_der(&self) -> Result<Vec<u8>, String> {
        borderpost_no::certificate_der_from_pem(&self.cert_pem).map_err(|e| e.to_string())
    }
}

/// The organisation a PEM certificate names: its eIDAS
/// `organizationIdentifier`, else its `serialNumber` as the subject's
/// country writes it — the same reading as the gateway's and the DPI
/// adapter's (`borderpost_no::certificate_organisation`).
pub fn organisation(cert_pem: &[u8]) -> Option<PartyId> {
    let cert = X509::from_pem(cert_pem).ok()?;
    borderpost_no::certificate_organisation(&cert)
        .ok()
        .map(|id| id.national())
}

/// The organisation a DER certificate names.
pub fn organisation_der(der: &[u8]) -> Option<PartyId> {
    let cert = X509::from_der(der).ok()?;
    borderpost_no::certificate_organisation(&cert)
        .ok()
        .map(|id| id.national())
}
