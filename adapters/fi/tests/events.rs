//! Events as receipts: every event type mapped onto the lifecycle, the
//! event kept as the native receipt, and receipts told to a Finnish sender
//! in DVV's vocabulary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{
    Adapter, Channel, Message, NativeReceipt, Receipt, ReceiptKind, Status, Wire,
};
use borderpost_fi::transport::EventsPage;
use borderpost_fi::{Event, EventType, RECEIPT_PROTOCOL, message_id_for};
use common::*;
use serde_json::{Value, json};
use time::macros::datetime;

fn page() -> EventsPage {
    let bytes = std::fs::read(fixtures().join("requests/events.json")).unwrap();
    EventsPage::parse(&bytes, &Default::default()).unwrap()
}

fn receipt_of(json: &str) -> Result<Receipt, borderpost_core::AdapterError> {
    adapter().decode_receipt(&Wire::single(json.as_bytes()), &decode_ctx())
}

#[test]
fn every_event_of_the_page_maps_onto_the_lifecycle() {
    let page = page();
    assert_eq!(page.events.len(), EventType::ALL.len());
    let expected = [
        (
            EventType::ElectronicMessageCreated,
            Some(ReceiptKind::Delivered),
            Some(Status::Delivered),
        ),
        (
            EventType::ElectronicMessageRead,
            Some(ReceiptKind::Read),
            Some(Status::Read),
        ),
        (EventType::ElectronicMessageFromEndUser, None, None),
        (
            EventType::ReceiptConfirmed,
            Some(ReceiptKind::Read),
            Some(Status::Read),
        ),
        (
            EventType::PaperMailCreated,
            Some(ReceiptKind::Received),
            Some(Status::Forwarded),
        ),
        (
            EventType::SentForPrintingAndEnveloping,
            Some(ReceiptKind::Printed),
            Some(Status::Printed),
        ),
        (
            EventType::PostiReceiptConfirmed,
            Some(ReceiptKind::Delivered),
            Some(Status::Delivered),
        ),
        (
            EventType::PostiReturnedToSender,
            Some(ReceiptKind::Returned),
            Some(Status::Undeliverable),
        ),
        (
            EventType::PostiUnresolved,
            Some(ReceiptKind::Returned),
            Some(Status::Undeliverable),
        ),
    ];
    for (i, (kind, receipt_kind, status)) in expected.into_iter().enumerate() {
        let event = page.event(i).unwrap().unwrap();
        assert_eq!(event.kind, kind);
        assert_eq!(kind.receipt_kind(), receipt_kind, "{kind}");
        assert_eq!(kind.status(), status, "{kind}");
        let json = page.event_json(i).unwrap();
        match receipt_kind {
            Some(receipt_kind) => {
                let receipt = receipt_of(&json).unwrap();
                assert_eq!(receipt.kind, receipt_kind);
                assert_eq!(receipt.at, event.event_time);
                assert_eq!(receipt.native.protocol, RECEIPT_PROTOCOL);
                assert_eq!(receipt.native.media_type, "application/json");
                assert_eq!(receipt.native.body, json, "the event is kept verbatim");
                assert!(receipt.issuer.is_none());
            }
            None => {
                let e = receipt_of(&json).unwrap_err();
                assert_eq!(e.code(), "unsupported");
                assert!(e.to_string().contains("GET /v2/messages"), "{e}");
            }
        }
    }
}

#[test]
fn receipts_name_their_message_by_external_id_else_message_id() {
    let page = page();
    let read = receipt_of(&page.event_json(1).unwrap()).unwrap();
    assert_eq!(read.message_id, "00000000-0000-4000-8000-000000000001");
    assert_eq!(read.at, datetime!(2025-06-01 10:01:02.345 UTC));
    let unresolved = receipt_of(&page.event_json(8).unwrap()).unwrap();
    assert_eq!(unresolved.message_id, "902134576");
}

#[test]
fn events_lacking_what_their_type_requires_are_refused() {
    let base = json!({"eventTime": "2025-06-01T10:00:00Z",
                      "metadata": {"messageId": 1, "serviceId": "borderpost", "externalId": "x"}});
    for (kind, missing) in [
        ("Receipt confirmed", "receiptConfirmedBy"),
        ("Posti: receipt confirmed", "postiTrackingCode"),
        ("Posti: returned to sender", "postiTrackingCode"),
        ("Posti: unresolved", "postiTrackingCode"),
    ] {
        let mut event = base.clone();
        event["type"] = json!(kind);
        let e = receipt_of(&event.to_string()).unwrap_err();
        assert_eq!(e.code(), "schema", "{kind}");
        assert!(
            e.to_string().contains(&format!("metadata.{missing}")),
            "{e}"
        );
    }
    let mut signed = base.clone();
    signed["type"] = json!("Posti: receipt confirmed");
    signed["metadata"]["postiTrackingCode"] = json!("JJFI1");
    assert!(
        receipt_of(&signed.to_string())
            .unwrap_err()
            .to_string()
            .contains("recipientSignature")
    );

    for (edit, path) in [
        (json!({"type": "Electronic message deleted"}), "type"),
        (json!({"type": "electronic message read"}), "type"),
        (json!({"eventTime": "yesterday"}), "eventTime"),
        (json!({"eventTime": "2025-06-01 10:00:00"}), "eventTime"),
        (
            json!({"metadata": {"messageId": "1", "serviceId": "s"}}),
            "metadata.messageId",
        ),
        (json!({"metadata": {"messageId": 1}}), "metadata"),
        (
            json!({"metadata": {"messageId": 1, "serviceId": ""}}),
            "metadata.serviceId",
        ),
    ] {
        let mut event = base.clone();
        event["type"] = json!("Electronic message read");
        for (k, v) in edit.as_object().unwrap() {
            event[k] = v.clone();
        }
        let e = receipt_of(&event.to_string()).unwrap_err();
        assert_eq!(e.code(), "schema", "{event}");
        assert!(e.to_string().contains(&format!("invalid at {path}")), "{e}");
    }
    // New fields DVV may add are not a reason to lose a receipt.
    let mut newer = base;
    newer["type"] = json!("Electronic message read");
    newer["entityType"] = json!("Electronic");
    newer["metadata"]["direction"] = json!("FROM_ORGANIZATION");
    assert_eq!(
        receipt_of(&newer.to_string()).unwrap().kind,
        ReceiptKind::Read
    );
}

// === receipts told to a Finnish sender ===

fn original(name: &str) -> Message {
    decode_fixture(name)
}

fn receipt(kind: ReceiptKind) -> Receipt {
    Receipt {
        message_id: "copy".to_owned(),
        kind,
        at: datetime!(2025-06-02 08:30:00 UTC),
        issuer: None,
        native: NativeReceipt {
            protocol: "dk-memo-receipt".to_owned(),
            media_type: "application/xml".to_owned(),
            body: "<k:Kvittering/>".to_owned(),
        },
    }
}

fn event_for(
    kind: ReceiptKind,
    original: &Message,
) -> Result<Value, borderpost_core::AdapterError> {
    let encoded = adapter().encode_receipt(&receipt(kind), original, &encode_ctx(original.id))?;
    assert_eq!(encoded.parts[0].media_type, "application/json");
    assert!(encoded.losses.is_empty());
    // What Borderpost writes, it reads.
    Event::parse(&encoded.parts[0].body, &Default::default()).unwrap();
    Ok(serde_json::from_slice(&encoded.parts[0].body).unwrap())
}

#[test]
fn receipts_become_dvv_events_for_the_finnish_sender() {
    let multichannel = original("multichannel");
    let paper = original("paper-mail-without-id");
    for (kind, original, expected) in [
        (
            ReceiptKind::Delivered,
            &multichannel,
            Some("Electronic message created"),
        ),
        (
            ReceiptKind::Read,
            &multichannel,
            Some("Electronic message read"),
        ),
        (
            ReceiptKind::Printed,
            &multichannel,
            Some("Sent for printing and enveloping"),
        ),
        (
            ReceiptKind::Returned,
            &multichannel,
            Some("Posti: returned to sender"),
        ),
        (ReceiptKind::Received, &multichannel, None),
        (ReceiptKind::Received, &paper, Some("Paper mail created")),
        (
            ReceiptKind::Printed,
            &paper,
            Some("Sent for printing and enveloping"),
        ),
        (ReceiptKind::Delivered, &paper, None),
        (
            ReceiptKind::NotificationFailed {
                channel: "sms".to_owned(),
                detail: None,
            },
            &multichannel,
            None,
        ),
        (
            ReceiptKind::Error {
                permanent: true,
                detail: Some("no such person".to_owned()),
            },
            &multichannel,
            None,
        ),
    ] {
        match (event_for(kind.clone(), original), expected) {
            (Ok(event), Some(expected)) => {
                assert_eq!(event["type"], expected, "{kind:?}");
                assert_eq!(event["eventTime"], "2025-06-02T08:30:00Z");
                // Named as its sender knows the message.
                assert_eq!(
                    event["metadata"]["externalId"],
                    borderpost_fi::external_id(original)
                );
                assert_eq!(event["metadata"]["messageId"], message_id_for(original.id));
                assert_eq!(event["metadata"]["serviceId"], "esimerkkikunta-vaka");
            }
            (Err(e), None) => assert_eq!(e.code(), "unsupported", "{kind:?}"),
            (got, expected) => panic!("{kind:?}: {got:?}, expected {expected:?}"),
        }
    }
    // The sender's own service and externalId, also when neither is the default.
    let electronic = original("electronic");
    let event = event_for(ReceiptKind::Read, &electronic).unwrap();
    assert_eq!(event["metadata"]["serviceId"], "esimerkkikunta-sote");
    assert_eq!(event["metadata"]["externalId"], "SOTE-2025-000123");
    let returned = event_for(ReceiptKind::Returned, &multichannel).unwrap();
    assert_eq!(returned["metadata"]["postiTrackingCode"], "");
}

#[test]
fn a_suomi_fi_event_passes_on_as_itself() {
    let page = page();
    let multichannel = original("multichannel");
    for i in [0, 1, 3, 4, 5, 6, 7, 8] {
        let upstream = receipt_of(&page.event_json(i).unwrap()).unwrap();
        let encoded = adapter()
            .encode_receipt(&upstream, &multichannel, &encode_ctx(multichannel.id))
            .unwrap();
        let event = Event::parse(&encoded.parts[0].body, &Default::default()).unwrap();
        let source = page.event(i).unwrap().unwrap();
        assert_eq!(event.kind, source.kind);
        assert_eq!(event.event_time, source.event_time);
        assert_eq!(
            event.metadata.receipt_confirmed_by,
            source.metadata.receipt_confirmed_by
        );
        assert_eq!(
            event.metadata.posti_tracking_code,
            source.metadata.posti_tracking_code
        );
        assert_eq!(
            event.metadata.recipient_signature,
            source.metadata.recipient_signature
        );
        // Renamed for the Finnish sender of the original.
        assert_eq!(
            event.metadata.external_id.as_deref(),
            Some("3f0c1e6a-5b7d-4c2e-9a1f-0d8e7c6b5a49")
        );
        assert_eq!(event.metadata.service_id, "esimerkkikunta-vaka");
        // And read back, the same lifecycle step.
        let again = receipt_of(std::str::from_utf8(&encoded.parts[0].body).unwrap()).unwrap();
        assert_eq!(again.kind, upstream.kind);
    }
}

#[test]
fn a_time_rfc_3339_cannot_write_is_refused() {
    let m = original("multichannel");
    let mut r = receipt(ReceiptKind::Read);
    r.at = datetime!(-0001-01-01 0:00 UTC);
    let e = adapter()
        .encode_receipt(&r, &m, &encode_ctx(m.id))
        .unwrap_err();
    assert_eq!(e.code(), "schema");
    assert!(e.to_string().contains("receipt.at"), "{e}");
}

#[test]
fn the_message_id_the_sender_was_given_is_the_events() {
    let m = original("multichannel");
    let event = event_for(ReceiptKind::Delivered, &m).unwrap();
    assert_eq!(event["metadata"]["messageId"], message_id_for(m.id));
    assert!(message_id_for(m.id) > 0);
    // A message with no Finnish service known cannot be told in Finnish.
    let mut foreign = finnish_message(Channel::DigitalOnly);
    foreign.sender.id = party("dk-cvr:55133018");
    let e = adapter()
        .encode_receipt(
            &receipt(ReceiptKind::Read),
            &foreign,
            &encode_ctx(foreign.id),
        )
        .unwrap_err();
    assert_eq!(e.code(), "missing-configuration");
}
