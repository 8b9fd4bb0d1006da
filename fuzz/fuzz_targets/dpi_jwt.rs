#![no_main]

use borderpost_core::{Adapter, DecodeContext, Wire};
use borderpost_no::{DpiReceipts, jwt, sbd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    // The token (signature, header, x5c) and, separately, the JSON it would
    // carry: a fuzzer cannot forge a signature, so the payload parser gets
    // the raw input too.
    let _ = jwt::verify(data);
    let _ = DpiReceipts::default().decode_receipt(&Wire::single(data), &ctx);
    let _ = sbd::parse(data, &ctx.limits);
});
