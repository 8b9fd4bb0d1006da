//! Canonical → a Suomi.fi request, for one recipient.
//!
//! Two steps, so the adapter stays pure while the files go to Suomi.fi by
//! upload: [`plan`] decides the route, which document (if any) becomes the
//! body, which are attached and which is printed, and what cannot travel;
//! [`build`] writes the request once the gateway knows the attachment ids.
//!
//! What Suomi.fi cannot carry becomes a [`Loss`]. Free text that is too
//! long is cut (with a loss); identifiers, addresses and files that do not
//! fit are errors, because cutting them would change what they point at.

use borderpost_core::{
    AdapterError, Channel, EncodeContext, Loss, Message, MessageKind, PostalAddress, Recipient,
    SecurityLevel,
};
use uuid::Uuid;

use crate::attachments::{
    MAX_ATTACHMENT_BYTES, PRINTABLE_MEDIA_TYPE, Upload, essence, is_supported,
};
use crate::config::FiConfig;
use crate::decode::{
    BODY_FILENAME_MARKDOWN, BODY_FILENAME_TEXT, BODY_MEDIA_TYPE_MARKDOWN, BODY_MEDIA_TYPE_TEXT,
};
use crate::ext::{
    DEFAULT_COLOR_PRINTING, DEFAULT_CREATE_ADDRESS_PAGE, DEFAULT_ROTATE_LANDSCAPE_PAGES,
    DEFAULT_TWO_SIDED_PRINTING, FAMILY, FiExtension,
};
use crate::json;
use crate::route::{Route, finnish_id, route};
use crate::wire::{
    Address, AttachmentReference, BodyFormat, CustomisedNotification, ElectronicMessageRequestBody,
    ElectronicPart, MAX_ADDRESS_FIELD_CHARS, MAX_BODY_CHARS, MAX_ELECTRONIC_ATTACHMENTS,
    MAX_NOTIFICATION_CONTENT_CHARS, MAX_NOTIFICATION_TITLE_CHARS, MAX_TITLE_CHARS,
    MessageServiceType, MultichannelMessageRequestBody, Notifications, PaperMailPart,
    PaperMailParty, PaperMailWithoutIdRequestBody, RecipientId, Reminder, ReplyAllowedBy,
    RequestBody, Sender, SenderDetailsInNotifications, Translations, UnreadMessageNotification,
    Visibility,
};

/// What the copy for one recipient becomes, before the uploads.
#[derive(Debug)]
pub(crate) struct Plan<'m> {
    message: &'m Message,
    to: &'m Recipient,
    pub(crate) route: Route,
    ext: FiExtension,
    /// The document that becomes the electronic body.
    body_document: Option<usize>,
    /// The documents attached to the electronic part, in order.
    electronic: Vec<usize>,
    /// The printed PDF.
    printed: Option<usize>,
    losses: Vec<Loss>,
}

/// Decides route, body, attachments and print for `message` to `to`.
pub(crate) fn plan<'m>(message: &'m Message, to: &'m Recipient) -> Result<Plan<'m>, AdapterError> {
    if message.kind == MessageKind::Sms {
        return Err(AdapterError::Unsupported {
            what: "SMS-only messages in Suomi.fi (every message has a title and a body)".to_owned(),
        });
    }
    if message.subject.trim().is_empty() {
        return Err(AdapterError::schema("subject", "Suomi.fi needs a title"));
    }
    let ext = FiExtension::of(message)?;
    let route = route(message, to)?;
    let mut losses = Vec::new();
    match (message.channel, route) {
        (Channel::DigitalElsePrint, Route::Electronic) => losses.push(loss(
            "channel",
            if to.address.is_none() {
                "digital-else-print without a postal address: sent electronic-only, so a recipient without an active mailbox will not get it"
            } else {
                "digital-else-print without a PDF for Posti to print: sent electronic-only, so a recipient without an active mailbox will not get it"
            },
        )),
        (Channel::DigitalElsePrint, Route::PaperMailWithoutId) => losses.push(loss(
            "channel",
            "digital-else-print without a Finnish id: no mailbox can be found, so it was sent as paper only",
        )),
        _ => {}
    }
    let docs = &message.documents;
    let body_document = if route.is_electronic() {
        body_candidate(message)
    } else {
        None
    };
    let printed = if route.is_paper() {
        Some(match ext.printed_document {
            Some(i) => {
                let path = format!("extensions.{FAMILY}.printedDocument");
                let doc = docs.get(i).ok_or_else(|| {
                    AdapterError::schema(&path, format!("documents[{i}] does not exist"))
                })?;
                if Some(i) == body_document || essence(&doc.media_type) != PRINTABLE_MEDIA_TYPE {
                    return Err(AdapterError::schema(
                        path,
                        format!("documents[{i}] is not a PDF Posti can print"),
                    ));
                }
                i
            }
            None => first_pdf(docs, body_document).ok_or_else(|| AdapterError::BusinessRule {
                rule: "fi.paper-pdf",
                detail: "Suomi.fi paper mail prints one PDF, and the message has none".to_owned(),
            })?,
        })
    } else {
        None
    };
    let electronic: Vec<usize> = if route.is_electronic() {
        (0..docs.len())
            .filter(|&i| Some(i) != body_document && !(ext.print_only && Some(i) == printed))
            .collect()
    } else {
        Vec::new()
    };
    if electronic.len() > MAX_ELECTRONIC_ATTACHMENTS {
        return Err(AdapterError::TooLarge {
            what: "documents attached to a Suomi.fi message".to_owned(),
            limit: MAX_ELECTRONIC_ATTACHMENTS as u64,
        });
    }
    for &i in electronic.iter().chain(printed.iter()) {
        let doc = &docs[i];
        if !is_supported(&doc.media_type) {
            return Err(AdapterError::BusinessRule {
                rule: "fi.attachment-media-type",
                detail: format!(
                    "documents[{i}]: Suomi.fi does not take files of type {}",
                    json::quote(&doc.media_type, 60)
                ),
            });
        }
        if doc.content.len() as u64 > MAX_ATTACHMENT_BYTES {
            return Err(AdapterError::TooLarge {
                what: format!("documents[{i}].content (bytes)"),
                limit: MAX_ATTACHMENT_BYTES,
            });
        }
        json::text(&format!("documents[{i}].filename"), &doc.filename, 1, 256)?;
        if doc.language.is_some() {
            losses.push(loss(
                format!("documents[{i}].language"),
                "a Suomi.fi attachment has no language",
            ));
        }
        if doc.title.is_some() {
            losses.push(loss(
                format!("documents[{i}].title"),
                "a Suomi.fi attachment has a file name only",
            ));
        }
    }
    if !route.is_electronic() {
        for i in (0..docs.len()).filter(|&i| Some(i) != printed) {
            losses.push(loss(
                format!("documents[{i}]"),
                "Suomi.fi paper mail without an id prints one PDF only; this document was not sent",
            ));
        }
    }
    Ok(Plan {
        message,
        to,
        route,
        ext,
        body_document,
        electronic,
        printed,
        losses,
    })
}

impl<'m> Plan<'m> {
    /// The documents to upload, each once, in document order.
    pub(crate) fn uploads(&self) -> Vec<Upload<'m>> {
        let mut indexes: Vec<usize> = self
            .electronic
            .iter()
            .chain(&self.printed)
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes
            .into_iter()
            .map(|i| {
                let doc = &self.message.documents[i];
                Upload {
                    document: i,
                    filename: &doc.filename,
                    media_type: &doc.media_type,
                    content: &doc.content,
                }
            })
            .collect()
    }
}

/// Writes the request of `plan`, with `ids` giving each uploaded document's
/// attachment id.
pub(crate) fn build(
    config: &FiConfig,
    plan: Plan<'_>,
    ctx: &EncodeContext<'_>,
    ids: &dyn Fn(usize) -> Option<Uuid>,
) -> Result<(RequestBody, Vec<Loss>), AdapterError> {
    let Plan {
        message: m,
        to,
        route,
        ext,
        body_document,
        electronic,
        printed,
        mut losses,
    } = plan;
    let reference = |i: usize| {
        ids(i)
            .map(AttachmentReference::new)
            .ok_or(AdapterError::Missing {
                what: "an attachment id for every document to upload (see attachments_to_upload)",
            })
    };
    let external_id = ctx.message_id.hyphenated().to_string();
    let sender = Sender {
        service_id: service_id(config, m, &ext, &mut losses)?,
    };

    let electronic_part = if route.is_electronic() {
        let title = fit(&mut losses, "subject", &m.subject, MAX_TITLE_CHARS);
        let (body, body_format) = match body_document {
            Some(i) => body_of(m, i, &mut losses),
            None => (title.clone(), BodyFormat::Text),
        };
        let reply_allowed_by = match m.reply {
            Some(reply) if reply.allowed => {
                if reply.by.is_some() {
                    losses.push(loss("reply.by", "Suomi.fi has no reply deadline"));
                }
                ReplyAllowedBy::Anyone
            }
            _ => ReplyAllowedBy::NoOne,
        };
        let in_reply_to_message_id = match &m.references.in_reply_to {
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    losses.push(loss(
                        "references.in_reply_to",
                        "a Suomi.fi reply names the end user's message by its numeric Suomi.fi messageId",
                    ));
                    None
                }
            },
            None => None,
        };
        Some(ElectronicPart {
            notifications: notifications(m, &title, &ext, &mut losses),
            title,
            body,
            body_format,
            message_service_type: service_type(m.read_receipt),
            reply_allowed_by,
            visibility: ext.visibility.unwrap_or(Visibility::Normal),
            attachments: electronic
                .iter()
                .map(|&i| reference(i))
                .collect::<Result<_, _>>()?,
            in_reply_to_message_id,
        })
    } else {
        None
    };

    let paper_part = match printed {
        Some(printed) if route.is_paper() => {
            let printing = config.printing()?;
            let printing_and_enveloping_service = printing.service()?;
            let address = to.address.as_ref().ok_or_else(|| AdapterError::Recipient {
                detail: format!("paper mail needs a postal address; {to} has none"),
            })?;
            let (recipient_address, joined) = address_out(to.name.as_deref(), address)?;
            if joined {
                losses.push(loss(
                    "recipients[].address.lines",
                    "Suomi.fi prints two address rows: the lines above the street were joined into one",
                ));
            }
            let sender_address = match &ext.return_address {
                Some(address) => address.clone(),
                None => {
                    let r = &printing.return_address;
                    address_out(Some(&r.name), &r.address)
                        .map_err(|_| AdapterError::Missing {
                            what: "a valid return address in the Suomi.fi printing agreement (name, one or two lines, postcode, city, country)",
                        })?
                        .0
                }
            };
            let wanted = ext
                .paper_message_service_type
                .unwrap_or(service_type(m.read_receipt));
            let message_service_type = if wanted == MessageServiceType::Verifiable
                && !printing.verifiable
            {
                let field = if ext.paper_message_service_type.is_some() {
                    format!("extensions.{FAMILY}.paperMessageServiceType")
                } else {
                    "read_receipt".to_owned()
                };
                losses.push(loss(
                    field,
                    "this gateway's Posti agreement has no verifiable paper mail: the letter is printed as a normal one",
                ));
                MessageServiceType::Normal
            } else {
                wanted
            };
            Some(PaperMailPart {
                attachments: vec![reference(printed)?],
                color_printing: ext.color_printing.unwrap_or(DEFAULT_COLOR_PRINTING),
                create_address_page: ext
                    .create_address_page
                    .unwrap_or(DEFAULT_CREATE_ADDRESS_PAGE),
                two_sided_printing: ext.two_sided_printing.unwrap_or(DEFAULT_TWO_SIDED_PRINTING),
                rotate_landscape_pages: ext
                    .rotate_landscape_pages
                    .unwrap_or(DEFAULT_ROTATE_LANDSCAPE_PAGES),
                message_service_type,
                printing_and_enveloping_service,
                recipient: PaperMailParty {
                    address: recipient_address,
                },
                sender: PaperMailParty {
                    address: sender_address,
                },
            })
        }
        _ => None,
    };

    unsupported(m, to, route, printed, &mut losses);
    let recipient = || -> Result<RecipientId, AdapterError> {
        let id = finnish_id(to).ok_or_else(|| AdapterError::Recipient {
            detail: format!("Suomi.fi needs a HETU or a Business ID; {to} has neither"),
        })?;
        Ok(RecipientId {
            id: id.value().to_owned(),
        })
    };
    let body = match (route, electronic_part, paper_part) {
        (Route::Multichannel, Some(electronic), Some(paper_mail)) => {
            RequestBody::Multichannel(MultichannelMessageRequestBody {
                external_id,
                electronic,
                paper_mail,
                recipient: recipient()?,
                sender,
            })
        }
        (Route::Electronic, Some(electronic), None) => {
            RequestBody::Electronic(ElectronicMessageRequestBody {
                external_id,
                electronic,
                recipient: recipient()?,
                sender,
            })
        }
        (Route::PaperMailWithoutId, None, Some(paper_mail)) => {
            RequestBody::PaperMailWithoutId(PaperMailWithoutIdRequestBody {
                external_id,
                paper_mail,
                sender,
            })
        }
        // plan() decides the parts from the route.
        _ => {
            return Err(AdapterError::Unsupported {
                what: format!("the parts of {route}"),
            });
        }
    };
    // What is written was built within the limits; this is the guard
    // against a canonical message that skipped validation.
    body.validate()?;
    Ok((body, losses))
}

/// The service the copy is sent with: the one the message came with, if
/// it belongs to the sender; else the sender's own; else the gateway's
/// default, which Suomi.fi shows as a different sender (a loss).
fn service_id(
    config: &FiConfig,
    m: &Message,
    ext: &FiExtension,
    losses: &mut Vec<Loss>,
) -> Result<String, AdapterError> {
    let own = ext
        .service_id
        .as_deref()
        .and_then(|id| config.service(id))
        .filter(|s| s.organisation.same_party(&m.sender.id))
        .or_else(|| config.service_of(&m.sender.id));
    match (own, &config.default_service_id) {
        (Some(service), _) => {
            if m.sender.name.is_some() && m.sender.name != service.name {
                losses.push(loss(
                    "sender.name",
                    format!(
                        "Suomi.fi shows the name registered for the service {}",
                        service.service_id
                    ),
                ));
            }
            Ok(service.service_id.clone())
        }
        (None, Some(default)) => {
            losses.push(loss(
                "sender.id",
                format!(
                    "{} has no Suomi.fi service of its own: sent with the service {default}, whose organisation Suomi.fi shows as the sender",
                    m.sender.id
                ),
            ));
            if m.sender.name.is_some() {
                losses.push(loss(
                    "sender.name",
                    format!("Suomi.fi shows the name registered for the service {default}"),
                ));
            }
            Ok(default.clone())
        }
        (None, None) => Err(AdapterError::Missing {
            what: "a Suomi.fi service id for the sender (FiConfig::services or default_service_id)",
        }),
    }
}

fn service_type(read_receipt: bool) -> MessageServiceType {
    if read_receipt {
        MessageServiceType::Verifiable
    } else {
        MessageServiceType::Normal
    }
}

/// The notices: the kept ones where the message still agrees with them,
/// else the customised notice the canonical `notification` makes.
fn notifications(
    m: &Message,
    title: &str,
    ext: &FiExtension,
    losses: &mut Vec<Loss>,
) -> Notifications {
    let customised = match (&m.notification, &ext.customised_new_message_notification) {
        (Some(text), Some(kept)) if kept.content.fi == *text => Some(kept.clone()),
        (text, kept) => {
            if kept.is_some() {
                losses.push(loss(
                    format!("extensions.{FAMILY}.customisedNewMessageNotification"),
                    "the message's notification differs from the kept notice's Finnish text: the notice was made from the notification",
                ));
            }
            text.as_ref().map(|text| {
                let (custom, cut) = derived_notification(title, text);
                if cut {
                    losses.push(loss(
                        "notification",
                        format!(
                            "Suomi.fi notices take {MAX_NOTIFICATION_CONTENT_CHARS} characters, so the text was cut there"
                        ),
                    ));
                }
                custom
            })
        }
    };
    Notifications {
        sender_details_in_notifications: ext
            .sender_details_in_notifications
            .unwrap_or(SenderDetailsInNotifications::OrganisationAndServiceName),
        unread_message_notification: UnreadMessageNotification {
            reminder: ext.reminder.unwrap_or(Reminder::DefaultReminder),
        },
        customised_new_message_notification: customised,
    }
}

/// The customised notice a canonical notification makes: titled with the
/// subject, the same text in Finnish, Swedish and English (Borderpost
/// knows one text, not its language). Also says whether it was cut.
pub(crate) fn derived_notification(title: &str, text: &str) -> (CustomisedNotification, bool) {
    let title: String = title.chars().take(MAX_NOTIFICATION_TITLE_CHARS).collect();
    let cut = text.chars().count() > MAX_NOTIFICATION_CONTENT_CHARS;
    let content: String = text.chars().take(MAX_NOTIFICATION_CONTENT_CHARS).collect();
    let all = |s: &String| Translations {
        fi: s.clone(),
        sv: s.clone(),
        en: s.clone(),
    };
    (
        CustomisedNotification {
            title: all(&title),
            content: all(&content),
        },
        cut,
    )
}

/// The first document, if it can be the body: plain text or Markdown in
/// UTF-8, 1–40,000 characters of text, and not a mere repeat of the subject
/// beside other files (the decoder reads such a body as carrying nothing).
fn body_candidate(m: &Message) -> Option<usize> {
    let doc = m.documents.first()?;
    let mut params = doc.media_type.split(';');
    let essence = params.next()?.trim().to_ascii_lowercase();
    if !matches!(essence.as_str(), "text/plain" | "text/markdown") {
        return None;
    }
    for param in params {
        let (key, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"');
        if !key.trim().eq_ignore_ascii_case("charset") || !value.eq_ignore_ascii_case("utf-8") {
            return None;
        }
    }
    let text = std::str::from_utf8(&doc.content).ok()?;
    json::text("", text, 1, MAX_BODY_CHARS).ok()?;
    if text == m.subject && m.documents.len() > 1 {
        return None;
    }
    Some(0)
}

/// The body written from document `i`, with losses for what of the
/// document the body cannot hold.
fn body_of(m: &Message, i: usize, losses: &mut Vec<Loss>) -> (String, BodyFormat) {
    let doc = &m.documents[i];
    let markdown = essence(&doc.media_type) == "text/markdown";
    let (format, filename, media_type) = if markdown {
        (
            BodyFormat::Markdown,
            BODY_FILENAME_MARKDOWN,
            BODY_MEDIA_TYPE_MARKDOWN,
        )
    } else {
        (BodyFormat::Text, BODY_FILENAME_TEXT, BODY_MEDIA_TYPE_TEXT)
    };
    if doc.filename != filename {
        losses.push(loss(
            format!("documents[{i}].filename"),
            format!("the document is the message's body, which has no file name; it comes back as {filename}"),
        ));
    }
    if doc.media_type != media_type {
        losses.push(loss(
            format!("documents[{i}].media_type"),
            format!("the document is the message's body; it comes back as {media_type}"),
        ));
    }
    if doc.language.is_some() {
        losses.push(loss(
            format!("documents[{i}].language"),
            "a Suomi.fi message body has no language",
        ));
    }
    if doc.title.is_some() {
        losses.push(loss(
            format!("documents[{i}].title"),
            "the document is the message's body, which has no title of its own",
        ));
    }
    // body_candidate checked that it is UTF-8.
    (String::from_utf8_lossy(&doc.content).into_owned(), format)
}

/// The first PDF that is not the body: what Posti prints by default.
pub(crate) fn first_pdf(docs: &[borderpost_core::Document], body: Option<usize>) -> Option<usize> {
    (0..docs.len())
        .find(|&i| Some(i) != body && essence(&docs[i].media_type) == PRINTABLE_MEDIA_TYPE)
}

/// A canonical name and postal address as a Suomi.fi address; also says
/// whether lines had to be joined (more than two).
pub(crate) fn address_out(
    name: Option<&str>,
    a: &PostalAddress,
) -> Result<(Address, bool), AdapterError> {
    let missing = |what: &str| AdapterError::Recipient {
        detail: format!("Suomi.fi paper mail needs {what}"),
    };
    let name = name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| missing("the recipient's name"))?;
    let (street, above) = a
        .lines
        .split_last()
        .ok_or_else(|| missing("a street address line"))?;
    let joined = above.len() > 1;
    let additional_name = (!above.is_empty()).then(|| above.join(", "));
    if additional_name
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_ADDRESS_FIELD_CHARS)
    {
        return Err(AdapterError::Recipient {
            detail: format!(
                "the address lines above the street do not fit Suomi.fi's second row ({MAX_ADDRESS_FIELD_CHARS} characters)"
            ),
        });
    }
    let postcode = a.postcode.as_ref().ok_or_else(|| missing("a postcode"))?;
    let city = a.city.as_ref().ok_or_else(|| missing("a city"))?;
    if !crate::countries::is_country_code(&a.country) {
        return Err(AdapterError::Recipient {
            detail: format!(
                "Suomi.fi does not print to the country {}",
                json::quote(&a.country, 8)
            ),
        });
    }
    Ok((
        Address {
            name: name.to_owned(),
            additional_name,
            street_address: street.clone(),
            zip_code: postcode.clone(),
            city: city.clone(),
            country_code: a.country.clone(),
        },
        joined,
    ))
}

/// Losses for canonical fields Suomi.fi has no place for (on this route).
fn unsupported(
    m: &Message,
    to: &Recipient,
    route: Route,
    printed: Option<usize>,
    losses: &mut Vec<Loss>,
) {
    let finnish = m.extensions.get(FAMILY).is_some();
    if !finnish {
        // From a Finnish request, `created` is Borderpost's intake time,
        // not the sender's: nothing of theirs is lost.
        losses.push(loss(
            "created",
            "Suomi.fi stamps a message with the time it arrives; it has no field for when the sender created it",
        ));
    }
    let legal = m.legal;
    if legal.legal_notification {
        losses.push(loss(
            "legal.legal_notification",
            "Suomi.fi has no legal-effect flag (a verifiable message is the read_receipt mapping)",
        ));
    }
    if legal.mandatory_read {
        losses.push(loss(
            "legal.mandatory_read",
            "Suomi.fi has no flag for a message the recipient cannot opt out of receiving digitally",
        ));
    }
    if m.effective_at.is_some() {
        losses.push(loss(
            "effective_at",
            "Suomi.fi delivers at once; it has no do-not-deliver-before",
        ));
    }
    if m.security_level == Some(SecurityLevel::High) {
        losses.push(loss(
            "security_level",
            "Suomi.fi lets every strongly identified user (eIDAS substantial or high) open a message",
        ));
    }
    let refs = &m.references;
    for (field, value) in [
        ("references.conversation", &refs.conversation),
        ("references.case", &refs.case),
        ("references.sender_reference", &refs.sender_reference),
        ("references.invoice", &refs.invoice),
    ] {
        if value.is_some() {
            losses.push(loss(
                field,
                "Suomi.fi has no field for it (externalId carries the copy's id)",
            ));
        }
    }
    if m.sender.unit.is_some() {
        losses.push(loss(
            "sender.unit",
            "Suomi.fi names the sender by its service only",
        ));
    }
    if m.sender.representative.is_some() {
        losses.push(loss(
            "sender.representative",
            "Suomi.fi names the sender by its service only",
        ));
    }
    for family in m.extensions.0.keys() {
        if family != FAMILY {
            losses.push(loss(
                format!("extensions.{family}"),
                format!("Suomi.fi cannot carry the fields kept for {family}"),
            ));
        }
    }
    match route {
        Route::Electronic => {
            if to.name.is_some() {
                losses.push(loss(
                    "recipients[].name",
                    "Suomi.fi takes the recipient's name from its own registers",
                ));
            }
        }
        Route::Multichannel => {}
        Route::PaperMailWithoutId => {
            if to.id.is_some() {
                losses.push(loss(
                    "recipients[].id",
                    "paper mail without an id goes by the postal address alone",
                ));
            }
            let printed_name = printed.map(|i| m.documents[i].filename.as_str());
            if printed_name != Some(m.subject.as_str()) {
                losses.push(loss(
                    "subject",
                    "paper mail has no title: only the printed PDF travels",
                ));
            }
            if m.notification.is_some() {
                losses.push(loss("notification", "paper mail sends no notice"));
            }
            if m.reply.is_some_and(|r| r.allowed) {
                losses.push(loss("reply", "paper mail cannot be answered in Suomi.fi"));
            }
            if m.references.in_reply_to.is_some() {
                losses.push(loss(
                    "references.in_reply_to",
                    "paper mail cannot answer a message",
                ));
            }
        }
    }
}

/// Free text cut to `max` characters, with a loss if it was cut.
fn fit(losses: &mut Vec<Loss>, field: &str, value: &str, max: usize) -> String {
    let n = value.chars().count();
    if n <= max {
        return value.to_owned();
    }
    losses.push(loss(
        field,
        format!("{n} characters; Suomi.fi takes {max}, so the text was cut there"),
    ));
    value.chars().take(max).collect()
}

fn loss(field: impl Into<String>, reason: impl Into<String>) -> Loss {
    Loss {
        field: field.into(),
        reason: reason.into(),
    }
}
