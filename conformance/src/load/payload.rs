//! The request body: a template read from a file or generated to a size,
//! with a fresh message id written into it for every request.
//!
//! A gateway answers a repeated message id from its idempotency record
//! instead of journaling the message again, so a load test that sends one
//! body over and over measures the wrong path. The template therefore
//! remembers where its id occurs (every occurrence: the canonical `id`, a
//! MeMo `messageUUID`, and the subject of generated messages, which carries
//! the id through translations that give the copy a new one) and each
//! request gets a copy with a new UUID there.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{Adapter, DecodeContext, EncodeContext, PartyId};
use borderpost_dk::{Memo, MemoVersion};
use bytes::{Bytes, BytesMut};
use time::OffsetDateTime;
use uuid::Uuid;

use super::LoadError;

/// The length of a hyphenated UUID.
const UUID_LEN: usize = 36;

/// The format of a generated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Borderpost's canonical JSON (`POST /v1/messages`).
    Canonical,
    /// MeMo 1.1 XML, as a Danish sender posts it (`POST /dk/memo`).
    Memo,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Generate {
    /// The format.
    pub format: Format,
    /// The body size to aim for, in bytes (the document is sized to reach
    /// it; the result is within a few bytes, or the smallest message if
    /// that is larger).
    pub size: usize,
    /// The sender: must be the client certificate's organisation.
    pub sender: PartyId,
    /// The sender's name.
    pub sender_name: String,
    /// The one recipient.
    pub recipient: PartyId,
}

/// One place the id occurs.
#[derive(Debug, Clone, Copy)]
struct Mark {
    offset: usize,
    upper: bool,
}

/// A request body with the places its message id occurs.
#[derive(Debug, Clone)]
pub struct Template {
    body: Bytes,
    content_type: Option<String>,
    marks: Vec<Mark>,
}

// === impl Template ===

impl Template {
    /// A body sent as it is (no id to rewrite), e.g. for a plain proxy or
    /// an empty `GET`.
    pub fn fixed(body: impl Into<Bytes>, content_type: Option<String>) -> Template {
        Template {
            body: body.into(),
            content_type,
            marks: Vec::new(),
        }
    }

    /// A body whose every occurrence of `id` (any case) is replaced per
    /// request. Fails if `id` does not occur.
    pub fn with_id(
        body: impl Into<Bytes>,
        content_type: Option<String>,
        id: Uuid,
    ) -> Result<Template, LoadError> {
        let body = body.into();
        let wanted = id.hyphenated().to_string();
        let marks: Vec<Mark> = body
            .windows(UUID_LEN)
            .enumerate()
            .filter(|(_, w)| w.eq_ignore_ascii_case(wanted.as_bytes()))
            .map(|(offset, w)| Mark {
                offset,
                upper: w.iter().any(u8::is_ascii_uppercase),
            })
            .collect();
        // Overlapping matches are impossible for a UUID (its dashes sit
        // at fixed places), so the marks can be written independently.
        if marks.is_empty() {
            return Err(LoadError::Template(format!(
                "the id {wanted} does not occur in the body"
            )));
        }
        Ok(Template {
            body,
            content_type,
            marks,
        })
    }

    /// A message read from a file: canonical JSON (its `id` is rewritten;
    /// one is added if missing), MeMo XML (its `messageUUID` is
    /// rewritten), or anything else (sent as it is).
    pub fn from_message(
        body: Vec<u8>,
        content_type: Option<String>,
    ) -> Result<Template, LoadError> {
        let start = body
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(&body)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        match start {
            Some(b'{') => {
                let content_type = content_type.or_else(|| Some("application/json".to_owned()));
                let mut value: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| LoadError::Template(format!("not JSON: {e}")))?;
                let Some(object) = value.as_object_mut() else {
                    return Err(LoadError::Template("the JSON is not an object".to_owned()));
                };
                match object.get("id") {
                    Some(serde_json::Value::String(id)) => {
                        let id = Uuid::try_parse(id).map_err(|_| {
                            LoadError::Template(format!("its id {id:?} is not a UUID"))
                        })?;
                        Template::with_id(body, content_type, id)
                    }
                    Some(_) => Err(LoadError::Template("its id is not a string".to_owned())),
                    None => {
                        let id = Uuid::new_v4();
                        object.insert("id".to_owned(), serde_json::Value::String(id.to_string()));
                        let body = serde_json::to_vec(&value)
                            .map_err(|e| LoadError::Template(e.to_string()))?;
                        Template::with_id(body, content_type, id)
                    }
                }
            }
            Some(b'<') => {
                let content_type = content_type.or_else(|| Some("application/xml".to_owned()));
                match memo_id(&body) {
                    Some(id) => Template::with_id(body, content_type, id),
                    None => Ok(Template::fixed(body, content_type)),
                }
            }
            _ => Ok(Template::fixed(
                body,
                content_type.or_else(|| Some("application/octet-stream".to_owned())),
            )),
        }
    }

    /// A generated message of about `spec.size` bytes: one recipient, a
    /// subject naming the id, one PDF-typed document of incompressible
    /// bytes (like a real PDF, so compression in a translation costs what
    /// it would).
    pub fn generate(spec: &Generate) -> Result<Template, LoadError> {
        let id = Uuid::new_v4();
        // The size of everything but the document's content, then the
        // content that fills the rest (base64: 4 characters per 3 bytes).
        let smallest = build(spec, id, 3)?;
        let mut doc = 3 + spec.size.saturating_sub(smallest.len()) / 4 * 3;
        let mut body = build(spec, id, doc)?;
        // Line breaks in long base64 (MeMo) add a little: trim once.
        if body.len() > spec.size && doc > 3 {
            doc = doc
                .saturating_sub((body.len() - spec.size).div_ceil(4) * 3)
                .max(3);
            body = build(spec, id, doc)?;
        }
        let content_type = match spec.format {
            Format::Canonical => "application/json",
            Format::Memo => "application/xml",
        };
        Template::with_id(body, Some(content_type.to_owned()), id)
    }

    /// The same template sent with another `Content-Type`.
    pub fn with_content_type(self, content_type: &str) -> Template {
        Template {
            content_type: Some(content_type.to_owned()),
            ..self
        }
    }

    /// The body's length in bytes (the same for every request).
    pub fn len(&self) -> usize {
        self.body.len()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// Whether each request gets its own message id.
    pub fn unique_ids(&self) -> bool {
        !self.marks.is_empty()
    }

    /// The `Content-Type` to send, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body for one request, with `id` written in.
    pub fn render(&self, id: Uuid) -> Bytes {
        if self.marks.is_empty() {
            return self.body.clone();
        }
        let mut lower = [0u8; UUID_LEN];
        id.hyphenated().encode_lower(&mut lower);
        let mut upper = lower;
        upper.make_ascii_uppercase();
        let mut out = BytesMut::from(&self.body[..]);
        for mark in &self.marks {
            let text = if mark.upper { &upper } else { &lower };
            if let Some(slot) = out.get_mut(mark.offset..mark.offset + UUID_LEN) {
                slot.copy_from_slice(text);
            }
        }
        out.freeze()
    }

    /// The body as a template holds it (with the template's own id).
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// A fresh random (version 4) UUID from a fast non-cryptographic
/// generator: ids must be unique, not unpredictable, and the generator
/// makes one per request.
pub(crate) fn fresh_id(rng: &mut fastrand::Rng) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The `messageUUID` of a MeMo, if the body has one.
fn memo_id(body: &[u8]) -> Option<Uuid> {
    const TAG: &[u8] = b"messageUUID>";
    let at = body.windows(TAG.len()).position(|w| w == TAG)? + TAG.len();
    let rest = body.get(at..)?;
    let end = rest.iter().position(|&b| b == b'<')?;
    let text = std::str::from_utf8(rest.get(..end)?).ok()?;
    Uuid::try_parse(text.trim()).ok()
}

/// Every UUID written in `text` (hyphenated), e.g. in a subject.
pub(crate) fn uuids_in(text: &str) -> impl Iterator<Item = Uuid> + '_ {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|token| token.len() == UUID_LEN)
        .filter_map(|token| Uuid::try_parse(token).ok())
}

/// One generated body with a document of `doc` bytes.
fn build(spec: &Generate, id: Uuid, doc: usize) -> Result<Vec<u8>, LoadError> {
    let mut content = b"%PDF-1.4\n".to_vec();
    content.truncate(doc);
    let mut rng = fastrand::Rng::with_seed(0x000b_0de5_b057);
    content.extend(std::iter::repeat_with(|| rng.u8(..)).take(doc.saturating_sub(content.len())));
    let message = serde_json::json!({
        "id": id,
        "sender": { "id": spec.sender.to_string(), "name": spec.sender_name },
        "recipients": [{ "id": spec.recipient.to_string() }],
        "subject": format!("Borderpost load test {id}"),
        "notification": "Borderpost load test",
        "documents": [{
            "filename": "load-test.pdf",
            "media_type": "application/pdf",
            "language": "da",
            "content": STANDARD.encode(&content),
        }],
    });
    let canonical = serde_json::to_vec(&message).map_err(|e| LoadError::Template(e.to_string()))?;
    match spec.format {
        Format::Canonical => Ok(canonical),
        Format::Memo => {
            let now = OffsetDateTime::now_utc();
            let decoded =
                borderpost_core::canonical::decode(&canonical, &DecodeContext::new(now, id))
                    .map_err(|e| LoadError::Template(format!("the generated message: {e}")))?;
            let to = decoded
                .recipients
                .first()
                .cloned()
                .ok_or_else(|| LoadError::Template("no recipient".to_owned()))?;
            let encoded = Memo::new(MemoVersion::V1_1)
                .encode(&decoded, &to, &EncodeContext::new(now, id))
                .map_err(|e| LoadError::Template(format!("encoding MeMo: {e}")))?;
            encoded
                .parts
                .into_iter()
                .next()
                .map(|part| part.body)
                .ok_or_else(|| LoadError::Template("MeMo encoding gave no body".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: Format, size: usize, recipient: &str) -> Generate {
        Generate {
            format,
            size,
            sender: "dk-cvr:55133018".parse().unwrap(),
            sender_name: "Example Kommune".to_owned(),
            recipient: recipient.parse().unwrap(),
        }
    }

    #[test]
    fn generated_messages_reach_their_size_and_get_fresh_ids() {
        for format in [Format::Canonical, Format::Memo] {
            for size in [2048, 65536] {
                let t = Template::generate(&spec(format, size, "no-fnr:31129956715")).unwrap();
                assert!(t.unique_ids());
                let diff = t.len().abs_diff(size);
                assert!(diff <= 8, "{format:?} {size}: got {}", t.len());
                let id = Uuid::new_v4();
                let body = t.render(id);
                assert_eq!(body.len(), t.len());
                let text = String::from_utf8(body.to_vec()).unwrap();
                // The id and the subject both carry it.
                assert!(text.matches(&id.to_string()).count() >= 2, "{text}");
            }
        }
    }

    #[test]
    fn a_rendered_memo_decodes_with_the_new_id() {
        let t = Template::generate(&spec(Format::Memo, 2048, "dk-cpr:0707614285")).unwrap();
        let id = Uuid::new_v4();
        let body = t.render(id);
        let ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::new_v4());
        let message = Memo::new(MemoVersion::V1_1)
            .decode(&borderpost_core::Wire::single(&body), &ctx)
            .unwrap();
        assert_eq!(message.id, id);
        assert!(message.subject.contains(&id.to_string()));
    }

    #[test]
    fn canonical_files_get_their_id_rewritten_or_one_added() {
        let id = Uuid::new_v4();
        let with = format!(
            r#"{{"id":"{}","subject":"x"}}"#,
            id.to_string().to_uppercase()
        );
        let t = Template::from_message(with.into_bytes(), None).unwrap();
        assert_eq!(t.content_type(), Some("application/json"));
        let new = Uuid::new_v4();
        let text = String::from_utf8(t.render(new).to_vec()).unwrap();
        assert!(text.contains(&new.to_string().to_uppercase()), "{text}");

        let t = Template::from_message(br#"{"subject":"x"}"#.to_vec(), None).unwrap();
        assert!(t.unique_ids());
        let value: serde_json::Value = serde_json::from_slice(&t.render(new)).unwrap();
        assert_eq!(value["id"], new.to_string());

        assert!(Template::from_message(br#"{"id":"nope"}"#.to_vec(), None).is_err());
        assert!(Template::from_message(br#"{"id":1}"#.to_vec(), None).is_err());
    }

    #[test]
    fn other_bodies_are_sent_as_they_are() {
        let t = Template::from_message(b"hello".to_vec(), None).unwrap();
        assert!(!t.unique_ids());
        assert_eq!(&t.render(Uuid::new_v4())[..], b"hello");
        let t = Template::from_message(b"<a>no id</a>".to_vec(), None).unwrap();
        assert!(!t.unique_ids());
        assert_eq!(t.content_type(), Some("application/xml"));
    }

    #[test]
    fn uuids_are_found_in_text() {
        let id = Uuid::new_v4();
        let found: Vec<Uuid> = uuids_in(&format!("Borderpost load test {id}.")).collect();
        assert_eq!(found, vec![id]);
        assert_eq!(uuids_in("no ids here - at all").count(), 0);
    }
}
