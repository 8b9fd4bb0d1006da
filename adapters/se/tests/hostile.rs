//! Hostile input: XML bombs, external entities, depth, sizes, and every
//! prefix of every sample, refused cleanly (an error, never a panic).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::xml::XmlLimits;
use borderpost_core::{Adapter, Wire};
use borderpost_se::{receipt, transport};
use common::*;
use uuid::Uuid;

fn decode(bytes: &[u8]) -> Result<borderpost_core::Message, borderpost_core::AdapterError> {
    sample_adapter().decode(&Wire::single(bytes), &ctx_at(SAMPLE_DAY))
}

fn unverified(bytes: &[u8]) -> Result<borderpost_core::Message, borderpost_core::AdapterError> {
    sample_adapter().decode_unverified(&Wire::single(bytes), &ctx_at(SAMPLE_DAY))
}

#[test]
fn doctype_and_entities_are_refused_before_parsing() {
    let sealed = String::from_utf8(sample(SEALED_SIGNED)).unwrap();
    let bomb = format!(
        "<!DOCTYPE SealedDelivery [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>{sealed}"
    );
    let xxe =
        format!("<!DOCTYPE SealedDelivery [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{sealed}");
    for input in [bomb, xxe] {
        for result in [decode(input.as_bytes()), unverified(input.as_bytes())] {
            assert_eq!(result.unwrap_err().code(), "forbidden-construct");
        }
    }
    let reference = sealed.replacen("<Text>suppinfo</Text>", "<Text>&x;</Text>", 1);
    assert_eq!(
        unverified(reference.as_bytes()).unwrap_err().code(),
        "forbidden-construct"
    );
    let pi = sealed.replacen("<Delivery>", "<Delivery><?php x?>", 1);
    assert_eq!(
        unverified(pi.as_bytes()).unwrap_err().code(),
        "forbidden-construct"
    );
    let latin1 = format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>{sealed}");
    assert_eq!(
        unverified(latin1.as_bytes()).unwrap_err().code(),
        "encoding"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let sealed = String::from_utf8(sample(UNSIGNED[0])).unwrap();
    let deep = format!(
        "{}{}",
        "<x:a xmlns:x=\"urn:x\">".repeat(40),
        "</x:a>".repeat(40)
    );
    // Nested inside OfficialMatter, whose ##other content is otherwise
    // unexamined.
    let input = sealed.replacen(
        "<OfficialMatter><OfficialMatterExtension>",
        &format!("<OfficialMatter>{deep}<OfficialMatterExtension>"),
        1,
    );
    assert_eq!(unverified(input.as_bytes()).unwrap_err().code(), "too-deep");
}

#[test]
fn a_delivery_with_two_messages_is_not_silently_cut() {
    let text = String::from_utf8(sample(UNSIGNED[1])).unwrap();
    let start = text.find("<Message>").unwrap();
    let end = text.find("</Message>").unwrap() + "</Message>".len();
    let twice = text.replacen("</Message>", &format!("</Message>{}", &text[start..end]), 1);
    assert_eq!(
        unverified(twice.as_bytes()).unwrap_err().code(),
        "unsupported"
    );
    let none = text.replacen(&text[start..end], "", 1);
    assert_eq!(unverified(none.as_bytes()).unwrap_err().code(), "schema");
}

#[test]
fn schema_violations_are_refused() {
    let text = String::from_utf8(sample(UNSIGNED[1])).unwrap();
    for (from, to) in [
        // Order.
        ("<Subject>", "<Language>sv</Language><Subject>"),
        // A missing required element.
        ("<Supportinfo><Text>suppinfo</Text></Supportinfo>", ""),
        // An enumeration.
        (
            "<Language>svSE</Language>",
            "<Language>svSE</Language><Reply>MAYBE</Reply>",
        ),
        // An xs:language.
        ("<Language>svSE</Language>", "<Language>sv_SE</Language>"),
        // Text where elements belong.
        ("<Delivery>", "<Delivery>text"),
        // An attribute no schema declares.
        ("<Delivery>", "<Delivery evil=\"1\">"),
        // A second recipient in a secure delivery.
        (
            "</Recipient>",
            "</Recipient><Recipient xmlns=\"http://minameddelanden.gov.se/schema/Message/v2\">198112189876</Recipient>",
        ),
        // The wrong namespace.
        (
            "<ContentType xmlns=\"http://minameddelanden.gov.se/schema/Message\">text/html",
            "<ContentType>text/html",
        ),
        // Not base64.
        (
            "<Body xmlns=\"http://minameddelanden.gov.se/schema/Message\">",
            "<Body xmlns=\"http://minameddelanden.gov.se/schema/Message\">!!",
        ),
        // A body that is neither text/plain nor text/html.
        (">text/html<", ">application/pdf<"),
        // A wrong MD5 checksum (the hex form is checked).
        (">2111066685<", ">0B552B07B8CBE3E8FE65A16591FF8E8D<"),
        // Seal not a date is checked in verify; here an OfficialMatter date.
        (">2020-05-27<", ">27 May 2020<"),
    ] {
        assert!(text.contains(from), "{from}");
        let input = text.replacen(from, to, 1);
        let err = unverified(input.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err.code(),
                "schema" | "business-rule" | "fingerprint-mismatch" | "invalid-identifier"
            ),
            "{from} → {to}: {err}"
        );
    }
    // The right MD5, in either case, passes.
    for md5 in [
        "0B552B07B8CBE3E8FE65A16591FF8E8C",
        "0b552b07b8cbe3e8fe65a16591ff8e8c",
    ] {
        let input = text.replacen(">2111066685<", &format!(">{md5}<"), 1);
        unverified(input.as_bytes()).unwrap();
    }
    // The subject's limit is the schema's, on input too.
    let long = text.replacen("<Subject>", &format!("<Subject>{}", "x".repeat(200)), 1);
    assert_eq!(unverified(long.as_bytes()).unwrap_err().code(), "schema");
}

/// Every proper prefix of `input` is refused by `f`, without a panic.
fn every_prefix_fails<T>(
    name: &str,
    input: &[u8],
    f: impl Fn(&[u8]) -> Result<T, borderpost_core::AdapterError>,
) {
    let end = input.len()
        - input
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    for len in 0..end {
        if !input.is_char_boundary_at(len) {
            continue;
        }
        assert!(
            f(&input[..len]).is_err(),
            "{name}: a prefix of {len} bytes was accepted"
        );
    }
}

trait CharBoundary {
    fn is_char_boundary_at(&self, at: usize) -> bool;
}

impl CharBoundary for [u8] {
    fn is_char_boundary_at(&self, at: usize) -> bool {
        self.get(at).is_none_or(|b| (*b as i8) >= -0x40)
    }
}

#[test]
fn every_prefix_of_every_delivery_sample_is_refused() {
    every_prefix_fails(SEALED_SIGNED, &sample(SEALED_SIGNED), decode);
    for path in UNSIGNED {
        every_prefix_fails(path, &sample(path), unverified);
    }
}

#[test]
fn every_prefix_of_borderpost_output_is_refused() {
    let m = swedish_message();
    let (signer, sealer) = (sender_key(), sealer_key());
    let a = adapter();
    let e = a
        .encode(
            &m,
            &m.recipients[0],
            &encode_ctx(Uuid::from_u128(1), &signer, &sealer),
        )
        .unwrap();
    let ctx = decode_ctx();
    every_prefix_fails("deliverSecure", &e.parts[0].body, |b| {
        a.decode(&Wire::single(b), &ctx)
    });
}

#[test]
fn every_prefix_of_every_soap_answer_is_refused() {
    let limits = XmlLimits::default();
    every_prefix_fails(
        "deliverSecureResponse",
        &sample("samples/deliverSecureResponse.xml"),
        |b| transport::read_deliver_secure_response(b, &limits),
    );
    for path in [
        "samples/isReachableResponse-multi.xml",
        "samples/isReachableResponse-single.xml",
    ] {
        every_prefix_fails(path, &sample(path), |b| {
            transport::read_is_reachable_response(b, &limits)
        });
    }
    let request = transport::is_reachable_request(
        &party("se-orgnr:2021004748"),
        &[party("se-pnr:198112189876")],
    )
    .unwrap();
    every_prefix_fails("isReachable", request.as_bytes(), |b| {
        transport::read_is_reachable_request(b, &limits, NOW.date())
    });
}

#[test]
fn every_prefix_of_a_receipt_is_refused() {
    let a = adapter();
    let signer = sealer_key();
    let mut ctx = borderpost_core::EncodeContext::new(NOW, Uuid::nil());
    ctx.signer = Some(&signer);
    let receipt = borderpost_core::Receipt {
        message_id: "m".to_owned(),
        kind: borderpost_core::ReceiptKind::Read,
        at: NOW,
        issuer: Some(party("se-pnr:198112189876")),
        native: borderpost_core::NativeReceipt {
            protocol: String::new(),
            media_type: String::new(),
            body: String::new(),
        },
    };
    let e = a
        .encode_receipt(&receipt, &swedish_message(), &ctx)
        .unwrap();
    let config = config();
    let dctx = decode_ctx();
    every_prefix_fails("Receipt", &e.parts[0].body, |b| {
        receipt::decode(b, &config, &dctx)
    });
}
