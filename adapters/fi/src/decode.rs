//! A Finnish sender's request → canonical.
//!
//! Order of work: the body is read strictly and bounded
//! ([`RequestBody::parse`]: size, depth, unknown fields, enum strings,
//! Suomi.fi's limits); the files it names are matched with the uploads the
//! gateway hands in; then it is mapped, with every value the canonical
//! model cannot hold checked here at its Suomi.fi path (so the sender reads
//! `paperMail.recipient.address.streetAddress`, not a canonical path);
//! last, the canonical validation runs as a guard.

use borderpost_core::canonical;
use borderpost_core::{
    AdapterError, DecodeContext, Document, Extensions, Legal, Message, MessageKind, Party, PartyId,
    PostalAddress, Recipient, References, Reply, Scheme,
};
use uuid::Uuid;

use crate::attachments::{
    IncomingAttachment, MAX_ATTACHMENT_BYTES, PRINTABLE_MEDIA_TYPE, essence, is_supported,
};
use crate::config::FiConfig;
use crate::encode::{address_out, derived_notification, first_pdf};
use crate::ext::{
    DEFAULT_COLOR_PRINTING, DEFAULT_CREATE_ADDRESS_PAGE, DEFAULT_ROTATE_LANDSCAPE_PAGES,
    DEFAULT_TWO_SIDED_PRINTING, FAMILY, FiExtension,
};
use crate::json;
use crate::wire::{
    Address, BodyFormat, MessageServiceType, Reminder, ReplyAllowedBy, RequestBody,
    SenderDetailsInNotifications, Visibility, parse_uuid,
};

/// The file name of the document a body becomes.
pub const BODY_FILENAME_TEXT: &str = "message.txt";
/// The file name of the document a Markdown body becomes.
pub const BODY_FILENAME_MARKDOWN: &str = "message.md";
/// The media type of the document a body becomes.
pub const BODY_MEDIA_TYPE_TEXT: &str = "text/plain; charset=utf-8";
/// The media type of the document a Markdown body becomes.
pub const BODY_MEDIA_TYPE_MARKDOWN: &str = "text/markdown; charset=utf-8";

/// Canonical limits that are stricter than Suomi.fi's, checked at the
/// Suomi.fi path.
const MAX_LINE_CHARS: usize = 100;
const MAX_POSTCODE_CHARS: usize = 20;
const MAX_CITY_CHARS: usize = 80;
const MAX_NOTIFICATION_CHARS: usize = canonical::MAX_NOTIFICATION_CHARS;

/// Decodes `request` with the files it names.
pub(crate) fn decode(
    config: &FiConfig,
    request: &RequestBody,
    files: &[IncomingAttachment<'_>],
    ctx: &DecodeContext<'_>,
) -> Result<Message, AdapterError> {
    let route = request.route();
    let mut ext = FiExtension {
        external_id: Some(request.external_id().to_owned()),
        ..FiExtension::default()
    };

    let service_id = request.service_id();
    let service = config
        .service(service_id)
        .ok_or_else(|| AdapterError::BusinessRule {
            rule: "fi.service-id",
            detail: format!(
                "sender.serviceId {} is not a Suomi.fi service this gateway knows",
                json::quote(service_id, 64)
            ),
        })?;
    if config
        .service_of(&service.organisation)
        .map(|s| s.service_id.as_str())
        != Some(service_id)
    {
        ext.service_id = Some(service_id.to_owned());
    }
    let sender = Party {
        id: service.organisation.clone(),
        name: service.name.clone(),
        unit: None,
        representative: None,
    };
    let id = match parse_uuid(request.external_id()) {
        Some(id) if !id.is_nil() => id,
        _ => ctx.fallback_id,
    };

    let files = Files::new(request, files)?;
    let mut documents = Vec::new();
    let mut subject = String::new();
    let mut notification = None;
    let mut reply = None;
    let mut read_receipt = false;
    let mut in_reply_to = None;
    let mut body_document = None;
    let mut electronic_ids: Vec<Uuid> = Vec::new();

    if let Some(e) = request.electronic() {
        if e.title.trim().is_empty() {
            return Err(AdapterError::schema(
                "electronic.title",
                "must not be blank: Borderpost needs a subject",
            ));
        }
        subject.clone_from(&e.title);
        for (i, reference) in e.attachments.iter().enumerate() {
            electronic_ids
                .push(reference.id(&format!("electronic.attachments[{i}].attachmentId"))?);
        }
        // A body that only repeats the title, beside files, is what the
        // encoder writes for a message whose documents are all files: it
        // carries nothing of its own.
        if e.body != e.title || electronic_ids.is_empty() {
            let (filename, media_type) = match e.body_format {
                BodyFormat::Text => (BODY_FILENAME_TEXT, BODY_MEDIA_TYPE_TEXT),
                BodyFormat::Markdown => (BODY_FILENAME_MARKDOWN, BODY_MEDIA_TYPE_MARKDOWN),
            };
            documents.push(Document {
                filename: filename.to_owned(),
                media_type: media_type.to_owned(),
                language: None,
                title: None,
                content: e.body.as_bytes().to_vec(),
            });
            body_document = Some(0);
        }
        for (i, id) in electronic_ids.iter().enumerate() {
            let file = files.get(*id, &format!("electronic.attachments[{i}].attachmentId"))?;
            documents.push(document(file));
        }
        read_receipt = e.message_service_type == MessageServiceType::Verifiable;
        reply = (e.reply_allowed_by == ReplyAllowedBy::Anyone).then_some(Reply {
            allowed: true,
            by: None,
        });
        in_reply_to = e.in_reply_to_message_id.map(|n| n.to_string());
        if e.visibility != Visibility::Normal {
            ext.visibility = Some(e.visibility);
        }
        let n = &e.notifications;
        if n.sender_details_in_notifications
            != SenderDetailsInNotifications::OrganisationAndServiceName
        {
            ext.sender_details_in_notifications = Some(n.sender_details_in_notifications);
        }
        if n.unread_message_notification.reminder != Reminder::DefaultReminder {
            ext.reminder = Some(n.unread_message_notification.reminder);
        }
        if let Some(custom) = &n.customised_new_message_notification {
            let text = &custom.content.fi;
            let count = text.chars().count();
            if count > MAX_NOTIFICATION_CHARS {
                return Err(AdapterError::schema(
                    "electronic.notifications.customisedNewMessageNotification.content.fi",
                    format!(
                        "{count} characters: Borderpost carries notifications of at most {MAX_NOTIFICATION_CHARS}"
                    ),
                ));
            }
            if derived_notification(&subject, text).0 != *custom {
                ext.customised_new_message_notification = Some(custom.clone());
            }
            notification = Some(text.clone());
        }
    }

    let mut recipient = Recipient {
        id: None,
        name: None,
        address: None,
        postbox: None,
    };
    if let Some(id) = request.recipient_id() {
        recipient.id = Some(recipient_id(id, ctx.received_at.date())?);
    }

    if let Some(p) = request.paper_mail() {
        let path = "paperMail.attachments[0].attachmentId";
        let printed_id = p
            .attachments
            .first()
            .ok_or_else(|| AdapterError::schema("paperMail.attachments", "one PDF is required"))?
            .id(path)?;
        let file = files.get(printed_id, path)?;
        if essence(file.media_type) != PRINTABLE_MEDIA_TYPE {
            return Err(AdapterError::BusinessRule {
                rule: "fi.paper-pdf",
                detail: format!(
                    "{path}: Posti prints PDF; the file is {}",
                    json::quote(file.media_type, 60)
                ),
            });
        }
        let offset = usize::from(body_document.is_some());
        let printed = match electronic_ids.iter().position(|&id| id == printed_id) {
            Some(k) => offset + k,
            None => {
                documents.push(document(file));
                ext.print_only = request.electronic().is_some();
                documents.len() - 1
            }
        };
        if first_pdf(&documents, body_document) != Some(printed) {
            ext.printed_document = Some(printed);
        }
        let settings = [
            (
                p.color_printing,
                DEFAULT_COLOR_PRINTING,
                &mut ext.color_printing,
            ),
            (
                p.create_address_page,
                DEFAULT_CREATE_ADDRESS_PAGE,
                &mut ext.create_address_page,
            ),
            (
                p.two_sided_printing,
                DEFAULT_TWO_SIDED_PRINTING,
                &mut ext.two_sided_printing,
            ),
            (
                p.rotate_landscape_pages,
                DEFAULT_ROTATE_LANDSCAPE_PAGES,
                &mut ext.rotate_landscape_pages,
            ),
        ];
        for (value, default, kept) in settings {
            if value != default {
                *kept = Some(value);
            }
        }
        match request.electronic() {
            Some(e) if e.message_service_type != p.message_service_type => {
                ext.paper_message_service_type = Some(p.message_service_type);
            }
            Some(_) => {}
            None => {
                read_receipt = p.message_service_type == MessageServiceType::Verifiable;
                // Paper has no title: the letter is its PDF, so the PDF's
                // name is what the sender called it.
                if file.filename.trim().is_empty() {
                    return Err(AdapterError::schema(
                        path,
                        "the printed file needs a name: Borderpost takes it as the subject",
                    ));
                }
                subject = file.filename.to_owned();
            }
        }
        let (name, address) = address_in(&p.recipient.address, "paperMail.recipient.address")?;
        recipient.name = Some(name);
        recipient.address = Some(address);
        let configured = config.printing.as_ref().and_then(|printing| {
            address_out(
                Some(&printing.return_address.name),
                &printing.return_address.address,
            )
            .ok()
            .map(|(address, _)| address)
        });
        if configured.as_ref() != Some(&p.sender.address) {
            ext.return_address = Some(p.sender.address.clone());
        }
        // `printingAndEnvelopingService` is the sender's own Posti
        // agreement (credentials, billing): never kept, never relayed.
        // Borderpost prints under its own (`FiConfig::printing`).
    }

    let mut extensions = Extensions::default();
    extensions.insert(FAMILY, ext.to_json());
    let message = Message {
        id,
        kind: MessageKind::Letter,
        sender,
        recipients: vec![recipient],
        subject,
        created: ctx.received_at,
        documents,
        notification,
        legal: Legal::default(),
        reply,
        effective_at: None,
        security_level: None,
        channel: route.channel(),
        read_receipt,
        references: References {
            in_reply_to,
            ..References::default()
        },
        extensions,
    };
    canonical::validate(&message, &ctx.limits)?;
    Ok(message)
}

/// The uploads a request names, checked once.
struct Files<'f, 'a> {
    files: &'f [IncomingAttachment<'a>],
}

impl<'f, 'a> Files<'f, 'a> {
    /// Checks that every file is named by the request exactly once and is
    /// within Suomi.fi's rules.
    fn new(
        request: &RequestBody,
        files: &'f [IncomingAttachment<'a>],
    ) -> Result<Files<'f, 'a>, AdapterError> {
        let referenced = request.attachment_ids()?;
        for (i, file) in files.iter().enumerate() {
            let path = format!("files[{i}]");
            if files[..i]
                .iter()
                .any(|f| f.attachment_id == file.attachment_id)
            {
                return Err(AdapterError::schema(
                    path,
                    format!("the file {} is given twice", file.attachment_id),
                ));
            }
            if !referenced.contains(&file.attachment_id) {
                return Err(AdapterError::schema(
                    path,
                    format!(
                        "the file {} is not named by the request",
                        file.attachment_id
                    ),
                ));
            }
            json::text(&format!("{path}.filename"), file.filename, 1, 256)?;
            if file.content.len() as u64 > MAX_ATTACHMENT_BYTES {
                return Err(AdapterError::TooLarge {
                    what: format!("{path} (bytes)"),
                    limit: MAX_ATTACHMENT_BYTES,
                });
            }
            if !is_supported(file.media_type) {
                return Err(AdapterError::BusinessRule {
                    rule: "fi.attachment-media-type",
                    detail: format!(
                        "{path}: Suomi.fi does not take files of type {}",
                        json::quote(file.media_type, 60)
                    ),
                });
            }
        }
        Ok(Files { files })
    }

    fn get(&self, id: Uuid, path: &str) -> Result<&'f IncomingAttachment<'a>, AdapterError> {
        self.files
            .iter()
            .find(|f| f.attachment_id == id)
            .ok_or_else(|| AdapterError::schema(path, format!("no file was uploaded as {id}")))
    }
}

fn document(file: &IncomingAttachment<'_>) -> Document {
    Document {
        filename: file.filename.to_owned(),
        media_type: file.media_type.to_owned(),
        language: None,
        title: None,
        content: file.content.to_vec(),
    }
}

/// `recipient.id`: eleven characters are a HETU (`DDMMYYCZZZQ`), anything
/// else a Business ID; each is checked by its national rule. (`today` is
/// the context's: the adapter reads no clock.)
fn recipient_id(id: &str, today: time::Date) -> Result<PartyId, AdapterError> {
    let scheme = if id.chars().count() == 11 {
        Scheme::FiHetu
    } else {
        Scheme::FiYtunnus
    };
    PartyId::parse_on(scheme, id, today).map_err(|error| AdapterError::InvalidId {
        path: "recipient.id".to_owned(),
        error,
    })
}

/// A Suomi.fi address as the canonical name and postal address, checked
/// against the canonical limits (stricter than Suomi.fi's) at `path`.
fn address_in(a: &Address, path: &str) -> Result<(String, PostalAddress), AdapterError> {
    let mut lines = Vec::with_capacity(2);
    for (field, value) in [
        ("additionalName", a.additional_name.as_deref()),
        ("streetAddress", Some(a.street_address.as_str())),
    ] {
        if let Some(value) = value {
            json::text(&format!("{path}.{field}"), value, 1, MAX_LINE_CHARS)?;
            lines.push(value.to_owned());
        }
    }
    json::text(
        &format!("{path}.zipCode"),
        &a.zip_code,
        1,
        MAX_POSTCODE_CHARS,
    )?;
    json::text(&format!("{path}.city"), &a.city, 1, MAX_CITY_CHARS)?;
    Ok((
        a.name.clone(),
        PostalAddress {
            lines,
            postcode: Some(a.zip_code.clone()),
            city: Some(a.city.clone()),
            country: a.country_code.clone(),
        },
    ))
}
