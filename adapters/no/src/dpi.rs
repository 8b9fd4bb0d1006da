//! `no-dpi`: DPI business messages (`digital`, `utskrift`) both ways.
//!
//! A message on the wire is two parts: `forretningsmelding`, the SBD JSON
//! signed as an RS256 JWT, and `dokumentpakke`, the ASiC-E encrypted with
//! CMS to the postbox (or print) provider. The mapping to the canonical
//! message and what it loses is described in the crate README.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::canonical;
use borderpost_core::{
    Adapter, AdapterError, Channel, Country, DecodeContext, Document, EffectiveAt, EncodeContext,
    Encoded, Extensions, Loss, Message, MessageKind, Party, PartyId, PostalAddress, Postbox,
    Protocol, Receipt, Recipient, References, Representative, Scheme, SecurityLevel, Wire,
};
use openssl::x509::X509;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::asice::{self, NewDocument, NewPackage, Package};
use crate::cms;
use crate::config::DpiConfig;
use crate::documents::package_documents;
use crate::jwt::{self, Verified};
use crate::receipts;
use crate::sbd::{
    self, AUTHORITY, Actor, Adresse, Avsender, BusinessScope, CONVERSATION_ID, Digital,
    DocumentIdentification, DocumentType, Fingeravtrykk, Identifier, PersonMottaker, Retur, Sbd,
    Sbdh, Scope, ScopeInformation, Utskrift, Varsler,
};
use crate::{EXTENSION_FAMILY, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING, PROTOCOL_DPI};

/// The media type of the `forretningsmelding` part.
pub const MEDIA_TYPE_JWT: &str = "application/jwt";
/// The media type of the `dokumentpakke` part.
pub const MEDIA_TYPE_PACKAGE: &str = "application/octet-stream";
/// The title length DPI allows (`ikkesensitivtittel`, manifest `tittel`).
const MAX_TITLE_CHARS: usize = 255;
/// The length of `avsender.fakturaReferanse`.
const MAX_INVOICE_CHARS: usize = 40;

/// The DPI adapter (`no-dpi`). Receipts arriving for its messages are
/// decoded by [`Adapter::decode_receipt`] as [`crate::DpiReceipts`] does.
#[derive(Debug, Clone, Default)]
pub struct Dpi {
    config: DpiConfig,
}

impl Dpi {
    /// An adapter with `config`.
    pub fn new(config: DpiConfig) -> Dpi {
        Dpi { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &DpiConfig {
        &self.config
    }

    /// Decodes a business message whose package is already decrypted: the
    /// JWT is verified and the ASiC-E checked exactly as in
    /// [`Adapter::decode`], but there is no CMS, so the fingerprint is not
    /// checked. For tooling and for Digdir's published samples (whose CMS
    /// cannot be decrypted: their keystore was not published).
    pub fn decode_unencrypted(
        &self,
        forretningsmelding: &[u8],
        asice: &[u8],
        ctx: &DecodeContext<'_>,
    ) -> Result<Message, AdapterError> {
        let sbd = self.verify_business_message(forretningsmelding, ctx)?;
        let package = asice::read(asice, &ctx.limits)?;
        self.to_message(&sbd, &package, ctx)
    }

    /// Verifies the JWT (signature, chain if configured, signer = SBDH
    /// sender) and parses its business message.
    fn verify_business_message(
        &self,
        token: &[u8],
        ctx: &DecodeContext<'_>,
    ) -> Result<Sbd, AdapterError> {
        let verified = verify_token(token, &self.config, ctx)?;
        let sbd = sbd::parse(&verified.payload, &ctx.limits)?;
        match sbd.document_type()? {
            DocumentType::Digital | DocumentType::Utskrift => {}
            DocumentType::Flyttet => {
                return Err(AdapterError::Unsupported {
                    what: "flyttet (post moved between postbox providers)".to_owned(),
                });
            }
            _ => {
                return Err(AdapterError::schema(
                    "standardBusinessDocument",
                    "this is a receipt; decode it as no-dpi-receipt",
                ));
            }
        }
        check_signer(&sbd, &verified.signer)?;
        Ok(sbd)
    }

    fn to_message(
        &self,
        sbd: &Sbd,
        package: &Package,
        ctx: &DecodeContext<'_>,
    ) -> Result<Message, AdapterError> {
        let header = &sbd.standard_business_document_header;
        let (avsender, print) = match (&sbd.digital, &sbd.utskrift) {
            (Some(d), _) => (&d.avsender, None),
            (None, Some(u)) => (&u.avsender, Some(u)),
            (None, None) => {
                return Err(AdapterError::schema(
                    "standardBusinessDocument",
                    "neither digital nor utskrift",
                ));
            }
        };
        let sender_value = sbd.sender();
        let sbdh_sender = party(sender_value, "standardBusinessDocumentHeader.sender")?;
        let avsender_id = party(
            &avsender.virksomhetsidentifikator.value,
            "avsender.virksomhetsidentifikator",
        )?;

        // C4's ownership rules: the manifest names the same sender, and the
        // package is signed by the sender or its data processor.
        let manifest = &package.manifest;
        let manifest_sender = party(&manifest.avsender, "manifest.xml avsender")?;
        if !manifest_sender.same_party(&avsender_id) {
            return Err(AdapterError::Package {
                detail: format!(
                    "the manifest's avsender {manifest_sender} differs from the business message's {avsender_id}"
                ),
            });
        }
        if let (Some(d), Some(address)) = (&sbd.digital, &manifest.postkasseadresse)
            && *address != d.mottaker.postkasseadresse
        {
            return Err(AdapterError::Package {
                detail: "the manifest's postkasseadresse differs from the business message's"
                    .to_owned(),
            });
        }
        let package_cert = crate::cert::parse_der(
            &package.signer_certificate,
            "the package's signing certificate",
        )?;
        self.config
            .check_chain(&package_cert, &[], ctx.received_at, "package signature")?;
        let package_signer = crate::cert::organisation(&package_cert)?;
        if !package_signer.same_party(&sbdh_sender) && !package_signer.same_party(&avsender_id) {
            return Err(AdapterError::SignerMismatch {
                signer: package_signer.to_string(),
                claimed: format!("{avsender_id} (or its data processor {sbdh_sender})"),
            });
        }

        let di = &header.document_identification;
        let id = Uuid::parse_str(&di.instance_identifier).map_err(|_| {
            AdapterError::schema(
                "documentIdentification.instanceIdentifier",
                "must be a UUID",
            )
        })?;
        let created = sbd::timestamp(
            "documentIdentification.creationDateAndTime",
            &di.creation_date_and_time,
        )?;
        let conversation = sbd
            .conversation()
            .and_then(|s| s.instance_identifier.clone())
            .filter(|c| *c != di.instance_identifier);

        let mut ext = Map::new();
        if let Some(expected) = sbd
            .conversation()
            .and_then(|s| s.scope_information.as_ref())
            .and_then(|i| i.iter().find_map(|i| i.expected_response_date_time.clone()))
        {
            ext.insert(
                "expectedResponseDateTime".to_owned(),
                Value::String(expected),
            );
        }

        let default_language = sbd.digital.as_ref().map(|d| d.spraak.to_ascii_lowercase());
        let mut documents = Vec::with_capacity(manifest.documents.len());
        let mut data = Vec::new();
        for (i, doc) in manifest.documents.iter().enumerate() {
            let content = package.files.get(&doc.href).cloned().unwrap_or_default();
            let language = doc
                .tittel
                .as_ref()
                .map(|(_, lang)| lang.to_ascii_lowercase())
                .or_else(|| (i == 0).then(|| default_language.clone()).flatten())
                .filter(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()));
            // A title equal to the file name says nothing the name does not.
            let title = doc
                .tittel
                .as_ref()
                .map(|(t, _)| t.clone())
                .filter(|t| *t != doc.href);
            documents.push(Document {
                filename: doc.href.clone(),
                media_type: doc.mime.clone(),
                language,
                title,
                content,
            });
            if let Some((href, mime)) = &doc.data {
                let content = package.files.get(href).map(|c| STANDARD.encode(c));
                data.push(
                    json!({ "dokument": doc.href, "href": href, "mime": mime, "content": content }),
                );
            }
        }
        if !data.is_empty() {
            ext.insert("data".to_owned(), Value::Array(data));
        }

        let representative = (!sbdh_sender.same_party(&avsender_id)).then(|| Representative {
            id: sbdh_sender.clone(),
            name: None,
        });
        let sender = Party {
            id: avsender_id,
            name: None,
            unit: avsender.avsenderidentifikator.clone(),
            representative,
        };
        let references = References {
            conversation,
            invoice: avsender.faktura_referanse.clone(),
            ..References::default()
        };
        let provider = party(sbd.receiver(), "standardBusinessDocumentHeader.receiver")?;

        let mut message = Message {
            id,
            kind: MessageKind::Letter,
            sender,
            recipients: Vec::new(),
            subject: String::new(),
            created,
            documents,
            notification: None,
            legal: Default::default(),
            reply: None,
            effective_at: None,
            security_level: None,
            channel: Channel::DigitalOnly,
            read_receipt: false,
            references,
            extensions: Extensions::default(),
        };

        if let Some(d) = &sbd.digital {
            message
                .recipients
                .push(digital_recipient(&d.mottaker.postkasseadresse, provider)?);
            message.subject = d.ikkesensitivtittel.clone();
            message.security_level = Some(if d.sikkerhetsnivaa == 3 {
                SecurityLevel::Substantial
            } else {
                SecurityLevel::High
            });
            message.effective_at = match (&d.virkningsdato, &d.virkningstidspunkt) {
                (_, Some(t)) => Some(EffectiveAt::Instant(sbd::timestamp(
                    "digital.virkningstidspunkt",
                    t,
                )?)),
                (Some(date), None) => Some(
                    EffectiveAt::parse(date)
                        .map_err(|e| AdapterError::schema("digital.virkningsdato", e))?,
                ),
                (None, None) => None,
            };
            message.read_receipt = d.aapningskvittering.unwrap_or(false);
            if let Some(v) = &d.varsler {
                message.notification = v
                    .smsvarsel
                    .as_ref()
                    .map(|s| s.varslingstekst.clone())
                    .or_else(|| v.epostvarsel.as_ref().map(|e| e.varslingstekst.clone()));
                if *v != Varsler::default() {
                    ext.insert("varsler".to_owned(), to_value(v)?);
                }
            }
        } else if let Some(u) = print {
            message.recipients.push(print_recipient(&u.mottaker)?);
            message.channel = Channel::PrintOnly;
            // Print has no title of its own: the main document's is the
            // letter's subject.
            message.subject = manifest
                .documents
                .first()
                .map(|d| d.tittel.as_ref().map_or(d.href.clone(), |(t, _)| t.clone()))
                .unwrap_or_default();
            ext.insert(
                "utskriftstype".to_owned(),
                Value::String(u.utskriftstype.clone()),
            );
            if let Some(p) = &u.posttype {
                ext.insert("posttype".to_owned(), Value::String(p.clone()));
            }
            ext.insert("retur".to_owned(), to_value(&u.retur)?);
        }
        if !ext.is_empty() {
            message
                .extensions
                .insert(EXTENSION_FAMILY, Value::Object(ext));
        }
        canonical::validate(&message, &ctx.limits)?;
        Ok(message)
    }

    fn encode_message(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let signer = ctx.signer.ok_or(AdapterError::Missing {
            what: "signer (the business certificate that signs DPI messages)",
        })?;
        let token = self.config.token()?.to_owned();
        let mut losses = Vec::new();
        let letter;
        let message = if message.kind == MessageKind::Sms {
            letter = sms_as_letter(message)?;
            losses.push(loss(
                "kind",
                &format!(
                    "DPI carries letters, not SMS: the text was sent as the letter's main document, {SMS_FILENAME}"
                ),
            ));
            &letter
        } else {
            message
        };
        let leaf = signer
            .certificate_chain()
            .first()
            .ok_or(AdapterError::Missing {
                what: "signer certificate",
            })?;
        let signer_org =
            crate::cert::organisation(X509::from_der(leaf).map_err(crate::cert::crypto)?.as_ref())?;
        let sbdh_sender = iso6523_value(&signer_org, "signer certificate")?;
        let avsender_value = iso6523_value(&message.sender.id, "sender.id")?;
        if let Some(rep) = &message.sender.representative
            && !rep.id.same_party(&signer_org)
        {
            losses.push(loss(
                "sender.representative",
                "Borderpost signs DPI messages itself and is the SBDH sender; another data processor cannot be named",
            ));
        }
        if message.sender.name.is_some() {
            losses.push(loss(
                "sender.name",
                "DPI shows the name registered for the organisation number",
            ));
        }
        let ext = message
            .extensions
            .get(EXTENSION_FAMILY)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for family in message
            .extensions
            .0
            .keys()
            .filter(|k| *k != EXTENSION_FAMILY)
        {
            losses.push(loss(
                &format!("extensions.{family}"),
                "fields of another protocol",
            ));
        }
        record_common_losses(message, ctx, &mut losses);

        let print = match message.channel {
            Channel::PrintOnly => true,
            Channel::DigitalOnly => false,
            Channel::DigitalElsePrint => to.postbox.is_none() && to.address.is_some(),
        };
        let (receiver, kind, package_recipient) = if print {
            let provider = self.config.print_provider.as_ref().ok_or_else(|| AdapterError::Recipient {
                detail: "print (utskrift) needs the print service configured (DpiConfig::print_provider)".to_owned(),
            })?;
            (
                iso6523_value(provider, "print provider")?,
                DocumentType::Utskrift,
                None,
            )
        } else {
            let postbox = to.postbox.as_ref().ok_or_else(|| AdapterError::Recipient {
                detail: format!(
                    "{to} has no Norwegian postbox: look the person up in KRR (Kontakt- og reservasjonsregisteret) for postkasseadresse, postkasseleverandoeradresse and sertifikat"
                ),
            })?;
            if postbox.country != Country::No {
                return Err(AdapterError::Recipient {
                    detail: format!("the postbox is in {}, not in Norway", postbox.country),
                });
            }
            let provider = postbox
                .provider
                .as_ref()
                .ok_or_else(|| AdapterError::Recipient {
                    detail: "the postbox provider (KRR postkasseleverandoeradresse) is unknown"
                        .to_owned(),
                })?;
            if provider.national().scheme() != Scheme::NoOrgnr {
                return Err(AdapterError::Recipient {
                    detail: format!(
                        "the postbox provider {provider} is not a Norwegian organisation"
                    ),
                });
            }
            (
                iso6523_value(provider, "postbox provider")?,
                DocumentType::Digital,
                Some(postbox.address.as_str()),
            )
        };
        if to.id.is_some() {
            losses.push(loss(
                "recipients[].id",
                if print {
                    "DPI print addresses the letter, not the person"
                } else {
                    "DPI addresses the postbox (postkasseadresse), not the person"
                },
            ));
        }
        let recipient_cert = ctx.recipient_certificate.ok_or_else(|| AdapterError::Recipient {
            detail: if print {
                "the print service's encryption certificate is not known (EncodeContext::recipient_certificate)".to_owned()
            } else {
                "the postbox provider's encryption certificate is not known: it comes from KRR (`sertifikat`)".to_owned()
            },
        })?;

        // Documents.
        if message.documents.is_empty() {
            return Err(AdapterError::schema(
                "documents",
                "DPI needs a main document",
            ));
        }
        if message.documents.len() > 1 + asice::MAX_ATTACHMENTS {
            return Err(AdapterError::TooLarge {
                what: "attachments (vedlegg)".to_owned(),
                limit: asice::MAX_ATTACHMENTS as u64,
            });
        }
        let main_language = message
            .main_document()
            .and_then(|d| d.language.clone())
            .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
        let subject = truncate_title(&message.subject, "subject", &mut losses);
        let (package_docs, renamed) = package_documents(&message.documents)?;
        losses.extend(renamed);
        let mut titles = Vec::with_capacity(message.documents.len());
        for (i, (doc, package_doc)) in message.documents.iter().zip(&package_docs).enumerate() {
            let title = if print && i == 0 {
                if doc.title.as_ref().is_some_and(|t| *t != message.subject) {
                    losses.push(loss(
                        "documents[0].title",
                        "a print letter's title is its subject",
                    ));
                }
                subject.clone()
            } else {
                match &doc.title {
                    Some(t) => truncate_title(t, &format!("documents[{i}].title"), &mut losses),
                    None => package_doc.href.clone(),
                }
            };
            titles.push(title);
        }
        let new_docs: Vec<NewDocument<'_>> = message
            .documents
            .iter()
            .zip(&package_docs)
            .zip(&titles)
            .map(|((doc, package_doc), title)| NewDocument {
                href: &package_doc.href,
                mime: &package_doc.mime,
                tittel: title,
                lang: doc.language.as_deref().unwrap_or(&main_language),
                content: &doc.content,
            })
            .collect();
        // A cut reference would name another invoice; a missing one names
        // none, and only the sender's invoicing reads it.
        let invoice = match &message.references.invoice {
            Some(invoice) if invoice.chars().count() > MAX_INVOICE_CHARS => {
                losses.push(loss(
                    "references.invoice",
                    "DPI's fakturaReferanse takes at most 40 characters, so it was left out rather than cut",
                ));
                None
            }
            other => other.clone(),
        };
        let avsender = Avsender {
            virksomhetsidentifikator: identifier(&avsender_value),
            avsenderidentifikator: message.sender.unit.clone(),
            faktura_referanse: invoice.clone(),
        };
        let zip = asice::build(
            &NewPackage {
                postkasseadresse: package_recipient,
                avsender: &avsender_value,
                avsenderidentifikator: message.sender.unit.as_deref(),
                faktura_referanse: invoice.as_deref(),
                documents: &new_docs,
            },
            signer,
            ctx.now,
        )?;
        let package = cms::encrypt(&zip, recipient_cert)?;
        let fingerprint = Fingeravtrykk {
            digest_method: cms::DIGEST_METHOD_SHA256.to_owned(),
            digest_value: cms::fingerprint(&package)?,
        };

        let mut sbd = Sbd {
            standard_business_document_header: header(
                &sbdh_sender,
                &receiver,
                kind,
                ctx.message_id,
                message.created,
                ctx.message_id,
                ext.get("expectedResponseDateTime").and_then(Value::as_str),
            )?,
            digital: None,
            utskrift: None,
            flyttet: None,
            leveringskvittering: None,
            aapningskvittering: None,
            mottakskvittering: None,
            varslingfeiletkvittering: None,
            returpostkvittering: None,
            feil: None,
        };
        if print {
            sbd.utskrift = Some(self.utskrift(
                message,
                to,
                &ext,
                avsender,
                fingerprint,
                token,
                &mut losses,
            )?);
        } else {
            let postkasseadresse = package_recipient.unwrap_or_default().to_owned();
            sbd.digital = Some(digital(
                message,
                &ext,
                avsender,
                postkasseadresse,
                fingerprint,
                token,
                subject,
                main_language,
                &mut losses,
            )?);
        }
        sbd::validate(&sbd)?;
        let json = sbd::to_json(&sbd)?;
        let token = jwt::sign(&json, signer)?;
        Ok(Encoded {
            parts: vec![
                borderpost_core::adapter::EncodedPart {
                    name: PART_FORRETNINGSMELDING.to_owned(),
                    media_type: MEDIA_TYPE_JWT.to_owned(),
                    body: token.into_bytes(),
                },
                borderpost_core::adapter::EncodedPart {
                    name: PART_DOKUMENTPAKKE.to_owned(),
                    media_type: MEDIA_TYPE_PACKAGE.to_owned(),
                    body: package,
                },
            ],
            losses,
        })
    }

    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
    fn utskrift(
        &self,
        message: &Message,
        to: &Recipient,
        ext: &Map<String, Value>,
        avsender: Avsender,
        fingerprint: Fingeravtrykk,
        token: String,
        losses: &mut Vec<Loss>,
    ) -> Result<Utskrift, AdapterError> {
        let address = to.address.as_ref().ok_or_else(|| AdapterError::Recipient {
            detail: "print needs the recipient's postal address".to_owned(),
        })?;
        let name = to.name.as_deref().ok_or_else(|| AdapterError::Recipient {
            detail: "print needs the recipient's name".to_owned(),
        })?;
        let mottaker = adresse(name, address, "recipient")?;
        let retur = match ext.get("retur") {
            Some(value) => serde_json::from_value::<Retur>(value.clone())
                .map_err(|e| AdapterError::schema("extensions.no-dpi.retur", e.to_string()))?,
            None => {
                let configured = self.config.return_address.as_ref().ok_or_else(|| AdapterError::Recipient {
                    detail: "print needs a return address: none in extensions.no-dpi.retur and none configured (DpiConfig::return_address)".to_owned(),
                })?;
                Retur {
                    mottaker: adresse(&configured.name, &configured.address, "return address")?,
                    returposthaandtering: DEFAULT_RETURPOSTHAANDTERING.to_owned(),
                }
            }
        };
        let text = |key: &str, default: &str| {
            ext.get(key)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        for (set, field) in [
            (message.effective_at.is_some(), "effective_at"),
            (message.security_level.is_some(), "security_level"),
            (message.read_receipt, "read_receipt"),
            (message.notification.is_some(), "notification"),
        ] {
            if set {
                losses.push(loss(field, "print (utskrift) has no such setting"));
            }
        }
        Ok(Utskrift {
            avsender,
            mottaker,
            dokumentpakkefingeravtrykk: fingerprint,
            maskinportentoken: token,
            utskriftstype: text("utskriftstype", DEFAULT_UTSKRIFTSTYPE),
            retur,
            posttype: Some(text("posttype", DEFAULT_POSTTYPE)),
        })
    }
}

/// The language of a message whose main document names none.
pub const DEFAULT_LANGUAGE: &str = "no";
/// The default security level (`sikkerhetsnivaa`) when the message sets none.
pub const DEFAULT_SIKKERHETSNIVAA: u8 = 4;
/// Print default: black and white.
pub const DEFAULT_UTSKRIFTSTYPE: &str = "SORT_HVIT";
/// Print default: B post.
pub const DEFAULT_POSTTYPE: &str = "B";
/// Print default: returned letters go back to the sender.
pub const DEFAULT_RETURPOSTHAANDTERING: &str = "DIREKTE_RETUR";

impl Adapter for Dpi {
    fn protocol(&self) -> Protocol {
        PROTOCOL_DPI
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        ctx.limits.check_body(wire)?;
        let (token, cms_bytes) = two_parts(wire)?;
        let sbd = self.verify_business_message(token, ctx)?;
        let declared = match (&sbd.digital, &sbd.utskrift) {
            (Some(d), _) => &d.dokumentpakkefingeravtrykk,
            (None, Some(u)) => &u.dokumentpakkefingeravtrykk,
            (None, None) => {
                return Err(AdapterError::schema(
                    "standardBusinessDocument",
                    "neither digital nor utskrift",
                ));
            }
        };
        check_fingerprint(declared, cms_bytes)?;
        let decrypter = ctx.decrypter.ok_or(AdapterError::Missing {
            what: "decryption key (the certificate senders encrypt DPI packages to)",
        })?;
        let package = open_package(decrypter, cms_bytes, &ctx.limits)?;
        self.to_message(&sbd, &package, ctx)
    }

    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        self.encode_message(message, to, ctx)
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        let body = wire
            .part(PART_FORRETNINGSMELDING)
            .map_or_else(|| wire.body(), |p| p.body);
        receipts::decode(body, &self.config, ctx)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        receipts::encode(receipt, original, ctx)
    }
}

// === helpers shared with the receipt adapter ===

/// Verifies a token and, if trust anchors are configured, its chain.
pub(crate) fn verify_token(
    token: &[u8],
    config: &DpiConfig,
    ctx: &DecodeContext<'_>,
) -> Result<Verified, AdapterError> {
    let verified = jwt::verify(token)?;
    let cert = crate::cert::parse_der(&verified.certificate, "the JWT's x5c[0]")?;
    config.check_chain(&cert, &[], ctx.received_at, "JWT")?;
    Ok(verified)
}

/// The SBDH sender must be the organisation whose certificate signed.
pub(crate) fn check_signer(sbd: &Sbd, signer: &PartyId) -> Result<(), AdapterError> {
    let claimed = party(sbd.sender(), "standardBusinessDocumentHeader.sender")?;
    if !signer.same_party(&claimed) {
        return Err(AdapterError::SignerMismatch {
            signer: signer.to_string(),
            claimed: claimed.to_string(),
        });
    }
    Ok(())
}

/// Reads an `ICD:value` identifier as a party (national form when the ICD
/// is a register Borderpost knows).
pub(crate) fn party(value: &str, path: &str) -> Result<PartyId, AdapterError> {
    PartyId::parse(Scheme::Iso6523, value)
        .map(|id| id.national())
        .map_err(|error| AdapterError::InvalidId {
            path: path.to_owned(),
            error,
        })
}

/// The `ICD:value` form of an organisation, fitting the DPI pattern
/// `[0-9]{4}:\w{1,35}`: Finnish Business IDs (whose hyphen `\w` does not
/// match) are written as their OVT code (ICD 0216, `0037` + the digits).
pub(crate) fn iso6523_value(id: &PartyId, path: &str) -> Result<String, AdapterError> {
    let national = id.national();
    let value = if national.scheme() == Scheme::FiYtunnus {
        format!("0216:0037{}", national.value().replace('-', ""))
    } else {
        id.to_iso6523()
            .ok_or_else(|| {
                AdapterError::schema(path, format!("{id} is not an organisation identifier"))
            })?
            .value()
            .to_owned()
    };
    if !sbd::is_iso6523_pattern(&value) {
        return Err(AdapterError::schema(
            path,
            format!("{value} does not fit DPI's ICD:value pattern"),
        ));
    }
    Ok(value)
}

pub(crate) fn identifier(value: &str) -> Identifier {
    Identifier {
        authority: AUTHORITY.to_owned(),
        value: value.to_owned(),
    }
}

/// An SBDH.
pub(crate) fn header(
    sender: &str,
    receiver: &str,
    kind: DocumentType,
    instance: Uuid,
    created: OffsetDateTime,
    conversation: Uuid,
    expected_response: Option<&str>,
) -> Result<Sbdh, AdapterError> {
    let process = kind
        .processes()
        .first()
        .copied()
        .unwrap_or(sbd::PROCESS_DIGITAL);
    header_in_process(
        sender,
        receiver,
        kind,
        instance,
        created,
        conversation,
        process,
        expected_response,
    )
}

/// An SBDH in an explicit process (receipts travel in their message's).
#[allow(clippy::too_many_arguments)] // the SBDH has that many fields
pub(crate) fn header_in_process(
    sender: &str,
    receiver: &str,
    kind: DocumentType,
    instance: Uuid,
    created: OffsetDateTime,
    conversation: Uuid,
    process: &str,
    expected_response: Option<&str>,
) -> Result<Sbdh, AdapterError> {
    Ok(Sbdh {
        header_version: "1.0".to_owned(),
        sender: vec![Actor {
            identifier: identifier(sender),
        }],
        receiver: vec![Actor {
            identifier: identifier(receiver),
        }],
        document_identification: DocumentIdentification {
            standard: kind.standard(),
            type_version: "1.0".to_owned(),
            instance_identifier: instance.to_string(),
            kind: kind.name().to_owned(),
            creation_date_and_time: rfc3339(created)?,
        },
        business_scope: BusinessScope {
            scope: vec![Scope {
                kind: CONVERSATION_ID.to_owned(),
                instance_identifier: Some(conversation.to_string()),
                identifier: Some(process.to_owned()),
                scope_information: expected_response.map(|t| {
                    vec![ScopeInformation {
                        expected_response_date_time: Some(t.to_owned()),
                    }]
                }),
            }],
        },
    })
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> Result<String, AdapterError> {
    t.format(&Rfc3339).map_err(|e| AdapterError::Crypto {
        detail: format!("formatting a timestamp: {e}"),
    })
}

fn two_parts<'a>(wire: &Wire<'a>) -> Result<(&'a [u8], &'a [u8]), AdapterError> {
    for part in &wire.parts {
        if part.name != PART_FORRETNINGSMELDING && part.name != PART_DOKUMENTPAKKE {
            return Err(AdapterError::schema(
                "multipart",
                format!(
                    "unexpected part {:?}; DPI has forretningsmelding and dokumentpakke",
                    sbd::truncate(part.name, 40)
                ),
            ));
        }
    }
    let get = |name: &str| -> Result<&'a [u8], AdapterError> {
        let mut matching = wire.parts.iter().filter(|p| p.name == name);
        match (matching.next(), matching.next()) {
            (Some(p), None) => Ok(p.body),
            (None, _) => Err(AdapterError::schema(
                "multipart",
                format!("the {name} part is missing"),
            )),
            (Some(_), Some(_)) => Err(AdapterError::schema(
                "multipart",
                format!("the {name} part is repeated"),
            )),
        }
    };
    Ok((get(PART_FORRETNINGSMELDING)?, get(PART_DOKUMENTPAKKE)?))
}

/// Decrypts and reads a document package with one answer for every way it
/// can fail ([`AdapterError::Sealed`]): the package is read even when the
/// key or the padding was wrong, so the work done — and the answer — does
/// not tell a padding failure from an archive, manifest or signature one.
/// The package's XAdES signature is what authenticates its content; errors
/// after it (who signed, what the content says) may be precise again.
pub(crate) fn open_package(
    decrypter: &dyn borderpost_core::Decrypter,
    cms_bytes: &[u8],
    limits: &borderpost_core::Limits,
) -> Result<Package, AdapterError> {
    let opened = decrypter
        .open_cms(cms_bytes)
        .map_err(AdapterError::sealed)?;
    let read = asice::read(&opened.content, limits);
    match read {
        Ok(package) if opened.intact => Ok(package),
        Ok(_) => Err(AdapterError::Sealed {
            detail: "the content-encryption key or the padding was wrong".to_owned(),
        }),
        Err(e) if opened.intact => Err(e.sealed()),
        Err(e) => Err(AdapterError::Sealed {
            detail: format!("the content-encryption key or the padding was wrong (and then: {e})"),
        }),
    }
}

/// `dokumentpakkefingeravtrykk` must be the SHA-256 of the CMS bytes.
pub fn check_fingerprint(declared: &Fingeravtrykk, cms_bytes: &[u8]) -> Result<(), AdapterError> {
    if declared.digest_method != cms::DIGEST_METHOD_SHA256 {
        return Err(AdapterError::Fingerprint {
            detail: format!(
                "dokumentpakkefingeravtrykk.digestMethod must be {}",
                cms::DIGEST_METHOD_SHA256
            ),
        });
    }
    if cms::fingerprint(cms_bytes)? != declared.digest_value.trim() {
        return Err(AdapterError::Fingerprint {
            detail: "the dokumentpakke does not match dokumentpakkefingeravtrykk".to_owned(),
        });
    }
    Ok(())
}

/// A digital recipient: Borderpost's `SCHEME:VALUE` convention names a
/// foreign recipient (a Norwegian sender writing to, say, `dk-cpr:…`
/// through Borderpost); anything else is a Norwegian postbox address.
fn digital_recipient(address: &str, provider: PartyId) -> Result<Recipient, AdapterError> {
    if let Some((scheme, value)) = address.split_once(':')
        && let Ok(scheme) = scheme.parse::<Scheme>()
    {
        let id = PartyId::parse(scheme, value).map_err(|error| AdapterError::InvalidId {
            path: "digital.mottaker.postkasseadresse".to_owned(),
            error,
        })?;
        return Ok(Recipient::with_id(id));
    }
    Ok(Recipient {
        id: None,
        name: None,
        address: None,
        postbox: Some(Postbox {
            country: Country::No,
            address: address.to_owned(),
            provider: Some(provider),
        }),
    })
}

fn print_recipient(a: &Adresse) -> Result<Recipient, AdapterError> {
    let lines: Vec<String> = [
        &a.adresselinje1,
        &a.adresselinje2,
        &a.adresselinje3,
        &a.adresselinje4,
    ]
    .into_iter()
    .flatten()
    .filter(|l| !l.trim().is_empty())
    .cloned()
    .collect();
    let country = match (&a.landkode, &a.land, &a.postnummer) {
        (Some(code), _, _) => code.to_ascii_uppercase(),
        (None, None, Some(_)) => "NO".to_owned(),
        _ => {
            return Err(AdapterError::BusinessRule {
                rule: "no.utskrift-landkode",
                detail: "a foreign print address with a country name (land) but no ISO code (landkode) cannot be mapped".to_owned(),
            });
        }
    };
    Ok(Recipient {
        id: None,
        name: a.navn.clone(),
        address: Some(PostalAddress {
            lines,
            postcode: a.postnummer.clone(),
            city: a.poststed.clone(),
            country,
        }),
        postbox: None,
    })
}

fn adresse(name: &str, a: &PostalAddress, what: &str) -> Result<Adresse, AdapterError> {
    if a.lines.is_empty() || a.lines.len() > 4 {
        return Err(AdapterError::Recipient {
            detail: format!("the {what}'s address needs 1 to 4 lines for DPI print"),
        });
    }
    let line = |i: usize| a.lines.get(i).cloned();
    let mut out = Adresse {
        navn: Some(name.to_owned()),
        adresselinje1: line(0),
        adresselinje2: line(1),
        adresselinje3: line(2),
        adresselinje4: line(3),
        ..Adresse::default()
    };
    if a.country == "NO" {
        out.postnummer = a.postcode.clone();
        out.poststed = a.city.clone();
    } else {
        out.landkode = Some(a.country.clone());
        // Abroad the postcode and town are part of the address lines.
        if a.postcode.is_some() || a.city.is_some() {
            let town = [a.postcode.as_deref(), a.city.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let slot = [
                &mut out.adresselinje2,
                &mut out.adresselinje3,
                &mut out.adresselinje4,
            ]
            .into_iter()
            .find(|l| l.is_none());
            match slot {
                Some(slot) => *slot = Some(town),
                None => {
                    return Err(AdapterError::Recipient {
                        detail: format!(
                            "the {what}'s foreign address has no room for postcode and town"
                        ),
                    });
                }
            }
        }
    }
    sbd::validate_adresse(what, &out).map_err(|e| AdapterError::Recipient {
        detail: e.to_string(),
    })?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)] // one call site, all distinct inputs
fn digital(
    message: &Message,
    ext: &Map<String, Value>,
    avsender: Avsender,
    postkasseadresse: String,
    fingerprint: Fingeravtrykk,
    token: String,
    subject: String,
    spraak: String,
    losses: &mut Vec<Loss>,
) -> Result<Digital, AdapterError> {
    let (virkningsdato, virkningstidspunkt) = match message.effective_at {
        Some(EffectiveAt::Date(d)) => (Some(d.to_string()), None),
        Some(EffectiveAt::Instant(t)) => (None, Some(rfc3339(t)?)),
        None => (None, None),
    };
    let mut varsler = match ext.get("varsler") {
        Some(v) => Some(
            serde_json::from_value::<Varsler>(v.clone())
                .map_err(|e| AdapterError::schema("extensions.no-dpi.varsler", e.to_string()))?,
        ),
        None => None,
    };
    if let Some(text) = &message.notification {
        match &mut varsler {
            Some(v) if v.epostvarsel.is_some() || v.smsvarsel.is_some() => {
                if let Some(e) = &mut v.epostvarsel {
                    e.varslingstekst = text.chars().take(500).collect();
                }
                if let Some(s) = &mut v.smsvarsel {
                    s.varslingstekst = text.chars().take(160).collect();
                }
                if text.chars().count() > 160 && v.smsvarsel.is_some() {
                    losses.push(loss("notification", "cut to the 160 characters of a DPI SMS"));
                }
            }
            _ => losses.push(loss(
                "notification",
                "DPI notifications need the recipient's e-mail address or phone number, which the message does not carry; the postbox notifies by the recipient's own settings",
            )),
        }
    }
    if let Some(v) = &varsler {
        sbd::validate_varsler("extensions.no-dpi.varsler", v)?;
    }
    Ok(Digital {
        avsender,
        mottaker: PersonMottaker { postkasseadresse },
        dokumentpakkefingeravtrykk: fingerprint,
        maskinportentoken: token,
        sikkerhetsnivaa: match message.security_level {
            Some(SecurityLevel::Substantial) => 3,
            Some(SecurityLevel::High) => 4,
            None => DEFAULT_SIKKERHETSNIVAA,
        },
        virkningsdato,
        virkningstidspunkt,
        aapningskvittering: Some(message.read_receipt),
        ikkesensitivtittel: subject,
        spraak,
        varsler: varsler.filter(|v| *v != Varsler::default()),
    })
}

fn record_common_losses(message: &Message, ctx: &EncodeContext<'_>, losses: &mut Vec<Loss>) {
    if message.legal.legal_notification {
        losses.push(loss(
            "legal.legal_notification",
            "DPI has no legal-effect flag",
        ));
    }
    if message.legal.mandatory_read {
        losses.push(loss(
            "legal.mandatory_read",
            "DPI has no mandatory-read flag",
        ));
    }
    if message.reply.is_some() {
        losses.push(loss("reply", "DPI post cannot be replied to"));
    }
    let refs = &message.references;
    if refs.case.is_some() {
        losses.push(loss("references.case", "DPI has no case reference"));
    }
    if refs.sender_reference.is_some() {
        losses.push(loss(
            "references.sender_reference",
            "DPI has no sender reference",
        ));
    }
    if refs.in_reply_to.is_some() {
        losses.push(loss("references.in_reply_to", "DPI has no reply reference"));
    }
    if let Some(conversation) = &refs.conversation
        && *conversation != ctx.message_id.to_string()
    {
        losses.push(loss(
            "references.conversation",
            "DPI's ConversationId is the per-copy id receipts refer to; Borderpost sets it to the copy's message id",
        ));
    }
}

/// The file name of the main document an SMS becomes.
const SMS_FILENAME: &str = "melding.txt";

/// An SMS as the letter DPI can carry: its text is the main document.
fn sms_as_letter(message: &Message) -> Result<Message, AdapterError> {
    let text = message
        .notification
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| AdapterError::schema("notification", "an SMS needs its text here"))?;
    let mut letter = message.clone();
    letter.kind = MessageKind::Letter;
    letter.documents = vec![Document {
        filename: SMS_FILENAME.to_owned(),
        media_type: "text/plain".to_owned(),
        language: None,
        title: None,
        content: text.as_bytes().to_vec(),
    }];
    Ok(letter)
}

fn truncate_title(title: &str, field: &str, losses: &mut Vec<Loss>) -> String {
    if title.chars().count() <= MAX_TITLE_CHARS {
        return title.to_owned();
    }
    losses.push(loss(field, "cut to the 255 characters DPI titles take"));
    title.chars().take(MAX_TITLE_CHARS).collect()
}

pub(crate) fn loss(field: &str, reason: &str) -> Loss {
    Loss {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, AdapterError> {
    serde_json::to_value(value).map_err(|e| AdapterError::Crypto {
        detail: format!("serialising JSON: {e}"),
    })
}
