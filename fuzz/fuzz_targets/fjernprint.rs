#![no_main]

//! The Fjernprint (SF1600 `ForsendelseI`) decoder, and the Danish print
//! receipts, on arbitrary bytes. Whatever decodes must encode again (or
//! fail cleanly).

use borderpost_core::{Adapter, DecodeContext, EncodeContext, Wire};
use borderpost_dk::Fjernprint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    let wire = Wire::single(data);
    if let Ok(message) = Fjernprint.decode(&wire, &ctx)
        && let Some(to) = message.recipients.first()
    {
        let _ = Fjernprint.encode(
            &message,
            to,
            &EncodeContext::new(ctx.received_at, message.id),
        );
    }
    let _ = Fjernprint.decode_receipt(&wire, &ctx);
});
