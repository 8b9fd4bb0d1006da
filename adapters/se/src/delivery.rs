//! The v3 delivery as typed data: what `m3:Delivery` holds, read from and
//! written to the namespace-resolved tree, with the schema's order,
//! cardinalities, lengths, patterns and enumerations checked
//! (`contracts-v3/schema/v3/Message.xsd` and the v1/v2 types it reuses).
//!
//! Identifiers are checked beyond the XSD: its `RecipientId` pattern admits
//! numbers whose Luhn check digit is wrong (the public mock ids
//! `192301010168` and `190101010159` are such), so every `Sender/Id` and
//! `Recipient` is also validated by the national rule.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::xml::{Element, Node};
use borderpost_core::{AdapterError, IdError, PartyId, Scheme};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::ns::{M1, M2, M3, OFFICIAL_MATTER, SENDER};

/// The longest `Subject` (characters).
pub const MAX_SUBJECT: usize = 255;
/// The longest `Supportinfo/Text` (characters).
pub const MAX_SUPPORT_TEXT: usize = 1024;

/// `m3:Delivery` (`SecureDelivery`): one header, one or more messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `Header` (`m2:SecureDeliveryHeader`).
    pub header: DeliveryHeader,
    /// `Message`, one or more.
    pub messages: Vec<SecureMessage>,
}

/// `SecureDeliveryHeader`: who sends to whom (exactly one recipient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryHeader {
    /// `m2:Sender`.
    pub sender: Sender,
    /// `m2:Recipient`: a personnummer, samordningsnummer or `16` +
    /// organisationsnummer, checked.
    pub recipient: PartyId,
    /// `m2:Reference`.
    pub reference: Option<String>,
    /// `m2:CorrelationId`.
    pub correlation_id: Option<String>,
    /// `m2:Attention`.
    pub attention: Option<String>,
}

/// `snd:Sender`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// `Id`: the sending organisation (`16` + organisationsnummer on the
    /// wire), checked.
    pub id: PartyId,
    /// `Name`, 2–256 characters.
    pub name: String,
    /// `Attention`.
    pub attention: Option<String>,
}

/// `m3:Message` (`SecureMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureMessage {
    /// `Header`.
    pub header: MessageHeader,
    /// `Body`.
    pub body: MessageBody,
    /// `Attachment`, zero or more.
    pub attachments: Vec<Attachment>,
}

/// `m3:MessageHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHeader {
    /// `Id` (a string; Borderpost writes the copy's UUID).
    pub id: String,
    /// `Subject`, at most 255 characters.
    pub subject: String,
    /// `Supportinfo`: where the recipient gets help. Required.
    pub support_info: SupportInfo,
    /// `OfficialMatter`, kept as its (validated) subtree.
    pub official_matter: Option<Element>,
    /// `Metadata`, zero or more `{Tag, Value}`.
    pub metadata: Vec<Metadata>,
    /// `Language` (`xs:language`; the reference data writes `svSE`).
    pub language: String,
    /// `Reply`.
    pub reply: Option<ReplyOption>,
    /// `ReceiptRequest`.
    pub receipt_request: Option<ReceiptRequest>,
}

/// `m3:SupportInfo`: contact details shown with the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportInfo {
    /// `Text`, at most 1024 characters.
    pub text: String,
    /// `URL`, at most 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `PhoneNumber`, at most 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `EmailAdress` (sic), 5–256 characters, `.+@.+\..+`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `m1:MetaData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// `Tag`.
    pub tag: String,
    /// `Value`.
    pub value: String,
}

/// `reply:ReplyOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyOption {
    /// `REQUESTED`: the sender asks for a reply.
    #[serde(rename = "REQUESTED")]
    Requested,
    /// `ACCEPTED`: the recipient may reply.
    #[serde(rename = "ACCEPTED")]
    Accepted,
    /// `NOT_ALLOWED`.
    #[serde(rename = "NOT_ALLOWED")]
    NotAllowed,
}

/// `receipt:ReceiptOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptRequest {
    /// `NOT`.
    #[serde(rename = "NOT")]
    Not,
    /// `SIMPLE`.
    #[serde(rename = "SIMPLE")]
    Simple,
    /// `SIGNED`.
    #[serde(rename = "SIGNED")]
    Signed,
}

/// `m1:MessageBody`.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageBody {
    /// `ContentType`: `text/plain` or `text/html`.
    pub content_type: String,
    /// `Body`, decoded from base64.
    pub body: Vec<u8>,
}

/// `m1:Attachment`: all four parts are required.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// `ContentType`.
    pub content_type: String,
    /// `Body`, decoded from base64.
    pub body: Vec<u8>,
    /// `Checksum` as written (see [`crate::checksum`]).
    pub checksum: String,
    /// `Filename`.
    pub filename: String,
}

// === impl ReplyOption / ReceiptRequest ===

impl ReplyOption {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyOption::Requested => "REQUESTED",
            ReplyOption::Accepted => "ACCEPTED",
            ReplyOption::NotAllowed => "NOT_ALLOWED",
        }
    }

    fn parse(s: &str) -> Option<ReplyOption> {
        [
            ReplyOption::Requested,
            ReplyOption::Accepted,
            ReplyOption::NotAllowed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

impl ReceiptRequest {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptRequest::Not => "NOT",
            ReceiptRequest::Simple => "SIMPLE",
            ReceiptRequest::Signed => "SIGNED",
        }
    }

    fn parse(s: &str) -> Option<ReceiptRequest> {
        [
            ReceiptRequest::Not,
            ReceiptRequest::Simple,
            ReceiptRequest::Signed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

impl std::fmt::Debug for MessageBody {
    // Content is personal data: never dump it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBody")
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("checksum", &self.checksum)
            .field("filename", &self.filename)
            .finish()
    }
}

// === identifiers ===

/// A `RecipientId` as written: `16` + organisationsnummer, or a 12-digit
/// personnummer or samordningsnummer. The XSD pattern first (it has the
/// last word on the form), then the national rule with its Luhn digit.
pub fn parse_recipient_id(raw: &str, path: &str, today: Date) -> Result<PartyId, AdapterError> {
    let invalid = |error: IdError| AdapterError::InvalidId {
        path: path.to_owned(),
        error,
    };
    if !matches_recipient_pattern(raw) {
        return Err(invalid(IdError::Format(
            "a RecipientId is 16 + 10 digits, or a 12-digit personnummer or samordningsnummer"
                .to_owned(),
        )));
    }
    if raw.starts_with("16") {
        PartyId::parse(Scheme::SeOrgnr, raw).map_err(invalid)
    } else {
        PartyId::parse_on(Scheme::SePnr, raw, today).map_err(invalid)
    }
}

/// The XSD's `RecipientId` pattern: `(16\d{10})|((18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{4})|((18|19|20)\d{2}(0[1-9]|1[0-2])(\d{2})\d{4})`.
/// (Its third branch admits any day pair, which is how samordningsnummer,
/// day + 60, pass.)
pub fn matches_recipient_pattern(raw: &str) -> bool {
    let b = raw.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if raw.starts_with("16") {
        return true;
    }
    let century_ok = matches!(&raw[..2], "18" | "19" | "20");
    let month: u32 = raw[4..6].parse().unwrap_or(0);
    century_ok && (1..=12).contains(&month)
}

/// The wire form of a Swedish identifier: `16` + organisationsnummer, or
/// the 12-digit personnummer. `None` for any other scheme.
pub fn wire_id(id: &PartyId) -> Option<String> {
    let national = id.national();
    match national.scheme() {
        Scheme::SeOrgnr => Some(format!("16{}", national.value())),
        Scheme::SePnr => Some(national.value().to_owned()),
        _ => None,
    }
}

// === reading ===

/// Reads `m3:Delivery`. `today` resolves nothing here (the wire carries
/// 12-digit identifiers) but keeps identifier parsing off the clock.
pub fn read(delivery: &Element, today: Date) -> Result<Delivery, AdapterError> {
    expect(delivery, M3, "Delivery", "Delivery")?;
    let mut c = Children::of(delivery, "Delivery")?;
    let header = read_header(c.one(M3, "Header")?, today)?;
    let messages = c
        .many(M3, "Message")
        .into_iter()
        .map(read_message)
        .collect::<Result<Vec<_>, _>>()?;
    if messages.is_empty() {
        return Err(schema("Delivery", "at least one Message is required"));
    }
    c.end()?;
    Ok(Delivery { header, messages })
}

fn read_header(e: &Element, today: Date) -> Result<DeliveryHeader, AdapterError> {
    let path = "Delivery/Header";
    let mut c = Children::of(e, path)?;
    let sender = c.one(M2, "Sender")?;
    let sender = {
        let path = "Delivery/Header/Sender";
        let mut s = Children::of(sender, path)?;
        let id_path = "Delivery/Header/Sender/Id";
        let id = parse_recipient_id(&leaf(s.one(SENDER, "Id")?, id_path)?, id_path, today)?;
        if id.scheme() != Scheme::SeOrgnr {
            return Err(AdapterError::InvalidId {
                path: id_path.to_owned(),
                error: IdError::Format(
                    "a sender is an organisation: 16 + organisationsnummer".to_owned(),
                ),
            });
        }
        let name = leaf(s.one(SENDER, "Name")?, "Delivery/Header/Sender/Name")?;
        length("Delivery/Header/Sender/Name", &name, 2, 256)?;
        let attention = s
            .opt(SENDER, "Attention")
            .map(|a| leaf(a, "Delivery/Header/Sender/Attention"))
            .transpose()?;
        s.end()?;
        Sender {
            id,
            name,
            attention,
        }
    };
    let recipient_path = "Delivery/Header/Recipient";
    let recipient = parse_recipient_id(
        &leaf(c.one(M2, "Recipient")?, recipient_path)?,
        recipient_path,
        today,
    )?;
    if c.peek_is(M2, "Recipient") {
        return Err(schema(
            recipient_path,
            "a secure delivery has exactly one recipient",
        ));
    }
    let reference = c.opt_leaf(M2, "Reference", "Delivery/Header/Reference")?;
    let correlation_id = c.opt_leaf(M2, "CorrelationId", "Delivery/Header/CorrelationId")?;
    let attention = c.opt_leaf(M2, "Attention", "Delivery/Header/Attention")?;
    c.end()?;
    Ok(DeliveryHeader {
        sender,
        recipient,
        reference,
        correlation_id,
        attention,
    })
}

fn read_message(e: &Element) -> Result<SecureMessage, AdapterError> {
    let mut c = Children::of(e, "Message")?;
    let header = read_message_header(c.one(M3, "Header")?)?;
    let body = {
        let path = "Message/Body";
        let mut b = Children::of(c.one(M3, "Body")?, path)?;
        let content_type = leaf(b.one(M1, "ContentType")?, "Message/Body/ContentType")?;
        let body = base64(b.one(M1, "Body")?, "Message/Body/Body")?;
        b.end()?;
        MessageBody { content_type, body }
    };
    let mut attachments = Vec::new();
    for (i, a) in c.many(M3, "Attachment").into_iter().enumerate() {
        let path = format!("Message/Attachment[{i}]");
        let mut a = Children::of(a, &path)?;
        let content_type = leaf(a.one(M1, "ContentType")?, &path)?;
        let body = base64(a.one(M1, "Body")?, &path)?;
        let checksum = leaf(a.one(M1, "Checksum")?, &path)?;
        let filename = leaf(a.one(M1, "Filename")?, &path)?;
        a.end()?;
        attachments.push(Attachment {
            content_type,
            body,
            checksum,
            filename,
        });
    }
    c.end()?;
    Ok(SecureMessage {
        header,
        body,
        attachments,
    })
}

fn read_message_header(e: &Element) -> Result<MessageHeader, AdapterError> {
    let path = "Message/Header";
    let mut c = Children::of(e, path)?;
    let id = leaf(c.one(M3, "Id")?, "Message/Header/Id")?;
    let subject = leaf(c.one(M3, "Subject")?, "Message/Header/Subject")?;
    length("Message/Header/Subject", &subject, 0, MAX_SUBJECT)?;
    let support_info = read_support_info(c.one(M3, "Supportinfo")?)?;
    let official_matter = c.opt(M3, "OfficialMatter").cloned();
    if let Some(om) = &official_matter {
        check_official_matter(om)?;
    }
    let mut metadata = Vec::new();
    for m in c.many(M3, "Metadata") {
        let mut mc = Children::of(m, "Message/Header/Metadata")?;
        let tag = leaf(mc.one(M1, "Tag")?, "Message/Header/Metadata/Tag")?;
        let value = leaf(mc.one(M1, "Value")?, "Message/Header/Metadata/Value")?;
        mc.end()?;
        metadata.push(Metadata { tag, value });
    }
    let language = leaf(c.one(M3, "Language")?, "Message/Header/Language")?;
    if !is_xs_language(&language) {
        return Err(schema(
            "Message/Header/Language",
            "not an xs:language (letters, 1–8, then -subtags)",
        ));
    }
    let reply = c
        .opt_leaf(M3, "Reply", "Message/Header/Reply")?
        .map(|r| {
            ReplyOption::parse(&r).ok_or_else(|| {
                schema(
                    "Message/Header/Reply",
                    "REQUESTED, ACCEPTED or NOT_ALLOWED expected",
                )
            })
        })
        .transpose()?;
    let receipt_request = c
        .opt_leaf(M3, "ReceiptRequest", "Message/Header/ReceiptRequest")?
        .map(|r| {
            ReceiptRequest::parse(&r).ok_or_else(|| {
                schema(
                    "Message/Header/ReceiptRequest",
                    "NOT, SIMPLE or SIGNED expected",
                )
            })
        })
        .transpose()?;
    c.end()?;
    Ok(MessageHeader {
        id,
        subject,
        support_info,
        official_matter,
        metadata,
        language,
        reply,
        receipt_request,
    })
}

fn read_support_info(e: &Element) -> Result<SupportInfo, AdapterError> {
    let path = "Message/Header/Supportinfo";
    let mut c = Children::of(e, path)?;
    let text = leaf(c.one(M3, "Text")?, path)?;
    let url = c.opt_leaf(M3, "URL", path)?;
    let phone_number = c.opt_leaf(M3, "PhoneNumber", path)?;
    let email = c.opt_leaf(M3, "EmailAdress", path)?;
    c.end()?;
    let info = SupportInfo {
        text,
        url,
        phone_number,
        email,
    };
    check_support_info(&info, path)?;
    Ok(info)
}

/// The `SupportInfo` facets: lengths and the e-mail pattern.
pub fn check_support_info(info: &SupportInfo, path: &str) -> Result<(), AdapterError> {
    length(&format!("{path}/Text"), &info.text, 0, MAX_SUPPORT_TEXT)?;
    if let Some(url) = &info.url {
        length(&format!("{path}/URL"), url, 0, 255)?;
        if url.chars().any(char::is_whitespace) {
            return Err(schema(format!("{path}/URL"), "a URL has no spaces"));
        }
    }
    if let Some(phone) = &info.phone_number {
        length(&format!("{path}/PhoneNumber"), phone, 0, 255)?;
    }
    if let Some(email) = &info.email {
        length(&format!("{path}/EmailAdress"), email, 5, 256)?;
        // `.+@.+\..+`: something, @, something, a dot, something.
        let ok = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain
                    .get(1..)
                    .is_some_and(|d| d.contains('.') && !d.ends_with('.'))
        });
        if !ok {
            return Err(schema(
                format!("{path}/EmailAdress"),
                "an e-mail address (.+@.+\\..+) expected",
            ));
        }
    }
    Ok(())
}

/// `OfficialMatter`: either one `OfficialMatterExtension`, or elements of
/// other namespaces (kept unexamined, as the schema's `lax` wildcard says).
fn check_official_matter(e: &Element) -> Result<(), AdapterError> {
    let path = "Message/Header/OfficialMatter";
    let c = Children::of(e, path)?;
    let items = c.items;
    match items.as_slice() {
        [ext] if ext.is(M3, "OfficialMatterExtension") => check_extension(ext),
        others => {
            if others
                .iter()
                .any(|o| o.ns.is_none() || o.ns.as_deref() == Some(M3))
            {
                return Err(schema(
                    path,
                    "one OfficialMatterExtension, or elements of other namespaces",
                ));
            }
            Ok(())
        }
    }
}

fn check_extension(e: &Element) -> Result<(), AdapterError> {
    let path = "Message/Header/OfficialMatter/OfficialMatterExtension";
    let mut c = Children::of(e, path)?;
    let timestamp = leaf(
        c.one(OFFICIAL_MATTER, "Timestamp")?,
        &format!("{path}/Timestamp"),
    )?;
    parse_xs_date(&timestamp).ok_or_else(|| schema(format!("{path}/Timestamp"), "xs:date"))?;
    while c
        .peek()
        .is_some_and(|n| n.ns.is_some() && n.ns.as_deref() != Some(OFFICIAL_MATTER))
    {
        c.pos += 1;
    }
    if let Some(identity) = c.opt(OFFICIAL_MATTER, "Identity") {
        let ipath = format!("{path}/Identity");
        let mut ic = Children::of(identity, &ipath)?;
        for name in ["EventId", "OfficialMatterId", "PrecedingEventId"] {
            if let Some(v) = ic.opt_leaf(OFFICIAL_MATTER, name, &ipath)? {
                length(&format!("{ipath}/{name}"), &v, 0, 255)?;
            }
        }
        ic.end()?;
    }
    for name in ["MatterSubject", "EventType"] {
        if let Some(v) = c.opt_leaf(OFFICIAL_MATTER, name, path)? {
            length(&format!("{path}/{name}"), &v, 0, 2000)?;
        }
    }
    if let Some(status) = c.opt_leaf(OFFICIAL_MATTER, "MatterStatus", path)?
        && !matches!(
            status.as_str(),
            "senderinitiative" | "recipientinitiative" | "closed"
        )
    {
        return Err(schema(
            format!("{path}/MatterStatus"),
            "senderinitiative, recipientinitiative or closed expected",
        ));
    }
    c.end()
}

/// `Identity/OfficialMatterId` of a checked `OfficialMatter`, if any.
pub fn official_matter_id(om: &Element) -> Option<String> {
    om.child(M3, "OfficialMatterExtension")?
        .child(OFFICIAL_MATTER, "Identity")?
        .child(OFFICIAL_MATTER, "OfficialMatterId")
        .map(Element::text)
}

/// `OfficialMatterExtension/Timestamp` of a checked `OfficialMatter`.
pub fn official_matter_timestamp(om: &Element) -> Option<Date> {
    let text = om
        .child(M3, "OfficialMatterExtension")?
        .child(OFFICIAL_MATTER, "Timestamp")?
        .text();
    parse_xs_date(&text)
}

/// Re-checks an `OfficialMatter` subtree that arrived from elsewhere (an
/// extension of a canonical message).
pub fn check_official_matter_element(e: &Element) -> Result<(), AdapterError> {
    expect(e, M3, "OfficialMatter", "OfficialMatter")?;
    check_official_matter(e)
}

// === writing ===

/// `delivery` as an `m3:Delivery` element.
pub fn to_element(delivery: &Delivery) -> Result<Element, AdapterError> {
    let h = &delivery.header;
    let sender_id = wire_id(&h.sender.id).ok_or_else(|| {
        schema(
            "Delivery/Header/Sender/Id",
            "a Swedish organisationsnummer is required",
        )
    })?;
    let recipient = wire_id(&h.recipient).ok_or_else(|| AdapterError::Recipient {
        detail: "Mina meddelanden addresses se-pnr or se-orgnr only".to_owned(),
    })?;
    let mut sender = el(M2, "Sender");
    push(&mut sender, leaf_el(SENDER, "Id", &sender_id));
    push(&mut sender, leaf_el(SENDER, "Name", &h.sender.name));
    if let Some(a) = &h.sender.attention {
        push(&mut sender, leaf_el(SENDER, "Attention", a));
    }
    let mut header = el(M3, "Header");
    push(&mut header, sender);
    push(&mut header, leaf_el(M2, "Recipient", &recipient));
    for (name, value) in [
        ("Reference", &h.reference),
        ("CorrelationId", &h.correlation_id),
        ("Attention", &h.attention),
    ] {
        if let Some(v) = value {
            push(&mut header, leaf_el(M2, name, v));
        }
    }
    let mut root = el(M3, "Delivery");
    push(&mut root, header);
    for message in &delivery.messages {
        push(&mut root, message_element(message));
    }
    Ok(root)
}

fn message_element(m: &SecureMessage) -> Element {
    let h = &m.header;
    let mut header = el(M3, "Header");
    push(&mut header, leaf_el(M3, "Id", &h.id));
    push(&mut header, leaf_el(M3, "Subject", &h.subject));
    let mut support = el(M3, "Supportinfo");
    push(&mut support, leaf_el(M3, "Text", &h.support_info.text));
    for (name, value) in [
        ("URL", &h.support_info.url),
        ("PhoneNumber", &h.support_info.phone_number),
        ("EmailAdress", &h.support_info.email),
    ] {
        if let Some(v) = value {
            push(&mut support, leaf_el(M3, name, v));
        }
    }
    push(&mut header, support);
    if let Some(om) = &h.official_matter {
        push(&mut header, om.clone());
    }
    for meta in &h.metadata {
        let mut m = el(M3, "Metadata");
        push(&mut m, leaf_el(M1, "Tag", &meta.tag));
        push(&mut m, leaf_el(M1, "Value", &meta.value));
        push(&mut header, m);
    }
    push(&mut header, leaf_el(M3, "Language", &h.language));
    if let Some(r) = h.reply {
        push(&mut header, leaf_el(M3, "Reply", r.as_str()));
    }
    if let Some(r) = h.receipt_request {
        push(&mut header, leaf_el(M3, "ReceiptRequest", r.as_str()));
    }
    let mut message = el(M3, "Message");
    push(&mut message, header);
    let mut body = el(M3, "Body");
    push(&mut body, leaf_el(M1, "ContentType", &m.body.content_type));
    push(
        &mut body,
        leaf_el(M1, "Body", &STANDARD.encode(&m.body.body)),
    );
    push(&mut message, body);
    for a in &m.attachments {
        let mut att = el(M3, "Attachment");
        push(&mut att, leaf_el(M1, "ContentType", &a.content_type));
        push(&mut att, leaf_el(M1, "Body", &STANDARD.encode(&a.body)));
        push(&mut att, leaf_el(M1, "Checksum", &a.checksum));
        push(&mut att, leaf_el(M1, "Filename", &a.filename));
        push(&mut message, att);
    }
    message
}

/// `delivery` as a standalone `m3:Delivery` document in normal form: the
/// unsigned content (what `SignedDelivery` signs).
pub fn to_document(delivery: &Delivery) -> Result<String, AdapterError> {
    Ok(crate::normal::document(&to_element(delivery)?))
}

/// A new element `{ns}name`.
pub(crate) fn el(ns: &str, name: &str) -> Element {
    Element::new(Some(ns), name)
}

/// `{ns}name` holding `text`.
pub(crate) fn leaf_el(ns: &str, name: &str, text: &str) -> Element {
    let mut e = el(ns, name);
    if !text.is_empty() {
        e.children.push(Node::Text(text.to_owned()));
    }
    e
}

pub(crate) fn push(parent: &mut Element, child: Element) {
    parent.children.push(Node::Element(child));
}

// === shared checks ===

/// The child elements of an element with element-only content, read in
/// schema order.
pub(crate) struct Children<'a> {
    items: Vec<&'a Element>,
    pos: usize,
    path: String,
}

impl<'a> Children<'a> {
    /// Refuses text (other than layout whitespace) directly inside `e`.
    pub(crate) fn of(e: &'a Element, path: &str) -> Result<Children<'a>, AdapterError> {
        if e.has_text() {
            return Err(schema(path, "text where only elements are allowed"));
        }
        if let Some(a) = e.attrs.first() {
            return Err(schema(
                path,
                format!("unexpected attribute {}", truncate(&a.name, 64)),
            ));
        }
        Ok(Children {
            items: e.elements().collect(),
            pos: 0,
            path: path.to_owned(),
        })
    }

    fn peek(&self) -> Option<&'a Element> {
        self.items.get(self.pos).copied()
    }

    /// The next element, whatever it is.
    pub(crate) fn next(&mut self) -> Option<&'a Element> {
        let e = self.peek()?;
        self.pos += 1;
        Some(e)
    }

    pub(crate) fn peek_is(&self, ns: &str, name: &str) -> bool {
        self.peek().is_some_and(|e| e.is(ns, name))
    }

    pub(crate) fn one(&mut self, ns: &str, name: &str) -> Result<&'a Element, AdapterError> {
        match self.peek() {
            Some(e) if e.is(ns, name) => {
                self.pos += 1;
                Ok(e)
            }
            Some(other) => Err(schema(
                &self.path,
                format!("{name} expected, found {}", describe(other)),
            )),
            None => Err(schema(&self.path, format!("{name} is missing"))),
        }
    }

    pub(crate) fn opt(&mut self, ns: &str, name: &str) -> Option<&'a Element> {
        if self.peek_is(ns, name) {
            self.pos += 1;
            self.items.get(self.pos - 1).copied()
        } else {
            None
        }
    }

    pub(crate) fn opt_leaf(
        &mut self,
        ns: &str,
        name: &str,
        path: &str,
    ) -> Result<Option<String>, AdapterError> {
        self.opt(ns, name)
            .map(|e| leaf(e, &format!("{path}/{name}")))
            .transpose()
    }

    pub(crate) fn many(&mut self, ns: &str, name: &str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        while let Some(e) = self.opt(ns, name) {
            out.push(e);
        }
        out
    }

    pub(crate) fn end(&self) -> Result<(), AdapterError> {
        match self.peek() {
            None => Ok(()),
            Some(other) => Err(schema(
                &self.path,
                format!("unexpected {}", describe(other)),
            )),
        }
    }
}

fn describe(e: &Element) -> String {
    format!(
        "<{}> in {}",
        truncate(&e.name, 64),
        e.ns.as_deref()
            .map_or_else(|| "no namespace".to_owned(), |ns| truncate(ns, 100))
    )
}

/// The first `max` characters of `s`, for quoting untrusted input in
/// errors.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Checks that `e` is `{ns}name`.
pub(crate) fn expect(e: &Element, ns: &str, name: &str, path: &str) -> Result<(), AdapterError> {
    if e.is(ns, name) {
        Ok(())
    } else {
        Err(schema(
            path,
            format!("{name} expected, found {}", describe(e)),
        ))
    }
}

/// The text of an element that may hold only text.
pub(crate) fn leaf(e: &Element, path: &str) -> Result<String, AdapterError> {
    if e.elements().next().is_some() {
        return Err(schema(path, "holds elements where text is expected"));
    }
    Ok(e.text())
}

/// `xs:base64Binary`: whitespace is allowed between the characters.
pub(crate) fn base64(e: &Element, path: &str) -> Result<Vec<u8>, AdapterError> {
    let text: String = leaf(e, path)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(text)
        .map_err(|_| schema(path, "not base64"))
}

/// Length facets, counted in characters as XSD counts them.
pub(crate) fn length(path: &str, value: &str, min: usize, max: usize) -> Result<(), AdapterError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(schema(path, format!("{n} characters; {min}–{max} allowed")));
    }
    Ok(())
}

/// `xs:language`: `[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*`.
pub fn is_xs_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `xs:date`: `YYYY-MM-DD`, optionally followed by `Z` or `±hh:mm` (the
/// zone is read and dropped: a date stays the date written).
pub fn parse_xs_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let date = s.get(..10)?;
    let zone = &s[10..];
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone[1..3]
                .bytes()
                .chain(zone[4..].bytes())
                .all(|b| b.is_ascii_digit()));
    if !zone_ok {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(date, &format).ok()
}

/// `date` as `xs:date` (`YYYY-MM-DD`).
pub fn format_xs_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

pub(crate) fn schema(path: impl Into<String>, detail: impl Into<String>) -> AdapterError {
    AdapterError::schema(path, detail)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn xs_dates_and_languages() {
        assert_eq!(parse_xs_date("2020-05-28"), Some(date!(2020 - 05 - 28)));
        assert_eq!(parse_xs_date("2020-05-28Z"), Some(date!(2020 - 05 - 28)));
        assert_eq!(
            parse_xs_date("2020-05-28+02:00"),
            Some(date!(2020 - 05 - 28))
        );
        for bad in [
            "2020-5-28",
            "2020-05-28T00:00",
            "2020-02-30",
            "2020-05-28+2",
            "",
        ] {
            assert_eq!(parse_xs_date(bad), None, "{bad}");
        }
        assert_eq!(format_xs_date(date!(2020 - 05 - 08)), "2020-05-08");
        for good in ["sv", "svSE", "sv-SE", "en-GB-oxendict", "i-klingon"] {
            assert!(is_xs_language(good), "{good}");
        }
        for bad in ["", "sv_SE", "toolonglang", "sv-", "-SE", "sv-SE-toolongsub"] {
            assert!(!is_xs_language(bad), "{bad}");
        }
    }

    #[test]
    fn the_recipient_id_pattern() {
        for good in [
            "162021004748",
            "198112189876",
            "197010632391",
            "200001102391",
        ] {
            assert!(matches_recipient_pattern(good), "{good}");
        }
        // 17xx century, month 13, a personnummer month of 20+, 11 digits.
        for bad in [
            "178112189876",
            "198113189876",
            "195620360793",
            "19811218987",
            "16202100474８",
        ] {
            assert!(!matches_recipient_pattern(bad), "{bad}");
        }
        let today = date!(2026 - 01 - 15);
        assert_eq!(
            parse_recipient_id("162021004748", "x", today)
                .unwrap()
                .to_string(),
            "se-orgnr:2021004748"
        );
        assert_eq!(
            wire_id(&"iso6523:0007:2021004748".parse().unwrap()).as_deref(),
            Some("162021004748")
        );
        assert_eq!(wire_id(&"dk-cvr:55133018".parse().unwrap()), None);
    }

    #[test]
    fn support_info_facets() {
        let mut info = SupportInfo {
            text: "x".repeat(MAX_SUPPORT_TEXT),
            url: Some("https://example.se/hjälp".to_owned()),
            phone_number: Some("+46 8 123 45".to_owned()),
            email: Some("a@b.se".to_owned()),
        };
        check_support_info(&info, "p").unwrap();
        info.text.push('x');
        assert!(check_support_info(&info, "p").is_err());
        info.text.pop();
        for bad in ["a@b", "@b.se", "a@.se", "a@b.", "ab.se"] {
            info.email = Some(bad.to_owned());
            assert!(check_support_info(&info, "p").is_err(), "{bad}");
        }
    }
}
