//! Canonical → Suomi.fi: the three routes, what travels where, what is
//! declared lost, the two-step upload API, and round trips
//! (`decode(encode(m)) == m` up to the declared losses, and a Finnish
//! request relayed to Finland unchanged).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{
    Adapter, Channel, EffectiveAt, Legal, Message, MessageKind, PostalAddress, Reply,
    Representative, SecurityLevel,
};
use borderpost_fi::wire::MAX_TITLE_CHARS;
use borderpost_fi::{FiConfig, SuomiFi, Uploaded, route};
use common::*;
use proptest::prelude::*;
use serde_json::json;
use time::macros::datetime;
use uuid::Uuid;

fn encode(m: &Message) -> borderpost_core::Encoded {
    adapter()
        .encode(m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_or_else(|e| panic!("{e}"))
}

// === routes ===

#[test]
fn digital_only_is_an_electronic_request() {
    let m = finnish_message(Channel::DigitalOnly);
    let encoded = encode(&m);
    let body = json_of(&encoded);
    assert_eq!(
        route(&m, &m.recipients[0]).unwrap().path(),
        "/v2/messages/electronic"
    );
    let attachment = encoded.parts[1].name.split('/').next().unwrap().to_owned();
    assert_eq!(
        body,
        json!({
            "externalId": "8c2ea15d-61fb-4ba9-9366-42f8b194c114",
            "electronic": {
                "title": "Your application for a kindergarten place",
                "body": "Your application for a kindergarten place",
                "bodyFormat": "Text",
                "messageServiceType": "Normal",
                "notifications": {
                    "senderDetailsInNotifications": "Organisation and service name",
                    "unreadMessageNotification": {"reminder": "Default reminder"}
                },
                "replyAllowedBy": "No one",
                "visibility": "Normal",
                "attachments": [{"attachmentId": attachment}]
            },
            "recipient": {"id": "131052-308T"},
            "sender": {"serviceId": "esimerkkikunta-vaka"}
        })
    );
    assert_eq!(encoded.parts.len(), 2);
    assert_eq!(encoded.parts[1].name, format!("{attachment}/offer.pdf"));
    assert_eq!(encoded.parts[1].media_type, "application/pdf");
    // Only the recipient's name is lost: Suomi.fi knows it from its register.
    assert_eq!(fields(&encoded.losses), ["created", "recipients[].name"]);
}

#[test]
fn digital_else_print_is_a_multichannel_request() {
    let m = finnish_message(Channel::DigitalElsePrint);
    let encoded = encode(&m);
    let body = json_of(&encoded);
    let id = body["electronic"]["attachments"][0]["attachmentId"].clone();
    assert_eq!(
        body["paperMail"]["attachments"],
        json!([{"attachmentId": id}])
    );
    assert_eq!(
        body["paperMail"],
        json!({
            "attachments": [{"attachmentId": id}],
            "colorPrinting": false,
            "createAddressPage": true,
            "twoSidedPrinting": false,
            "rotateLandscapePages": false,
            "messageServiceType": "Normal",
            "printingAndEnvelopingService": {
                "postiMessaging": {
                    "contactDetails": {"email": "print@borderpost.example"},
                    "username": "BRDPST",
                    "password": "4321"
                },
                "costPool": "BP01"
            },
            "recipient": {"address": {"name": "Maija Meikäläinen", "streetAddress": "Mannerheimintie 1 A 2",
                                      "zipCode": "00100", "city": "HELSINKI", "countryCode": "FI"}},
            "sender": {"address": {"name": "Borderpost", "streetAddress": "PL 100",
                                   "zipCode": "00101", "city": "HELSINKI", "countryCode": "FI"}}
        })
    );
    assert_eq!(body["recipient"]["id"], "131052-308T");
    // The same file serves both parts: uploaded once.
    assert_eq!(encoded.parts.len(), 2);
    assert_eq!(fields(&encoded.losses), ["created"]);
}

#[test]
fn print_only_is_paper_mail_without_id() {
    let m = finnish_message(Channel::PrintOnly);
    let encoded = encode(&m);
    let body = json_of(&encoded);
    assert!(body.get("electronic").is_none() && body.get("recipient").is_none());
    assert_eq!(
        body["paperMail"]["recipient"]["address"]["name"],
        "Maija Meikäläinen"
    );
    assert_eq!(
        fields(&encoded.losses),
        ["created", "recipients[].id", "subject"],
        "paper has no title and goes by address"
    );
}

#[test]
fn the_fallbacks_of_digital_else_print_are_declared() {
    let mut m = finnish_message(Channel::DigitalElsePrint);
    m.recipients[0].address = None;
    let encoded = encode(&m);
    assert!(json_of(&encoded).get("paperMail").is_none());
    assert!(fields(&encoded.losses).contains(&"channel"));

    // Nothing Posti can print: the same fallback.
    let mut m = finnish_message(Channel::DigitalElsePrint);
    m.documents[0].media_type = "image/png".to_owned();
    let encoded = encode(&m);
    assert!(json_of(&encoded).get("paperMail").is_none());
    let channel = encoded
        .losses
        .iter()
        .find(|l| l.field == "channel")
        .unwrap();
    assert!(channel.reason.contains("PDF"), "{channel:?}");

    let mut m = finnish_message(Channel::DigitalElsePrint);
    m.recipients[0].id = Some(party("dk-cpr:0707614285"));
    let encoded = encode(&m);
    assert!(json_of(&encoded).get("electronic").is_none());
    assert!(fields(&encoded.losses).contains(&"channel"));
    assert!(fields(&encoded.losses).contains(&"recipients[].id"));
}

#[test]
fn recipients_suomi_fi_cannot_address_are_refused() {
    let mut m = finnish_message(Channel::DigitalOnly);
    m.recipients[0].id = Some(party("no-fnr:31129956715"));
    let e = adapter()
        .encode(&m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_err();
    assert_eq!(e.code(), "recipient-unaddressable");
    let e = adapter()
        .attachments_to_upload(&m, &m.recipients[0])
        .unwrap_err();
    assert_eq!(e.code(), "recipient-unaddressable");

    let mut m = finnish_message(Channel::PrintOnly);
    m.recipients[0].address = None;
    assert_eq!(encode_err(&m), "recipient-unaddressable");
    for broken in [
        |a: &mut PostalAddress| a.postcode = None,
        |a: &mut PostalAddress| a.city = None,
        |a: &mut PostalAddress| a.lines.clear(),
        |a: &mut PostalAddress| a.country = "EU".to_owned(),
    ] {
        let mut m = finnish_message(Channel::PrintOnly);
        broken(m.recipients[0].address.as_mut().unwrap());
        assert_eq!(encode_err(&m), "recipient-unaddressable");
    }
    let mut m = finnish_message(Channel::PrintOnly);
    m.recipients[0].name = None;
    assert_eq!(encode_err(&m), "recipient-unaddressable");
}

fn encode_err(m: &Message) -> String {
    adapter()
        .encode(m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_err()
        .code()
        .to_owned()
}

#[test]
fn every_hetu_and_business_id_form_is_written_as_suomi_fi_wants() {
    for hetu in HETUS {
        let mut m = finnish_message(Channel::DigitalOnly);
        m.recipients[0].id = Some(party(&format!("fi-hetu:{}", hetu.to_lowercase())));
        assert_eq!(json_of(&encode(&m))["recipient"]["id"], hetu);
    }
    for id in [
        "fi-ytunnus:02454372",
        "iso6523:0212:0245437-2",
        "iso6523:0213:FI02454372",
        "iso6523:0216:003702454372ABC",
    ] {
        let mut m = finnish_message(Channel::DigitalOnly);
        m.recipients[0].id = Some(party(id));
        assert_eq!(json_of(&encode(&m))["recipient"]["id"], "0245437-2", "{id}");
    }
}

// === content ===

#[test]
fn a_text_or_markdown_first_document_is_the_body() {
    let mut m = finnish_message(Channel::DigitalOnly);
    m.documents = vec![text("message.txt", "Hei!\n\nTervetuloa."), pdf("liite.pdf")];
    let encoded = encode(&m);
    let body = json_of(&encoded);
    assert_eq!(body["electronic"]["body"], "Hei!\n\nTervetuloa.");
    assert_eq!(body["electronic"]["bodyFormat"], "Text");
    assert_eq!(
        body["electronic"]["attachments"].as_array().unwrap().len(),
        1
    );
    assert_eq!(fields(&encoded.losses), ["created", "recipients[].name"]);

    m.documents[0] = borderpost_core::Document {
        filename: "kirje.md".to_owned(),
        media_type: "text/markdown".to_owned(),
        language: Some("fi".to_owned()),
        title: Some("Kirje".to_owned()),
        content: b"# Otsikko".to_vec(),
    };
    let encoded = encode(&m);
    assert_eq!(json_of(&encoded)["electronic"]["bodyFormat"], "Markdown");
    let lost = fields(&encoded.losses);
    for field in [
        "documents[0].filename",
        "documents[0].media_type",
        "documents[0].language",
        "documents[0].title",
    ] {
        assert!(lost.contains(&field), "{field}: {lost:?}");
    }
}

#[test]
fn other_first_documents_are_files_and_the_title_is_the_body() {
    for first in [
        // Not UTF-8, another charset, a body repeating the title beside
        // files, empty, too long, a control character.
        borderpost_core::Document {
            content: vec![0xff, 0xfe],
            ..text("a.txt", "")
        },
        borderpost_core::Document {
            media_type: "text/plain; charset=iso-8859-1".to_owned(),
            ..text("a.txt", "x")
        },
        text("a.txt", "Your application for a kindergarten place"),
        text("a.txt", ""),
        text("a.txt", &"x".repeat(40_001)),
        text("a.txt", "bell \u{7}"),
    ] {
        let mut m = finnish_message(Channel::DigitalOnly);
        m.documents.insert(0, first);
        let body = json_of(&encode(&m));
        assert_eq!(body["electronic"]["body"], m.subject);
        assert_eq!(
            body["electronic"]["attachments"].as_array().unwrap().len(),
            2
        );
    }
}

#[test]
fn the_title_takes_256_characters_and_is_cut_after() {
    let mut m = finnish_message(Channel::DigitalOnly);
    m.subject = "ö".repeat(MAX_TITLE_CHARS);
    let encoded = encode(&m);
    assert_eq!(json_of(&encoded)["electronic"]["title"], m.subject);
    assert!(!fields(&encoded.losses).contains(&"subject"));
    m.subject = "ö".repeat(MAX_TITLE_CHARS + 1);
    let encoded = encode(&m);
    assert_eq!(
        json_of(&encoded)["electronic"]["title"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        MAX_TITLE_CHARS
    );
    assert!(fields(&encoded.losses).contains(&"subject"));
    m.subject = "  ".to_owned();
    assert_eq!(encode_err(&m), "schema");
}

#[test]
fn a_request_for_a_receipt_is_a_verifiable_message() {
    let mut m = finnish_message(Channel::DigitalElsePrint);
    m.read_receipt = true;
    let body = json_of(&encode(&m));
    assert_eq!(body["electronic"]["messageServiceType"], "Verifiable");
    assert_eq!(body["paperMail"]["messageServiceType"], "Verifiable");

    // Without verifiable paper mail in the Posti agreement, the letter is
    // a normal one, and that is declared.
    let mut config = config();
    config.printing.as_mut().unwrap().verifiable = false;
    let encoded = SuomiFi::new(config)
        .encode(&m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap();
    let body = json_of(&encoded);
    assert_eq!(body["electronic"]["messageServiceType"], "Verifiable");
    assert_eq!(body["paperMail"]["messageServiceType"], "Normal");
    assert!(fields(&encoded.losses).contains(&"read_receipt"));
}

#[test]
fn notifications_replies_and_references() {
    let mut m = with_reply(finnish_message(Channel::DigitalOnly));
    m.notification = Some("Sinulle on uusi päätös.".to_owned());
    m.references.in_reply_to = Some("902134567".to_owned());
    let body = json_of(&encode(&m));
    let e = &body["electronic"];
    assert_eq!(e["replyAllowedBy"], "Anyone");
    assert_eq!(e["inReplyToMessageId"], 902_134_567);
    assert_eq!(
        e["notifications"]["customisedNewMessageNotification"],
        json!({
            "title": {"fi": m.subject, "sv": m.subject, "en": m.subject},
            "content": {"fi": "Sinulle on uusi päätös.", "sv": "Sinulle on uusi päätös.", "en": "Sinulle on uusi päätös."}
        })
    );

    m.reply = Some(Reply {
        allowed: true,
        by: Some(datetime!(2025-12-31 12:00 UTC)),
    });
    m.references.in_reply_to = Some("urn:uuid:8c2ea15d".to_owned());
    let encoded = encode(&m);
    let lost = fields(&encoded.losses);
    assert!(lost.contains(&"reply.by") && lost.contains(&"references.in_reply_to"));
    assert!(
        json_of(&encoded)["electronic"]
            .get("inReplyToMessageId")
            .is_none()
    );
}

#[test]
fn what_suomi_fi_cannot_carry_is_declared() {
    let mut m = with_reply(message(Channel::DigitalOnly));
    m.sender.name = Some("Example Kommune".to_owned());
    m.sender.unit = Some("Børn og Unge".to_owned());
    m.sender.representative = Some(Representative {
        id: party("dk-cvr:55133018"),
        name: None,
    });
    m.legal = Legal {
        legal_notification: true,
        mandatory_read: true,
    };
    m.effective_at = Some(EffectiveAt::Date(time::macros::date!(2025 - 09 - 15)));
    m.security_level = Some(SecurityLevel::High);
    m.references.conversation = Some("c".to_owned());
    m.references.case = Some("SAG-1".to_owned());
    m.references.sender_reference = Some("ref".to_owned());
    m.references.invoice = Some("inv".to_owned());
    m.documents[0].language = Some("da".to_owned());
    m.documents[0].title = Some("Tilbud".to_owned());
    m.extensions
        .insert("dk-memo", json!({"memoVersion": "1.2"}));
    let encoded = encode(&m);
    let mut lost = fields(&encoded.losses);
    lost.sort_unstable();
    assert_eq!(
        lost,
        [
            "created",
            "documents[0].language",
            "documents[0].title",
            "effective_at",
            "extensions.dk-memo",
            "legal.legal_notification",
            "legal.mandatory_read",
            "recipients[].name",
            "references.case",
            "references.conversation",
            "references.invoice",
            "references.sender_reference",
            "security_level",
            "sender.id",
            "sender.name",
            "sender.representative",
            "sender.unit",
        ]
    );
    for loss in &encoded.losses {
        assert!(!loss.reason.is_empty(), "{loss:?}");
    }
    // A substantial level is what Suomi.fi always asks for: nothing lost.
    let mut m = finnish_message(Channel::DigitalOnly);
    m.security_level = Some(SecurityLevel::Substantial);
    assert!(!fields(&encode(&m).losses).contains(&"security_level"));
}

#[test]
fn a_foreign_sender_goes_with_the_gateways_service() {
    let m = message(Channel::DigitalOnly);
    let encoded = encode(&m);
    assert_eq!(json_of(&encoded)["sender"]["serviceId"], "borderpost");
    assert!(fields(&encoded.losses).contains(&"sender.id"));
    let e = SuomiFi::new(FiConfig {
        default_service_id: None,
        ..config()
    })
    .encode(&m, &m.recipients[0], &encode_ctx(m.id))
    .unwrap_err();
    assert_eq!(e.code(), "missing-configuration");
}

#[test]
fn paper_needs_the_printing_agreement_and_a_pdf() {
    let m = finnish_message(Channel::PrintOnly);
    let e = SuomiFi::new(FiConfig {
        printing: None,
        ..config()
    })
    .encode(&m, &m.recipients[0], &encode_ctx(m.id))
    .unwrap_err();
    assert_eq!(e.code(), "missing-configuration");
    let mut bad = config();
    bad.printing.as_mut().unwrap().password = "12345".to_owned();
    let e = SuomiFi::new(bad)
        .encode(&m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_err();
    assert_eq!(e.code(), "missing-configuration");
    assert!(!e.to_string().contains("12345"));

    let mut m = finnish_message(Channel::PrintOnly);
    m.documents = vec![text("a.txt", "x")];
    let e = adapter()
        .encode(&m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_err();
    assert_eq!(e.code(), "business-rule");
    assert!(e.to_string().contains("fi.paper-pdf"));
}

#[test]
fn three_and_more_address_lines_share_the_second_row() {
    let mut m = finnish_message(Channel::PrintOnly);
    m.recipients[0].address.as_mut().unwrap().lines = vec![
        "Oy Esimerkki Ab".to_owned(),
        "Talousosasto".to_owned(),
        "Mannerheimintie 1".to_owned(),
    ];
    let encoded = encode(&m);
    let address = &json_of(&encoded)["paperMail"]["recipient"]["address"];
    assert_eq!(address["additionalName"], "Oy Esimerkki Ab, Talousosasto");
    assert_eq!(address["streetAddress"], "Mannerheimintie 1");
    assert!(fields(&encoded.losses).contains(&"recipients[].address.lines"));
    m.recipients[0].address.as_mut().unwrap().lines = vec!["x".repeat(100); 5];
    assert_eq!(encode_err(&m), "recipient-unaddressable");
}

#[test]
fn files_suomi_fi_does_not_take_are_refused() {
    let mut m = finnish_message(Channel::DigitalOnly);
    m.documents.push(borderpost_core::Document {
        media_type: "application/xml".to_owned(),
        ..pdf("technical.xml")
    });
    let e = adapter()
        .encode(&m, &m.recipients[0], &encode_ctx(m.id))
        .unwrap_err();
    assert_eq!(e.code(), "business-rule");
    assert!(e.to_string().contains("documents[1]"), "{e}");

    let mut m = finnish_message(Channel::DigitalOnly);
    m.documents = (0..51).map(|i| pdf(&format!("{i}.pdf"))).collect();
    assert_eq!(encode_err(&m), "too-large");
    m.documents.pop();
    assert_eq!(
        json_of(&encode(&m))["electronic"]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        50
    );

    let mut m = finnish_message(Channel::DigitalOnly);
    m.kind = MessageKind::Sms;
    m.documents.clear();
    m.notification = Some("x".to_owned());
    assert_eq!(encode_err(&m), "unsupported");
}

// === the two-step API ===

#[test]
fn upload_first_then_encode_with_the_ids() {
    let fi = adapter();
    let mut m = finnish_message(Channel::DigitalElsePrint);
    m.documents = vec![
        text("message.txt", "Hei!"),
        pdf("a.pdf"),
        borderpost_core::Document {
            media_type: "image/png".to_owned(),
            ..pdf("b.png")
        },
    ];
    let to = m.recipients[0].clone();
    let uploads = fi.attachments_to_upload(&m, &to).unwrap();
    assert_eq!(
        uploads
            .iter()
            .map(|u| (u.document, u.filename))
            .collect::<Vec<_>>(),
        [(1, "a.pdf"), (2, "b.png")],
        "the body is not uploaded; the PDF both parts use is uploaded once"
    );
    assert_eq!(uploads[0].content, m.documents[1].content.as_slice());
    let uploaded: Vec<Uploaded> = uploads
        .iter()
        .map(|u| Uploaded {
            document: u.document,
            attachment_id: Uuid::from_u128(0x1000 + u.document as u128),
        })
        .collect();
    let ctx = encode_ctx(m.id);
    let encoded = fi.encode_with(&m, &to, &ctx, &uploaded).unwrap();
    assert_eq!(encoded.parts.len(), 1, "the files went by upload");
    let body = json_of(&encoded);
    assert_eq!(
        body["electronic"]["attachments"],
        json!([{"attachmentId": "00000000-0000-0000-0000-000000001001"},
               {"attachmentId": "00000000-0000-0000-0000-000000001002"}])
    );
    assert_eq!(
        body["paperMail"]["attachments"],
        json!([{"attachmentId": "00000000-0000-0000-0000-000000001001"}])
    );
    // Every upload needs its id; no id may be for anything else.
    let e = fi.encode_with(&m, &to, &ctx, &uploaded[..1]).unwrap_err();
    assert_eq!(e.code(), "missing-configuration");
    let mut extra = uploaded.clone();
    extra.push(Uploaded {
        document: 0,
        attachment_id: Uuid::nil(),
    });
    assert_eq!(
        fi.encode_with(&m, &to, &ctx, &extra).unwrap_err().code(),
        "schema"
    );
    let mut twice = uploaded.clone();
    twice.push(uploaded[0]);
    assert_eq!(
        fi.encode_with(&m, &to, &ctx, &twice).unwrap_err().code(),
        "schema"
    );
    // The same as through the trait, but for the ids.
    let through_trait = fi.encode(&m, &to, &ctx).unwrap();
    assert_eq!(through_trait.losses, encoded.losses);
    assert_eq!(through_trait.parts.len(), 3);
}

#[test]
fn the_external_id_is_the_copys_and_stable() {
    let m = finnish_message(Channel::DigitalOnly);
    let copy = Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef);
    let a = adapter()
        .encode(&m, &m.recipients[0], &encode_ctx(copy))
        .unwrap();
    let b = adapter()
        .encode(&m, &m.recipients[0], &encode_ctx(copy))
        .unwrap();
    assert_eq!(a, b, "retries carry the same bytes, ids included");
    assert_eq!(json_of(&a)["externalId"], copy.hyphenated().to_string());
}

// === round trips ===

#[test]
fn finnish_requests_relay_to_finland_unchanged() {
    let fi = adapter();
    for name in REQUESTS {
        let original: serde_json::Value = serde_json::from_slice(&request(name)).unwrap();
        let m = decode_fixture(name);
        let to = m.recipients[0].clone();
        let ctx = encode_ctx(m.id);
        // The uploads keep their ids on the relay, so the bodies compare.
        let uploads = fi.attachments_to_upload(&m, &to).unwrap();
        let ids: Vec<Uploaded> = uploads
            .iter()
            .map(|u| Uploaded {
                document: u.document,
                attachment_id: files(name)
                    .iter()
                    .find(|f| f.filename == u.filename)
                    .unwrap()
                    .id
                    .parse()
                    .unwrap(),
            })
            .collect();
        let encoded = fi.encode_with(&m, &to, &ctx, &ids).unwrap();
        assert_eq!(encoded.losses, [], "{name}");
        let mut relayed = json_of(&encoded);
        let mut expected = original.clone();
        // What a relay replaces: the copy's id, and the Posti agreement
        // (Borderpost prints under its own).
        expected["externalId"] = json!(m.id.hyphenated().to_string());
        relayed["paperMail"]
            .as_object_mut()
            .map(|p| p.remove("printingAndEnvelopingService"));
        expected["paperMail"]
            .as_object_mut()
            .map(|p| p.remove("printingAndEnvelopingService"));
        assert_eq!(relayed, expected, "{name}");
        // And back again, the same canonical message.
        let files = files(name);
        let names = part_names(&files);
        let again = fi
            .decode(
                &wire(&encoded.parts[0].body, &names, &files),
                &borderpost_core::DecodeContext::new(NOW, m.id),
            )
            .unwrap();
        let mut expected_m = m.clone();
        expected_m.extensions.insert("fi-suomifi", {
            let mut ext = m.extensions.get("fi-suomifi").unwrap().clone();
            ext["externalId"] = json!(m.id.hyphenated().to_string());
            ext
        });
        assert_eq!(again, expected_m, "{name}");
    }
}

#[test]
fn cross_border_messages_come_back_up_to_their_losses() {
    let fi = adapter();
    let mut variants = Vec::new();
    for channel in [
        Channel::DigitalOnly,
        Channel::DigitalElsePrint,
        Channel::PrintOnly,
    ] {
        variants.push(message(channel));
        variants.push(finnish_message(channel));
        let mut rich = with_reply(finnish_message(channel));
        rich.read_receipt = true;
        rich.notification = Some("Uusi viesti".to_owned());
        rich.references.in_reply_to = Some("42".to_owned());
        rich.documents = vec![text("message.txt", "Hei!"), pdf("a.pdf"), pdf("b.pdf")];
        variants.push(rich);
    }
    for m in variants {
        let (back, encoded) = round_trip(&fi, &m);
        assert_equal_up_to(&m, &back, &encoded.losses);
    }
}

fn document_strategy() -> impl Strategy<Value = borderpost_core::Document> {
    (
        "[a-zA-Z0-9äöå _-]{1,20}",
        prop_oneof![
            Just("application/pdf"),
            Just("image/png"),
            Just("text/plain"),
            Just("application/vnd.oasis.opendocument.text"),
        ],
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(name, media_type, content)| borderpost_core::Document {
            filename: format!("{}.bin", name.trim()),
            media_type: media_type.to_owned(),
            language: None,
            title: None,
            content,
        })
}

fn message_strategy() -> impl Strategy<Value = Message> {
    (
        prop_oneof![
            Just(Channel::DigitalOnly),
            Just(Channel::DigitalElsePrint),
            Just(Channel::PrintOnly)
        ],
        0usize..HETUS.len(),
        "[^\\p{C}]{1,300}",
        proptest::option::of("[^\\p{C}]{0,200}"),
        proptest::option::of("[^\\p{C}]{1,200}"),
        any::<(bool, bool, bool)>(),
        proptest::collection::vec(document_strategy(), 0..4),
        proptest::option::of(1i64..i64::MAX),
    )
        .prop_map(
            |(
                channel,
                hetu,
                subject,
                body,
                notification,
                (reply, receipt, finnish),
                extra,
                reply_to,
            )| {
                let mut m = if finnish {
                    finnish_message(channel)
                } else {
                    message(channel)
                };
                m.recipients[0].id = Some(party(&format!("fi-hetu:{}", HETUS[hetu])));
                m.subject = subject;
                m.notification = notification;
                m.read_receipt = receipt;
                m.references.in_reply_to = reply_to.map(|n| n.to_string());
                if reply {
                    m = with_reply(m);
                }
                if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
                    m.documents.insert(0, text("message.txt", &body));
                }
                m.documents.extend(extra);
                m
            },
        )
        .prop_filter("a letter has documents", |m| !m.documents.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any message Suomi.fi can take comes back equal up to its declared
    /// losses; any it cannot is refused with an error, never a panic.
    #[test]
    fn round_trips_up_to_declared_losses(m in message_strategy()) {
        let fi = adapter();
        let to = m.recipients[0].clone();
        match fi.encode(&m, &to, &encode_ctx(m.id)) {
            Ok(encoded) => {
                let back = fi.decode(&encoded.as_wire(), &decode_ctx()).unwrap();
                assert_equal_up_to(&m, &back, &encoded.losses);
            }
            Err(e) => prop_assert!(
                matches!(e.code(), "business-rule" | "recipient-unaddressable"),
                "{e}"
            ),
        }
    }
}
