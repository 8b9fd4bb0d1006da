//! The official MeMo Full example, sent by a Danish authority to a
//! Norwegian citizen: decoded by the Danish adapter, encoded by the
//! Norwegian one as the gateway does it, and the DPI package opened as the
//! postbox would. Nothing MeMo allows may be refused on the way if DPI can
//! carry it with a declared loss.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a failed test"
)]

use borderpost_core::{
    Adapter, Country, DecodeContext, Decrypter, EncodeContext, PartyId, Postbox, Scheme, Wire,
};
use borderpost_dk::{Memo, MemoVersion};
use borderpost_no::{CmsKey, Dpi, DpiConfig, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING};
use time::macros::datetime;
use uuid::Uuid;

fn file(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn key(name: &str) -> CmsKey {
    CmsKey::from_pem(
        &file(&format!("certs-example/{name}.crt")),
        &file(&format!("certs-example/{name}.key")),
    )
    .unwrap()
}

/// The published example with the documented corrections (a CVR with a
/// valid check digit, `https://` links: see the borderpost-dk README), its
/// recipient a Norwegian person addressed as Borderpost documents it
/// (`idType` `Andet`, `idTypeLabel` `no-fnr`).
fn memo_to_norway() -> Vec<u8> {
    let published = String::from_utf8(file(
        "conformance/protocols/dk/memo-1.1/examples/MeMo_Full_Example.xml",
    ))
    .unwrap();
    published
        .replacen("<memo:senderID>12345678<", "<memo:senderID>12345674<", 1)
        .replace("<memo:url>http://", "<memo:url>https://")
        .replacen(
            "<memo:recipientID>2211771212</memo:recipientID>",
            "<memo:recipientID>31129956715</memo:recipientID>",
            1,
        )
        .replacen(
            "<memo:idType>CPR</memo:idType>",
            "<memo:idType>Andet</memo:idType><memo:idTypeLabel>no-fnr</memo:idTypeLabel>",
            1,
        )
        .into_bytes()
}

#[test]
fn the_official_memo_full_example_reaches_a_norwegian_postbox_with_its_losses_declared() {
    let now = datetime!(2026-01-15 10:00 UTC);
    let message = Memo::new(MemoVersion::V1_1)
        .decode(
            &Wire::single(&memo_to_norway()),
            &DecodeContext::new(now, Uuid::nil()),
        )
        .unwrap();
    assert_eq!(message.documents.len(), 6);

    // What the gateway's KRR lookup adds, and how it encodes: Borderpost
    // signs (på vegne av the Danish sender), the copy's id is the message
    // id (one recipient).
    let mut to = message.recipients[0].clone();
    assert_eq!(
        to.id,
        Some(PartyId::parse(Scheme::NoFnr, "31129956715").unwrap())
    );
    to.postbox = Some(Postbox {
        country: Country::No,
        address: "ola.nordmann#9YDT".to_owned(),
        provider: Some(PartyId::parse(Scheme::NoOrgnr, "984661185").unwrap()),
    });
    let signer = key("gateway");
    let postbox = key("postbox-no");
    let mut ctx = EncodeContext::new(now, message.id);
    ctx.signer = Some(&signer);
    ctx.recipient_certificate = Some(postbox.certificate());
    let dpi = Dpi::new(DpiConfig {
        maskinporten_token: Some("token".to_owned()),
        ..DpiConfig::default()
    });
    let encoded = dpi.encode(&message, &to, &ctx).unwrap();

    // The package: every file, each under its own name.
    let part = |name: &str| &encoded.parts.iter().find(|p| p.name == name).unwrap().body;
    let zip = postbox.decrypt_cms(part(PART_DOKUMENTPAKKE)).unwrap();
    let package = borderpost_no::asice::read(&zip, &Default::default()).unwrap();
    let manifest: Vec<(&str, &str)> = package
        .manifest
        .documents
        .iter()
        .map(|d| (d.href.as_str(), d.mime.as_str()))
        .collect();
    assert_eq!(
        manifest,
        [
            ("Pladsanvisning.pdf", "application/pdf"),
            ("Pladsanvisning.txt", "text/plain"),
            ("Pladsanvisning (2).pdf", "application/pdf"),
            ("Praktiske oplysninger.doc", "application/msword"),
            ("vejledning.pdf", "application/pdf"),
            ("TekniskDokument.xml", "application/xml"),
        ]
    );
    for (doc, href) in message.documents.iter().zip(&manifest) {
        assert_eq!(package.files[href.0], doc.content, "{}", href.0);
    }

    // The losses say what changed and what DPI has no place for.
    let losses: Vec<&str> = encoded.losses.iter().map(|l| l.field.as_str()).collect();
    for expected in [
        "documents[2].filename",
        "documents[5].media_type",
        "extensions.dk-memo",
        "recipients[].id",
        "references.case",
        "references.sender_reference",
        "sender.name",
    ] {
        assert!(
            losses.contains(&expected),
            "no loss for {expected}: {losses:?}"
        );
    }
    let renamed = encoded
        .losses
        .iter()
        .find(|l| l.field == "documents[2].filename")
        .unwrap();
    assert!(
        renamed.reason.contains("\"Pladsanvisning (2).pdf\""),
        "{renamed:?}"
    );
    // Only what changed is reported: the other names went as they were.
    for i in [0, 1, 3, 4, 5] {
        assert!(
            !losses.contains(&format!("documents[{i}].filename").as_str()),
            "{losses:?}"
        );
    }

    // The business message names the sender's own MeMo id.
    let verified = borderpost_no::jwt::verify(part(PART_FORRETNINGSMELDING)).unwrap();
    let sbd = borderpost_no::sbd::parse(&verified.payload, &Default::default()).unwrap();
    let header = &sbd.standard_business_document_header;
    assert_eq!(
        header.document_identification.instance_identifier,
        "8c2ea15d-61fb-4ba9-9366-42f8b194c114"
    );
}
