#![no_main]

use borderpost_core::DecodeContext;
use borderpost_core::canonical;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    let _ = canonical::decode(data, &ctx);
});
