//! The official samples: the sealed one verifies (as of its seal date, its
//! own certificate trusted), the re-indented one does not, every other
//! alteration does not, and the unsigned ones decode as content.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, AdapterError, Wire};
use borderpost_se::{MinaMeddelanden, SeConfig};
use common::*;
use time::macros::date;

fn decode_sample(bytes: &[u8]) -> Result<borderpost_core::Message, AdapterError> {
    sample_adapter().decode(&Wire::single(bytes), &ctx_at(SAMPLE_DAY))
}

fn sealed_text() -> String {
    String::from_utf8(sample(SEALED_SIGNED)).unwrap()
}

/// The sample with `from` replaced by `to` exactly once (the edit must
/// apply).
fn altered(from: &str, to: &str) -> Vec<u8> {
    let text = sealed_text();
    assert!(text.contains(from), "the edit {from:?} does not apply");
    text.replacen(from, to, 1).into_bytes()
}

fn code(result: Result<borderpost_core::Message, AdapterError>) -> &'static str {
    result.expect_err("an altered delivery must fail").code()
}

#[test]
fn the_official_sealed_delivery_verifies_as_of_its_seal_date() {
    let adapter = sample_adapter();
    let bytes = sample(SEALED_SIGNED);
    let verified = adapter
        .verify(&Wire::single(&bytes), &ctx_at(SAMPLE_DAY))
        .unwrap();
    let seal = verified.seal.as_ref().unwrap();
    assert_eq!(seal.received, date!(2020 - 05 - 28));
    assert_eq!(seal.sealer.to_string(), "se-orgnr:2021004748");
    assert_eq!(verified.sender_certificate, sample_certificate());

    let m = decode_sample(&bytes).unwrap();
    assert_eq!(m.sender.id.to_string(), "se-orgnr:2021004748");
    assert_eq!(m.sender.name.as_deref(), Some("Kommun A"));
    assert_eq!(
        m.recipients[0].id.as_ref().unwrap().to_string(),
        "se-pnr:198101052382"
    );
    assert!(
        m.subject
            .starts_with("Säkert Meddelande - deliverSecure v3_03.1")
    );
    // OfficialMatter: the case and the creation date.
    assert_eq!(m.references.case.as_deref(), Some("2344"));
    assert_eq!(m.created, time::macros::datetime!(2020-05-27 0:00 UTC));
    // The body, then the PDF attachment.
    assert_eq!(m.documents.len(), 2);
    assert_eq!(m.documents[0].media_type, "text/html");
    assert_eq!(m.documents[0].filename, "message.html");
    assert_eq!(m.documents[0].language.as_deref(), Some("sv"));
    // The reference data encodes its content twice: the decoded bytes of
    // the body and of the PDF are base64 text again (`<p>…`, `%PDF-1.5`).
    // Borderpost takes base64Binary at its word and guesses nothing.
    assert!(m.documents[0].content.starts_with(b"PHA+"));
    assert_eq!(m.documents[1].filename, "test.pdf");
    assert_eq!(m.documents[1].media_type, "application/pdf");
    assert!(m.documents[1].content.starts_with(b"JVBERi0xLjU"));
    // Kept for a Swedish relay.
    let ext = m.extensions.get("se-mm").unwrap();
    assert_eq!(ext["message_id"], "198101052382");
    assert_eq!(ext["language"], "svSE");
    assert_eq!(ext["support_info"]["text"], "suppinfo");
    assert_eq!(ext["metadata"][0]["tag"], "1");
    assert_eq!(ext["checksums"]["1"], "2111066685");
    assert!(
        ext["official_matter"]
            .as_str()
            .unwrap()
            .starts_with("<OfficialMatter xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\"><OfficialMatterExtension><Timestamp xmlns=\"http://minameddelanden.gov.se/schema/OfficialMatter/v3\">2020-05-27</Timestamp>")
    );
}

#[test]
fn the_sample_certificate_subject_is_written_as_the_sample_writes_it() {
    let cert = openssl::x509::X509::from_der(&sample_certificate()).unwrap();
    let name = borderpost_se::subject_name(&cert);
    assert!(
        sealed_text().contains(&format!("<X509SubjectName>{name}</X509SubjectName>")),
        "{name}"
    );
}

#[test]
fn the_official_samples_are_valid_against_the_v3_schemas() {
    for path in [SEALED_SIGNED, SIGNED_REINDENTED] {
        xmllint(&fixtures().join("deliveries.xsd"), &sample(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[test]
fn the_re_indented_signed_delivery_fails_with_signature_invalid() {
    let adapter = sample_adapter();
    let err = adapter
        .decode(
            &Wire::single(&sample(SIGNED_REINDENTED)),
            &ctx_at(SAMPLE_DAY),
        )
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid", "{err}");
}

#[test]
fn the_sample_fails_once_its_certificate_has_expired() {
    let err = sample_adapter()
        .decode(
            &Wire::single(&sample(SEALED_SIGNED)),
            &ctx_at(time::macros::datetime!(2021-03-27 0:00 UTC)),
        )
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn without_trust_anchors_verification_is_refused_never_passed() {
    let adapter = MinaMeddelanden::new(SeConfig::default());
    let err = adapter
        .decode(&Wire::single(&sample(SEALED_SIGNED)), &ctx_at(SAMPLE_DAY))
        .unwrap_err();
    assert_eq!(err.code(), "missing-configuration");
}

#[test]
fn a_certificate_from_another_ca_is_not_trusted() {
    let adapter = MinaMeddelanden::new(SeConfig {
        trust_anchors: vec![anchor("ca-se")],
        ..SeConfig::default()
    });
    let err = adapter
        .decode(&Wire::single(&sample(SEALED_SIGNED)), &ctx_at(SAMPLE_DAY))
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
    assert!(err.to_string().contains("not trusted"), "{err}");
}

#[test]
fn the_dangerous_skip_still_checks_the_signatures() {
    let adapter = MinaMeddelanden::new(SeConfig {
        dangerous_skip_chain_check: true,
        ..SeConfig::default()
    });
    let ctx = ctx_at(NOW);
    adapter
        .decode(&Wire::single(&sample(SEALED_SIGNED)), &ctx)
        .unwrap();
    let err = adapter
        .decode(&Wire::single(&sample(SIGNED_REINDENTED)), &ctx)
        .unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
}

// === every alteration fails ===

#[test]
fn a_changed_subject_fails() {
    let bytes = altered("<Subject>Säkert", "<Subject>Osäkert");
    assert_eq!(code(decode_sample(&bytes)), "signature-invalid");
}

#[test]
fn a_changed_attachment_fails() {
    // One base64 quantum of the PDF, replaced by another valid one.
    let text = sealed_text();
    let at = text.find("<Filename").unwrap() - 400;
    let mut bytes = text.into_bytes();
    bytes[at..at + 4].copy_from_slice(b"AAAA");
    assert_eq!(code(decode_sample(&bytes)), "signature-invalid");
}

#[test]
fn a_changed_seal_date_fails() {
    let bytes = altered(">2020-05-28<", ">2020-05-29<");
    assert_eq!(code(decode_sample(&bytes)), "signature-invalid");
}

#[test]
fn a_changed_sender_fails() {
    // Another valid organisationsnummer (Saab AB): the sender's signature
    // no longer matches.
    let bytes = altered(">162021004748</Id>", ">165560360793</Id>");
    assert_eq!(code(decode_sample(&bytes)), "signature-invalid");
}

#[test]
fn a_moved_signature_fails() {
    // The sender's signature moved from the end of SignedDelivery to the
    // front of SealedDelivery's Seal.
    let text = sealed_text();
    let start = text.find("<Signature").unwrap();
    let end = text.find("</Signature>").unwrap() + "</Signature>".len();
    let inner = text[start..end].to_owned();
    let moved = text
        .replacen(&inner, "", 1)
        .replacen("<Seal>", &format!("<Seal>{inner}"), 1);
    assert_eq!(code(decode_sample(moved.as_bytes())), "schema");

    // The seal moved inside SignedDelivery, before the sender's signature.
    let outer_start = text.rfind("<Signature xmlns=").unwrap();
    let outer = text[outer_start..text.rfind("</SealedDelivery>").unwrap()].to_owned();
    let moved =
        text.replacen(&outer, "", 1)
            .replacen("</Delivery>", &format!("</Delivery>{outer}"), 1);
    assert!(decode_sample(moved.as_bytes()).is_err());
}

#[test]
fn a_duplicated_signature_fails() {
    let text = sealed_text();
    let outer_start = text.rfind("<Signature xmlns=").unwrap();
    let outer = text[outer_start..text.rfind("</SealedDelivery>").unwrap()].to_owned();
    // A second seal after the first.
    let twice = text.replacen("</SealedDelivery>", &format!("{outer}</SealedDelivery>"), 1);
    assert!(decode_sample(twice.as_bytes()).is_err());
    // A copy hidden in the message header.
    let hidden = text.replacen("<Metadata>", &format!("<Metadata>{outer}"), 1);
    let err = decode_sample(hidden.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "signature-invalid", "{err}");
}

#[test]
fn a_decoy_signed_info_fails() {
    let text = sealed_text();
    let start = text.rfind("<SignedInfo>").unwrap();
    let end = text.rfind("</SignedInfo>").unwrap() + "</SignedInfo>".len();
    let signed_info = text[start..end].replacen(
        "<SignedInfo>",
        "<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">",
        1,
    );
    let decoy = text.replacen("<Metadata>", &format!("<Metadata>{signed_info}"), 1);
    let err = decode_sample(decoy.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "signature-invalid");
    assert!(err.to_string().contains("SignedInfo"), "{err}");
}

#[test]
fn a_re_indented_sealed_delivery_fails() {
    let indented = sealed_text()
        .replace("><SignedDelivery>", ">\n  <SignedDelivery>")
        .replace("><Seal>", ">\n  <Seal>")
        .replace("<Delivery><Header>", "<Delivery>\n    <Header>");
    assert_eq!(
        code(decode_sample(indented.as_bytes())),
        "signature-invalid"
    );
}

#[test]
fn prefixes_and_redundant_declarations_do_not_matter() {
    // The same content with the reference data's default namespaces bound
    // to prefixes instead: normal form makes it the signed text again.
    let text = sealed_text();
    let prefixed = text
        .replacen(
            "<SealedDelivery xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\">",
            "<m3:SealedDelivery xmlns:m3=\"http://minameddelanden.gov.se/schema/Message/v3\" xmlns=\"http://minameddelanden.gov.se/schema/Message/v3\">",
            1,
        )
        .replacen("</SealedDelivery>", "</m3:SealedDelivery>", 1);
    decode_sample(prefixed.as_bytes()).unwrap();
}

// === the unsigned samples ===

#[test]
fn the_unsigned_samples_are_refused_by_decode_and_read_as_content() {
    let adapter = sample_adapter();
    let signed = decode_sample(&sample(SEALED_SIGNED)).unwrap();
    for path in UNSIGNED {
        let bytes = sample(path);
        let err = adapter
            .decode(&Wire::single(&bytes), &ctx_at(SAMPLE_DAY))
            .unwrap_err();
        assert!(
            matches!(err.code(), "schema" | "signature-invalid"),
            "{path}: {err}"
        );
        let m = adapter
            .decode_unverified(&Wire::single(&bytes), &ctx_at(SAMPLE_DAY))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(m.subject, signed.subject, "{path}");
        assert_eq!(m.documents, signed.documents, "{path}");
        assert_eq!(m.references, signed.references, "{path}");
    }
}
