//! Canonical JSON decode (size, UTF-8 and depth pre-check, serde, every
//! identifier and limit validated) and encode, in bytes per second, for
//! the message sizes the gateway benchmark sends: what one
//! `POST /v1/messages` costs in JSON before the journal.
//! `cargo bench -p borderpost-core`; results are recorded in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails should stop with the reason"
)]

use std::hint::black_box;
use std::time::Duration;

use base64::Engine;
use borderpost_core::canonical::{self, CanonicalJson};
use borderpost_core::{Adapter, DecodeContext, EncodeContext};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::OffsetDateTime;
use uuid::Uuid;

/// A message like the load generator's: one recipient, one document of
/// `document` incompressible bytes.
fn message(document: usize) -> Vec<u8> {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let content: Vec<u8> = (0..document)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng.to_le_bytes()[0]
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "id": Uuid::from_u128(7),
        "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
        "recipients": [{ "id": "no-fnr:31129956715" }],
        "subject": "Borderpost benchmark",
        "notification": "Brev fra Example Kommune",
        "documents": [{
            "filename": "letter.pdf",
            "media_type": "application/pdf",
            "language": "da",
            "content": base64::engine::general_purpose::STANDARD.encode(content),
        }],
    }))
    .unwrap()
}

fn json(c: &mut Criterion) {
    let mut group = c.benchmark_group("canonical");
    let now = OffsetDateTime::now_utc();
    let ctx = DecodeContext::new(now, Uuid::from_u128(1));
    // ~2 KB and ~64 KB bodies.
    for (name, document) in [("2KB", 1200), ("64KB", 48 * 1024)] {
        let body = message(document);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| canonical::decode(black_box(&body), &ctx).unwrap());
        });
        let decoded = canonical::decode(&body, &ctx).unwrap();
        let to = decoded.recipients[0].clone();
        let encode_ctx = EncodeContext::new(now, decoded.id);
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                CanonicalJson
                    .encode(black_box(&decoded), &to, &encode_ctx)
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
        .sample_size(30);
    targets = json
}
criterion_main!(benches);
