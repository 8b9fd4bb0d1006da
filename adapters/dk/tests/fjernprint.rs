//! Fjernprint: a `ForsendelseI` valid against the SF1600 schemas, and back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::{Adapter, AdapterError, Channel, Message, PostalAddress, Wire};
use borderpost_dk::{Fjernprint, Memo, MemoVersion};
use common::*;

fn print_message() -> Message {
    let mut m = full_message();
    m.channel = Channel::PrintOnly;
    m
}

fn encode(m: &Message) -> Result<borderpost_core::Encoded, AdapterError> {
    Fjernprint.encode(m, &only_recipient(m), &encode_ctx(m.id))
}

#[test]
fn a_message_with_every_field_set_encodes_to_a_valid_forsendelse_i() {
    let m = print_message();
    let e = encode(&m).unwrap();
    let body = &e.parts[0].body;
    xmllint(&fjernprint_xsd(), body)
        .unwrap_or_else(|err| panic!("{err}\n{}", String::from_utf8_lossy(body)));
    let text = String::from_utf8(body.clone()).unwrap();
    for expected in [
        "<fjernprint:AfsendelseIdentifikator>0f4d1c2a-3b5e-4f60-9a7b-8c9d0e1f2a3b</fjernprint:AfsendelseIdentifikator>",
        "<adir:CPRnummerIdentifikator>0707614285</adir:CPRnummerIdentifikator>",
        "<itst:PersonName>Mette Hansen</itst:PersonName>",
        "<dkcc2005-3:PostalAddressFirstLineText>Bakketoppen 6</dkcc2005-3:PostalAddressFirstLineText>",
        "<dkcc2005-3:PostalAddressSecondLineText>9000 Aalborg</dkcc2005-3:PostalAddressSecondLineText>",
        "<dkcc2005:PostCodeIdentifier>9000</dkcc2005:PostCodeIdentifier>",
        "<dkcc:CountryIdentificationCode scheme=\"iso3166-alpha2\">DK</dkcc:CountryIdentificationCode>",
        "<dkal:FilformatNavn>PDF</dkal:FilformatNavn>",
        "<sd:BrevDato>2025-05-03</sd:BrevDato>",
        "<fjernprint:BrugerNavn>dk-cvr:55133018</fjernprint:BrugerNavn>",
        "<fjernprint:KanalKode>Fysisk Post</fjernprint:KanalKode>",
        "<fjernprint:BilagNavn>Vejledning.pdf</fjernprint:BilagNavn>",
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    let back = Fjernprint
        .decode(&Wire::single(body), &decode_ctx())
        .unwrap();
    assert_equal_up_to(&m, &back, &e.losses);
    // What print could not carry, it said.
    let fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    for expected in [
        "notification",
        "legal.legal_notification",
        "reply",
        "effective_at",
        "security_level",
        "sender.name",
        "references.case",
        "documents[0].filename",
        "documents[1].title",
        "extensions.no-dpi",
        "created",
    ] {
        assert!(
            fields.contains(&expected),
            "no loss for {expected}: {fields:?}"
        );
    }
    // The address comes back whole.
    assert_eq!(back.recipients[0].address, m.recipients[0].address);
    assert_eq!(back.references.invoice, m.references.invoice);
    assert_eq!(back.sender.unit, m.sender.unit);
}

#[test]
fn digital_else_print_prints_and_digital_only_does_not() {
    let mut m = print_message();
    m.channel = Channel::DigitalElsePrint;
    assert!(encode(&m).is_ok());
    m.channel = Channel::DigitalOnly;
    assert_eq!(encode(&m).unwrap_err().code(), "recipient-unaddressable");
}

#[test]
fn printing_needs_an_address_a_name_and_a_pdf() {
    let mut m = print_message();
    m.recipients[0].address = None;
    assert_eq!(encode(&m).unwrap_err().code(), "recipient-unaddressable");

    let mut m = print_message();
    m.recipients[0].name = None;
    assert_eq!(encode(&m).unwrap_err().code(), "recipient-unaddressable");

    // An address line is not cut: a cut address may not arrive.
    let mut m = print_message();
    m.recipients[0].address.as_mut().unwrap().lines[0] = "x".repeat(35);
    assert_eq!(encode(&m).unwrap_err().code(), "recipient-unaddressable");

    // A name is, with a loss: the envelope still reaches its addressee.
    let mut m = print_message();
    m.recipients[0].name = Some("N".repeat(140));
    let e = encode(&m).unwrap();
    let loss = e
        .losses
        .iter()
        .find(|l| l.field == "recipients[].name")
        .unwrap();
    assert!(loss.reason.contains("140 characters"), "{loss:?}");
    xmllint(&fjernprint_xsd(), &e.parts[0].body).unwrap();
    assert!(String::from_utf8_lossy(&e.parts[0].body).contains(&format!(">{}<", "N".repeat(130))));

    let mut m = print_message();
    m.documents[0].media_type = "text/plain".to_owned();
    match encode(&m).unwrap_err() {
        AdapterError::BusinessRule { rule, .. } => assert_eq!(rule, "dk.fjernprint-pdf"),
        other => panic!("{other:?}"),
    }

    let mut m = print_message();
    m.documents[1].media_type = "application/msword".to_owned();
    let e = encode(&m).unwrap();
    assert!(e.losses.iter().any(|l| l.field == "documents[1]"));
    xmllint(&fjernprint_xsd(), &e.parts[0].body).unwrap();

    let mut m = print_message();
    m.kind = borderpost_core::MessageKind::Sms;
    assert_eq!(encode(&m).unwrap_err().code(), "unsupported");
}

#[test]
fn a_foreign_address_prints_with_its_postcode_on_a_line() {
    let mut m = print_message();
    m.recipients[0] = borderpost_core::Recipient {
        id: Some(party("se-pnr:811218-9876")),
        name: Some("Sven Svensson".to_owned()),
        address: Some(PostalAddress {
            lines: vec!["Storgatan 1".to_owned()],
            postcode: Some("123 45".to_owned()),
            city: Some("Stockholm".to_owned()),
            country: "SE".to_owned(),
        }),
        postbox: None,
    };
    let e = encode(&m).unwrap();
    xmllint(&fjernprint_xsd(), &e.parts[0].body).unwrap();
    let fields: Vec<&str> = e.losses.iter().map(|l| l.field.as_str()).collect();
    assert!(fields.contains(&"recipients[].id"), "{fields:?}");
    assert!(fields.contains(&"recipients[].address"), "{fields:?}");
    let back = Fjernprint
        .decode(&Wire::single(&e.parts[0].body), &decode_ctx())
        .unwrap();
    assert_eq!(
        back.recipients[0].address.as_ref().unwrap().lines,
        ["Storgatan 1", "123 45 Stockholm"]
    );
}

#[test]
fn a_memo_sample_cannot_be_printed_without_an_address() {
    // MeMo carries no postal address: Digital Post looks it up in CPR.
    let m = Memo::new(MemoVersion::V1_1)
        .decode(&Wire::single(&corrected(SAMPLES[1])), &decode_ctx())
        .unwrap();
    let mut print = m.clone();
    print.channel = Channel::PrintOnly;
    assert_eq!(
        Fjernprint
            .encode(&print, &only_recipient(&print), &encode_ctx(m.id))
            .unwrap_err()
            .code(),
        "recipient-unaddressable"
    );
}

#[test]
fn a_forsendelse_i_without_a_readable_sender_is_refused() {
    let e = encode(&print_message()).unwrap();
    let text = String::from_utf8(e.parts[0].body.clone()).unwrap();
    let anonymous = text.replace("dk-cvr:55133018", "jdoe");
    let err = Fjernprint
        .decode(&Wire::single(anonymous.as_bytes()), &decode_ctx())
        .unwrap_err();
    assert_eq!(err.code(), "invalid-identifier");
    let wrong_root = text.replace("ForsendelseI", "ForsendelseX");
    assert_eq!(
        Fjernprint
            .decode(&Wire::single(wrong_root.as_bytes()), &decode_ctx())
            .unwrap_err()
            .code(),
        "schema"
    );
}
