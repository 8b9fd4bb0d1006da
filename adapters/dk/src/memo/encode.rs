//! Canonical → MeMo 1.1 or 1.2, for one recipient.
//!
//! What MeMo cannot carry becomes a [`Loss`]; free text that is too long is
//! cut (with a loss), while identifiers, references, file names and
//! structure that do not fit are errors — cutting those would change what
//! they point at. Kept `dk-memo` fragments are parsed and re-checked before
//! they are written, because the extension may come from a canonical-JSON
//! sender rather than from our own decoder.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::xml::{Element, Node, XmlWriter};
use borderpost_core::{
    AdapterError, Channel, EffectiveAt, EncodeContext, Encoded, Loss, Message, MessageKind,
    PartyId, Recipient,
};
use time::{OffsetDateTime, UtcOffset};

use super::MemoVersion;
use super::ext::{self, DocumentGroup, DocumentKind, MemoExtension, Restored};
use super::xsd::{self, MEMO};
use crate::ids;
use crate::rules;
use crate::schema::{self, V1_0, V1_1, V1_2, Versions};

/// The media type of a MeMo document.
pub const MEDIA_TYPE: &str = "application/xml";

/// `memoTextType`'s limit.
const TEXT_MAX: usize = 256;
/// `memoNotificationType`'s limit.
const NOTIFICATION_MAX: usize = 150;

/// Encodes `message` for `to` in `version`.
pub(crate) fn encode(
    version: MemoVersion,
    message: &Message,
    to: &Recipient,
    ctx: &EncodeContext<'_>,
) -> Result<Encoded, AdapterError> {
    let uuid = ctx.message_id.hyphenated().to_string();
    if !schema::is_uuid4(&uuid) {
        return Err(AdapterError::schema(
            "messageUUID",
            format!(
                "MeMo needs a UUID of version 4 as the message id; {uuid} is version {}",
                ctx.message_id.get_version_num()
            ),
        ));
    }
    let ext = match message.extensions.get(ext::FAMILY) {
        Some(value) => MemoExtension::from_json(value)?,
        None => MemoExtension::default(),
    };
    let target = match version {
        MemoVersion::V1_1 => V1_1,
        MemoVersion::V1_2 => V1_2,
    };
    let source = match ext.memo_version.as_deref() {
        None => target,
        Some("1.0") => V1_0,
        Some("1.1") => V1_1,
        Some("1.2") => V1_2,
        Some(other) => {
            return Err(AdapterError::schema(
                format!("extensions.{}.memoVersion", ext::FAMILY),
                format!("{:?} is not 1.0, 1.1 or 1.2", schema::truncate(other, 20)),
            ));
        }
    };
    let mut encoder = Encoder {
        version: target,
        source,
        message,
        to,
        ext,
        losses: Vec::new(),
        w: XmlWriter::with_indent(true),
    };
    encoder.message(&uuid)?;
    let Encoder { w, losses, .. } = encoder;
    Ok(Encoded::single(
        "body",
        MEDIA_TYPE,
        w.finish().into_bytes(),
        losses,
    ))
}

struct Encoder<'a> {
    version: Versions,
    source: Versions,
    message: &'a Message,
    to: &'a Recipient,
    ext: MemoExtension,
    losses: Vec<Loss>,
    w: XmlWriter,
}

/// `extensions.dk-memo.<name>`, for errors and losses.
fn ext_path(name: &str) -> String {
    format!("extensions.{}.{name}", ext::FAMILY)
}

impl Encoder<'_> {
    fn loss(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.losses.push(Loss {
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// Free text cut to `max` characters, with a loss if it was cut.
    fn fit(&mut self, field: &str, value: &str, max: usize) -> String {
        let n = value.chars().count();
        if n <= max {
            return value.to_owned();
        }
        self.loss(
            field,
            format!("{n} characters; MeMo takes {max}, so the text was cut there"),
        );
        value.chars().take(max).collect()
    }

    fn message(&mut self, uuid: &str) -> Result<(), AdapterError> {
        let m = self.message;
        let mut attrs: Vec<(String, String)> = ext::prefixes().declarations();
        attrs.push((
            "memoVersion".to_owned(),
            if self.version == V1_2 { "1.2" } else { "1.1" }.to_owned(),
        ));
        if self.version == V1_1 {
            attrs.push(("memoSchVersion".to_owned(), "1.1.0".to_owned()));
        }
        let attrs: Vec<(&str, &str)> = attrs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.w.start("memo:Message", &attrs);
        self.header(uuid)?;
        match m.kind {
            MessageKind::Letter => self.body()?,
            MessageKind::Sms => {
                if !m.documents.is_empty() {
                    return Err(AdapterError::schema(
                        "documents",
                        "a NemSMS carries no documents",
                    ));
                }
                // From a MeMo NEMSMS, `created` is Borderpost's intake
                // time, not the sender's: nothing of theirs is lost.
                if self.ext.memo_version.is_none() {
                    self.loss(
                        "created",
                        "a NEMSMS message has no MessageBody, so no createdDateTime",
                    );
                }
            }
        }
        self.w.end();
        self.unsupported();
        Ok(())
    }

    /// Losses for canonical fields MeMo has no place for.
    fn unsupported(&mut self) {
        let m = self.message;
        if m.security_level.is_some() {
            self.loss(
                "security_level",
                "MeMo has no login level: Digital Post decides how recipients log in",
            );
        }
        if m.read_receipt {
            self.loss("read_receipt", "Digital Post sends no read receipts");
        }
        let refs = &m.references;
        for (field, value) in [
            ("references.conversation", &refs.conversation),
            ("references.invoice", &refs.invoice),
            ("references.in_reply_to", &refs.in_reply_to),
        ] {
            if value.is_some() {
                self.loss(field, "MeMo has no field for it");
            }
        }
        if m.sender.unit.is_some() {
            self.loss("sender.unit", "MeMo has no field for a unit of the sender");
        }
        if m.channel == Channel::PrintOnly {
            self.loss(
                "channel",
                "the message is for print only, but was encoded for Digital Post",
            );
        }
        for family in m.extensions.0.keys() {
            if family != ext::FAMILY {
                self.loss(
                    format!("extensions.{family}"),
                    format!("MeMo cannot carry the fields kept for {family}"),
                );
            }
        }
    }

    fn header(&mut self, uuid: &str) -> Result<(), AdapterError> {
        let m = self.message;
        self.w.start("memo:MessageHeader", &[]);
        let message_type = match m.kind {
            MessageKind::Letter => "DIGITALPOST",
            MessageKind::Sms => "NEMSMS",
        };
        self.w.leaf("memo:messageType", message_type);
        self.w.leaf("memo:messageUUID", uuid);
        if let Some(reference) = &m.references.sender_reference {
            check_text(reference, "references.sender_reference")?;
            self.w.leaf("memo:messageID", reference);
        }
        if let Some(code) = &self.ext.message_code {
            check_text(code, &ext_path("messageCode"))?;
            self.w.leaf("memo:messageCode", code);
        }
        if m.subject.trim().is_empty() {
            return Err(AdapterError::schema("subject", "MeMo needs a label"));
        }
        let label = self.fit("subject", &m.subject, TEXT_MAX);
        self.w.leaf("memo:label", &label);
        match (&m.notification, m.kind) {
            (Some(text), _) => {
                let text = self.fit("notification", text, NOTIFICATION_MAX);
                self.w.leaf("memo:notification", &text);
            }
            (None, MessageKind::Sms) => {
                return Err(AdapterError::schema(
                    "notification",
                    "a NemSMS needs its text here",
                ));
            }
            (None, MessageKind::Letter) => {}
        }
        if let Some(text) = &self.ext.additional_notification {
            check_text(text, &ext_path("additionalNotification"))?;
            self.w.leaf("memo:additionalNotification", text);
        }
        let kept_by = match &self.ext.reply_by_date_time {
            Some(by) => {
                let path = ext_path("replyByDateTime");
                schema::check_simple(by, schema::Simple::DateTimeZ, &path)?;
                Some(by.clone())
            }
            None => None,
        };
        match m.reply {
            Some(reply) => {
                self.w
                    .leaf("memo:reply", if reply.allowed { "true" } else { "false" });
                let by = match reply.by {
                    Some(by) => Some(format_utc(by, "reply.by")?),
                    None if !reply.allowed => kept_by,
                    None => None,
                };
                self.w.opt_leaf("memo:replyByDateTime", by.as_deref());
            }
            None => {
                self.w.opt_leaf("memo:replyByDateTime", kept_by.as_deref());
            }
        }
        match m.effective_at {
            Some(EffectiveAt::Date(date)) => {
                self.w.leaf(
                    "memo:doNotDeliverUntilDate",
                    &format_date(date, "effective_at")?,
                );
            }
            Some(EffectiveAt::Instant(at)) => {
                let date = first_whole_danish_day(at);
                self.w.leaf(
                    "memo:doNotDeliverUntilDate",
                    &format_date(date, "effective_at")?,
                );
                self.loss(
                    "effective_at",
                    format!(
                        "MeMo doNotDeliverUntilDate is a date: {} became {date}, the first day that begins after it in Denmark, so the message is never shown early",
                        format_utc(at, "effective_at")?
                    ),
                );
            }
            None => {}
        }
        let flag = |b: bool| if b { "true" } else { "false" };
        self.w.leaf("memo:mandatory", flag(m.legal.mandatory_read));
        self.w
            .leaf("memo:legalNotification", flag(m.legal.legal_notification));
        if let Some(post_type) = &self.ext.post_type {
            check_text(post_type, &ext_path("postType"))?;
            self.w.leaf("memo:postType", post_type);
        }
        self.sender()?;
        self.recipient()?;
        self.content_data()?;
        self.forward_data()?;
        let replies = self.ext.reply_data.clone();
        for (i, reply) in replies.iter().enumerate() {
            let path = format!("{}[{i}]", ext_path("ReplyData"));
            if let Some(element) = self.restore(reply, &xsd::REPLY_DATA, &path)? {
                self.w.element(&element, &ext::prefixes());
            }
        }
        self.w.end();
        Ok(())
    }

    /// A kept fragment, checked for the target version; a fragment only
    /// the source version allows is dropped with a loss.
    fn restore(
        &mut self,
        text: &str,
        decl: &schema::Decl,
        path: &str,
    ) -> Result<Option<Element>, AdapterError> {
        match ext::restore(text, decl, self.version, self.source, path)? {
            Restored::Valid(element) => Ok(Some(element)),
            Restored::OtherVersion(_, reason) => {
                self.loss(
                    path,
                    format!("valid in the source's MeMo version but not in the target's: {reason}"),
                );
                Ok(None)
            }
        }
    }

    fn sender(&mut self) -> Result<(), AdapterError> {
        let sender = &self.message.sender;
        self.w.start("memo:Sender", &[]);
        let (value, id_type, label) = ids::encode(&sender.id);
        self.w.leaf("memo:senderID", &value);
        self.w.leaf("memo:idType", id_type);
        let kept = self.ext.sender.clone().unwrap_or_default();
        let label = match label {
            Some(label) => Some(label.to_owned()),
            None => kept.id_type_label.clone(),
        };
        if let Some(label) = &label {
            check_text(label, &ext_path("Sender.idTypeLabel"))?;
        }
        self.w.opt_leaf("memo:idTypeLabel", label.as_deref());
        let name = match &sender.name {
            Some(name) => self.fit("sender.name", name, TEXT_MAX),
            // DPI, for one, carries no sender name. MeMo requires a label,
            // which Digital Post shows the recipient: the identifier is
            // the truest label there is.
            None => {
                self.loss(
                    "sender.name",
                    "the message names no sender, and MeMo requires one (Sender/label): the sender's identifier was written as its name",
                );
                sender.id.to_string()
            }
        };
        self.w.leaf("memo:label", &name);
        self.party_fragments(&kept, "Sender")?;
        if let Some(rep) = &sender.representative {
            if self.version == V1_2 {
                self.w.start("memo:Representative", &[]);
                let (value, id_type, label) = ids::encode(&rep.id);
                self.w.leaf("memo:representativeID", &value);
                self.w.leaf("memo:idType", id_type);
                self.w.opt_leaf("memo:idTypeLabel", label);
                if let Some(name) = &rep.name {
                    let name = self.fit("sender.representative.name", name, TEXT_MAX);
                    self.w.leaf("memo:label", &name);
                }
                self.w.end();
            } else {
                self.loss(
                    "sender.representative",
                    "MeMo 1.1 has no Representative (it came with 1.2)",
                );
            }
        }
        self.w.end();
        Ok(())
    }

    fn party_fragments(
        &mut self,
        kept: &ext::PartyExtension,
        party: &str,
    ) -> Result<(), AdapterError> {
        for (text, decl, name) in [
            (&kept.attention_data, &xsd::ATTENTION_DATA, "AttentionData"),
            (&kept.contact_point, &xsd::CONTACT_POINT, "ContactPoint"),
        ] {
            if let Some(text) = text {
                let path = ext_path(&format!("{party}.{name}"));
                if let Some(element) = self.restore(text, decl, &path)? {
                    self.w.element(&element, &ext::prefixes());
                }
            }
        }
        Ok(())
    }

    fn recipient(&mut self) -> Result<(), AdapterError> {
        let to = self.to;
        let Some(id) = &to.id else {
            return Err(AdapterError::Recipient {
                detail: format!(
                    "MeMo addresses recipients by CPR, CVR or another identifier; {to} has none"
                ),
            });
        };
        self.w.start("memo:Recipient", &[]);
        let (value, id_type, label) = ids::encode(id);
        self.w.leaf("memo:recipientID", &value);
        self.w.leaf("memo:idType", id_type);
        // The kept parts belong to the recipient the message came for.
        let kept = self
            .ext
            .recipient
            .clone()
            .filter(|k| {
                k.id.as_deref()
                    .and_then(|s| s.parse::<PartyId>().ok())
                    .is_some_and(|kid| kid.same_party(id))
            })
            .unwrap_or_default();
        let label = match label {
            Some(label) => Some(label.to_owned()),
            None => kept.id_type_label.clone(),
        };
        if let Some(label) = &label {
            check_text(label, &ext_path("Recipient.idTypeLabel"))?;
        }
        self.w.opt_leaf("memo:idTypeLabel", label.as_deref());
        if let Some(name) = &to.name {
            let name = self.fit("recipients[].name", name, TEXT_MAX);
            self.w.leaf("memo:label", &name);
        }
        self.party_fragments(&kept, "Recipient")?;
        self.w.end();
        Ok(())
    }

    /// `ContentData`: the kept one, with `CaseID/caseID` set from
    /// `references.case` (the canonical field wins), or a new one holding
    /// only the case.
    fn content_data(&mut self) -> Result<(), AdapterError> {
        let case = self.message.references.case.clone();
        if let Some(case) = &case {
            check_text(case, "references.case")?;
        }
        let kept = match self.ext.content_data.clone() {
            Some(text) => self.restore(&text, &xsd::CONTENT_DATA, &ext_path("ContentData"))?,
            None => None,
        };
        let mut content = match (kept, &case) {
            (Some(content), _) => content,
            (None, Some(_)) => Element::new(Some(MEMO), "ContentData"),
            (None, None) => return Ok(()),
        };
        let existing = content
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.is(MEMO, "CaseID")));
        match (case, existing) {
            (Some(case), Some(at)) => {
                if let Node::Element(case_id) = &mut content.children[at] {
                    for node in &mut case_id.children {
                        if let Node::Element(e) = node
                            && e.is(MEMO, "caseID")
                        {
                            e.children = vec![Node::Text(case.clone())];
                        }
                    }
                }
            }
            (Some(case), None) => {
                // MeMo requires a case system; the canonical model names
                // none, so the case system is the sender's (its name, or
                // its identifier).
                let system = self
                    .message
                    .sender
                    .name
                    .clone()
                    .unwrap_or_else(|| self.message.sender.id.to_string());
                let system: String = system.chars().take(TEXT_MAX).collect();
                let case_id = Element {
                    ns: Some(MEMO.to_owned()),
                    name: "CaseID".to_owned(),
                    attrs: Vec::new(),
                    children: vec![
                        Node::Element(text_element("caseID", &case)),
                        Node::Element(text_element("caseSystem", &system)),
                    ],
                    offset: None,
                };
                // CaseID comes after CPRdata, CVRdata, MotorVehicle and
                // PropertyNumber in the sequence.
                let at = content
                    .children
                    .iter()
                    .position(|n| {
                        matches!(n, Node::Element(e) if !matches!(
                            e.name.as_str(),
                            "CPRdata" | "CVRdata" | "MotorVehicle" | "PropertyNumber"
                        ))
                    })
                    .unwrap_or(content.children.len());
                content.children.insert(at, Node::Element(case_id));
            }
            (None, Some(at)) => {
                content.children.remove(at);
            }
            (None, None) => {}
        }
        self.w.element(&content, &ext::prefixes());
        Ok(())
    }

    /// `ForwardData`; from 1.2 to 1.1 its `originalRepresentative` is
    /// dropped (with a loss) rather than the whole element.
    fn forward_data(&mut self) -> Result<(), AdapterError> {
        let Some(text) = self.ext.forward_data.clone() else {
            return Ok(());
        };
        let path = ext_path("ForwardData");
        match ext::restore(&text, &xsd::FORWARD_DATA, self.version, self.source, &path)? {
            Restored::Valid(element) => {
                self.w.element(&element, &ext::prefixes());
            }
            Restored::OtherVersion(mut element, reason) => {
                element.children.retain(
                    |n| !matches!(n, Node::Element(e) if e.is(MEMO, "originalRepresentative")),
                );
                if schema::check(&element, &xsd::FORWARD_DATA, self.version, "ForwardData").is_ok()
                {
                    self.loss(
                        format!("{path}.originalRepresentative"),
                        "MeMo 1.1 has no originalRepresentative (it came with 1.2)",
                    );
                    self.w.element(&element, &ext::prefixes());
                } else {
                    self.loss(
                        path,
                        format!(
                            "valid in the source's MeMo version but not in the target's: {reason}"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn body(&mut self) -> Result<(), AdapterError> {
        let m = self.message;
        if m.documents.is_empty() {
            return Err(AdapterError::schema(
                "documents",
                "a DIGITALPOST message needs a main document",
            ));
        }
        self.w.start("memo:MessageBody", &[]);
        self.w
            .leaf("memo:createdDateTime", &format_utc(m.created, "created")?);
        let groups = self.groups()?;
        for group in &groups {
            self.document(group)?;
        }
        self.w.end();
        Ok(())
    }

    /// The MeMo documents: the kept grouping, checked against the
    /// documents, plus one `AdditionalDocument` per document it does not
    /// mention; without a kept grouping, one MeMo document per canonical
    /// document (the first main, the rest additional).
    fn groups(&self) -> Result<Vec<DocumentGroup>, AdapterError> {
        let n = self.message.documents.len();
        let path = ext_path("documents");
        let kept = &self.ext.documents;
        let mut seen = vec![false; n];
        for (i, group) in kept.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if (i == 0) != (group.kind == DocumentKind::MainDocument) {
                return Err(AdapterError::schema(
                    at,
                    "the first document, and only it, must be the MainDocument",
                ));
            }
            if i > 0 && group.kind.rank() < kept[i - 1].kind.rank() {
                return Err(AdapterError::schema(
                    at,
                    "AdditionalDocuments come before TechnicalDocuments",
                ));
            }
            if group.files.is_empty() {
                return Err(AdapterError::schema(
                    at,
                    "a document needs at least one file",
                ));
            }
            for &file in &group.files {
                match seen.get_mut(file) {
                    Some(s) if !*s => *s = true,
                    Some(_) => {
                        return Err(AdapterError::schema(
                            at,
                            format!("documents[{file}] is listed twice"),
                        ));
                    }
                    None => {
                        return Err(AdapterError::schema(
                            at,
                            format!("documents[{file}] does not exist (there are {n})"),
                        ));
                    }
                }
            }
        }
        if let Some(main) = kept.first()
            && !main.files.contains(&0)
        {
            return Err(AdapterError::schema(
                format!("{path}[0]"),
                "the main document must hold documents[0]",
            ));
        }
        let mut groups = kept.clone();
        let technical_from = groups
            .iter()
            .position(|g| g.kind == DocumentKind::TechnicalDocument)
            .unwrap_or(groups.len());
        let extra: Vec<DocumentGroup> = (0..n)
            .filter(|&i| !seen[i])
            .map(|i| DocumentGroup {
                kind: if i == 0 && groups.is_empty() {
                    DocumentKind::MainDocument
                } else {
                    DocumentKind::AdditionalDocument
                },
                id: None,
                files: vec![i],
                actions: Vec::new(),
            })
            .collect();
        groups.splice(technical_from..technical_from, extra);
        Ok(groups)
    }

    fn document(&mut self, group: &DocumentGroup) -> Result<(), AdapterError> {
        let docs = &self.message.documents;
        let kind = group.kind;
        self.w.start(&format!("memo:{}", kind.element()), &[]);
        if let Some(id) = &group.id {
            check_text(id, &ext_path("documents[].id"))?;
            self.w.leaf(&format!("memo:{}", kind.id_element()), id);
        }
        let first = group.files.first().copied().unwrap_or(0);
        let title = docs.get(first).and_then(|d| d.title.clone());
        if let Some(title) = &title {
            let title = self.fit(&format!("documents[{first}].title"), title, TEXT_MAX);
            self.w.leaf("memo:label", &title);
        }
        for &i in &group.files {
            if i != first && docs[i].title != title {
                self.loss(
                    format!("documents[{i}].title"),
                    "MeMo has one label per document; this file's title differs from its document's",
                );
            }
        }
        for &i in &group.files {
            self.file(i)?;
        }
        if kind == DocumentKind::TechnicalDocument && !group.actions.is_empty() {
            return Err(AdapterError::schema(
                ext_path("documents[].Action"),
                "a TechnicalDocument has no actions",
            ));
        }
        for (a, action) in group.actions.iter().enumerate() {
            let path = format!("{}[{a}]", ext_path("documents[].Action"));
            let Some(element) = self.restore(action, &xsd::ACTION, &path)? else {
                continue;
            };
            if let Some(url) = element
                .child(MEMO, "EntryPoint")
                .and_then(|e| e.child(MEMO, "url"))
            {
                rules::check_action_url(&url.text(), &format!("{path}.EntryPoint.url"))?;
            }
            self.w.element(&element, &ext::prefixes());
        }
        self.w.end();
        Ok(())
    }

    fn file(&mut self, i: usize) -> Result<(), AdapterError> {
        let doc = &self.message.documents[i];
        let path = format!("documents[{i}]");
        if doc.filename.trim().is_empty() {
            return Err(AdapterError::schema(
                format!("{path}.filename"),
                "must not be empty",
            ));
        }
        check_text(&doc.filename, &format!("{path}.filename"))?;
        let filename = match rules::fit_filename(&doc.filename) {
            Some(fitted) => {
                self.loss(
                    format!("{path}.filename"),
                    format!(
                        "Digital Post refuses file names with < > : \" / \\ | ? * or line and special space characters; it was written as {fitted:?}"
                    ),
                );
                fitted
            }
            None => doc.filename.clone(),
        };
        check_text(&doc.media_type, &format!("{path}.media_type"))?;
        let language = match &doc.language {
            Some(language) => {
                schema::check_simple(
                    language,
                    schema::Simple::Language,
                    &format!("{path}.language"),
                )?;
                language.clone()
            }
            None => {
                self.loss(
                    format!("{path}.language"),
                    "MeMo requires a language; \"da\" (Danish) was written",
                );
                "da".to_owned()
            }
        };
        self.w.start("memo:File", &[]);
        self.w.leaf("memo:encodingFormat", &doc.media_type);
        self.w.leaf("memo:filename", &filename);
        self.w.leaf("memo:language", &language);
        self.w.leaf("memo:content", &STANDARD.encode(&doc.content));
        self.w.end();
        Ok(())
    }
}

/// A MeMo element holding `text`.
fn text_element(name: &str, text: &str) -> Element {
    Element {
        ns: Some(MEMO.to_owned()),
        name: name.to_owned(),
        attrs: Vec::new(),
        children: vec![Node::Text(text.to_owned())],
        offset: None,
    }
}

/// Fails if an identifier-like text is over `memoTextType`'s 256
/// characters: cutting it would point somewhere else.
fn check_text(value: &str, path: &str) -> Result<(), AdapterError> {
    schema::check_simple(value, xsd::TEXT, path)
}

/// A time as MeMo wants it: UTC, `YYYY-MM-DDTHH:MM:SSZ`, with a fraction
/// of a second only if there is one (so nothing is lost).
pub(crate) fn format_utc(t: OffsetDateTime, path: &str) -> Result<String, AdapterError> {
    let t = t.to_offset(UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        return Err(AdapterError::schema(path, "the year must be 0000 to 9999"));
    }
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if t.nanosecond() != 0 {
        let fraction = format!("{:09}", t.nanosecond());
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    Ok(out)
}

/// An `xs:date`.
pub(crate) fn format_date(d: time::Date, path: &str) -> Result<String, AdapterError> {
    if !(0..=9999).contains(&d.year()) {
        return Err(AdapterError::schema(path, "the year must be 0000 to 9999"));
    }
    Ok(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// The first calendar day that starts, in Denmark, at or after `at`.
///
/// Danish time is UTC+1 or UTC+2, so a Danish day starts at the latest
/// 22:00 UTC the evening before; the day whose 00:00 UTC is at or after
/// `at` + 2 h therefore never starts before `at`. A "do not deliver until"
/// is an embargo: a day late is acceptable, an hour early is not.
pub(crate) fn first_whole_danish_day(at: OffsetDateTime) -> time::Date {
    let shifted = at.to_offset(UtcOffset::UTC) + time::Duration::hours(2);
    if shifted.time() == time::Time::MIDNIGHT {
        shifted.date()
    } else {
        shifted.date().next_day().unwrap_or(shifted.date())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn times_are_utc_with_z() {
        assert_eq!(
            format_utc(datetime!(2025-09-30 14:00 +02:00), "t").unwrap(),
            "2025-09-30T12:00:00Z"
        );
        assert_eq!(
            format_utc(datetime!(2025-09-30 12:00:00.25 UTC), "t").unwrap(),
            "2025-09-30T12:00:00.25Z"
        );
    }

    #[test]
    fn embargo_dates_are_never_early() {
        // 10:00 UTC on the 15th: the 15th began before it, so the 16th.
        assert_eq!(
            first_whole_danish_day(datetime!(2025-09-15 10:00 UTC)),
            date!(2025 - 09 - 16)
        );
        // Danish midnight in summer (22:00 UTC) is exactly the 16th.
        assert_eq!(
            first_whole_danish_day(datetime!(2025-09-15 22:00 UTC)),
            date!(2025 - 09 - 16)
        );
        assert_eq!(
            first_whole_danish_day(datetime!(2025-09-16 00:00 +02:00)),
            date!(2025 - 09 - 16)
        );
        // 23:30 UTC is already the 16th in Denmark: the 17th.
        assert_eq!(
            first_whole_danish_day(datetime!(2025-09-15 23:30 UTC)),
            date!(2025 - 09 - 17)
        );
    }
}
