//! Suomi.fi decode and encode, in bytes per second.
//!
//! - `decode/<fixture>`: the three request fixtures (multichannel,
//!   electronic, paper mail without id) with the files they name, through
//!   the `Adapter` trait: bounded strict JSON, Suomi.fi's limits, the
//!   identifiers, the files, the canonical validation.
//! - `encode/<route>`: a Finnish municipality's message with a small PDF
//!   to each route, through the `Adapter` trait (the JSON and the file to
//!   upload as a part); `encode/64KB` the multichannel one with a 64 KB
//!   PDF, the size the gateway benchmark sends; `encode-with/multichannel`
//!   the JSON alone, as the gateway writes it after the uploads.
//! - `events/page` and `events/receipt`: the events page with one event of
//!   each type read in full, and one event decoded as a receipt.
//!
//! `cargo bench -p borderpost-fi`. BENCHMARKS.md records adapter figures
//! measured on a quiet machine, in one run with the other adapters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails should stop with the reason"
)]

use std::hint::black_box;
use std::time::Duration;

use borderpost_core::{Adapter, Channel, Limits, Message, Wire};
use borderpost_fi::Uploaded;
use borderpost_fi::transport::EventsPage;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use uuid::Uuid;

#[path = "../tests/common/mod.rs"]
mod common;

fn fi(c: &mut Criterion) {
    let mut group = c.benchmark_group("fi");
    let adapter = common::adapter();
    let ctx = common::decode_ctx();
    for name in common::REQUESTS {
        let body = common::request(name);
        let files = common::files(name);
        let names = common::part_names(&files);
        let wire = common::wire(&body, &names, &files);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| adapter.decode(black_box(&wire), &ctx).unwrap());
        });
    }

    let mut large = common::finnish_message(Channel::DigitalElsePrint);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
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
    let messages: Vec<(&str, Message)> = vec![
        ("electronic", common::finnish_message(Channel::DigitalOnly)),
        (
            "multichannel",
            common::finnish_message(Channel::DigitalElsePrint),
        ),
        (
            "paper-mail-without-id",
            common::finnish_message(Channel::PrintOnly),
        ),
        ("64KB", large),
    ];
    for (name, message) in &messages {
        let to = message.recipients[0].clone();
        let encode_ctx = common::encode_ctx(message.id);
        let encoded = adapter.encode(message, &to, &encode_ctx).unwrap();
        let size: usize = encoded.parts.iter().map(|p| p.body.len()).sum();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                adapter
                    .encode(black_box(message), &to, &encode_ctx)
                    .unwrap()
            });
        });
        if *name == "multichannel" {
            let uploaded: Vec<Uploaded> = adapter
                .attachments_to_upload(message, &to)
                .unwrap()
                .iter()
                .map(|u| Uploaded {
                    document: u.document,
                    attachment_id: Uuid::from_u128(u.document as u128 + 1),
                })
                .collect();
            group.throughput(Throughput::Bytes(encoded.parts[0].body.len() as u64));
            group.bench_function(format!("encode-with/{name}"), |b| {
                b.iter(|| {
                    adapter
                        .encode_with(black_box(message), &to, &encode_ctx, &uploaded)
                        .unwrap()
                });
            });
        }
    }

    let page = std::fs::read(common::fixtures().join("requests/events.json")).unwrap();
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("events/page", |b| {
        b.iter(|| {
            let parsed = EventsPage::parse(black_box(&page), &Limits::default()).unwrap();
            for i in 0..parsed.events.len() {
                parsed.event(i).unwrap().unwrap();
            }
        });
    });
    let event = EventsPage::parse(&page, &Limits::default())
        .unwrap()
        .event_json(1)
        .unwrap();
    group.throughput(Throughput::Bytes(event.len() as u64));
    group.bench_function("events/receipt", |b| {
        b.iter(|| {
            adapter
                .decode_receipt(&Wire::single(black_box(event.as_bytes())), &ctx)
                .unwrap()
        });
    });
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
    targets = fi
}
criterion_main!(benches);
