//! Hostile input: every prefix of every sample, XML bombs, XXE, depth,
//! encodings, sizes, and random mutations. Always an `AdapterError`, never
//! a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, DecodeContext, Limits, Wire};
use borderpost_dk::{Fjernprint, Memo, MemoVersion};
use common::*;
use proptest::prelude::*;

fn memo() -> Memo {
    Memo::new(MemoVersion::V1_2)
}

fn decode_with(bytes: &[u8], limits: Limits) -> Result<borderpost_core::Message, String> {
    let ctx = DecodeContext {
        limits,
        ..decode_ctx()
    };
    memo()
        .decode(&Wire::single(bytes), &ctx)
        .map_err(|e| e.code().to_owned())
}

fn code(bytes: &[u8]) -> String {
    decode_with(bytes, Limits::default()).unwrap_err()
}

/// Every prefix of every sample as published. (The prefixes of the
/// corrected samples run through exactly the same code — a cut document
/// fails in the parser before any identifier is looked at — so walking them
/// too would double a quadratic test for nothing; the corrected samples are
/// checked whole.) One thread per sample: the walk is quadratic.
#[test]
fn every_prefix_of_every_sample_is_rejected_without_panic() {
    std::thread::scope(|scope| {
        for path in SAMPLES {
            scope.spawn(move || {
                let input = sample(path);
                for end in 0..=input.len() {
                    let result = decode_with(&input[..end], Limits::default());
                    assert!(result.is_err(), "{path}: the prefix of {end} bytes decoded");
                }
                assert!(
                    decode_with(&corrected(path), Limits::default()).is_ok(),
                    "{path}"
                );
            });
        }
    });
}

#[test]
fn every_prefix_of_our_own_output_is_rejected_without_panic() {
    let m = full_message();
    let mut print = m.clone();
    print.channel = borderpost_core::Channel::PrintOnly;
    let outputs = [
        (
            "memo",
            memo()
                .encode(&m, &only_recipient(&m), &encode_ctx(m.id))
                .unwrap(),
        ),
        (
            "fjernprint",
            Fjernprint
                .encode(&print, &only_recipient(&print), &encode_ctx(m.id))
                .unwrap(),
        ),
    ];
    for (what, out) in outputs {
        let body = &out.parts[0].body;
        for end in 0..body.len() {
            let wire = Wire::single(&body[..end]);
            let result = if what == "memo" {
                memo().decode(&wire, &decode_ctx()).map(drop)
            } else {
                Fjernprint.decode(&wire, &decode_ctx()).map(drop)
            };
            assert!(
                result.is_err() || body[end..].iter().all(u8::is_ascii_whitespace),
                "{what}: prefix of {end} bytes"
            );
        }
    }
}

#[test]
fn doctype_entities_and_xxe_are_refused() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2"><memo:MessageHeader><memo:label>&lol2;</memo:label></memo:MessageHeader></memo:Message>"#;
    assert_eq!(code(bomb), "forbidden-construct");
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">&xxe;</memo:Message>"#;
    assert_eq!(code(xxe), "forbidden-construct");
    let external = br#"<!DOCTYPE m SYSTEM "http://attacker.example/x.dtd"><m/>"#;
    assert_eq!(code(external), "forbidden-construct");
    let undeclared = String::from_utf8(corrected(SAMPLES[1]))
        .unwrap()
        .replace("Pladsanvisning</memo:label>", "&nbsp;</memo:label>");
    assert_eq!(code(undeclared.as_bytes()), "forbidden-construct");
    let pi = format!(
        "<?xml-stylesheet href=\"x\"?>{}",
        String::from_utf8(corrected(SAMPLES[4])).unwrap()
    );
    assert_eq!(code(pi.as_bytes()), "forbidden-construct");
}

#[test]
fn nesting_deeper_than_memo_allows_is_refused_while_parsing() {
    // Twelve levels is MeMo's limit whatever the gateway's default (32).
    let deep = format!(
        "<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.2\">{}{}</memo:Message>",
        "<memo:x>".repeat(12),
        "</memo:x>".repeat(12)
    );
    assert_eq!(code(deep.as_bytes()), "too-deep");
    // And a tighter gateway limit wins.
    let limits = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(&corrected(SAMPLES[0]), limits).unwrap_err(),
        "too-deep"
    );
    // A million-deep input costs nothing.
    let huge = "<a>".repeat(1_000_000);
    assert_eq!(code(huge.as_bytes()), "too-deep");
}

#[test]
fn other_encodings_are_refused() {
    let latin1 = String::from_utf8(corrected(SAMPLES[1]))
        .unwrap()
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    assert_eq!(code(latin1.as_bytes()), "encoding");
    let mut bytes = corrected(SAMPLES[1]);
    let at = bytes.windows(4).position(|w| w == b"Plad").unwrap();
    bytes[at] = 0xE6; // a Latin-1 "æ", not UTF-8
    assert_eq!(code(&bytes), "encoding");
    let utf16: Vec<u8> = "<a/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(decode_with(&utf16, Limits::default()).is_err());
}

#[test]
fn sizes_are_bounded_before_parsing() {
    let sample = corrected(SAMPLES[0]);
    let small = Limits {
        max_body_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(decode_with(&sample, small).unwrap_err(), "too-large");
    let one_byte_docs = Limits {
        max_document_bytes: 5,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(&sample, one_byte_docs).unwrap_err(),
        "too-large"
    );
    let three_docs = Limits {
        max_documents: 3,
        ..Limits::default()
    };
    assert_eq!(decode_with(&sample, three_docs).unwrap_err(), "too-large");
    // A huge base64 body is measured, not decoded.
    let text = String::from_utf8(corrected(SAMPLES[1])).unwrap();
    let big = text.replace("VGhpcyBpcyBhIHRlc3Q=", &"QUFB".repeat(2_000_000));
    let limits = Limits {
        max_document_bytes: 1_000_000,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(big.as_bytes(), limits).unwrap_err(),
        "too-large"
    );
}

#[test]
fn schema_violations_are_schema_errors() {
    let text = String::from_utf8(corrected(SAMPLES[1])).unwrap();
    let cases = [
        // Order matters in an xs:sequence.
        text.replace(
            "<memo:mandatory>false</memo:mandatory>\n\t\t<memo:legalNotification>false</memo:legalNotification>",
            "<memo:legalNotification>false</memo:legalNotification>\n\t\t<memo:mandatory>false</memo:mandatory>",
        ),
        text.replace("<memo:mandatory>false</memo:mandatory>", ""),
        text.replace("8C2EA15D-61FB-4BA9", "8C2EA15D-61FB-1BA9"),
        text.replace("2018-05-03T12:00:00Z", "2018-05-03T12:00:00+02:00"),
        text.replace("<memo:language>da</memo:language>", "<memo:language>dan</memo:language>"),
        text.replace("VGhpcyBpcyBhIHRlc3Q=", "not base64!"),
        text.replace("<memo:label>Pladsanvisning</memo:label>", &format!("<memo:label>{}</memo:label>", "x".repeat(257))),
        text.replace("<memo:messageType>DIGITALPOST", "<memo:messageType>EMAIL"),
        text.replace("<memo:Sender>", "<memo:Sender extra=\"1\">"),
        text.replace("</memo:Recipient>", "</memo:Recipient><memo:Unknown/>"),
        text.replace("<memo:label>Kommunen</memo:label>", "<memo:label>Kommunen<memo:b/></memo:label>"),
        text.replace("memoSchVersion=\"1.1.0\"", ""),
        text.replace("memoVersion=\"1.1\"", "memoVersion=\"1.3\""),
        text.replace("xmlns:memo=\"https://DigitalPost.dk/MeMo-1\"", "xmlns:memo=\"https://DigitalPost.dk/MeMo-2\""),
    ];
    for (i, input) in cases.iter().enumerate() {
        let c = code(input.as_bytes());
        assert!(c == "schema" || c == "unsupported-version", "case {i}: {c}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random damage to a valid message never panics.
    #[test]
    fn mutated_samples_never_panic(at in 0usize..1800, byte in any::<u8>(), cut in 0usize..1900) {
        let mut input = corrected(SAMPLES[1]);
        let at = at % input.len();
        input[at] = byte;
        input.truncate(cut.max(at + 1));
        let _ = memo().decode(&Wire::single(&input), &decode_ctx());
        let _ = Fjernprint.decode(&Wire::single(&input), &decode_ctx());
    }

    /// Arbitrary bytes never panic either.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = memo().decode(&Wire::single(&bytes), &decode_ctx());
        let _ = memo().decode_receipt(&Wire::single(&bytes), &decode_ctx());
    }
}
