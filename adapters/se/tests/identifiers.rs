//! Swedish identifiers beyond the XSD pattern: Luhn for personnummer,
//! samordningsnummer (day + 60) and organisationsnummer, on every
//! identifier a delivery carries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::Wire;
use borderpost_se::delivery::{matches_recipient_pattern, parse_recipient_id};
use common::*;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 01 - 15);

#[test]
fn personnummer_samordningsnummer_and_organisationsnummer() {
    let ok = |raw: &str| parse_recipient_id(raw, "x", TODAY).unwrap().to_string();
    let err = |raw: &str| parse_recipient_id(raw, "x", TODAY).unwrap_err().to_string();
    // Skatteverket's worked example, in register form.
    assert_eq!(ok("198112189876"), "se-pnr:198112189876");
    assert!(err("198112189875").contains("check digit should be 6"));
    // Samordningsnummer: day + 60 (3 Oct 1970 → 63).
    assert_eq!(ok("197010632391"), "se-pnr:197010632391");
    assert!(err("197010632392").contains("check digit should be 1"));
    // Day + 60 must still be a date: 31 + 60 = 91 passes the pattern, 92 not.
    assert!(matches_recipient_pattern("197010922391"));
    assert!(err("197002902391").contains("February"));
    // 16 + organisationsnummer.
    assert_eq!(ok("165560360793"), "se-orgnr:5560360793");
    assert_eq!(ok("162021004748"), "se-orgnr:2021004748");
    assert!(err("165560360794").contains("check digit should be 3"));
    // Personnummer cannot carry an organisation's "month" (≥ 20).
    assert!(!matches_recipient_pattern("195620360793"));
    // The pattern's forms only: no 10-digit or separated numbers.
    for raw in [
        "8112189876",
        "19811218-9876",
        "5560360793",
        "17811218987X",
        " 198112189876",
    ] {
        assert!(!matches_recipient_pattern(raw), "{raw}");
        assert!(err(raw).contains("RecipientId"), "{raw}");
    }
}

#[test]
fn the_public_mock_ids_fail_luhn() {
    for mock in ["192301010168", "190101010159", "192301010160"] {
        assert!(matches_recipient_pattern(mock), "{mock}");
        let e = parse_recipient_id(mock, "x", TODAY).unwrap_err();
        assert_eq!(e.code(), "invalid-identifier", "{mock}");
    }
}

fn content_with(
    from: &str,
    to: &str,
) -> Result<borderpost_core::Message, borderpost_core::AdapterError> {
    let text = String::from_utf8(sample(UNSIGNED[0])).unwrap();
    assert!(text.contains(from));
    let bytes = text.replacen(from, to, 1).into_bytes();
    sample_adapter().decode_unverified(&Wire::single(&bytes), &ctx_at(SAMPLE_DAY))
}

#[test]
fn every_identifier_of_a_delivery_is_checked() {
    let recipient = ">198101052382</Recipient>";
    let e = content_with(recipient, ">192301010168</Recipient>").unwrap_err();
    assert_eq!(e.code(), "invalid-identifier");
    assert!(e.to_string().contains("Delivery/Header/Recipient"), "{e}");
    // A samordningsnummer is a recipient like any other.
    let m = content_with(recipient, ">197010632391</Recipient>").unwrap();
    assert_eq!(
        m.recipients[0].id.as_ref().unwrap().to_string(),
        "se-pnr:197010632391"
    );
    // An organisation may receive.
    content_with(recipient, ">165560360793</Recipient>").unwrap();

    let sender = ">162021004748</Id>";
    let e = content_with(sender, ">162021004749</Id>").unwrap_err();
    assert_eq!(e.code(), "invalid-identifier");
    assert!(e.to_string().contains("Sender/Id"), "{e}");
    // A sender is an organisation.
    let e = content_with(sender, ">198112189876</Id>").unwrap_err();
    assert!(e.to_string().contains("organisation"), "{e}");
}
