//! KRR (Kontakt- og reservasjonsregisteret) lookup, as JSON types: where a
//! person's digital postbox is and which certificate to encrypt to
//! (`protocols/no/NOTES.md` §2.7).
//!
//! `POST /rest/v2/personer` with `{"personidentifikatorer": [...]}` (at most
//! 1000) answers `{"personer": [...]}`. A sender may send DPI `digital` to a
//! person only if the person is `AKTIV`, has not reserved themselves
//! (`reservasjon: NEI`) and has `digital_post`; otherwise print (or another
//! channel) is the way.

use serde::{Deserialize, Serialize};

/// The lookup path under the KRR base URL.
pub const PATH_PERSONER: &str = "/rest/v2/personer";

/// The most identifiers one lookup may carry.
pub const MAX_PER_LOOKUP: usize = 1000;

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// Fødselsnumre / D-numbers.
    pub personidentifikatorer: Vec<String>,
}

/// The response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupResponse {
    /// One entry per identifier found.
    #[serde(default)]
    pub personer: Vec<Person>,
}

/// One person's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The identifier asked for.
    pub personidentifikator: String,
    /// `JA` if the person has reserved against digital communication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservasjon: Option<String>,
    /// `AKTIV`, `SLETTET` or `IKKE_REGISTRERT`.
    pub status: String,
    /// `KAN_VARSLES` or `KAN_IKKE_VARSLES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub varslingsstatus: Option<String>,
    /// The digital postbox, if the person has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digital_post: Option<DigitalPost>,
    /// The postbox provider's certificate (base64 DER) to encrypt to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sertifikat: Option<String>,
    /// Preferred language (`nb`, `nn`, `en`, `se`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spraak: Option<String>,
}

/// A digital postbox address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalPost {
    /// The address within the provider.
    pub postkasseadresse: String,
    /// The provider's organisation number.
    pub postkasseleverandoeradresse: String,
}

impl Person {
    /// Whether digital post may be sent to this person: active, not
    /// reserved, with a postbox and a certificate.
    pub fn can_receive_digital(&self) -> bool {
        self.status == "AKTIV"
            && self.reservasjon.as_deref() != Some("JA")
            && self.digital_post.is_some()
            && self.sertifikat.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_response_shape() {
        let json = r#"{"personer":[{"personidentifikator":"20914695016","reservasjon":"NEI","status":"AKTIV",
            "varslingsstatus":"KAN_VARSLES","digital_post":{"postkasseadresse":"ola.nordmann#9YDT",
            "postkasseleverandoeradresse":"984661185"},"sertifikat":"MIIB","spraak":"nb"}]}"#;
        let response: LookupResponse = serde_json::from_str(json).unwrap();
        assert!(response.personer[0].can_receive_digital());
        let reserved = Person {
            reservasjon: Some("JA".to_owned()),
            ..response.personer[0].clone()
        };
        assert!(!reserved.can_receive_digital());
    }
}
