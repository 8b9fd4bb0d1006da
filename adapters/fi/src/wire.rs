//! The v2 request bodies of Suomi.fi Messages, as typed JSON.
//!
//! Field names and enum strings are exactly those of the two production
//! clients `protocols/fi/NOTES.md` §2.3 is rebuilt from, and of DVV's API
//! description (`messages-api.yaml`); the limits (`maxLength`,
//! `maxItems`, the country list) are that description's. Every struct
//! refuses unknown fields: a misspelt field is an error that names its
//! JSON path, never a silently dropped instruction.
//!
//! Serde checks the shape and the enum strings; [`RequestBody::validate`]
//! checks what serde cannot (lengths, counts, identifiers' syntax, the
//! country list).

use std::fmt;

use borderpost_core::{AdapterError, Limits};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::countries::is_country_code;
use crate::json;
use crate::route::Route;

/// The longest `title`, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// The longest `body`, in characters.
pub const MAX_BODY_CHARS: usize = 40_000;
/// The most attachments of an electronic part.
pub const MAX_ELECTRONIC_ATTACHMENTS: usize = 50;
/// The number of attachments of a paper part: exactly one, the printed PDF.
pub const PAPER_ATTACHMENTS: usize = 1;
/// The longest `externalId`, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 256;
/// The longest `serviceId`, in characters.
pub const MAX_SERVICE_ID_CHARS: usize = 64;
/// The longest `name`, `additionalName`, `streetAddress` and `city`.
pub const MAX_ADDRESS_FIELD_CHARS: usize = 256;
/// The longest `zipCode`.
pub const MAX_ZIP_CODE_CHARS: usize = 64;
/// The longest customised notification title (each language).
pub const MAX_NOTIFICATION_TITLE_CHARS: usize = 256;
/// The longest customised notification content (each language).
pub const MAX_NOTIFICATION_CONTENT_CHARS: usize = 1500;
/// The longest `costPool` (`[A-Z0-9]+`).
pub const MAX_COST_POOL_CHARS: usize = 15;
/// The length of a Posti messaging `username`.
pub const POSTI_USERNAME_CHARS: usize = 6;
/// The length of a Posti messaging `password`.
pub const POSTI_PASSWORD_CHARS: usize = 4;
/// The largest request body Borderpost reads. The largest valid one is
/// about a quarter of this (a 40,000-character body escaped as `\uXXXX`,
/// three 1,500-character notifications, fifty attachment ids).
pub const MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// The media type of every body.
pub const MEDIA_TYPE: &str = "application/json";

/// Defines a wire enum: its variants, their exact JSON strings, `ALL` and
/// `as_str`.
macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $( $(#[$vdoc])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in the order of the API description.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact JSON string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// The value whose JSON string is exactly `s`.
            pub fn from_str_exact(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// `bodyFormat`: how the body is written.
    BodyFormat {
        /// Plain text.
        Text = "Text",
        /// CommonMark (headings, lists, paragraphs, bold, `https://` links).
        Markdown = "Markdown",
    }
}

wire_enum! {
    /// `messageServiceType`.
    MessageServiceType {
        /// An ordinary message.
        Normal = "Normal",
        /// A verifiable message: the recipient must confirm receipt before
        /// opening it (event `Receipt confirmed`); on paper, a letter signed
        /// for at Posti (extra configuration and cost at Posti).
        Verifiable = "Verifiable",
    }
}

wire_enum! {
    /// `replyAllowedBy`.
    ReplyAllowedBy {
        /// The recipient may reply.
        Anyone = "Anyone",
        /// No replies.
        NoOne = "No one",
    }
}

wire_enum! {
    /// `visibility`.
    Visibility {
        /// Visible as usual (also to those acting for the recipient).
        Normal = "Normal",
        /// Visible to the recipient only.
        RecipientOnly = "Recipient only",
    }
}

wire_enum! {
    /// `senderDetailsInNotifications`: what the e-mail/SMS notice says
    /// about the sender.
    SenderDetailsInNotifications {
        /// The organisation's and the service's names.
        OrganisationAndServiceName = "Organisation and service name",
        /// Nothing about the sender.
        NoDetails = "None",
    }
}

wire_enum! {
    /// `unreadMessageNotification.reminder`.
    Reminder {
        /// Suomi.fi's default reminders of an unread message.
        DefaultReminder = "Default reminder",
        /// No reminders.
        NoReminders = "No reminders",
    }
}

/// `POST /v2/messages`: electronic if the recipient has an active mailbox,
/// otherwise paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MultichannelMessageRequestBody {
    /// The sender's id for the message, its idempotency key (1–256).
    pub external_id: String,
    /// The message as delivered to a mailbox.
    pub electronic: ElectronicPart,
    /// The message as printed, if the recipient has no mailbox.
    pub paper_mail: PaperMailPart,
    /// The recipient: a HETU or a Business ID.
    pub recipient: RecipientId,
    /// The sending service.
    pub sender: Sender,
}

/// `POST /v2/messages/electronic`: electronic only (also replies to an end
/// user's message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectronicMessageRequestBody {
    /// The sender's id for the message, its idempotency key (1–256).
    pub external_id: String,
    /// The message.
    pub electronic: ElectronicPart,
    /// The recipient: a HETU or a Business ID.
    pub recipient: RecipientId,
    /// The sending service.
    pub sender: Sender,
}

/// `POST /v2/paper-mail-without-id`: paper only, addressed by postal
/// address alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaperMailWithoutIdRequestBody {
    /// The sender's id for the message, its idempotency key (1–256).
    pub external_id: String,
    /// The letter.
    pub paper_mail: PaperMailPart,
    /// The sending service.
    pub sender: Sender,
}

/// `electronic`: the message as a mailbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectronicPart {
    /// The title (1–256 characters).
    pub title: String,
    /// The body text (1–40,000 characters).
    pub body: String,
    /// How the body is written.
    pub body_format: BodyFormat,
    /// Normal or verifiable.
    pub message_service_type: MessageServiceType,
    /// The e-mail/SMS notices.
    pub notifications: Notifications,
    /// Whether the recipient may reply.
    pub reply_allowed_by: ReplyAllowedBy,
    /// Who may see it.
    pub visibility: Visibility,
    /// Uploaded files (0–50).
    pub attachments: Vec<AttachmentReference>,
    /// The end user's message this one answers (its Suomi.fi `messageId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to_message_id: Option<i64>,
}

/// `notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notifications {
    /// What the notice says about the sender.
    pub sender_details_in_notifications: SenderDetailsInNotifications,
    /// Reminders of an unread message.
    pub unread_message_notification: UnreadMessageNotification,
    /// The notice's own text, instead of Suomi.fi's standard one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customised_new_message_notification: Option<CustomisedNotification>,
}

/// `unreadMessageNotification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnreadMessageNotification {
    /// Reminders or none.
    pub reminder: Reminder,
}

/// `customisedNewMessageNotification`: title and content in the three
/// languages Suomi.fi shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomisedNotification {
    /// The notice's title (1–256 characters each).
    pub title: Translations,
    /// The notice's text (0–1,500 characters each).
    pub content: Translations,
}

/// A text in Finnish, Swedish and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translations {
    /// Finnish.
    pub fi: String,
    /// Swedish.
    pub sv: String,
    /// English.
    pub en: String,
}

/// `paperMail`: the letter Posti prints, envelopes and delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaperMailPart {
    /// The printed file: exactly one uploaded PDF.
    pub attachments: Vec<AttachmentReference>,
    /// Print in colour.
    pub color_printing: bool,
    /// Add a page with the recipient's address for the envelope window.
    pub create_address_page: bool,
    /// Print on both sides.
    pub two_sided_printing: bool,
    /// Rotate landscape pages to portrait.
    pub rotate_landscape_pages: bool,
    /// Normal or verifiable (signed for at Posti).
    pub message_service_type: MessageServiceType,
    /// The sender's agreement with Posti.
    pub printing_and_enveloping_service: PrintingAndEnvelopingService,
    /// Where the letter goes.
    pub recipient: PaperMailParty,
    /// Where it comes back to.
    pub sender: PaperMailParty,
}

/// `printingAndEnvelopingService`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrintingAndEnvelopingService {
    /// The Posti Messaging account.
    pub posti_messaging: PostiMessaging,
    /// A cost pool of that account (`[A-Z0-9]{1,15}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_pool: Option<String>,
}

/// `postiMessaging`: the sender's Posti Messaging credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostiMessaging {
    /// Who Posti contacts about the sending.
    pub contact_details: ContactDetails,
    /// The account (6 characters).
    pub username: String,
    /// Its password (4 characters).
    pub password: String,
}

/// `contactDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactDetails {
    /// An e-mail address (5–256 characters).
    pub email: String,
}

/// `recipient` or `sender` of a paper part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaperMailParty {
    /// The postal address.
    pub address: Address,
}

/// A postal address as Suomi.fi prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// The addressee (1–256 characters).
    pub name: String,
    /// A second row: a company, a department, c/o (1–256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_name: Option<String>,
    /// Street and number (1–256 characters).
    pub street_address: String,
    /// The postcode (1–64 characters).
    pub zip_code: String,
    /// The post town (1–256 characters).
    pub city: String,
    /// ISO 3166-1 alpha-2 (see [`crate::COUNTRY_CODES`]).
    pub country_code: String,
}

/// `{attachmentId}`: a file uploaded with `POST /v2/attachments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentReference {
    /// The id the upload returned (a UUID).
    pub attachment_id: String,
}

/// `recipient`: `{id}`, a HETU or a Business ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientId {
    /// `DDMMYYCZZZQ` or `NNNNNNN-T` (9–11 characters).
    pub id: String,
}

/// `sender`: `{serviceId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sender {
    /// The service id DVV assigned at onboarding (1–64 characters).
    pub service_id: String,
}

/// Any of the three request bodies.
#[allow(
    clippy::large_enum_variant,
    reason = "one body per request, never held in bulk: boxing would only add an allocation"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// `POST /v2/messages`.
    Multichannel(MultichannelMessageRequestBody),
    /// `POST /v2/messages/electronic`.
    Electronic(ElectronicMessageRequestBody),
    /// `POST /v2/paper-mail-without-id`.
    PaperMailWithoutId(PaperMailWithoutIdRequestBody),
}

/// Every field any of the three bodies has: read once, strictly, then
/// sorted into the body its fields make (or the route demands).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AnyRequestBody {
    external_id: String,
    #[serde(default)]
    electronic: Option<ElectronicPart>,
    #[serde(default)]
    paper_mail: Option<PaperMailPart>,
    #[serde(default)]
    recipient: Option<RecipientId>,
    sender: Sender,
}

// === impl RequestBody ===

impl RequestBody {
    /// Parses and validates a request body. With `route` (the path it was
    /// posted to), the body must be that route's; without, the route is
    /// the one its fields make (`electronic` + `paperMail` + `recipient`:
    /// multichannel; `electronic` + `recipient`: electronic;
    /// `paperMail` alone: paper mail without id).
    pub fn parse(
        route: Option<Route>,
        json: &[u8],
        limits: &Limits,
    ) -> Result<RequestBody, AdapterError> {
        let any: AnyRequestBody = json::parse(json, limits, MAX_REQUEST_BYTES)?;
        let AnyRequestBody {
            external_id,
            electronic,
            paper_mail,
            recipient,
            sender,
        } = any;
        let shape = match (&electronic, &paper_mail, &recipient) {
            (Some(_), Some(_), Some(_)) => Some(Route::Multichannel),
            (Some(_), None, Some(_)) => Some(Route::Electronic),
            (None, Some(_), None) => Some(Route::PaperMailWithoutId),
            _ => None,
        };
        let route = match (route, shape) {
            (Some(route), Some(shape)) if route == shape => route,
            (None, Some(shape)) => shape,
            (route, _) => return Err(shape_error(route, &electronic, &paper_mail, &recipient)),
        };
        let body = match (route, electronic, paper_mail, recipient) {
            (Route::Multichannel, Some(electronic), Some(paper_mail), Some(recipient)) => {
                RequestBody::Multichannel(MultichannelMessageRequestBody {
                    external_id,
                    electronic,
                    paper_mail,
                    recipient,
                    sender,
                })
            }
            (Route::Electronic, Some(electronic), None, Some(recipient)) => {
                RequestBody::Electronic(ElectronicMessageRequestBody {
                    external_id,
                    electronic,
                    recipient,
                    sender,
                })
            }
            (Route::PaperMailWithoutId, None, Some(paper_mail), None) => {
                RequestBody::PaperMailWithoutId(PaperMailWithoutIdRequestBody {
                    external_id,
                    paper_mail,
                    sender,
                })
            }
            // The shape was matched against the route just above.
            _ => return Err(AdapterError::schema("/", "the body does not fit its route")),
        };
        body.validate()?;
        Ok(body)
    }

    /// The route (endpoint) this body is sent to.
    pub fn route(&self) -> Route {
        match self {
            RequestBody::Multichannel(_) => Route::Multichannel,
            RequestBody::Electronic(_) => Route::Electronic,
            RequestBody::PaperMailWithoutId(_) => Route::PaperMailWithoutId,
        }
    }

    /// `externalId`.
    pub fn external_id(&self) -> &str {
        match self {
            RequestBody::Multichannel(b) => &b.external_id,
            RequestBody::Electronic(b) => &b.external_id,
            RequestBody::PaperMailWithoutId(b) => &b.external_id,
        }
    }

    /// `sender.serviceId`.
    pub fn service_id(&self) -> &str {
        match self {
            RequestBody::Multichannel(b) => &b.sender.service_id,
            RequestBody::Electronic(b) => &b.sender.service_id,
            RequestBody::PaperMailWithoutId(b) => &b.sender.service_id,
        }
    }

    /// The electronic part, if the route has one.
    pub fn electronic(&self) -> Option<&ElectronicPart> {
        match self {
            RequestBody::Multichannel(b) => Some(&b.electronic),
            RequestBody::Electronic(b) => Some(&b.electronic),
            RequestBody::PaperMailWithoutId(_) => None,
        }
    }

    /// The paper part, if the route has one.
    pub fn paper_mail(&self) -> Option<&PaperMailPart> {
        match self {
            RequestBody::Multichannel(b) => Some(&b.paper_mail),
            RequestBody::Electronic(_) => None,
            RequestBody::PaperMailWithoutId(b) => Some(&b.paper_mail),
        }
    }

    /// `recipient.id`, if the route has one.
    pub fn recipient_id(&self) -> Option<&str> {
        match self {
            RequestBody::Multichannel(b) => Some(&b.recipient.id),
            RequestBody::Electronic(b) => Some(&b.recipient.id),
            RequestBody::PaperMailWithoutId(_) => None,
        }
    }

    /// Every attachment id the body references, each once, in order
    /// (electronic first, then paper): the uploads a gateway must hand to
    /// the decoder with the body.
    pub fn attachment_ids(&self) -> Result<Vec<Uuid>, AdapterError> {
        let mut ids: Vec<Uuid> = Vec::new();
        let electronic = self
            .electronic()
            .map(|e| ("electronic.attachments", e.attachments.as_slice()));
        let paper = self
            .paper_mail()
            .map(|p| ("paperMail.attachments", p.attachments.as_slice()));
        for (path, list) in electronic.into_iter().chain(paper) {
            for (i, reference) in list.iter().enumerate() {
                let id = reference.id(&format!("{path}[{i}].attachmentId"))?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// The body as JSON, as sent.
    pub fn to_json(&self) -> Vec<u8> {
        let result = match self {
            RequestBody::Multichannel(b) => serde_json::to_vec(b),
            RequestBody::Electronic(b) => serde_json::to_vec(b),
            RequestBody::PaperMailWithoutId(b) => serde_json::to_vec(b),
        };
        // Strings, booleans, integers and structs of them always serialise.
        result.unwrap_or_default()
    }

    /// Checks what serde cannot: lengths, counts, the attachment ids'
    /// syntax, the recipient id's length and the country codes. (Whether
    /// the recipient id is a valid HETU or Business ID is the decoder's
    /// check: it needs the national rules.)
    pub fn validate(&self) -> Result<(), AdapterError> {
        json::text("externalId", self.external_id(), 1, MAX_EXTERNAL_ID_CHARS)?;
        json::text(
            "sender.serviceId",
            self.service_id(),
            1,
            MAX_SERVICE_ID_CHARS,
        )?;
        if let Some(id) = self.recipient_id() {
            let n = id.chars().count();
            if !(9..=11).contains(&n) {
                return Err(AdapterError::schema(
                    "recipient.id",
                    format!("{n} characters: a HETU has 11, a Business ID 9"),
                ));
            }
        }
        if let Some(electronic) = self.electronic() {
            electronic.validate("electronic")?;
        }
        if let Some(paper) = self.paper_mail() {
            paper.validate("paperMail")?;
        }
        self.attachment_ids().map(drop)
    }
}

/// Why a body does not make the route it was posted to (or any route).
fn shape_error(
    route: Option<Route>,
    electronic: &Option<ElectronicPart>,
    paper_mail: &Option<PaperMailPart>,
    recipient: &Option<RecipientId>,
) -> AdapterError {
    let (has_e, has_p, has_r) = (
        electronic.is_some(),
        paper_mail.is_some(),
        recipient.is_some(),
    );
    let (path, detail) = match route {
        Some(route) => {
            let (want_e, want_p, want_r) = match route {
                Route::Multichannel => (true, true, true),
                Route::Electronic => (true, false, true),
                Route::PaperMailWithoutId => (false, true, false),
            };
            let (field, want) = [
                ("electronic", want_e, has_e),
                ("paperMail", want_p, has_p),
                ("recipient", want_r, has_r),
            ]
            .into_iter()
            .find(|(_, want, has)| want != has)
            .map(|(field, want, _)| (field, want))
            .unwrap_or(("/", true));
            let verb = if want {
                "is required"
            } else {
                "is not allowed"
            };
            (field, format!("{verb} in a body for {}", route.path()))
        }
        None => (
            "/",
            "not a Suomi.fi request: electronic with recipient (POST /v2/messages/electronic), \
             electronic and paperMail with recipient (POST /v2/messages), or paperMail alone \
             (POST /v2/paper-mail-without-id)"
                .to_owned(),
        ),
    };
    AdapterError::schema(path, detail)
}

// === impl ElectronicPart ===

impl ElectronicPart {
    fn validate(&self, path: &str) -> Result<(), AdapterError> {
        json::text(&format!("{path}.title"), &self.title, 1, MAX_TITLE_CHARS)?;
        json::text(&format!("{path}.body"), &self.body, 1, MAX_BODY_CHARS)?;
        if self.attachments.len() > MAX_ELECTRONIC_ATTACHMENTS {
            return Err(AdapterError::TooLarge {
                what: format!("{path}.attachments"),
                limit: MAX_ELECTRONIC_ATTACHMENTS as u64,
            });
        }
        let mut seen = Vec::with_capacity(self.attachments.len());
        for (i, reference) in self.attachments.iter().enumerate() {
            let at = format!("{path}.attachments[{i}].attachmentId");
            let id = reference.id(&at)?;
            if seen.contains(&id) {
                return Err(AdapterError::schema(
                    at,
                    "the same attachment is listed twice",
                ));
            }
            seen.push(id);
        }
        if let Some(custom) = &self.notifications.customised_new_message_notification {
            custom.validate(&format!(
                "{path}.notifications.customisedNewMessageNotification"
            ))?;
        }
        Ok(())
    }
}

// === impl CustomisedNotification ===

impl CustomisedNotification {
    /// Checks the lengths of every language's title and content.
    pub(crate) fn validate(&self, path: &str) -> Result<(), AdapterError> {
        for (lang, title, content) in [
            ("fi", &self.title.fi, &self.content.fi),
            ("sv", &self.title.sv, &self.content.sv),
            ("en", &self.title.en, &self.content.en),
        ] {
            json::text(
                &format!("{path}.title.{lang}"),
                title,
                1,
                MAX_NOTIFICATION_TITLE_CHARS,
            )?;
            json::text(
                &format!("{path}.content.{lang}"),
                content,
                0,
                MAX_NOTIFICATION_CONTENT_CHARS,
            )?;
        }
        Ok(())
    }
}

// === impl PaperMailPart ===

impl PaperMailPart {
    fn validate(&self, path: &str) -> Result<(), AdapterError> {
        if self.attachments.len() != PAPER_ATTACHMENTS {
            return Err(AdapterError::schema(
                format!("{path}.attachments"),
                format!(
                    "{} attachments: paper mail prints exactly one (a PDF)",
                    self.attachments.len()
                ),
            ));
        }
        for (i, reference) in self.attachments.iter().enumerate() {
            reference.id(&format!("{path}.attachments[{i}].attachmentId"))?;
        }
        self.printing_and_enveloping_service
            .validate(&format!("{path}.printingAndEnvelopingService"))?;
        self.recipient
            .address
            .validate(&format!("{path}.recipient.address"))?;
        self.sender
            .address
            .validate(&format!("{path}.sender.address"))
    }
}

// === impl PrintingAndEnvelopingService ===

impl PrintingAndEnvelopingService {
    pub(crate) fn validate(&self, path: &str) -> Result<(), AdapterError> {
        let posti = &self.posti_messaging;
        let exact = |field: &str, value: &str, n: usize| {
            let count = value.chars().count();
            if count == n {
                json::text(&format!("{path}.postiMessaging.{field}"), value, n, n)
            } else {
                Err(AdapterError::schema(
                    format!("{path}.postiMessaging.{field}"),
                    format!("{count} characters, exactly {n}"),
                ))
            }
        };
        exact("username", &posti.username, POSTI_USERNAME_CHARS)?;
        exact("password", &posti.password, POSTI_PASSWORD_CHARS)?;
        json::text(
            &format!("{path}.postiMessaging.contactDetails.email"),
            &posti.contact_details.email,
            5,
            256,
        )?;
        if let Some(pool) = &self.cost_pool {
            let ok = (1..=MAX_COST_POOL_CHARS).contains(&pool.len())
                && pool
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !ok {
                return Err(AdapterError::schema(
                    format!("{path}.costPool"),
                    "1 to 15 characters of A-Z and 0-9",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for PostiMessaging {
    // The password is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostiMessaging")
            .field("contact_details", &self.contact_details)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

// === impl Address ===

impl Address {
    /// Checks lengths and the country code.
    pub fn validate(&self, path: &str) -> Result<(), AdapterError> {
        let field = |name: &str| format!("{path}.{name}");
        json::text(&field("name"), &self.name, 1, MAX_ADDRESS_FIELD_CHARS)?;
        if let Some(additional) = &self.additional_name {
            json::text(
                &field("additionalName"),
                additional,
                1,
                MAX_ADDRESS_FIELD_CHARS,
            )?;
        }
        json::text(
            &field("streetAddress"),
            &self.street_address,
            1,
            MAX_ADDRESS_FIELD_CHARS,
        )?;
        json::text(&field("zipCode"), &self.zip_code, 1, MAX_ZIP_CODE_CHARS)?;
        json::text(&field("city"), &self.city, 1, MAX_ADDRESS_FIELD_CHARS)?;
        if !is_country_code(&self.country_code) {
            return Err(AdapterError::schema(
                field("countryCode"),
                format!(
                    "{} is not an ISO 3166-1 alpha-2 code Suomi.fi knows (upper case, e.g. FI)",
                    json::quote(&self.country_code, 8)
                ),
            ));
        }
        Ok(())
    }
}

// === impl AttachmentReference ===

impl AttachmentReference {
    /// A reference to `id`.
    pub fn new(id: Uuid) -> AttachmentReference {
        AttachmentReference {
            attachment_id: id.hyphenated().to_string(),
        }
    }

    /// The id, which must be a UUID in its hyphenated form.
    pub fn id(&self, path: &str) -> Result<Uuid, AdapterError> {
        parse_uuid(&self.attachment_id).ok_or_else(|| {
            AdapterError::schema(
                path,
                format!(
                    "{} is not a UUID (8-4-4-4-12 hexadecimal digits)",
                    json::quote(&self.attachment_id, 40)
                ),
            )
        })
    }
}

/// A UUID in its hyphenated form (either case), and only that form.
pub(crate) fn parse_uuid(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_strings_are_exactly_the_apis() {
        let all: Vec<&str> = BodyFormat::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(MessageServiceType::ALL.iter().map(|v| v.as_str()))
            .chain(ReplyAllowedBy::ALL.iter().map(|v| v.as_str()))
            .chain(Visibility::ALL.iter().map(|v| v.as_str()))
            .chain(SenderDetailsInNotifications::ALL.iter().map(|v| v.as_str()))
            .chain(Reminder::ALL.iter().map(|v| v.as_str()))
            .collect();
        assert_eq!(
            all,
            [
                "Text",
                "Markdown",
                "Normal",
                "Verifiable",
                "Anyone",
                "No one",
                "Normal",
                "Recipient only",
                "Organisation and service name",
                "None",
                "Default reminder",
                "No reminders",
            ]
        );
        // serde writes and reads the same strings.
        for v in ReplyAllowedBy::ALL {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
            assert_eq!(serde_json::from_str::<ReplyAllowedBy>(&json).unwrap(), *v);
        }
        assert_eq!(
            Reminder::from_str_exact("No reminders"),
            Some(Reminder::NoReminders)
        );
        assert_eq!(Reminder::from_str_exact("no reminders"), None);
    }

    #[test]
    fn attachment_ids_are_hyphenated_uuids_only() {
        let id = Uuid::from_u128(0x1234);
        assert_eq!(AttachmentReference::new(id).id("p").unwrap(), id);
        for bad in [
            "00000000000000000000000000001234",
            "{00000000-0000-0000-0000-000000001234}",
            "urn:uuid:00000000-0000-0000-0000-000000001234",
            "",
            "x",
        ] {
            let reference = AttachmentReference {
                attachment_id: bad.to_owned(),
            };
            assert_eq!(reference.id("p").unwrap_err().code(), "schema", "{bad}");
        }
        assert!(parse_uuid("0000000A-0000-0000-0000-000000001234").is_some());
    }

    #[test]
    fn the_posti_password_is_never_printed() {
        let posti = PostiMessaging {
            contact_details: ContactDetails {
                email: "print@example.fi".to_owned(),
            },
            username: "ABC123".to_owned(),
            password: "9876".to_owned(),
        };
        let shown = format!("{posti:?}");
        assert!(!shown.contains("9876") && shown.contains("<redacted>"));
    }
}
