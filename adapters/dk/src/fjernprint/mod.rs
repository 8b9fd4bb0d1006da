//! Fjernprint (KOMBIT Serviceplatformen SF1600): Denmark's remote-print
//! service, the fallback when a message must go on paper.
//!
//! [`Fjernprint`] encodes a canonical message as an SF1600 `ForsendelseI`
//! (namespace `urn:oio:fjernprint:1.0.0`) — the document SF1600's
//! `PrintAfsendBrevRequest` and SF1601's `kombi_request` carry — and
//! decodes one back. The transport around it (SOAP or the SF1601 REST call,
//! its `AuthorityContext` and token) is the gateway's business.
//!
//! `ForsendelseI` has no field for the sender. Borderpost writes the
//! sender's identifier (`SCHEME:VALUE`) as `KanalUafhaengigeParametreI/
//! BrugerNavn` — the print service's "user" is the sending organisation —
//! and reads it back from there.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::xml::{self, Element, XmlLimits, XmlWriter};
use borderpost_core::{
    Adapter, AdapterError, Channel, DecodeContext, Document, EncodeContext, Encoded, Loss, Message,
    MessageKind, Party, PartyId, PostalAddress, Protocol, Receipt, Recipient, References, Scheme,
    Wire,
};
use time::UtcOffset;

use crate::memo::{MEDIA_TYPE, format_date};
use crate::schema::{self, child_text};

pub mod xsd;

use xsd::{ADIR, DKAL, DKCC, DKCC2005, DKCC2005_3, FJERNPRINT, ITST, SAGDOK};

/// `dk-fjernprint`.
pub const PROTOCOL: Protocol = Protocol("dk-fjernprint");

/// Rule name: Fjernprint prints PDF documents only.
pub const PDF_RULE: &str = "dk.fjernprint-pdf";

/// The main document's file name on decode: `ForsendelseI` has none.
pub const MAIN_FILENAME: &str = "brev.pdf";

/// The `FilformatNavn` Borderpost writes.
const PDF: &str = "PDF";

/// The Fjernprint adapter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fjernprint;

impl Fjernprint {
    /// The adapter.
    pub fn new() -> Fjernprint {
        Fjernprint
    }
}

impl Adapter for Fjernprint {
    fn protocol(&self) -> Protocol {
        PROTOCOL
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        ctx.limits.check_body(wire)?;
        decode(wire.body(), ctx)
    }

    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        encode(message, to, ctx)
    }

    /// Print receipts use the same Danish receipt document as MeMo
    /// (`AfleveretFjernprint`, `Returneret`, `Fejlet`, …).
    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        ctx.limits.check_body(wire)?;
        crate::receipt::decode(wire.body(), ctx)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        crate::receipt::encode(receipt, original, ctx)
    }
}

fn is_pdf(media_type: &str) -> bool {
    media_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/pdf"))
}

fn loss(losses: &mut Vec<Loss>, field: impl Into<String>, reason: impl Into<String>) {
    losses.push(Loss {
        field: field.into(),
        reason: reason.into(),
    });
}

// === encode ===

fn encode(
    message: &Message,
    to: &Recipient,
    ctx: &EncodeContext<'_>,
) -> Result<Encoded, AdapterError> {
    let mut losses = Vec::new();
    match message.channel {
        Channel::DigitalOnly => {
            return Err(AdapterError::Recipient {
                detail: "the message is for digital delivery only; it must not be printed"
                    .to_owned(),
            });
        }
        // The gateway chose print for this copy: a routing decision, not
        // content, so not a loss (a decoded ForsendelseI says print-only).
        Channel::DigitalElsePrint | Channel::PrintOnly => {}
    }
    if message.kind == MessageKind::Sms {
        return Err(AdapterError::Unsupported {
            what: "printing an SMS".to_owned(),
        });
    }
    let Some(address) = &to.address else {
        return Err(AdapterError::Recipient {
            detail: format!("printing needs a postal address, and {to} has none"),
        });
    };
    let Some(name) = to.name.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Err(AdapterError::Recipient {
            detail: "printing needs the recipient's name for the envelope".to_owned(),
        });
    };
    // The name is for the envelope; the address delivers it. A cut name
    // still reaches its addressee (a cut address line might not).
    let n = name.chars().count();
    let name: String = if n > xsd::PERSON_NAME_MAX {
        loss(
            &mut losses,
            "recipients[].name",
            format!(
                "{n} characters; an envelope (PersonName) takes {}, so the name was cut there",
                xsd::PERSON_NAME_MAX
            ),
        );
        name.chars().take(xsd::PERSON_NAME_MAX).collect()
    } else {
        name.to_owned()
    };
    let Some(main) = message.documents.first() else {
        return Err(AdapterError::schema(
            "documents",
            "a letter to print needs a document",
        ));
    };
    if !is_pdf(&main.media_type) {
        return Err(AdapterError::BusinessRule {
            rule: PDF_RULE,
            detail: format!(
                "documents[0]: Fjernprint prints PDF documents; this one is {}",
                schema::truncate(&main.media_type, 60)
            ),
        });
    }

    let mut w = XmlWriter::with_indent(true);
    let declarations: Vec<(String, String)> = xsd::PREFIXES
        .iter()
        .map(|(prefix, uri)| (format!("xmlns:{prefix}"), (*uri).to_owned()))
        .collect();
    let attrs: Vec<(&str, &str)> = declarations
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    w.start("fjernprint:ForsendelseI", &attrs);
    w.leaf(
        "fjernprint:AfsendelseIdentifikator",
        &ctx.message_id.hyphenated().to_string(),
    );

    w.start("fjernprint:ForsendelseModtager", &[]);
    match to.id.as_ref().map(PartyId::national) {
        Some(id) if id.scheme() == Scheme::DkCpr => {
            w.start("dkal:AfsendelseModtager", &[]);
            w.leaf("adir:CPRnummerIdentifikator", id.value());
            w.end();
        }
        Some(id) if id.scheme() == Scheme::DkCvr => {
            w.start("dkal:AfsendelseModtager", &[]);
            w.leaf("adir:CVRnummerIdentifikator", id.value());
            w.end();
        }
        Some(id) => loss(
            &mut losses,
            "recipients[].id",
            format!(
                "Fjernprint names recipients by CPR or CVR only, not {}",
                id.scheme()
            ),
        ),
        None => {}
    }
    w.start("fjernprint:ModtagerAdresse", &[]);
    w.leaf("itst:PersonName", &name);
    write_address(&mut w, address, &mut losses)?;
    w.end();
    w.end();

    w.leaf("dkal:FilformatNavn", PDF);
    w.leaf(
        "dkal:MeddelelseIndholdData",
        &STANDARD.encode(&main.content),
    );

    w.start("fjernprint:DokumentParametre", &[]);
    w.leaf("sd:TitelTekst", &message.subject);
    w.leaf("sd:UUIDIdentifikator", &message.id.hyphenated().to_string());
    let created = message.created.to_offset(UtcOffset::UTC);
    w.leaf("sd:BrevDato", &format_date(created.date(), "created")?);
    if created.time() != time::Time::MIDNIGHT {
        loss(
            &mut losses,
            "created",
            "only the letter date (BrevDato) is printed, not the time",
        );
    }
    w.end();

    w.start("fjernprint:KanalUafhaengigeParametreI", &[]);
    if let Some(unit) = &message.sender.unit {
        w.leaf("fjernprint:EnhedTekst", unit);
    }
    w.leaf("fjernprint:BrugerNavn", &message.sender.id.to_string());
    if let Some(invoice) = &message.references.invoice {
        w.leaf("fjernprint:KonteringsGruppeTekst", invoice);
    }
    w.leaf("fjernprint:KanalKode", "Fysisk Post");
    w.end();

    document_losses(message, &mut losses);
    let mut bilag = Vec::new();
    for (i, doc) in message.documents.iter().enumerate().skip(1) {
        if !is_pdf(&doc.media_type) {
            loss(
                &mut losses,
                format!("documents[{i}]"),
                "Fjernprint prints PDF documents only; this attachment was not sent",
            );
        } else if bilag.len() == xsd::MAX_BILAG {
            loss(
                &mut losses,
                format!("documents[{i}]"),
                format!(
                    "a ForsendelseI takes at most {} attachments",
                    xsd::MAX_BILAG
                ),
            );
        } else {
            bilag.push(doc);
        }
    }
    if !bilag.is_empty() {
        w.start("fjernprint:BilagSamling", &[]);
        for (i, doc) in bilag.iter().enumerate() {
            w.start("fjernprint:Bilag", &[]);
            w.leaf("fjernprint:BilagNavn", &doc.filename);
            w.leaf("dkal:FilformatNavn", PDF);
            w.leaf(
                "fjernprint:BilagSorteringsIndeksIdentifikator",
                &(i + 1).to_string(),
            );
            w.leaf(
                "dkal:VedhaeftningIndholdData",
                &STANDARD.encode(&doc.content),
            );
            w.end();
        }
        w.end();
    }
    w.end();
    Ok(Encoded::single(
        "body",
        MEDIA_TYPE,
        w.finish().into_bytes(),
        losses,
    ))
}

/// The address as postal label lines: the address lines, then
/// "postcode city"; a Danish four-digit postcode also goes in
/// `PostCodeIdentifier`, which is how it reads back as a postcode.
fn write_address(
    w: &mut XmlWriter,
    address: &PostalAddress,
    losses: &mut Vec<Loss>,
) -> Result<(), AdapterError> {
    let mut lines: Vec<String> = address.lines.clone();
    let last: Vec<&str> = [address.postcode.as_deref(), address.city.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !last.is_empty() {
        lines.push(last.join(" "));
    }
    if lines.is_empty() || lines.len() > xsd::LINES.len() {
        return Err(AdapterError::Recipient {
            detail: format!(
                "an envelope takes 1 to {} address lines (with the postcode and city line); this address has {}",
                xsd::LINES.len(),
                lines.len()
            ),
        });
    }
    for (i, line) in lines.iter().enumerate() {
        let n = line.chars().count();
        if n > xsd::LABEL_LINE_MAX || line.trim().is_empty() {
            return Err(AdapterError::Recipient {
                detail: format!(
                    "address line {} has {n} characters; an envelope line takes 1 to {}",
                    i + 1,
                    xsd::LABEL_LINE_MAX
                ),
            });
        }
        w.leaf(&format!("dkcc2005-3:{}", xsd::LINES[i]), line);
    }
    let danish_postcode = address.postcode.as_deref().filter(|p| {
        address.country == "DK" && p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit())
    });
    match danish_postcode {
        Some(postcode) => {
            w.leaf("dkcc2005:PostCodeIdentifier", postcode);
        }
        None if !last.is_empty() => loss(
            losses,
            "recipients[].address",
            "the postcode and city are printed as the last address line; Fjernprint has a field only for a Danish postcode, so they read back as an address line",
        ),
        None => {}
    }
    w.leaf_with(
        "dkcc:CountryIdentificationCode",
        &[("scheme", "iso3166-alpha2")],
        &address.country,
    );
    Ok(())
}

/// Losses for what a printed letter has no field for.
fn document_losses(m: &Message, losses: &mut Vec<Loss>) {
    let mut add = |field: &str, reason: &str| loss(losses, field, reason);
    if m.notification.is_some() {
        add("notification", "a printed letter has no notification");
    }
    if m.legal.legal_notification {
        add("legal.legal_notification", "Fjernprint has no such flag");
    }
    if m.legal.mandatory_read {
        add("legal.mandatory_read", "Fjernprint has no such flag");
    }
    if m.reply.is_some() {
        add("reply", "a printed letter cannot be replied to digitally");
    }
    if m.effective_at.is_some() {
        add("effective_at", "Fjernprint prints and posts at once");
    }
    if m.security_level.is_some() {
        add("security_level", "a printed letter has no login level");
    }
    if m.read_receipt {
        add("read_receipt", "a printed letter sends no read receipt");
    }
    let refs = &m.references;
    for (field, value) in [
        ("references.conversation", &refs.conversation),
        ("references.case", &refs.case),
        ("references.sender_reference", &refs.sender_reference),
        ("references.in_reply_to", &refs.in_reply_to),
    ] {
        if value.is_some() {
            add(field, "ForsendelseI has no field for it");
        }
    }
    if m.sender.name.is_some() {
        add(
            "sender.name",
            "ForsendelseI has no field for the sender's name (its return address needs a postal address)",
        );
    }
    if m.sender.representative.is_some() {
        add("sender.representative", "ForsendelseI has no field for it");
    }
    for family in m.extensions.0.keys() {
        add(
            &format!("extensions.{family}"),
            "a printed letter cannot carry protocol fields",
        );
    }
    for (i, doc) in m.documents.iter().enumerate() {
        if i == 0 && doc.filename != MAIN_FILENAME {
            add(
                "documents[0].filename",
                "the main document of a ForsendelseI has no file name",
            );
        }
        if doc.title.is_some() {
            add(
                &format!("documents[{i}].title"),
                "ForsendelseI has no document titles",
            );
        }
        if doc.language.is_some() {
            add(
                &format!("documents[{i}].language"),
                "ForsendelseI has no document language",
            );
        }
    }
}

// === decode ===

fn decode(body: &[u8], ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
    let limits = XmlLimits {
        max_depth: ctx.limits.max_depth.min(xsd::MAX_DEPTH),
        ..ctx.limits.xml()
    };
    let root = xml::parse(body, &limits)?;
    if !root.is(FJERNPRINT, "ForsendelseI") {
        return Err(AdapterError::schema(
            "/",
            format!("the root element must be ForsendelseI in the namespace {FJERNPRINT}"),
        ));
    }
    schema::check(&root, &xsd::FORSENDELSE_I, schema::ALL, "ForsendelseI")?;
    let fp = |e: &Element, name: &str| child_text(e, FJERNPRINT, name);

    let params = root.child(FJERNPRINT, "DokumentParametre");
    let params_text = |name: &str| params.and_then(|p| child_text(p, SAGDOK, name));
    let id = params_text("UUIDIdentifikator")
        .and_then(|u| uuid::Uuid::try_parse(u.trim()).ok())
        .unwrap_or(ctx.fallback_id);
    let created = match params_text("BrevDato") {
        Some(d) => schema::parse_date(d.trim())
            .map_err(|e| AdapterError::schema("ForsendelseI/DokumentParametre/BrevDato", e))?
            .midnight()
            .assume_offset(UtcOffset::UTC),
        None => ctx.received_at,
    };
    let subject = params_text("TitelTekst").unwrap_or_default();

    let channel_params = root.child(FJERNPRINT, "KanalUafhaengigeParametreI");
    let Some(user) = channel_params.and_then(|k| fp(k, "BrugerNavn")) else {
        return Err(AdapterError::schema(
            "ForsendelseI",
            "ForsendelseI does not name its sender; Borderpost reads it from KanalUafhaengigeParametreI/BrugerNavn as SCHEME:VALUE (e.g. dk-cvr:55133018)",
        ));
    };
    let sender_id: PartyId = user
        .trim()
        .parse()
        .map_err(|error| AdapterError::InvalidId {
            path: "ForsendelseI/KanalUafhaengigeParametreI/BrugerNavn".to_owned(),
            error,
        })?;

    let recipient = match root.child(FJERNPRINT, "ForsendelseModtager") {
        Some(m) => recipient(m, ctx)?,
        None => {
            return Err(AdapterError::Recipient {
                detail:
                    "ForsendelseI/ForsendelseModtager: a letter to print needs a recipient address"
                        .to_owned(),
            });
        }
    };

    let mut documents = Vec::new();
    let main_format = child_text(&root, DKAL, "FilformatNavn").unwrap_or_default();
    if !main_format.trim().eq_ignore_ascii_case(PDF) {
        return Err(AdapterError::BusinessRule {
            rule: PDF_RULE,
            detail: format!(
                "ForsendelseI/FilformatNavn: Borderpost reads printed PDF documents, not {}",
                schema::truncate(&main_format, 10)
            ),
        });
    }
    let main = content(
        &child_text(&root, DKAL, "MeddelelseIndholdData").unwrap_or_default(),
        "ForsendelseI/MeddelelseIndholdData",
        ctx,
    )?;
    documents.push(Document {
        filename: MAIN_FILENAME.to_owned(),
        media_type: "application/pdf".to_owned(),
        language: None,
        title: None,
        content: main,
    });
    if let Some(samling) = root.child(FJERNPRINT, "BilagSamling") {
        let mut bilag: Vec<(u64, Document)> = Vec::new();
        for (i, b) in samling.children_named(FJERNPRINT, "Bilag").enumerate() {
            let path = format!("ForsendelseI/BilagSamling/Bilag[{}]", i + 1);
            let Some(data) = child_text(b, DKAL, "VedhaeftningIndholdData") else {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{path}: attachments by reference (Borderpost reads them inline)"
                    ),
                });
            };
            let format = child_text(b, DKAL, "FilformatNavn").unwrap_or_default();
            let order = fp(b, "BilagSorteringsIndeksIdentifikator")
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(0);
            bilag.push((
                order,
                Document {
                    filename: fp(b, "BilagNavn").unwrap_or_default(),
                    media_type: if format.trim().eq_ignore_ascii_case(PDF) {
                        "application/pdf".to_owned()
                    } else {
                        "application/octet-stream".to_owned()
                    },
                    language: None,
                    title: None,
                    content: content(&data, &format!("{path}/VedhaeftningIndholdData"), ctx)?,
                },
            ));
        }
        bilag.sort_by_key(|(order, _)| *order);
        documents.extend(bilag.into_iter().map(|(_, d)| d));
    }
    if documents.len() > ctx.limits.max_documents {
        return Err(AdapterError::TooLarge {
            what: "documents".to_owned(),
            limit: ctx.limits.max_documents as u64,
        });
    }

    let message = Message {
        id,
        kind: MessageKind::Letter,
        sender: Party {
            id: sender_id,
            name: None,
            unit: channel_params.and_then(|k| fp(k, "EnhedTekst")),
            representative: None,
        },
        recipients: vec![recipient],
        subject,
        created,
        documents,
        notification: None,
        legal: borderpost_core::Legal::default(),
        reply: None,
        effective_at: None,
        security_level: None,
        channel: Channel::PrintOnly,
        read_receipt: false,
        references: References {
            invoice: channel_params.and_then(|k| fp(k, "KonteringsGruppeTekst")),
            ..References::default()
        },
        extensions: borderpost_core::Extensions::default(),
    };
    borderpost_core::canonical::validate(&message, &ctx.limits)?;
    Ok(message)
}

fn content(text: &str, path: &str, ctx: &DecodeContext<'_>) -> Result<Vec<u8>, AdapterError> {
    let max = ctx.limits.max_document_bytes;
    let too_large = || AdapterError::TooLarge {
        what: format!("{path} (bytes)"),
        limit: max,
    };
    if (text.len() as u64 / 4).saturating_mul(3) > max.saturating_add(3) {
        return Err(too_large());
    }
    let bytes = schema::decode_base64(text, path)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

fn recipient(modtager: &Element, ctx: &DecodeContext<'_>) -> Result<Recipient, AdapterError> {
    let path = "ForsendelseI/ForsendelseModtager";
    let id = match modtager.child(DKAL, "AfsendelseModtager") {
        Some(m) => {
            let (scheme, raw, name) = match child_text(m, ADIR, "CPRnummerIdentifikator") {
                Some(cpr) => (Scheme::DkCpr, cpr, "CPRnummerIdentifikator"),
                None => (
                    Scheme::DkCvr,
                    child_text(m, ADIR, "CVRnummerIdentifikator").unwrap_or_default(),
                    "CVRnummerIdentifikator",
                ),
            };
            Some(
                PartyId::parse_on(scheme, &raw, ctx.received_at.date()).map_err(|error| {
                    AdapterError::InvalidId {
                        path: format!("{path}/AfsendelseModtager/{name}"),
                        error,
                    }
                })?,
            )
        }
        None => None,
    };
    let Some(address) = modtager.child(FJERNPRINT, "ModtagerAdresse") else {
        return Err(AdapterError::Recipient {
            detail: format!("{path}: a letter to print needs ModtagerAdresse"),
        });
    };
    let name = child_text(address, ITST, "PersonName");
    let country = child_text(address, DKCC, "CountryIdentificationCode")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let postcode = child_text(address, DKCC2005, "PostCodeIdentifier");
    let mut lines: Vec<String> = xsd::LINES
        .iter()
        .filter_map(|l| child_text(address, DKCC2005_3, l))
        .collect();
    let mut city = None;
    if lines.is_empty() {
        // The structured form: street and number, then the rest, as lines.
        let dkcc = |ns: &str, n: &str| child_text(address, ns, n);
        if let Some(co) = dkcc(FJERNPRINT, "CoNavn") {
            lines.push(format!("c/o {co}"));
        }
        let mut street = [
            dkcc(DKCC2005, "StreetName"),
            dkcc(DKCC, "StreetBuildingIdentifier"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let unit: Vec<String> = [dkcc(DKCC, "FloorIdentifier"), dkcc(DKCC, "SuiteIdentifier")]
            .into_iter()
            .flatten()
            .collect();
        if !unit.is_empty() {
            street = format!("{street}, {}", unit.join(". "));
        }
        lines.push(street);
        lines.extend(dkcc(DKCC, "MailDeliverySublocationIdentifier"));
        lines.extend(dkcc(DKCC2005, "DistrictSubdivisionIdentifier"));
        if let Some(pob) = dkcc(xsd::DKCC2005_2, "PostOfficeBoxIdentifier") {
            lines.push(format!("Postboks {}", pob.trim()));
        }
    } else if let Some(pc) = &postcode
        && let Some(last) = lines.last()
        && let Some(rest) = last.strip_prefix(pc.as_str())
        && (rest.is_empty() || rest.starts_with(' '))
    {
        // "postcode city" is the line Borderpost writes last.
        let rest = rest.trim();
        city = (!rest.is_empty()).then(|| rest.to_owned());
        lines.pop();
    }
    if lines.is_empty() {
        return Err(AdapterError::Recipient {
            detail: format!("{path}/ModtagerAdresse: no address lines besides the postcode"),
        });
    }
    Ok(Recipient {
        id,
        name,
        address: Some(PostalAddress {
            lines,
            postcode,
            city,
            country,
        }),
        postbox: None,
    })
}
