//! Encoding: schema-valid output, decode(encode(m)) = m up to declared
//! losses, the lossless Swedish relay, configuration, limits, and the
//! signatures checked by an independent verifier (xmlsec1).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use borderpost_core::xml::{self, XmlLimits};
use borderpost_core::{Adapter, Message, Recipient, Wire};
use borderpost_se::{MinaMeddelanden, SeConfig, SenderProfile, signature, transport};
use common::*;
use uuid::Uuid;

const ID: Uuid = Uuid::from_u128(0x0f4d_1c2a_3b5e_4f60_9a7b_8c9d_0e1f_2a3b);

fn encode(adapter: &MinaMeddelanden, m: &Message, to: &Recipient) -> borderpost_core::Encoded {
    let (signer, sealer) = (sender_key(), sealer_key());
    adapter
        .encode(m, to, &encode_ctx(ID, &signer, &sealer))
        .unwrap()
}

fn body(e: &borderpost_core::Encoded) -> &[u8] {
    &e.parts[0].body
}

/// The request's `deliverSecure` element, as a document of its own (the
/// element the Service/v3 schema declares).
fn payload(request: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(request).unwrap();
    let start = text.find("<deliverSecure ").unwrap();
    let end = text.rfind("</deliverSecure>").unwrap() + "</deliverSecure>".len();
    text.as_bytes()[start..end].to_vec()
}

fn service_xsd() -> std::path::PathBuf {
    protocols().join("contracts-v3/schema/v3/Service.xsd")
}

#[test]
fn the_request_is_valid_against_the_official_service_schema() {
    let m = swedish_message();
    let e = encode(&adapter(), &m, &m.recipients[0]);
    assert_eq!(e.parts[0].media_type, "text/xml; charset=utf-8");
    xmllint(&service_xsd(), &payload(body(&e)))
        .unwrap_or_else(|err| panic!("{err}\n{}", String::from_utf8_lossy(body(&e))));
}

#[test]
fn the_sealed_delivery_has_the_structure_and_namespaces_of_the_official_sample() {
    let m = swedish_message();
    let (signer, sealer) = (sender_key(), sealer_key());
    let (sealed, _) = adapter()
        .sealed_delivery(&m, &m.recipients[0], &encode_ctx(ID, &signer, &sealer))
        .unwrap();
    let text = sealed.as_str();
    xmllint(&fixtures().join("deliveries.xsd"), text.as_bytes()).unwrap();
    for expected in [
        "<SealedDelivery xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\"><SignedDelivery><Delivery><Header><Sender xmlns=\"http://minameddelanden.gov.se/schema/Message/v2\"><Id xmlns=\"http://minameddelanden.gov.se/schema/Sender\">162021004748</Id><Name xmlns=\"http://minameddelanden.gov.se/schema/Sender\">Kommun A</Name></Sender><Recipient xmlns=\"http://minameddelanden.gov.se/schema/Message/v2\">198112189876</Recipient>",
        "<Language>sv</Language><Reply>ACCEPTED</Reply><ReceiptRequest>SIMPLE</ReceiptRequest></Header><Body><ContentType xmlns=\"http://minameddelanden.gov.se/schema/Message\">text/html</ContentType>",
        "<Checksum xmlns=\"http://minameddelanden.gov.se/schema/Message\">",
        "</Delivery><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><Reference URI=\"\"><Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>",
        "<X509SubjectName>CN=Kommun A (example) Borderpost client, SERIALNUMBER=162021004748, OID.2.5.4.97=NTRSE-2021004748, O=Kommun A (example), C=SE</X509SubjectName>",
        "</SignedDelivery><Seal><ReceivedTime xmlns=\"http://minameddelanden.gov.se/schema/Message\">2026-01-15</ReceivedTime><SignaturesOK xmlns=\"http://minameddelanden.gov.se/schema/Message\">true</SignaturesOK></Seal><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">",
    ] {
        assert!(text.contains(expected), "missing {expected}\nin {text}");
    }
    // The checksum rule: upper-case hex MD5 of the decoded bytes.
    let md5 = borderpost_se::checksum::compute(b"%PDF-1.4 beslut.pdf").unwrap();
    assert!(text.contains(&format!(">{md5}</Checksum>")));
    assert_eq!(md5, md5.to_ascii_uppercase());
}

#[test]
fn decode_of_encode_is_the_message() {
    let m = swedish_message();
    let a = adapter();
    let e = encode(&a, &m, &m.recipients[0]);
    assert!(e.losses.is_empty(), "{:?}", e.losses);
    let back = a.decode(&e.as_wire(), &decode_ctx()).unwrap();
    let mut expected = m.clone();
    expected.id = ID;
    assert_equal_up_to(&expected, &back, &e.losses);
}

#[test]
fn a_swedish_relay_loses_nothing_but_the_senders_message_id() {
    // The official sample, verified, relayed through Borderpost's keys.
    let original = sample_adapter()
        .decode(&Wire::single(&sample(SEALED_SIGNED)), &ctx_at(SAMPLE_DAY))
        .unwrap();
    let a = adapter();
    let e = encode(&a, &original, &original.recipients[0]);
    let fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    assert_eq!(fields, ["extensions.se-mm.message_id"]);
    let back = a.decode(&e.as_wire(), &decode_ctx()).unwrap();
    let mut expected = original.clone();
    expected.id = ID;
    let mut ext = expected.extensions.get("se-mm").unwrap().clone();
    ext.as_object_mut().unwrap().remove("message_id");
    expected.extensions.insert("se-mm", ext);
    assert_eq!(back, expected);
    xmllint(&service_xsd(), &payload(body(&e))).unwrap();
}

#[test]
fn a_foreign_letter_gets_a_text_body_and_travels_as_attachments() {
    let mut m = swedish_message();
    m.sender.id = party("dk-cvr:55133018");
    m.sender.name = None;
    m.documents = vec![pdf("Tilbud.pdf"), pdf("Vejledning.pdf")];
    m.documents[0].language = Some("da".to_owned());
    m.documents[1].language = Some("da".to_owned());
    m.documents[1].title = Some("Vejledning".to_owned());
    m.notification = Some("Du har fået post".to_owned());
    m.legal.legal_notification = true;
    m.references.case = None;
    m.recipients[0].name = Some("Anna Andersson".to_owned());
    let config = SeConfig {
        senders: vec![SenderProfile {
            sender: party("dk-cvr:55133018"),
            registered_as: Some(party("se-orgnr:2021004748")),
            name: Some("Example Kommune".to_owned()),
            support_info: Some(support()),
        }],
        ..config()
    };
    let a = MinaMeddelanden::new(config);
    let e = encode(&a, &m, &m.recipients[0]);
    let mut fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created",
            "documents[1].title",
            "legal.legal_notification",
            "notification",
            "recipients[].name",
        ]
    );
    xmllint(&service_xsd(), &payload(body(&e))).unwrap();
    let back = a.decode(&e.as_wire(), &decode_ctx()).unwrap();
    // Signed as the Swedish organisation the sender is registered as.
    assert_eq!(back.sender.id.to_string(), "se-orgnr:2021004748");
    assert_eq!(back.sender.name.as_deref(), Some("Example Kommune"));
    assert_eq!(back.documents.len(), 3);
    assert_eq!(back.documents[0].media_type, "text/plain");
    assert_eq!(back.documents[0].content, m.subject.as_bytes());
    assert_eq!(back.documents[1].content, m.documents[0].content);
    assert_eq!(back.documents[2].filename, "Vejledning.pdf");
    assert_eq!(back.documents[2].language.as_deref(), Some("da"));
}

#[test]
fn an_unsigned_delivery_document_reads_back_as_content() {
    let m = swedish_message();
    let a = adapter();
    let (delivery, losses) = a.delivery(&m, &m.recipients[0], ID).unwrap();
    assert!(losses.is_empty());
    let document = borderpost_se::delivery::to_document(&delivery).unwrap();
    assert!(document.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delivery xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\"><Header>"
    ));
    let back = a
        .decode_unverified(&Wire::single(document.as_bytes()), &decode_ctx())
        .unwrap();
    let mut expected = m.clone();
    expected.id = ID;
    assert_equal_up_to(&expected, &back, &[]);
    // Unsigned content is never a delivery that decode accepts.
    let err = a
        .decode(&Wire::single(document.as_bytes()), &decode_ctx())
        .unwrap_err();
    assert_eq!(err.code(), "schema");
}

#[test]
fn one_delivery_per_swedish_recipient() {
    let mut m = swedish_message();
    m.recipients
        .push(Recipient::with_id(party("se-pnr:701063-2391")));
    m.recipients
        .push(Recipient::with_id(party("se-orgnr:556036-0793")));
    let a = adapter();
    for to in &m.recipients {
        let e = encode(&a, &m, to);
        let back = a.decode(&e.as_wire(), &decode_ctx()).unwrap();
        assert_eq!(
            back.recipients,
            vec![Recipient::with_id(to.id.clone().unwrap())]
        );
    }
    // A samordningsnummer and an organisation as written on the wire.
    let text = String::from_utf8(body(&encode(&a, &m, &m.recipients[1])).to_vec()).unwrap();
    assert!(text.contains(">197010632391</Recipient>"));
    let text = String::from_utf8(body(&encode(&a, &m, &m.recipients[2])).to_vec()).unwrap();
    assert!(text.contains(">165560360793</Recipient>"));
}

#[test]
fn recipients_outside_sweden_are_unaddressable() {
    let m = swedish_message();
    let (signer, sealer) = (sender_key(), sealer_key());
    let to = Recipient::with_id(party("no-fnr:31129956715"));
    let err = adapter()
        .encode(&m, &to, &encode_ctx(ID, &signer, &sealer))
        .unwrap_err();
    assert_eq!(err.code(), "recipient-unaddressable");
}

#[test]
fn support_info_comes_from_the_message_or_the_senders_configuration() {
    let m = swedish_message();
    let to = m.recipients[0].clone();
    let (signer, sealer) = (sender_key(), sealer_key());
    let ctx = encode_ctx(ID, &signer, &sealer);
    let bare = MinaMeddelanden::new(SeConfig {
        trust_anchors: vec![anchor("ca-se")],
        ..SeConfig::default()
    });
    let err = bare.encode(&m, &to, &ctx).unwrap_err();
    assert_eq!(err.code(), "missing-configuration");
    assert!(err.to_string().contains("Supportinfo"), "{err}");
    // A message that carries its own (a Swedish relay) needs none.
    let mut carried = m.clone();
    carried.extensions.insert(
        "se-mm",
        serde_json::json!({ "support_info": { "text": "Ring oss" } }),
    );
    let e = bare.encode(&carried, &to, &ctx).unwrap();
    assert!(String::from_utf8_lossy(body(&e)).contains("<Text>Ring oss</Text>"));
    // And it is checked like the schema checks it.
    let mut bad = m.clone();
    bad.extensions.insert(
        "se-mm",
        serde_json::json!({ "support_info": { "text": "x", "email": "not-an-address" } }),
    );
    assert_eq!(bare.encode(&bad, &to, &ctx).unwrap_err().code(), "schema");
}

#[test]
fn encoding_needs_both_keys() {
    let m = swedish_message();
    let to = m.recipients[0].clone();
    let signer = sender_key();
    let mut ctx = borderpost_core::EncodeContext::new(NOW, ID);
    ctx.signer = Some(&signer);
    let err = adapter().encode(&m, &to, &ctx).unwrap_err();
    assert_eq!(err.code(), "missing-configuration");
    assert!(err.to_string().contains("sealer"), "{err}");
    ctx.signer = None;
    ctx.sealer = Some(&signer);
    assert!(
        adapter()
            .encode(&m, &to, &ctx)
            .unwrap_err()
            .to_string()
            .contains("signer")
    );
}

#[test]
fn a_sender_signing_for_another_organisation_is_a_signer_mismatch() {
    // Saab's delivery signed with Kommun A's key.
    let mut m = swedish_message();
    m.sender.id = party("se-orgnr:5560360793");
    let config = SeConfig {
        senders: vec![SenderProfile {
            sender: party("se-orgnr:5560360793"),
            registered_as: None,
            name: None,
            support_info: Some(support()),
        }],
        ..config()
    };
    let a = MinaMeddelanden::new(config);
    let e = encode(&a, &m, &m.recipients[0]);
    let err = a.decode(&e.as_wire(), &decode_ctx()).unwrap_err();
    assert_eq!(err.code(), "signer-mismatch", "{err}");
}

#[test]
fn the_two_step_api_signs_then_seals_with_separate_keys() {
    let m = swedish_message();
    let a = adapter();
    let (delivery, _) = a.delivery(&m, &m.recipients[0], ID).unwrap();
    let signed = signature::sign_delivery(&delivery, &sender_key()).unwrap();
    xmllint(
        &fixtures().join("deliveries.xsd"),
        signed.as_str().as_bytes(),
    )
    .unwrap();
    // The signed delivery alone verifies.
    let back = a
        .decode(&Wire::single(signed.as_str().as_bytes()), &decode_ctx())
        .unwrap();
    assert_eq!(back.subject, m.subject);
    let sealed = signature::seal(&signed, NOW.date(), &key("gateway")).unwrap();
    // The gateway's certificate is under the federation CA.
    let err = a
        .decode(&Wire::single(sealed.as_str().as_bytes()), &decode_ctx())
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
    let both = MinaMeddelanden::new(SeConfig {
        trust_anchors: vec![anchor("ca-se"), anchor("ca-federation")],
        ..config()
    });
    let verified = both
        .verify(&Wire::single(sealed.as_str().as_bytes()), &decode_ctx())
        .unwrap();
    assert_eq!(verified.seal.unwrap().sealer.to_string(), "dk-cvr:13748136");
    // A verified signed delivery can be sealed again (Borderpost as
    // förmedlare of a Swedish sender).
    let resealed = signature::seal(&verified.signed, NOW.date(), &sealer_key()).unwrap();
    a.decode(&Wire::single(resealed.as_str().as_bytes()), &decode_ctx())
        .unwrap();
}

// === limits ===

#[test]
fn a_subject_of_255_characters_passes_and_256_does_not() {
    let a = adapter();
    let mut m = swedish_message();
    m.subject = "å".repeat(255);
    let e = encode(&a, &m, &m.recipients[0]);
    assert_eq!(
        a.decode(&e.as_wire(), &decode_ctx()).unwrap().subject,
        m.subject
    );
    m.subject.push('x');
    let (signer, sealer) = (sender_key(), sealer_key());
    let err = a
        .encode(&m, &m.recipients[0], &encode_ctx(ID, &signer, &sealer))
        .unwrap_err();
    assert_eq!(err.code(), "business-rule");
}

#[test]
fn a_delivery_over_2_mib_is_refused_both_ways() {
    let a = adapter();
    let (signer, sealer) = (sender_key(), sealer_key());
    let ctx = encode_ctx(ID, &signer, &sealer);
    let mut m = swedish_message();
    // Just fits: ~1.5 MiB of content is ~2 MiB of base64.
    m.documents[1].content = vec![b'x'; 1_500_000];
    let e = a.encode(&m, &m.recipients[0], &ctx).unwrap();
    assert!(body(&e).len() <= borderpost_se::MAX_DELIVERY_BYTES);
    a.decode(&e.as_wire(), &decode_ctx()).unwrap();
    // Does not fit once encoded.
    m.documents[1].content = vec![b'x'; 1_575_000];
    let err = a.encode(&m, &m.recipients[0], &ctx).unwrap_err();
    assert_eq!(err.code(), "too-large", "{err}");
    // Far over: refused before signing.
    m.documents[1].content = vec![b'x'; 3_000_000];
    assert_eq!(
        a.encode(&m, &m.recipients[0], &ctx).unwrap_err().code(),
        "too-large"
    );
    // Input over the limit is refused before it is parsed: this is not XML.
    let big = vec![b'<'; borderpost_se::MAX_DELIVERY_BYTES + 1];
    let err = a.decode(&Wire::single(&big), &decode_ctx()).unwrap_err();
    assert_eq!(err.code(), "too-large");
}

// === an independent verifier ===

/// Runs `xmlsec1 --verify` on `document` for the signature `xpath`
/// selects, trusting `ca-se`. A missing xmlsec1 fails the test: CI installs
/// it.
fn xmlsec1(document: &str, xpath: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "borderpost-se-xmlsec-{}-{}",
        std::process::id(),
        xpath.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.xml", Uuid::new_v4()));
    std::fs::File::create(&file)
        .unwrap()
        .write_all(document.as_bytes())
        .unwrap();
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .arg("--trusted-pem")
        .arg(certs().join("ca-se.crt"))
        .arg("--node-xpath")
        .arg(xpath)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run xmlsec1 ({e}): apt-get install xmlsec1"));
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn xmlsec1_verifies_both_signatures_borderpost_makes() {
    let m = swedish_message();
    let (signer, sealer) = (sender_key(), sealer_key());
    let (sealed, _) = adapter()
        .sealed_delivery(&m, &m.recipients[0], &encode_ctx(ID, &signer, &sealer))
        .unwrap();
    let text = sealed.as_str();
    // The seal: the last Signature of SealedDelivery, over the whole
    // document.
    xmlsec1(text, "/*/*[local-name()='Signature']").unwrap();
    // The sender's: over SignedDelivery as a document of its own, which is
    // how it was signed.
    let start = text.find("<SignedDelivery>").unwrap();
    let end = text.find("</SignedDelivery>").unwrap() + "</SignedDelivery>".len();
    let signed = text[start..end].replacen(
        "<SignedDelivery>",
        "<SignedDelivery xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\">",
        1,
    );
    xmlsec1(&signed, "/*/*[local-name()='Signature']").unwrap();
    // And it notices a change.
    let changed = signed.replacen("Beslut om", "Beslut av", 1);
    assert!(xmlsec1(&changed, "/*/*[local-name()='Signature']").is_err());
}

#[test]
fn the_soap_request_unwraps_to_the_sealed_delivery_that_was_signed() {
    let m = swedish_message();
    let (signer, sealer) = (sender_key(), sealer_key());
    let ctx = encode_ctx(ID, &signer, &sealer);
    let a = adapter();
    let (sealed, _) = a.sealed_delivery(&m, &m.recipients[0], &ctx).unwrap();
    let request = transport::deliver_secure_request(&sealed).unwrap();
    assert_eq!(
        body(&a.encode(&m, &m.recipients[0], &ctx).unwrap()),
        request.as_bytes()
    );
    let root = xml::parse(request.as_bytes(), &XmlLimits::default()).unwrap();
    let body_el = root.elements().next().unwrap();
    let outer = body_el.elements().next().unwrap();
    let inner = outer.elements().next().unwrap();
    let sealed_root = xml::parse(sealed.as_str().as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(inner.children, sealed_root.children);
}

// === properties ===

mod properties {
    use borderpost_core::{Document, Reply};
    use proptest::prelude::*;

    use super::*;

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('å'),
                Just('Ö'),
                Just('<'),
                Just('&'),
                Just('"'),
                Just('\''),
                Just(' '),
                Just('\n'),
                Just('\r'),
                Just('\t'),
                Just('€'),
                Just('𝄞'),
                proptest::char::range('0', 'z'),
            ],
            1..max,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn attachment() -> impl Strategy<Value = Document> {
        (
            "[a-zA-Z0-9åäö _-]{1,40}\\.pdf",
            proptest::collection::vec(any::<u8>(), 0..2048),
        )
            .prop_map(|(filename, content)| Document {
                filename,
                media_type: "application/pdf".to_owned(),
                language: Some("sv".to_owned()),
                title: None,
                content,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn decode_of_encode_is_the_message_for_any_content(
            subject in text(255),
            body in text(400),
            html in any::<bool>(),
            attachments in proptest::collection::vec(attachment(), 0..3),
            reply in proptest::option::of(any::<bool>()),
            read_receipt in any::<bool>(),
            case in "[A-Z0-9-]{1,20}",
            reference in proptest::option::of(text(60)),
        ) {
            let mut m = swedish_message();
            m.subject = subject;
            m.documents = vec![Document {
                filename: if html { "message.html" } else { "message.txt" }.to_owned(),
                media_type: if html { "text/html" } else { "text/plain" }.to_owned(),
                language: Some("sv".to_owned()),
                title: None,
                content: body.into_bytes(),
            }];
            m.documents.extend(attachments);
            m.reply = reply.map(|allowed| Reply { allowed, by: None });
            m.read_receipt = read_receipt;
            m.references.case = Some(case);
            m.references.sender_reference = reference;
            let a = adapter();
            let e = encode(&a, &m, &m.recipients[0]);
            prop_assert!(e.losses.is_empty(), "{:?}", e.losses);
            let back = a.decode(&e.as_wire(), &decode_ctx()).unwrap();
            let mut expected = m.clone();
            expected.id = ID;
            assert_equal_up_to(&expected, &back, &e.losses);
        }
    }
}
