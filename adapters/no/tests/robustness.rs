//! Hostile input: every prefix of every sample is rejected cleanly, and
//! random corruption never panics.

// Test helpers fail loudly, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use borderpost_core::{Adapter, Decrypter, Wire};
use borderpost_no::{Dpi, DpiReceipts, Sdp, asice, jwt, sbd, sdp};
use common::*;
use proptest::prelude::*;

fn komplett(name: &str) -> Vec<u8> {
    fixture(&format!("dpi-2022/eksempler/komplette/{name}"))
}

const SETS: [&str; 4] = [
    "digital",
    "digital-avsenderidentifikator",
    "digital-pa-vegne-av",
    "utskrift",
];

const LEGACY: [&str; 8] = [
    "sdpMelding-digital.xml",
    "sdpMelding-print.xml",
    "sdpMelding-flytte.xml",
    "sdpKvittering-levertTilPostkasse.xml",
    "sdpKvittering-aapnetAvMottaker.xml",
    "sdpKvittering-mottakerVarselFeilet.xml",
    "sdpFeil.xml",
    "soap/5_response_forretningskvittering_fra_meldingsformidler_til_postavsender.xml",
];

/// The prefix lengths to try: all of them for small inputs; for large ones
/// (a ZIP reader looks for its directory from the end, so each try costs
/// the input's length) the first and last 2 KiB and every 61st byte.
fn prefix_lengths(len: usize) -> Vec<usize> {
    if len <= 8192 {
        return (0..len).collect();
    }
    (0..len)
        .filter(|&n| n < 2048 || n > len - 2048 || n % 61 == 0)
        .collect()
}

/// A prefix that is the whole input but for trailing whitespace is the
/// input itself, not a truncation.
fn is_truncation(prefix: &[u8], full: &[u8]) -> bool {
    prefix.trim_ascii_end() != full.trim_ascii_end()
}

#[test]
fn every_prefix_of_every_dpi_sample_is_rejected() {
    let dpi = Dpi::new(config());
    let postbox = key("postbox-no");
    let ctx = decode_ctx(Some(&postbox));
    for set in SETS {
        let token = komplett(&format!("{set}-forretningsmelding.jwt"));
        let json = komplett(&format!("{set}-forretningsmelding.json"));
        let zip = komplett(&format!("{set}-dokumentpakke.zip"));
        let cms = komplett(&format!("{set}-dokumentpakke.cms"));
        for n in prefix_lengths(token.len()) {
            let prefix = &token[..n];
            assert!(jwt::verify(prefix).is_err(), "{set} JWT prefix {n}");
            assert!(dpi.decode_unencrypted(prefix, &zip, &ctx).is_err());
            assert!(
                DpiReceipts::new(config())
                    .decode_receipt(&Wire::single(prefix), &ctx)
                    .is_err()
            );
        }
        for n in prefix_lengths(json.len()) {
            if is_truncation(&json[..n], &json) {
                assert!(
                    sbd::parse(&json[..n], &Default::default()).is_err(),
                    "{set} JSON prefix {n}"
                );
            }
        }
        for n in prefix_lengths(zip.len()) {
            assert!(
                asice::read(&zip[..n], &Default::default()).is_err(),
                "{set} ZIP prefix {n}"
            );
        }
        for n in prefix_lengths(cms.len()) {
            assert!(
                postbox.decrypt_cms(&cms[..n]).is_err(),
                "{set} CMS prefix {n}"
            );
        }
    }
}

#[test]
fn every_prefix_of_every_legacy_sample_is_rejected() {
    let ctx = decode_ctx(None);
    for name in LEGACY {
        let xml = fixture(&format!("sdp-v10/eksempler/{name}"));
        for n in prefix_lengths(xml.len()) {
            let prefix = &xml[..n];
            if is_truncation(prefix, &xml) {
                assert!(sdp::parse(prefix, &ctx).is_err(), "{name} prefix {n}");
                assert!(Sdp.decode_receipt(&Wire::single(prefix), &ctx).is_err());
                assert!(Sdp.decode(&Wire::single(prefix), &ctx).is_err());
            }
        }
    }
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
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_corruption_never_panics(
        set in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let set = SETS[set];
        let postbox = key("postbox-no");
        let ctx = decode_ctx(Some(&postbox));
        let token = corrupt(&komplett(&format!("{set}-forretningsmelding.jwt")), &edits);
        let json = corrupt(&komplett(&format!("{set}-forretningsmelding.json")), &edits);
        let zip = corrupt(&komplett(&format!("{set}-dokumentpakke.zip")), &edits);
        let cms = corrupt(&komplett(&format!("{set}-dokumentpakke.cms")), &edits);
        let _ = jwt::verify(&token);
        let _ = Dpi::new(config()).decode_unencrypted(&token, &zip, &ctx);
        let _ = sbd::parse(&json, &Default::default());
        let _ = asice::read(&zip, &Default::default());
        let _ = postbox.decrypt_cms(&cms);
        let legacy = corrupt(&fixture(&format!("sdp-v10/eksempler/{}", LEGACY[edits.len() % LEGACY.len()])), &edits);
        let _ = Sdp.decode_receipt(&Wire::single(&legacy), &ctx);
        let _ = Sdp.decode(&Wire::single(&legacy), &ctx);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let postbox = key("postbox-no");
        let ctx = decode_ctx(Some(&postbox));
        let _ = jwt::verify(&bytes);
        let _ = sbd::parse(&bytes, &Default::default());
        let _ = asice::read(&bytes, &Default::default());
        let _ = postbox.decrypt_cms(&bytes);
        let _ = Sdp.decode_receipt(&Wire::single(&bytes), &ctx);
        let _ = borderpost_no::transport::parse_multipart("multipart/form-data; boundary=b", &bytes, &Default::default());
    }
}
