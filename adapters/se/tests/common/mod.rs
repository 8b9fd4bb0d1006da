//! Shared test support: the official samples, the sample's certificate,
//! the example PKI, contexts and xmllint.

#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a failed test"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{
    Channel, DecodeContext, Document, EncodeContext, Loss, Message, MessageKind, Party, PartyId,
    Recipient, References, Reply, Signer,
};
use borderpost_se::delivery::SupportInfo;
use borderpost_se::{MinaMeddelanden, SeConfig, SenderProfile, SigningKey};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The vendored Swedish material (`conformance/protocols/se`).
pub fn protocols() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/protocols/se"
    ))
}

/// A file below `protocols/se`, exactly as published.
pub fn sample(path: &str) -> Vec<u8> {
    let full = protocols().join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

pub const SEALED_SIGNED: &str = "samples/SealedDeliveryWithSignature.xml";
pub const SIGNED_REINDENTED: &str = "samples/SignedDeliveryWithSignature.xml";
pub const UNSIGNED: [&str; 3] = [
    "samples/SealedDelivery.xml",
    "samples/SignedDelivery.xml",
    "samples/SignedDeliveryWithoutSignature.xml",
];

/// The day the official sample was sealed (its certificate was valid
/// 2019-03-26 – 2021-03-26).
pub const SAMPLE_DAY: OffsetDateTime = datetime!(2020-05-28 12:00 UTC);

/// The official sample's signing certificate (DER). Its issuer, ExpiTrust
/// test CA v7, is not in the sample, so tests trust this certificate itself
/// as the anchor — explicitly, and only here.
pub fn sample_certificate() -> Vec<u8> {
    let text = String::from_utf8(sample(SEALED_SIGNED)).unwrap();
    let start = text.find("<X509Certificate>").unwrap() + "<X509Certificate>".len();
    let end = text[start..].find('<').unwrap() + start;
    STANDARD.decode(&text[start..end]).unwrap()
}

/// An adapter that trusts the sample's certificate.
pub fn sample_adapter() -> MinaMeddelanden {
    MinaMeddelanden::new(SeConfig {
        trust_anchors: vec![sample_certificate()],
        ..SeConfig::default()
    })
}

pub fn ctx_at(at: OffsetDateTime) -> DecodeContext<'static> {
    DecodeContext::new(at, Uuid::from_u128(0x5e))
}

/// The example PKI (`certs-example`).
pub fn certs() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../certs-example"))
}

pub fn key(name: &str) -> SigningKey {
    let dir = certs();
    SigningKey::from_pem(
        &std::fs::read(dir.join(format!("{name}.crt"))).unwrap(),
        &std::fs::read(dir.join(format!("{name}.key"))).unwrap(),
    )
    .unwrap()
}

pub fn anchor(name: &str) -> Vec<u8> {
    let pem = std::fs::read(certs().join(format!("{name}.crt"))).unwrap();
    openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap()
}

/// Kommun A (example): `se-orgnr:2021004748`, signed by `ca-se`.
pub fn sender_key() -> SigningKey {
    key("sender-se")
}

/// The förmedlare: the example Swedish postbox certificate, under `ca-se`.
pub fn sealer_key() -> SigningKey {
    key("postbox-se")
}

pub const NOW: OffsetDateTime = datetime!(2026-01-15 10:00 UTC);

pub fn support() -> SupportInfo {
    SupportInfo {
        text: "Kontakta Kommun A på 0771-123 45".to_owned(),
        url: Some("https://kommun-a.example/kontakt".to_owned()),
        phone_number: Some("0771-12345".to_owned()),
        email: Some("info@kommun-a.example".to_owned()),
    }
}

pub fn config() -> SeConfig {
    SeConfig {
        senders: vec![SenderProfile {
            sender: party("se-orgnr:2021004748"),
            registered_as: None,
            name: None,
            support_info: Some(support()),
        }],
        trust_anchors: vec![anchor("ca-se")],
        ..SeConfig::default()
    }
}

pub fn adapter() -> MinaMeddelanden {
    MinaMeddelanden::new(config())
}

pub fn party(s: &str) -> PartyId {
    s.parse().unwrap()
}

pub fn decode_ctx() -> DecodeContext<'static> {
    ctx_at(NOW)
}

pub fn encode_ctx<'a>(
    id: Uuid,
    signer: &'a dyn Signer,
    sealer: &'a dyn Signer,
) -> EncodeContext<'a> {
    let mut ctx = EncodeContext::new(NOW, id);
    ctx.signer = Some(signer);
    ctx.sealer = Some(sealer);
    ctx
}

pub fn html(text: &str) -> Document {
    Document {
        filename: "message.html".to_owned(),
        media_type: "text/html".to_owned(),
        language: Some("sv".to_owned()),
        title: None,
        content: text.as_bytes().to_vec(),
    }
}

pub fn pdf(name: &str) -> Document {
    Document {
        filename: name.to_owned(),
        media_type: "application/pdf".to_owned(),
        language: Some("sv".to_owned()),
        title: None,
        content: format!("%PDF-1.4 {name}").into_bytes(),
    }
}

/// A canonical message Mina meddelanden carries without loss but the
/// creation time.
pub fn swedish_message() -> Message {
    Message {
        id: Uuid::from_u128(0x42),
        kind: MessageKind::Letter,
        sender: Party {
            id: party("se-orgnr:2021004748"),
            name: Some("Kommun A".to_owned()),
            unit: None,
            representative: None,
        },
        recipients: vec![Recipient::with_id(party("se-pnr:198112189876"))],
        subject: "Beslut om förskoleplats".to_owned(),
        created: datetime!(2026-01-14 0:00 UTC),
        documents: vec![html("<p>Hej!</p>"), pdf("beslut.pdf")],
        notification: None,
        legal: Default::default(),
        reply: Some(Reply {
            allowed: true,
            by: None,
        }),
        effective_at: None,
        security_level: None,
        channel: Channel::DigitalOnly,
        read_receipt: true,
        references: References {
            conversation: Some("conv-7".to_owned()),
            case: Some("KS-2026-17".to_owned()),
            sender_reference: Some("REF-1".to_owned()),
            invoice: None,
            in_reply_to: None,
        },
        extensions: Default::default(),
    }
}

/// The XSD entry point for a `SealedDelivery` document (a wrapper in the
/// fixtures: the official schemas declare the type, not an element).
pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// Validates `document` against `schema` with libxml2's xmllint. A missing
/// xmllint fails the test: CI installs it.
pub fn xmllint(schema: &std::path::Path, document: &[u8]) -> Result<(), String> {
    let mut child = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run xmllint ({e}): install libxml2-utils (apt-get install libxml2-utils)"
            )
        });
    child.stdin.take().unwrap().write_all(document).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let verdict: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("parser warning") && !l.trim().is_empty())
        .collect();
    if out.status.success() && verdict.iter().any(|l| l.ends_with("validates")) {
        Ok(())
    } else {
        Err(verdict.join("\n"))
    }
}

/// Forgets the loss `field` in `m`.
pub fn forget(m: &mut Message, field: &str) {
    match field {
        "created" => m.created = datetime!(2000-01-01 0:00 UTC),
        "notification" => m.notification = None,
        "reply.by" => {
            if let Some(r) = &mut m.reply {
                r.by = None;
            }
        }
        "recipients[].name" => m.recipients.iter_mut().for_each(|r| r.name = None),
        f if f.starts_with("extensions.") => {
            let family = f["extensions.".len()..].split('.').next().unwrap();
            m.extensions.0.remove(family);
        }
        other => panic!("the test does not know the loss path {other:?}"),
    }
}

/// Asserts `back == original` up to `losses`, and up to the `se-mm`
/// extension the decoder adds when the original did not come from Sweden.
pub fn assert_equal_up_to(original: &Message, back: &Message, losses: &[Loss]) {
    let mut a = original.clone();
    let mut b = back.clone();
    for loss in losses {
        forget(&mut a, &loss.field);
        forget(&mut b, &loss.field);
    }
    if original
        .extensions
        .get(borderpost_se::EXTENSION_FAMILY)
        .is_none()
    {
        b.extensions.0.remove(borderpost_se::EXTENSION_FAMILY);
    }
    assert_eq!(a, b, "losses: {losses:#?}");
}
