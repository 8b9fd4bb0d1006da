//! Receipts (`Receipt.xsd`): written, read back, signed and verified.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, EncodeContext, NativeReceipt, Receipt, ReceiptKind, Wire};
use common::*;
use time::macros::datetime;
use uuid::Uuid;

fn read_receipt() -> Receipt {
    Receipt {
        message_id: "0f4d1c2a-3b5e-4f60-9a7b-8c9d0e1f2a3b".to_owned(),
        kind: ReceiptKind::Read,
        at: datetime!(2026-01-16 0:00 UTC),
        issuer: Some(party("se-pnr:198112189876")),
        native: NativeReceipt {
            protocol: String::new(),
            media_type: String::new(),
            body: String::new(),
        },
    }
}

#[test]
fn an_unsigned_receipt_round_trips_and_is_schema_valid() {
    let a = adapter();
    let m = swedish_message();
    let e = a
        .encode_receipt(&read_receipt(), &m, &EncodeContext::new(NOW, Uuid::nil()))
        .unwrap();
    let body = &e.parts[0].body;
    xmllint(&fixtures().join("receipt.xsd"), body).unwrap();
    let back = a.decode_receipt(&e.as_wire(), &decode_ctx()).unwrap();
    assert_eq!(back.message_id, read_receipt().message_id);
    assert_eq!(back.kind, ReceiptKind::Read);
    assert_eq!(back.at, read_receipt().at);
    assert_eq!(back.issuer, read_receipt().issuer);
    assert_eq!(back.native.protocol, "se-mm-receipt");
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("<ReceiptRecipient>162021004748</ReceiptRecipient><ReceiptSender>198112189876</ReceiptSender><AcknowledgedTime>2026-01-16</AcknowledgedTime>"), "{text}");
}

#[test]
fn a_signed_receipt_verifies_and_an_altered_one_does_not() {
    let a = adapter();
    let signer = sealer_key();
    let mut ctx = EncodeContext::new(NOW, Uuid::nil());
    ctx.signer = Some(&signer);
    let e = a
        .encode_receipt(&read_receipt(), &swedish_message(), &ctx)
        .unwrap();
    let body = e.parts[0].body.clone();
    xmllint(&fixtures().join("receipt.xsd"), &body).unwrap();
    a.decode_receipt(&Wire::single(&body), &decode_ctx())
        .unwrap();
    let altered = String::from_utf8(body)
        .unwrap()
        .replacen(">2026-01-16<", ">2026-01-17<", 1);
    let err = a
        .decode_receipt(&Wire::single(altered.as_bytes()), &decode_ctx())
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
}

#[test]
fn only_an_acknowledgement_can_be_written() {
    let mut r = read_receipt();
    r.kind = ReceiptKind::Delivered;
    let err = adapter()
        .encode_receipt(
            &r,
            &swedish_message(),
            &EncodeContext::new(NOW, Uuid::nil()),
        )
        .unwrap_err();
    assert_eq!(err.code(), "unsupported");
}
