//! MeMo: golden decodes of the official samples, XSD validity of what we
//! write, round trips, lossless relay, NemSMS, identifiers, business rules
//! and the `dk-memo` extension.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{
    Adapter, AdapterError, EffectiveAt, Encoded, Message, MessageKind, Recipient, Wire,
};
use borderpost_dk::{Memo, MemoVersion};
use common::*;
use time::macros::{date, datetime};
use uuid::Uuid;

fn v11() -> Memo {
    Memo::new(MemoVersion::V1_1)
}

fn v12() -> Memo {
    Memo::new(MemoVersion::V1_2)
}

fn decode(bytes: &[u8]) -> Result<Message, AdapterError> {
    v11().decode(&Wire::single(bytes), &decode_ctx())
}

fn encode(memo: Memo, m: &Message, to: &Recipient) -> Result<Encoded, AdapterError> {
    memo.encode(m, to, &encode_ctx(m.id))
}

fn body(e: &Encoded) -> &[u8] {
    &e.parts[0].body
}

fn ext(m: &Message) -> &serde_json::Value {
    m.extensions.get("dk-memo").expect("a dk-memo extension")
}

// === the samples as published ===

#[test]
fn the_samples_as_published_are_refused_for_their_data() {
    // Strict by design: the official data is not valid business content.
    let cases = [
        (
            SAMPLES[0],
            "MessageHeader/Sender/senderID",
            "check digit should be 4",
        ),
        (
            SAMPLES[1],
            "MessageHeader/Sender/senderID",
            "check digit should be 4",
        ),
        (
            SAMPLES[2],
            "MessageHeader/Sender/senderID",
            "check digit should be 4",
        ),
        (
            SAMPLES[3],
            "MessageHeader/Sender/senderID",
            "check digit should be 4",
        ),
        (
            SAMPLES[4],
            "MessageHeader/Sender/senderID",
            "is not allowed",
        ),
        (
            SAMPLES[5],
            "MessageHeader/Sender/senderID",
            "is not allowed",
        ),
        (
            SAMPLES[6],
            "MessageHeader/Sender/senderID",
            "check digit should be 3",
        ),
    ];
    for (path, at, why) in cases {
        let e = decode(&sample(path)).unwrap_err();
        assert_eq!(e.code(), "invalid-identifier", "{path}: {e}");
        let text = e.to_string();
        assert!(text.contains(at) && text.contains(why), "{path}: {text}");
    }
}

#[test]
fn the_1_1_full_example_links_with_http_which_digital_post_refuses() {
    let mut text = String::from_utf8(sample(SAMPLES[0])).unwrap();
    for (from, to) in SAMPLE_EDITS {
        if !from.contains("url") {
            text = text.replacen(from, to, 1);
        }
    }
    let e = decode(text.as_bytes()).unwrap_err();
    match &e {
        AdapterError::BusinessRule { rule, detail } => {
            assert_eq!(*rule, "dk.action-https");
            assert!(
                detail.contains("MainDocument[1]/Action[1]/EntryPoint/url"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_corrected_1_1_samples_still_validate_against_the_official_xsd() {
    for path in &SAMPLES[..2] {
        xmllint(&memo_xsd(), &sample(path)).unwrap();
        xmllint(&memo_xsd(), &corrected(path)).unwrap();
    }
}

// === golden decodes ===

/// Compares the decoded message's canonical JSON with the reviewed file in
/// `tests/fixtures/golden/`. `BORDERPOST_UPDATE_GOLDEN=1` rewrites them.
fn golden(name: &str, m: &Message) {
    let path = fixtures().join("golden").join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(m).unwrap() + "\n";
    if std::env::var_os("BORDERPOST_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
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
fn golden_decode_of_every_sample() {
    let names = [
        "memo-1.1-full",
        "memo-1.1-minimum",
        "memo-1.2-full",
        "memo-1.2-minimum",
        "memo-1.2-nemsms",
        "memo-1.2-with-attachment",
        "memo-1.0-scenario-1",
    ];
    for (path, name) in SAMPLES.iter().zip(names) {
        let m = decode(&corrected(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        golden(name, &m);
    }
}

#[test]
fn the_1_1_full_example_maps_field_by_field() {
    let m = decode(&corrected(SAMPLES[0])).unwrap();
    assert_eq!(
        m.id,
        Uuid::parse_str("8c2ea15d-61fb-4ba9-9366-42f8b194c114").unwrap()
    );
    assert_eq!(m.kind, MessageKind::Letter);
    assert_eq!(m.subject, "Besked fra Børneforvaltningen");
    assert_eq!(
        m.notification.as_deref(),
        Some("Du har fået digitalpost fra Kommunen vedr. din ansøgning om børnehaveplads.")
    );
    let reply = m.reply.unwrap();
    assert!(reply.allowed);
    assert_eq!(reply.by, Some(datetime!(2018-09-30 12:00 UTC)));
    assert_eq!(
        m.effective_at,
        Some(EffectiveAt::Date(date!(2018 - 09 - 15)))
    );
    assert!(!m.legal.mandatory_read && !m.legal.legal_notification);
    assert_eq!(m.sender.id, party("dk-cvr:12345674"));
    assert_eq!(m.sender.name.as_deref(), Some("Kommunen"));
    assert_eq!(m.recipients[0].id, Some(party("dk-cpr:2211771212")));
    assert_eq!(m.recipients[0].name.as_deref(), Some("Mette Hansen"));
    assert_eq!(m.references.sender_reference.as_deref(), Some("MSG-12345"));
    assert_eq!(m.references.case.as_deref(), Some("SAG-12345"));
    assert_eq!(m.created, datetime!(2018-05-03 12:00 UTC));
    let files: Vec<&str> = m.documents.iter().map(|d| d.filename.as_str()).collect();
    assert_eq!(
        files,
        [
            "Pladsanvisning.pdf",
            "Pladsanvisning.txt",
            "Pladsanvisning.pdf",
            "Praktiske oplysninger.doc",
            "vejledning.pdf",
            "TekniskDokument.xml"
        ]
    );
    assert_eq!(m.documents[0].content, b"This is a test");
    assert_eq!(
        m.documents[1].title.as_deref(),
        Some("Tilbud om børnehaveplads")
    );
    assert_eq!(m.documents[5].media_type, "text/xml");

    let x = ext(&m);
    assert_eq!(x["memoVersion"], "1.1");
    assert_eq!(x["messageCode"], "Pladsanvisning");
    assert_eq!(x["postType"], "MYNDIGHEDSPOST");
    assert!(
        x["additionalNotification"]
            .as_str()
            .unwrap()
            .ends_with("Emilie Hansen")
    );
    let groups = x["documents"].as_array().unwrap();
    let shape: Vec<(String, String, usize, usize)> = groups
        .iter()
        .map(|g| {
            (
                g["kind"].as_str().unwrap().to_owned(),
                g["id"].as_str().unwrap().to_owned(),
                g["files"].as_array().unwrap().len(),
                g["Action"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("MainDocument".into(), "456".into(), 2, 2),
            ("AdditionalDocument".into(), "789".into(), 2, 2),
            ("AdditionalDocument".into(), "678".into(), 1, 1),
            ("TechnicalDocument".into(), "222555".into(), 1, 0),
        ]
    );
    assert!(
        x["ContentData"]
            .as_str()
            .unwrap()
            .starts_with("<memo:ContentData>")
    );
    assert!(
        x["ContentData"]
            .as_str()
            .unwrap()
            .contains("<grd:cprNumber>2512169996</grd:cprNumber>")
    );
    assert!(
        x["ForwardData"]
            .as_str()
            .unwrap()
            .contains("originalMessageDateTime")
    );
    assert_eq!(x["ReplyData"].as_array().unwrap().len(), 2);
    assert!(
        x["Sender"]["AttentionData"]
            .as_str()
            .unwrap()
            .contains("<sor:SORdata>")
    );
    assert!(x["Recipient"]["ContactPoint"].as_str().is_some());
    assert_eq!(x["Recipient"]["id"], "dk-cpr:2211771212");
}

#[test]
fn the_1_2_examples_map_their_new_fields() {
    let full = decode(&corrected(SAMPLES[2])).unwrap();
    assert!(full.legal.mandatory_read);
    let rep = full.sender.representative.as_ref().unwrap();
    assert_eq!(rep.id, party("dk-cvr:87654311"));
    assert_eq!(rep.name.as_deref(), Some("Repræsentant Kommune"));
    assert_eq!(ext(&full)["memoVersion"], "1.2");
    assert!(
        ext(&full)["ForwardData"]
            .as_str()
            .unwrap()
            .contains("originalRepresentative")
    );

    // 1.2 dropped memoSchVersion and made mandatory/legalNotification optional.
    let minimum = decode(&corrected(SAMPLES[3])).unwrap();
    assert!(!minimum.legal.mandatory_read);

    let sms = decode(&corrected(SAMPLES[4])).unwrap();
    assert_eq!(sms.kind, MessageKind::Sms);
    assert_eq!(sms.notification.as_deref(), Some("Message Text"));
    assert!(sms.documents.is_empty());
    assert_eq!(sms.created, decode_ctx().received_at);

    let two = decode(&corrected(SAMPLES[5])).unwrap();
    assert_eq!(two.documents.len(), 2);
    assert_eq!(
        ext(&two)["documents"][0]["files"],
        serde_json::json!([0, 1])
    );
}

#[test]
fn the_1_0_scenario_decodes_where_it_maps() {
    let m = decode(&corrected(SAMPLES[6])).unwrap();
    assert_eq!(ext(&m)["memoVersion"], "1.0");
    // 1.0's documentID becomes the document's id.
    assert_eq!(ext(&m)["documents"][0]["id"], "456");
    assert_eq!(m.recipients[0].id, Some(party("dk-cvr:11223346")));
    // Re-encoded as 1.1 it is valid 1.1.
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    xmllint(&memo_xsd(), body(&e)).unwrap();
    assert!(e.losses.is_empty(), "{:?}", e.losses);
}

#[test]
fn a_1_0_forward_without_its_original_time_is_dropped_from_1_1_with_a_loss() {
    // originalMessageDateTime came with 1.1; a 1.0 ForwardData may lack it.
    let text = String::from_utf8(corrected(SAMPLES[6])).unwrap().replace(
        "</memo:ContentData>",
        "</memo:ContentData>\n    <memo:ForwardData><memo:messageUUID>8c2ea15d-61fb-4ba9-9366-42f8b194c365</memo:messageUUID><memo:originalSender>Kommunen</memo:originalSender></memo:ForwardData>",
    );
    let m = decode(text.as_bytes()).unwrap();
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    assert_eq!(fields, ["extensions.dk-memo.ForwardData"]);
    xmllint(&memo_xsd(), body(&e)).unwrap();
}

#[test]
fn prefixes_and_the_default_namespace_are_the_same_message() {
    let prefixed = corrected(SAMPLES[0]);
    let text = String::from_utf8(prefixed.clone()).unwrap();
    let default_ns = text
        .replace("xmlns:memo=", "xmlns=")
        .replace("<memo:", "<")
        .replace("</memo:", "</");
    let other = text
        .replace("xmlns:memo=", "xmlns:m=")
        .replace("<memo:", "<m:")
        .replace("</memo:", "</m:");
    let expected = decode(&prefixed).unwrap();
    assert_eq!(decode(default_ns.as_bytes()).unwrap(), expected);
    assert_eq!(decode(other.as_bytes()).unwrap(), expected);
    // And the kept fragments are written with Borderpost's prefixes.
    let from_default = decode(default_ns.as_bytes()).unwrap();
    assert!(
        ext(&from_default)["ContentData"]
            .as_str()
            .unwrap()
            .starts_with("<memo:ContentData><grd:CPRdata>")
    );
}

// === encoding and round trips ===

#[test]
fn every_sample_reencoded_as_1_1_validates_against_the_official_xsd() {
    for path in SAMPLES {
        let m = decode(&corrected(path)).unwrap();
        let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
        xmllint(&memo_xsd(), body(&e))
            .unwrap_or_else(|err| panic!("{path}:\n{err}\n{}", String::from_utf8_lossy(body(&e))));
        let text = String::from_utf8(body(&e).to_vec()).unwrap();
        assert!(text.contains("<memo:Message "), "literal memo: prefix");
        assert!(text.contains("memoVersion=\"1.1\" memoSchVersion=\"1.1.0\""));
    }
}

#[test]
fn decode_of_encode_equals_the_sample_up_to_declared_losses() {
    for path in SAMPLES {
        let m = decode(&corrected(path)).unwrap();
        for memo in [v11(), v12()] {
            let e = encode(memo, &m, &only_recipient(&m)).unwrap();
            let back = decode(body(&e)).unwrap();
            let source = ext(&m)["memoVersion"].as_str().unwrap().to_owned();
            let target = if memo.version() == MemoVersion::V1_1 {
                "1.1"
            } else {
                "1.2"
            };
            if source == target {
                assert!(e.losses.is_empty(), "{path}: {:?}", e.losses);
                assert_eq!(back, m, "{path} → {target}");
            } else {
                // Across versions the recorded memoVersion differs; the rest
                // must hold up to the losses.
                let mut losses = e.losses.clone();
                losses.push(borderpost_core::Loss {
                    field: "extensions.dk-memo.memoVersion".into(),
                    reason: "test: versions differ".into(),
                });
                assert_equal_up_to(&m, &back, &losses);
            }
        }
    }
}

#[test]
fn memo_relay_of_the_full_examples_is_lossless() {
    for (path, memo) in [(SAMPLES[0], v11()), (SAMPLES[2], v12())] {
        let input = corrected(path);
        let m = decode(&input).unwrap();
        let e = encode(memo, &m, &only_recipient(&m)).unwrap();
        assert!(e.losses.is_empty(), "{path}: {:?}", e.losses);
        assert_eq!(
            canonical_tree(body(&e)),
            canonical_tree(&input),
            "{path}: the relayed tree differs"
        );
    }
}

#[test]
fn from_1_2_to_1_1_the_representative_is_a_declared_loss() {
    let m = decode(&corrected(SAMPLES[2])).unwrap();
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let mut fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "extensions.dk-memo.ForwardData.originalRepresentative",
            "sender.representative"
        ]
    );
    xmllint(&memo_xsd(), body(&e)).unwrap();
}

#[test]
fn a_canonical_message_with_every_field_set_encodes_to_valid_memo_1_1() {
    let m = full_message();
    let to = only_recipient(&m);
    let e = encode(v11(), &m, &to).unwrap();
    xmllint(&memo_xsd(), body(&e))
        .unwrap_or_else(|err| panic!("{err}\n{}", String::from_utf8_lossy(body(&e))));
    let mut fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "extensions.no-dpi",
            "read_receipt",
            "references.conversation",
            "references.in_reply_to",
            "references.invoice",
            "security_level",
            "sender.representative",
            "sender.unit",
        ]
    );
    let back = decode(body(&e)).unwrap();
    assert_equal_up_to(&m, &back, &e.losses);
    // The case got a CaseID, with the sender as its case system.
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(text.contains("<memo:caseID>SAG-12345</memo:caseID>"));
    assert!(text.contains("<memo:caseSystem>Example Kommune</memo:caseSystem>"));

    // 1.2 carries the representative.
    let e = encode(v12(), &m, &to).unwrap();
    assert!(!e.losses.iter().any(|l| l.field == "sender.representative"));
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.sender.representative, m.sender.representative);
    assert_equal_up_to(&m, &back, &e.losses);
}

#[test]
fn times_are_utc_with_z_and_ids_are_the_contexts_uuid_v4() {
    let mut m = full_message();
    m.created = datetime!(2025-05-03 14:00:00.5 +02:00);
    let id = Uuid::parse_str("3c9d6f0e-8a1b-4c2d-9e3f-4a5b6c7d8e9f").unwrap();
    let e = v11()
        .encode(&m, &only_recipient(&m), &encode_ctx(id))
        .unwrap();
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(
        text.contains("<memo:messageUUID>3c9d6f0e-8a1b-4c2d-9e3f-4a5b6c7d8e9f</memo:messageUUID>")
    );
    assert!(text.contains("<memo:createdDateTime>2025-05-03T12:00:00.5Z</memo:createdDateTime>"));
    assert!(text.contains("<memo:replyByDateTime>2025-09-30T12:00:00Z</memo:replyByDateTime>"));
    xmllint(&memo_xsd(), body(&e)).unwrap();

    let v1 = Uuid::parse_str("3c9d6f0e-8a1b-1c2d-9e3f-4a5b6c7d8e9f").unwrap();
    let err = v11()
        .encode(&m, &only_recipient(&m), &encode_ctx(v1))
        .unwrap_err();
    assert_eq!(err.code(), "schema");
    assert!(err.to_string().contains("version 4"), "{err}");
}

#[test]
fn an_instant_embargo_becomes_a_date_never_earlier() {
    let mut m = full_message();
    m.effective_at = Some(EffectiveAt::Instant(datetime!(2025-09-15 10:00 UTC)));
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(text.contains("<memo:doNotDeliverUntilDate>2025-09-16</memo:doNotDeliverUntilDate>"));
    let loss = e.losses.iter().find(|l| l.field == "effective_at").unwrap();
    assert!(loss.reason.contains("2025-09-16"), "{}", loss.reason);
}

#[test]
fn language_defaults_to_danish_with_a_loss() {
    let mut m = full_message();
    m.documents[1].language = None;
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    assert!(e.losses.iter().any(|l| l.field == "documents[1].language"));
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.documents[1].language.as_deref(), Some("da"));
}

#[test]
fn free_text_is_cut_with_a_loss_and_references_are_refused() {
    let mut m = full_message();
    m.notification = Some("x".repeat(200));
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let loss = e.losses.iter().find(|l| l.field == "notification").unwrap();
    assert!(loss.reason.contains("200 characters"), "{}", loss.reason);
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.notification.unwrap().chars().count(), 150);
    xmllint(&memo_xsd(), body(&e)).unwrap();

    let mut m = full_message();
    m.references.sender_reference = Some("r".repeat(257));
    let err = encode(v11(), &m, &only_recipient(&m)).unwrap_err();
    assert_eq!(err.code(), "schema");
    assert!(err.to_string().contains("references.sender_reference"));

    // A sender without a name (DPI carries none): MeMo requires a label,
    // so the identifier is written, with a loss.
    let mut m = full_message();
    m.sender.name = None;
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    assert!(
        e.losses.iter().any(|l| l.field == "sender.name"),
        "{:?}",
        e.losses
    );
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.sender.name, Some(m.sender.id.to_string()));
    xmllint(&memo_xsd(), body(&e)).unwrap();
}

// === NemSMS ===

#[test]
fn nemsms_both_ways() {
    let mut m = full_message();
    m.kind = MessageKind::Sms;
    m.documents.clear();
    m.notification = Some("Husk din tid hos lægen i morgen kl. 10.".to_owned());
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(text.contains("<memo:messageType>NEMSMS</memo:messageType>"));
    assert!(!text.contains("MessageBody"));
    xmllint(&memo_xsd(), body(&e)).unwrap();
    assert!(e.losses.iter().any(|l| l.field == "created"));
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.kind, MessageKind::Sms);
    assert_equal_up_to(&m, &back, &e.losses);

    // A body on a NEMSMS is refused on the way in.
    let with_body = text.replace(
        "</memo:MessageHeader>",
        "</memo:MessageHeader><memo:MessageBody><memo:createdDateTime>2025-01-01T00:00:00Z</memo:createdDateTime><memo:MainDocument><memo:File><memo:encodingFormat>text/plain</memo:encodingFormat><memo:filename>a.txt</memo:filename><memo:language>da</memo:language><memo:content>YQ==</memo:content></memo:File></memo:MainDocument></memo:MessageBody>",
    );
    assert_eq!(decode(with_body.as_bytes()).unwrap_err().code(), "schema");

    // Too long for an SMS: cut at 150 with a loss.
    m.notification = Some("é".repeat(160));
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    assert!(e.losses.iter().any(|l| l.field == "notification"));
    xmllint(&memo_xsd(), body(&e)).unwrap();
}

// === identifiers ===

#[test]
fn other_schemes_travel_as_andet_with_the_scheme_as_label() {
    let mut m = full_message();
    let norwegian = Recipient::with_id(party("no-fnr:31129956715"));
    m.recipients = vec![norwegian.clone()];
    m.sender.id = party("iso6523:0184:55133018");
    let e = encode(v11(), &m, &norwegian).unwrap();
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(text.contains(
        "<memo:recipientID>31129956715</memo:recipientID>\n      <memo:idType>Andet</memo:idType>\n      <memo:idTypeLabel>no-fnr</memo:idTypeLabel>"
    ), "{text}");
    assert!(
        text.contains(
            "<memo:senderID>55133018</memo:senderID>\n      <memo:idType>CVR</memo:idType>"
        )
    );
    xmllint(&memo_xsd(), body(&e)).unwrap();
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.recipients[0].id, Some(party("no-fnr:31129956715")));
    assert!(back.sender.id.same_party(&m.sender.id));
}

#[test]
fn unknown_id_types_and_bad_ids_are_refused() {
    let text = String::from_utf8(corrected(SAMPLES[1])).unwrap();
    let cases = [
        (
            text.replace(
                "<memo:idType>CPR</memo:idType>",
                "<memo:idType>MyndighedsID</memo:idType>",
            ),
            "recipient-unaddressable",
        ),
        (
            text.replace(
                "<memo:idType>CPR</memo:idType>",
                "<memo:idType>Andet</memo:idType><memo:idTypeLabel>eID</memo:idTypeLabel>",
            ),
            "recipient-unaddressable",
        ),
        (
            text.replace("2211771212", "3211771212"),
            "invalid-identifier",
        ),
        (
            text.replace(
                "<memo:idType>CVR</memo:idType>",
                "<memo:idType>CPR</memo:idType>",
            )
            .replace("12345674", "2211771212"),
            "schema", // a sender is an organisation
        ),
    ];
    for (input, code) in cases {
        let e = decode(input.as_bytes()).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
}

#[test]
fn memo_takes_version_4_message_ids_only() {
    let memo = Memo::new(MemoVersion::V1_1);
    assert!(memo.accepts_message_id(Uuid::from_u128(0x8c2e_a15d_61fb_4ba9_9366_42f8_b194_c114)));
    let v5 = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"x");
    assert!(!memo.accepts_message_id(v5));
    assert!(memo.accepts_message_id(borderpost_core::copy_id::as_version_4(v5)));
    // And what it does not accept, it does not write.
    let m = full_message();
    assert_eq!(
        memo.encode(&m, &only_recipient(&m), &encode_ctx(v5))
            .unwrap_err()
            .code(),
        "schema"
    );
}

#[test]
fn a_recipient_without_an_identifier_cannot_be_addressed() {
    let m = full_message();
    let mut to = only_recipient(&m);
    to.id = None;
    assert_eq!(
        encode(v11(), &m, &to).unwrap_err().code(),
        "recipient-unaddressable"
    );
}

// === business rules ===

#[test]
fn business_rules_hold_on_the_way_in_and_out() {
    let text = String::from_utf8(corrected(SAMPLES[1])).unwrap();
    let bad = text.replace("Pladsanvisning.pdf", "Plads:anvisning.pdf");
    match decode(bad.as_bytes()).unwrap_err() {
        AdapterError::BusinessRule { rule, .. } => assert_eq!(rule, "dk.filename-characters"),
        other => panic!("{other:?}"),
    }

    // A file name from elsewhere that Digital Post would refuse is carried
    // under a name it takes, with a loss: the file still arrives.
    let mut m = full_message();
    m.documents[1].filename = "Vejledning\u{3000}2025: svar.pdf".to_owned();
    let e = encode(v11(), &m, &only_recipient(&m)).unwrap();
    let loss = e
        .losses
        .iter()
        .find(|l| l.field == "documents[1].filename")
        .unwrap();
    assert!(
        loss.reason.contains("Vejledning_2025_ svar.pdf"),
        "{loss:?}"
    );
    let back = decode(body(&e)).unwrap();
    assert_eq!(back.documents[1].filename, "Vejledning_2025_ svar.pdf");
    assert_eq!(back.documents[1].content, m.documents[1].content);
    xmllint(&memo_xsd(), body(&e)).unwrap();

    // An http:// action smuggled in through the extension.
    let mut m = decode(&corrected(SAMPLES[0])).unwrap();
    let x = m.extensions.0.get_mut("dk-memo").unwrap();
    let action = x["documents"][0]["Action"][0]
        .as_str()
        .unwrap()
        .replace("https://", "http://");
    x["documents"][0]["Action"][0] = serde_json::Value::String(action);
    match encode(v11(), &m, &only_recipient(&m)).unwrap_err() {
        AdapterError::BusinessRule { rule, .. } => assert_eq!(rule, "dk.action-https"),
        other => panic!("{other:?}"),
    }
}

// === the extension ===

type Tamper = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn a_tampered_extension_is_refused_not_pasted() {
    let base = decode(&corrected(SAMPLES[0])).unwrap();
    let tamper = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut m = base.clone();
        f(m.extensions.0.get_mut("dk-memo").unwrap());
        encode(v11(), &m, &only_recipient(&m))
    };
    let cases: Vec<(&str, Tamper)> = vec![
        ("unknown key", Box::new(|x| x["colour"] = "red".into())),
        (
            "breaking out of the fragment",
            Box::new(|x| x["ContentData"] = "</memo:Fragment><memo:Evil/><memo:Fragment>".into()),
        ),
        (
            "wrong element",
            Box::new(|x| x["ForwardData"] = "<memo:ContentData/>".into()),
        ),
        (
            "invalid content",
            Box::new(|x| {
                x["ContentData"] = "<memo:ContentData><memo:Evil/></memo:ContentData>".into()
            }),
        ),
        (
            "two elements",
            Box::new(|x| x["ReplyData"][0] = "<memo:ReplyData/><memo:ReplyData/>".into()),
        ),
        (
            "entity",
            Box::new(|x| x["ContentData"] = "<memo:ContentData>&xxe;</memo:ContentData>".into()),
        ),
        (
            "a file twice",
            Box::new(|x| x["documents"][1]["files"] = serde_json::json!([0])),
        ),
        (
            "a file that does not exist",
            Box::new(|x| x["documents"][1]["files"] = serde_json::json!([99])),
        ),
        (
            "main not first",
            Box::new(|x| x["documents"][0]["kind"] = "AdditionalDocument".into()),
        ),
        ("bad version", Box::new(|x| x["memoVersion"] = "9.9".into())),
        (
            "overlong code",
            Box::new(|x| x["messageCode"] = "c".repeat(300).into()),
        ),
    ];
    for (what, f) in cases {
        let e = tamper(&*f).unwrap_err();
        assert_eq!(e.code(), "schema", "{what}: {e}");
        assert!(e.to_string().contains("extensions.dk-memo"), "{what}: {e}");
    }
}

#[test]
fn kept_recipient_parts_go_only_to_their_recipient() {
    let m = decode(&corrected(SAMPLES[0])).unwrap();
    let other = Recipient::with_id(party("dk-cpr:0707614285"));
    let e = encode(v11(), &m, &other).unwrap();
    let text = String::from_utf8(body(&e).to_vec()).unwrap();
    assert!(
        !text.contains("m.hansen@gmail.com"),
        "another recipient's data leaked"
    );
    assert!(
        text.contains("info@tusindfryd.dk"),
        "the sender's data stays"
    );
    xmllint(&memo_xsd(), body(&e)).unwrap();
}
