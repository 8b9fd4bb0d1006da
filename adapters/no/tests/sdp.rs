//! `no-sdp`: the legacy SDP 1.0 samples, and a full legacy message with a
//! real package.

// Test helpers fail loudly, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use borderpost_core::{Adapter, Channel, Part, ReceiptKind, Wire};
use borderpost_no::{Dpi, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING, Sdp, cms, sdp};
use common::*;
use uuid::Uuid;

fn sample(name: &str) -> Vec<u8> {
    fixture(&format!("sdp-v10/eksempler/{name}"))
}

#[test]
fn the_bare_receipt_samples_decode() {
    for (name, expected) in [
        (
            "sdpKvittering-levertTilPostkasse.xml",
            ReceiptKind::Delivered,
        ),
        ("sdpKvittering-aapnetAvMottaker.xml", ReceiptKind::Read),
        (
            "sdpKvittering-mottakerVarselFeilet.xml",
            ReceiptKind::NotificationFailed {
                channel: "sms".to_owned(),
                detail: Some("Nummer ikke i bruk".to_owned()),
            },
        ),
        (
            "sdpFeil.xml",
            ReceiptKind::Error {
                permanent: true,
                detail: Some("Ugyldig PDF".to_owned()),
            },
        ),
    ] {
        let body = sample(name);
        let receipt = Sdp
            .decode_receipt(&Wire::single(&body), &decode_ctx(None))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(receipt.kind, expected, "{name}");
        // A bare receipt names no message: correlation needs the SBDH.
        assert_eq!(receipt.message_id, "");
        assert_eq!(receipt.at, time::macros::datetime!(2014-05-19 12:00:00 UTC));
    }
}

#[test]
fn the_soap_wrapped_receipts_carry_their_conversation() {
    for name in [
        "soap/5_response_forretningskvittering_fra_meldingsformidler_til_postavsender.xml",
        "soap/4_request_forretningsmelding_fra_postkasse_til_meldingsformidler.xml",
    ] {
        let body = sample(name);
        let receipt = Sdp
            .decode_receipt(&Wire::single(&body), &decode_ctx(None))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!receipt.message_id.is_empty(), "{name}");
        assert!(receipt.issuer.is_some(), "{name}");
    }
    let body =
        sample("soap/5_response_forretningskvittering_fra_meldingsformidler_til_postavsender.xml");
    let receipt = Sdp
        .decode_receipt(&Wire::single(&body), &decode_ctx(None))
        .unwrap();
    assert_eq!(receipt.kind, ReceiptKind::Delivered);
    assert_eq!(receipt.message_id, "6d0ec155-b4f7-43c3-908e-211d68c9cf09");
    assert_eq!(receipt.issuer.unwrap().to_string(), "no-orgnr:984661185");
}

#[test]
fn the_message_samples_parse_and_are_refused_for_their_placeholder_numbers() {
    for name in [
        "sdpMelding-digital.xml",
        "sdpMelding-print.xml",
        "soap/1_request_forretningsmelding_fra_postavsender_til_meldingsformidler.xml",
        "soap/7_request_forretningsmelding_fra_postavsender_til_meldingsformidler_fysisk_post.xml",
    ] {
        let body = sample(name);
        let doc = sdp::parse(&body, &decode_ctx(None)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.element.name, "digitalPost");
        // No package part, or (the bare digital sample) the documented
        // invalid fødselsnummer 17051400000: refused with a precise code.
        let err = Sdp
            .decode(&Wire::single(&body), &decode_ctx(None))
            .unwrap_err();
        assert!(
            matches!(err.code(), "invalid-identifier" | "schema"),
            "{name}: {err}"
        );
    }
    let err = Sdp
        .decode(
            &Wire::single(&sample("sdpMelding-digital.xml")),
            &decode_ctx(None),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid-identifier");
}

#[test]
fn a_legacy_message_with_its_package_decodes() {
    // The package format is shared with DPI: take one Borderpost made and
    // wrap it in an SDP digitalPost with a matching fingerprint.
    let sender = key("sender-no");
    let postbox = key("postbox-no");
    let recipient_cert = cert_der("postbox-no");
    let message = digital_message("no-orgnr:991825827", Uuid::from_u128(5));
    let encoded = Dpi::new(config())
        .encode(
            &message,
            &message.recipients[0],
            &encode_ctx(&sender, &recipient_cert, message.id),
        )
        .unwrap();
    let package = &encoded
        .parts
        .iter()
        .find(|p| p.name == PART_DOKUMENTPAKKE)
        .unwrap()
        .body;
    let xml = String::from_utf8(sample("sdpMelding-digital.xml"))
        .unwrap()
        .replace("9908:123456789", "9908:991825827")
        .replace("17051400000", "31129956715")
        .replace("ola.nordmann#0ABC", "ola.nordmann#9YDT")
        .replace(
            "<ds:DigestValue></ds:DigestValue>",
            &format!(
                "<ds:DigestValue>{}</ds:DigestValue>",
                cms::fingerprint(package).unwrap()
            ),
        );
    let wire = Wire {
        parts: vec![
            Part {
                name: PART_FORRETNINGSMELDING,
                media_type: None,
                body: xml.as_bytes(),
            },
            Part {
                name: PART_DOKUMENTPAKKE,
                media_type: None,
                body: package,
            },
        ],
    };
    let decoded = Sdp.decode(&wire, &decode_ctx(Some(&postbox))).unwrap();
    assert_eq!(decoded.channel, Channel::DigitalOnly);
    assert_eq!(decoded.subject, "Hurra for 17. mai");
    assert_eq!(decoded.sender.id.to_string(), "no-orgnr:991825827");
    assert_eq!(
        decoded.recipients[0].id.as_ref().unwrap().to_string(),
        "no-fnr:31129956715"
    );
    assert_eq!(decoded.documents, message.documents);
    assert_eq!(
        decoded.notification.as_deref(),
        Some("Viktig melding fra Staten")
    );
    let varsler = &decoded.extensions.get("no-dpi").unwrap()["varsler"];
    assert_eq!(varsler["epostvarsel"]["epostadresse"], "ola@example.com");
    assert_eq!(varsler["smsvarsel"]["repetisjoner"][0], 1);

    // The fingerprint is checked here too.
    let tampered = xml.replace(&cms::fingerprint(package).unwrap(), "AAAA");
    let wire = Wire {
        parts: vec![
            Part {
                name: PART_FORRETNINGSMELDING,
                media_type: None,
                body: tampered.as_bytes(),
            },
            Part {
                name: PART_DOKUMENTPAKKE,
                media_type: None,
                body: package,
            },
        ],
    };
    assert_eq!(
        Sdp.decode(&wire, &decode_ctx(Some(&postbox)))
            .unwrap_err()
            .code(),
        "fingerprint-mismatch"
    );
}
