//! Borderpost's adapter for Finland: Suomi.fi Messages (Suomi.fi-viestit,
//! run by DVV), its REST API v2.
//!
//! - [`SuomiFi`] (`fi-suomifi`): the three request bodies both ways
//!   ([`wire`]), and events as receipts both ways ([`events`]).
//! - [`route()`]: which endpoint a copy takes, from the canonical channel.
//! - [`transport`]: the rest of the REST API (token, mailbox check,
//!   upload and send answers, the events page, the error body).
//!
//! Design decisions a reader would question, in short (the crate README
//! has the translation table):
//!
//! - **No public OpenAPI file is vendored.** The model follows
//!   `protocols/fi/NOTES.md` §2 (two independent production clients whose
//!   enum strings agree), and its limits follow DVV's API description as
//!   a third party republished it; see the README.
//! - **Files travel by upload.** A request names uploaded files by id. The
//!   upload is I/O, so the encoder is two steps
//!   ([`SuomiFi::attachments_to_upload`], then [`SuomiFi::encode_with`] with
//!   the ids) and the decoder takes the uploads as values
//!   ([`SuomiFi::decode_request`]). Through the [`Adapter`] trait the files
//!   are extra parts of the wire ([`attachments`]).
//! - **The sender is a service id.** A request names no organisation, only
//!   `sender.serviceId`; [`FiConfig`] says whose each is.
//! - **`Verifiable` is `read_receipt`.** The canonical model's request for
//!   a receipt when the message is opened is what a verifiable message
//!   gives (event `Receipt confirmed`); `legal.mandatory_read` (cannot opt
//!   out of digital delivery) has no Suomi.fi counterpart.

#![forbid(unsafe_code)]

use borderpost_core::{
    Adapter, AdapterError, DecodeContext, EncodeContext, Encoded, Message, Protocol, Receipt,
    Recipient, Wire,
};

pub mod attachments;
mod config;
mod countries;
mod decode;
mod encode;
pub mod events;
mod ext;
mod json;
mod route;
pub mod transport;
pub mod wire;

pub use attachments::{IncomingAttachment, Upload, Uploaded};
pub use config::{FiConfig, Printing, ReturnAddress, Service};
pub use countries::{COUNTRY_CODES, is_country_code};
pub use decode::{
    BODY_FILENAME_MARKDOWN, BODY_FILENAME_TEXT, BODY_MEDIA_TYPE_MARKDOWN, BODY_MEDIA_TYPE_TEXT,
};
pub use events::{Event, EventType, RECEIPT_PROTOCOL, external_id, message_id_for};
pub use ext::FAMILY as EXTENSION_FAMILY;
pub use route::{Route, finnish_id, route};
pub use wire::{MEDIA_TYPE, RequestBody};

/// The protocol name: Suomi.fi Messages REST v2.
pub const PROTOCOL: Protocol = Protocol("fi-suomifi");

/// The name of the part that holds a request's JSON (the other parts are
/// files, named `<attachmentId>/<filename>`).
pub const PART_BODY: &str = "body";

/// The Suomi.fi Messages adapter.
#[derive(Debug, Clone, Default)]
pub struct SuomiFi {
    config: FiConfig,
}

impl SuomiFi {
    /// An adapter with `config`.
    pub fn new(config: FiConfig) -> SuomiFi {
        SuomiFi { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &FiConfig {
        &self.config
    }

    /// The documents of `message`'s copy for `to` that must be uploaded
    /// (`POST /v2/attachments`) before [`SuomiFi::encode_with`]; each
    /// once, in document order. Fails as encoding would (a recipient
    /// Suomi.fi cannot address, a file type it does not take, …).
    pub fn attachments_to_upload<'m>(
        &self,
        message: &'m Message,
        to: &'m Recipient,
    ) -> Result<Vec<Upload<'m>>, AdapterError> {
        Ok(encode::plan(message, to)?.uploads())
    }

    /// Encodes `message` for `to` with the attachment ids the uploads of
    /// [`SuomiFi::attachments_to_upload`] returned. The result is one part,
    /// [`PART_BODY`], to post to [`route()`]'s path; its `externalId` is
    /// `ctx.message_id`.
    pub fn encode_with(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
        uploaded: &[Uploaded],
    ) -> Result<Encoded, AdapterError> {
        let plan = encode::plan(message, to)?;
        let wanted: Vec<usize> = plan.uploads().iter().map(|u| u.document).collect();
        for (i, u) in uploaded.iter().enumerate() {
            if !wanted.contains(&u.document)
                || uploaded[..i].iter().any(|v| v.document == u.document)
            {
                return Err(AdapterError::schema(
                    format!("uploaded[{i}]"),
                    format!(
                        "documents[{}] is not an upload of this copy, or is given twice",
                        u.document
                    ),
                ));
            }
        }
        let ids = |document: usize| {
            uploaded
                .iter()
                .find(|u| u.document == document)
                .map(|u| u.attachment_id)
        };
        let (body, losses) = encode::build(&self.config, plan, ctx, &ids)?;
        Ok(Encoded::single(
            PART_BODY,
            MEDIA_TYPE,
            body.to_json(),
            losses,
        ))
    }

    /// Decodes a Finnish sender's request with the files it names (all of
    /// them, and no others: see [`RequestBody::attachment_ids`]).
    pub fn decode_request(
        &self,
        request: &RequestBody,
        files: &[IncomingAttachment<'_>],
        ctx: &DecodeContext<'_>,
    ) -> Result<Message, AdapterError> {
        decode::decode(&self.config, request, files, ctx)
    }
}

impl Adapter for SuomiFi {
    fn protocol(&self) -> Protocol {
        PROTOCOL
    }

    /// The wire: the request JSON (the part named [`PART_BODY`], else the
    /// first), then one part per file, named `<attachmentId>/<filename>`
    /// with its media type. The route is the one the body's fields make.
    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        ctx.limits.check_body(wire)?;
        let at = wire
            .parts
            .iter()
            .position(|p| p.name == PART_BODY)
            .unwrap_or(0);
        let body = wire.parts.get(at).map_or(&[][..], |p| p.body);
        let request = RequestBody::parse(None, body, &ctx.limits)?;
        let files = wire
            .parts
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != at)
            .map(|(_, part)| IncomingAttachment::from_part(part))
            .collect::<Result<Vec<_>, _>>()?;
        self.decode_request(&request, &files, ctx)
    }

    /// The request JSON (part [`PART_BODY`]) and, after it, each document
    /// to upload as a part named `<attachmentId>/<filename>`, with ids
    /// derived from the copy's id (stable across retries). A real
    /// Suomi.fi assigns its own ids on upload: the gateway sending there
    /// uses [`SuomiFi::attachments_to_upload`] and [`SuomiFi::encode_with`].
    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let plan = encode::plan(message, to)?;
        let files: Vec<IncomingAttachment<'_>> = plan
            .uploads()
            .iter()
            .map(|u| IncomingAttachment {
                attachment_id: attachments::derived_id(ctx.message_id, u.document),
                filename: u.filename,
                media_type: u.media_type,
                content: u.content,
            })
            .collect();
        let ids = |document: usize| Some(attachments::derived_id(ctx.message_id, document));
        let (body, losses) = encode::build(&self.config, plan, ctx, &ids)?;
        let mut encoded = Encoded::single(PART_BODY, MEDIA_TYPE, body.to_json(), losses);
        for file in files {
            encoded.parts.push(borderpost_core::adapter::EncodedPart {
                name: file.part_name(),
                media_type: file.media_type.to_owned(),
                body: file.content.to_vec(),
            });
        }
        Ok(encoded)
    }

    /// One event of `GET /v2/events` (see [`events`]).
    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        ctx.limits.check_body(wire)?;
        events::decode_receipt(wire.body(), ctx)
    }

    /// The event a Finnish sender of `original` polls (see [`events`]).
    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        events::encode_receipt(&self.config, receipt, original, ctx)
    }
}
