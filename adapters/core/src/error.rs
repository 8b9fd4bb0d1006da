//! The one error type every adapter returns.

use crate::id::IdError;

/// Why an adapter could not decode or encode a message.
///
/// Every variant has a stable [`code`](AdapterError::code): the gateway maps
/// codes, in one exhaustive match, to an HTTP status and to the error format
/// of the caller's protocol, and conformance tests match on them. Codes never
/// change meaning; new variants get new codes.
///
/// Messages (`Display`) are written for the sender's developer: they say
/// what is wrong and where, and never echo secrets or large input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The input is not well-formed for its syntax (XML, JSON, base64, ZIP).
    #[error("malformed {syntax}: {detail}")]
    Malformed {
        /// The syntax that failed, e.g. "XML".
        syntax: &'static str,
        /// Where and what.
        detail: String,
    },
    /// The input is not UTF-8 (or declares another encoding).
    #[error("not UTF-8: {detail}")]
    Encoding {
        /// Where and what.
        detail: String,
    },
    /// The input uses a construct Borderpost never parses: a DOCTYPE or
    /// entity declaration, a processing instruction, an unknown entity.
    #[error("forbidden construct: {construct}")]
    Forbidden {
        /// Which construct.
        construct: String,
    },
    /// The input is larger than the configured limit; it was not parsed.
    #[error("too large: {what} is over the limit of {limit}")]
    TooLarge {
        /// What was measured, e.g. "body (bytes)".
        what: String,
        /// The limit.
        limit: u64,
    },
    /// Elements or values nest deeper than the schema allows.
    #[error("nested deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// Well-formed, but not valid against the protocol's schema: a missing
    /// or unexpected element, a wrong type, a value out of range.
    #[error("invalid at {path}: {detail}")]
    Schema {
        /// Where, e.g. `MessageHeader/label`.
        path: String,
        /// What.
        detail: String,
    },
    /// An identifier failed its national rule.
    #[error("invalid identifier at {path}: {error}")]
    InvalidId {
        /// Where the identifier was.
        path: String,
        /// Why it is invalid.
        error: IdError,
    },
    /// Valid against the schema but against a business rule of the national
    /// system (file name characters, `https://` links, sizes).
    #[error("business rule {rule}: {detail}")]
    BusinessRule {
        /// The rule, e.g. `dk.filename-characters`.
        rule: &'static str,
        /// What broke it.
        detail: String,
    },
    /// A protocol version this adapter does not speak.
    #[error("unsupported version: {found}")]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// A feature of the protocol this adapter does not implement, or a
    /// receipt kind it cannot express.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What.
        what: String,
    },
    /// The recipient cannot be addressed in this protocol (wrong identifier
    /// scheme, no address for print, …).
    #[error("recipient cannot be addressed: {detail}")]
    Recipient {
        /// Why.
        detail: String,
    },
    /// A signature does not verify (or is missing).
    #[error("signature invalid: {detail}")]
    Signature {
        /// What failed.
        detail: String,
    },
    /// The signature verifies, but the signer is not the party the message
    /// says sent it.
    #[error("signer mismatch: signed by {signer}, but the message names {claimed}")]
    SignerMismatch {
        /// Who signed.
        signer: String,
        /// Who the message claims.
        claimed: String,
    },
    /// A digest or fingerprint of a part does not match what the message
    /// declares.
    #[error("fingerprint mismatch: {detail}")]
    Fingerprint {
        /// Which part.
        detail: String,
    },
    /// An encrypted part cannot be decrypted with the keys given.
    #[error("decryption failed: {detail}")]
    Decryption {
        /// What failed.
        detail: String,
    },
    /// A document package (ASiC-E, multipart) is not built as its profile
    /// requires.
    #[error("invalid package: {detail}")]
    Package {
        /// What is wrong.
        detail: String,
    },
    /// The caller did not provide what the operation needs (a signer, a
    /// recipient certificate, a key). A configuration fault, not the
    /// sender's.
    #[error("missing {what}")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// A cryptographic library failed for a reason that is not the input's.
    #[error("cryptography failed: {detail}")]
    Crypto {
        /// What failed.
        detail: String,
    },
    /// Encrypted content that does not open into a valid, signed package.
    ///
    /// Every failure after the ciphertext is bound to the sender's signed
    /// message (key transport, decryption, padding, archive, manifest, the
    /// package's own signature) is this one error with this one text, so a
    /// sender cannot tell them apart: one who could tell bad padding from a
    /// bad archive could decrypt a captured package block by block. The
    /// detail is for the operator's log ([`AdapterError::log_detail`]) and
    /// never reaches the answer.
    #[error("the encrypted content could not be opened and verified")]
    Sealed {
        /// What failed, for the log.
        detail: String,
    },
}

/// How an [`AdapterError`] is answered, whatever the protocol: each route
/// turns a class into its own status or fault code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Not well-formed, or its cryptographic checks fail (HTTP 400).
    Malformed,
    /// Over a limit; not parsed (HTTP 413).
    TooLarge,
    /// Well-formed but not acceptable: schema, identifier, business rule,
    /// unsupported feature, unaddressable recipient (HTTP 422).
    Unprocessable,
    /// Signed by another party than the message names (HTTP 403).
    Forbidden,
    /// Borderpost's own fault: configuration or environment (HTTP 500).
    /// The answer says nothing more; the detail goes to the log.
    Internal,
}

impl AdapterError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AdapterError::Malformed { .. } => "malformed",
            AdapterError::Encoding { .. } => "encoding",
            AdapterError::Forbidden { .. } => "forbidden-construct",
            AdapterError::TooLarge { .. } => "too-large",
            AdapterError::TooDeep { .. } => "too-deep",
            AdapterError::Schema { .. } => "schema",
            AdapterError::InvalidId { .. } => "invalid-identifier",
            AdapterError::BusinessRule { .. } => "business-rule",
            AdapterError::UnsupportedVersion { .. } => "unsupported-version",
            AdapterError::Unsupported { .. } => "unsupported",
            AdapterError::Recipient { .. } => "recipient-unaddressable",
            AdapterError::Signature { .. } => "signature-invalid",
            AdapterError::SignerMismatch { .. } => "signer-mismatch",
            AdapterError::Fingerprint { .. } => "fingerprint-mismatch",
            AdapterError::Decryption { .. } => "decryption-failed",
            AdapterError::Package { .. } => "package-invalid",
            AdapterError::Missing { .. } => "missing-configuration",
            AdapterError::Crypto { .. } => "crypto-failure",
            AdapterError::Sealed { .. } => "content-invalid",
        }
    }

    /// The error with everything the operator's log should hold: the
    /// [`Display`](std::fmt::Display) text plus what [`AdapterError::Sealed`]
    /// keeps out of it.
    pub fn log_detail(&self) -> String {
        match self {
            AdapterError::Sealed { detail } => format!("{self} ({detail})"),
            other => other.to_string(),
        }
    }

    /// `self` as the one answer for encrypted content that did not open
    /// (see [`AdapterError::Sealed`]). A configuration fault stays what it
    /// is: it is the operator's, and says nothing about the content.
    pub fn sealed(self) -> AdapterError {
        match self {
            AdapterError::Missing { .. } | AdapterError::Sealed { .. } => self,
            other => AdapterError::Sealed {
                detail: other.to_string(),
            },
        }
    }

    /// How a protocol should answer this error. Decided here, in one
    /// exhaustive match, so a new variant cannot silently become a server
    /// error in some route's wildcard arm.
    pub fn class(&self) -> ErrorClass {
        match self {
            AdapterError::TooLarge { .. } => ErrorClass::TooLarge,
            AdapterError::Malformed { .. }
            | AdapterError::Encoding { .. }
            | AdapterError::Forbidden { .. }
            | AdapterError::TooDeep { .. }
            | AdapterError::Signature { .. }
            | AdapterError::Fingerprint { .. }
            | AdapterError::Decryption { .. }
            | AdapterError::Package { .. }
            | AdapterError::Sealed { .. } => ErrorClass::Malformed,
            AdapterError::Schema { .. }
            | AdapterError::InvalidId { .. }
            | AdapterError::BusinessRule { .. }
            | AdapterError::UnsupportedVersion { .. }
            | AdapterError::Unsupported { .. }
            | AdapterError::Recipient { .. } => ErrorClass::Unprocessable,
            AdapterError::SignerMismatch { .. } => ErrorClass::Forbidden,
            AdapterError::Missing { .. } | AdapterError::Crypto { .. } => ErrorClass::Internal,
        }
    }

    /// Whether the fault is in the input (the sender's to fix) rather than
    /// in Borderpost's configuration or environment.
    pub fn is_input_fault(&self) -> bool {
        self.class() != ErrorClass::Internal
    }

    /// Shorthand for a [`AdapterError::Schema`] error.
    pub fn schema(path: impl Into<String>, detail: impl Into<String>) -> AdapterError {
        AdapterError::Schema {
            path: path.into(),
            detail: detail.into(),
        }
    }

    /// Shorthand for a [`AdapterError::Malformed`] error.
    pub fn malformed(syntax: &'static str, detail: impl Into<String>) -> AdapterError {
        AdapterError::Malformed {
            syntax,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let all = [
            AdapterError::malformed("XML", ""),
            AdapterError::Encoding {
                detail: String::new(),
            },
            AdapterError::Forbidden {
                construct: String::new(),
            },
            AdapterError::TooLarge {
                what: String::new(),
                limit: 0,
            },
            AdapterError::TooDeep { limit: 0 },
            AdapterError::schema("", ""),
            AdapterError::InvalidId {
                path: String::new(),
                error: IdError::Empty,
            },
            AdapterError::BusinessRule {
                rule: "",
                detail: String::new(),
            },
            AdapterError::UnsupportedVersion {
                found: String::new(),
            },
            AdapterError::Unsupported {
                what: String::new(),
            },
            AdapterError::Recipient {
                detail: String::new(),
            },
            AdapterError::Signature {
                detail: String::new(),
            },
            AdapterError::SignerMismatch {
                signer: String::new(),
                claimed: String::new(),
            },
            AdapterError::Fingerprint {
                detail: String::new(),
            },
            AdapterError::Decryption {
                detail: String::new(),
            },
            AdapterError::Package {
                detail: String::new(),
            },
            AdapterError::Missing { what: "" },
            AdapterError::Crypto {
                detail: String::new(),
            },
            AdapterError::Sealed {
                detail: String::new(),
            },
        ];
        let mut codes: Vec<_> = all.iter().map(AdapterError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn sealed_content_says_nothing_of_why() {
        let padding = AdapterError::Decryption {
            detail: "bad padding".to_owned(),
        }
        .sealed();
        let archive = AdapterError::Package {
            detail: "not a ZIP archive".to_owned(),
        }
        .sealed();
        assert_eq!(padding.code(), archive.code());
        assert_eq!(padding.to_string(), archive.to_string());
        assert!(!padding.to_string().contains("padding"));
        assert!(padding.log_detail().contains("bad padding"));
        let missing = AdapterError::Missing { what: "key" }.sealed();
        assert_eq!(missing.code(), "missing-configuration");
    }
}
