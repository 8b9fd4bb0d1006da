//! The canonical JSON protocol (`canonical`): the body of
//! `POST /v1/messages`, and the envelope between peer gateways.
//!
//! Decoding is strict: the JSON must be UTF-8, within the size and depth
//! limits, carry no unknown fields, and the message must pass
//! [`validate`] — every identifier valid, every field within its limit.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::adapter::{
    Adapter, DecodeContext, EncodeContext, Encoded, Limits, Protocol, Receipt, Wire,
};
use crate::error::AdapterError;
use crate::model::{Channel, Message, MessageKind, Recipient};
use crate::xml::is_xml_char;

/// The protocol name.
pub const PROTOCOL: Protocol = Protocol("canonical");

/// The media type of canonical JSON.
pub const MEDIA_TYPE: &str = "application/json";

/// Longest subject, in characters (the strictest national limit that still
/// fits every system: MeMo `label` and Suomi.fi `title` take 256).
pub const MAX_SUBJECT_CHARS: usize = 256;
/// Longest notification text, in characters.
pub const MAX_NOTIFICATION_CHARS: usize = 1000;
/// Longest short text field (names, references, file names), in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// The canonical JSON adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CanonicalJson;

impl Adapter for CanonicalJson {
    fn protocol(&self) -> Protocol {
        PROTOCOL
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        decode(wire.body(), ctx)
    }

    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        _ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let body = serde_json::to_vec_pretty(&message.for_recipient(to)).map_err(|e| {
            AdapterError::Crypto {
                detail: format!("serialising JSON: {e}"),
            }
        })?;
        Ok(Encoded::single("body", MEDIA_TYPE, body, Vec::new()))
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        check_json(wire.body(), &ctx.limits)?;
        serde_json::from_slice(wire.body()).map_err(json_error)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        _original: &Message,
        _ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let body = serde_json::to_vec_pretty(receipt).map_err(|e| AdapterError::Crypto {
            detail: format!("serialising JSON: {e}"),
        })?;
        Ok(Encoded::single("body", MEDIA_TYPE, body, Vec::new()))
    }
}

/// Decodes and validates a canonical JSON message. A missing `id` or
/// `created` is filled from the context.
pub fn decode(body: &[u8], ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
    check_json(body, &ctx.limits)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut message: Message =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let detail = strip_position(&inner.to_string());
                    match detail.strip_prefix(crate::id::INVALID_ID_PREFIX) {
                        Some(reason) => AdapterError::InvalidId {
                            path,
                            error: crate::id::IdError::Format(reason.to_owned()),
                        },
                        None => AdapterError::schema(path, detail),
                    }
                }
                _ => json_error(inner),
            }
        })?;
    deserializer.end().map_err(json_error)?;
    if message.id.is_nil() {
        message.id = ctx.fallback_id;
    }
    if message.created == OffsetDateTime::UNIX_EPOCH {
        message.created = ctx.received_at;
    }
    validate(&message, &ctx.limits)?;
    Ok(message)
}

/// Size, encoding and nesting checks before any parser allocates.
pub fn check_json(body: &[u8], limits: &Limits) -> Result<(), AdapterError> {
    if body.len() as u64 > limits.max_body_bytes {
        return Err(AdapterError::TooLarge {
            what: "JSON body (bytes)".to_owned(),
            limit: limits.max_body_bytes,
        });
    }
    if let Err(e) = std::str::from_utf8(body) {
        return Err(AdapterError::Encoding {
            detail: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        });
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(AdapterError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn json_error(e: serde_json::Error) -> AdapterError {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AdapterError::malformed("JSON", format!("{e}"))
        }
        Category::Data => AdapterError::schema(at, strip_position(&e.to_string())),
    }
}

/// serde_json appends " at line L column C"; the path already says where.
fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// Checks what serde cannot: counts, lengths, text characters, and the
/// rules that tie fields together.
pub fn validate(message: &Message, limits: &Limits) -> Result<(), AdapterError> {
    if message.id.is_nil() {
        return Err(AdapterError::schema("id", "must not be the nil UUID"));
    }
    if !message.sender.id.scheme().is_organisation() {
        return Err(AdapterError::schema(
            "sender.id",
            "a sender is an organisation: use an organisation number scheme",
        ));
    }
    text(
        "sender.name",
        message.sender.name.as_deref(),
        MAX_TEXT_CHARS,
    )?;
    text("sender.unit", message.sender.unit.as_deref(), 100)?;
    if let Some(rep) = &message.sender.representative {
        text(
            "sender.representative.name",
            rep.name.as_deref(),
            MAX_TEXT_CHARS,
        )?;
    }

    if message.recipients.is_empty() {
        return Err(AdapterError::schema(
            "recipients",
            "at least one recipient is required",
        ));
    }
    if message.recipients.len() > limits.max_recipients {
        return Err(AdapterError::TooLarge {
            what: "recipients".to_owned(),
            limit: limits.max_recipients as u64,
        });
    }
    for (i, recipient) in message.recipients.iter().enumerate() {
        validate_recipient(&format!("recipients[{i}]"), recipient, message.channel)?;
        if let Some(id) = &recipient.id
            && message.recipients[..i]
                .iter()
                .any(|r| r.id.as_ref().is_some_and(|other| other.same_party(id)))
        {
            return Err(AdapterError::schema(
                format!("recipients[{i}].id"),
                "the same recipient is listed twice",
            ));
        }
    }

    if message.subject.trim().is_empty() {
        return Err(AdapterError::schema("subject", "must not be empty"));
    }
    text("subject", Some(&message.subject), MAX_SUBJECT_CHARS)?;
    text(
        "notification",
        message.notification.as_deref(),
        MAX_NOTIFICATION_CHARS,
    )?;

    match message.kind {
        MessageKind::Letter if message.documents.is_empty() => {
            return Err(AdapterError::schema(
                "documents",
                "a letter needs at least one document",
            ));
        }
        MessageKind::Sms if !message.documents.is_empty() => {
            return Err(AdapterError::schema("documents", "an SMS has no documents"));
        }
        MessageKind::Sms
            if message
                .notification
                .as_deref()
                .is_none_or(|n| n.trim().is_empty()) =>
        {
            return Err(AdapterError::schema(
                "notification",
                "an SMS needs its text here",
            ));
        }
        _ => {}
    }
    if message.documents.len() > limits.max_documents {
        return Err(AdapterError::TooLarge {
            what: "documents".to_owned(),
            limit: limits.max_documents as u64,
        });
    }
    for (i, doc) in message.documents.iter().enumerate() {
        let path = format!("documents[{i}]");
        if doc.content.len() as u64 > limits.max_document_bytes {
            return Err(AdapterError::TooLarge {
                what: format!("{path}.content (bytes)"),
                limit: limits.max_document_bytes,
            });
        }
        if doc.filename.trim().is_empty() {
            return Err(AdapterError::schema(
                format!("{path}.filename"),
                "must not be empty",
            ));
        }
        text(
            &format!("{path}.filename"),
            Some(&doc.filename),
            MAX_TEXT_CHARS,
        )?;
        text(
            &format!("{path}.title"),
            doc.title.as_deref(),
            MAX_TEXT_CHARS,
        )?;
        if !is_media_type(&doc.media_type) {
            return Err(AdapterError::schema(
                format!("{path}.media_type"),
                "must be a MIME type such as application/pdf",
            ));
        }
        if let Some(lang) = &doc.language
            && !(lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return Err(AdapterError::schema(
                format!("{path}.language"),
                "must be a two-letter ISO 639-1 code in lower case, e.g. da",
            ));
        }
    }

    if let Some(reply) = &message.reply
        && reply.by.is_some()
        && !reply.allowed
    {
        return Err(AdapterError::schema(
            "reply.by",
            "a reply deadline needs reply.allowed = true",
        ));
    }
    let refs = &message.references;
    for (name, value) in [
        ("references.conversation", &refs.conversation),
        ("references.case", &refs.case),
        ("references.sender_reference", &refs.sender_reference),
        ("references.invoice", &refs.invoice),
        ("references.in_reply_to", &refs.in_reply_to),
    ] {
        text(name, value.as_deref(), MAX_TEXT_CHARS)?;
    }
    Ok(())
}

fn validate_recipient(path: &str, r: &Recipient, channel: Channel) -> Result<(), AdapterError> {
    if r.id.is_none() && r.postbox.is_none() && r.address.is_none() {
        return Err(AdapterError::schema(
            path,
            "needs an id, a postbox or a postal address",
        ));
    }
    if let Some(id) = &r.id
        && id.country().is_none()
    {
        return Err(AdapterError::schema(
            format!("{path}.id"),
            format!("{id} names no country Borderpost delivers to"),
        ));
    }
    if channel == Channel::PrintOnly && r.address.is_none() {
        return Err(AdapterError::schema(
            format!("{path}.address"),
            "print needs a postal address",
        ));
    }
    text(&format!("{path}.name"), r.name.as_deref(), MAX_TEXT_CHARS)?;
    if let Some(postbox) = &r.postbox {
        text(
            &format!("{path}.postbox.address"),
            Some(&postbox.address),
            100,
        )?;
    }
    if let Some(address) = &r.address {
        if address.lines.is_empty() || address.lines.len() > 6 {
            return Err(AdapterError::schema(
                format!("{path}.address.lines"),
                "1 to 6 lines",
            ));
        }
        for (i, line) in address.lines.iter().enumerate() {
            text(&format!("{path}.address.lines[{i}]"), Some(line), 100)?;
        }
        text(
            &format!("{path}.address.postcode"),
            address.postcode.as_deref(),
            20,
        )?;
        text(&format!("{path}.address.city"), address.city.as_deref(), 80)?;
        if !(address.country.len() == 2 && address.country.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(AdapterError::schema(
                format!("{path}.address.country"),
                "must be an ISO 3166-1 alpha-2 code in upper case, e.g. DK",
            ));
        }
    }
    Ok(())
}

/// A text field: within `max` characters, no control characters other than
/// tab and line breaks, nothing XML cannot carry.
fn text(path: &str, value: Option<&str>, max: usize) -> Result<(), AdapterError> {
    let Some(value) = value else { return Ok(()) };
    let count = value.chars().count();
    if count > max {
        return Err(AdapterError::schema(
            path,
            format!("{count} characters, at most {max}"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| !is_xml_char(c) || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(AdapterError::schema(
            path,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 127
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let essence = s.split(';').next().unwrap_or("").trim();
    matches!(essence.split_once('/'), Some((a, b)) if token(a) && token(b))
}

/// A fresh id for a message that arrived without one.
pub fn new_id() -> Uuid {
    Uuid::new_v4()
}

#[cfg(test)]
mod tests;
