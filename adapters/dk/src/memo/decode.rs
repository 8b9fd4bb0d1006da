//! MeMo → canonical.
//!
//! Order of work: the core parser refuses hostile input (size, encoding,
//! DOCTYPE/entities, depth — MeMo's own depth, not the gateway's default);
//! `memoVersion` picks the schema; the whole tree is checked against it;
//! only then is it mapped, so the mapping code can rely on the structure.

use borderpost_core::xml::{self, Element, XmlLimits};
use borderpost_core::{
    AdapterError, DecodeContext, Document, EffectiveAt, Legal, Message, MessageKind, Party,
    Recipient, References, Reply, Representative,
};

use super::ext::{self, DocumentGroup, DocumentKind, MemoExtension, PartyExtension};
use super::xsd::{self, MEMO};
use crate::ids::{self, Role};
use crate::rules;
use crate::schema::{self, V1_0, V1_1, V1_2, Versions, XSI, child_text};

/// Decodes a MeMo message (1.0, 1.1 or 1.2, whatever the adapter writes).
pub(crate) fn decode(body: &[u8], ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
    let limits = XmlLimits {
        max_depth: ctx.limits.max_depth.min(xsd::MAX_DEPTH),
        ..ctx.limits.xml()
    };
    let root = xml::parse(body, &limits)?;
    let (version, label) = read_version(&root)?;
    // read_version has checked the root's attributes.
    schema::check_content(&root, &xsd::MESSAGE, version, "Message")?;
    let message = Decoder {
        ctx,
        today: ctx.received_at.date(),
        ext: MemoExtension {
            memo_version: Some(label.to_owned()),
            ..MemoExtension::default()
        },
    }
    .message(&root)?;
    borderpost_core::canonical::validate(&message, &ctx.limits)?;
    Ok(message)
}

/// The root's version and its other attributes.
fn read_version(root: &Element) -> Result<(Versions, &'static str), AdapterError> {
    if !root.is(MEMO, "Message") {
        return Err(AdapterError::schema(
            "/",
            format!(
                "the root element must be Message in the namespace {MEMO}, found {}",
                schema::truncate(&root.name, 40)
            ),
        ));
    }
    for attr in &root.attrs {
        let known = match attr.ns.as_deref() {
            None => matches!(attr.name.as_str(), "memoVersion" | "memoSchVersion"),
            // xsi:schemaLocation and the like are hints to validators.
            Some(XSI) => true,
            Some(_) => false,
        };
        if !known {
            return Err(AdapterError::schema(
                "Message",
                format!("unexpected attribute {}", schema::truncate(&attr.name, 40)),
            ));
        }
    }
    let raw = root
        .attr("memoVersion")
        .ok_or_else(|| AdapterError::schema("Message", "the attribute memoVersion is required"))?;
    // xs:decimal: "1.1", "1.10" and " 1.1 " are the same number.
    let trimmed = raw.trim();
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let version = match (
        whole.trim_start_matches('0'),
        fraction.trim_end_matches('0'),
    ) {
        ("1", "") => (V1_0, "1.0"),
        ("1", "1") => (V1_1, "1.1"),
        ("1", "2") => (V1_2, "1.2"),
        _ => {
            return Err(AdapterError::UnsupportedVersion {
                found: format!(
                    "MeMo memoVersion {:?} (Borderpost reads 1.0, 1.1 and 1.2)",
                    schema::truncate(raw, 20)
                ),
            });
        }
    };
    match root.attr("memoSchVersion") {
        Some(sch) => schema::check_simple(sch, xsd::TEXT, "Message/@memoSchVersion")?,
        // 1.2 dropped the attribute; 1.0 and 1.1 require it.
        None if version.0 != V1_2 => {
            return Err(AdapterError::schema(
                "Message",
                "the attribute memoSchVersion is required in MeMo 1.0 and 1.1",
            ));
        }
        None => {}
    }
    Ok(version)
}

struct Decoder<'a, 'c> {
    ctx: &'a DecodeContext<'c>,
    today: time::Date,
    ext: MemoExtension,
}

/// The text of the MeMo child `name`.
fn text(element: &Element, name: &str) -> Option<String> {
    child_text(element, MEMO, name)
}

/// A child the schema check has already proven present.
fn required<'e>(element: &'e Element, name: &str, path: &str) -> Result<&'e Element, AdapterError> {
    element
        .child(MEMO, name)
        .ok_or_else(|| AdapterError::schema(path, format!("{name} expected")))
}

impl Decoder<'_, '_> {
    fn message(mut self, root: &Element) -> Result<Message, AdapterError> {
        let header = required(root, "MessageHeader", "Message")?;
        let h = "MessageHeader";
        let kind = match text(header, "messageType").as_deref() {
            Some("NEMSMS") => MessageKind::Sms,
            _ => MessageKind::Letter,
        };
        let uuid_text = text(header, "messageUUID").unwrap_or_default();
        let id = uuid::Uuid::parse_str(&uuid_text)
            .map_err(|e| AdapterError::schema(format!("{h}/messageUUID"), e.to_string()))?;

        self.ext.message_code = text(header, "messageCode");
        self.ext.additional_notification = text(header, "additionalNotification");
        self.ext.post_type = text(header, "postType");

        let allowed = text(header, "reply").and_then(|r| schema::parse_bool(r.trim()));
        let by = text(header, "replyByDateTime");
        let reply = match (allowed, by) {
            (Some(true), by) => Some(Reply {
                allowed: true,
                by: by
                    .map(|b| datetime(&b, &format!("{h}/replyByDateTime")))
                    .transpose()?,
            }),
            (allowed, by) => {
                // A deadline without permission has no canonical form; keep it.
                self.ext.reply_by_date_time = by;
                allowed.map(|allowed| Reply { allowed, by: None })
            }
        };
        let effective_at = text(header, "doNotDeliverUntilDate")
            .map(|d| {
                schema::parse_date(d.trim())
                    .map(EffectiveAt::Date)
                    .map_err(|e| AdapterError::schema(format!("{h}/doNotDeliverUntilDate"), e))
            })
            .transpose()?;
        let flag = |name: &str| {
            text(header, name)
                .and_then(|v| schema::parse_bool(v.trim()))
                .unwrap_or(false)
        };
        let legal = Legal {
            legal_notification: flag("legalNotification"),
            mandatory_read: flag("mandatory"),
        };

        let sender = self.sender(required(header, "Sender", h)?)?;
        let recipient = self.recipient(required(header, "Recipient", h)?)?;

        let mut references = References {
            sender_reference: text(header, "messageID"),
            ..References::default()
        };
        if let Some(content) = header.child(MEMO, "ContentData") {
            references.case = content
                .child(MEMO, "CaseID")
                .and_then(|c| text(c, "caseID"));
            self.ext.content_data = Some(ext::fragment(content));
        }
        self.ext.forward_data = header.child(MEMO, "ForwardData").map(ext::fragment);
        self.ext.reply_data = header
            .children_named(MEMO, "ReplyData")
            .map(ext::fragment)
            .collect();

        let body = root.child(MEMO, "MessageBody");
        let (created, documents) = match (kind, body) {
            (MessageKind::Sms, Some(_)) => {
                return Err(AdapterError::schema(
                    "Message/MessageBody",
                    "a NEMSMS message has no MessageBody: its text is the notification",
                ));
            }
            (MessageKind::Sms, None) => (self.ctx.received_at, Vec::new()),
            (MessageKind::Letter, None) => {
                return Err(AdapterError::schema(
                    "Message",
                    "a DIGITALPOST message needs a MessageBody with its documents",
                ));
            }
            (MessageKind::Letter, Some(body)) => self.body(body)?,
        };

        Ok(Message {
            id,
            kind,
            sender,
            recipients: vec![recipient],
            subject: text(header, "label").unwrap_or_default(),
            created,
            documents,
            notification: text(header, "notification"),
            legal,
            reply,
            effective_at,
            security_level: None,
            channel: borderpost_core::Channel::DigitalOnly,
            read_receipt: false,
            references,
            extensions: {
                let mut extensions = borderpost_core::Extensions::default();
                extensions.insert(ext::FAMILY, self.ext.to_json());
                extensions
            },
        })
    }

    fn sender(&mut self, sender: &Element) -> Result<Party, AdapterError> {
        let path = "MessageHeader/Sender";
        let (id, label) = self.party_id(Role::Sender, sender, "senderID", path)?;
        let kept = PartyExtension {
            id: None,
            id_type_label: label,
            attention_data: sender.child(MEMO, "AttentionData").map(ext::fragment),
            contact_point: sender.child(MEMO, "ContactPoint").map(ext::fragment),
        };
        if kept != PartyExtension::default() {
            self.ext.sender = Some(kept);
        }
        let representative = sender
            .child(MEMO, "Representative")
            .map(|rep| {
                let path = format!("{path}/Representative");
                let (id, _) =
                    self.party_id(Role::Representative, rep, "representativeID", &path)?;
                Ok::<_, AdapterError>(Representative {
                    id,
                    name: text(rep, "label"),
                })
            })
            .transpose()?;
        Ok(Party {
            id,
            name: text(sender, "label"),
            unit: None,
            representative,
        })
    }

    fn recipient(&mut self, recipient: &Element) -> Result<Recipient, AdapterError> {
        let path = "MessageHeader/Recipient";
        let (id, label) = self.party_id(Role::Recipient, recipient, "recipientID", path)?;
        let kept = PartyExtension {
            id: Some(id.to_string()),
            id_type_label: label,
            attention_data: recipient.child(MEMO, "AttentionData").map(ext::fragment),
            contact_point: recipient.child(MEMO, "ContactPoint").map(ext::fragment),
        };
        if kept.id_type_label.is_some()
            || kept.attention_data.is_some()
            || kept.contact_point.is_some()
        {
            self.ext.recipient = Some(kept);
        }
        Ok(Recipient {
            id: Some(id),
            name: text(recipient, "label"),
            address: None,
            postbox: None,
        })
    }

    /// The party's id, and an `idTypeLabel` that `Andet` did not consume.
    fn party_id(
        &self,
        role: Role,
        party: &Element,
        id_element: &str,
        path: &str,
    ) -> Result<(borderpost_core::PartyId, Option<String>), AdapterError> {
        let raw = text(party, id_element).unwrap_or_default();
        let id_type = text(party, "idType").unwrap_or_default();
        let label = text(party, "idTypeLabel");
        let id = ids::decode(
            role,
            &raw,
            &id_type,
            label.as_deref(),
            self.today,
            &format!("{path}/{id_element}"),
        )?;
        let spare = if id_type == ids::OTHER { None } else { label };
        Ok((id, spare))
    }

    fn body(
        &mut self,
        body: &Element,
    ) -> Result<(time::OffsetDateTime, Vec<Document>), AdapterError> {
        let path = "MessageBody";
        let created = datetime(
            &text(body, "createdDateTime").unwrap_or_default(),
            &format!("{path}/createdDateTime"),
        )?;
        let mut documents = Vec::new();
        for element in body.elements() {
            let kind = match element.name.as_str() {
                "MainDocument" => DocumentKind::MainDocument,
                "AdditionalDocument" => DocumentKind::AdditionalDocument,
                "TechnicalDocument" => DocumentKind::TechnicalDocument,
                _ => continue,
            };
            let n = self.ext.documents.iter().filter(|g| g.kind == kind).count();
            let doc_path = format!("{path}/{}[{}]", kind.element(), n + 1);
            let label = text(element, "label");
            let mut group = DocumentGroup {
                kind,
                id: text(element, kind.id_element()).or_else(|| text(element, "documentID")),
                files: Vec::new(),
                actions: Vec::new(),
            };
            for (i, file) in element.children_named(MEMO, "File").enumerate() {
                let file_path = format!("{doc_path}/File[{}]", i + 1);
                if documents.len() >= self.ctx.limits.max_documents {
                    return Err(AdapterError::TooLarge {
                        what: "documents (MeMo File elements)".to_owned(),
                        limit: self.ctx.limits.max_documents as u64,
                    });
                }
                group.files.push(documents.len());
                documents.push(self.file(file, label.clone(), &file_path)?);
            }
            for (i, action) in element.children_named(MEMO, "Action").enumerate() {
                if let Some(url) = action
                    .child(MEMO, "EntryPoint")
                    .and_then(|e| text(e, "url"))
                {
                    rules::check_action_url(
                        &url,
                        &format!("{doc_path}/Action[{}]/EntryPoint/url", i + 1),
                    )?;
                }
                group.actions.push(ext::fragment(action));
            }
            self.ext.documents.push(group);
        }
        Ok((created, documents))
    }

    fn file(
        &self,
        file: &Element,
        title: Option<String>,
        path: &str,
    ) -> Result<Document, AdapterError> {
        let filename = text(file, "filename").unwrap_or_default();
        rules::check_filename(&filename, &format!("{path}/filename"))?;
        let content_text = text(file, "content").unwrap_or_default();
        // Base64 is 4 characters per 3 bytes: refuse before decoding.
        let max = self.ctx.limits.max_document_bytes;
        if (content_text.len() as u64 / 4).saturating_mul(3) > max.saturating_add(3) {
            return Err(AdapterError::TooLarge {
                what: format!("{path}/content (bytes)"),
                limit: max,
            });
        }
        let content = schema::decode_base64(&content_text, &format!("{path}/content"))?;
        if content.len() as u64 > max {
            return Err(AdapterError::TooLarge {
                what: format!("{path}/content (bytes)"),
                limit: max,
            });
        }
        Ok(Document {
            filename,
            media_type: text(file, "encodingFormat").unwrap_or_default(),
            language: text(file, "language").map(|l| l.trim().to_ascii_lowercase()),
            title,
            content,
        })
    }
}

/// A MeMo UTC time.
fn datetime(text: &str, path: &str) -> Result<time::OffsetDateTime, AdapterError> {
    schema::parse_date_time(text.trim()).map_err(|e| AdapterError::schema(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for (attr, ok) in [
            ("memoVersion=\"1.1\" memoSchVersion=\"1.1.0\"", true),
            ("memoVersion=\"1.10\" memoSchVersion=\"1.1.0\"", true),
            ("memoVersion=\"1.2\"", true),
            ("memoVersion=\"1.1\"", false),
            ("memoVersion=\"2.0\"", false),
            ("", false),
        ] {
            let doc = format!("<m:Message xmlns:m=\"{MEMO}\" {attr}/>");
            let root = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
            assert_eq!(read_version(&root).is_ok(), ok, "{attr}");
        }
        let doc = "<m:Message xmlns:m=\"urn:other\" memoVersion=\"1.1\"/>";
        let root = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
        assert_eq!(read_version(&root).unwrap_err().code(), "schema");
    }
}
