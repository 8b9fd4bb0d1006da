#![no_main]

//! Suomi.fi events, which the gateway reads from `GET /v2/events`: the
//! page (its token and each event on its own), one event as a receipt, and
//! every receipt that decodes told again as an event for a Finnish sender
//! (the original is the multichannel fixture, decoded once).

use std::sync::OnceLock;

use borderpost_core::{Adapter, DecodeContext, EncodeContext, Limits, Message, Wire};
use borderpost_fi::transport::EventsPage;
use borderpost_fi::{Event, FiConfig, IncomingAttachment, RequestBody, Service, SuomiFi};
use libfuzzer_sys::fuzz_target;

static STATE: OnceLock<(SuomiFi, Message)> = OnceLock::new();

fn state() -> &'static (SuomiFi, Message) {
    STATE.get_or_init(|| {
        let fi = SuomiFi::new(FiConfig {
            services: vec![Service {
                service_id: "esimerkkikunta-vaka".to_owned(),
                organisation: "fi-ytunnus:1366959-8".parse().expect("a valid Business ID"),
                name: None,
            }],
            ..FiConfig::default()
        });
        let body = include_bytes!("../../adapters/fi/tests/fixtures/requests/multichannel.json");
        let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
        let request =
            RequestBody::parse(None, body, &Limits::default()).expect("the fixture parses");
        let files: Vec<IncomingAttachment<'_>> = request
            .attachment_ids()
            .expect("the fixture's ids")
            .into_iter()
            .map(|attachment_id| IncomingAttachment {
                attachment_id,
                filename: "paatos.pdf",
                media_type: "application/pdf",
                content: b"%PDF-1.4\n",
            })
            .collect();
        let original = fi
            .decode_request(&request, &files, &ctx)
            .expect("the fixture decodes");
        (fi, original)
    })
}

fuzz_target!(|data: &[u8]| {
    let (fi, original) = state();
    let limits = Limits::default();
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    let encode_ctx = EncodeContext::new(ctx.received_at, original.id);
    let _ = Event::parse(data, &limits);
    if let Ok(receipt) = fi.decode_receipt(&Wire::single(data), &ctx) {
        let _ = fi.encode_receipt(&receipt, original, &encode_ctx);
    }
    if let Ok(page) = EventsPage::parse(data, &limits) {
        for i in 0..page.events.len() {
            let _ = page.event(i);
            if let Some(json) = page.event_json(i) {
                let _ = fi.decode_receipt(&Wire::single(json.as_bytes()), &ctx);
            }
        }
    }
});
