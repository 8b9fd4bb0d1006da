//! The canonical message: what every adapter decodes into and encodes from.
//!
//! Its JSON form is the body of `POST /v1/messages`; the format is described
//! field by field in `adapters/core/README.md` and kept stable: fields are
//! only ever added, as optional, and unknown fields are rejected so a typo is
//! an error rather than a silently dropped instruction.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::id::{Country, PartyId};

/// One message from one sender to one or more recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The sender's id for the message. Together with the sender it makes
    /// intake idempotent. Optional on input: the gateway assigns one.
    #[serde(default = "Uuid::nil")]
    pub id: Uuid,
    /// A letter with documents, or a short notice with no documents (an SMS
    /// such as Denmark's NemSMS).
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: MessageKind,
    /// Who sends it (the organisation legally responsible).
    pub sender: Party,
    /// Who receives it; each recipient gets its own copy and status.
    pub recipients: Vec<Recipient>,
    /// The subject line shown in the postbox.
    pub subject: String,
    /// When the sender created the message. Optional on input: the time of
    /// intake is used.
    #[serde(with = "time::serde::rfc3339", default = "unset_time")]
    pub created: OffsetDateTime,
    /// The documents; the first is the main document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Short text for SMS/e-mail notices (and the whole text of an SMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// Legal flags.
    #[serde(default, skip_serializing_if = "is_default")]
    pub legal: Legal,
    /// Whether and until when the recipient may reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// Do not deliver (make visible) before this date or instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<EffectiveAt>,
    /// The authentication level the recipient needs to open it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_level: Option<SecurityLevel>,
    /// Digital only, digital with print fallback, or print only.
    #[serde(default, skip_serializing_if = "is_default")]
    pub channel: Channel,
    /// Ask the recipient's system for a receipt when the message is opened.
    #[serde(default, skip_serializing_if = "is_default")]
    pub read_receipt: bool,
    /// The sender's references.
    #[serde(default, skip_serializing_if = "References::is_empty")]
    pub references: References,
    /// Fields of the source protocol with no canonical home, kept verbatim
    /// per protocol family (`dk-memo`, `no-dpi`, …) so a relay between two
    /// systems of the same protocol loses nothing.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub extensions: Extensions,
}

/// What kind of message it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// A letter with at least one document.
    #[default]
    Letter,
    /// A short notice with no documents: the `notification` is the text.
    Sms,
}

/// A sending organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// The organisation's identifier.
    pub id: PartyId,
    /// Its name as recipients should see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A unit within the organisation, as the national protocol names it
    /// (for example Norway's `avsenderidentifikator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// An organisation that sends on the sender's behalf (a data processor,
    /// Denmark's `Representative`, Norway's databehandler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Representative>,
}

/// An organisation acting for the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Representative {
    /// Its identifier.
    pub id: PartyId,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One recipient of a message.
///
/// A recipient is named by a national identifier (`id`), or for print by a
/// postal address alone. `postbox` carries a national postbox address when
/// the source protocol already resolved it (Norway's `postkasseadresse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The recipient's national identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PartyId>,
    /// The recipient's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The postal address, for print.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// A postbox address already resolved by the source system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postbox: Option<Postbox>,
}

/// A postbox address in a national system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Postbox {
    /// The country whose system the postbox is in.
    pub country: Country,
    /// The address within the postbox provider.
    pub address: String,
    /// The postbox provider, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<PartyId>,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    /// Address lines above the postcode line (street, building, c/o), 1–4.
    pub lines: Vec<String>,
    /// The postcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// The post town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
}

/// One document (file) of a message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The file name shown to the recipient.
    pub filename: String,
    /// The MIME type, e.g. `application/pdf`.
    pub media_type: String,
    /// ISO 639-1 language code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The document's title, if it has one besides the file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The file's bytes; base64 (RFC 4648, with padding) in JSON.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

impl fmt::Debug for Document {
    // Content can be megabytes and is personal data: never dump it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("filename", &self.filename)
            .field("media_type", &self.media_type)
            .field("language", &self.language)
            .field("title", &self.title)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .finish()
    }
}

/// Legal flags of a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Legal {
    /// The message has legal effect when it reaches the postbox (Danish
    /// `legalNotification`).
    #[serde(default)]
    pub legal_notification: bool,
    /// The recipient cannot opt out of receiving it digitally (Danish
    /// `mandatory`).
    #[serde(default)]
    pub mandatory_read: bool,
}

/// Whether the recipient may reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Replies are allowed.
    pub allowed: bool,
    /// Replies are allowed until this instant.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub by: Option<OffsetDateTime>,
}

/// A "do not deliver before" moment: a calendar date or an exact instant,
/// because national systems use either. In JSON, `"2025-09-15"` or an
/// RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectiveAt {
    /// From the start of this date, in the recipient's time zone.
    Date(time::Date),
    /// From this instant.
    Instant(OffsetDateTime),
}

/// The eIDAS level of assurance the recipient must log in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityLevel {
    /// eIDAS "substantial" (Norwegian sikkerhetsnivå 3).
    Substantial,
    /// eIDAS "high" (Norwegian sikkerhetsnivå 4).
    High,
}

/// How the message may reach the recipient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// Only to a digital postbox.
    #[default]
    DigitalOnly,
    /// Digitally if the recipient has a postbox, otherwise on paper.
    DigitalElsePrint,
    /// On paper.
    PrintOnly,
}

/// The sender's references for the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// A conversation id grouping related messages and receipts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The sender's case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The sender's own reference for the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_reference: Option<String>,
    /// A reference for invoicing the sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    /// The id of the message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
}

/// Protocol fields with no canonical home, per protocol family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extensions(pub BTreeMap<String, serde_json::Value>);

/// What a translation could not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    /// The canonical field (or source-protocol field) that was dropped, as a
    /// path such as `legal.mandatory_read` or `extensions.dk-memo.ContentData`.
    pub field: String,
    /// Why the target protocol cannot carry it.
    pub reason: String,
}

// === impl Message ===

impl Message {
    /// The main document, if the message has documents.
    pub fn main_document(&self) -> Option<&Document> {
        self.documents.first()
    }

    /// This message addressed to `to` only: what a per-recipient copy holds.
    pub fn for_recipient(&self, to: &Recipient) -> Message {
        Message {
            recipients: vec![to.clone()],
            ..self.clone()
        }
    }
}

// === impl Recipient ===

impl Recipient {
    /// A recipient named by a national identifier only.
    pub fn with_id(id: PartyId) -> Recipient {
        Recipient {
            id: Some(id),
            name: None,
            address: None,
            postbox: None,
        }
    }

    /// The country whose system delivers to this recipient: the identifier's,
    /// else the resolved postbox's, else (for print) the address's.
    pub fn country(&self) -> Option<Country> {
        self.id
            .as_ref()
            .and_then(PartyId::country)
            .or_else(|| self.postbox.as_ref().map(|p| p.country))
            .or_else(|| {
                self.address
                    .as_ref()
                    .and_then(|a| Country::from_code(&a.country))
            })
    }
}

impl fmt::Display for Recipient {
    /// How a recipient is named in status output: its identifier, postbox or
    /// a redacted address. Never the full address (personal data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.id, &self.postbox, &self.address) {
            (Some(id), _, _) => write!(f, "{id}"),
            (None, Some(postbox), _) => {
                write!(f, "postbox:{}:{}", postbox.country, postbox.address)
            }
            (None, None, Some(address)) => write!(f, "address:{}", address.country),
            (None, None, None) => f.write_str("unaddressed"),
        }
    }
}

// === impl Extensions ===

impl Extensions {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields kept for `family` (e.g. `dk-memo`).
    pub fn get(&self, family: &str) -> Option<&serde_json::Value> {
        self.0.get(family)
    }

    /// Keeps `value` for `family`, replacing what was there.
    pub fn insert(&mut self, family: &str, value: serde_json::Value) {
        self.0.insert(family.to_owned(), value);
    }
}

// === impl References ===

impl References {
    /// Whether no reference is set.
    pub fn is_empty(&self) -> bool {
        *self == References::default()
    }
}

// === impl EffectiveAt ===

impl fmt::Display for EffectiveAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EffectiveAt::Date(d) => write!(f, "{d}"),
            EffectiveAt::Instant(t) => {
                let s = t
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|_| fmt::Error)?;
                f.write_str(&s)
            }
        }
    }
}

impl EffectiveAt {
    /// Parses `YYYY-MM-DD` or an RFC 3339 timestamp.
    pub fn parse(s: &str) -> Result<EffectiveAt, String> {
        if s.len() == 10 {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s, &format)
                .map(EffectiveAt::Date)
                .map_err(|e| format!("{s:?} is not a date (YYYY-MM-DD): {e}"))
        } else {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(EffectiveAt::Instant)
                .map_err(|e| format!("{s:?} is not an RFC 3339 timestamp: {e}"))
        }
    }
}

impl Serialize for EffectiveAt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EffectiveAt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EffectiveAt::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The marker for "no creation time given": the canonical decoder replaces
/// it with the time of intake.
fn unset_time() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Serde for document bytes as standard base64.
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        STANDARD
            .decode(s.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("content is not base64: {e}")))
    }
}
