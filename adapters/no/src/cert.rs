//! X.509 certificates: who a certificate names, and the pieces of it that
//! CMS and XAdES refer to.

use borderpost_core::id::parse_certificate_serial_number;
use borderpost_core::{AdapterError, Country, PartyId};
use openssl::asn1::Asn1Object;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::x509::{X509, X509NameRef, X509Ref};

use crate::asn1::{self, tag};

/// The eIDAS `organizationIdentifier` attribute (X.520 2.5.4.97).
const ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";

/// Parses a DER certificate; `what` names it in errors.
pub(crate) fn parse_der(der: &[u8], what: &str) -> Result<X509, AdapterError> {
    X509::from_der(der).map_err(|_| AdapterError::Signature {
        detail: format!("{what} is not a valid X.509 certificate"),
    })
}

/// The organisation a certificate was issued to: its `organizationIdentifier`
/// (`NTRNO-991825827`) if it has one, else its `serialNumber` read the way
/// the subject's country writes it (Norwegian Buypass and Commfides
/// certificates carry the bare organisation number there).
pub fn organisation(cert: &X509Ref) -> Result<PartyId, AdapterError> {
    let subject = cert.subject_name();
    if let Some(value) = organization_identifier(subject) {
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
        .and_then(|c| Country::from_code(&c))
        .unwrap_or(Country::No);
    let serial = subject
        .entries_by_nid(Nid::SERIALNUMBER)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .ok_or_else(|| AdapterError::Signature {
            detail: "the certificate names no organisation (neither organizationIdentifier nor serialNumber)"
                .to_owned(),
        })?;
    parse_certificate_serial_number(country, &serial).map_err(|error| AdapterError::InvalidId {
        path: "certificate subject serialNumber".to_owned(),
        error,
    })
}

fn organization_identifier(subject: &X509NameRef) -> Option<String> {
    let nid = Asn1Object::from_str(ORGANIZATION_IDENTIFIER).ok()?.nid();
    if nid == Nid::UNDEF {
        return None;
    }
    let entry = subject.entries_by_nid(nid).next()?;
    entry.data().to_string().ok()
}

/// The DER encodings of a certificate's issuer `Name` and `serialNumber`
/// INTEGER, exactly as they appear in it (CMS `IssuerAndSerialNumber`
/// must match byte for byte).
pub(crate) fn issuer_and_serial(cert_der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), AdapterError> {
    let cert = asn1::parse_one(cert_der)?;
    let parts = cert.children()?;
    let tbs = asn1::expect(&parts, 0, tag::SEQUENCE, "tbsCertificate")?;
    let fields = tbs.children()?;
    // version [0] EXPLICIT is optional (absent means v1).
    let offset = usize::from(fields.first().is_some_and(|f| f.tag == tag::CTX0));
    let serial = asn1::expect(&fields, offset, tag::INTEGER, "serialNumber")?;
    let issuer = asn1::expect(&fields, offset + 2, tag::SEQUENCE, "issuer")?;
    Ok((issuer.raw.to_vec(), serial.raw.to_vec()))
}

/// The SHA-1 digest of the certificate (XAdES `CertDigest`, which the DPI
/// profile fixes to SHA-1).
pub(crate) fn sha1(cert: &X509Ref) -> Result<Vec<u8>, AdapterError> {
    cert.digest(MessageDigest::sha1())
        .map(|d| d.to_vec())
        .map_err(crypto)
}

/// The serial number in decimal (XAdES `X509SerialNumber`).
pub(crate) fn serial_decimal(cert: &X509Ref) -> Result<String, AdapterError> {
    cert.serial_number()
        .to_bn()
        .and_then(|bn| bn.to_dec_str())
        .map(|s| s.to_string())
        .map_err(crypto)
}

/// A distinguished name as RFC 4514 text (most specific RDN first), the
/// form Java's `X500Principal` and the Digdir samples use in XAdES
/// `X509IssuerName`. Attributes without a short name are written as their
/// dotted OID with the string value.
pub(crate) fn rfc4514(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = Vec::new();
    for entry in name.entries() {
        let object = entry.object();
        let key = match object.nid() {
            Nid::COMMONNAME => "CN".to_owned(),
            Nid::COUNTRYNAME => "C".to_owned(),
            Nid::LOCALITYNAME => "L".to_owned(),
            Nid::STATEORPROVINCENAME => "ST".to_owned(),
            Nid::ORGANIZATIONNAME => "O".to_owned(),
            Nid::ORGANIZATIONALUNITNAME => "OU".to_owned(),
            Nid::STREETADDRESS => "STREET".to_owned(),
            Nid::DOMAINCOMPONENT => "DC".to_owned(),
            Nid::USERID => "UID".to_owned(),
            _ => oid_text(object),
        };
        let value = entry.data().to_string().unwrap_or_default();
        parts.push(format!("{key}={}", escape_rdn_value(&value)));
    }
    parts.reverse();
    parts.join(",")
}

/// Names of attributes without an RFC 4514 short name, the way Java's
/// `X500Principal` (which wrote the Digdir samples) prints them.
fn oid_text(object: &openssl::asn1::Asn1ObjectRef) -> String {
    match object.nid() {
        Nid::SERIALNUMBER => "SERIALNUMBER".to_owned(),
        Nid::PKCS9_EMAILADDRESS => "EMAILADDRESS".to_owned(),
        _ => {
            let text = object.to_string();
            if text == "organizationIdentifier" {
                "OID.2.5.4.97".to_owned()
            } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                format!("OID.{text}")
            } else {
                text
            }
        }
    }
}

fn escape_rdn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, ' ' | '#'));
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}

/// Checks that `leaf` chains to one of `anchors` (DER) through the
/// intermediates in `chain` (DER), valid at `at`. An empty `anchors` list
/// means chain checks are not configured and passes.
pub(crate) fn verify_chain(
    leaf: &X509Ref,
    chain: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: time::OffsetDateTime,
    what: &str,
) -> Result<(), AdapterError> {
    use openssl::stack::Stack;
    use openssl::x509::X509StoreContext;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::verify::X509VerifyParam;

    if anchors.is_empty() {
        return Err(AdapterError::Missing {
            what: "trust anchors for signing certificates",
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
    store.set_param(&param).map_err(crypto)?;
    let store = store.build();
    let mut untrusted = Stack::new().map_err(crypto)?;
    for der in chain {
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
        Err(AdapterError::Signature {
            detail: format!("{what}: the certificate is not trusted ({reason})"),
        })
    }
}

pub(crate) fn crypto(e: openssl::error::ErrorStack) -> AdapterError {
    AdapterError::Crypto {
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> X509 {
        let path = format!(
            "{}/../../certs-example/{name}.crt",
            env!("CARGO_MANIFEST_DIR")
        );
        X509::from_pem(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn reads_the_organisation_of_the_example_certificates() {
        assert_eq!(
            organisation(&example("sender-no")).unwrap().to_string(),
            "no-orgnr:991825827"
        );
        assert_eq!(
            organisation(&example("postbox-no")).unwrap().to_string(),
            "no-orgnr:984661185"
        );
        assert_eq!(
            organisation(&example("gateway")).unwrap().to_string(),
            "dk-cvr:13748136"
        );
    }

    #[test]
    fn issuer_and_serial_match_openssl() {
        let cert = example("postbox-no");
        let der = cert.to_der().unwrap();
        let (issuer, serial) = issuer_and_serial(&der).unwrap();
        assert_eq!(issuer, cert.issuer_name().to_der().unwrap());
        let serial = asn1::parse_one(&serial).unwrap();
        assert_eq!(
            serial.content,
            cert.serial_number().to_bn().unwrap().to_vec().as_slice()
        );
        assert!(rfc4514(cert.issuer_name()).starts_with("CN=Borderpost Example Root CA NO"));
    }
}
