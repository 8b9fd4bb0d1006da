//! A Finnish sender's request → canonical: the golden decodes, field by
//! field, every enum string, Suomi.fi's limits, identifiers, and the files
//! a request names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{AdapterError, Channel, Message, Scheme};
use borderpost_fi::wire::{
    BodyFormat, MessageServiceType, Reminder, ReplyAllowedBy, SenderDetailsInNotifications,
    Visibility,
};
use borderpost_fi::{COUNTRY_CODES, RequestBody, Route};
use common::*;
use serde_json::{Value, json};

fn json_fixture(name: &str) -> Value {
    serde_json::from_slice(&request(name)).unwrap()
}

fn decode_json(name: &str, body: &Value) -> Result<Message, AdapterError> {
    decode_with(&serde_json::to_vec(body).unwrap(), &files(name))
}

/// `edit` applied to a copy of fixture `name`, decoded.
fn decode_edited(name: &str, edit: impl FnOnce(&mut Value)) -> Result<Message, AdapterError> {
    let mut body = json_fixture(name);
    edit(&mut body);
    decode_json(name, &body)
}

/// An edit of a request fixture.
type Edit = Box<dyn Fn(&mut Value)>;

/// The error's code and message, for assertions on both.
fn refused(result: Result<Message, AdapterError>) -> (String, String) {
    let e = result.expect_err("should be refused");
    (e.code().to_owned(), e.to_string())
}

// === golden decodes ===

/// Compares the decoded message's canonical JSON with the reviewed file in
/// `tests/fixtures/golden/`. `BORDERPOST_UPDATE_GOLDEN=1` rewrites them.
fn golden(name: &str, m: &Message) {
    let path = fixtures().join("golden").join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(m).unwrap() + "\n";
    if std::env::var_os("BORDERPOST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with BORDERPOST_UPDATE_GOLDEN=1)",
            path.display()
        )
    });
    assert_eq!(actual, expected, "{name}");
}

#[test]
fn golden_decode_of_every_fixture() {
    for name in REQUESTS {
        golden(name, &decode_fixture(name));
    }
}

#[test]
fn the_multichannel_fixture_maps_field_by_field() {
    let m = decode_fixture("multichannel");
    assert_eq!(m.id.to_string(), "3f0c1e6a-5b7d-4c2e-9a1f-0d8e7c6b5a49");
    assert_eq!(m.sender.id, party(MUNICIPALITY));
    assert_eq!(m.sender.name.as_deref(), Some("Esimerkkikunta"));
    assert_eq!(m.channel, Channel::DigitalElsePrint);
    assert_eq!(m.subject, "Päätös varhaiskasvatuspaikasta");
    assert_eq!(m.created, NOW);
    let r = &m.recipients[0];
    assert_eq!(r.id, Some(party("fi-hetu:131052-308T")));
    assert_eq!(r.name.as_deref(), Some("Meikäläinen Maija"));
    let a = r.address.as_ref().unwrap();
    assert_eq!(a.lines, ["Mannerheimintie 1 A 2"]);
    assert_eq!(
        (a.postcode.as_deref(), a.city.as_deref(), a.country.as_str()),
        (Some("00100"), Some("HELSINKI"), "FI")
    );
    // The body, then the file both parts share.
    assert_eq!(m.documents.len(), 2);
    assert_eq!(m.documents[0].filename, "message.txt");
    assert_eq!(m.documents[0].media_type, "text/plain; charset=utf-8");
    assert!(
        String::from_utf8(m.documents[0].content.clone())
            .unwrap()
            .starts_with("Hei,\n\nohessa")
    );
    assert_eq!(
        m.documents[1].filename,
        "Päätös varhaiskasvatuspaikasta.pdf"
    );
    assert!(!m.read_receipt && m.reply.is_none() && m.notification.is_none());
    // Only what differs from Borderpost's defaults is kept; the Posti
    // credentials and cost pool never are.
    let ext = m.extensions.get("fi-suomifi").unwrap();
    assert_eq!(
        ext,
        &json!({
            "externalId": "3f0c1e6a-5b7d-4c2e-9a1f-0d8e7c6b5a49",
            "colorPrinting": true,
            "twoSidedPrinting": true,
            "returnAddress": {"name": "Esimerkkikunta", "streetAddress": "PL 1", "zipCode": "02070",
                              "city": "ESIMERKKIKUNTA", "countryCode": "FI"}
        })
    );
    let text = serde_json::to_string(&m).unwrap();
    assert!(!text.contains("7391") && !text.contains("EKU001") && !text.contains("VAKA01"));
}

#[test]
fn the_electronic_fixture_maps_field_by_field() {
    let m = decode_fixture("electronic");
    // A non-UUID externalId: the canonical id is the gateway's, the
    // externalId is kept for the sender's events.
    assert_eq!(m.id, decode_ctx().fallback_id);
    assert_eq!(borderpost_fi::external_id(&m), "SOTE-2025-000123");
    assert_eq!(m.channel, Channel::DigitalOnly);
    assert_eq!(m.recipients[0].id, Some(party("fi-hetu:020502E902X")));
    assert!(m.recipients[0].address.is_none());
    assert!(m.read_receipt, "Verifiable is a request for a receipt");
    assert_eq!(m.reply.map(|r| r.allowed), Some(true));
    assert_eq!(m.references.in_reply_to.as_deref(), Some("902134567"));
    assert_eq!(
        m.notification.as_deref(),
        Some("Sinulle on saapunut viesti, joka on kuitattava vastaanotetuksi.")
    );
    assert_eq!(m.documents[0].filename, "message.md");
    assert_eq!(m.documents[0].media_type, "text/markdown; charset=utf-8");
    assert_eq!(
        m.documents
            .iter()
            .map(|d| d.filename.as_str())
            .collect::<Vec<_>>(),
        ["message.md", "paatos.pdf", "ohje.docx"]
    );
    let ext = m.extensions.get("fi-suomifi").unwrap();
    assert_eq!(ext["serviceId"], "esimerkkikunta-sote");
    assert_eq!(ext["visibility"], "Recipient only");
    assert_eq!(ext["senderDetailsInNotifications"], "None");
    assert_eq!(ext["reminder"], "No reminders");
    assert_eq!(
        ext["customisedNewMessageNotification"]["content"]["sv"],
        "Du har fått ett meddelande som du ska kvittera."
    );
}

#[test]
fn the_paper_fixture_maps_field_by_field() {
    let m = decode_fixture("paper-mail-without-id");
    assert_eq!(m.channel, Channel::PrintOnly);
    let r = &m.recipients[0];
    assert!(r.id.is_none());
    assert_eq!(r.name.as_deref(), Some("Svensson Anna"));
    let a = r.address.as_ref().unwrap();
    assert_eq!(a.lines, ["c/o Lindqvist", "Storgatan 12"]);
    assert_eq!(a.country, "SE");
    // Paper has no title: the letter's file name is its subject.
    assert_eq!(m.subject, "Kutsu tarkastukseen.pdf");
    assert_eq!(m.documents.len(), 1);
    assert!(m.read_receipt, "a verifiable letter");
}

#[test]
fn the_route_is_the_bodys_or_the_one_posted_to() {
    let limits = borderpost_core::Limits::default();
    for (name, route) in REQUESTS.into_iter().zip([
        Route::Multichannel,
        Route::Electronic,
        Route::PaperMailWithoutId,
    ]) {
        let body = request(name);
        assert_eq!(
            RequestBody::parse(None, &body, &limits).unwrap().route(),
            route
        );
        assert_eq!(
            RequestBody::parse(Some(route), &body, &limits)
                .unwrap()
                .route(),
            route
        );
        for other in Route::ALL.into_iter().filter(|&r| r != route) {
            let e = RequestBody::parse(Some(other), &body, &limits).unwrap_err();
            assert_eq!(e.code(), "schema", "{name} as {other}");
            assert!(e.to_string().contains(other.path()), "{e}");
        }
    }
    // Fields that make no route.
    for edit in [
        |b: &mut Value| drop(b.as_object_mut().unwrap().remove("recipient")),
        |b: &mut Value| drop(b.as_object_mut().unwrap().remove("electronic")),
    ] {
        let mut body = json_fixture("multichannel");
        edit(&mut body);
        let e = RequestBody::parse(None, &serde_json::to_vec(&body).unwrap(), &limits).unwrap_err();
        assert_eq!(e.code(), "schema", "{e}");
    }
}

#[test]
fn the_decoders_own_entry_point_takes_parsed_bodies() {
    let body = request("electronic");
    let limits = borderpost_core::Limits::default();
    let parsed = RequestBody::parse(Some(Route::Electronic), &body, &limits).unwrap();
    let wanted: Vec<String> = parsed
        .attachment_ids()
        .unwrap()
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(
        wanted,
        [
            "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
            "6ba7b811-9dad-41d1-80b4-00c04fd430c8"
        ]
    );
    let files = files("electronic");
    let direct = adapter()
        .decode_request(&parsed, &incoming(&files), &decode_ctx())
        .unwrap();
    assert_eq!(direct, decode_fixture("electronic"));
}

// === every enum string ===

#[test]
fn every_enum_string_decodes_in_its_place() {
    let set = |path: &[&str], value: &str| {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        let value = value.to_owned();
        move |b: &mut Value| {
            let mut at = b;
            for key in &path {
                at = &mut at[key.as_str()];
            }
            *at = Value::String(value.clone());
        }
    };
    for v in BodyFormat::ALL {
        let m =
            decode_edited("electronic", set(&["electronic", "bodyFormat"], v.as_str())).unwrap();
        let md = m.documents[0].media_type.starts_with("text/markdown");
        assert_eq!(md, *v == BodyFormat::Markdown);
    }
    for v in MessageServiceType::ALL {
        let m = decode_edited(
            "electronic",
            set(&["electronic", "messageServiceType"], v.as_str()),
        )
        .unwrap();
        assert_eq!(m.read_receipt, *v == MessageServiceType::Verifiable);
        let m = decode_edited(
            "paper-mail-without-id",
            set(&["paperMail", "messageServiceType"], v.as_str()),
        )
        .unwrap();
        assert_eq!(m.read_receipt, *v == MessageServiceType::Verifiable);
    }
    for v in ReplyAllowedBy::ALL {
        let m = decode_edited(
            "electronic",
            set(&["electronic", "replyAllowedBy"], v.as_str()),
        )
        .unwrap();
        assert_eq!(m.reply.is_some(), *v == ReplyAllowedBy::Anyone);
    }
    for v in Visibility::ALL {
        let m =
            decode_edited("electronic", set(&["electronic", "visibility"], v.as_str())).unwrap();
        let kept = m
            .extensions
            .get("fi-suomifi")
            .unwrap()
            .get("visibility")
            .cloned();
        assert_eq!(kept.is_some(), *v == Visibility::RecipientOnly);
    }
    for v in SenderDetailsInNotifications::ALL {
        let m = decode_edited(
            "electronic",
            set(
                &[
                    "electronic",
                    "notifications",
                    "senderDetailsInNotifications",
                ],
                v.as_str(),
            ),
        )
        .unwrap();
        let kept = m
            .extensions
            .get("fi-suomifi")
            .unwrap()
            .get("senderDetailsInNotifications")
            .cloned();
        assert_eq!(
            kept.is_some(),
            *v == SenderDetailsInNotifications::NoDetails
        );
    }
    for v in Reminder::ALL {
        let m = decode_edited(
            "electronic",
            set(
                &[
                    "electronic",
                    "notifications",
                    "unreadMessageNotification",
                    "reminder",
                ],
                v.as_str(),
            ),
        )
        .unwrap();
        let kept = m
            .extensions
            .get("fi-suomifi")
            .unwrap()
            .get("reminder")
            .cloned();
        assert_eq!(kept.is_some(), *v == Reminder::NoReminders);
    }
}

#[test]
fn wrong_enum_strings_and_unknown_fields_are_refused_at_their_path() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "electronic",
            Box::new(|b| b["electronic"]["bodyFormat"] = json!("HTML")),
            "electronic.bodyFormat",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["bodyFormat"] = json!("text")),
            "electronic.bodyFormat",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["messageServiceType"] = json!("Registered")),
            "electronic.messageServiceType",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["replyAllowedBy"] = json!("No One")),
            "electronic.replyAllowedBy",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["visibility"] = json!("Private")),
            "electronic.visibility",
        ),
        (
            "electronic",
            Box::new(|b| {
                b["electronic"]["notifications"]["senderDetailsInNotifications"] = json!("none")
            }),
            "electronic.notifications.senderDetailsInNotifications",
        ),
        (
            "electronic",
            Box::new(|b| {
                b["electronic"]["notifications"]["unreadMessageNotification"]["reminder"] =
                    json!(true)
            }),
            "electronic.notifications.unreadMessageNotification.reminder",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["priority"] = json!("high")),
            "electronic",
        ),
        (
            "electronic",
            Box::new(|b| {
                b["electronic"]["notifications"]["customisedNewMessageNotification"]["title"]["se"] =
                    json!("x")
            }),
            "electronic.notifications.customisedNewMessageNotification.title",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["inReplyToMessageId"] = json!("902134567")),
            "electronic.inReplyToMessageId",
        ),
        (
            "electronic",
            Box::new(|b| b["electronic"]["attachments"][0]["fileId"] = json!("x")),
            "electronic.attachments[0]",
        ),
        (
            "electronic",
            Box::new(|b| b["sender"]["id"] = json!("x")),
            "sender",
        ),
        (
            "electronic",
            Box::new(|b| b["metadata"] = json!({})),
            "metadata",
        ),
        (
            "multichannel",
            Box::new(|b| b["paperMail"]["colorPrinting"] = json!("yes")),
            "paperMail.colorPrinting",
        ),
        (
            "multichannel",
            Box::new(|b| b["paperMail"]["printingAndEnvelopingService"]["costCentre"] = json!("x")),
            "paperMail.printingAndEnvelopingService",
        ),
        (
            "multichannel",
            Box::new(|b| b["paperMail"]["recipient"]["address"]["street"] = json!("x")),
            "paperMail.recipient.address",
        ),
        (
            "multichannel",
            Box::new(|b| b["recipient"]["ssn"] = json!("x")),
            "recipient",
        ),
        (
            "multichannel",
            Box::new(|b| {
                drop(
                    b["electronic"]
                        .as_object_mut()
                        .unwrap()
                        .remove("visibility"),
                )
            }),
            "electronic",
        ),
        (
            "multichannel",
            Box::new(|b| {
                drop(
                    b["paperMail"]
                        .as_object_mut()
                        .unwrap()
                        .remove("twoSidedPrinting"),
                )
            }),
            "paperMail",
        ),
        (
            "paper-mail-without-id",
            Box::new(|b| {
                drop(
                    b["paperMail"]["recipient"]["address"]
                        .as_object_mut()
                        .unwrap()
                        .remove("countryCode"),
                )
            }),
            "paperMail.recipient.address",
        ),
    ];
    for (i, (name, edit, path)) in cases.into_iter().enumerate() {
        let (code, message) = refused(decode_edited(name, edit));
        assert_eq!(code, "schema", "case {i}: {message}");
        assert!(
            message.contains(&format!("invalid at {path}")),
            "case {i}: {message}"
        );
    }
}

// === limits ===

#[test]
fn title_and_body_limits() {
    let title = |n: usize| move |b: &mut Value| b["electronic"]["title"] = json!("ä".repeat(n));
    assert_eq!(
        decode_edited("electronic", title(256))
            .unwrap()
            .subject
            .chars()
            .count(),
        256
    );
    let (code, message) = refused(decode_edited("electronic", title(257)));
    assert_eq!(code, "schema");
    assert!(
        message.contains("electronic.title: 257 characters, at most 256"),
        "{message}"
    );
    let (_, message) = refused(decode_edited("electronic", title(0)));
    assert!(
        message.contains("electronic.title: must not be empty"),
        "{message}"
    );
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["title"] = json!("   ")
    }));
    assert!(
        message.contains("electronic.title: must not be blank"),
        "{message}"
    );
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["title"] = json!("a\u{0}b")
    }));
    assert!(message.contains("control character U+0000"), "{message}");

    let body = |n: usize| move |b: &mut Value| b["electronic"]["body"] = json!("x".repeat(n));
    let m = decode_edited("electronic", body(40_000)).unwrap();
    assert_eq!(m.documents[0].content.len(), 40_000);
    let (code, message) = refused(decode_edited("electronic", body(40_001)));
    assert_eq!(code, "schema");
    assert!(
        message.contains("electronic.body: 40001 characters, at most 40000"),
        "{message}"
    );
    assert!(
        refused(decode_edited("electronic", body(0)))
            .1
            .contains("electronic.body")
    );
}

#[test]
fn id_and_count_limits() {
    let external = |s: String| move |b: &mut Value| b["externalId"] = json!(s);
    let m = decode_edited("electronic", external("e".repeat(256))).unwrap();
    assert_eq!(borderpost_fi::external_id(&m).len(), 256);
    assert!(
        refused(decode_edited("electronic", external("e".repeat(257))))
            .1
            .contains("externalId: 257")
    );
    assert!(
        refused(decode_edited("electronic", external(String::new())))
            .1
            .contains("externalId")
    );

    let service = |s: String| move |b: &mut Value| b["sender"]["serviceId"] = json!(s);
    assert!(
        refused(decode_edited("electronic", service("s".repeat(65))))
            .1
            .contains("sender.serviceId: 65")
    );
    let (code, message) = refused(decode_edited("electronic", service("s".repeat(64))));
    assert_eq!(
        code, "business-rule",
        "a well-formed id of a service nobody configured: {message}"
    );
    assert!(message.contains("fi.service-id"));

    // 50 attachments is the limit of the electronic part.
    let ids: Vec<String> = (0..51)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let many: Vec<File> = ids
        .iter()
        .map(|id| File {
            id: Box::leak(id.clone().into_boxed_str()),
            filename: "liite.pdf",
            media_type: "application/pdf",
            content: b"%PDF".to_vec(),
        })
        .collect();
    let mut body = json_fixture("electronic");
    body["electronic"]["attachments"] = ids[..50]
        .iter()
        .map(|id| json!({"attachmentId": id}))
        .collect();
    let m = decode_with(&serde_json::to_vec(&body).unwrap(), &many[..50]).unwrap();
    assert_eq!(m.documents.len(), 51);
    body["electronic"]["attachments"] = ids.iter().map(|id| json!({"attachmentId": id})).collect();
    let e = decode_with(&serde_json::to_vec(&body).unwrap(), &many).unwrap_err();
    assert_eq!(e.code(), "too-large");
    assert!(e.to_string().contains("electronic.attachments"), "{e}");

    // Paper prints exactly one file.
    for n in [0, 2] {
        let (code, message) = refused(decode_edited("multichannel", |b| {
            let one = b["paperMail"]["attachments"][0].clone();
            b["paperMail"]["attachments"] = Value::Array(vec![one; n]);
        }));
        assert_eq!(code, "schema");
        assert!(message.contains("paperMail.attachments"), "{message}");
    }
}

#[test]
fn address_limits_and_countries() {
    let set = |field: &'static str, value: Value| {
        move |b: &mut Value| b["paperMail"]["recipient"]["address"][field] = value.clone()
    };
    for (field, ok, too_long, path) in [
        ("name", 256, 257, "name"),
        // Borderpost's own limits are stricter than Suomi.fi's 256 / 64.
        ("streetAddress", 100, 101, "streetAddress"),
        ("additionalName", 100, 101, "additionalName"),
        ("zipCode", 20, 21, "zipCode"),
        ("city", 80, 81, "city"),
    ] {
        assert!(
            decode_edited("paper-mail-without-id", set(field, json!("a".repeat(ok)))).is_ok(),
            "{field}"
        );
        let (code, message) = refused(decode_edited(
            "paper-mail-without-id",
            set(field, json!("a".repeat(too_long))),
        ));
        assert_eq!(code, "schema", "{field}");
        assert!(
            message.contains(&format!("paperMail.recipient.address.{path}")),
            "{message}"
        );
    }
    // Suomi.fi's own limits, beyond Borderpost's.
    let (_, message) = refused(decode_edited(
        "paper-mail-without-id",
        set("zipCode", json!("1".repeat(65))),
    ));
    assert!(
        message.contains("zipCode: 65 characters, at most 64"),
        "{message}"
    );
    for code in COUNTRY_CODES {
        let m = decode_edited("paper-mail-without-id", set("countryCode", json!(code))).unwrap();
        assert_eq!(m.recipients[0].address.as_ref().unwrap().country, code);
    }
    for bad in ["fi", "FIN", "EU", "", "ZZ"] {
        let (code, message) = refused(decode_edited(
            "paper-mail-without-id",
            set("countryCode", json!(bad)),
        ));
        assert_eq!(code, "schema", "{bad}");
        assert!(
            message.contains("paperMail.recipient.address.countryCode"),
            "{message}"
        );
    }
    let (_, message) = refused(decode_edited("multichannel", |b| {
        b["paperMail"]["sender"]["address"]["countryCode"] = json!("XY")
    }));
    assert!(
        message.contains("paperMail.sender.address.countryCode"),
        "{message}"
    );
}

#[test]
fn posti_agreement_limits() {
    let posti = |field: &'static str, value: &'static str| {
        move |b: &mut Value| {
            b["paperMail"]["printingAndEnvelopingService"]["postiMessaging"][field] = json!(value)
        }
    };
    for (field, bad) in [
        ("username", "EKU01"),
        ("username", "EKU0012"),
        ("password", "739"),
        ("password", "73910"),
    ] {
        let (_, message) = refused(decode_edited("multichannel", posti(field, bad)));
        assert!(
            message.contains(&format!("postiMessaging.{field}")),
            "{message}"
        );
    }
    for pool in ["vaka01", "VAKA-01", "", "ABCDEFGHIJKLMNOP"] {
        let (_, message) = refused(decode_edited("multichannel", move |b| {
            b["paperMail"]["printingAndEnvelopingService"]["costPool"] = json!(pool)
        }));
        assert!(
            message.contains("printingAndEnvelopingService.costPool"),
            "{pool}: {message}"
        );
    }
}

// === identifiers ===

#[test]
fn every_hetu_century_sign_is_a_recipient() {
    for hetu in HETUS {
        let m = decode_edited("electronic", |b| b["recipient"]["id"] = json!(hetu)).unwrap();
        let id = m.recipients[0].id.as_ref().unwrap();
        assert_eq!(id.scheme(), Scheme::FiHetu);
        assert_eq!(id.value(), hetu, "the century sign is part of the identity");
    }
    // Lower case is the same person.
    let m = decode_edited("electronic", |b| {
        b["recipient"]["id"] = json!("131052-308t")
    })
    .unwrap();
    assert_eq!(m.recipients[0].id, Some(party("fi-hetu:131052-308T")));
    for bad in [
        "131052-308U", // wrong check character
        "131052G308T", // not a century sign
        "310252-308T", // 31 February
        "010190-999K", // the illustration on telp.fi: its check character is W
    ] {
        let (code, message) = refused(decode_edited("electronic", |b| {
            b["recipient"]["id"] = json!(bad)
        }));
        assert_eq!(code, "invalid-identifier", "{bad}: {message}");
        assert!(message.contains("recipient.id"), "{message}");
    }
}

#[test]
fn business_ids_are_recipients_with_their_check_digit() {
    for ytunnus in ["0245437-2", "1366959-8", "1234567-1"] {
        let m = decode_edited("multichannel", |b| b["recipient"]["id"] = json!(ytunnus)).unwrap();
        assert_eq!(
            m.recipients[0].id,
            Some(party(&format!("fi-ytunnus:{ytunnus}")))
        );
    }
    for bad in ["0737546-1", "0245437-3", "024543-72"] {
        let (code, message) = refused(decode_edited("multichannel", |b| {
            b["recipient"]["id"] = json!(bad)
        }));
        assert_eq!(code, "invalid-identifier", "{bad}: {message}");
    }
    // Too short or long for either kind of id.
    for bad in ["02454372", "131052-308TX"] {
        let (code, message) = refused(decode_edited("multichannel", |b| {
            b["recipient"]["id"] = json!(bad)
        }));
        assert_eq!(code, "schema", "{bad}: {message}");
        assert!(message.contains("recipient.id"), "{message}");
    }
}

// === files ===

#[test]
fn the_files_must_be_exactly_those_named() {
    let body = request("electronic");
    let all = files("electronic");
    // One missing.
    let e = decode_with(&body, &all[..1]).unwrap_err();
    assert!(
        e.to_string()
            .contains("electronic.attachments[1].attachmentId: no file"),
        "{e}"
    );
    // One not named.
    let mut extra = files("electronic");
    extra.push(File {
        id: "00000000-0000-4000-8000-00000000abcd",
        filename: "x.pdf",
        media_type: "application/pdf",
        content: Vec::new(),
    });
    assert!(
        decode_with(&body, &extra)
            .unwrap_err()
            .to_string()
            .contains("not named by the request")
    );
    // One twice.
    let mut twice = files("electronic");
    twice.push(files("electronic").remove(0));
    let names = part_names(&twice);
    // (Two parts of the same name cannot be told apart on a wire either.)
    let e =
        borderpost_core::Adapter::decode(&adapter(), &wire(&body, &names, &twice), &decode_ctx())
            .unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
    // The same attachment twice in one list.
    let (_, message) = refused(decode_edited("electronic", |b| {
        let first = b["electronic"]["attachments"][0].clone();
        b["electronic"]["attachments"][1] = first;
    }));
    assert!(message.contains("listed twice"), "{message}");
    // Not a UUID.
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["attachments"][0]["attachmentId"] =
            json!("6ba7b8109dad41d180b400c04fd430c8")
    }));
    assert!(
        message.contains("electronic.attachments[0].attachmentId"),
        "{message}"
    );
}

#[test]
fn file_types_and_sizes_follow_suomi_fi() {
    let body = request("electronic");
    let mut svg = files("electronic");
    svg[1].media_type = "image/svg+xml";
    let e = decode_with(&body, &svg).unwrap_err();
    assert_eq!(e.code(), "business-rule");
    assert!(e.to_string().contains("fi.attachment-media-type"), "{e}");

    let mut big = files("electronic");
    big[0].content = vec![b'x'; borderpost_fi::attachments::MAX_ATTACHMENT_BYTES as usize + 1];
    assert_eq!(decode_with(&body, &big).unwrap_err().code(), "too-large");

    // Posti prints PDF only.
    let mut png = files("multichannel");
    png[0].media_type = "image/png";
    let e = decode_with(&request("multichannel"), &png).unwrap_err();
    assert!(e.to_string().contains("fi.paper-pdf"), "{e}");

    let mut nameless = files("paper-mail-without-id");
    nameless[0].filename = "";
    assert!(decode_with(&request("paper-mail-without-id"), &nameless).is_err());
}

#[test]
fn a_body_that_only_repeats_the_title_beside_files_is_no_document() {
    let m = decode_edited("multichannel", |b| {
        b["electronic"]["body"] = b["electronic"]["title"].clone();
    })
    .unwrap();
    assert_eq!(m.documents.len(), 1);
    assert_eq!(m.documents[0].media_type, "application/pdf");
    // Without files the body is the only document, whatever it says.
    let m = decode_edited("electronic", |b| {
        b["electronic"]["body"] = b["electronic"]["title"].clone();
        b["electronic"]["attachments"] = json!([]);
    });
    let files_needed = m.unwrap_err();
    assert!(
        files_needed.to_string().contains("not named"),
        "{files_needed}"
    );
    let body = {
        let mut b = json_fixture("electronic");
        b["electronic"]["body"] = b["electronic"]["title"].clone();
        b["electronic"]["attachments"] = json!([]);
        serde_json::to_vec(&b).unwrap()
    };
    let m = decode_with(&body, &[]).unwrap();
    assert_eq!(m.documents.len(), 1);
    assert_eq!(m.documents[0].content, m.subject.as_bytes());
}

#[test]
fn the_printed_file_is_kept_where_it_is_not_the_first_pdf() {
    use borderpost_core::Adapter;
    let fi = adapter();
    // Two PDFs attached; paper prints the second.
    let mut two = files("electronic");
    two[1].filename = "liite.pdf";
    two[1].media_type = "application/pdf";
    let mut body = json_fixture("multichannel");
    body["electronic"]["attachments"] = json!([
        {"attachmentId": two[0].id}, {"attachmentId": two[1].id}
    ]);
    body["paperMail"]["attachments"] = json!([{"attachmentId": two[1].id}]);
    let m = decode_with(&serde_json::to_vec(&body).unwrap(), &two).unwrap();
    let ext = m.extensions.get("fi-suomifi").unwrap();
    assert_eq!(
        ext["printedDocument"], 2,
        "after the body and the first PDF"
    );
    let encoded = fi.encode(&m, &m.recipients[0], &encode_ctx(m.id)).unwrap();
    let out = json_of(&encoded);
    assert_eq!(
        out["electronic"]["attachments"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        out["paperMail"]["attachments"][0],
        out["electronic"]["attachments"][1]
    );
    assert_eq!(
        fi.decode(&encoded.as_wire(), &decode_ctx())
            .unwrap()
            .documents,
        m.documents
    );

    // A file printed only, beside none attached electronically.
    let mut body = json_fixture("multichannel");
    body["electronic"]["attachments"] = json!([]);
    let m = decode_with(&serde_json::to_vec(&body).unwrap(), &files("multichannel")).unwrap();
    let ext = m.extensions.get("fi-suomifi").unwrap();
    assert_eq!(ext["printOnly"], true);
    assert!(
        ext.get("printedDocument").is_none(),
        "the first PDF is the default"
    );
    assert_eq!(m.documents.len(), 2);
    let encoded = fi.encode(&m, &m.recipients[0], &encode_ctx(m.id)).unwrap();
    let out = json_of(&encoded);
    assert_eq!(out["electronic"]["attachments"], json!([]));
    assert_eq!(out["paperMail"]["attachments"].as_array().unwrap().len(), 1);
    let back = fi.decode(&encoded.as_wire(), &decode_ctx()).unwrap();
    assert_eq!(back.documents, m.documents);
    assert_eq!(
        back.extensions.get("fi-suomifi").unwrap()["printOnly"],
        true
    );

    // A kept index that is not a PDF is refused, not printed.
    let mut tampered = m.clone();
    let mut ext = tampered.extensions.get("fi-suomifi").unwrap().clone();
    ext["printedDocument"] = json!(0);
    tampered.extensions.insert("fi-suomifi", ext.clone());
    let e = fi
        .encode(&tampered, &tampered.recipients[0], &encode_ctx(m.id))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("extensions.fi-suomifi.printedDocument"),
        "{e}"
    );
    ext["printedDocument"] = json!(7);
    tampered.extensions.insert("fi-suomifi", ext);
    assert_eq!(
        fi.encode(&tampered, &tampered.recipients[0], &encode_ctx(m.id))
            .unwrap_err()
            .code(),
        "schema"
    );
}

#[test]
fn notifications_longer_than_borderpost_carries_are_refused() {
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["notifications"]["customisedNewMessageNotification"]["content"]["fi"] =
            json!("x".repeat(1001))
    }));
    assert!(message.contains("content.fi: 1001 characters"), "{message}");
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["notifications"]["customisedNewMessageNotification"]["content"]["sv"] =
            json!("x".repeat(1501))
    }));
    assert!(
        message.contains("content.sv: 1501 characters, at most 1500"),
        "{message}"
    );
    let (_, message) = refused(decode_edited("electronic", |b| {
        b["electronic"]["notifications"]["customisedNewMessageNotification"]["title"]["en"] =
            json!("")
    }));
    assert!(message.contains("title.en: must not be empty"), "{message}");
}
