//! Shared test support: the configuration, the fixtures and the files
//! they name, contexts, canonical messages, and "equal up to losses".

// Each test binary uses a different subset; a missing fixture must fail
// the test loudly.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use borderpost_core::{
    Adapter, Channel, DecodeContext, Document, EncodeContext, Encoded, Extensions, Loss, Message,
    MessageKind, Part, Party, PartyId, PostalAddress, Recipient, References, Reply, Wire,
};
use borderpost_fi::{FiConfig, IncomingAttachment, Printing, ReturnAddress, Service, SuomiFi};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

pub const NOW: OffsetDateTime = datetime!(2025-06-01 10:00:00 UTC);

/// The Finnish sender of the fixtures and its two services.
pub const MUNICIPALITY: &str = "fi-ytunnus:1366959-8";
/// Borderpost's own organisation and service.
pub const BORDERPOST: &str = "fi-ytunnus:1234567-1";

/// A HETU for every century sign (`+ - Y X W V U A B C D E F`), each with
/// its check character.
pub const HETUS: [&str; 13] = [
    "311299+902A",
    "131052-308T",
    "010594Y9021",
    "150677X904J",
    "280288W906L",
    "010101V9080",
    "311299U910K",
    "010105A902U",
    "290208B904J",
    "150615C906L",
    "010120D908W",
    "020502E902X",
    "311223F9121",
];

pub fn config() -> FiConfig {
    FiConfig {
        services: vec![
            Service {
                service_id: "esimerkkikunta-vaka".to_owned(),
                organisation: MUNICIPALITY.parse().unwrap(),
                name: Some("Esimerkkikunta".to_owned()),
            },
            Service {
                service_id: "esimerkkikunta-sote".to_owned(),
                organisation: MUNICIPALITY.parse().unwrap(),
                name: Some("Esimerkkikunta".to_owned()),
            },
            Service {
                service_id: "borderpost".to_owned(),
                organisation: BORDERPOST.parse().unwrap(),
                name: Some("Borderpost".to_owned()),
            },
        ],
        default_service_id: Some("borderpost".to_owned()),
        printing: Some(Printing {
            username: "BRDPST".to_owned(),
            password: "4321".to_owned(),
            contact_email: "print@borderpost.example".to_owned(),
            cost_pool: Some("BP01".to_owned()),
            return_address: ReturnAddress {
                name: "Borderpost".to_owned(),
                address: PostalAddress {
                    lines: vec!["PL 100".to_owned()],
                    postcode: Some("00101".to_owned()),
                    city: Some("HELSINKI".to_owned()),
                    country: "FI".to_owned(),
                },
            },
            verifiable: true,
        }),
    }
}

pub fn adapter() -> SuomiFi {
    SuomiFi::new(config())
}

pub fn decode_ctx() -> DecodeContext<'static> {
    DecodeContext::new(NOW, Uuid::from_u128(0xfa11_bac4))
}

pub fn encode_ctx(id: Uuid) -> EncodeContext<'static> {
    EncodeContext::new(NOW, id)
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// A request fixture's bytes.
pub fn request(name: &str) -> Vec<u8> {
    let path = fixtures().join("requests").join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The request fixtures.
pub const REQUESTS: [&str; 3] = ["multichannel", "electronic", "paper-mail-without-id"];

/// A file a fixture names.
pub struct File {
    pub id: &'static str,
    pub filename: &'static str,
    pub media_type: &'static str,
    pub content: Vec<u8>,
}

/// The files the fixtures name, as their senders uploaded them.
pub fn files(name: &str) -> Vec<File> {
    match name {
        "multichannel" => vec![File {
            id: "0f8fad5b-d9cb-469f-a165-70867728950e",
            filename: "Päätös varhaiskasvatuspaikasta.pdf",
            media_type: "application/pdf",
            content: b"%PDF-1.4\n% decision\n".to_vec(),
        }],
        "electronic" => vec![
            File {
                id: "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
                filename: "paatos.pdf",
                media_type: "application/pdf",
                content: b"%PDF-1.7\n% paatos\n".to_vec(),
            },
            File {
                id: "6ba7b811-9dad-41d1-80b4-00c04fd430c8",
                filename: "ohje.docx",
                media_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                content: b"PK\x03\x04 docx".to_vec(),
            },
        ],
        "paper-mail-without-id" => vec![File {
            id: "9b2c1d0e-8f7a-4b6c-9d5e-4f3a2b1c0d9e",
            filename: "Kutsu tarkastukseen.pdf",
            media_type: "application/pdf",
            content: b"%PDF-1.4\n% letter\n".to_vec(),
        }],
        other => panic!("no files for {other}"),
    }
}

pub fn incoming(files: &[File]) -> Vec<IncomingAttachment<'_>> {
    files
        .iter()
        .map(|f| IncomingAttachment {
            attachment_id: f.id.parse().unwrap(),
            filename: f.filename,
            media_type: f.media_type,
            content: &f.content,
        })
        .collect()
}

/// A wire: the body, then each file as its part.
pub fn wire<'a>(body: &'a [u8], names: &'a [String], files: &'a [File]) -> Wire<'a> {
    let mut parts = vec![Part {
        name: "body",
        media_type: Some("application/json"),
        body,
    }];
    for (name, file) in names.iter().zip(files) {
        parts.push(Part {
            name,
            media_type: Some(file.media_type),
            body: &file.content,
        });
    }
    Wire { parts }
}

pub fn part_names(files: &[File]) -> Vec<String> {
    incoming(files).iter().map(|f| f.part_name()).collect()
}

/// Decodes a fixture with its files through the `Adapter` trait.
pub fn decode_fixture(name: &str) -> Message {
    let body = request(name);
    let files = files(name);
    let names = part_names(&files);
    adapter()
        .decode(&wire(&body, &names, &files), &decode_ctx())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Decodes `body` with `files` as a wire.
pub fn decode_with(body: &[u8], files: &[File]) -> Result<Message, borderpost_core::AdapterError> {
    let names = part_names(files);
    adapter().decode(&wire(body, &names, files), &decode_ctx())
}

/// The request JSON of an encoding.
pub fn json_of(encoded: &Encoded) -> serde_json::Value {
    assert_eq!(encoded.parts[0].name, "body");
    assert_eq!(encoded.parts[0].media_type, "application/json");
    serde_json::from_slice(&encoded.parts[0].body).unwrap()
}

/// Encodes and decodes again through the trait (files as parts).
pub fn round_trip(adapter: &SuomiFi, m: &Message) -> (Message, Encoded) {
    let to = m.recipients[0].clone();
    let encoded = adapter
        .encode(m, &to, &encode_ctx(m.id))
        .unwrap_or_else(|e| panic!("encode: {e}"));
    let back = adapter
        .decode(&encoded.as_wire(), &decode_ctx())
        .unwrap_or_else(|e| {
            panic!(
                "decode: {e}\n{}",
                String::from_utf8_lossy(&encoded.parts[0].body)
            )
        });
    (back, encoded)
}

pub fn pdf(name: &str) -> Document {
    Document {
        filename: name.to_owned(),
        media_type: "application/pdf".to_owned(),
        language: None,
        title: None,
        content: format!("%PDF-1.4 {name}").into_bytes(),
    }
}

pub fn text(name: &str, content: &str) -> Document {
    Document {
        filename: name.to_owned(),
        media_type: "text/plain; charset=utf-8".to_owned(),
        language: None,
        title: None,
        content: content.as_bytes().to_vec(),
    }
}

pub fn address() -> PostalAddress {
    PostalAddress {
        lines: vec!["Mannerheimintie 1 A 2".to_owned()],
        postcode: Some("00100".to_owned()),
        city: Some("HELSINKI".to_owned()),
        country: "FI".to_owned(),
    }
}

/// A plain message from a Danish municipality to a Finn: what Borderpost
/// relays across the border.
pub fn message(channel: Channel) -> Message {
    Message {
        id: Uuid::from_u128(0x8c2e_a15d_61fb_4ba9_9366_42f8_b194_c114),
        kind: MessageKind::Letter,
        sender: Party {
            id: "dk-cvr:55133018".parse().unwrap(),
            name: None,
            unit: None,
            representative: None,
        },
        recipients: vec![Recipient {
            id: Some("fi-hetu:131052-308T".parse().unwrap()),
            name: Some("Maija Meikäläinen".to_owned()),
            address: Some(address()),
            postbox: None,
        }],
        subject: "Your application for a kindergarten place".to_owned(),
        created: NOW,
        documents: vec![pdf("offer.pdf")],
        notification: None,
        legal: Default::default(),
        reply: None,
        effective_at: None,
        security_level: None,
        channel,
        read_receipt: false,
        references: References::default(),
        extensions: Extensions::default(),
    }
}

/// The same sent by the Finnish municipality itself (no loss of sender).
pub fn finnish_message(channel: Channel) -> Message {
    Message {
        sender: Party {
            id: MUNICIPALITY.parse().unwrap(),
            name: Some("Esimerkkikunta".to_owned()),
            unit: None,
            representative: None,
        },
        ..message(channel)
    }
}

pub fn with_reply(mut m: Message) -> Message {
    m.reply = Some(Reply {
        allowed: true,
        by: None,
    });
    m
}

pub fn party(id: &str) -> PartyId {
    id.parse().unwrap()
}

/// Forgets `field` (a loss path) in `m`, so that two messages can be
/// compared "up to the declared losses".
pub fn forget(m: &mut Message, field: &str) {
    let index = |f: &str| -> Option<usize> {
        let start = f.find('[')? + 1;
        let end = f.find(']')?;
        f[start..end].parse().ok()
    };
    match field {
        "security_level" => m.security_level = None,
        "read_receipt" => m.read_receipt = false,
        "notification" => m.notification = None,
        "subject" => m.subject.clear(),
        "created" => m.created = NOW,
        "effective_at" => m.effective_at = None,
        "reply" => m.reply = None,
        "reply.by" => {
            if let Some(r) = &mut m.reply {
                r.by = None;
            }
        }
        "legal.legal_notification" => m.legal.legal_notification = false,
        "legal.mandatory_read" => m.legal.mandatory_read = false,
        "channel" => m.channel = Channel::default(),
        "references.conversation" => m.references.conversation = None,
        "references.case" => m.references.case = None,
        "references.sender_reference" => m.references.sender_reference = None,
        "references.invoice" => m.references.invoice = None,
        "references.in_reply_to" => m.references.in_reply_to = None,
        "sender.id" | "sender.name" => m.sender.name = None,
        "sender.unit" => m.sender.unit = None,
        "sender.representative" => m.sender.representative = None,
        "recipients[].id" => m.recipients.iter_mut().for_each(|r| r.id = None),
        "recipients[].name" => m.recipients.iter_mut().for_each(|r| r.name = None),
        "recipients[].address.lines" => m
            .recipients
            .iter_mut()
            .filter_map(|r| r.address.as_mut())
            .for_each(|a| a.lines.clear()),
        f if f.starts_with("extensions.") => {
            let family = f["extensions.".len()..].split('.').next().unwrap();
            m.extensions.0.remove(family);
        }
        f if f.starts_with("documents[") => {
            let i = index(f).unwrap();
            let Some(d) = m.documents.get_mut(i) else {
                return;
            };
            if f.ends_with(".language") {
                d.language = None;
            } else if f.ends_with(".title") {
                d.title = None;
            } else if f.ends_with(".filename") {
                d.filename.clear();
            } else if f.ends_with(".media_type") {
                d.media_type.clear();
            } else {
                d.content.clear();
                d.filename = format!("(dropped {i})");
            }
        }
        other => panic!("the test does not know the loss path {other:?}"),
    }
}

/// Asserts `back == original` up to `losses`; up to the sender's id when
/// the loss says Suomi.fi shows another (the gateway's service); up to
/// what the decoder adds for a Finnish relay (the `fi-suomifi` extension)
/// when the original was not Finnish; and, on the electronic route, up to
/// the recipient's postal address.
pub fn assert_equal_up_to(original: &Message, back: &Message, losses: &[Loss]) {
    let mut a = original.clone();
    let mut b = back.clone();
    for loss in losses {
        let dropped = loss.field.starts_with("documents[") && loss.field.ends_with(']');
        forget(&mut a, &loss.field);
        // A dropped document is not on the decoded side at all.
        if !dropped {
            forget(&mut b, &loss.field);
        }
        if loss.field == "sender.id" {
            b.sender.id = a.sender.id.clone();
        }
    }
    a.documents.retain(|d| !d.filename.starts_with("(dropped"));
    if original.extensions.get("fi-suomifi").is_none() {
        b.extensions.0.remove("fi-suomifi");
    }
    // The electronic route carries no postal address: it is routing
    // information there (a digital-only copy is never printed).
    if b.channel == Channel::DigitalOnly {
        for r in &mut a.recipients {
            r.address = None;
        }
    }
    if losses
        .iter()
        .any(|l| l.field == "recipients[].address.lines")
    {
        for m in [&mut a, &mut b] {
            for r in &mut m.recipients {
                if let Some(address) = &mut r.address {
                    address.lines.clear();
                }
            }
        }
    }
    assert_eq!(a, b, "losses: {losses:#?}");
}

pub fn fields(losses: &[Loss]) -> Vec<&str> {
    losses.iter().map(|l| l.field.as_str()).collect()
}
