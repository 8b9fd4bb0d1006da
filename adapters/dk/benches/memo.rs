//! MeMo decode and encode on the official samples, in bytes per second.
//!
//! Decode reads the samples with the one documented correction they need
//! (`tests/common::corrected`: their sender CVR fails its check digit);
//! encode writes the decoded message back in the sample's MeMo version.
//! Throughput is the input's size for decode and the output's for encode.
//! `cargo bench -p borderpost-dk`; results are recorded in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails should stop with the reason"
)]

use std::hint::black_box;
use std::time::Duration;

use borderpost_core::{Adapter, Wire};
use borderpost_dk::{Memo, MemoVersion};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;

/// The samples measured: name, path below `conformance/protocols/dk`, version.
const SAMPLES: [(&str, &str, MemoVersion); 4] = [
    (
        "1.1-full",
        "memo-1.1/examples/MeMo_Full_Example.xml",
        MemoVersion::V1_1,
    ),
    (
        "1.1-minimum",
        "memo-1.1/examples/MeMo_Minimum_Example.xml",
        MemoVersion::V1_1,
    ),
    (
        "1.2-full",
        "memo-1.2/examples/MeMo_Full_Example.xml",
        MemoVersion::V1_2,
    ),
    (
        "1.2-with-attachment",
        "memo-1.2/examples/MeMo_with_attachment.xml",
        MemoVersion::V1_2,
    ),
];

fn memo(c: &mut Criterion) {
    let mut group = c.benchmark_group("memo");
    for (name, path, version) in SAMPLES {
        let input = common::corrected(path);
        let adapter = Memo::new(version);
        let ctx = common::decode_ctx();
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                adapter
                    .decode(&Wire::single(black_box(&input)), &ctx)
                    .unwrap()
            });
        });

        let message = adapter.decode(&Wire::single(&input), &ctx).unwrap();
        let to = message.recipients[0].clone();
        let encode_ctx = common::encode_ctx(message.id);
        let output = adapter.encode(&message, &to, &encode_ctx).unwrap();
        group.throughput(Throughput::Bytes(output.parts[0].body.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                adapter
                    .encode(black_box(&message), &to, &encode_ctx)
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
    targets = memo
}
criterion_main!(benches);
