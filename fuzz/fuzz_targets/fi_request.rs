#![no_main]

//! The Suomi.fi request decoder, `POST /v2/messages`, `/v2/messages/electronic`
//! and `/v2/paper-mail-without-id` on arbitrary bytes: bounded strict JSON,
//! Suomi.fi's limits, the identifiers, then the mapping. So that mutated
//! bodies get past the check that every named file was uploaded, each id
//! the body names is given a small PDF. Whatever decodes is encoded again
//! for its recipient (every route), which must succeed or fail cleanly.

use std::sync::OnceLock;

use borderpost_core::{Adapter, DecodeContext, EncodeContext, Limits, PostalAddress, Wire};
use borderpost_fi::{
    FiConfig, IncomingAttachment, Printing, RequestBody, ReturnAddress, Service, SuomiFi,
};
use libfuzzer_sys::fuzz_target;

static ADAPTER: OnceLock<SuomiFi> = OnceLock::new();

/// The services of the fixtures in `adapters/fi/tests/fixtures/requests`.
fn adapter() -> &'static SuomiFi {
    ADAPTER.get_or_init(|| {
        let service = |id: &str, organisation: &str| Service {
            service_id: id.to_owned(),
            organisation: organisation.parse().expect("a valid Business ID"),
            name: Some("Esimerkkikunta".to_owned()),
        };
        SuomiFi::new(FiConfig {
            services: vec![
                service("esimerkkikunta-vaka", "fi-ytunnus:1366959-8"),
                service("esimerkkikunta-sote", "fi-ytunnus:1366959-8"),
                service("borderpost", "fi-ytunnus:1234567-1"),
            ],
            default_service_id: Some("borderpost".to_owned()),
            printing: Some(Printing {
                username: "BRDPST".to_owned(),
                password: "4321".to_owned(),
                contact_email: "print@borderpost.example".to_owned(),
                cost_pool: None,
                return_address: ReturnAddress {
                    name: "Borderpost".to_owned(),
                    address: PostalAddress {
                        lines: vec!["PL 100".to_owned()],
                        postcode: Some("00101".to_owned()),
                        city: Some("HELSINKI".to_owned()),
                        country: "FI".to_owned(),
                    },
                },
                verifiable: true,
            }),
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let fi = adapter();
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    // The trait's entry point: the body alone (files would be extra parts).
    let _ = fi.decode(&Wire::single(data), &ctx);
    let Ok(request) = RequestBody::parse(None, data, &Limits::default()) else {
        return;
    };
    let Ok(ids) = request.attachment_ids() else {
        return;
    };
    let files: Vec<IncomingAttachment<'_>> = ids
        .iter()
        .map(|&attachment_id| IncomingAttachment {
            attachment_id,
            filename: "liite.pdf",
            media_type: "application/pdf",
            content: b"%PDF-1.4\n",
        })
        .collect();
    let Ok(message) = fi.decode_request(&request, &files, &ctx) else {
        return;
    };
    if let Some(to) = message.recipients.first() {
        let encode_ctx = EncodeContext::new(ctx.received_at, message.id);
        if let Ok(encoded) = fi.encode(&message, to, &encode_ctx) {
            // What Borderpost writes, it reads.
            let _ = fi.decode(&encoded.as_wire(), &ctx);
        }
    }
});
