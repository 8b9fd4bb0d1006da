//! OpenSSL for the signatures: the key type that signs, the digests and
//! RSA the core's XML-DSig rule asks for, certificate chains, and who a
//! certificate names.

use std::fmt;

use borderpost_core::id::parse_certificate_serial_number;
use borderpost_core::xml::dsig::{self, RSA_SHA256, SHA256};
use borderpost_core::{AdapterError, Country, PartyId, Signer};
use openssl::asn1::Asn1Object;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509Ref, X509StoreContext};
use time::OffsetDateTime;

/// A certificate (with its chain) and its RSA private key: signs
/// deliveries, seals and receipts through the core [`Signer`].
pub struct SigningKey {
    key: PKey<Private>,
    cert: X509,
    chain: Vec<Vec<u8>>,
}

/// OpenSSL's SHA-256 and RSA for [`dsig::verify`].
pub(crate) struct XmlCrypto;

// === impl SigningKey ===

impl SigningKey {
    /// Loads a key from PEM: `cert_pem` holds the certificate, optionally
    /// followed by its issuing chain; `key_pem` its RSA private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<SigningKey, AdapterError> {
        let certs = X509::stack_from_pem(cert_pem).map_err(|_| AdapterError::Malformed {
            syntax: "PEM",
            detail: "the certificate file holds no readable PEM certificate".to_owned(),
        })?;
        let key = PKey::private_key_from_pem(key_pem).map_err(|_| AdapterError::Malformed {
            syntax: "PEM",
            detail: "the key file holds no readable PEM private key".to_owned(),
        })?;
        let Some(cert) = certs.first().cloned() else {
            return Err(AdapterError::Malformed {
                syntax: "PEM",
                detail: "no certificate".to_owned(),
            });
        };
        if key.id() != Id::RSA {
            return Err(AdapterError::Unsupported {
                what: "non-RSA keys (Mina meddelanden signs with rsa-sha256)".to_owned(),
            });
        }
        if !cert.public_key().map_err(crypto)?.public_eq(&key) {
            return Err(AdapterError::Signature {
                detail: "the private key does not belong to the certificate".to_owned(),
            });
        }
        let chain = certs
            .iter()
            .map(|c| c.to_der().map_err(crypto))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SigningKey { key, cert, chain })
    }

    /// The organisation the certificate names.
    pub fn organisation(&self) -> Result<PartyId, AdapterError> {
        organisation(&self.cert)
    }
}

impl Signer for SigningKey {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_rs256(&self, data: &[u8]) -> Result<Vec<u8>, AdapterError> {
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha256(), &self.key).map_err(crypto)?;
        signer.sign_oneshot_to_vec(data).map_err(crypto)
    }
}

impl fmt::Debug for SigningKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("subject", &subject_name(&self.cert))
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

// === impl XmlCrypto ===

impl dsig::Crypto for XmlCrypto {
    fn digest(&self, algorithm: &str, data: &[u8]) -> Result<Vec<u8>, AdapterError> {
        if algorithm != SHA256 {
            return Err(signature("digest algorithm not supported"));
        }
        Ok(openssl::hash::hash(MessageDigest::sha256(), data)
            .map_err(crypto)?
            .to_vec())
    }

    fn verify(
        &self,
        algorithm: &str,
        certificate: &[u8],
        data: &[u8],
        signature_value: &[u8],
    ) -> Result<(), AdapterError> {
        if algorithm != RSA_SHA256 {
            return Err(signature("signature algorithm not supported"));
        }
        let cert = parse_der(certificate)?;
        let key = cert
            .public_key()
            .map_err(|_| signature("the certificate's public key cannot be read"))?;
        if key.id() != Id::RSA {
            return Err(signature("rsa-sha256 needs an RSA key"));
        }
        let mut verifier =
            openssl::sign::Verifier::new(MessageDigest::sha256(), &key).map_err(crypto)?;
        match verifier.verify_oneshot(signature_value, data) {
            Ok(true) => Ok(()),
            _ => Err(signature("the signature value does not verify")),
        }
    }
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> Result<Vec<u8>, AdapterError> {
    Ok(openssl::hash::hash(MessageDigest::sha256(), data)
        .map_err(crypto)?
        .to_vec())
}

/// Parses a DER certificate carried in a signature.
pub(crate) fn parse_der(der: &[u8]) -> Result<X509, AdapterError> {
    X509::from_der(der)
        .map_err(|_| signature("the signing certificate is not a valid X.509 certificate"))
}

/// Checks that `leaf` chains to one of `anchors` (DER) through
/// `intermediates` (DER), valid at `at`. Any configured anchor is a trust
/// anchor, self-signed or not (OpenSSL's partial-chain mode). No anchors is
/// a refusal: a chain that nothing is trusted for is never a pass.
pub(crate) fn verify_chain(
    leaf: &X509Ref,
    intermediates: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: OffsetDateTime,
    what: &str,
) -> Result<(), AdapterError> {
    if anchors.is_empty() {
        return Err(AdapterError::Missing {
            what: "trust anchors for Swedish signing certificates",
        });
    }
    let mut store = X509StoreBuilder::new().map_err(crypto)?;
    for der in anchors {
        let anchor = X509::from_der(der).map_err(|_| AdapterError::Crypto {
            detail: "a configured trust anchor is not a valid certificate".to_owned(),
        })?;
        store.add_cert(anchor).map_err(crypto)?;
    }
    let mut param = X509VerifyParam::new().map_err(crypto)?;
    param.set_time(at.unix_timestamp());
    param
        .set_flags(X509VerifyFlags::PARTIAL_CHAIN)
        .map_err(crypto)?;
    store.set_param(&param).map_err(crypto)?;
    let store = store.build();
    let mut untrusted = Stack::new().map_err(crypto)?;
    for der in intermediates {
        if let Ok(c) = X509::from_der(der) {
            untrusted.push(c).map_err(crypto)?;
        }
    }
    let mut context = X509StoreContext::new().map_err(crypto)?;
    let (ok, reason) = context
        .init(&store, leaf, &untrusted, |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error().error_string().to_owned()))
        })
        .map_err(crypto)?;
    if ok {
        Ok(())
    } else {
        Err(signature(format!(
            "{what}: the certificate is not trusted ({reason})"
        )))
    }
}

/// The organisation a Swedish organisation certificate names: its eIDAS
/// `organizationIdentifier` (`NTRSE-2021004748`) if it has one, else its
/// `serialNumber`, which Swedish CAs fill with `16` + organisationsnummer
/// (the official sample: `CN=Kommun A + SERIALNUMBER=162021004748`).
pub fn organisation(cert: &X509Ref) -> Result<PartyId, AdapterError> {
    let subject = cert.subject_name();
    let nid = Asn1Object::from_str("2.5.4.97")
        .ok()
        .map(|o| o.nid())
        .filter(|n| *n != Nid::UNDEF);
    if let Some(value) = nid
        .and_then(|nid| subject.entries_by_nid(nid).next())
        .and_then(|e| e.data().to_string().ok())
    {
        return PartyId::from_organization_identifier(&value).map_err(|error| {
            AdapterError::InvalidId {
                path: "certificate subject organizationIdentifier".to_owned(),
                error,
            }
        });
    }
    let country = subject
        .entries_by_nid(Nid::COUNTRYNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .and_then(|c| Country::from_code(&c.to_ascii_lowercase()))
        .unwrap_or(Country::Se);
    let serial = subject
        .entries_by_nid(Nid::SERIALNUMBER)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .ok_or_else(|| {
            signature(
                "the certificate names no organisation (neither organizationIdentifier nor serialNumber)",
            )
        })?;
    parse_certificate_serial_number(country, &serial).map_err(|error| AdapterError::InvalidId {
        path: "certificate subject serialNumber".to_owned(),
        error,
    })
}

/// The subject as `X509SubjectName` text, most specific RDN first, the way
/// the reference data writes it: `CN=Kommun A + SERIALNUMBER=162021004748,
/// O=Kommun A, C=SE` (multi-valued RDNs joined with ` + `).
pub fn subject_name(cert: &X509Ref) -> String {
    let der = cert.subject_name().to_der().unwrap_or_default();
    name_from_der(&der).unwrap_or_default()
}

/// Walks a DER `Name` (SEQUENCE OF SET OF {OID, value}); `None` if it is
/// not one.
fn name_from_der(der: &[u8]) -> Option<String> {
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut rdns = Vec::new();
    let mut rest = seq;
    while !rest.is_empty() {
        let (tag, set, next) = tlv(rest)?;
        rest = next;
        if tag != 0x31 {
            return None;
        }
        let mut parts = Vec::new();
        let mut inner = set;
        while !inner.is_empty() {
            let (tag, atv, next) = tlv(inner)?;
            inner = next;
            if tag != 0x30 {
                return None;
            }
            let (otag, oid, after) = tlv(atv)?;
            let (_, value, _) = tlv(after)?;
            if otag != 0x06 {
                return None;
            }
            let key = match oid_text(oid)?.as_str() {
                "2.5.4.3" => "CN".to_owned(),
                "2.5.4.6" => "C".to_owned(),
                "2.5.4.7" => "L".to_owned(),
                "2.5.4.8" => "S".to_owned(),
                "2.5.4.10" => "O".to_owned(),
                "2.5.4.11" => "OU".to_owned(),
                "2.5.4.5" => "SERIALNUMBER".to_owned(),
                "2.5.4.9" => "STREET".to_owned(),
                "1.2.840.113549.1.9.1" => "E".to_owned(),
                other => format!("OID.{other}"),
            };
            let value = String::from_utf8_lossy(value);
            parts.push(format!("{key}={}", quote(&value)));
        }
        rdns.push(parts.join(" + "));
    }
    rdns.reverse();
    Some(rdns.join(", "))
}

fn quote(value: &str) -> String {
    let special = value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.contains([',', '+', '=', '"', '\\', '<', '>', ';', '\n']);
    if special {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// One DER TLV: tag, content, and what follows.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *der.first()?;
    let first = *der.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in der.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let content = der.get(header..header.checked_add(len)?)?;
    Some((tag, content, &der[header + len..]))
}

fn oid_text(oid: &[u8]) -> Option<String> {
    let first = *oid.first()?;
    let mut parts = vec![u64::from(first / 40), u64::from(first % 40)];
    let mut value = 0u64;
    for b in &oid[1..] {
        value = value.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            parts.push(value);
            value = 0;
        }
    }
    Some(
        parts
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

pub(crate) fn crypto(e: openssl::error::ErrorStack) -> AdapterError {
    AdapterError::Crypto {
        detail: e.to_string(),
    }
}

fn signature(detail: impl Into<String>) -> AdapterError {
    AdapterError::Signature {
        detail: detail.into(),
    }
}
