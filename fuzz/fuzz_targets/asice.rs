#![no_main]

use borderpost_core::Limits;
use borderpost_no::asice;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = asice::read(data, &Limits::default());
});
