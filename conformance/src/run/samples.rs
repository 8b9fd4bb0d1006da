//! The official protocol samples the suite sends, embedded in the binary
//! from the vendored copies in `conformance/protocols/` (byte for byte,
//! with their sources and checksums there), so an installed
//! `borderpost-conformance` needs nothing beside it. `--protocols DIR`
//! reads another copy instead (a newer sample set, say).
//!
//! The MeMo samples also carry the documented corrections that make them
//! valid business content.
//!
//! Digst calls its MeMo examples "not correct business content": their
//! sender CVR `12345678` fails modulus 11, the 1.0 scenario's CVRs too, two
//! 1.2 files carry the placeholders `Sender ID` / `Recipient ID`, and the
//! 1.1 and 1.0 examples link with `http://`, which Digital Post refuses
//! since September 2025 (`adapters/dk/README.md`). A gateway must refuse
//! them as published, and accept them once corrected. The corrections
//! here are the adapter tests' (`adapters/dk/tests/common::corrected`),
//! with two differences a live target needs: the sender becomes the
//! organisation of the sender's certificate (a gateway lets a sender send
//! only as itself), and the header's `messageUUID` becomes a fresh one (the
//! 1.1 and 1.2 examples share one id, and a repeat run must not be a
//! replay of an earlier one).

use std::path::Path;

use borderpost_core::PartyId;

/// Every MeMo sample, by path below `protocols/dk`.
pub const MEMO_SAMPLES: [&str; 7] = [
    "memo-1.1/examples/MeMo_Full_Example.xml",
    "memo-1.1/examples/MeMo_Minimum_Example.xml",
    "memo-1.2/examples/MeMo_Full_Example.xml",
    "memo-1.2/examples/MeMo_Minimum_Example.xml",
    "memo-1.2/examples/MeMo_NemSMS.xml",
    "memo-1.2/examples/MeMo_with_attachment.xml",
    "memo-1.0-scenario/testMeMoScenarie1Eksempel.xml",
];

/// The DPI business message sample the negative DPI cases start from.
pub const DPI_DIGITAL_JSON: &str =
    "no/dpi-2022/eksempler/komplette/digital-forretningsmelding.json";
/// The published signed business message of the same set.
pub const DPI_DIGITAL_JWT: &str = "no/dpi-2022/eksempler/komplette/digital-forretningsmelding.jwt";
/// The published encrypted package of the same set (encrypted to Digdir's
/// unpublished keystore).
pub const DPI_DIGITAL_CMS: &str = "no/dpi-2022/eksempler/komplette/digital-dokumentpakke.cms";

/// Embeds `protocols/<path>` under its path.
macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../../protocols/", $path)))),*]
    };
}

/// The samples the suite uses, by path below `protocols/`.
const EMBEDDED: &[(&str, &[u8])] = embed![
    "dk/memo-1.1/examples/MeMo_Full_Example.xml",
    "dk/memo-1.1/examples/MeMo_Minimum_Example.xml",
    "dk/memo-1.2/examples/MeMo_Full_Example.xml",
    "dk/memo-1.2/examples/MeMo_Minimum_Example.xml",
    "dk/memo-1.2/examples/MeMo_NemSMS.xml",
    "dk/memo-1.2/examples/MeMo_with_attachment.xml",
    "dk/memo-1.0-scenario/testMeMoScenarie1Eksempel.xml",
    "no/dpi-2022/eksempler/komplette/digital-forretningsmelding.json",
    "no/dpi-2022/eksempler/komplette/digital-forretningsmelding.jwt",
    "no/dpi-2022/eksempler/komplette/digital-dokumentpakke.cms",
];

/// An official sample by its path below `protocols/`: from `dir` when
/// given, else the copy embedded in the binary.
pub fn read(dir: Option<&Path>, path: &str) -> Result<Vec<u8>, String> {
    match dir {
        Some(dir) => {
            let full = dir.join(path);
            std::fs::read(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))
        }
        None => EMBEDDED
            .iter()
            .find(|(name, _)| *name == path)
            .map(|(_, bytes)| bytes.to_vec())
            .ok_or_else(|| format!("{path} is not one of the embedded samples")),
    }
}

/// A MeMo sample with the documented corrections, the sender set to
/// `sender` (a `dk-cvr`; MeMo names other organisations with `idType`
/// `Andet`, which the official examples do not) and the header's
/// `messageUUID` set to `uuid`.
pub fn corrected_memo(published: &str, sender: &PartyId, uuid: uuid::Uuid) -> String {
    let sender = sender.value();
    let edits: [(&str, String); 7] = [
        (
            "<memo:senderID>12345678</memo:senderID>",
            format!("<memo:senderID>{sender}</memo:senderID>"),
        ),
        // The 1.2 example's representative (CVR 87654321, which has no
        // valid check digit) becomes the certificate's organisation: a
        // gateway accepts a representative only when the sender's
        // certificate proves it.
        (
            "<memo:representativeID>87654321</memo:representativeID>",
            format!("<memo:representativeID>{sender}</memo:representativeID>"),
        ),
        (
            "<memo:senderID>44332211</memo:senderID>",
            format!("<memo:senderID>{sender}</memo:senderID>"),
        ),
        // 1.0 scenario: CVR 1122334(4) → 6.
        (
            "<memo:recipientID>11223344</memo:recipientID>",
            "<memo:recipientID>11223346</memo:recipientID>".to_owned(),
        ),
        // itk-dev-rpa's placeholders.
        (
            "<memo:senderID>Sender ID</memo:senderID>",
            format!("<memo:senderID>{sender}</memo:senderID>"),
        ),
        (
            "<memo:recipientID>Recipient ID</memo:recipientID>",
            "<memo:recipientID>2211771212</memo:recipientID>".to_owned(),
        ),
        // Action links must be https:// (dk.action-https).
        ("<memo:url>http://", "<memo:url>https://".to_owned()),
    ];
    let mut text = published.to_owned();
    for (from, to) in &edits {
        text = if from.contains("url") {
            text.replace(from, to)
        } else {
            text.replacen(from, to, 1)
        };
    }
    replace_first_uuid(&text, uuid)
}

/// The sample with only its sender corrected (and a fresh id): what is
/// left wrong is the sample's `http://` link, if it has one.
pub fn sender_corrected_memo(published: &str, sender: &PartyId, uuid: uuid::Uuid) -> String {
    let mut text = published.to_owned();
    for from in [
        "<memo:senderID>12345678</memo:senderID>",
        "<memo:senderID>44332211</memo:senderID>",
        "<memo:senderID>Sender ID</memo:senderID>",
    ] {
        text = text.replacen(
            from,
            &format!("<memo:senderID>{}</memo:senderID>", sender.value()),
            1,
        );
    }
    replace_first_uuid(&text, uuid)
}

/// Replaces the first `messageUUID` (the `MessageHeader`'s: the header
/// comes first in every MeMo) with `uuid`.
pub fn replace_first_uuid(text: &str, uuid: uuid::Uuid) -> String {
    const OPEN: &str = "<memo:messageUUID>";
    const CLOSE: &str = "</memo:messageUUID>";
    let Some(start) = text.find(OPEN) else {
        return text.to_owned();
    };
    let from = start + OPEN.len();
    let Some(len) = text[from..].find(CLOSE) else {
        return text.to_owned();
    };
    format!(
        "{}{}{}",
        &text[..from],
        uuid.hyphenated(),
        &text[from + len..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_the_cases_name_is_embedded() {
        for path in MEMO_SAMPLES {
            assert!(read(None, &format!("dk/{path}")).is_ok(), "{path}");
        }
        for path in [DPI_DIGITAL_JSON, DPI_DIGITAL_JWT, DPI_DIGITAL_CMS] {
            assert!(read(None, path).is_ok(), "{path}");
        }
        assert!(read(None, "dk/nothing.xml").is_err());
    }

    #[test]
    fn the_header_uuid_and_the_sender_are_replaced_once() {
        let text = "<memo:messageUUID>A</memo:messageUUID><memo:senderID>12345678</memo:senderID>\
                    <memo:messageUUID>B</memo:messageUUID><memo:senderID>12345678</memo:senderID>\
                    <memo:url>http://x</memo:url>";
        let id = uuid::Uuid::from_u128(7);
        let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
        let out = corrected_memo(text, &sender, id);
        assert!(out.starts_with(&format!("<memo:messageUUID>{}</memo:messageUUID>", id)));
        assert_eq!(out.matches("55133018").count(), 1);
        assert!(out.contains("<memo:messageUUID>B</memo:messageUUID>"));
        assert!(out.contains("https://x"));
        let only_sender = sender_corrected_memo(text, &sender, id);
        assert!(only_sender.contains("http://x"));
    }
}
