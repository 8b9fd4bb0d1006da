//! `Attachment/Checksum`: the rule Borderpost writes, and what it accepts.
//!
//! The XSD types `Checksum` as a plain string and DIGG's "Tekniska
//! tjänstekontrakt", which would say more, is not public. Two public
//! producers disagree (`protocols/se/NOTES.md` §1.4):
//!
//! - Sundsvall's sender, which delivers in production, writes the MD5 of
//!   the decoded attachment bytes as upper-case hexadecimal
//!   (`DatatypeConverter.printHexBinary`);
//! - the SE.GOV.MM reference test data carries `2111066685`, a decimal that
//!   is neither the CRC-32 nor the Adler-32 of the attachment or of its
//!   base64 text (checked), so no rule can be derived from it.
//!
//! Borderpost **writes** upper-case hex MD5 (the one rule with a working
//! producer behind it). On **input** a 32-digit hex value (either case) is
//! taken as that rule and must match the bytes (`fingerprint-mismatch`
//! otherwise); any other value is accepted as an unverifiable sender
//! convention — the XML signature, not this field, protects the content —
//! and kept verbatim for a Swedish relay.

use borderpost_core::AdapterError;
use openssl::hash::{MessageDigest, hash};

/// The checksum Borderpost writes for `bytes`: upper-case hex MD5.
pub fn compute(bytes: &[u8]) -> Result<String, AdapterError> {
    let digest = hash(MessageDigest::md5(), bytes).map_err(|e| AdapterError::Crypto {
        detail: e.to_string(),
    })?;
    Ok(digest.iter().map(|b| format!("{b:02X}")).collect())
}

/// What a received checksum says about `bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Exactly what Borderpost writes (upper-case hex MD5).
    Ours,
    /// Hex MD5 in another case: matches, but is kept for a relay.
    MatchesOtherCase,
    /// A form with no known rule (the reference data's decimal): kept,
    /// not verified.
    Unverifiable,
}

/// Checks a received `checksum` against `bytes`; `path` names it in the
/// error.
pub fn check(checksum: &str, bytes: &[u8], path: &str) -> Result<Check, AdapterError> {
    let is_hex_md5 = checksum.len() == 32 && checksum.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hex_md5 {
        return Ok(Check::Unverifiable);
    }
    let ours = compute(bytes)?;
    if checksum == ours {
        Ok(Check::Ours)
    } else if checksum.eq_ignore_ascii_case(&ours) {
        Ok(Check::MatchesOtherCase)
    } else {
        Err(AdapterError::Fingerprint {
            detail: format!("{path}: the MD5 checksum does not match the attachment"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_case_hex_md5() {
        assert_eq!(compute(b"").unwrap(), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(
            check("D41D8CD98F00B204E9800998ECF8427E", b"", "x").unwrap(),
            Check::Ours
        );
        assert_eq!(
            check("d41d8cd98f00b204e9800998ecf8427e", b"", "x").unwrap(),
            Check::MatchesOtherCase
        );
        assert_eq!(check("2111066685", b"", "x").unwrap(), Check::Unverifiable);
        assert_eq!(
            check("D41D8CD98F00B204E9800998ECF8427F", b"", "x")
                .unwrap_err()
                .code(),
            "fingerprint-mismatch"
        );
    }
}
