use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::adapter::DecodeContext;

fn ctx() -> DecodeContext<'static> {
    DecodeContext::new(
        datetime!(2026-11-25 12:00 UTC),
        Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
    )
}

fn minimal() -> serde_json::Value {
    json!({
        "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
        "recipients": [ { "id": "dk-cpr:0707614285" }, { "id": "no-fnr:31129956715" } ],
        "subject": "Your application",
        "documents": [ { "filename": "letter.pdf", "media_type": "application/pdf", "content": "JVBERi0xLjQK" } ]
    })
}

fn decode_value(v: &serde_json::Value) -> Result<Message, AdapterError> {
    decode(&serde_json::to_vec(v).unwrap(), &ctx())
}

#[test]
fn minimal_message_gets_id_and_time_from_the_context() {
    let m = decode_value(&minimal()).unwrap();
    assert_eq!(m.id, ctx().fallback_id);
    assert_eq!(m.created, ctx().received_at);
    assert_eq!(m.documents[0].content, b"%PDF-1.4\n");
    assert_eq!(m.recipients[1].country(), Some(crate::Country::No));
}

#[test]
fn round_trips_through_json() {
    let mut v = minimal();
    v["id"] = json!("8c2ea15d-61fb-4ba9-9366-42f8b194c114");
    v["created"] = json!("2025-05-03T12:00:00+02:00");
    v["effective_at"] = json!("2025-09-15");
    v["reply"] = json!({ "allowed": true, "by": "2025-09-30T12:00:00Z" });
    v["legal"] = json!({ "legal_notification": true, "mandatory_read": false });
    v["security_level"] = json!("high");
    v["channel"] = json!("digital-else-print");
    v["references"] = json!({ "case": "SAG-1", "conversation": "c-1" });
    v["extensions"] = json!({ "dk-memo": { "postType": "MYNDIGHEDSPOST" } });
    let m = decode_value(&v).unwrap();
    let again: Message = serde_json::from_slice(&serde_json::to_vec(&m).unwrap()).unwrap();
    assert_eq!(again, m);
}

type Mutation = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn rejects_what_the_format_forbids() {
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "unknown field",
            Box::new(|v| v["subjet"] = json!("x")),
            "schema",
        ),
        (
            "bad recipient id",
            Box::new(|v| v["recipients"][0]["id"] = json!("dk-cvr:55133019")),
            "invalid-identifier",
        ),
        (
            "no recipients",
            Box::new(|v| v["recipients"] = json!([])),
            "schema",
        ),
        (
            "empty subject",
            Box::new(|v| v["subject"] = json!("  ")),
            "schema",
        ),
        (
            "long subject",
            Box::new(|v| v["subject"] = json!("x".repeat(257))),
            "schema",
        ),
        (
            "control char",
            Box::new(|v| v["subject"] = json!("a\u{0007}b")),
            "schema",
        ),
        (
            "person sender",
            Box::new(|v| v["sender"]["id"] = json!("dk-cpr:0707614285")),
            "schema",
        ),
        (
            "no documents",
            Box::new(|v| v["documents"] = json!([])),
            "schema",
        ),
        (
            "bad base64",
            Box::new(|v| v["documents"][0]["content"] = json!("***")),
            "schema",
        ),
        (
            "bad media type",
            Box::new(|v| v["documents"][0]["media_type"] = json!("pdf")),
            "schema",
        ),
        (
            "duplicate recipient",
            Box::new(|v| v["recipients"][1]["id"] = json!("iso6523:0184:55133018")),
            "ok",
        ),
        (
            "duplicate recipient",
            Box::new(|v| v["recipients"][1]["id"] = json!("dk-cpr:070761-4285")),
            "schema",
        ),
        (
            "print without address",
            Box::new(|v| v["channel"] = json!("print-only")),
            "schema",
        ),
        (
            "sms with documents",
            Box::new(|v| {
                v["kind"] = json!("sms");
                v["notification"] = json!("hi");
            }),
            "schema",
        ),
    ];
    for (name, mutate, code) in cases {
        let mut v = minimal();
        mutate(&mut v);
        match decode_value(&v) {
            Ok(_) => assert_eq!(code, "ok", "{name} should fail"),
            Err(e) => assert_eq!(e.code(), code, "{name}: {e}"),
        }
    }
}

#[test]
fn refuses_deep_large_and_non_utf8_bodies() {
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert_eq!(
        decode(deep.as_bytes(), &ctx()).unwrap_err().code(),
        "too-deep"
    );
    // Brackets inside strings do not count.
    let mut v = minimal();
    v["subject"] = json!("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    assert!(decode_value(&v).is_ok());
    let mut small = ctx();
    small.limits.max_body_bytes = 10;
    assert_eq!(
        decode(&serde_json::to_vec(&minimal()).unwrap(), &small)
            .unwrap_err()
            .code(),
        "too-large"
    );
    assert_eq!(
        decode(b"{\"subject\":\"\xff\"}", &ctx())
            .unwrap_err()
            .code(),
        "encoding"
    );
    assert_eq!(decode(b"{", &ctx()).unwrap_err().code(), "malformed");
}

#[test]
fn every_prefix_is_rejected_cleanly() {
    let body = serde_json::to_vec(&minimal()).unwrap();
    for end in 0..body.len() {
        assert!(decode(&body[..end], &ctx()).is_err(), "prefix {end}");
    }
}
