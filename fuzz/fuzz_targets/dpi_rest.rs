#![no_main]

//! The JSON answers of the DPI access point and of KRR, which the gateway
//! reads from the network: `GET /messages/in`, the status list, a
//! problem+json body, and the KRR lookup answer.

use borderpost_core::Limits;
use borderpost_no::{krr, transport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = transport::parse_incoming(data, &limits);
    let _ = transport::parse_statuses(data, &limits);
    let _ = transport::parse_problem(data, &limits);
    // The gateway reads the KRR answer with serde_json, as here.
    if let Ok(found) = serde_json::from_slice::<krr::LookupResponse>(data) {
        for person in &found.personer {
            let _ = person.can_receive_digital();
        }
    }
});
