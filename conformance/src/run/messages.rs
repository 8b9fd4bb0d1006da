//! The messages the runner sends: canonical JSON, MeMo and DPI, built
//! with Borderpost's own adapters (an adapter is Borderpost's executable
//! reading of its national specification, tested on the official
//! samples), so a refusal by the target is the target's disagreement with
//! that reading, not a bug in a hand-made message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{
    Adapter, Channel, Country, Document, EffectiveAt, EncodeContext, Legal, Message, MessageKind,
    Party, PartyId, Postbox, Recipient, References, Reply, SecurityLevel,
};
use borderpost_dk::{Memo, MemoVersion};
use borderpost_no::transport;
use borderpost_no::{CmsKey, Dpi, DpiConfig};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// The Danish recipient the runner writes to (a valid CPR number; the
/// demo's Digital Post simulator delivers to it).
pub const DK_RECIPIENT: &str = "dk-cpr:0707614285";
/// The Norwegian recipient (a valid fødselsnummer; the demo's KRR gives
/// every valid one a postbox).
pub const NO_RECIPIENT: &str = "no-fnr:31129956715";
/// The Maskinporten token the runner writes into DPI business messages
/// and sends as bearer token. Borderpost's DPI ingress requires one but
/// cannot verify it (it has no Maskinporten registration).
pub const TOKEN: &str = "borderpost-conformance-token";

/// A small one-page PDF saying `text` (PDF literal-string characters
/// only), distinct per text so documents can be told apart by content.
pub fn pdf(text: &str) -> Vec<u8> {
    let text: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
        .collect();
    let stream = format!("BT /F1 18 Tf 72 760 Td ({text}) Tj ET");
    format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
         3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n\
         4 0 obj<</Length {}>>stream\n{stream}\nendstream endobj\n\
         5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        stream.len()
    )
    .into_bytes()
}

/// A minimal canonical letter (JSON) from `sender` to `recipients`, with a
/// fresh id and one small PDF.
pub fn letter(sender: &PartyId, recipients: &[&str], subject: &str) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "sender": { "id": sender.to_string(), "name": "Borderpost conformance" },
        "recipients": recipients.iter().map(|r| json!({ "id": r })).collect::<Vec<_>>(),
        "subject": subject,
        "documents": [{
            "filename": "letter.pdf",
            "media_type": "application/pdf",
            "language": "en",
            "content": STANDARD.encode(pdf(subject)),
        }]
    })
}

/// Now, in UTC, to the whole second (every protocol carries seconds).
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A canonical message with every field a national protocol maps set,
/// from `sender` to `recipient`, subject `subject`.
pub fn full(sender: &PartyId, recipient: &str, subject: &str) -> Result<Message, String> {
    let recipient: PartyId = recipient
        .parse()
        .map_err(|e| format!("recipient {recipient}: {e}"))?;
    let today = OffsetDateTime::now_utc().date();
    let document = |filename: &str, language: &str, title: &str| Document {
        filename: filename.to_owned(),
        media_type: "application/pdf".to_owned(),
        language: Some(language.to_owned()),
        title: Some(title.to_owned()),
        content: pdf(&format!("{subject} {filename}")),
    };
    Ok(Message {
        id: Uuid::new_v4(),
        kind: MessageKind::Letter,
        sender: Party {
            id: sender.clone(),
            name: Some("Borderpost conformance sender".to_owned()),
            unit: Some("conformance-unit".to_owned()),
            representative: None,
        },
        recipients: vec![Recipient {
            id: Some(recipient),
            name: Some("Conformance Recipient".to_owned()),
            address: None,
            postbox: None,
        }],
        subject: subject.to_owned(),
        created: now(),
        documents: vec![
            document("letter.pdf", "da", "The letter"),
            document("appendix.pdf", "en", "An appendix"),
        ],
        notification: Some("You have a letter (conformance)".to_owned()),
        legal: Legal {
            legal_notification: true,
            mandatory_read: true,
        },
        reply: Some(Reply {
            allowed: true,
            by: Some(now() + time::Duration::days(30)),
        }),
        effective_at: Some(EffectiveAt::Date(today)),
        security_level: Some(SecurityLevel::High),
        channel: Channel::DigitalOnly,
        read_receipt: false,
        references: References {
            conversation: Some(format!("conv-{subject}").chars().take(60).collect()),
            case: Some("CASE-4711".to_owned()),
            sender_reference: Some("REF-4711".to_owned()),
            invoice: Some("INV-4711".to_owned()),
            in_reply_to: Some("REF-4700".to_owned()),
        },
        extensions: Default::default(),
    })
}

/// `message` as canonical JSON.
pub fn to_json(message: &Message) -> Result<Vec<u8>, String> {
    serde_json::to_vec(message).map_err(|e| e.to_string())
}

/// `message` as a MeMo (1.1) for its first recipient, with its own id as
/// `messageUUID`: what a Danish sender's system writes.
pub fn memo(message: &Message) -> Result<Vec<u8>, String> {
    let to = message.recipients.first().ok_or("no recipient")?;
    let ctx = EncodeContext::new(OffsetDateTime::now_utc(), message.id);
    let encoded = Memo::new(MemoVersion::V1_1)
        .encode(message, to, &ctx)
        .map_err(|e| format!("encoding the MeMo: {e}"))?;
    encoded
        .parts
        .into_iter()
        .next()
        .map(|p| p.body)
        .ok_or_else(|| "the MeMo encoder wrote nothing".to_owned())
}

/// A DPI request: the multipart body and its content type, and the
/// encrypted package on its own.
#[derive(Debug, Clone)]
pub struct DpiRequest {
    /// `multipart/form-data; boundary=…`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// The encrypted package.
    pub cms: Vec<u8>,
}

/// `message` as a Norwegian sender's DPI request to a gateway: signed by
/// `signer`, the package encrypted to `encrypt_to` (DER). A foreign
/// recipient is named in `postkasseadresse` as `SCHEME:VALUE`, the
/// convention of Borderpost's DPI ingress (adapters/no README, "Foreign
/// recipients"); `provider` is the SBDH receiver.
pub fn dpi(
    message: &Message,
    signer: &CmsKey,
    encrypt_to: &[u8],
    provider: &PartyId,
) -> Result<DpiRequest, String> {
    let first = message.recipients.first().ok_or("no recipient")?;
    let id = first.id.as_ref().ok_or("the recipient has no id")?;
    let to = Recipient {
        postbox: Some(Postbox {
            country: Country::No,
            address: id.to_string(),
            provider: Some(provider.clone()),
        }),
        ..first.clone()
    };
    let adapter = Dpi::new(DpiConfig {
        maskinporten_token: Some(TOKEN.to_owned()),
        ..DpiConfig::default()
    });
    let mut ctx = EncodeContext::new(OffsetDateTime::now_utc(), message.id);
    ctx.signer = Some(signer);
    ctx.recipient_certificate = Some(encrypt_to);
    let encoded = adapter
        .encode(message, &to, &ctx)
        .map_err(|e| format!("encoding the DPI message: {e}"))?;
    let part = |name: &str| {
        encoded
            .parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.body.clone())
            .ok_or_else(|| format!("the DPI encoder wrote no {name}"))
    };
    let cms = part(borderpost_no::PART_DOKUMENTPAKKE)?;
    let body = transport::encode_multipart(&encoded.parts, &transport::boundary(message.id))
        .map_err(|e| e.to_string())?;
    Ok(DpiRequest {
        content_type: body.content_type,
        body: body.body,
        cms,
    })
}

/// A multipart DPI body from a business message and a package.
pub fn dpi_body(jwt: &[u8], cms: &[u8], id: Uuid) -> Result<(String, Vec<u8>), String> {
    let parts = [
        borderpost_core::adapter::EncodedPart {
            name: borderpost_no::PART_FORRETNINGSMELDING.to_owned(),
            media_type: borderpost_no::MEDIA_TYPE_JWT.to_owned(),
            body: jwt.to_vec(),
        },
        borderpost_core::adapter::EncodedPart {
            name: borderpost_no::PART_DOKUMENTPAKKE.to_owned(),
            media_type: borderpost_no::MEDIA_TYPE_PACKAGE.to_owned(),
            body: cms.to_vec(),
        },
    ];
    let body =
        transport::encode_multipart(&parts, &transport::boundary(id)).map_err(|e| e.to_string())?;
    Ok((body.content_type, body.body))
}

/// The official DPI business message sample (`digital-forretningsmelding.json`)
/// re-addressed: a fresh id and conversation, created now, sent by
/// `sender` (SBDH sender and avsender), to `receiver` (SBDH receiver),
/// for `postbox` (`postkasseadresse`), declaring `fingerprint` (`None`:
/// the published one). Everything else is the sample's, byte for byte in
/// value (the published Maskinporten token included: Borderpost does not
/// verify it).
pub fn sample_business_message(
    sample: &[u8],
    sender: &PartyId,
    receiver: &PartyId,
    id: Uuid,
    postbox: &str,
    fingerprint: Option<&str>,
) -> Result<Vec<u8>, String> {
    let iso = |p: &PartyId| {
        p.to_iso6523()
            .map(|i| i.value().to_owned())
            .ok_or_else(|| format!("{p} has no ISO 6523 form"))
    };
    let mut v: Value =
        serde_json::from_slice(sample).map_err(|e| format!("the sample is not JSON: {e}"))?;
    let sbd = v
        .get_mut("standardBusinessDocument")
        .ok_or("the sample has no standardBusinessDocument")?;
    let rfc3339 = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| e.to_string())
    };
    let header = &mut sbd["standardBusinessDocumentHeader"];
    header["sender"][0]["identifier"]["value"] = iso(sender)?.into();
    header["receiver"][0]["identifier"]["value"] = iso(receiver)?.into();
    header["documentIdentification"]["instanceIdentifier"] = id.to_string().into();
    header["documentIdentification"]["creationDateAndTime"] = rfc3339(now())?.into();
    let scope = &mut header["businessScope"]["scope"][0];
    scope["instanceIdentifier"] = id.to_string().into();
    scope["scopeInformation"][0]["expectedResponseDateTime"] =
        rfc3339(now() + time::Duration::days(1))?.into();
    let digital = &mut sbd["digital"];
    digital["avsender"]["virksomhetsidentifikator"]["value"] = iso(sender)?.into();
    digital["mottaker"]["postkasseadresse"] = postbox.into();
    if let Some(fingerprint) = fingerprint {
        digital["dokumentpakkefingeravtrykk"]["digestValue"] = fingerprint.into();
    }
    serde_json::to_vec(&v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_message_is_valid_canonical_json() {
        let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
        let m = full(&sender, DK_RECIPIENT, "Conformance API-101 abc").unwrap();
        let body = to_json(&m).unwrap();
        let ctx = borderpost_core::DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil());
        let back = borderpost_core::canonical::decode(&body, &ctx).unwrap();
        assert_eq!(back, m);
        let memo = memo(&m).unwrap();
        assert!(
            String::from_utf8(memo)
                .unwrap()
                .contains("Conformance API-101 abc")
        );
    }

    #[test]
    fn pdfs_differ_by_text() {
        assert_ne!(pdf("a"), pdf("b"));
        assert!(pdf("x").starts_with(b"%PDF-1.4"));
    }
}
