#![no_main]

//! Mina meddelanden receipts (`Receipt.xsd`) on arbitrary bytes, with the
//! signature check against the example Swedish CA.

use borderpost_core::{Adapter, DecodeContext, Wire};
use borderpost_se::{MinaMeddelanden, SeConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ca = openssl::x509::X509::from_pem(include_bytes!("../../certs-example/ca-se.crt"))
        .and_then(|c| c.to_der())
        .unwrap_or_default();
    let adapter = MinaMeddelanden::new(SeConfig {
        trust_anchors: vec![ca],
        ..SeConfig::default()
    });
    let ctx = DecodeContext::new(
        time::macros::datetime!(2026-01-15 10:00 UTC),
        uuid::Uuid::from_u128(1),
    );
    let _ = adapter.decode_receipt(&Wire::single(data), &ctx);
});
