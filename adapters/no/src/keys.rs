//! An OpenSSL-backed key: signs (JWT `RS256`, XAdES `rsa-sha256`) and
//! decrypts CMS packages, so the gateway and the command line can load a
//! certificate and key from PEM files and hand them to the adapters
//! through the core [`Signer`] and [`Decrypter`] traits.

use std::fmt;

use borderpost_core::{AdapterError, Decrypter, Opened, PartyId, Signer};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::x509::X509;

use crate::cert::{self, crypto};
use crate::cms;

/// A certificate (with its chain) and the matching RSA private key.
pub struct CmsKey {
    key: PKey<Private>,
    cert: X509,
    chain: Vec<Vec<u8>>,
}

impl CmsKey {
    /// Loads a key from PEM: `cert_pem` holds the certificate, optionally
    /// followed by its issuing chain; `key_pem` the private key (PKCS#8 or
    /// PKCS#1). The key must be RSA and must belong to the first
    /// certificate.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<CmsKey, AdapterError> {
        let certs = X509::stack_from_pem(cert_pem).map_err(|_| AdapterError::Malformed {
            syntax: "PEM",
            detail: "the certificate file holds no readable PEM certificate".to_owned(),
        })?;
        let key = PKey::private_key_from_pem(key_pem).map_err(|_| AdapterError::Malformed {
            syntax: "PEM",
            detail: "the key file holds no readable PEM private key".to_owned(),
        })?;
        CmsKey::new(certs, key)
    }

    fn new(certs: Vec<X509>, key: PKey<Private>) -> Result<CmsKey, AdapterError> {
        let Some(cert) = certs.first().cloned() else {
            return Err(AdapterError::Malformed {
                syntax: "PEM",
                detail: "no certificate".to_owned(),
            });
        };
        if key.id() != Id::RSA {
            return Err(AdapterError::Unsupported {
                what: "non-RSA keys (DPI signs with RS256 and encrypts with RSA-OAEP)".to_owned(),
            });
        }
        let public = cert.public_key().map_err(crypto)?;
        if !public.public_eq(&key) {
            return Err(AdapterError::Signature {
                detail: "the private key does not belong to the certificate".to_owned(),
            });
        }
        let chain = certs
            .iter()
            .map(|c| c.to_der().map_err(crypto))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CmsKey { key, cert, chain })
    }

    /// The organisation the certificate names (see [`crate::certificate_organisation`]).
    pub fn organisation(&self) -> Result<PartyId, AdapterError> {
        cert::organisation(&self.cert)
    }
}

impl Signer for CmsKey {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_rs256(&self, data: &[u8]) -> Result<Vec<u8>, AdapterError> {
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha256(), &self.key).map_err(crypto)?;
        signer.sign_oneshot_to_vec(data).map_err(crypto)
    }
}

impl Decrypter for CmsKey {
    fn certificate(&self) -> &[u8] {
        self.chain.first().map_or(&[], Vec::as_slice)
    }

    fn decrypt_cms(&self, der: &[u8]) -> Result<Vec<u8>, AdapterError> {
        cms::decrypt(der, self.certificate(), &self.key)
    }

    fn open_cms(&self, der: &[u8]) -> Result<Opened, AdapterError> {
        cms::open(der, self.certificate(), &self.key)
    }
}

impl fmt::Debug for CmsKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CmsKey")
            .field("subject", &self.cert.subject_name())
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// The first certificate of a PEM file, as DER (for
/// `EncodeContext::recipient_certificate`).
pub fn certificate_der_from_pem(pem: &[u8]) -> Result<Vec<u8>, AdapterError> {
    X509::from_pem(pem)
        .and_then(|c| c.to_der())
        .map_err(|_| AdapterError::Malformed {
            syntax: "PEM",
            detail: "no readable PEM certificate".to_owned(),
        })
}

/// OpenSSL's digests and RSA for the core's XML-DSig rule.
pub(crate) struct XmlCrypto;

impl borderpost_core::xml::dsig::Crypto for XmlCrypto {
    fn digest(&self, algorithm: &str, data: &[u8]) -> Result<Vec<u8>, AdapterError> {
        let md = match algorithm {
            borderpost_core::xml::dsig::SHA256 => MessageDigest::sha256(),
            _ => {
                return Err(AdapterError::Signature {
                    detail: "digest algorithm not supported".to_owned(),
                });
            }
        };
        Ok(openssl::hash::hash(md, data).map_err(crypto)?.to_vec())
    }

    fn verify(
        &self,
        algorithm: &str,
        certificate: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), AdapterError> {
        if algorithm != borderpost_core::xml::dsig::RSA_SHA256 {
            return Err(AdapterError::Signature {
                detail: "signature algorithm not supported".to_owned(),
            });
        }
        let cert = cert::parse_der(certificate, "the package's signing certificate")?;
        verify_rs256(&cert, data, signature, "package signature")
    }
}

/// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature with `cert`'s key.
pub(crate) fn verify_rs256(
    cert: &X509,
    data: &[u8],
    signature: &[u8],
    what: &str,
) -> Result<(), AdapterError> {
    let key: PKey<Public> = cert.public_key().map_err(|_| AdapterError::Signature {
        detail: format!("{what}: the certificate's public key cannot be read"),
    })?;
    if key.id() != Id::RSA {
        return Err(AdapterError::Signature {
            detail: format!("{what}: RS256 needs an RSA key"),
        });
    }
    let mut verifier =
        openssl::sign::Verifier::new(MessageDigest::sha256(), &key).map_err(crypto)?;
    match verifier.verify_oneshot(signature, data) {
        Ok(true) => Ok(()),
        _ => Err(AdapterError::Signature {
            detail: format!("{what}: the signature does not verify"),
        }),
    }
}
