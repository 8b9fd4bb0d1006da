//! Hostile input: every prefix of every fixture and of Borderpost's own
//! output, nesting bombs, huge strings, bad encodings, and random damage.
//! Always an `AdapterError`, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, Channel, DecodeContext, Limits, Wire};
use borderpost_fi::transport::{ApiError, EventsPage, MailboxesActiveRequest, TokenResponse};
use borderpost_fi::{Event, RequestBody};
use common::*;
use proptest::prelude::*;

/// A prefix that is the whole input but for trailing whitespace is the
/// input itself, not a truncation.
fn is_truncation(prefix: &[u8], full: &[u8]) -> bool {
    prefix.trim_ascii_end() != full.trim_ascii_end()
}

fn events() -> Vec<u8> {
    std::fs::read(fixtures().join("requests/events.json")).unwrap()
}

#[test]
fn every_prefix_of_every_request_is_rejected_without_panic() {
    for name in REQUESTS {
        let body = request(name);
        let files = files(name);
        for end in 0..body.len() {
            if is_truncation(&body[..end], &body) {
                let result = decode_with(&body[..end], &files);
                assert!(result.is_err(), "{name}: the prefix of {end} bytes decoded");
            }
        }
        assert!(decode_with(&body, &files).is_ok(), "{name}");
    }
}

#[test]
fn every_prefix_of_the_events_is_rejected_without_panic() {
    let page = events();
    for end in 0..page.len() {
        if is_truncation(&page[..end], &page) {
            assert!(
                EventsPage::parse(&page[..end], &Limits::default()).is_err(),
                "{end}"
            );
        }
    }
    let parsed = EventsPage::parse(&page, &Limits::default()).unwrap();
    for i in 0..parsed.events.len() {
        let event = parsed.event_json(i).unwrap();
        let event = event.as_bytes();
        for end in 0..event.len() {
            let result = adapter().decode_receipt(&Wire::single(&event[..end]), &decode_ctx());
            assert!(result.is_err(), "event {i}, prefix {end}");
        }
    }
}

#[test]
fn every_prefix_of_our_own_output_is_rejected_without_panic() {
    let fi = adapter();
    for channel in [
        Channel::DigitalOnly,
        Channel::DigitalElsePrint,
        Channel::PrintOnly,
    ] {
        let mut m = with_reply(finnish_message(channel));
        m.notification = Some("Uusi viesti".to_owned());
        let encoded = fi.encode(&m, &m.recipients[0], &encode_ctx(m.id)).unwrap();
        let body = &encoded.parts[0].body;
        for end in 0..body.len() {
            let mut wire = encoded.as_wire();
            wire.parts[0].body = &body[..end];
            assert!(
                fi.decode(&wire, &decode_ctx()).is_err(),
                "{channel:?}: prefix {end}"
            );
        }
        assert!(fi.decode(&encoded.as_wire(), &decode_ctx()).is_ok());
    }
}

#[test]
fn nesting_bombs_stop_before_parsing() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let code = |bytes: &[u8]| decode_with(bytes, &[]).unwrap_err().code().to_owned();
    assert_eq!(code(deep.as_bytes()), "too-deep");
    // Nine levels, where a request has five at most.
    let nine = br#"{"electronic":{"notifications":{"a":{"b":{"c":{"d":{"e":{"f":{}}}}}}}}}"#;
    assert_eq!(code(nine), "too-deep");
    let deep_event = format!(r#"{{"type":{}1{}}}"#, "[".repeat(50), "]".repeat(50));
    assert_eq!(
        adapter()
            .decode_receipt(&Wire::single(deep_event.as_bytes()), &decode_ctx())
            .unwrap_err()
            .code(),
        "too-deep"
    );
    // Brackets inside strings are text, not nesting.
    let mut body: serde_json::Value = serde_json::from_slice(&request("electronic")).unwrap();
    body["electronic"]["body"] = serde_json::json!("[[[[[[[[[[{{{{{{{{{{");
    assert!(decode_with(&serde_json::to_vec(&body).unwrap(), &files("electronic")).is_ok());
}

#[test]
fn huge_bodies_and_strings_are_refused_by_size() {
    let mut body: serde_json::Value = serde_json::from_slice(&request("electronic")).unwrap();
    body["electronic"]["title"] = serde_json::json!("x".repeat(2 * 1024 * 1024));
    let e = decode_with(&serde_json::to_vec(&body).unwrap(), &files("electronic")).unwrap_err();
    assert_eq!(e.code(), "too-large");
    // Within the request limit but over the field's: refused by length.
    body["electronic"]["title"] = serde_json::json!("x".repeat(100_000));
    let e = decode_with(&serde_json::to_vec(&body).unwrap(), &files("electronic")).unwrap_err();
    assert_eq!(e.code(), "schema");
    // The gateway's own, stricter limit wins.
    let ctx = DecodeContext {
        limits: Limits {
            max_body_bytes: 100,
            ..Limits::default()
        },
        ..decode_ctx()
    };
    let paper = request("paper-mail-without-id");
    let wire = Wire::single(&paper);
    assert_eq!(
        adapter().decode(&wire, &ctx).unwrap_err().code(),
        "too-large"
    );
    assert_eq!(
        adapter().decode_receipt(&wire, &ctx).unwrap_err().code(),
        "too-large"
    );
}

#[test]
fn encodings_and_non_objects_are_refused() {
    for bytes in [
        &b"\xef\xbb\xbf{}"[..],
        b"\xff\xfe{\x00}\x00",
        b"{\"externalId\":\"\xc3\x28\"}",
        b"",
        b"null",
        b"[]",
        b"\"x\"",
        b"{}",
        b"{} {}",
    ] {
        let e = decode_with(bytes, &[]).unwrap_err();
        assert!(
            matches!(e.code(), "malformed" | "encoding" | "schema"),
            "{bytes:?}: {e}"
        );
    }
}

#[test]
fn duplicate_keys_are_refused() {
    let body = String::from_utf8(request("electronic")).unwrap();
    let doubled = body.replacen(
        "\"externalId\": \"SOTE-2025-000123\",",
        "\"externalId\": \"SOTE-2025-000123\", \"externalId\": \"other\",",
        1,
    );
    assert_ne!(doubled, body);
    let e = decode_with(doubled.as_bytes(), &files("electronic")).unwrap_err();
    assert!(
        e.to_string().contains("duplicate field `externalId`"),
        "{e}"
    );
}

fn corrupt(input: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut out = input.to_vec();
    for &(at, byte) in edits {
        if !out.is_empty() {
            let i = at % out.len();
            out[i] = byte;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Random damage to a valid request, event or answer never panics.
    #[test]
    fn random_corruption_never_panics(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let name = REQUESTS[which];
        let mut body = corrupt(&request(name), &edits);
        body.truncate(cut % (body.len() + 1) + body.len() / 2);
        let _ = decode_with(&body, &files(name));
        let _ = RequestBody::parse(None, &body, &Limits::default());
        let page = corrupt(&events(), &edits);
        if let Ok(page) = EventsPage::parse(&page, &Limits::default()) {
            for i in 0..page.events.len() {
                let _ = page.event(i);
                let _ = adapter().decode_receipt(
                    &Wire::single(page.event_json(i).unwrap().as_bytes()),
                    &decode_ctx(),
                );
            }
        }
    }

    /// Arbitrary bytes never panic any decoder either.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let limits = Limits::default();
        let _ = decode_with(&bytes, &[]);
        let _ = adapter().decode_receipt(&Wire::single(&bytes), &decode_ctx());
        let _ = Event::parse(&bytes, &limits);
        let _ = EventsPage::parse(&bytes, &limits);
        let _ = TokenResponse::parse(&bytes, &limits);
        let _ = MailboxesActiveRequest::parse(&bytes, &limits);
        let _ = ApiError::parse(&bytes, &limits);
    }
}
