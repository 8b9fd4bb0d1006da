//! The DPI business documents as JSON: the Standard Business Document
//! (SBDH + one body) of `dpi-2022/schemas/`, as serde wire types, and the
//! checks the schemas (and the DPI process rules) make beyond serde.
//!
//! Unknown fields are refused, as the schemas' `additionalProperties:
//! false` does, with one documented tolerance: `maskinportentoken` inside
//! a receipt (Digdir's own sample has it, the schema forbids it) is
//! accepted and dropped, and never written.

use borderpost_core::{AdapterError, Limits, canonical::check_json};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// The identifier authority of every party in DPI.
pub const AUTHORITY: &str = "iso6523-actorid-upis";
/// The process of digital post.
pub const PROCESS_DIGITAL: &str =
    "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0";
/// The process of print (utskrift).
pub const PROCESS_UTSKRIFT: &str =
    "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0";
/// The process of post moved between postbox providers.
pub const PROCESS_FLYTTET: &str =
    "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:flyttet:ver1.0";
/// The `BusinessScope/Scope/type` carrying the conversation id.
pub const CONVERSATION_ID: &str = "ConversationId";

/// The document types of DPI (`documentIdentification.type` and the body
/// key of the SBD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentType {
    /// Digital post to a citizen's postbox.
    Digital,
    /// Post for printing and posting.
    Utskrift,
    /// Post moved between postbox providers (not sender-facing).
    Flyttet,
    /// Delivered to the postbox / handed to the postal service.
    Leveringskvittering,
    /// Opened by the recipient.
    Aapningskvittering,
    /// Received by the print service.
    Mottakskvittering,
    /// A notification (e-mail/SMS) failed.
    Varslingfeiletkvittering,
    /// Printed mail came back.
    Returpostkvittering,
    /// An error.
    Feil,
}

impl DocumentType {
    /// Every type.
    pub const ALL: [DocumentType; 9] = [
        DocumentType::Digital,
        DocumentType::Utskrift,
        DocumentType::Flyttet,
        DocumentType::Leveringskvittering,
        DocumentType::Aapningskvittering,
        DocumentType::Mottakskvittering,
        DocumentType::Varslingfeiletkvittering,
        DocumentType::Returpostkvittering,
        DocumentType::Feil,
    ];

    /// The name used as `type` and as the body key.
    pub fn name(self) -> &'static str {
        match self {
            DocumentType::Digital => "digital",
            DocumentType::Utskrift => "utskrift",
            DocumentType::Flyttet => "flyttet",
            DocumentType::Leveringskvittering => "leveringskvittering",
            DocumentType::Aapningskvittering => "aapningskvittering",
            DocumentType::Mottakskvittering => "mottakskvittering",
            DocumentType::Varslingfeiletkvittering => "varslingfeiletkvittering",
            DocumentType::Returpostkvittering => "returpostkvittering",
            DocumentType::Feil => "feil",
        }
    }

    /// The `documentIdentification.standard` (document type identifier).
    pub fn standard(self) -> String {
        format!(
            "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:{}::1.0",
            self.name()
        )
    }

    /// Whether it is a receipt (or error) rather than a business message.
    pub fn is_receipt(self) -> bool {
        !matches!(
            self,
            DocumentType::Digital | DocumentType::Utskrift | DocumentType::Flyttet
        )
    }

    /// The processes this document may travel in.
    pub fn processes(self) -> &'static [&'static str] {
        match self {
            DocumentType::Digital
            | DocumentType::Aapningskvittering
            | DocumentType::Varslingfeiletkvittering => &[PROCESS_DIGITAL],
            DocumentType::Utskrift
            | DocumentType::Mottakskvittering
            | DocumentType::Returpostkvittering => &[PROCESS_UTSKRIFT],
            DocumentType::Flyttet => &[PROCESS_FLYTTET],
            DocumentType::Leveringskvittering | DocumentType::Feil => {
                &[PROCESS_DIGITAL, PROCESS_UTSKRIFT, PROCESS_FLYTTET]
            }
        }
    }

    fn from_name(name: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The outer object: `{"standardBusinessDocument": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// The document.
    pub standard_business_document: Sbd,
}

/// A Standard Business Document: the header and exactly one body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sbd {
    /// The header.
    pub standard_business_document_header: Sbdh,
    /// A digital message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digital: Option<Digital>,
    /// A print message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utskrift: Option<Utskrift>,
    /// Moved post (recognised, not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flyttet: Option<serde_json::Value>,
    /// Delivery receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leveringskvittering: Option<Kvittering>,
    /// Read receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aapningskvittering: Option<Kvittering>,
    /// Received-for-print receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mottakskvittering: Option<Kvittering>,
    /// Notification-failed receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub varslingfeiletkvittering: Option<Kvittering>,
    /// Returned-mail receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returpostkvittering: Option<Kvittering>,
    /// Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feil: Option<Kvittering>,
}

/// The Standard Business Document Header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sbdh {
    /// Always `1.0`.
    pub header_version: String,
    /// The sending organisation (exactly one).
    pub sender: Vec<Actor>,
    /// The receiving organisation (exactly one): the postbox or print
    /// provider, or for receipts the original sender.
    pub receiver: Vec<Actor>,
    /// Type and id of the document.
    pub document_identification: DocumentIdentification,
    /// The conversation and process.
    pub business_scope: BusinessScope,
}

/// A sender or receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Its identifier.
    pub identifier: Identifier,
}

/// An ISO 6523 identifier, `{"authority": "iso6523-actorid-upis", "value": "0192:…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// Always [`AUTHORITY`].
    pub authority: String,
    /// `ICD:value`.
    pub value: String,
}

/// `documentIdentification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentIdentification {
    /// The document type identifier.
    pub standard: String,
    /// Always `1.0`.
    pub type_version: String,
    /// The document's own id (a UUID).
    pub instance_identifier: String,
    /// The document type name.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was created (RFC 3339).
    pub creation_date_and_time: String,
}

/// `businessScope`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessScope {
    /// The scopes; DPI uses exactly one, the `ConversationId`.
    pub scope: Vec<Scope>,
}

/// One scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    /// `ConversationId`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The conversation id (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_identifier: Option<String>,
    /// The process identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// When a response is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_information: Option<Vec<ScopeInformation>>,
}

/// `scopeInformation` entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeInformation {
    /// When a response is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_response_date_time: Option<String>,
}

/// The sender as the business message names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Avsender {
    /// The organisation legally responsible (behandlingsansvarlig).
    pub virksomhetsidentifikator: Identifier,
    /// A unit within it, as registered with the postbox providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avsenderidentifikator: Option<String>,
    /// An invoicing reference.
    #[serde(
        rename = "fakturaReferanse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub faktura_referanse: Option<String>,
}

/// The digest of the encrypted package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fingeravtrykk {
    /// The digest algorithm URI.
    pub digest_method: String,
    /// base64(SHA-256(CMS)).
    pub digest_value: String,
}

/// The recipient of digital post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonMottaker {
    /// The postbox address (from KRR).
    pub postkasseadresse: String,
}

/// The `digital` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digital {
    /// The sender.
    pub avsender: Avsender,
    /// The recipient's postbox.
    pub mottaker: PersonMottaker,
    /// The package digest.
    pub dokumentpakkefingeravtrykk: Fingeravtrykk,
    /// The sender's Maskinporten access token.
    pub maskinportentoken: String,
    /// Required login level, 3 or 4.
    pub sikkerhetsnivaa: u8,
    /// Visible from this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virkningsdato: Option<String>,
    /// Visible from this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virkningstidspunkt: Option<String>,
    /// Whether a read receipt is wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aapningskvittering: Option<bool>,
    /// The title shown before login.
    pub ikkesensitivtittel: String,
    /// The language, ISO 639-1.
    pub spraak: String,
    /// Notification settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub varsler: Option<Varsler>,
}

/// Notification settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Varsler {
    /// By e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epostvarsel: Option<Epostvarsel>,
    /// By SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsvarsel: Option<Smsvarsel>,
}

/// An e-mail notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Epostvarsel {
    /// The address.
    pub epostadresse: String,
    /// The text, 1–500 characters.
    pub varslingstekst: String,
    /// Days after the effective date to repeat on.
    pub repetisjoner: Vec<u32>,
}

/// An SMS notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smsvarsel {
    /// The phone number.
    pub mobiltelefonnummer: String,
    /// The text, 1–160 characters.
    pub varslingstekst: String,
    /// Days after the effective date to repeat on.
    pub repetisjoner: Vec<u32>,
}

/// The `utskrift` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utskrift {
    /// The sender.
    pub avsender: Avsender,
    /// The postal address.
    pub mottaker: Adresse,
    /// The package digest.
    pub dokumentpakkefingeravtrykk: Fingeravtrykk,
    /// The sender's Maskinporten access token.
    pub maskinportentoken: String,
    /// `SORT_HVIT` or `FARGE`.
    pub utskriftstype: String,
    /// Return handling.
    pub retur: Retur,
    /// `A` or `B`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posttype: Option<String>,
}

/// A postal address (`adresseInformasjon`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adresse {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub navn: Option<String>,
    /// Line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adresselinje1: Option<String>,
    /// Line 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adresselinje2: Option<String>,
    /// Line 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adresselinje3: Option<String>,
    /// Line 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adresselinje4: Option<String>,
    /// Norwegian postcode, 4 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postnummer: Option<String>,
    /// Post town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poststed: Option<String>,
    /// Country name (foreign addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land: Option<String>,
    /// ISO 3166-1 alpha-2 code (foreign addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landkode: Option<String>,
}

/// Where returned print goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retur {
    /// The return address.
    pub mottaker: Adresse,
    /// `DIREKTE_RETUR` or `MAKULERING_MED_MELDING`.
    pub returposthaandtering: String,
}

/// A receipt's recipient: the original sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirksomhetMottaker {
    /// The organisation.
    pub virksomhetsidentifikator: Identifier,
    /// Its unit (the message's `avsenderidentifikator`); the schema's own
    /// spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motakeridentifikator: Option<String>,
}

/// Every receipt body (and `feil`): the common fields and the per-type
/// extras, checked per type by [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kvittering {
    /// Who issues it (the postbox or print provider).
    pub avsender: Avsender,
    /// Who it is for (the original sender).
    pub mottaker: VirksomhetMottaker,
    /// When it happened.
    pub tidspunkt: String,
    /// `varslingfeiletkvittering`: `epost` or `sms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub varslingskanal: Option<String>,
    /// `varslingfeiletkvittering`: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beskrivelse: Option<String>,
    /// `feil`: `KLIENT` or `SERVER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feiltype: Option<String>,
    /// `feil`: details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detaljer: Option<String>,
    /// Tolerated on input (a Digdir sample has it; the schema does not
    /// allow it) and never written: receipts carry no access token.
    #[serde(default, skip_serializing)]
    pub maskinportentoken: Option<serde_json::Value>,
}

// === impl Sbd ===

impl Sbd {
    /// The body's type, if exactly one body is present.
    pub fn document_type(&self) -> Result<DocumentType, AdapterError> {
        let present: Vec<DocumentType> = [
            (self.digital.is_some(), DocumentType::Digital),
            (self.utskrift.is_some(), DocumentType::Utskrift),
            (self.flyttet.is_some(), DocumentType::Flyttet),
            (
                self.leveringskvittering.is_some(),
                DocumentType::Leveringskvittering,
            ),
            (
                self.aapningskvittering.is_some(),
                DocumentType::Aapningskvittering,
            ),
            (
                self.mottakskvittering.is_some(),
                DocumentType::Mottakskvittering,
            ),
            (
                self.varslingfeiletkvittering.is_some(),
                DocumentType::Varslingfeiletkvittering,
            ),
            (
                self.returpostkvittering.is_some(),
                DocumentType::Returpostkvittering,
            ),
            (self.feil.is_some(), DocumentType::Feil),
        ]
        .into_iter()
        .filter_map(|(present, t)| present.then_some(t))
        .collect();
        match present.as_slice() {
            [one] => Ok(*one),
            [] => Err(AdapterError::schema(
                "standardBusinessDocument",
                "no business document (digital, utskrift, a receipt or feil)",
            )),
            _ => Err(AdapterError::schema(
                "standardBusinessDocument",
                "more than one business document",
            )),
        }
    }

    /// The receipt body, for receipt types.
    pub fn receipt(&self) -> Option<&Kvittering> {
        self.leveringskvittering
            .as_ref()
            .or(self.aapningskvittering.as_ref())
            .or(self.mottakskvittering.as_ref())
            .or(self.varslingfeiletkvittering.as_ref())
            .or(self.returpostkvittering.as_ref())
            .or(self.feil.as_ref())
    }

    /// The SBDH sender's identifier value.
    pub fn sender(&self) -> &str {
        first_value(&self.standard_business_document_header.sender)
    }

    /// The SBDH receiver's identifier value.
    pub fn receiver(&self) -> &str {
        first_value(&self.standard_business_document_header.receiver)
    }

    /// The conversation scope.
    pub fn conversation(&self) -> Option<&Scope> {
        self.standard_business_document_header
            .business_scope
            .scope
            .iter()
            .find(|s| s.kind == CONVERSATION_ID)
    }
}

fn first_value(actors: &[Actor]) -> &str {
    actors.first().map_or("", |a| a.identifier.value.as_str())
}

/// Parses and validates an SBD JSON document.
pub fn parse(json: &[u8], limits: &Limits) -> Result<Sbd, AdapterError> {
    check_json(json, limits)?;
    let envelope: Envelope = serde_json::from_slice(json).map_err(json_error)?;
    let sbd = envelope.standard_business_document;
    validate(&sbd)?;
    Ok(sbd)
}

/// Serialises an SBD (compact JSON, the form that is signed).
pub fn to_json(sbd: &Sbd) -> Result<Vec<u8>, AdapterError> {
    serde_json::to_vec(&Envelope {
        standard_business_document: sbd.clone(),
    })
    .map_err(|e| AdapterError::Crypto {
        detail: format!("serialising JSON: {e}"),
    })
}

fn json_error(e: serde_json::Error) -> AdapterError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => AdapterError::schema(
            format!("line {} column {}", e.line(), e.column()),
            strip_position(&e.to_string()),
        ),
        _ => AdapterError::malformed("JSON", e.to_string()),
    }
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// The checks of the DPI schemas and process rules that serde cannot make.
pub fn validate(sbd: &Sbd) -> Result<(), AdapterError> {
    let header = &sbd.standard_business_document_header;
    let doc_type = sbd.document_type()?;
    let h = "standardBusinessDocumentHeader";
    if header.header_version != "1.0" {
        return Err(AdapterError::schema(
            format!("{h}.headerVersion"),
            "must be 1.0",
        ));
    }
    for (name, actors) in [("sender", &header.sender), ("receiver", &header.receiver)] {
        let [actor] = actors.as_slice() else {
            return Err(AdapterError::schema(
                format!("{h}.{name}"),
                "exactly one is required",
            ));
        };
        identifier(&format!("{h}.{name}[0].identifier"), &actor.identifier)?;
    }
    let di = &header.document_identification;
    let di_path = format!("{h}.documentIdentification");
    if di.standard != doc_type.standard() {
        return Err(AdapterError::UnsupportedVersion {
            found: format!(
                "document standard {:?} for a {} body",
                truncate(&di.standard, 200),
                doc_type.name()
            ),
        });
    }
    // Digdir's illustrative samples call the digital type `digitalpost`;
    // the standard above already fixes the type, so accept that spelling.
    let type_ok = di.kind == doc_type.name()
        || (doc_type == DocumentType::Digital && di.kind == "digitalpost");
    if !type_ok {
        return Err(AdapterError::schema(
            format!("{di_path}.type"),
            format!("must be {} for this document", doc_type.name()),
        ));
    }
    if di.type_version != "1.0" {
        return Err(AdapterError::UnsupportedVersion {
            found: format!("typeVersion {:?}", truncate(&di.type_version, 20)),
        });
    }
    uuid(
        &format!("{di_path}.instanceIdentifier"),
        &di.instance_identifier,
    )?;
    timestamp(
        &format!("{di_path}.creationDateAndTime"),
        &di.creation_date_and_time,
    )?;

    let scopes = &header.business_scope.scope;
    let conversations: Vec<&Scope> = scopes
        .iter()
        .filter(|s| s.kind == CONVERSATION_ID)
        .collect();
    let [conversation] = conversations.as_slice() else {
        return Err(AdapterError::schema(
            format!("{h}.businessScope.scope"),
            "exactly one ConversationId scope is required",
        ));
    };
    let conv_path = format!("{h}.businessScope.scope[ConversationId]");
    let Some(id) = &conversation.instance_identifier else {
        return Err(AdapterError::schema(
            format!("{conv_path}.instanceIdentifier"),
            "the conversation id is required",
        ));
    };
    uuid(&format!("{conv_path}.instanceIdentifier"), id)?;
    match conversation.identifier.as_deref() {
        Some(process) if doc_type.processes().contains(&process) => {}
        Some(process) => {
            return Err(AdapterError::schema(
                format!("{conv_path}.identifier"),
                format!(
                    "a {} document does not belong to process {:?}",
                    doc_type.name(),
                    truncate(process, 200)
                ),
            ));
        }
        None => {
            return Err(AdapterError::schema(
                format!("{conv_path}.identifier"),
                "the process identifier is required",
            ));
        }
    }

    match doc_type {
        DocumentType::Digital => {
            if let Some(d) = &sbd.digital {
                validate_digital(d)?;
            }
        }
        DocumentType::Utskrift => {
            if let Some(u) = &sbd.utskrift {
                validate_utskrift(u)?;
            }
        }
        DocumentType::Flyttet => {}
        receipt => {
            if let Some(k) = sbd.receipt() {
                validate_receipt(receipt, k)?;
            }
        }
    }
    Ok(())
}

fn validate_avsender(path: &str, a: &Avsender) -> Result<(), AdapterError> {
    identifier(
        &format!("{path}.virksomhetsidentifikator"),
        &a.virksomhetsidentifikator,
    )?;
    max_chars(
        &format!("{path}.avsenderidentifikator"),
        a.avsenderidentifikator.as_deref(),
        100,
    )?;
    max_chars(
        &format!("{path}.fakturaReferanse"),
        a.faktura_referanse.as_deref(),
        40,
    )
}

fn validate_fingeravtrykk(path: &str, f: &Fingeravtrykk) -> Result<(), AdapterError> {
    let _ = (path, f);
    // The schema only asks for two strings; the values are checked against
    // the package itself when it is decoded (`fingerprint-mismatch`).
    Ok(())
}

fn validate_digital(d: &Digital) -> Result<(), AdapterError> {
    let p = "digital";
    validate_avsender(&format!("{p}.avsender"), &d.avsender)?;
    validate_fingeravtrykk(
        &format!("{p}.dokumentpakkefingeravtrykk"),
        &d.dokumentpakkefingeravtrykk,
    )?;
    if !matches!(d.sikkerhetsnivaa, 3 | 4) {
        return Err(AdapterError::schema(
            format!("{p}.sikkerhetsnivaa"),
            "must be 3 or 4",
        ));
    }
    if let Some(date) = &d.virkningsdato {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(date, &format).map_err(|_| {
            AdapterError::schema(format!("{p}.virkningsdato"), "must be a date YYYY-MM-DD")
        })?;
    }
    if let Some(t) = &d.virkningstidspunkt {
        timestamp(&format!("{p}.virkningstidspunkt"), t)?;
    }
    let title_len = d.ikkesensitivtittel.chars().count();
    if !(1..=255).contains(&title_len) {
        return Err(AdapterError::schema(
            format!("{p}.ikkesensitivtittel"),
            "must be 1 to 255 characters",
        ));
    }
    if d.spraak.chars().count() != 2 {
        return Err(AdapterError::schema(
            format!("{p}.spraak"),
            "must be a two-letter ISO 639-1 code",
        ));
    }
    if let Some(v) = &d.varsler {
        validate_varsler(&format!("{p}.varsler"), v)?;
    }
    Ok(())
}

/// Checks notification settings against the schema's limits.
pub fn validate_varsler(path: &str, v: &Varsler) -> Result<(), AdapterError> {
    if let Some(e) = &v.epostvarsel {
        let ep = format!("{path}.epostvarsel");
        if !is_email(&e.epostadresse) {
            return Err(AdapterError::schema(
                format!("{ep}.epostadresse"),
                "must be an e-mail address",
            ));
        }
        text_range(&format!("{ep}.varslingstekst"), &e.varslingstekst, 500)?;
        repetisjoner(&format!("{ep}.repetisjoner"), &e.repetisjoner)?;
    }
    if let Some(s) = &v.smsvarsel {
        let sp = format!("{path}.smsvarsel");
        let n = &s.mobiltelefonnummer;
        let digits_ok = !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || matches!(c, '-' | ' ' | '_') || (i == 0 && c == '+')
            });
        if !(digits_ok && (8..=20).contains(&n.len())) {
            return Err(AdapterError::schema(
                format!("{sp}.mobiltelefonnummer"),
                "must be a phone number of 8 to 20 characters (digits, '+', '-', ' ')",
            ));
        }
        text_range(&format!("{sp}.varslingstekst"), &s.varslingstekst, 160)?;
        repetisjoner(&format!("{sp}.repetisjoner"), &s.repetisjoner)?;
    }
    Ok(())
}

fn repetisjoner(path: &str, days: &[u32]) -> Result<(), AdapterError> {
    if days.is_empty() || days.len() > 10 || days.iter().any(|&d| d > 25) {
        return Err(AdapterError::schema(
            path,
            "1 to 10 day offsets, each 0 to 25",
        ));
    }
    Ok(())
}

fn validate_utskrift(u: &Utskrift) -> Result<(), AdapterError> {
    let p = "utskrift";
    validate_avsender(&format!("{p}.avsender"), &u.avsender)?;
    validate_adresse(&format!("{p}.mottaker"), &u.mottaker)?;
    validate_adresse(&format!("{p}.retur.mottaker"), &u.retur.mottaker)?;
    if !matches!(u.utskriftstype.as_str(), "SORT_HVIT" | "FARGE") {
        return Err(AdapterError::schema(
            format!("{p}.utskriftstype"),
            "must be SORT_HVIT or FARGE",
        ));
    }
    if !matches!(
        u.retur.returposthaandtering.as_str(),
        "DIREKTE_RETUR" | "MAKULERING_MED_MELDING"
    ) {
        return Err(AdapterError::schema(
            format!("{p}.retur.returposthaandtering"),
            "must be DIREKTE_RETUR or MAKULERING_MED_MELDING",
        ));
    }
    if let Some(t) = &u.posttype
        && !matches!(t.as_str(), "A" | "B")
    {
        return Err(AdapterError::schema(
            format!("{p}.posttype"),
            "must be A or B",
        ));
    }
    Ok(())
}

/// Checks an address against `adresseInformasjon`: a Norwegian address
/// (name, line 1, postcode, post town) or a foreign one (name, line 1 and
/// a country name or code).
pub fn validate_adresse(path: &str, a: &Adresse) -> Result<(), AdapterError> {
    for (name, value, max) in [
        ("adresselinje1", &a.adresselinje1, 100),
        ("adresselinje2", &a.adresselinje2, 100),
        ("adresselinje3", &a.adresselinje3, 100),
        ("adresselinje4", &a.adresselinje4, 100),
        ("poststed", &a.poststed, 80),
        ("land", &a.land, 80),
    ] {
        max_chars(&format!("{path}.{name}"), value.as_deref(), max)?;
    }
    if let Some(p) = &a.postnummer
        && !(p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(AdapterError::schema(
            format!("{path}.postnummer"),
            "must be four digits",
        ));
    }
    if let Some(c) = &a.landkode
        && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(AdapterError::schema(
            format!("{path}.landkode"),
            "must be two letters",
        ));
    }
    let base = a.navn.is_some() && a.adresselinje1.is_some();
    let norwegian = base && a.postnummer.is_some() && a.poststed.is_some();
    let foreign = base && (a.land.is_some() != a.landkode.is_some());
    // The schema's oneOf: exactly one of the two shapes.
    if norwegian == foreign {
        return Err(AdapterError::schema(
            path,
            "needs navn and adresselinje1 plus either postnummer and poststed (Norway) or one of land / landkode (abroad)",
        ));
    }
    Ok(())
}

fn validate_receipt(t: DocumentType, k: &Kvittering) -> Result<(), AdapterError> {
    let p = t.name();
    validate_avsender(&format!("{p}.avsender"), &k.avsender)?;
    identifier(
        &format!("{p}.mottaker.virksomhetsidentifikator"),
        &k.mottaker.virksomhetsidentifikator,
    )?;
    max_chars(
        &format!("{p}.mottaker.motakeridentifikator"),
        k.mottaker.motakeridentifikator.as_deref(),
        100,
    )?;
    timestamp(&format!("{p}.tidspunkt"), &k.tidspunkt)?;
    let varsling = t == DocumentType::Varslingfeiletkvittering;
    let feil = t == DocumentType::Feil;
    if varsling {
        if !matches!(k.varslingskanal.as_deref(), Some("epost" | "sms")) {
            return Err(AdapterError::schema(
                format!("{p}.varslingskanal"),
                "must be epost or sms",
            ));
        }
    } else if k.varslingskanal.is_some() || k.beskrivelse.is_some() {
        return Err(AdapterError::schema(
            p,
            "varslingskanal and beskrivelse belong to varslingfeiletkvittering only",
        ));
    }
    if feil {
        if !matches!(k.feiltype.as_deref(), Some("KLIENT" | "SERVER")) {
            return Err(AdapterError::schema(
                format!("{p}.feiltype"),
                "must be KLIENT or SERVER",
            ));
        }
    } else if k.feiltype.is_some() || k.detaljer.is_some() {
        return Err(AdapterError::schema(
            p,
            "feiltype and detaljer belong to feil only",
        ));
    }
    Ok(())
}

fn identifier(path: &str, id: &Identifier) -> Result<(), AdapterError> {
    if id.authority != AUTHORITY {
        return Err(AdapterError::schema(
            format!("{path}.authority"),
            format!("must be {AUTHORITY}"),
        ));
    }
    if !is_iso6523_pattern(&id.value) {
        return Err(AdapterError::schema(
            format!("{path}.value"),
            "must be ICD:value (four digits, a colon, 1 to 35 word characters)",
        ));
    }
    Ok(())
}

/// `^[0-9]{4}:\w{1,35}$` (the schemas' pattern, anchored).
pub fn is_iso6523_pattern(value: &str) -> bool {
    let Some((icd, rest)) = value.split_once(':') else {
        return false;
    };
    icd.len() == 4
        && icd.bytes().all(|b| b.is_ascii_digit())
        && (1..=35).contains(&rest.chars().count())
        && rest.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn uuid(path: &str, value: &str) -> Result<Uuid, AdapterError> {
    Uuid::parse_str(value).map_err(|_| AdapterError::schema(path, "must be a UUID"))
}

/// Parses an RFC 3339 timestamp field.
pub fn timestamp(path: &str, value: &str) -> Result<OffsetDateTime, AdapterError> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map_err(|_| AdapterError::schema(path, "must be an RFC 3339 date-time"))
}

fn max_chars(path: &str, value: Option<&str>, max: usize) -> Result<(), AdapterError> {
    match value {
        Some(v) if v.chars().count() > max => Err(AdapterError::schema(
            path,
            format!("at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn text_range(path: &str, value: &str, max: usize) -> Result<(), AdapterError> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Err(AdapterError::schema(
            path,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(())
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// The first `max` characters, for quoting input in errors.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Reads a document type name.
pub fn document_type(name: &str) -> Option<DocumentType> {
    DocumentType::from_name(name)
}
