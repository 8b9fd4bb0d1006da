//! The signed business message: a JWS in compact form, `RS256`, with the
//! signer's certificate in `x5c` and the SBD JSON as payload.
//!
//! The Digdir samples' payloads are the `.json` files re-serialised
//! compactly (same key order, Java's `\/` escaping), so they are equal
//! *as JSON*, not byte for byte; Borderpost signs the exact bytes it
//! serialised and never re-serialises a payload it verifies.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use borderpost_core::{AdapterError, PartyId, Signer};
use openssl::x509::X509;
use serde::Deserialize;

use crate::cert;
use crate::keys::verify_rs256;

/// The largest token accepted (a business message is a few kilobytes; the
/// limit leaves room for long `x5c` chains and notification texts).
pub const MAX_TOKEN_BYTES: usize = 1024 * 1024;

/// A verified token.
#[derive(Debug)]
pub struct Verified {
    /// The payload bytes (the SBD JSON).
    pub payload: Vec<u8>,
    /// The signing certificate (the first `x5c` entry), DER.
    pub certificate: Vec<u8>,
    /// The organisation the certificate names.
    pub signer: PartyId,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Signs `payload` with `signer`: header `{"alg":"RS256","x5c":[leaf]}`.
pub fn sign(payload: &[u8], signer: &dyn Signer) -> Result<String, AdapterError> {
    let leaf = signer
        .certificate_chain()
        .first()
        .ok_or(AdapterError::Missing {
            what: "signer certificate",
        })?;
    let header = serde_json::json!({ "alg": "RS256", "x5c": [STANDARD.encode(leaf)] });
    let header = serde_json::to_vec(&header).map_err(|e| AdapterError::Crypto {
        detail: format!("serialising the JWT header: {e}"),
    })?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = signer.sign_rs256(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Verifies a compact `RS256` token against its own `x5c` certificate and
/// returns the payload and who signed it. Whether that signer may send
/// what the payload says is the caller's check.
pub fn verify(token: &[u8]) -> Result<Verified, AdapterError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AdapterError::TooLarge {
            what: "JWT (bytes)".to_owned(),
            limit: MAX_TOKEN_BYTES as u64,
        });
    }
    let text = std::str::from_utf8(token).map_err(|e| AdapterError::Encoding {
        detail: format!("the JWT is not UTF-8 (byte {})", e.valid_up_to()),
    })?;
    // Tolerate the line break a file or a form field may end with.
    let text = text.trim_end_matches(['\r', '\n']);
    let mut segments = text.split('.');
    let (Some(h), Some(p), Some(s), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(AdapterError::malformed(
            "JWT",
            "a compact JWS has exactly three dot-separated parts",
        ));
    };
    let header_json = b64url(h, "header")?;
    let header: Header = serde_json::from_slice(&header_json)
        .map_err(|e| AdapterError::malformed("JWT", format!("header: {e}")))?;
    if header.alg != "RS256" {
        return Err(AdapterError::Signature {
            detail: format!(
                "JWT algorithm {:?} is not accepted; DPI signs with RS256",
                truncate(&header.alg)
            ),
        });
    }
    if header.crit.is_some() {
        return Err(AdapterError::Signature {
            detail: "JWT header has critical extensions Borderpost does not understand".to_owned(),
        });
    }
    let leaf = header.x5c.first().ok_or_else(|| AdapterError::Signature {
        detail: "JWT header has no x5c certificate".to_owned(),
    })?;
    let certificate = STANDARD
        .decode(leaf.as_bytes())
        .map_err(|_| AdapterError::malformed("JWT", "x5c[0] is not base64"))?;
    let cert: X509 = cert::parse_der(&certificate, "the JWT's x5c[0]")?;
    // A signature that is not even base64url is a bad signature, not a
    // syntax error: report it as such.
    let signature = URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| AdapterError::Signature {
            detail: "the JWT signature is not base64url".to_owned(),
        })?;
    let signing_input = &text[..h.len() + 1 + p.len()];
    verify_rs256(&cert, signing_input.as_bytes(), &signature, "JWT")?;
    let signer = cert::organisation(&cert)?;
    let payload = b64url(p, "payload")?;
    Ok(Verified {
        payload,
        certificate,
        signer,
    })
}

fn b64url(segment: &str, what: &str) -> Result<Vec<u8>, AdapterError> {
    URL_SAFE_NO_PAD
        .decode(segment.as_bytes())
        .map_err(|_| AdapterError::malformed("JWT", format!("the {what} is not base64url")))
}

fn truncate(s: &str) -> String {
    s.chars().take(20).collect()
}
