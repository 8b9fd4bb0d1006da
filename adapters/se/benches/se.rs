//! Mina meddelanden decode, encode, sign and verify, in bytes per second.
//!
//! - `verify/official-sample`: the official `SealedDeliveryWithSignature.xml`
//!   through `MinaMeddelanden::verify` (normal form, both signatures, the
//!   chain to the sample's own certificate as of its seal date), and
//!   `decode/official-sample` the same plus the translation to a canonical
//!   message.
//! - `encode/<size>`: a canonical message with an HTML body and a PDF of
//!   that size, translated, signed by the example sender key, sealed by the
//!   example postbox key and wrapped in the SOAP `deliverSecure` request.
//! - `sign/<size>` and `seal/<size>`: the two signatures alone.
//! - `decode/<size>`: that request verified (chains to the example Swedish
//!   CA) and translated back.
//!
//! `cargo bench -p borderpost-se`; results are recorded in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails should stop with the reason"
)]

use std::hint::black_box;
use std::time::Duration;

use borderpost_core::{Adapter, Wire};
use borderpost_se::signature;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use uuid::Uuid;

#[path = "../tests/common/mod.rs"]
mod common;

fn se(c: &mut Criterion) {
    let mut group = c.benchmark_group("se");
    let sample = common::sample(common::SEALED_SIGNED);
    let sample_adapter = common::sample_adapter();
    let sample_ctx = common::ctx_at(common::SAMPLE_DAY);
    group.throughput(Throughput::Bytes(sample.len() as u64));
    group.bench_function("verify/official-sample", |b| {
        b.iter(|| {
            sample_adapter
                .verify(black_box(&Wire::single(&sample)), &sample_ctx)
                .unwrap()
        });
    });
    group.bench_function("decode/official-sample", |b| {
        b.iter(|| {
            sample_adapter
                .decode(black_box(&Wire::single(&sample)), &sample_ctx)
                .unwrap()
        });
    });

    let adapter = common::adapter();
    let signer = common::sender_key();
    let sealer = common::sealer_key();
    let ctx = common::decode_ctx();
    for (name, size) in [("2KB", 2 * 1024), ("64KB", 64 * 1024), ("1MB", 1024 * 1024)] {
        let mut message = common::swedish_message();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        message.documents[1].content = b"%PDF-1.4\n".to_vec();
        // Incompressible bytes, like a real PDF (xorshift).
        message.documents[1].content.extend((0..size - 9).map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng.to_le_bytes()[0]
        }));
        let to = message.recipients[0].clone();
        let encode_ctx = common::encode_ctx(Uuid::from_u128(7), &signer, &sealer);
        let encoded = adapter.encode(&message, &to, &encode_ctx).unwrap();
        let request = encoded.parts[0].body.clone();
        group.throughput(Throughput::Bytes(request.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                adapter
                    .encode(black_box(&message), &to, &encode_ctx)
                    .unwrap()
            });
        });
        let (delivery, _) = adapter.delivery(&message, &to, Uuid::from_u128(7)).unwrap();
        group.bench_function(format!("sign/{name}"), |b| {
            b.iter(|| signature::sign_delivery(black_box(&delivery), &signer).unwrap());
        });
        let signed = signature::sign_delivery(&delivery, &signer).unwrap();
        group.bench_function(format!("seal/{name}"), |b| {
            b.iter(|| signature::seal(black_box(&signed), common::NOW.date(), &sealer).unwrap());
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                adapter
                    .decode(black_box(&Wire::single(&request)), &ctx)
                    .unwrap()
            });
        });
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
    targets = se
}
criterion_main!(benches);
