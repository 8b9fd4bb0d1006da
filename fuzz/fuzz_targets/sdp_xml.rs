#![no_main]

use borderpost_core::{Adapter, DecodeContext, Wire};
use borderpost_no::{Sdp, sdp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    let _ = sdp::parse(data, &ctx);
    let _ = Sdp.decode_receipt(&Wire::single(data), &ctx);
    let _ = Sdp.decode(&Wire::single(data), &ctx);
});
