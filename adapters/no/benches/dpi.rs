//! DPI decode and encode, in bytes per second.
//!
//! - `decode/<set>`: Digdir's four complete samples through
//!   `Dpi::decode_unencrypted` (JWT signature check, business message,
//!   ASiC-E with manifest and XAdES), without decryption: Digdir did not
//!   publish the key their CMS is encrypted to.
//! - `encode/digital-sample`: the decoded `digital` sample encoded again,
//!   in full: business message JWT (RS256) and XAdES, both signed with the
//!   example sender key, the ASiC-E zipped, CMS-encrypted to the example
//!   postbox certificate. `encode/64KB` does the same for a message with a
//!   64 KB document, the size the gateway benchmark sends.
//! - `decode-decrypt/64KB`: that message decoded in full (CMS decryption
//!   with the postbox key, then everything `decode_unencrypted` does).
//!
//! `cargo bench -p borderpost-no`; results are recorded in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails should stop with the reason"
)]

use std::hint::black_box;
use std::time::Duration;

use borderpost_core::{Adapter, Message, Part, Wire};
use borderpost_no::{Dpi, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use uuid::Uuid;

#[path = "../tests/common/mod.rs"]
mod common;

/// Digdir's complete sample sets.
const SETS: [&str; 4] = [
    "digital",
    "digital-avsenderidentifikator",
    "digital-pa-vegne-av",
    "utskrift",
];

fn komplett(set: &str, suffix: &str) -> Vec<u8> {
    common::fixture(&format!("dpi-2022/eksempler/komplette/{set}-{suffix}"))
}

fn part<'a>(encoded: &'a borderpost_core::Encoded, name: &str) -> &'a [u8] {
    &encoded.parts.iter().find(|p| p.name == name).unwrap().body
}

fn dpi(c: &mut Criterion) {
    let mut group = c.benchmark_group("dpi");
    // Digdir's sample sets are signed by Buypass test certificates whose CA
    // is not published: the signatures are verified, the chains cannot be.
    let dpi = Dpi::new(borderpost_no::DpiConfig {
        dangerous_skip_chain_check: true,
        ..borderpost_no::DpiConfig::default()
    });
    let ctx = common::decode_ctx(None);
    for set in SETS {
        let token = komplett(set, "forretningsmelding.jwt");
        let zip = komplett(set, "dokumentpakke.zip");
        group.throughput(Throughput::Bytes((token.len() + zip.len()) as u64));
        group.bench_function(format!("decode/{set}"), |b| {
            b.iter(|| {
                dpi.decode_unencrypted(black_box(&token), black_box(&zip), &ctx)
                    .unwrap()
            });
        });
    }

    let signer = common::key("sender-no");
    let postbox = common::key("postbox-no");
    let postbox_cert = common::cert_der("postbox-no");
    let encoder = Dpi::new(common::config());
    let sample = dpi
        .decode_unencrypted(
            &komplett("digital", "forretningsmelding.jwt"),
            &komplett("digital", "dokumentpakke.zip"),
            &ctx,
        )
        .unwrap();
    let mut large = common::digital_message("no-orgnr:991825827", Uuid::from_u128(64));
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    large.documents.truncate(1);
    large.documents[0].content = b"%PDF-1.4\n".to_vec();
    // Incompressible bytes, like a real PDF (xorshift).
    large.documents[0]
        .content
        .extend((0..64 * 1024 - 9).map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng.to_le_bytes()[0]
        }));
    for (name, message) in [("digital-sample", &sample), ("64KB", &large)] {
        let message: &Message = message;
        let to = message.recipients[0].clone();
        let encode_ctx = common::encode_ctx(&signer, &postbox_cert, message.id);
        let encoded = encoder.encode(message, &to, &encode_ctx).unwrap();
        let size: usize = encoded.parts.iter().map(|p| p.body.len()).sum();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                encoder
                    .encode(black_box(message), &to, &encode_ctx)
                    .unwrap()
            });
        });
        if name == "64KB" {
            let token = part(&encoded, PART_FORRETNINGSMELDING);
            let package = part(&encoded, PART_DOKUMENTPAKKE);
            let wire = Wire {
                parts: vec![
                    Part {
                        name: PART_FORRETNINGSMELDING,
                        media_type: None,
                        body: token,
                    },
                    Part {
                        name: PART_DOKUMENTPAKKE,
                        media_type: None,
                        body: package,
                    },
                ],
            };
            let decrypting = common::decode_ctx(Some(&postbox));
            group.bench_function(format!("decode-decrypt/{name}"), |b| {
                b.iter(|| encoder.decode(black_box(&wire), &decrypting).unwrap());
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: these are throughput figures for BENCHMARKS.md, not
    // regression gates, and the machines have two cores.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = dpi
}
criterion_main!(benches);
