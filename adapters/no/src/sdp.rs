//! `no-sdp`: the legacy Sikker digital post 1.0 XML
//! (`http://begrep.difi.no/sdp/schema_v10`), decode only, for operators
//! still on the old Meldingsformidler infrastructure.
//!
//! - Messages: `digitalPost` with `digitalPostInfo` (digital) or with
//!   `fysiskPostInfo` (print). The package travels as a second part
//!   (`dokumentpakke`, the same CMS-encrypted ASiC-E as DPI), checked
//!   against `dokumentpakkefingeravtrykk` and decrypted with the context's
//!   key.
//! - Receipts: `kvittering` (`mottak`, `levering`, `aapning`,
//!   `varslingfeilet`, `returpost`) and `feil`.
//!
//! Each may come bare, wrapped in its Standard Business Document (SBDH:
//! ids, conversation, parties), or as the SOAP 1.2 envelope of the ebMS
//! exchange with the SBD in its body. Correlation (the receipt's
//! `message_id`) needs the SBDH's ConversationId; a bare receipt has none
//! and gets an empty `message_id`.
//!
//! The structure is validated (the elements the XSD requires, in their
//! namespaces, with their value rules); the enveloped XML-DSig every SDP
//! message carries, and the WS-Security signature of the transport, are
//! not verified here — that is the ebMS layer's job, which Borderpost does
//! not run.

use borderpost_core::xml::{self, Element};
use borderpost_core::{
    Adapter, AdapterError, Channel, Country, DecodeContext, Document, EffectiveAt, EncodeContext,
    Encoded, Extensions, Message, MessageKind, NativeReceipt, Party, PostalAddress, Postbox,
    Protocol, Receipt, ReceiptKind, Recipient, References, Scheme, SecurityLevel, Wire, canonical,
};
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::asice::{self, SDP_NS};
use crate::dpi::{check_fingerprint, party};
use crate::sbd::Fingeravtrykk;
use crate::{EXTENSION_FAMILY, PART_DOKUMENTPAKKE, PROTOCOL_SDP};
use borderpost_core::xml::dsig::DS_NS;

/// The SBDH namespace.
pub const SBDH_NS: &str = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader";
/// SOAP 1.2.
pub const SOAP_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The media type of the XML part.
pub const MEDIA_TYPE: &str = "application/xml";

/// The legacy SDP adapter (decode only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sdp;

/// What the SBDH around an SDP document says, if there was one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The sender (`9908:…`).
    pub sender: Option<String>,
    /// The receiver.
    pub receiver: Option<String>,
    /// The document's id.
    pub instance_identifier: Option<String>,
    /// When it was created.
    pub created: Option<String>,
    /// The conversation id.
    pub conversation: Option<String>,
}

/// An SDP document, located in its wrapping and checked for shape.
#[derive(Debug, Clone)]
pub struct SdpDocument {
    /// The SBDH, if the document was wrapped.
    pub header: Header,
    /// The SDP element (`digitalPost`, `kvittering`, `feil`, …).
    pub element: Element,
}

/// Finds the SDP element in a bare, SBD-wrapped or SOAP-wrapped document.
pub fn parse(xml_bytes: &[u8], ctx: &DecodeContext<'_>) -> Result<SdpDocument, AdapterError> {
    let root = xml::parse(xml_bytes, &ctx.limits.xml())?;
    let sbd = if root.is(SOAP_NS, "Envelope") {
        let body = root
            .child(SOAP_NS, "Body")
            .ok_or_else(|| AdapterError::schema("Envelope", "no Body"))?;
        body.elements()
            .next()
            .cloned()
            .ok_or_else(|| AdapterError::schema("Body", "empty"))?
    } else {
        root
    };
    let (header, element) = if sbd.is(SBDH_NS, "StandardBusinessDocument") {
        let h = sbd
            .child(SBDH_NS, "StandardBusinessDocumentHeader")
            .ok_or_else(|| AdapterError::schema("StandardBusinessDocument", "no header"))?;
        let text = |path: &[&str]| {
            let mut e = h;
            for name in path {
                e = e.child(SBDH_NS, name)?;
            }
            Some(e.text().trim().to_owned())
        };
        let conversation = h
            .child(SBDH_NS, "BusinessScope")
            .into_iter()
            .flat_map(|b| b.children_named(SBDH_NS, "Scope"))
            .find(|s| {
                s.child(SBDH_NS, "Type")
                    .is_some_and(|t| t.text().trim() == "ConversationId")
            })
            .and_then(|s| s.child(SBDH_NS, "InstanceIdentifier"))
            .map(|i| i.text().trim().to_owned());
        let header = Header {
            sender: text(&["Sender", "Identifier"]),
            receiver: text(&["Receiver", "Identifier"]),
            instance_identifier: text(&["DocumentIdentification", "InstanceIdentifier"]),
            created: text(&["DocumentIdentification", "CreationDateAndTime"]),
            conversation,
        };
        let element = sbd
            .elements()
            .find(|e| e.ns.as_deref() == Some(SDP_NS))
            .cloned()
            .ok_or_else(|| AdapterError::schema("StandardBusinessDocument", "no SDP document"))?;
        (header, element)
    } else {
        (Header::default(), sbd)
    };
    if element.ns.as_deref() != Some(SDP_NS) {
        return Err(AdapterError::UnsupportedVersion {
            found: format!(
                "root element {{{}}}{}",
                element.ns.as_deref().unwrap_or(""),
                element.name
            ),
        });
    }
    // Every SDP message is a `Melding`: an enveloped ds:Signature first.
    let signed = element
        .elements()
        .next()
        .is_some_and(|e| e.is(DS_NS, "Signature"));
    if !signed {
        return Err(AdapterError::schema(
            &element.name,
            "an SDP message starts with its ds:Signature",
        ));
    }
    Ok(SdpDocument { header, element })
}

impl Adapter for Sdp {
    fn protocol(&self) -> Protocol {
        PROTOCOL_SDP
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        ctx.limits.check_body(wire)?;
        let xml_part = wire
            .parts
            .iter()
            .find(|p| p.name != PART_DOKUMENTPAKKE)
            .ok_or_else(|| AdapterError::schema("parts", "no SDP XML part"))?;
        let doc = parse(xml_part.body, ctx)?;
        if !doc.element.is(SDP_NS, "digitalPost") {
            return Err(AdapterError::schema(
                &doc.element.name,
                "not a digitalPost message (receipts are decoded with decode_receipt)",
            ));
        }
        let fields = MessageFields::read(&doc)?;
        let package_bytes = wire
            .part(PART_DOKUMENTPAKKE)
            .ok_or_else(|| AdapterError::schema("parts", "the dokumentpakke part is missing"))?
            .body;
        check_fingerprint(&fields.fingerprint, package_bytes)?;
        let decrypter = ctx.decrypter.ok_or(AdapterError::Missing {
            what: "decryption key (the certificate senders encrypt SDP packages to)",
        })?;
        let package = crate::dpi::open_package(decrypter, package_bytes, &ctx.limits)?;
        fields.into_message(&doc.header, &package, ctx)
    }

    fn encode(
        &self,
        _message: &Message,
        _to: &Recipient,
        _ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        Err(AdapterError::Unsupported {
            what: "encoding legacy SDP (Borderpost sends DPI: no-dpi)".to_owned(),
        })
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        ctx.limits.check_body(wire)?;
        let body = wire.body();
        let doc = parse(body, ctx)?;
        decode_receipt(&doc, body)
    }
}

/// Maps a parsed `kvittering` or `feil` to a receipt.
pub fn decode_receipt(doc: &SdpDocument, raw: &[u8]) -> Result<Receipt, AdapterError> {
    let e = &doc.element;
    let at = legacy_time(&required(e, "tidspunkt")?.text(), "tidspunkt")?;
    let kind = if e.is(SDP_NS, "kvittering") {
        let what = e
            .elements()
            .filter(|c| !c.is(DS_NS, "Signature") && c.name != "tidspunkt")
            .collect::<Vec<_>>();
        let [what] = what.as_slice() else {
            return Err(AdapterError::schema(
                "kvittering",
                "exactly one receipt kind after tidspunkt",
            ));
        };
        match what.name.as_str() {
            "mottak" => ReceiptKind::Received,
            "levering" => ReceiptKind::Delivered,
            "aapning" => ReceiptKind::Read,
            "returpost" => ReceiptKind::Returned,
            "varslingfeilet" => {
                let channel = match required(what, "varslingskanal")?.text().trim() {
                    "SMS" => "sms",
                    "EPOST" => "email",
                    _ => {
                        return Err(AdapterError::schema(
                            "varslingfeilet/varslingskanal",
                            "must be SMS or EPOST",
                        ));
                    }
                };
                ReceiptKind::NotificationFailed {
                    channel: channel.to_owned(),
                    detail: optional(what, "beskrivelse"),
                }
            }
            other => {
                return Err(AdapterError::schema(
                    "kvittering",
                    format!("unknown receipt kind {:?}", crate::sbd::truncate(other, 40)),
                ));
            }
        }
    } else if e.is(SDP_NS, "feil") {
        let permanent = match required(e, "feiltype")?.text().trim() {
            "KLIENT" => true,
            "SERVER" => false,
            _ => {
                return Err(AdapterError::schema(
                    "feil/feiltype",
                    "must be KLIENT or SERVER",
                ));
            }
        };
        ReceiptKind::Error {
            permanent,
            detail: optional(e, "detaljer"),
        }
    } else {
        return Err(AdapterError::schema(
            &e.name,
            "not a receipt (kvittering or feil)",
        ));
    };
    let issuer = doc
        .header
        .sender
        .as_deref()
        .map(|s| party(s, "StandardBusinessDocumentHeader/Sender"))
        .transpose()?;
    Ok(Receipt {
        message_id: doc.header.conversation.clone().unwrap_or_default(),
        kind,
        at,
        issuer,
        native: NativeReceipt {
            protocol: PROTOCOL_SDP.0.to_owned(),
            media_type: MEDIA_TYPE.to_owned(),
            body: String::from_utf8_lossy(raw).into_owned(),
        },
    })
}

/// The fields of a `digitalPost`, read and checked.
struct MessageFields {
    sender: String,
    unit: Option<String>,
    invoice: Option<String>,
    recipient: Recipient,
    digital: Option<DigitalInfo>,
    extensions: Map<String, Value>,
    fingerprint: Fingeravtrykk,
}

struct DigitalInfo {
    subject: String,
    language: String,
    security: SecurityLevel,
    effective_at: Option<EffectiveAt>,
    read_receipt: bool,
    notification: Option<String>,
}

impl MessageFields {
    fn read(doc: &SdpDocument) -> Result<MessageFields, AdapterError> {
        let e = &doc.element;
        let avsender = required(e, "avsender")?;
        let sender = required(avsender, "organisasjon")?.text().trim().to_owned();
        let unit = optional(avsender, "avsenderidentifikator");
        let invoice = optional(avsender, "fakturaReferanse");
        let mut extensions = Map::new();
        let (recipient, digital) = match (child(e, "mottaker"), child(e, "fysiskPostInfo")) {
            (Some(mottaker), None) => {
                let person = required(mottaker, "person")?;
                let id = optional(person, "personidentifikator")
                    .map(|p| {
                        borderpost_core::PartyId::parse(Scheme::NoFnr, &p).map_err(|error| {
                            AdapterError::InvalidId {
                                path: "mottaker/person/personidentifikator".to_owned(),
                                error,
                            }
                        })
                    })
                    .transpose()?;
                let address = required(person, "postkasseadresse")?
                    .text()
                    .trim()
                    .to_owned();
                let provider = doc
                    .header
                    .receiver
                    .as_deref()
                    .map(|r| party(r, "StandardBusinessDocumentHeader/Receiver"))
                    .transpose()?;
                let info = required(e, "digitalPostInfo")?;
                let recipient = Recipient {
                    id,
                    name: None,
                    address: None,
                    postbox: Some(Postbox {
                        country: Country::No,
                        address,
                        provider,
                    }),
                };
                (recipient, Some(digital_info(info, &mut extensions)?))
            }
            (None, Some(info)) => (print_info(info, &mut extensions)?, None),
            _ => {
                return Err(AdapterError::schema(
                    "digitalPost",
                    "needs either mottaker with digitalPostInfo, or fysiskPostInfo",
                ));
            }
        };
        let fp = required(e, "dokumentpakkefingeravtrykk")?;
        let fingerprint = Fingeravtrykk {
            digest_method: fp
                .child(DS_NS, "DigestMethod")
                .and_then(|m| m.attr("Algorithm"))
                .unwrap_or("")
                .to_owned(),
            digest_value: fp
                .child(DS_NS, "DigestValue")
                .map(|v| v.text().trim().to_owned())
                .unwrap_or_default(),
        };
        Ok(MessageFields {
            sender,
            unit,
            invoice,
            recipient,
            digital,
            extensions,
            fingerprint,
        })
    }

    fn into_message(
        self,
        header: &Header,
        package: &asice::Package,
        ctx: &DecodeContext<'_>,
    ) -> Result<Message, AdapterError> {
        let sender = party(&self.sender, "avsender/organisasjon")?;
        let manifest_sender = party(&package.manifest.avsender, "manifest.xml avsender")?;
        if !manifest_sender.same_party(&sender) {
            return Err(AdapterError::Package {
                detail: format!(
                    "the manifest's avsender {manifest_sender} differs from the message's {sender}"
                ),
            });
        }
        let id = header
            .instance_identifier
            .as_deref()
            .and_then(|i| Uuid::parse_str(i).ok())
            .unwrap_or(ctx.fallback_id);
        let created = match header.created.as_deref() {
            Some(t) => legacy_time(t, "CreationDateAndTime")?,
            None => ctx.received_at,
        };
        let default_language = self.digital.as_ref().map(|d| d.language.clone());
        let documents: Vec<Document> = package
            .manifest
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| Document {
                filename: d.href.clone(),
                media_type: d.mime.clone(),
                language: d
                    .tittel
                    .as_ref()
                    .map(|(_, l)| l.to_ascii_lowercase())
                    .or_else(|| (i == 0).then(|| default_language.clone()).flatten())
                    .filter(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())),
                title: d
                    .tittel
                    .as_ref()
                    .map(|(t, _)| t.clone())
                    .filter(|t| *t != d.href),
                content: package.files.get(&d.href).cloned().unwrap_or_default(),
            })
            .collect();
        let mut message = Message {
            id,
            kind: MessageKind::Letter,
            sender: Party {
                id: sender,
                name: None,
                unit: self.unit,
                representative: None,
            },
            recipients: vec![self.recipient],
            subject: String::new(),
            created,
            documents,
            notification: None,
            legal: Default::default(),
            reply: None,
            effective_at: None,
            security_level: None,
            channel: Channel::PrintOnly,
            read_receipt: false,
            references: References {
                conversation: header
                    .conversation
                    .clone()
                    .filter(|c| Some(c) != header.instance_identifier.as_ref()),
                invoice: self.invoice,
                ..References::default()
            },
            extensions: Extensions::default(),
        };
        match self.digital {
            Some(d) => {
                message.channel = Channel::DigitalOnly;
                message.subject = d.subject;
                message.security_level = Some(d.security);
                message.effective_at = d.effective_at;
                message.read_receipt = d.read_receipt;
                message.notification = d.notification;
            }
            None => {
                message.subject = package
                    .manifest
                    .documents
                    .first()
                    .map(|d| d.tittel.as_ref().map_or(d.href.clone(), |(t, _)| t.clone()))
                    .unwrap_or_default();
            }
        }
        if !self.extensions.is_empty() {
            message
                .extensions
                .insert(EXTENSION_FAMILY, Value::Object(self.extensions));
        }
        canonical::validate(&message, &ctx.limits)?;
        Ok(message)
    }
}

fn digital_info(info: &Element, ext: &mut Map<String, Value>) -> Result<DigitalInfo, AdapterError> {
    let title = required(info, "ikkeSensitivTittel")?;
    let subject = title.text();
    if !(1..=255).contains(&subject.chars().count()) {
        return Err(AdapterError::schema(
            "ikkeSensitivTittel",
            "1 to 255 characters",
        ));
    }
    let language = title.attr("lang").unwrap_or("no").to_ascii_lowercase();
    let security = match required(info, "sikkerhetsnivaa")?.text().trim() {
        "3" => SecurityLevel::Substantial,
        "4" => SecurityLevel::High,
        _ => return Err(AdapterError::schema("sikkerhetsnivaa", "must be 3 or 4")),
    };
    let effective_at = match (
        optional(info, "virkningsdato"),
        optional(info, "virkningstidspunkt"),
    ) {
        (Some(date), None) => Some(
            EffectiveAt::parse(date.trim())
                .map_err(|e| AdapterError::schema("virkningsdato", e))?,
        ),
        (None, Some(t)) => Some(EffectiveAt::Instant(legacy_time(&t, "virkningstidspunkt")?)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(AdapterError::schema(
                "digitalPostInfo",
                "virkningsdato and virkningstidspunkt exclude each other",
            ));
        }
    };
    let read_receipt = match optional(info, "aapningskvittering")
        .as_deref()
        .map(str::trim)
    {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            return Err(AdapterError::schema(
                "aapningskvittering",
                "must be a boolean",
            ));
        }
    };
    let mut notification = None;
    if let Some(varsler) = child(info, "varsler") {
        // Kept in DPI's JSON shape, so a relay into DPI carries it.
        let mut v = Map::new();
        for (xml_name, json_name, address) in [
            ("epostVarsel", "epostvarsel", "epostadresse"),
            ("smsVarsel", "smsvarsel", "mobiltelefonnummer"),
        ] {
            if let Some(varsel) = child(varsler, xml_name) {
                let text = required(varsel, "varslingsTekst")?.text();
                let days: Vec<u32> = child(varsel, "repetisjoner")
                    .into_iter()
                    .flat_map(|r| r.children_named(SDP_NS, "dagerEtter"))
                    .map(|d| d.text().trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        AdapterError::schema("repetisjoner/dagerEtter", "must be a number")
                    })?;
                let json_address = if json_name == "epostvarsel" {
                    "epostadresse"
                } else {
                    "mobiltelefonnummer"
                };
                v.insert(
                    json_name.to_owned(),
                    json!({
                        json_address: required(varsel, address)?.text().trim(),
                        "varslingstekst": text,
                        "repetisjoner": days,
                    }),
                );
                if notification.is_none() || json_name == "smsvarsel" {
                    notification = Some(text);
                }
            }
        }
        if !v.is_empty() {
            ext.insert("varsler".to_owned(), Value::Object(v));
        }
    }
    Ok(DigitalInfo {
        subject,
        language,
        security,
        effective_at,
        read_receipt,
        notification,
    })
}

fn print_info(info: &Element, ext: &mut Map<String, Value>) -> Result<Recipient, AdapterError> {
    let mottaker = required(info, "mottaker")?;
    let (name, address) = postal(mottaker)?;
    let farge = required(info, "utskriftsfarge")?.text().trim().to_owned();
    if !matches!(farge.as_str(), "SORT_HVIT" | "FARGE") {
        return Err(AdapterError::schema(
            "utskriftsfarge",
            "must be SORT_HVIT or FARGE",
        ));
    }
    ext.insert("utskriftstype".to_owned(), Value::String(farge));
    if let Some(posttype) = optional(info, "posttype") {
        ext.insert(
            "posttype".to_owned(),
            Value::String(posttype.trim().to_owned()),
        );
    }
    let retur = required(info, "retur")?;
    let handling = required(retur, "postHaandtering")?.text().trim().to_owned();
    let (retur_name, retur_address) = postal(required(retur, "mottaker")?)?;
    ext.insert(
        "retur".to_owned(),
        json!({ "mottaker": adresse_json(&retur_name, &retur_address), "returposthaandtering": handling }),
    );
    Ok(Recipient {
        id: None,
        name: Some(name),
        address: Some(address),
        postbox: None,
    })
}

fn postal(e: &Element) -> Result<(String, PostalAddress), AdapterError> {
    let name = required(e, "navn")?.text().trim().to_owned();
    let lines = |a: &Element| -> Vec<String> {
        [
            "adresselinje1",
            "adresselinje2",
            "adresselinje3",
            "adresselinje4",
        ]
        .into_iter()
        .filter_map(|l| optional(a, l))
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
    };
    if let Some(a) = child(e, "norskAdresse") {
        return Ok((
            name,
            PostalAddress {
                lines: lines(a),
                postcode: Some(required(a, "postnummer")?.text().trim().to_owned()),
                city: Some(required(a, "poststed")?.text().trim().to_owned()),
                country: "NO".to_owned(),
            },
        ));
    }
    if let Some(a) = child(e, "utenlandskAdresse") {
        let country = optional(a, "landkode")
            .map(|c| c.trim().to_ascii_uppercase())
            .ok_or_else(|| AdapterError::BusinessRule {
                rule: "no.utskrift-landkode",
                detail: "a foreign address with a country name (land) but no ISO code (landkode) cannot be mapped".to_owned(),
            })?;
        return Ok((
            name,
            PostalAddress {
                lines: lines(a),
                postcode: None,
                city: None,
                country,
            },
        ));
    }
    Err(AdapterError::schema(
        "mottaker",
        "needs norskAdresse or utenlandskAdresse",
    ))
}

fn adresse_json(name: &str, a: &PostalAddress) -> Value {
    let mut out = Map::new();
    out.insert("navn".to_owned(), Value::String(name.to_owned()));
    for (i, line) in a.lines.iter().enumerate().take(4) {
        out.insert(
            format!("adresselinje{}", i + 1),
            Value::String(line.clone()),
        );
    }
    if a.country == "NO" {
        if let Some(p) = &a.postcode {
            out.insert("postnummer".to_owned(), Value::String(p.clone()));
        }
        if let Some(c) = &a.city {
            out.insert("poststed".to_owned(), Value::String(c.clone()));
        }
    } else {
        out.insert("landkode".to_owned(), Value::String(a.country.clone()));
    }
    Value::Object(out)
}

/// An `xsd:dateTime`: RFC 3339, or without an offset (as the SDP samples
/// write it), then read as UTC.
fn legacy_time(text: &str, path: &str) -> Result<OffsetDateTime, AdapterError> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, &format)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| AdapterError::schema(path, "must be an xsd:dateTime"))
}

fn child<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.child(SDP_NS, name)
}

fn required<'a>(e: &'a Element, name: &str) -> Result<&'a Element, AdapterError> {
    child(e, name).ok_or_else(|| AdapterError::schema(format!("{}/{name}", e.name), "is required"))
}

fn optional(e: &Element, name: &str) -> Option<String> {
    child(e, name).map(Element::text)
}
