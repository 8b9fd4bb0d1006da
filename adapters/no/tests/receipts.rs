//! `no-dpi-receipt`: every receipt kind both ways, correlation with the
//! message, the upstream sample's tolerated defect.

// Test helpers fail loudly, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use borderpost_core::{Adapter, Channel, Receipt, ReceiptKind, Wire};
use borderpost_no::{Dpi, DpiReceipts, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING, jwt};
use common::*;
use serde_json::Value;
use uuid::Uuid;

fn receipt(kind: ReceiptKind) -> Receipt {
    Receipt {
        message_id: String::new(),
        kind,
        at: time::macros::datetime!(2025-06-01 12:00:00 +02:00),
        issuer: None,
        native: borderpost_core::NativeReceipt {
            protocol: String::new(),
            media_type: String::new(),
            body: String::new(),
        },
    }
}

#[test]
fn every_kind_round_trips_and_refers_to_the_message_by_its_conversation() {
    // A Norwegian sender's message as Borderpost decodes it (the postbox
    // side), then receipts back to that sender.
    let message_id = Uuid::from_u128(0xABCD);
    let message = digital_message("no-orgnr:991825827", message_id);
    let sender = key("sender-no");
    let postbox = key("postbox-no");
    let recipient_cert = cert_der("postbox-no");
    let encoded = Dpi::new(config())
        .encode(
            &message,
            &message.recipients[0],
            &encode_ctx(&sender, &recipient_cert, message_id),
        )
        .unwrap();
    let wire = Wire {
        parts: encoded
            .parts
            .iter()
            .map(|p| borderpost_core::Part {
                name: &p.name,
                media_type: None,
                body: &p.body,
            })
            .collect(),
    };
    let original = Dpi::new(config())
        .decode(&wire, &decode_ctx(Some(&postbox)))
        .unwrap();
    let mut print = original.clone();
    print.channel = Channel::PrintOnly;

    let cases = [
        (ReceiptKind::Delivered, &original, "leveringskvittering"),
        (ReceiptKind::Read, &original, "aapningskvittering"),
        (
            ReceiptKind::NotificationFailed {
                channel: "email".to_owned(),
                detail: Some("bounced".to_owned()),
            },
            &original,
            "varslingfeiletkvittering",
        ),
        (
            ReceiptKind::Error {
                permanent: true,
                detail: Some("Ugyldig PDF".to_owned()),
            },
            &original,
            "feil",
        ),
        (
            ReceiptKind::Error {
                permanent: false,
                detail: None,
            },
            &print,
            "feil",
        ),
        (ReceiptKind::Printed, &print, "leveringskvittering"),
        (ReceiptKind::Received, &print, "mottakskvittering"),
        (ReceiptKind::Returned, &print, "returpostkvittering"),
    ];
    for (kind, about, body) in cases {
        let ctx = encode_ctx(&postbox, &recipient_cert, Uuid::from_u128(1));
        let encoded = DpiReceipts::new(config())
            .encode_receipt(&receipt(kind.clone()), about, &ctx)
            .unwrap();
        let token = &encoded.parts[0].body;
        let payload = jwt::verify(token).unwrap().payload;
        validate_json(&payload);
        let value: Value = serde_json::from_slice(&payload).unwrap();
        let sbd = &value["standardBusinessDocument"];
        assert!(sbd[body].is_object(), "{body}");
        assert_eq!(
            sbd[body]["mottaker"]["virksomhetsidentifikator"]["value"],
            "0192:991825827"
        );
        assert_eq!(sbd[body]["mottaker"]["motakeridentifikator"], "skatt");
        assert!(!String::from_utf8_lossy(&payload).contains("maskinportentoken"));

        let decoded = DpiReceipts::new(config())
            .decode_receipt(&Wire::single(token), &decode_ctx(None))
            .unwrap();
        assert_eq!(decoded.kind, kind);
        // The id the gateway encoded the message with comes back.
        assert_eq!(decoded.message_id, message_id.to_string());
        assert_eq!(decoded.issuer.unwrap().to_string(), "no-orgnr:984661185");
        assert_eq!(decoded.at, receipt(ReceiptKind::Read).at);
        assert_eq!(decoded.native.body.as_bytes(), token.as_slice());

        // The DPI message adapter reads receipts too.
        let via_dpi = Dpi::new(config())
            .decode_receipt(&Wire::single(token), &decode_ctx(None))
            .unwrap();
        assert_eq!(via_dpi.kind, decoded.kind);
    }

    // Kinds a process does not have.
    let ctx = encode_ctx(&postbox, &recipient_cert, Uuid::from_u128(2));
    for (kind, about) in [
        (ReceiptKind::Read, &print),
        (ReceiptKind::Received, &original),
    ] {
        let err = DpiReceipts::new(config())
            .encode_receipt(&receipt(kind), about, &ctx)
            .unwrap_err();
        assert_eq!(err.code(), "unsupported");
    }
}

#[test]
fn the_upstream_sample_receipt_with_a_token_is_tolerated() {
    // Digdir's sample has `maskinportentoken` in a receipt (schema: not
    // allowed). Signed by the example postbox with real numbers in place of
    // the placeholders, it decodes.
    let sample = String::from_utf8(fixture("dpi-2022/eksempler/innbyggerpost_dpi_lerveringskvittering_1_0.json"))
        .unwrap()
        .replace("0192:<orgnr>\"\n                    }\n                }\n            ],\n            \"receiver\"", "0192:984661185\"\n                    }\n                }\n            ],\n            \"receiver\"")
        .replace("0192:<orgnr>", "0192:991825827")
        .replace("0192:123456789", "0192:984661185")
        .replace("0192:987654321", "0192:991825827");
    assert!(sample.contains("maskinportentoken"));
    let postbox = key("postbox-no");
    let token = jwt::sign(sample.as_bytes(), &postbox).unwrap();
    let decoded = DpiReceipts::new(config())
        .decode_receipt(&Wire::single(token.as_bytes()), &decode_ctx(None))
        .unwrap();
    assert_eq!(decoded.kind, ReceiptKind::Delivered);
    assert_eq!(decoded.message_id, "37efbd4c-413d-4e2c-bbc5-257ef4a65a45");

    // Signed by someone else than its SBDH sender: refused.
    let other = key("sender-no");
    let token = jwt::sign(sample.as_bytes(), &other).unwrap();
    let err = DpiReceipts::new(config())
        .decode_receipt(&Wire::single(token.as_bytes()), &decode_ctx(None))
        .unwrap_err();
    assert_eq!(err.code(), "signer-mismatch");
}

#[test]
fn messages_and_receipts_are_not_confused() {
    let sender = key("sender-no");
    let recipient_cert = cert_der("postbox-no");
    let message = digital_message("no-orgnr:991825827", Uuid::from_u128(3));
    let encoded = Dpi::new(config())
        .encode(
            &message,
            &message.recipients[0],
            &encode_ctx(&sender, &recipient_cert, message.id),
        )
        .unwrap();
    let token = &encoded
        .parts
        .iter()
        .find(|p| p.name == PART_FORRETNINGSMELDING)
        .unwrap()
        .body;
    let err = DpiReceipts::new(config())
        .decode_receipt(&Wire::single(token), &decode_ctx(None))
        .unwrap_err();
    assert_eq!(err.code(), "schema");
    assert!(encoded.parts.iter().any(|p| p.name == PART_DOKUMENTPAKKE));
}
