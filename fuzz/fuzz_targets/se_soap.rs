#![no_main]

//! Mina meddelanden's fixed-shape SOAP messages on arbitrary bytes: the
//! `deliverSecure` and `isReachable` answers (and their faults) and the
//! `isReachable` request — the core pre-screen, the re-prefixing, then
//! serde-xml-rs.

use borderpost_core::xml::XmlLimits;
use borderpost_se::transport;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::default();
    let _ = transport::read_deliver_secure_response(data, &limits);
    let _ = transport::read_is_reachable_response(data, &limits);
    let _ = transport::read_is_reachable_request(data, &limits, time::macros::date!(2026 - 01 - 15));
});
