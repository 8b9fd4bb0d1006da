//! Borderpost's Danish receipt document (`Kvittering`), both ways.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, NativeReceipt, Receipt, ReceiptKind, Wire};
use borderpost_dk::receipt::{NAMESPACE, Status};
use borderpost_dk::{Memo, MemoVersion};
use common::*;
use time::macros::datetime;

fn memo() -> Memo {
    Memo::new(MemoVersion::V1_1)
}

fn receipt(kind: ReceiptKind) -> Receipt {
    Receipt {
        message_id: "8c2ea15d-61fb-4ba9-9366-42f8b194c114".to_owned(),
        kind,
        at: datetime!(2025-09-30 14:00 +02:00),
        issuer: Some(party("dk-cvr:55133018")),
        native: NativeReceipt {
            protocol: "test".into(),
            media_type: "text/plain".into(),
            body: String::new(),
        },
    }
}

#[test]
fn every_receipt_kind_round_trips() {
    let original = full_message();
    let kinds = [
        ReceiptKind::Received,
        ReceiptKind::Delivered,
        ReceiptKind::Printed,
        ReceiptKind::Read,
        ReceiptKind::Returned,
        ReceiptKind::Error {
            permanent: true,
            detail: Some("ugyldig modtager".into()),
        },
        ReceiptKind::Error {
            permanent: false,
            detail: None,
        },
        ReceiptKind::NotificationFailed {
            channel: "sms".into(),
            detail: Some("no number".into()),
        },
    ];
    for kind in kinds {
        let r = receipt(kind.clone());
        let encoded = memo()
            .encode_receipt(&r, &original, &encode_ctx(original.id))
            .unwrap();
        let body = &encoded.parts[0].body;
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(
            text.contains("<k:timestamp>2025-09-30T12:00:00Z</k:timestamp>"),
            "{text}"
        );
        let back = memo()
            .decode_receipt(&Wire::single(body), &decode_ctx())
            .unwrap();
        assert_eq!(back.kind, kind);
        assert_eq!(back.at, r.at);
        assert_eq!(back.message_id, r.message_id);
        assert_eq!(back.issuer, r.issuer);
        assert_eq!(back.native.protocol, "dk-memo-receipt");
        assert_eq!(back.native.body, text);
    }
}

#[test]
fn sf1601_statuses_carry_their_action_uuids() {
    let expected = [
        (Status::Fejlet, "e225a75c-4b63-46c4-9423-77f5c8762445"),
        (
            Status::AfleveretDigitalPost,
            "f7161a89-5068-4023-bc80-d7f4daad2a2e",
        ),
        (
            Status::ModtagetDigitalPost,
            "eb866ca2-b871-4387-b501-12cde577bd58",
        ),
    ];
    for (status, uuid) in expected {
        assert_eq!(status.action_uuid().unwrap().to_string(), uuid);
    }
    assert!(Status::AfleveretFjernprint.action_uuid().is_none());

    let doc = |status: &str, action: &str| {
        format!(
            "<Kvittering xmlns=\"{NAMESPACE}\"><messageUUID>8c2ea15d-61fb-4ba9-9366-42f8b194c114</messageUUID><status>{status}</status>{action}<timestamp>2025-01-01T00:00:00Z</timestamp></Kvittering>"
        )
    };
    let decode = |s: String| memo().decode_receipt(&Wire::single(s.as_bytes()), &decode_ctx());
    let ok = decode(doc(
        "ModtagetDigitalPost",
        "<statusActionUUID>eb866ca2-b871-4387-b501-12cde577bd58</statusActionUUID>",
    ))
    .unwrap();
    assert_eq!(ok.kind, ReceiptKind::Received);
    let mismatched = decode(doc(
        "AfleveretDigitalPost",
        "<statusActionUUID>eb866ca2-b871-4387-b501-12cde577bd58</statusActionUUID>",
    ));
    assert_eq!(mismatched.unwrap_err().code(), "schema");
    assert_eq!(decode(doc("Slettet", "")).unwrap_err().code(), "schema");
    let not_utc = doc("Fejlet", "").replace("00:00:00Z", "00:00:00+01:00");
    assert_eq!(decode(not_utc).unwrap_err().code(), "schema");
    let coded = doc("Fejlet", "").replace(
        "</timestamp>",
        "</timestamp><errorCode>E17</errorCode><errorText>Modtager findes ikke</errorText>",
    );
    assert_eq!(
        decode(coded).unwrap().kind,
        ReceiptKind::Error {
            permanent: true,
            detail: Some("E17: Modtager findes ikke".into())
        }
    );
}

#[test]
fn hostile_receipts_are_refused() {
    let decode = |s: &[u8]| memo().decode_receipt(&Wire::single(s), &decode_ctx());
    let bomb = br#"<!DOCTYPE k [<!ENTITY a "a">]><Kvittering xmlns="urn:borderpost:dk:receipt:1">&a;</Kvittering>"#;
    assert_eq!(decode(bomb).unwrap_err().code(), "forbidden-construct");
    let deep = format!(
        "<k:Kvittering xmlns:k=\"{NAMESPACE}\">{}",
        "<k:x>".repeat(10)
    );
    assert_eq!(decode(deep.as_bytes()).unwrap_err().code(), "too-deep");
    let r = receipt(ReceiptKind::Delivered);
    let original = full_message();
    let body = memo()
        .encode_receipt(&r, &original, &encode_ctx(original.id))
        .unwrap()
        .parts
        .remove(0)
        .body;
    for end in 0..body.len() {
        let result = decode(&body[..end]);
        assert!(
            result.is_err() || body[end..].iter().all(u8::is_ascii_whitespace),
            "prefix {end}"
        );
    }
}

#[test]
fn an_error_code_is_written_and_read_back_with_the_text() {
    let r = receipt(ReceiptKind::Error {
        permanent: true,
        detail: Some("invalid at MessageHeader/label: too long".into()),
    });
    let encoded = borderpost_dk::receipt::encode_with_code(&r, Some("schema")).unwrap();
    let body = &encoded.parts[0].body;
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("<k:errorCode>schema</k:errorCode>"), "{text}");
    let decoded = memo()
        .decode_receipt(&Wire::single(body), &decode_ctx())
        .unwrap();
    assert_eq!(
        decoded.kind,
        ReceiptKind::Error {
            permanent: true,
            detail: Some("schema: invalid at MessageHeader/label: too long".into()),
        }
    );
    for bad in ["", &"x".repeat(257), "a\u{1}b"] {
        assert_eq!(
            borderpost_dk::receipt::encode_with_code(&r, Some(bad))
                .unwrap_err()
                .code(),
            "schema"
        );
    }
}
