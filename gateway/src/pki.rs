//! Loading certificates, keys and CRLs from PEM files, and reading the
//! organisation a certificate names.

use std::path::Path;

use borderpost_core::{Country, PartyId};
use openssl::nid::Nid;
use openssl::x509::X509;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

/// X.520 `organizationIdentifier` (2.5.4.97), as OpenSSL numbers it.
const ORGANIZATION_IDENTIFIER: i32 = 1089;

/// Why a PEM file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PkiError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

fn error(path: &Path, message: impl Into<String>) -> PkiError {
    PkiError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The certificates in a PEM file (a chain: leaf first), at least one.
pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| error(path, format!("cannot read: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| error(path, format!("not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(error(path, "holds no certificate"));
    }
    for cert in &certs {
        X509::from_der(cert)
            .map_err(|e| error(path, format!("not a valid X.509 certificate: {e}")))?;
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| error(path, format!("no usable private key: {e}")))
}

/// The CRLs in a PEM file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
    let crls: Vec<_> = CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| error(path, format!("cannot read: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| error(path, format!("not PEM CRLs: {e}")))?;
    if crls.is_empty() {
        return Err(error(path, "holds no CRL"));
    }
    Ok(crls)
}

/// Whether `crl` names the subject of `cert` as its issuer.
pub fn crl_issued_by(crl: &CertificateRevocationListDer<'_>, cert: &CertificateDer<'_>) -> bool {
    let (Ok(crl), Ok(cert)) = (openssl::x509::X509Crl::from_der(crl), X509::from_der(cert)) else {
        return false;
    };
    match (crl.issuer_name().to_der(), cert.subject_name().to_der()) {
        (Ok(issuer), Ok(subject)) => issuer == subject,
        _ => false,
    }
}

/// A certificate's subject, one line (for messages).
pub fn subject(cert: &CertificateDer<'_>) -> String {
    X509::from_der(cert)
        .ok()
        .and_then(|c| {
            c.subject_name()
                .entries()
                .map(|e| e.data().to_string())
                .collect::<Result<Vec<_>, _>>()
                .ok()
        })
        .map_or_else(|| "(unreadable)".to_owned(), |parts| parts.join(", "))
}

/// Checks that `key` is the private key of `cert`.
pub fn check_key_matches(
    cert: &CertificateDer<'_>,
    key: &PrivateKeyDer<'_>,
    path: &Path,
) -> Result<(), PkiError> {
    let cert = X509::from_der(cert).map_err(|e| error(path, e.to_string()))?;
    let key = openssl::pkey::PKey::private_key_from_der(key.secret_der())
        .map_err(|e| error(path, format!("cannot parse the private key: {e}")))?;
    let public = cert.public_key().map_err(|e| error(path, e.to_string()))?;
    if !public.public_eq(&key) {
        return Err(error(
            path,
            "the private key does not belong to the certificate",
        ));
    }
    Ok(())
}

/// When a certificate expires.
pub fn not_after(cert: &CertificateDer<'_>) -> Option<time::OffsetDateTime> {
    let cert = X509::from_der(cert).ok()?;
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(cert.not_after()).ok()?;
    let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    time::OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// The organisation a certificate names: its eIDAS `organizationIdentifier`
/// if it has one, else its `serialNumber` read the way `country`'s CAs
/// write it. `None` if neither yields a valid organisation number.
pub fn organisation(cert: &CertificateDer<'_>, country: Option<Country>) -> Option<PartyId> {
    let cert = X509::from_der(cert).ok()?;
    let subject = cert.subject_name();
    let text = |nid: Nid| {
        subject
            .entries_by_nid(nid)
            .next()
            .and_then(|e| e.data().to_string().ok())
    };
    if let Some(id) = text(Nid::from_raw(ORGANIZATION_IDENTIFIER))
        && let Ok(party) = PartyId::from_organization_identifier(&id)
    {
        return Some(party);
    }
    let serial = text(Nid::SERIALNUMBER)?;
    borderpost_core::id::parse_certificate_serial_number(country?, &serial).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../certs-example")
            .join(name)
    }

    #[test]
    fn reads_organisations_from_the_example_certificates() {
        let cases = [
            ("sender-dk.crt", Some(Country::Dk), "dk-cvr:55133018"),
            ("sender-no.crt", Some(Country::No), "no-orgnr:991825827"),
            ("sender-se.crt", Some(Country::Se), "se-orgnr:2021004748"),
            ("sender-fi.crt", Some(Country::Fi), "fi-ytunnus:1366959-8"),
            ("gateway.crt", None, "dk-cvr:13748136"),
        ];
        for (file, country, want) in cases {
            let certs = load_certificates(&example(file)).unwrap();
            assert_eq!(
                organisation(&certs[0], country).unwrap().to_string(),
                want,
                "{file}"
            );
        }
    }

    #[test]
    fn keys_must_match_their_certificates() {
        let cert = load_certificates(&example("sender-dk.crt")).unwrap();
        let own = load_private_key(&example("sender-dk.key")).unwrap();
        let other = load_private_key(&example("sender-no.key")).unwrap();
        assert!(check_key_matches(&cert[0], &own, Path::new("x")).is_ok());
        assert!(check_key_matches(&cert[0], &other, Path::new("x")).is_err());
        assert!(load_certificates(&example("sender-dk.key")).is_err());
        assert!(load_crls(&example("ca-dk.crl")).unwrap().len() == 1);
        let expires = not_after(&cert[0]).unwrap();
        assert_eq!(expires.year(), 2046);
    }
}
